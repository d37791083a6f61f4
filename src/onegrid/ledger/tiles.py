"""Tiled storage of the tree's hashes: the layout, the writer and the reader. Pure, without Django.

The tiling is the one of C2SP tlog-tiles: tiles of height 8, so the tile of *tile level* ``T`` and
index ``t`` spans tree levels ``8T`` to ``8T+7`` over the leaves ``[t·2^(8T+8), (t+1)·2^(8T+8))``, and
its *entries* are the up to 256 complete nodes of tree level ``8T`` there (leaf hashes at tile level
0). A tile is *full* at 256 entries and never changes again; the last tile of each level is
*partial* and only grows.

Unlike a tlog-tiles tile, which holds only its 256 entries, a stored tile also holds the complete
nodes above them inside the tile (tree levels ``8T+1`` to ``8T+7``, 254 more hashes when full), so
a proof slices stored hashes instead of rehashing up to 128 of them per proof node. The hashes are
kept in the order they come into existence: each entry followed by the roots of the in-tile
subtrees it completes, bottom up (``merkle.CompactRange.append``'s rows, cut at tile boundaries).
A longer tile therefore starts with every shorter version of itself, which is what lets the database
check that a partial tile is only ever extended. The tlog-tiles tile is ``bottom(hashes, width)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from onegrid.ledger.merkle import HASH_SIZE, Node, completes

__all__ = [
    "HEIGHT",
    "WIDTH",
    "TileError",
    "Writer",
    "bottom",
    "entries",
    "key",
    "leaf_rows",
    "locate",
    "nodes_in",
    "offset",
    "partial_tiles",
    "read",
    "size_of",
    "split_key",
    "width_at",
]

HEIGHT = 8
WIDTH = 1 << HEIGHT  # entries in a full tile
_LEVEL_SHIFT = 56  # key = tile level << 56 | tile index (a tile index stays below 2^56 in a 64-bit tree)


class TileError(ValueError):
    """A stored tile is missing, out of place or not as long as its width says."""


def key(level: int, index: int) -> int:
    """The primary key of tile ``index`` of tile level ``level``."""
    return level << _LEVEL_SHIFT | index


def split_key(tile_key: int) -> tuple[int, int]:
    return tile_key >> _LEVEL_SHIFT, tile_key & ((1 << _LEVEL_SHIFT) - 1)


def offset(entry: int) -> int:
    """How many hashes a tile stores before its entry ``entry`` (so ``offset(width)`` is its length):
    the entries before it and, at each in-tile level r = 1…7, the ``entry >> r`` nodes they completed."""
    return (
        entry
        + (entry >> 1)
        + (entry >> 2)
        + (entry >> 3)
        + (entry >> 4)
        + (entry >> 5)
        + (entry >> 6)
        + (entry >> 7)
    )


_OFFSET = [offset(j) for j in range(WIDTH + 1)]


def size_of(width: int) -> int:
    """The length in bytes of a tile of ``width`` entries."""
    return HASH_SIZE * offset(width)


def locate(level: int, index: int) -> tuple[int, int]:
    """Where the complete node ``(level, index)`` is stored: the tile's key and the hash's position
    in it. The node comes into existence with its last entry in the tile, right after it at slot
    ``level mod 8``."""
    r = level & 7
    below = HEIGHT - r
    return (level >> 3) << _LEVEL_SHIFT | index >> below, _OFFSET[
        (((index & ((1 << below) - 1)) + 1) << r) - 1
    ] + r


def read(blob: bytes, position: int) -> bytes | None:
    """The hash at ``position`` of a stored tile, None if the tile is not that long."""
    end = HASH_SIZE * (position + 1)
    return blob[end - HASH_SIZE : end] if len(blob) >= end else None


def width_at(tree_size: int, level: int, index: int) -> int:
    """How many entries tile ``(level, index)`` has in the tree of ``tree_size`` leaves (0 to 256)."""
    return max(0, min(WIDTH, (tree_size >> (HEIGHT * level)) - (index << HEIGHT)))


def partial_tiles(tree_size: int) -> list[tuple[int, int, int]]:
    """The partial tile of each tile level of the tree of ``tree_size`` leaves: (level, index, width).
    They hold the tree's right border: every maximal complete subtree of ``decompose(0, tree_size)``."""
    out = []
    level = 0
    while tree_size >> (HEIGHT * level):
        entries = tree_size >> (HEIGHT * level)
        if entries & (WIDTH - 1):
            out.append((level, entries >> HEIGHT, entries & (WIDTH - 1)))
        level += 1
    return out


def bottom(blob: bytes, width: int) -> bytes:
    """The tile's entries alone, concatenated: the tlog-tiles tile of that width."""
    return b"".join(blob[HASH_SIZE * offset(j) : HASH_SIZE * (offset(j) + 1)] for j in range(width))


