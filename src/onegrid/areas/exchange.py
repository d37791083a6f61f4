"""GeoJSON (RFC 7946) import and export of the net."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from onegrid.areas import services
from onegrid.areas.checks import Progress, check_batch
from onegrid.areas.inputs import AreaInput, FeatureError, read_collection
from onegrid.areas.models import Area
from onegrid.areas.schemas import level_name, parent_code


def feature_of(area: Area) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": area.geometry,
        "properties": {
            "code": area.code,
            "name": area.name,
            "name_en": area.name_en,
            "level": level_name(area.level),
            "kind": area.kind,
            "parent_code": parent_code(area.path),
            "population": area.population,
            "households": area.households,
        },
    }


def stream_collection(areas: Iterable[Area]) -> Iterator[str]:
    """A FeatureCollection as text chunks, one feature a line, without holding it all in memory."""
    yield '{"type":"FeatureCollection","features":[\n'
    first = True
    for area in areas:
        yield ("" if first else ",\n") + json.dumps(
            feature_of(area), ensure_ascii=False, separators=(",", ":")
        )
        first = False
    yield "\n]}\n"


def import_document(*, actor: Any, document: Any, progress: Progress | None = None) -> services.ImportResult:
    """Read, check and write a whole FeatureCollection: every bad feature is reported with its index
    and reason and nothing is written if there is one."""
    try:
        read = list(read_collection(document))
    except ValueError as exc:
        return services.ImportResult(errors=[FeatureError(-1, None, "document", str(exc))])
    errors = [r for _, r in read if isinstance(r, FeatureError)]
    inputs = [r for _, r in read if isinstance(r, AreaInput)]
    positions = [i for i, r in read if isinstance(r, AreaInput)]
    if errors:  # still check the readable ones, so the caller sees every problem at once
        _, later = check_batch(inputs, actor=actor, permission="areas.import")
        result = services.ImportResult(errors=later)
    else:
        result = services.write_batch(
            actor=actor, inputs=inputs, permission="areas.import", progress=progress
        )
    if errors or result.errors:
        # Indices from the checker count only the readable features: map them back to the document.
        remapped = [FeatureError(positions[e.index], e.code, e.field, e.reason) for e in result.errors]
        return services.ImportResult(errors=sorted(errors + remapped, key=lambda e: e.index))
    return result


def import_file(*, actor: Any, path: Path, progress: Progress | None = None) -> services.ImportResult:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return services.ImportResult(
            errors=[FeatureError(-1, None, "document", f"cannot read {path}: {exc}")]
        )
    return import_document(actor=actor, document=document, progress=progress)
