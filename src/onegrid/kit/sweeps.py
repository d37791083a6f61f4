"""Periodic sweeps run by ``onegrid worker``; apps register theirs (core extended by registration)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections


@dataclass(frozen=True, slots=True)
class Sweep:
    name: str
    every_seconds: float
    run: Callable[[], int]  # returns how many things it did (0 = quiet)


_sweeps: dict[str, Sweep] = {}


def register(name: str, every_seconds: float, run: Callable[[], int]) -> None:
    _sweeps[name] = Sweep(name, every_seconds, run)


def registered() -> list[Sweep]:
    return list(_sweeps.values())


def run(stop: threading.Event, *, once: bool = False, log: Callable[[str], None] | None = None) -> None:
    """Run every sweep at its interval until ``stop`` is set (or once each with ``once``)."""
    last: dict[str, float] = {}
    while not stop.is_set():
        for sweep in registered():
            now = time.monotonic()
            if once or now - last.get(sweep.name, -1e9) >= sweep.every_seconds:
                close_old_connections()
                done = sweep.run()
                last[sweep.name] = now
                if done and log is not None:
                    log(f"{sweep.name}: {done}")
        if once:
            return
        stop.wait(1.0)
