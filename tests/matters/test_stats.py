"""Statistics: the rollup kept by every change equals a rebuild from the matters and a direct
computation written independently here, on random data and random lifecycles; the API and exports."""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import io
import random
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test import Client
from tests.factories import Net
from tests.matters.conftest import Desk

from onegrid.kit.errors import Conflict, Invalid
from onegrid.kit.models import WorkCalendar
from onegrid.matters import feedback, generate, rollup, stats, steps, supervision
from onegrid.matters.lifecycle import OPEN, TRANSITIONS, Status, Step
from onegrid.matters.models import BUCKETS, MEASURES, Category, Matter, Tally

PERIOD = 40
ClientAs = Callable[[str | None], Client]


def _rows() -> dict[tuple[Any, ...], tuple[int, ...]]:
    """The rollup's sums by key, its shards added up."""
    cols = (*MEASURES, *BUCKETS)
    out: dict[tuple[Any, ...], tuple[int, ...]] = {}
    for r in Tally.objects.values("day", "area_path", "dim", "value", *cols):
        key = (str(r["day"]), r["area_path"], r["dim"], r["value"])
        out[key] = tuple(a + r[c] for a, c in zip(out.get(key, (0,) * len(cols)), cols, strict=True))
    return {k: v for k, v in out.items() if v[0]}


def _shuffle_lifecycles(rng: random.Random, desk: Desk, people: dict[str, Any], rounds: int) -> None:
    """Random steps, ratings, follow-up calls and merges through the services."""
    pks = list(Matter.objects.values_list("pk", flat=True))
    for _ in range(rounds):
        matter = Matter.objects.select_related("category", "owner").get(pk=rng.choice(pks))
        if matter.merged_into_id is not None:
            continue
        status = Status(matter.status)
        roll = rng.random()
        try:
            if roll < 0.1 and status in {Status.RESOLVED, Status.VERIFIED, Status.CLOSED}:
                token = feedback.issue_token(matter)
                feedback.rate_with_token(token=token, score=rng.randint(1, 5))
            elif roll < 0.2:
                feedback.follow_up(
                    actor=people["county"],
                    matter=matter,
                    reached=rng.random() < 0.8,
                    solved=rng.random() < 0.7,
                    satisfaction=rng.choice(["satisfied", "basic", "unsatisfied"]),
                )
            elif roll < 0.25 and status in OPEN:
                into = Matter.objects.get(pk=rng.choice(pks))
                supervision.merge(actor=people["admin"], duplicate=matter, into=into, note="same place")
            else:
                choices = [s for s, t in TRANSITIONS.items() if status in t.sources]
                if not choices:  # rejected: nothing more happens to it
                    continue
                step = rng.choice(choices)
                steps.take(
                    actor=None,
                    matter=matter,
                    step=step,
                    data=steps.StepInput(
                        note="random", organisation=desk.department if step == Step.TRANSFER else None
                    ),
                )
        except (Conflict, Invalid):
            continue


def _reference(since: dt.date, until: dt.date) -> dict[tuple[str, str, str], Counter[str]]:
    """Independent direct computation: per (node, dim, value), from model objects one by one."""
    out: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
    tz = rollup.zone()
    for m in Matter.objects.filter(merged_into__isnull=True).prefetch_related("follow_ups"):
        day = m.received_at.astimezone(tz).date()
        if not since <= day <= until:
            continue
        v: Counter[str] = Counter(n=1)
        if m.accept_on_time is not None:
            v.update(accepted=1, accepted_on_time=int(m.accept_on_time))
        if m.resolve_on_time is not None:
            v.update(judged=1, resolved_on_time=int(m.resolve_on_time))
        if m.closed_at is not None:
            hours = (m.closed_at - m.received_at).total_seconds() / 3600
            k = sum(1 for edge in rollup.EDGES if hours >= edge)
            v.update({"closed": 1, "closed_local": int((m.owner_level or 0) >= 4), BUCKETS[k]: 1})
        rating = getattr(m, "rating", None) if hasattr(m, "rating") else None
        if rating is not None:
            v.update(ratings=1, ratings_ok=int(rating.score >= 3), ratings_good=int(rating.score >= 4))
        for call in m.follow_ups.all():
            if call.reached:
                v.update(
                    calls=1,
                    calls_solved=int(bool(call.solved)),
                    calls_satisfied=int(call.satisfaction in ("satisfied", "basic")),
                )
        codes = m.area_path.strip("/").split("/")
        for depth in range(len(codes) + 1):
            node = "/" + "".join(c + "/" for c in codes[:depth])
            values = {
                "": "",
                "channel": m.channel,
                "category": str(m.category_id),
                "status": m.status,
                "org": str(m.owner_id or ""),
                "level": str(m.owner_level or ""),
                "day": str(day),
            }
            for dim, value in values.items():
                out[(node, dim, value)].update(v)
    return out


