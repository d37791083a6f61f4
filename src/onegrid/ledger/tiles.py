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

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence

from onegrid.ledger import merkle
from onegrid.ledger.merkle import HASH_SIZE, Node, completes

__all__ = [
    "HEIGHT",
    "WIDTH",
    "Cache",
    "Spot",
    "Spots",
    "TileError",
    "Writer",
    "border_spots",
    "bottom",
    "cut",
    "entries",
    "gather",
    "grow",
    "key",
    "leaf_rows",
    "length_at",
    "locate",
    "nodes_in",
    "offset",
    "partial_tiles",
    "path_spots",
    "py_gather",
    "read",
    "size_of",
    "split_key",
    "width_at",
]

HEIGHT = 8
WIDTH = 1 << HEIGHT  # entries in a full tile
_LEVEL_SHIFT = 56  # key = tile level << 56 | tile index (a tile index stays below 2^56 in a 64-bit tree)
_INDEX_BITS = (1 << _LEVEL_SHIFT) - 1


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
# _SPOT[r][j]: the byte offset in its tile of the node at in-tile level r, in-tile index j (its last entry
# is ((j + 1) << r) - 1 and it sits r hashes after that entry); _INDEX_MASK[r] keeps j of a node index.
_SPOT = [[HASH_SIZE * (_OFFSET[((j + 1) << r) - 1] + r) for j in range(WIDTH >> r)] for r in range(HEIGHT)]
_INDEX_MASK = [(WIDTH >> r) - 1 for r in range(HEIGHT)]
# _SIBLINGS[e]: the byte offsets of the 8 siblings on the path of entry e up through a full tile, bottom up
_SIBLINGS = [tuple(_SPOT[r][(e >> r) ^ 1] for r in range(HEIGHT)) for e in range(WIDTH)]
_FULL = HASH_SIZE * _OFFSET[WIDTH]  # bytes of a full tile
# _ORDER[p]: the node stored at position p of a full tile, as (in-tile level r, in-tile index j)
_ORDER = [(r, j >> r) for j in range(WIDTH) for r in range(min(completes(j), HEIGHT - 1) + 1)]


def size_of(width: int) -> int:
    """The length in bytes of a tile of ``width`` entries."""
    return HASH_SIZE * offset(width)


def length_at(tree_size: int, tile_key: int) -> int:
    """How many bytes of tile ``tile_key`` the tree of ``tree_size`` leaves has stored (0 if none)."""
    entries = (tree_size >> (HEIGHT * (tile_key >> _LEVEL_SHIFT))) - ((tile_key & _INDEX_BITS) << HEIGHT)
    return HASH_SIZE * _OFFSET[WIDTH if entries > WIDTH else entries if entries > 0 else 0]


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


Spot = tuple[int, int]  # a complete node's tile key and the byte offset of its hash in that tile
Spots = tuple[int, tuple[int, ...]]  # consecutive proof hashes from one tile: its key and their offsets


def border_spots(start: int, end: int, keys: set[int]) -> list[Spot]:
    """Where the maximal complete subtrees covering leaves ``[start, end)`` are stored, left to right
    (``merkle.decompose`` for a right border: ``start`` a multiple of a power of two ≥ ``end − start``);
    their tiles' keys are added to ``keys``."""
    out = []
    while start < end:
        level = (end - start).bit_length() - 1
        index = start >> level
        r = level & 7
        k = (level >> 3) << _LEVEL_SHIFT | index >> (HEIGHT - r)
        keys.add(k)
        out.append((k, _SPOT[r][index & _INDEX_MASK[r]]))
        start += 1 << level
    return out


