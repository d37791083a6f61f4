"""The in-process cache of stored tiles that proofs read through: bounded, never stale after the log
grows, the same proofs with and without it, filled only from committed tiles, forgotten when the
database is reset under the process, and never in the way of the checks that catch a changed tile.

The tests through the log commit (``transaction=True``): the cache is filled only from reads outside a
transaction."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from tests.factories import Net

from onegrid.audit.maintenance import set_maintenance
from onegrid.audit.models import AuditRecord
from onegrid.ledger import anchoring, log, merkle, tiles, verify
from onegrid.ledger.models import AuditAnchor, Tile

FULL = tiles.size_of(tiles.WIDTH)
BIG = 70_000


def leaf(i: int) -> bytes:
    return merkle.leaf_hash(b"cached %d" % i)


def append(start: int, count: int, offset: int = 0) -> None:
    with log.writing() as head:
        log.append(head, [leaf(offset + i) for i in range(start, start + count)])


def sql(statement: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


_BIG: dict[str, object] = {}


def reference(size: int) -> merkle.MemoryTree:
    """The in-memory tree of the first ``size`` leaves (cut from one tree of BIG leaves)."""
    if "tree" not in _BIG:
        _BIG["tree"] = merkle.MemoryTree.from_leaf_hashes([leaf(i) for i in range(BIG)])
    big = _BIG["tree"]
    assert isinstance(big, merkle.MemoryTree)
    tree = merkle.MemoryTree()
    tree.levels = [level[: size >> lv] for lv, level in enumerate(big.levels) if size >> lv]
    return tree


def stored_tiles(size: int) -> dict[int, bytes]:
    """The stored tiles of the first ``size`` leaves: prefixes of those of the tree of BIG leaves."""
    if "tiles" not in _BIG:
        writer = tiles.Writer()
        writer.add(merkle.CompactRange().append(leaf(i) for i in range(BIG)))
        _BIG["tiles"] = {k: bytes(v) for k, v in writer.tiles.items()}
    every = _BIG["tiles"]
    assert isinstance(every, dict)
    return {k: blob[: tiles.length_at(size, k)] for k, blob in every.items() if tiles.length_at(size, k)}


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    log.tile_cache.clear()
    yield
    log.tile_cache.resize(settings.LEDGER_TILE_CACHE_MB << 20)
    log.tile_cache.clear()


# ------------------------------------------------------------------------------------- the cache alone


def test_the_cache_is_bounded_and_evicts_the_least_recently_used() -> None:
    cache = tiles.Cache(3 * FULL)
    blobs = {k: bytes([k]) * FULL for k in range(5)}
    for k in range(3):
        cache.put(k, blobs[k])
    assert cache.get(0, FULL) == blobs[0]  # 0 is now the most recently used: 1 goes first
    cache.put(3, blobs[3])
    assert 1 not in cache
    assert [k in cache for k in (0, 2, 3)] == [True, True, True]
    cache.put(4, blobs[4])
    assert 2 not in cache
    assert len(cache) == 3
    assert cache.size == 3 * FULL <= cache.max_bytes
    cache.put(9, bytes(4 * FULL))  # larger than the whole cache: not kept, nothing evicted for it
    assert 9 not in cache
    assert len(cache) == 3
    cache.resize(FULL)
    assert len(cache) == 1
    assert cache.size == FULL
    cache.resize(0)
    cache.put(7, blobs[0][:64])
    assert len(cache) == 0


def test_a_tile_is_served_only_when_it_is_long_enough_and_never_replaced_by_a_shorter_one() -> None:
    cache = tiles.Cache(10 * FULL)
    short, longer = bytes(range(64)), bytes(range(64)) + bytes(96)
    cache.put(1, short)
    assert cache.get(1, 64) == short
    assert cache.get(1, 96) is None  # a proof at a larger tree size needs more of this tile
    cache.put(1, longer)
    cache.put(1, short)
    assert cache.peek(1) == longer
    assert cache.size == len(longer)
    found, missing = cache.lookup([1, 2], tree_size=300)  # tile 0/1 has 44 entries at 300 leaves
    assert found == {}
    assert sorted(missing) == [1, 2]
    found, missing = cache.lookup([1], tree_size=258)  # ... and 2 at 258: 3 hashes, fewer than kept
    assert found == {1: longer}
    assert missing == []


def test_the_cache_keeps_its_accounts_under_concurrent_use() -> None:
    cache = tiles.Cache(20 * 64)
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(3000):
                k = rng.randrange(50)
                if rng.random() < 0.5:
                    cache.put(k, bytes([k]) * 32 * rng.randrange(1, 4))
                else:
                    blob = cache.get(k, 32)
                    assert blob is None or blob[:1] == bytes([k])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert cache.size == sum(len(cache.peek(k) or b"") for k in range(50)) <= cache.max_bytes


@hypothesis_settings(max_examples=60, deadline=None)
@given(st.integers(1, BIG), st.data())
def test_the_tile_walk_finds_the_hashes_of_the_proofs(size: int, data: st.DataObject) -> None:
    stored = stored_tiles(size)
    tree = reference(size)
    index = data.draw(st.integers(0, size - 1))
    first = data.draw(st.integers(1, size))

    def resolve(spots: list[tiles.Spots | list[tiles.Spot]]) -> list[bytes]:
        out = []
        for spot in spots:
            if isinstance(spot, tuple):
                out += [stored[spot[0]][o : o + 32] for o in spot[1]]
            else:
                out.append(merkle.fold([stored[k][o : o + 32] for k, o in spot]))
        return out

    keys: set[int] = set()
    assert resolve(tiles.path_spots(index, 0, size, keys)) == tree.inclusion_proof(index, size)
    assert keys <= stored.keys()
    if first < size:
        level = (first & -first).bit_length() - 1
        node = (first - 1) >> level
        proof = resolve(tiles.path_spots(node, level, size, set()))
        if node:  # the log sends the old tree's own subtree root first
            k, position = tiles.locate(level, node)
            proof.insert(0, tiles.read(stored[k], position) or b"")
        assert proof == tree.consistency_proof(first, size)
    border = tiles.border_spots(0, size, set())
    assert merkle.fold([stored[k][o : o + 32] for k, o in border]) == tree.root(size)


# ---------------------------------------------------------------------------------- through the log


@pytest.mark.django_db(transaction=True)
def test_a_proof_fills_the_cache_and_the_next_one_reads_nothing(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    append(0, 1000)
    with django_assert_num_queries(1):
        proof = log.inclusion_proof(10, 1000)
    assert len(log.tile_cache.peek(tiles.key(0, 0)) or b"") == FULL
    with django_assert_num_queries(0):
        assert log.inclusion_proof(10, 1000) == proof
        assert log.inclusion_proof(200, 1000) == reference(1000).inclusion_proof(200, 1000)
        assert log.root(1000) == reference(1000).root(1000)


@pytest.mark.django_db(transaction=True)
def test_a_cached_partial_tile_is_not_served_stale_after_the_log_grows() -> None:
    append(0, 300)  # tile 0/1 has 44 entries
    before = reference(300)
    assert log.inclusion_proof(290, 300) == before.inclusion_proof(290, 300)
    k = tiles.key(0, 1)
    assert len(log.tile_cache.peek(k) or b"") == tiles.size_of(44)
    append(300, 100)  # ... and now 144
    after = reference(400)
    for index in (0, 255, 256, 299, 300, 350, 399):
        assert log.inclusion_proof(index, 400) == after.inclusion_proof(index, 400)
    for first in (1, 44, 300, 301, 399):
        assert log.consistency_proof(first, 400) == after.consistency_proof(first, 400)
    assert log.root(400) == after.root(400)
    assert len(log.tile_cache.peek(k) or b"") == tiles.size_of(144)
    assert log.inclusion_proof(290, 300) == before.inclusion_proof(
        290, 300
    )  # an older size, from the longer tile


@pytest.mark.django_db(transaction=True)
def test_proofs_are_the_same_with_and_without_the_cache() -> None:
    start = 0
    sizes = []
    for count in (1, 255, 700, 1, 3000, 66_000):
        append(start, count)
        start += count
        sizes.append(start)
    rng = random.Random(11)
    asked = [(size, rng.randrange(size), rng.randrange(1, size + 1)) for size in sizes for _ in range(40)]

    def answers() -> list[tuple[list[bytes], list[bytes], bytes]]:
        return [(log.inclusion_proof(i, n), log.consistency_proof(m, n), log.root(n)) for n, i, m in asked]

    filling = answers()
    assert len(log.tile_cache) > 0
    warm = answers()
    log.tile_cache.resize(0)
    uncached = answers()
    assert len(log.tile_cache) == 0
    tree = reference(start)
    expected = [(tree.inclusion_proof(i, n), tree.consistency_proof(m, n), tree.root(n)) for n, i, m in asked]
    assert filling == warm == uncached == expected


@pytest.mark.django_db(transaction=True)
def test_the_cache_stays_within_its_bound() -> None:
    append(0, 5000)
    log.tile_cache.resize(4 * FULL)
    for index in range(0, 5000, 37):
        assert log.inclusion_proof(index, 5000) == reference(5000).inclusion_proof(index, 5000)
        assert log.tile_cache.size <= 4 * FULL
    assert len(log.tile_cache) >= 3


def test_the_default_size_comes_from_the_setting() -> None:
    assert log.tile_cache.max_bytes == settings.LEDGER_TILE_CACHE_MB << 20 > 0


@pytest.mark.django_db(transaction=True)
def test_tiles_read_inside_a_transaction_are_not_cached() -> None:
    """Inside a transaction a tile may be the writer's own, not yet committed (and a rollback takes it
    back), so only reads in autocommit fill the cache."""
    append(0, 300)
    with transaction.atomic():
        assert log.inclusion_proof(3, 300) == reference(300).inclusion_proof(3, 300)
    assert len(log.tile_cache) == 0
    log.inclusion_proof(3, 300)
    assert len(log.tile_cache) > 0


@pytest.mark.django_db(transaction=True)
def test_a_database_reset_under_the_process_does_not_serve_the_old_tree() -> None:
    append(0, 600)
    log.inclusion_proof(5, 600)
    assert tiles.key(0, 0) in log.tile_cache
    set_maintenance(True)
    try:
        for table in ("ledger_tile", "ledger_checkpoint", "ledger_head"):
            sql(f"DELETE FROM {table}")  # noqa: S608
    finally:
        set_maintenance(False)
    append(0, 600, offset=10**6)  # another tree in the same places: the writer sees the cache is of another
    assert tiles.key(0, 0) not in log.tile_cache
    other = merkle.MemoryTree.from_leaf_hashes([leaf(10**6 + i) for i in range(600)])
    assert log.inclusion_proof(5, 600) == other.inclusion_proof(5, 600)


@pytest.mark.django_db(transaction=True)
def test_a_flush_empties_the_cache() -> None:
    append(0, 600)
    log.inclusion_proof(5, 600)
    assert len(log.tile_cache) > 0
    set_maintenance(True)  # the append-only triggers let nothing else empty the tables
    try:
        call_command("flush", interactive=False, verbosity=0)
    finally:
        set_maintenance(False)
    assert len(log.tile_cache) == 0


@pytest.mark.django_db(transaction=True)
def test_a_changed_stored_tile_is_caught_by_the_checks_though_proofs_have_it_cached(net: Net) -> None:
    anchoring.anchor_all()
    size = log.size()
    for index in range(size):  # every tile of the tree is now cached
        log.inclusion_proof(index, size)
    victim = AuditRecord.objects.order_by("id")[3]
    index = int(AuditAnchor.objects.get(audit_id=victim.pk).index)
    k, position = tiles.locate(0, index)
    assert k in log.tile_cache
    blob = bytes(Tile.objects.get(key=k).hashes)
    set_maintenance(True)
    try:
        sql(
            "UPDATE ledger_tile SET hashes = %s WHERE key = %s",
            [blob[: 32 * position] + bytes(32) + blob[32 * position + 32 :], k],
        )
    finally:
        set_maintenance(False)
    assert [audit_id for audit_id, _ in verify.check_audit().changed] == [victim.pk]
    assert any("is not the hash of its children" in p.message for p in verify.check_log().problems)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("audit", "verify", stdout=out)
    assert "1 changed" in out.getvalue()