def _clean(v: Any) -> dict[str, int]:
    return {k: int(n) for k, n in dict(v).items() if n}


@pytest.mark.parametrize("seed", [7, 11])
def test_rollup_equals_rebuild_and_direct_computation_after_random_lifecycles(
    desk: Desk, people: dict[str, Any], net: Net, seed: int
) -> None:
    made = generate.generate(count=150, seed=seed, days=PERIOD)
    assert made.matters == 150
    _shuffle_lifecycles(random.Random(seed), desk, people, rounds=120)

    kept = _rows()
    assert rollup.rebuild() == Matter.objects.filter(merged_into__isnull=True).count()
    assert _rows() == kept  # the rollup maintained step by step is the rollup rebuilt from scratch

    today = dt.date.today()
    since, until = today - dt.timedelta(days=PERIOD + 1), today + dt.timedelta(days=1)
    ref = _reference(since, until)
    for area in (net.province, net.county, net.township_a, net.grid_a1):
        node = area.path
        q = stats.Question(nodes=(node,), since=since, until=until)
        assert _clean(stats.sums(q, None).get(None, {})) == _clean(ref[(node, "", "")])
        for dim in ("channel", "category", "status", "org", "level"):
            got = {k: _clean(v) for k, v in stats.sums(q, "value", dim=dim).items()}
            want = {value: _clean(c) for (n, d, value), c in ref.items() if n == node and d == dim and c["n"]}
            assert got == want, (node, dim)
            # the direct reading of the matters agrees with the rollup wherever both can answer
            assert {
                k: _clean(v) for k, v in stats._direct(q, node, "value", dim).items() if v.get("n")
            } == want
        days = {str(k): _clean(v) for k, v in stats.sums(q, "day").items()}
        assert days == {
            value: _clean(c) for (n, d, value), c in ref.items() if n == node and d == "day" and c["n"]
        }
        children = {k: _clean(v) for k, v in stats.sums(q, "child").items()}
        want_children = {
            n: _clean(c)
            for (n, d, _v), c in ref.items()
            if d == "" and rollup.parent_of(n) == node and c["n"]
        }
        assert children == want_children
    # a sub-period: whole days only, both ends included
    q = stats.Question(
        nodes=(net.county.path,), since=today - dt.timedelta(days=9), until=today - dt.timedelta(days=3)
    )
    ref = _reference(q.since, q.until)
    assert _clean(stats.sums(q, None).get(None, {})) == _clean(ref[(net.county.path, "", "")])
    # organisations also have monthly and weekly rows: a period of whole months, whole weeks and ragged
    # days reads all three, whatever weekday and day of the month it starts and ends on
    periods = [(today - dt.timedelta(days=PERIOD), today), (today.replace(day=1), today)]
    periods += [
        (today - dt.timedelta(days=a), today - dt.timedelta(days=b)) for a, b in ((23, 5), (13, 13), (8, 1))
    ]
    periods += [(today - dt.timedelta(days=PERIOD - k), today - dt.timedelta(days=k)) for k in range(1, 7)]
    for since, until in periods:
        q = stats.Question(nodes=(net.county.path,), since=since, until=until)
        ref = _reference(since, until)
        got = {k: _clean(v) for k, v in stats.sums(q, "value", dim="org").items()}
        assert got == {
            v: _clean(c) for (n, d, v), c in ref.items() if n == net.county.path and d == "org" and c["n"]
        }


