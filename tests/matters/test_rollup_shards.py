"""The rollup's shards: on PostgreSQL concurrent writers add to copies of the hot rows, readers sum the
copies, and the worker's fold gathers them into shard 0 without changing any sum. Numbers are reserved
apart from the intake transaction there, and stay unique under concurrent intake."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone
from tests.factories import Net
from tests.matters.conftest import Desk
from tests.matters.test_stats import _rows, _seeded  # noqa: F401  (the fixture, for the threads' test)

from onegrid.matters import generate, intake, numbering, rollup, stats
from onegrid.matters.models import Matter, Tally

WRITERS, EACH = 4, 6


def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("shards and the fold are PostgreSQL's: SQLite has one writer at a time")


def _answers(net: Net) -> dict[str, Any]:
    today = dt.date.today()
    q = stats.Question(nodes=(net.county.path,), since=today - dt.timedelta(days=30), until=today)
    return {
        "total": stats.sums(q, None),
        "org": stats.sums(q, "value", dim="org"),
        "days": stats.sums(q, "day"),
        "children": stats.sums(q, "child"),
    }


def test_sqlite_writes_one_copy_of_each_row(desk: Desk, net: Net) -> None:
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL spreads writers over shards")
    generate.generate(count=20, seed=5, days=10)
    assert rollup.shard() == 0
    assert not Tally.objects.filter(shard__gt=0).exists()
    assert rollup.fold() == 0


def test_readers_sum_the_copies_and_the_fold_keeps_every_sum(desk: Desk, net: Net) -> None:
    _postgresql_only()
    generate.generate(count=60, seed=3, days=20)
    before = _answers(net)
    kept = _rows()
    # copies of the county's rows for one day in three shards, as concurrent writers leave them
    day = max(Tally.objects.filter(area_path=net.county.path, dim="").values_list("day", flat=True))
    copies = [
        (
            day,
            rollup._depth(net.county.path),
            net.county.path,
            rollup.parent_of(net.county.path),
            "",
            "",
            2,
            1,
        )
    ]
    for shard in (1, 4, 8):
        rollup.add_rows(["n", "closed"], copies, shard=shard)
    assert Tally.objects.filter(shard__gt=0).count() == 3
    grown = _answers(net)
    assert grown["total"][None]["n"] == before["total"][None]["n"] + 6
    assert grown["total"][None]["closed"] == before["total"][None]["closed"] + 3
    assert grown["days"][day]["n"] == before["days"][day]["n"] + 6

    assert rollup.fold() == 1  # one shard-0 row added to
    assert not Tally.objects.filter(shard__gt=0).exists()
    assert _answers(net) == grown
    # and with the copies taken back out, every row is what it was
    rollup.add_rows(["n", "closed"], [(*copies[0][:6], -6, -3)])
    assert _rows() == kept
    assert rollup.fold() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_seeded")
def test_concurrent_intakes_spread_over_shards_and_fold_back(
    desk: Desk, people: dict[str, Any], net: Net
) -> None:
    _postgresql_only()
    start = threading.Barrier(WRITERS)
    numbers: list[str] = []
    failures: list[BaseException] = []

    def write(k: int) -> None:
        try:
            start.wait()
            for i in range(EACH):
                received = intake.take_in(
                    actor=people["county"],
                    report=intake.Report(
                        channel="hotline_12345",
                        category="garbage",
                        title=f"垃圾无人清运 {k}-{i}",
                        area_code=net.grid_a1.code,
                    ),
                )
                numbers.append(received.matter.number)
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(k,)) for k in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert len(numbers) == len(set(numbers)) == WRITERS * EACH
    assert Matter.objects.count() == WRITERS * EACH
    shards = set(Tally.objects.values_list("shard", flat=True))
    assert 0 not in shards  # writers never write shard 0 on PostgreSQL
    assert len(shards) > 1  # four connections, four server processes: at least two shards

    kept = _rows()
    assert kept[(str(rollup.day_of(timezone.now())), "/", "", "")][0] == WRITERS * EACH
    rollup.fold()
    assert set(Tally.objects.values_list("shard", flat=True)) == {0}
    assert _rows() == kept
    rollup.rebuild()
    assert _rows() == kept  # the rollup kept by the writers is the rollup rebuilt from the matters


@pytest.mark.django_db(transaction=True)
def test_open_transactions_claim_different_shards_and_keep_theirs(net: Net) -> None:
    _postgresql_only()
    claimed: dict[str, int] = {}
    holding, done = threading.Event(), threading.Event()

    def other() -> None:
        try:
            with transaction.atomic():
                claimed["other"] = rollup.shard()
                holding.set()
                done.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other)
    thread.start()
    assert holding.wait(10)
    try:
        with transaction.atomic():
            mine = rollup.shard()
            assert mine != claimed["other"]  # its shard is taken while its transaction is open
            assert rollup.shard() == mine  # a transaction's statements write one shard
            assert 1 <= mine <= rollup.SHARDS
    finally:
        done.set()
        thread.join()
    with transaction.atomic():
        assert rollup.shard() == mine  # the connection keeps to the shard it wrote last


@pytest.mark.django_db(transaction=True)
def test_a_writer_waits_for_its_own_shard_only_when_every_shard_is_claimed(net: Net) -> None:
    _postgresql_only()
    holder = connections.create_connection("default")  # another session claims every shard
    try:
        holder.set_autocommit(False)
        with holder.cursor() as cursor:
            for s in range(1, rollup.SHARDS + 1):
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [rollup.CLAIM, s])
        got: list[int] = []
        thread = threading.Thread(target=lambda: _claim_into(got))
        thread.start()
        thread.join(0.5)
        assert thread.is_alive()  # waiting: nothing free
        assert not got
        holder.rollback()  # the other session's transaction ends
        thread.join(10)
        assert len(got) == 1
        assert 1 <= got[0] <= rollup.SHARDS
    finally:
        holder.close()


def _claim_into(got: list[int]) -> None:
    try:
        with transaction.atomic():
            got.append(rollup.shard())
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_numbers_reserved_apart_are_not_handed_out_again_when_the_intake_fails(net: Net) -> None:
    _postgresql_only()
    at = timezone.now()
    path = net.grid_a1.path
    prefix = numbering.prefix_of(path, at)
    assert numbering.numbers_apart([path, path, path], at) == [f"{prefix}-00000{k}" for k in (1, 2, 3)]
    with transaction.atomic():
        inside = numbering.numbers_apart([path], at)
    assert inside is None  # inside a transaction the numbers are taken in it
    reserved = numbering.numbers_apart([path], at)
    assert reserved == [f"{prefix}-000004"]
    with pytest.raises(RuntimeError), transaction.atomic():  # the intake's write then fails
        _fail()
    assert numbering.numbers_apart([path], at) == [f"{prefix}-000005"]  # a gap at 4, never a repeat


def _fail() -> None:
    raise RuntimeError("the write failed")