class Writer:
    """Cuts ``CompactRange.append``'s per-leaf rows into tiles. Start it with the partial tiles of the
    tree it grows (``partial_tiles``, their stored bytes); ``tiles`` then holds every tile the rows
    touched, extended, and ``full`` the keys of those that reached 256 entries."""

    __slots__ = ("full", "tiles")

    def __init__(self, partial: dict[int, bytes] | None = None) -> None:
        self.tiles: dict[int, bytearray] = {k: bytearray(v) for k, v in (partial or {}).items()}
        self.full: list[int] = []

    def add(self, rows: Iterable[tuple[int, bytes]]) -> None:
        tiles = self.tiles
        chunk = HASH_SIZE * HEIGHT
        for leaf, row in rows:
            if len(row) < chunk:  # most leaves: what they complete stays inside their level-0 tile
                tile = tiles.get(leaf >> HEIGHT)
                if tile is None:
                    tiles[leaf >> HEIGHT] = bytearray(row)
                else:
                    tile += row
                continue
            level = 0
            while level * chunk < len(row):
                entry = leaf >> (HEIGHT * level)
                k = key(level, entry >> HEIGHT)
                part = row[level * chunk : level * chunk + chunk]
                tile = tiles.get(k)
                if tile is None:
                    tiles[k] = bytearray(part)
                else:
                    tile += part
                if entry & (WIDTH - 1) == WIDTH - 1:
                    self.full.append(k)
                level += 1

    def take_full(self) -> list[tuple[int, bytes]]:
        """Remove and return the tiles that are full (for streaming a large build)."""
        out = [(k, bytes(self.tiles.pop(k))) for k in self.full]
        self.full = []
        return out


def entries(level: int, tiles: Iterable[tuple[int, int, bytes]]) -> Iterator[bytes]:
    """The stored hashes of consecutive tiles ``(index, width, bytes)`` of one tile level, entry by
    entry (each entry with the in-tile nodes it completes). Raises TileError at a gap, a partial tile
    before the last, or a tile whose length is not that of its width."""
    last_width = WIDTH
    for expected, (index, width, blob) in enumerate(tiles):
        if index != expected:
            raise TileError(f"tile {level}/{expected} is missing: {_span(level, expected)}")
        if last_width != WIDTH:
            raise TileError(f"tile {level}/{index - 1} is partial ({last_width} entries) but is not the last")
        if not 0 < width <= WIDTH or len(blob) != size_of(width):
            raise TileError(
                f"tile {level}/{index} has {len(blob)} bytes of hashes for {width} entries, not {size_of(width)}"
            )
        position = 0
        for j in range(width):
            count = 1 + min(completes(j), HEIGHT - 1)
            yield blob[HASH_SIZE * position : HASH_SIZE * (position + count)]
            position += count
        last_width = width


def _span(level: int, index: int) -> str:
    first = index << (HEIGHT * (level + 1))
    last = ((index + 1) << (HEIGHT * (level + 1))) - 1
    return f"the hashes of leaves {first} to {last}"


def leaf_rows(stream: Callable[[int], Iterator[tuple[int, int, bytes]]]) -> Iterator[tuple[int, bytes]]:
    """The per-leaf rows (leaf hash, then the roots of the complete subtrees the leaf completes) of
    the tree stored in tiles, in leaf order; ``stream(level)`` gives that level's tiles in order.
    The inverse of ``Writer``. Raises TileError where the stored tiles do not fit together."""
    levels: list[Iterator[bytes]] = [entries(0, stream(0))]
    size = 0
    for leaf, row in enumerate(levels[0]):
        merges = completes(leaf)
        level = 1
        while HEIGHT * level <= merges:
            if level == len(levels):
                levels.append(entries(level, stream(level)))
            more = next(levels[level], None)
            if more is None:
                raise TileError(
                    f"tile level {level} lacks the node of leaves up to {leaf}: its tile is missing"
                )
            row += more
            level += 1
        size = leaf + 1
        yield leaf, row
    levels.append(entries(len(levels), stream(len(levels))))  # the level above must be empty
    for level in range(1, len(levels)):
        if next(levels[level], None) is not None:
            raise TileError(f"tile level {level} holds nodes beyond the {size} leaves of tile level 0")


def nodes_in(tile_key: int, width: int) -> list[Node]:
    """The complete nodes a tile of ``width`` entries holds, in stored order (for tests and checks)."""
    level, index = split_key(tile_key)
    out: list[Node] = []
    base = HEIGHT * level
    for j in range(width):
        entry = (index << HEIGHT) + j
        out.append((base, entry))
        for r in range(1, min(completes(j), HEIGHT - 1) + 1):
            out.append((base + r, entry >> r))
    return out
