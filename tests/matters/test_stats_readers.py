"""The statistics readers: figures computed column by column for many rows at once, questions over
several nodes, breakdown rows and their labels, empty answers."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Any

import numpy as np
import pytest
from django.db import connection, transaction
from django.utils import translation
from tests.factories import Net
from tests.matters.conftest import Desk
from tests.matters.test_stats import _clean, _reference

from onegrid.access.models import Organisation
from onegrid.kit.errors import Invalid
from onegrid.matters import generate, rollup, stats
from onegrid.matters.models import BUCKETS, HISTOGRAM


def _expected(v: dict[str, int]) -> dict[str, Any]:
    """The figures of one vector of sums, from the definitions in the module docstring, one by one."""

    def ratio(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    hist = [v.get(b, 0) for b in BUCKETS]
    median: float | None = None
    bounds: list[float | None] | None = None
    seen, half = 0, sum(hist) / 2
    for k, count in enumerate(hist):
        if count and seen + count >= half:
            low = 0.0 if k == 0 else 2 ** ((k - 1) / 3)
            if k == HISTOGRAM - 1:  # open: 2,048 hours and more
                median, bounds = round(low, 2), [round(low, 2), None]
            else:
                high = 2 ** (k / 3)
                median = round(low + (high - low) * (half - seen) / count, 2)
                bounds = [round(low, 2), round(high, 2)]
            break
        seen += count
    calls, ratings = v.get("calls", 0), v.get("ratings", 0)
    return {
        "total": v.get("n", 0),
        "signed_for": v.get("accepted", 0),
        "signed_for_on_time": v.get("accepted_on_time", 0),
        "resolved": v.get("judged", 0),
        "resolved_on_time": v.get("resolved_on_time", 0),
        "closed": v.get("closed", 0),
        "closed_locally": v.get("closed_local", 0),
        "ratings": ratings,
        "calls": calls,
        "response_rate": ratio(v.get("accepted_on_time", 0), v.get("accepted", 0)),
        "on_time_resolution_rate": ratio(v.get("resolved_on_time", 0), v.get("judged", 0)),
        "resolution_rate": ratio(v.get("calls_solved", 0), calls)
        if calls
        else ratio(v.get("ratings_ok", 0), ratings),
        "satisfaction_rate": ratio(v.get("calls_satisfied", 0) + v.get("ratings_good", 0), calls + ratings),
        "resolved_locally_share": ratio(v.get("closed_local", 0), v.get("closed", 0)),
        "median_hours_to_close": median,
        "median_bucket_hours": bounds,
    }


def _random_sums(rng: random.Random) -> dict[str, int]:
    """Sums as a rollup could hold them: nested counts, a histogram of the closed matters, sometimes
    nothing closed, no calls, no ratings, everything in one bucket or in the open one."""
    n = rng.choice([0, 1, 2, 3, 7, rng.randint(1, 500), rng.randint(1, 3_000_000)])
    closed = rng.choice([0, n, rng.randint(0, n)])
    hist = [0] * HISTOGRAM
    shape = rng.random()
    if shape < 0.15:
        hist[rng.choice([0, HISTOGRAM - 1, rng.randrange(HISTOGRAM)])] = closed
    else:
        for _ in range(closed):
            if closed > 2000:
                break
            hist[min(HISTOGRAM - 1, int(rng.expovariate(0.15)))] += 1
        if closed > 2000:
            cuts = sorted(rng.randint(0, closed) for _ in range(HISTOGRAM - 1))
            hist = [b - a for a, b in zip([0, *cuts], [*cuts, closed], strict=True)]
    accepted = rng.randint(0, n)
    judged = rng.randint(0, n)
    ratings = rng.choice([0, rng.randint(0, n)])
    calls = rng.choice([0, rng.randint(0, n)])
    v = {
        "n": n,
        "accepted": accepted,
        "accepted_on_time": rng.randint(0, accepted),
        "judged": judged,
        "resolved_on_time": rng.randint(0, judged),
        "closed": closed,
        "closed_local": rng.randint(0, closed),
        "ratings": ratings,
        "ratings_ok": (ok := rng.randint(0, ratings)),
        "ratings_good": rng.randint(0, ok),
        "calls": calls,
        "calls_solved": rng.randint(0, calls),
        "calls_satisfied": rng.randint(0, calls),
    }
    return v | dict(zip(BUCKETS, hist, strict=True))


def test_figures_of_many_rows_equal_the_definitions_row_by_row() -> None:
    rng = random.Random(5)
    vectors = [_random_sums(rng) for _ in range(3000)]
    vectors += [{}, {"n": 1}, {"n": 2, "closed": 2, "h00": 1, "h01": 1}, {"n": 1, "closed": 1, "h34": 1}]
    table = np.array([[v.get(c, 0) for c in rollup.COLUMNS] for v in vectors], dtype=np.int64)
    want = [_expected(v) for v in vectors]
    assert stats.figures_of(table) == want
    assert [stats.figures(v) for v in vectors] == want
    # the median lies in the bucket whose bounds are given, whatever the shape of the histogram
    for w in want:
        if w["median_bucket_hours"] is not None:
            low, high = w["median_bucket_hours"]
            assert low <= w["median_hours_to_close"] <= (high if high is not None else low)
    assert sum(w["median_bucket_hours"] == [2048.0, None] for w in want) > 10
    assert sum(w["resolution_rate"] is not None and not w["calls"] for w in want) > 100
    assert stats.figures_of(np.zeros((0, len(rollup.COLUMNS)), dtype=np.int64)) == []


def _sum_nodes(ref: dict[tuple[str, str, str], Counter[str]], nodes: list[str], dim: str) -> dict[str, Any]:
    out: dict[str, Counter[str]] = {}
    for (node, d, value), c in ref.items():
        if node in nodes and d == dim:
            out.setdefault(value, Counter()).update(c)
    return {k: _clean(c) for k, c in out.items() if c["n"]}


def test_a_question_over_several_nodes_adds_their_groups(desk: Desk, net: Net) -> None:
    generate.generate(count=160, seed=21, days=20)
    today = dt.date.today()
    since, until = today - dt.timedelta(days=21), today
    ref = _reference(since, until)
    nodes = [net.township_a.path, net.township_b.path]  # totals and days from the rollup, the rest direct
    q = stats.Question(nodes=tuple(nodes), since=since, until=until)
    assert _clean(stats.sums(q, None)[None]) == _sum_nodes(ref, nodes, "")[""]
    for dim in ("channel", "category", "status", "org", "level"):
        assert {k: _clean(v) for k, v in stats.sums(q, "value", dim=dim).items()} == _sum_nodes(
            ref, nodes, dim
        )
    days = {str(k): _clean(v) for k, v in stats.sums(q, "day").items()}
    assert days == _sum_nodes(ref, nodes, "day")
    children = {k: _clean(v) for k, v in stats.sums(q, "child").items()}
    assert children == {
        n: _clean(c) for (n, d, _v), c in ref.items() if d == "" and rollup.parent_of(n) in nodes and c["n"]
    }
    assert sum(v["n"] for v in children.values()) == stats.sums(q, None)[None]["n"]
    assert len(children) >= 2
    # the same groups as tables, added up across the nodes, and as breakdown rows
    for by, group, dim, want in (
        ("organisation", "value", "org", _sum_nodes(ref, nodes, "org")),
        ("children", "child", "", children),
        ("day", "day", "", days),
    ):
        grouped = stats.table(q, group, dim=dim)
        assert {str(k): _clean(v) for k, v in grouped.as_dict().items()} == want
        rows = stats.breakdown(q, by)
        assert [r["key"] for r in rows] == sorted(want)
        assert [{k: v for k, v in r.items() if k not in ("key", "label")} for r in rows] == [
            _expected(want[k]) for k in sorted(want)
        ]


@pytest.mark.parametrize("area", ["province", "county", "township_a"])
def test_breakdown_by_organisation_has_every_organisation_once_named_with_its_figures(
    desk: Desk, net: Net, area: str
) -> None:
    generate.generate(count=200, seed=8, days=15)
    today = dt.date.today()
    since = today - dt.timedelta(days=16)
    node = getattr(net, area).path
    q = stats.Question(nodes=(node,), since=since, until=today)
    want = _sum_nodes(_reference(since, today), [node], "org")
    with translation.override("en"):
        rows = stats.breakdown(q, "organisation")
    assert [r["key"] for r in rows] == sorted(want)
    names = dict(Organisation.objects.values_list("pk", "name"))
    for row in rows:
        figures = {k: v for k, v in row.items() if k not in ("key", "label")}
        assert figures == _expected(want[row["key"]])
        assert row["label"] == (names[int(row["key"])] if row["key"] else "no responsible organisation")
    assert sum(r["total"] for r in rows) == stats.summary(q)["total"] > 0
    assert list(rows[0]) == ["key", "label", *stats.figures({})]


def test_a_period_without_matters_gives_empty_breakdowns_and_zero_totals(desk: Desk, net: Net) -> None:
    generate.generate(count=30, seed=4, days=5)
    long_ago = dt.date.today() - dt.timedelta(days=900)
    for node in (net.province.path, net.county.path, net.township_a.path, net.grid_a1.path):
        q = stats.Question(nodes=(node,), since=long_ago, until=long_ago + dt.timedelta(days=60))
        for by in stats.GROUPS:
            assert stats.breakdown(q, by) == []
        out = stats.summary(q)
        assert out["total"] == 0
        assert out["median_hours_to_close"] is None
        assert out["by_day"] == {}
    assert stats.breakdown(stats.Question(nodes=(), since=long_ago, until=long_ago), "organisation") == []


def _parallel_workers() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        return str(cursor.fetchone()[0])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL planner setting")
@pytest.mark.django_db(transaction=True)
def test_answers_plan_without_parallel_workers_in_their_own_transaction_only() -> None:
    today = dt.date.today()
    county = stats.Question(nodes=("/330000/330100/330122/",), since=today, until=today)
    grid = stats.Question(nodes=("/330000/330100/330122/330122001/330122001001/",), since=today, until=today)
    default = _parallel_workers()
    assert default != "0"
    with stats._serial_plans(grid):  # a small node: nothing to change
        assert not connection.in_atomic_block
        assert _parallel_workers() == default
    with stats._serial_plans(county):  # outside any transaction: in one of its own
        assert connection.in_atomic_block
        assert _parallel_workers() == "0"
    assert not connection.in_atomic_block
    assert _parallel_workers() == default
    with transaction.atomic():  # a caller's transaction keeps its settings
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 3")
        with stats._serial_plans(county):
            assert _parallel_workers() == "3"
    with pytest.raises(Invalid), stats._serial_plans(county):
        raise Invalid("a question it cannot answer", field="by")
    assert not connection.in_atomic_block
    assert _parallel_workers() == default
