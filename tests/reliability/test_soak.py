"""The load soak (issue 5): 60 s of a mixed workload at 200 requests/s from a second process on loopback
against ``onegrid serve --workers 2`` on the database the suite runs on. Every answer must be the
expected 2xx, at least 200 requests/s must complete over the 60 s, and the server's memory must stay
flat (see tests/reliability/soak.py for the mix, the latency measurement and the memory bound).

It needs the machine to itself, so make test runs it after the parallel part, alone (marker ``soak``;
``ONEGRID_SLOW=1``). ``ONEGRID_SOAK_RATE`` / ``ONEGRID_SOAK_SECONDS`` change the load while working on it;
``uv run onegrid bench soak`` measures the same workload and logs it in docs/benchmarks.md."""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest
from tests.reliability import soak
from tests.reliability.livesite import LiveSite

pytestmark = [pytest.mark.slow, pytest.mark.soak]

RATE = float(os.environ.get("ONEGRID_SOAK_RATE", "200"))
SECONDS = float(os.environ.get("ONEGRID_SOAK_SECONDS", "60"))


def test_a_minute_of_mixed_load_at_200_per_second(site: LiveSite, record_property: Any) -> None:
    outcome = soak.run(site, rate=RATE, seconds=SECONDS, workers=2)
    sys.stdout.write("\n" + soak.table(outcome))
    record_property("soak", outcome.summary())
    assert outcome.failures == []