def test_the_median_is_read_from_the_histogram_within_its_bucket(desk: Desk) -> None:
    generate.generate(count=200, seed=3, days=30)
    today = dt.date.today()
    q = stats.Question(nodes=("/",), since=today - dt.timedelta(days=31), until=today)
    out = stats.summary(q)
    closed = Matter.objects.filter(merged_into__isnull=True, closed_at__isnull=False)
    hours = sorted((m.closed_at - m.received_at).total_seconds() / 3600 for m in closed)  # type: ignore[operator]
    exact = (hours[(len(hours) - 1) // 2] + hours[len(hours) // 2]) / 2
    low, high = out["median_bucket_hours"]
    assert low <= out["median_hours_to_close"] <= high
    assert low <= exact * 1.0001
    assert exact <= high * 1.26
    assert out["total"] == Matter.objects.count()


def test_a_load_with_deferred_indexes_builds_them_again(desk: Desk) -> None:
    def constraints() -> dict[str, Any]:
        with connection.cursor() as cursor:
            return {
                table: connection.introspection.get_constraints(cursor, table)
                for table in ("matters_matter", "matters_tally", "matters_rating", "matters_followupcall")
            }

    before = constraints()
    made = generate.generate(count=300, seed=12, days=20, defer_indexes=True)
    assert made.matters == Matter.objects.count() == 300
    assert constraints() == before  # indexes and foreign keys are all back
    kept = _rows()
    assert rollup.rebuild() == 300
    assert _rows() == kept


@pytest.fixture
def _seeded(transactional_db: None) -> None:
    """What the migrations seed, again: a transactional test before this one may have emptied it."""
    if not WorkCalendar.objects.exists():
        importlib.import_module("onegrid.kit.migrations.0002_seed_calendars").seed(django_apps, None)
    importlib.import_module("onegrid.matters.migrations.0002_seed").seed(django_apps, None)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_seeded")
def test_a_load_of_its_own_adds_its_foreign_keys_back(desk: Desk) -> None:
    with connection.cursor() as cursor:
        before = {
            t: connection.introspection.get_constraints(cursor, t)
            for t in ("matters_matter", "matters_rating", "matters_followupcall")
        }
    assert not connection.in_atomic_block
    made = generate.generate(count=300, seed=13, days=20, defer_indexes=True)
    assert made.matters == Matter.objects.count() == 300
    with connection.cursor() as cursor:
        after = {t: connection.introspection.get_constraints(cursor, t) for t in before}
    assert after == before
    assert sum(1 for c in after["matters_matter"].values() if c["foreign_key"]) >= 3


def test_a_second_load_over_the_same_period_adds_to_the_rollup(desk: Desk) -> None:
    first = generate.generate(count=200, seed=1, days=20, chunk=60)
    second = generate.generate(count=150, seed=2, days=30, chunk=45)  # staged and merged: rows exist
    assert Matter.objects.count() == first.matters + second.matters == 350
    assert len(set(Matter.objects.values_list("number", flat=True))) == 350
    kept = _rows()
    assert rollup.rebuild() == 350
    assert _rows() == kept
    assert second.tally_rows > 0


def test_generated_text_keeps_tabs_newlines_and_backslashes(desk: Desk) -> None:
    odd = Category.objects.filter(parent__isnull=False, is_active=True).order_by("pk").first()
    assert odd is not None
    odd.name = "tab\there\\back\\slash\nnew line"
    odd.save()
    Category.objects.filter(parent__isnull=False).exclude(pk=odd.pk).update(is_active=False)
    generate.generate(count=30, seed=4, days=5)
    assert set(Matter.objects.values_list("title", flat=True)) == {odd.name}


def test_generated_matters_have_realistic_mixes(desk: Desk) -> None:
    made = generate.generate(count=2000, seed=5, days=60)
    channels = Counter(Matter.objects.values_list("channel", flat=True))
    statuses = Counter(Matter.objects.values_list("status", flat=True))
    assert made.matters == 2000
    assert 0.38 < channels["hotline_12345"] / 2000 < 0.52
    assert statuses["closed"] > 1000
    assert statuses["rejected"] > 20
    assert statuses["in_progress"] > 0
    assert len(Category.objects.filter(pk__in=Matter.objects.values("category"))) > 10
    assert made.ratings > 100
    assert made.calls > 100
    assert Matter.objects.filter(owner__isnull=False).count() > 1000


# ------------------------------------------------------------------------------------------ API


def test_summary_breakdowns_and_scope(client_as: ClientAs, desk: Desk, net: Net) -> None:
    generate.generate(count=120, seed=9, days=10)
    since = (dt.date.today() - dt.timedelta(days=12)).isoformat()
    county = client_as("county")
    body = county.get(f"/api/v1/matters/stats/summary?since={since}").json()
    assert body["total"] == 120
    assert sum(body["by_channel"].values()) == 120
    assert body["areas"] == [net.county.path]
    rows = county.get(f"/api/v1/matters/stats/by/children?since={since}&area=330122").json()["rows"]
    assert {r["key"] for r in rows} <= {net.township_a.path, net.township_b.path}
    assert sum(r["total"] for r in rows) == 120
    township = client_as("township")
    mine = township.get(f"/api/v1/matters/stats/summary?since={since}").json()
    assert mine["total"] == Matter.objects.filter(area_path__startswith=net.township_a.path).count()
    assert township.get(f"/api/v1/matters/stats/summary?since={since}&area=330122002").status_code == 404
    assert township.get(f"/api/v1/matters/stats/by/organisation?since={since}").status_code == 200
    assert client_as("gridworker").get("/api/v1/matters/stats/summary").status_code == 403
    assert client_as(None).get("/api/v1/matters/stats/summary").status_code == 401
    bad = county.get("/api/v1/matters/stats/summary?since=2026-13-01").json()
    assert bad["field"] == "since"
    assert (
        county.get("/api/v1/matters/stats/summary?since=2026-02-01&until=2026-01-01").json()["field"]
        == "until"
    )
    assert county.get("/api/v1/matters/stats/by/weather").status_code == 422
    by_day = county.get(f"/api/v1/matters/stats/by/day?since={since}&organisation={desk.county_centre.code}")
    assert by_day.status_code == 200


def test_exports_as_csv_and_excel_with_headings_in_the_request_language(
    client_as: ClientAs, desk: Desk
) -> None:
    generate.generate(count=60, seed=4, days=5)
    since = (dt.date.today() - dt.timedelta(days=6)).isoformat()
    county = client_as("county")
    zh = county.get(f"/api/v1/matters/stats/by/channel/export?since={since}", HTTP_ACCEPT_LANGUAGE="zh-Hans")
    assert zh.status_code == 200
    assert zh["Content-Type"] == "text/csv; charset=utf-8"
    assert 'attachment; filename="stats-channel-330122-' in zh["Content-Disposition"]
    table = list(csv.reader(io.StringIO(zh.content.decode("utf-8-sig"))))
    assert table[0][2] == "事件数"
    assert sum(int(r[2]) for r in table[1:]) == 60
    en = county.get(
        f"/api/v1/matters/stats/by/channel/export?since={since}&format=xlsx", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert en["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert en["Content-Disposition"].endswith('.xlsx"')
    with zipfile.ZipFile(io.BytesIO(en.content)) as book:
        shared = (
            book.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in book.namelist() else ""
        )
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "Matters" in shared + sheet


def test_a_county_summary_is_a_handful_of_rollup_queries(
    desk: Desk, people: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    generate.generate(count=80, seed=2, days=5)
    today = dt.date.today()
    q = stats.ask(people["county"], since=today - dt.timedelta(days=400), until=today)
    with django_assert_max_num_queries(7):
        out = stats.summary(q)
    assert out["total"] == 80