def path_spots(index: int, level: int, size: int, keys: set[int]) -> list[Spots | list[Spot]]:
    """Where the hashes of the path from node ``(level, index)`` up to the root of the tree of ``size``
    leaves are stored (RFC 9162's PATH; ``merkle.inclusion_plan`` is the ``level`` 0 case), in proof
    order: runs of complete siblings in one tile, and for the one sibling on the right border (if any)
    the spots of the complete subtrees it is the fold of. The tiles' keys are added to ``keys``.

    The walk of ``merkle._path`` without building nodes, and a whole tile level at a time where the
    path crosses a full tile from its bottom (its 8 siblings are then a precomputed row of offsets): a
    proof at 10 M leaves is two such steps and 8 single levels in the partial tile on top."""
    out: list[Spots | list[Spot]] = []
    add = out.append
    last = (size - 1) >> level
    while last:
        if not level & 7 and ((index >> HEIGHT) + 1) << (level + HEIGHT) <= size:
            k = (level >> 3) << _LEVEL_SHIFT | index >> HEIGHT
            keys.add(k)
            add((k, _SIBLINGS[index & (WIDTH - 1)]))
            index >>= HEIGHT
            last >>= HEIGHT
            level += HEIGHT
            continue
        sibling = index ^ 1
        if sibling < last or (sibling == last and (sibling + 1) << level <= size):
            r = level & 7
            k = (level >> 3) << _LEVEL_SHIFT | sibling >> (HEIGHT - r)
            keys.add(k)
            add((k, (_SPOT[r][sibling & _INDEX_MASK[r]],)))
        elif sibling == last:
            add(border_spots(sibling << level, size, keys))
        index >>= 1
        last >>= 1
        level += 1
    return out


