"""The per-process locate index over the net, rebuilt when the net's revision changes.

The index covers the leaves of the net above micro level (normally the grids) and, separately, the
micro-grids. It is built at start-up (``warm``) and refreshed without a restart: each lookup checks
the revision counter at most every ``CHECK_SECONDS``; a write in any process bumps it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import numpy as np
import shapely
from django.db import DatabaseError, close_old_connections
from django.db.models import Exists, OuterRef

from onegrid.areas.levels import Level
from onegrid.areas.locate import LocateIndex
from onegrid.areas.models import Area, AreaNetRevision
from onegrid.kit.geo import to_wgs84, to_wgs84_many

CHECK_SECONDS = 1.0
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Snapshot:
    revision: int
    grids: LocateIndex
    grid_paths: np.ndarray  # object array: path of each indexed leaf, by index id
    micro: LocateIndex | None
    micro_paths: np.ndarray


def _revision() -> int:
    row = AreaNetRevision.objects.filter(id=1).values_list("number", flat=True).first()
    return int(row or 0)


def _build(rows: list[tuple[str, bytes | memoryview]]) -> tuple[LocateIndex, np.ndarray]:
    paths = np.array([p for p, _ in rows], dtype=object)
    shapes = shapely.from_wkb(np.array([bytes(w) for _, w in rows], dtype=object))
    return LocateIndex.build(np.arange(len(rows), dtype=np.int64), list(shapes)), paths


def build_snapshot() -> Snapshot:
    revision = _revision()
    has_children = Area.objects.filter(parent=OuterRef("pk"), level__lt=Level.MICRO_GRID)
    leaves = (
        Area.objects.filter(level__lt=Level.MICRO_GRID)
        .exclude(Exists(has_children))
        .order_by("path")
        .values_list("path", "geometry_wkb")
    )
    grids, grid_paths = _build(list(leaves))
    micro_rows = list(
        Area.objects.filter(level=Level.MICRO_GRID).order_by("path").values_list("path", "geometry_wkb")
    )
    micro, micro_paths = _build(micro_rows) if micro_rows else (None, np.array([], dtype=object))
    return Snapshot(revision, grids, grid_paths, micro, micro_paths)


class Locator:
    """Thread-safe holder of the current snapshot."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._checked = 0.0

    def snapshot(self) -> Snapshot:
        now = time.monotonic()
        current = self._snapshot
        if current is not None and now - self._checked < CHECK_SECONDS:
            return current
        with self._lock:
            if self._snapshot is None or _revision() != self._snapshot.revision:
                self._snapshot = build_snapshot()
            self._checked = time.monotonic()
            return self._snapshot

    def warm(self) -> None:
        """Build the index now (at start-up, in the background) so the first lookup is fast."""
        try:
            self.snapshot()
        except DatabaseError:  # not migrated yet: the first lookup builds it
            logger.warning("locate index not built at start-up: the database is not ready")
        finally:
            close_old_connections()

    def reset(self) -> None:
        with self._lock:
            self._snapshot, self._checked = None, 0.0

    def locate(self, lon: float, lat: float, crs: str = "wgs84") -> tuple[str | None, str | None]:
        """Path of the leaf (grid) containing the point, and of the micro-grid if any."""
        snap = self.snapshot()
        x, y = (lon, lat) if crs == "wgs84" else to_wgs84(lon, lat, crs)
        leaf = snap.grids.locate(x, y)
        micro = snap.micro.locate(x, y) if snap.micro is not None else None
        return (
            None if leaf is None else str(snap.grid_paths[leaf]),
            None if micro is None else str(snap.micro_paths[micro]),
        )

    def locate_many(self, lon: np.ndarray, lat: np.ndarray, crs: str = "wgs84") -> list[str | None]:
        """The path of each point's leaf (grid), None where the point lies in none."""
        snap = self.snapshot()
        x, y = (lon, lat) if crs == "wgs84" else to_wgs84_many(lon, lat, crs)
        found = snap.grids.locate_many(x, y)
        out = np.full(len(found), None, dtype=object)
        hit = found >= 0
        out[hit] = snap.grid_paths[found[hit]]
        return list(out)


locator = Locator()
