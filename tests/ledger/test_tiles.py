"""The tile layout: every complete node is stored once, where ``locate`` says; tiles only grow as the
tree grows; reading them back leaf by leaf gives the rows they were cut from."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onegrid.ledger import merkle, tiles


def leaf(i: int) -> bytes:
    return merkle.leaf_hash(b"tile %d" % i)


def grow(batches: list[int]) -> tuple[dict[int, bytes], list[tuple[int, bytes]], list[dict[int, bytes]]]:
    """Append these batches the way the log does: start each from the partial tiles alone."""
    stored: dict[int, bytes] = {}
    rows: list[tuple[int, bytes]] = []
    history = []
    size = 0
    for count in batches:
        partial = {tiles.key(lv, i): stored[tiles.key(lv, i)] for lv, i, _ in tiles.partial_tiles(size)}
        border = []
        for node in merkle.decompose(0, size):
            k, position = tiles.locate(*node)
            assert k in partial  # the border is in the partial tiles
            border.append(tiles.read(partial[k], position))
        compact = merkle.CompactRange(size, [b for b in border if b is not None])
        writer = tiles.Writer(partial)
        added = compact.append(leaf(i) for i in range(size, size + count))
        writer.add(added)
        rows += added
        size += count
        history.append(dict(stored))
        stored.update({k: bytes(v) for k, v in writer.tiles.items()})
    return stored, rows, history


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([1, 2, 7, 255, 256, 257, 1000, 3000]), min_size=1, max_size=8))
def test_every_complete_node_is_where_locate_says_and_tiles_only_grow(batches: list[int]) -> None:
    stored, _, history = grow(batches)
    size = sum(batches)
    reference = merkle.MemoryTree.from_leaf_hashes([leaf(i) for i in range(size)])
    for level, hashes in enumerate(reference.levels):
        for index, value in enumerate(hashes):
            k, position = tiles.locate(level, index)
            assert tiles.read(stored[k], position) == value
    for k, blob in stored.items():
        level, index = tiles.split_key(k)
        width = tiles.width_at(size, level, index)
        assert len(blob) == tiles.size_of(width)
        assert [blob[i : i + 32] for i in range(0, len(blob), 32)] == [
            reference.node(*n) for n in tiles.nodes_in(k, width)
        ]
    for earlier in history:
        for k, blob in earlier.items():
            assert stored[k].startswith(blob)


def test_the_bottom_of_a_tile_is_the_tlog_tiles_tile() -> None:
    stored, _, _ = grow([700])
    reference = merkle.MemoryTree.from_leaf_hashes([leaf(i) for i in range(700)])
    assert tiles.bottom(stored[tiles.key(0, 1)], 256) == b"".join(reference.levels[0][256:512])
    assert tiles.bottom(stored[tiles.key(1, 0)], 2) == b"".join(reference.levels[8][:2])
    assert tiles.size_of(256) == 32 * 510


def test_reading_back_leaf_by_leaf_gives_the_rows_and_names_what_is_missing() -> None:
    size = 66_000
    stored, rows, _ = grow([size])

    def stream(without: set[int]):  # type: ignore[no-untyped-def]
        def levels(level: int):  # type: ignore[no-untyped-def]
            for k in sorted(k for k in stored if tiles.split_key(k)[0] == level and k not in without):
                index = tiles.split_key(k)[1]
                yield index, tiles.width_at(size, level, index), stored[k]

        return levels

    assert list(tiles.leaf_rows(stream(set()))) == rows
    with pytest.raises(tiles.TileError, match="tile 0/3 is missing: the hashes of leaves 768 to 1023"):
        list(tiles.leaf_rows(stream({tiles.key(0, 3)})))
    with pytest.raises(tiles.TileError, match="tile 1/0 is missing: the hashes of leaves 0 to 65535"):
        list(tiles.leaf_rows(stream({tiles.key(1, 0)})))
    with pytest.raises(tiles.TileError, match="tile level 1 lacks the node of leaves up to 65791"):
        list(tiles.leaf_rows(stream({tiles.key(1, 1)})))