class Cache:
    """A bounded, thread-safe LRU of stored tiles by key, for proofs. A full tile never changes, and a
    partial one only ever grows into a longer tile that starts with it (the database enforces both),
    so a cached tile — of whatever width — answers for every node within its length. ``get`` serves a
    tile only if it is at least as long as the caller needs (the width the tile has at the tree size
    being proved): a partial tile cached before the log grew is read again once a proof needs its new
    part. ``max_bytes`` 0 turns the cache off."""

    __slots__ = ("_lock", "_tiles", "max_bytes", "size")

    def __init__(self, max_bytes: int) -> None:
        self._tiles: OrderedDict[int, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.max_bytes = max_bytes
        self.size = 0  # bytes of hashes held

    def __len__(self) -> int:
        return len(self._tiles)

    def __contains__(self, tile_key: int) -> bool:
        return tile_key in self._tiles

    def get(self, tile_key: int, length: int) -> bytes | None:
        """The cached tile if it holds at least ``length`` bytes (marking it recently used)."""
        blob = self._tiles.get(tile_key)
        if blob is None or len(blob) < length:
            return None
        with contextlib.suppress(KeyError):  # evicted meanwhile: still a good answer
            self._tiles.move_to_end(tile_key)
        return blob

    def lookup(self, keys: Iterable[int], tree_size: int) -> tuple[dict[int, bytes], list[int]]:
        """The cached tiles long enough for the tree of ``tree_size`` leaves, and the keys missing.
        The proofs' one call per proof; lock-free (``OrderedDict``'s lookups and ``move_to_end`` are
        each one step under the GIL; a tile evicted meanwhile is still a good answer)."""
        tiles = self._tiles
        get, touch = tiles.get, tiles.move_to_end
        found: dict[int, bytes] = {}
        missing: list[int] = []
        for k in keys:
            blob = get(k)
            if blob is None or (len(blob) != _FULL and len(blob) < length_at(tree_size, k)):
                missing.append(k)
                continue
            found[k] = blob
            try:  # noqa: SIM105 (the hot path: a with-block costs more than the lookup)
                touch(k)
            except KeyError:
                pass
        return found, missing

    def peek(self, tile_key: int) -> bytes | None:
        return self._tiles.get(tile_key)

    def put(self, tile_key: int, blob: bytes) -> None:
        """Keep ``blob`` (a tile as stored) unless a longer version is kept already; evict the least
        recently used tiles beyond ``max_bytes``."""
        if len(blob) > self.max_bytes:
            return
        with self._lock:
            tiles = self._tiles
            old = tiles.get(tile_key)
            if old is not None:
                if len(old) >= len(blob):
                    return
                self.size -= len(old)
            tiles[tile_key] = blob
            tiles.move_to_end(tile_key)
            self.size += len(blob)
            while self.size > self.max_bytes:
                _, evicted = tiles.popitem(last=False)
                self.size -= len(evicted)

    def resize(self, max_bytes: int) -> None:
        with self._lock:
            self.max_bytes = max_bytes
            while self.size > max_bytes:
                _, evicted = self._tiles.popitem(last=False)
                self.size -= len(evicted)

    def clear(self) -> None:
        with self._lock:
            self._tiles.clear()
            self.size = 0


def bottom(blob: bytes, width: int) -> bytes:
    """The tile's entries alone, concatenated: the tlog-tiles tile of that width."""
    return b"".join(blob[HASH_SIZE * offset(j) : HASH_SIZE * (offset(j) + 1)] for j in range(width))


def py_gather(
    levels: list[list[bytes]], shifts: list[int], order: list[tuple[int, int]], start: int, stop: int
) -> bytes:
    """The hashes ``levels[r][j + shifts[r]]`` for ``(r, j)`` in ``order[start:stop]``, joined."""
    return b"".join([levels[r][j + shifts[r]] for r, j in order[start:stop]])


def _gather() -> Callable[[list[list[bytes]], list[int], list[tuple[int, int]], int, int], bytes]:
    """The compiled ``gather`` along with the compiled hasher (``merkle.HASHER``), else ``py_gather``."""
    if merkle.HASHER_IS_C:
        from onegrid.ledger import _hasher

        return _hasher.gather
    return py_gather


gather = _gather()


def cut(levels: list[list[bytes]], before: int, after: int) -> dict[int, bytes]:
    """What growing the tree from ``before`` to ``after`` leaves adds to each tile: per tile key, the
    bytes to append to it (a tile new to the tree gets all of its bytes). ``levels`` are the new
    complete nodes per tree level (``merkle.CompactRange.extend``: ``levels[L]`` from node ``before
    >> L``). The layout of ``Writer``, without a row per leaf: each tile's new positions are looked up
    in the order table of a full tile and joined once."""
    out: dict[int, bytes] = {}
    empty: list[bytes] = []
    level = 0
    while HEIGHT * level < len(levels):
        base = HEIGHT * level
        lists = [levels[base + r] if base + r < len(levels) else empty for r in range(HEIGHT)]
        first, last = before >> base, after >> base  # entries of this tile level: [first, last) are new
        for index in range(first >> HEIGHT, ((last - 1) >> HEIGHT) + 1):
            a = max(0, min(WIDTH, first - (index << HEIGHT)))
            b = min(WIDTH, last - (index << HEIGHT))
            shift = [(index << (HEIGHT - r)) - (before >> (base + r)) for r in range(HEIGHT)]
            out[level << _LEVEL_SHIFT | index] = gather(lists, shift, _ORDER, _OFFSET[a], _OFFSET[b])
        level += 1
    return out


def _extend_tiles() -> (
    Callable[[list[bytes], int, Sequence[bytes]], tuple[list[bytes], dict[int, bytes]]] | None
):
    """The compiled ``extend_tiles`` along with the compiled hasher (``merkle.HASHER``), else None."""
    if merkle.HASHER_IS_C:
        from onegrid.ledger import _hasher

        return _hasher.extend_tiles
    return None


extend_tiles = _extend_tiles()


def grow(border: merkle.CompactRange, leaf_hashes: Sequence[bytes]) -> dict[int, bytes]:
    """Add a batch of leaf hashes to the tree whose right border is ``border`` (updated in place) and
    return what the batch adds to each tile: ``cut(border.extend(leaf_hashes), …)``. With the compiled
    hasher that is one call (``_hasher.extend_tiles``), each tree level in one buffer instead of a list
    of bytes objects, and the tiles cut from those buffers. Same bytes either way."""
    before = border.size
    if extend_tiles is None:
        return cut(border.extend(leaf_hashes), before, border.size)
    hashes, parts = extend_tiles(border.hashes, before, leaf_hashes)
    border.hashes, border.size = hashes, before + len(leaf_hashes)
    return parts


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
