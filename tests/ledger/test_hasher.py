"""The batch hasher: the compiled one (``onegrid.ledger._hasher``, OpenSSL's SHA-256) and the pure-Python
one give the same bytes as RFC 9162's definitions, for whatever batch, and refuse the same bad input.

Known answers from shared/reference/evidence-anchors.md §2 (transparency-dev/merkle rfc6962_test.go and
testonly/constants.go, encoded by hand in test_merkle.py). The compiled module is built by
hatch_build.py at install time; where this machine has a compiler and the headers it must be there.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import random
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onegrid.ledger import merkle, tiles

from .test_merkle import LEAVES, NODES, ROOTS

ROOT = Path(__file__).resolve().parents[2]

try:
    from onegrid.ledger import _hasher

    compiled: ModuleType | None = _hasher
except ImportError:
    compiled = None

Hasher = tuple[Callable[[Iterable[bytes]], list[bytes]], Callable[[Iterable[bytes]], list[bytes]]]
PYTHON: Hasher = (merkle.py_leaf_hashes, merkle.py_parents)
HASHERS = [pytest.param(PYTHON, id="python")]
if compiled is not None:
    HASHERS.append(pytest.param((compiled.leaf_hashes, compiled.parents), id="c"))
needs_c = pytest.mark.skipif(compiled is None, reason="the C batch hasher is not built here")


def leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _can_build() -> bool:
    include = sysconfig.get_paths()["include"]
    return (
        bool(shutil.which("cc") or shutil.which("gcc"))
        and Path(include, "Python.h").exists()
        and Path("/usr/include/openssl/sha.h").exists()
    )


def test_the_compiled_hasher_is_built_and_used_where_the_machine_can_build_it() -> None:
    if not _can_build():
        pytest.skip("no C compiler, Python headers or OpenSSL headers here: the pure-Python path is tested")
    assert compiled is not None, "hatch_build.py should have built onegrid.ledger._hasher on this machine"
    if os.environ.get("ONEGRID_LEDGER_HASHER", "").lower() != "python":
        assert merkle.HASHER_IS_C
        assert merkle.leaf_hashes is compiled.leaf_hashes
        assert merkle.parents is compiled.parents
        assert "OpenSSL" in merkle.HASHER


# ------------------------------------------------------------------------------------ known answers


@pytest.mark.parametrize("hasher", HASHERS)
def test_known_answers(hasher: Hasher) -> None:
    leaf_hashes, parents = hasher
    assert leaf_hashes([b"", b"L123456", bytes.fromhex("101112131415161718191a1b1c1d1e1f")]) == [
        bytes.fromhex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        bytes.fromhex("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"),
        bytes.fromhex("3bfb960453ebaebf33727da7a1f4db38acc051d381b6da20d6d4e88f0eabfd7a"),
    ]
    assert parents([bytes(range(32)), bytes(range(32, 64))]) == [
        bytes.fromhex("1a378704c17da31e2d05b6d121c2bb2c7d76f6ee6fa8f983e596c2d034963c57")
    ]
    # the canonical 8-leaf tree, level by level
    level = leaf_hashes(LEAVES)
    for lv in range(4):
        assert [x.hex() for x in level] == [NODES[lv, i] for i in range(8 >> lv)]
        level = parents(level)
    assert level == []


@pytest.mark.parametrize("hasher", HASHERS)
def test_the_canonical_roots_through_the_batch_append(
    hasher: Hasher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(merkle, "leaf_hashes", hasher[0])
    monkeypatch.setattr(merkle, "parents", hasher[1])
    for n in range(1, 9):
        compact = merkle.CompactRange()
        compact.extend(merkle.leaf_hashes(LEAVES[:n]))
        assert compact.root().hex() == ROOTS[n]
        assert merkle.MemoryTree.from_leaf_hashes(merkle.leaf_hashes(LEAVES[:n])).root().hex() == ROOTS[n]


# ----------------------------------------------------------------------------- C equals pure Python


@needs_c
@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=80))
def test_leaf_hashes_agree_on_any_batch(entries: list[bytes]) -> None:
    assert compiled is not None
    expected = [leaf(e) for e in entries]
    assert compiled.leaf_hashes(entries) == expected
    assert merkle.py_leaf_hashes(entries) == expected
    assert compiled.leaf_hashes(tuple(entries)) == expected
    assert compiled.leaf_hashes(iter(entries)) == expected


@needs_c
@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(min_size=32, max_size=32), max_size=65))
def test_parents_agree_on_any_level_odd_or_even(hashes: list[bytes]) -> None:
    assert compiled is not None
    expected = [node(hashes[i], hashes[i + 1]) for i in range(0, len(hashes) - 1, 2)]
    assert compiled.parents(hashes) == expected
    assert merkle.py_parents(hashes) == expected
    assert compiled.parents(iter(hashes)) == expected


@needs_c
@settings(max_examples=60, deadline=None)
@given(st.integers(0, 5000), st.integers(1, 1500))
def test_batch_appends_build_the_same_tree_either_way(start: int, count: int) -> None:
    assert compiled is not None
    before = merkle.py_leaf_hashes(i.to_bytes(4, "big") for i in range(start))
    batch = [i.to_bytes(4, "big") for i in range(start, start + count)]
    results = []
    for leaf_hashes, parents in (PYTHON, (compiled.leaf_hashes, compiled.parents)):
        reference = merkle.CompactRange()
        reference.append(before)
        compact = merkle.CompactRange(reference.size, reference.hashes)
        saved = merkle.parents
        merkle.parents = parents  # extend() looks the name up on each call
        try:
            levels = compact.extend(leaf_hashes(batch))
        finally:
            merkle.parents = saved
        results.append((levels, compact.hashes, compact.root()))
    assert results[0] == results[1]
    reference.append(merkle.py_leaf_hashes(batch))
    assert results[1][2] == reference.root()


@pytest.mark.parametrize("hasher", HASHERS)
def test_empty_and_single_inputs(hasher: Hasher) -> None:
    leaf_hashes, parents = hasher
    assert leaf_hashes([]) == []
    assert leaf_hashes(()) == []
    assert parents([]) == []
    assert parents([bytes(32)]) == []  # an odd last hash has no pair


@pytest.mark.parametrize("hasher", HASHERS)
def test_large_entries(hasher: Hasher) -> None:
    big = [os.urandom(5 << 20), b"x" * (1 << 20) + b"y", bytes(64)]
    assert hasher[0](big) == [leaf(e) for e in big]


@pytest.mark.parametrize("hasher", HASHERS)
def test_byte_likes_hash_as_their_bytes(hasher: Hasher) -> None:
    leaf_hashes, parents = hasher
    data = [b"abc", b"0123456789" * 7]
    assert leaf_hashes([bytearray(d) for d in data]) == leaf_hashes(data) == [leaf(d) for d in data]
    assert leaf_hashes([memoryview(d) for d in data]) == leaf_hashes(data)
    pair = [os.urandom(32), os.urandom(32)]
    assert parents([bytearray(pair[0]), memoryview(pair[1])]) == parents(pair) == [node(*pair)]


BAD_ENTRIES = [["text"], [b"ok", 7], [None], [b"ok", [b"nested"]], [3.5]]


@pytest.mark.parametrize("hasher", HASHERS)
@pytest.mark.parametrize("entries", BAD_ENTRIES, ids=repr)
def test_what_is_not_bytes_is_a_type_error(hasher: Hasher, entries: list[object]) -> None:
    with pytest.raises(TypeError):
        hasher[0](entries)  # type: ignore[arg-type]


@pytest.mark.parametrize("hasher", HASHERS)
def test_bad_levels_are_refused(hasher: Hasher) -> None:
    leaf_hashes, parents = hasher
    with pytest.raises(TypeError):
        leaf_hashes(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parents(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parents([bytes(32), "x" * 32])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        parents([None, bytes(32)])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="hash 1 is 31 bytes"):
        parents([bytes(32), bytes(31)])
    with pytest.raises(ValueError, match="hash 2 is 33 bytes"):
        parents([bytes(32), bytes(32), bytes(33), bytes(32)])


@needs_c
def test_the_compiled_hasher_keeps_its_references_straight() -> None:
    assert compiled is not None
    entries = [os.urandom(40) for _ in range(50)]
    hashes = [os.urandom(32) for _ in range(50)]
    counts = [sys.getrefcount(x) for x in entries + hashes]
    for _ in range(200):
        compiled.leaf_hashes(entries)
        compiled.parents(hashes)
        with pytest.raises(TypeError):
            compiled.leaf_hashes([*entries, "bad"])
        with pytest.raises(ValueError, match="not 32"):
            compiled.parents([*hashes, b"short", b"x" * 32])
        compiled.extend_tiles(hashes[:3], 7, hashes)
        with pytest.raises(ValueError, match="not 32"):
            compiled.extend_tiles(hashes[:3], 7, [*hashes, b"short"])
        with pytest.raises(TypeError):
            compiled.extend_tiles(hashes[:2], 3, [*hashes, "bad"])
    assert [sys.getrefcount(x) for x in entries + hashes] == counts
    border, parts = compiled.extend_tiles(hashes[:3], 7, hashes)
    assert [sys.getrefcount(h) for h in border] == [sys.getrefcount(h) for h in merkle.py_leaf_hashes(border)]
    copies = {k: bytes(bytearray(v)) for k, v in parts.items()}  # held by a dict only
    assert [sys.getrefcount(v) for v in parts.values()] == [sys.getrefcount(v) for v in copies.values()]
    ours, theirs = compiled.leaf_hashes(entries), merkle.py_leaf_hashes(entries)
    assert [sys.getrefcount(h) for h in ours] == [sys.getrefcount(h) for h in theirs]  # held by the list only


# ------------------------------------------------------------------------------- choice and build


def _hasher_in_a_fresh_process(env: dict[str, str], code: str = "") -> str:
    script = f"{code}\nfrom onegrid.ledger import merkle\nprint(merkle.HASHER)"
    done = subprocess.run(
        [sys.executable, "-c", script], env={**os.environ, **env}, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_the_environment_can_choose_pure_python() -> None:
    said = _hasher_in_a_fresh_process({"ONEGRID_LEDGER_HASHER": "python"})
    assert said.startswith("Python (hashlib)")
    assert "ONEGRID_LEDGER_HASHER" in said


def test_without_the_compiled_module_the_ledger_hashes_in_python() -> None:
    said = _hasher_in_a_fresh_process(
        {"ONEGRID_LEDGER_HASHER": ""}, "import sys; sys.modules['onegrid.ledger._hasher'] = None"
    )
    assert said == "Python (hashlib): the C batch hasher was not built at install"


def _build_hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("onegrid_hatch_build", ROOT / "hatch_build.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_build_gives_up_cleanly_without_a_compiler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = _build_hook()
    monkeypatch.setenv("CC", "no-such-compiler")
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing to find there
    monkeypatch.setattr(
        hook.sysconfig, "get_config_var", lambda name: "/no/such/gcc" if name == "CC" else None
    )
    assert hook.build(ROOT, tmp_path / "_hasher.so") == "no C compiler found (set CC, or install gcc)"
    assert not (tmp_path / "_hasher.so").exists()


def test_the_build_gives_up_cleanly_when_the_compiler_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = _build_hook()
    monkeypatch.setenv("CC", shutil.which("false") or "/bin/false")
    why = hook.build(ROOT, tmp_path / "_hasher.so")
    assert why is not None
    assert "failed" in why
    assert not (tmp_path / "_hasher.so").exists()


def test_the_build_makes_a_module_that_loads_and_checks(tmp_path: Path) -> None:
    if not _can_build():
        pytest.skip("no C compiler, Python headers or OpenSSL headers here")
    hook = _build_hook()
    out = tmp_path / ("_hasher" + sysconfig.get_config_var("EXT_SUFFIX"))
    assert hook.build(ROOT, out) is None
    spec = importlib.util.spec_from_file_location("onegrid.ledger._hasher", out)
    assert spec is not None
    assert spec.loader is not None
    fresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fresh)
    assert fresh.leaf_hashes(LEAVES) == merkle.py_leaf_hashes(LEAVES)


# ------------------------------------------------------------------------------ gathering a tile


@st.composite
def gathers(draw: st.DrawFn) -> tuple[list[list[bytes]], list[int], list[tuple[int, int]], int, int]:
    depth = draw(st.integers(1, 8))
    levels = [[os.urandom(32) for _ in range(draw(st.integers(0, 12)))] for _ in range(depth)]
    shifts = [draw(st.integers(-5, 5)) for _ in range(depth)]
    order = [
        (r, i - shifts[r])
        for r in draw(st.lists(st.sampled_from([r for r in range(depth) if levels[r]] or [0]), max_size=40))
        if levels[r]
        for i in [draw(st.integers(0, len(levels[r]) - 1))]
    ]
    start = draw(st.integers(0, len(order)))
    return levels, shifts, order, start, draw(st.integers(start, len(order)))


@needs_c
@settings(max_examples=300, deadline=None)
@given(gathers())
def test_gather_agrees_with_python(
    case: tuple[list[list[bytes]], list[int], list[tuple[int, int]], int, int],
) -> None:
    assert compiled is not None
    assert compiled.gather(*case) == tiles.py_gather(*case)


@needs_c
def test_gather_refuses_what_is_not_a_level_of_hashes() -> None:
    assert compiled is not None
    h = os.urandom(32)
    with pytest.raises(IndexError):
        compiled.gather([[h]], [0], [(0, 1)], 0, 1)  # past the level's end
    with pytest.raises(IndexError):
        compiled.gather([[h]], [0], [(0, -1)], 0, 1)  # no wrapping around, unlike a list
    with pytest.raises(IndexError):
        compiled.gather([[h]], [0], [(1, 0)], 0, 1)  # no such level
    with pytest.raises(IndexError):
        compiled.gather([[h]], [0], [(0, 0)], 0, 2)  # stop beyond the order
    with pytest.raises(TypeError):
        compiled.gather([[b"short"]], [0], [(0, 0)], 0, 1)
    with pytest.raises(TypeError):
        compiled.gather([["x" * 32]], [0], [(0, 0)], 0, 1)  # type: ignore[list-item]
    with pytest.raises(TypeError):
        compiled.gather([[h]], [0], [[0, 0]], 0, 1)  # type: ignore[list-item]
    with pytest.raises(TypeError):
        compiled.gather([[h]], [0], [(0, "0")], 0, 1)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="one shift per level"):
        compiled.gather([[h]], [], [(0, 0)], 0, 1)
    with pytest.raises(TypeError):
        compiled.gather((h,), [0], [(0, 0)], 0, 1)  # type: ignore[arg-type]


def _stored(
    before: int, count: int
) -> tuple[list[bytes], merkle.CompactRange, tiles.Writer, dict[int, bytes], merkle.CompactRange]:
    """The reference for ``count`` entries appended to a tree of ``before``, in pure Python: the
    entries, the whole tree's range and tile writer, the tiles as they were at ``before``, and a range
    holding only the first ``before`` leaves (for the hasher under test to extend)."""
    data = [i.to_bytes(4, "big") for i in range(before + count)]
    reference = merkle.CompactRange()
    writer = tiles.Writer()
    writer.add(reference.append(merkle.py_leaf_hashes(data[:before])))
    start = {k: bytes(v) for k, v in writer.tiles.items()}
    writer.add(reference.append(merkle.py_leaf_hashes(data[before:])))
    compact = merkle.CompactRange()
    compact.append(merkle.py_leaf_hashes(data[:before]))
    return data, reference, writer, start, compact


@pytest.mark.parametrize("hasher", HASHERS)
def test_cut_gives_the_same_tiles_either_way(hasher: Hasher, monkeypatch: pytest.MonkeyPatch) -> None:
    if hasher[0] is merkle.py_leaf_hashes:
        monkeypatch.setattr(tiles, "gather", tiles.py_gather)
        monkeypatch.setattr(merkle, "parents", merkle.py_parents)
    else:
        assert compiled is not None
        monkeypatch.setattr(tiles, "gather", compiled.gather)
        monkeypatch.setattr(merkle, "parents", compiled.parents)
    for before, count in [(0, 1), (0, 700), (255, 2), (65_530, 600), (1000, 1)]:
        data, _, writer, start, compact = _stored(before, count)
        grown = tiles.cut(compact.extend(hasher[0](data[before:])), before, before + count)
        assert {k: start.get(k, b"") + v for k, v in grown.items()} == {
            k: bytes(writer.tiles[k]) for k in grown
        }


# ------------------------------------------------------------------ a batch hashed and cut in one call


def python_grow(size: int, border: list[bytes], leaves: list[bytes]) -> tuple[list[bytes], dict[int, bytes]]:
    """CompactRange.extend and tiles.cut with the pure-Python hasher and gather: the reference."""
    saved = merkle.parents, tiles.gather
    merkle.parents, tiles.gather = merkle.py_parents, tiles.py_gather
    try:
        compact = merkle.CompactRange(size, border)
        parts = tiles.cut(compact.extend(leaves), size, size + len(leaves))
    finally:
        merkle.parents, tiles.gather = saved
    return compact.hashes, parts


@needs_c
@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.integers(0, 70_000), st.integers(0, 2**40), st.integers(2**63 - 5000, 2**64 - 3000)),
    st.integers(0, 1200),
)
def test_extend_tiles_gives_the_border_and_tiles_of_extend_and_cut(size: int, count: int) -> None:
    assert compiled is not None
    rng = random.Random(size * 7919 + count)
    border = [rng.randbytes(32) for _ in range(size.bit_count())]
    leaves = [rng.randbytes(32) for _ in range(count)]
    assert compiled.extend_tiles(border, size, leaves) == python_grow(size, border, leaves)


@pytest.mark.parametrize("hasher", HASHERS)
def test_grow_builds_the_stored_tiles_of_the_tree(hasher: Hasher, monkeypatch: pytest.MonkeyPatch) -> None:
    if hasher[0] is merkle.py_leaf_hashes:
        monkeypatch.setattr(tiles, "extend_tiles", None)
    else:
        assert compiled is not None
        monkeypatch.setattr(tiles, "extend_tiles", compiled.extend_tiles)
    for before, count in [(0, 1), (0, 700), (255, 2), (65_530, 600), (1000, 1), (70_000, 1000)]:
        data, reference, writer, start, compact = _stored(before, count)
        grown = tiles.grow(compact, hasher[0](data[before:]))
        assert compact.size == before + count
        assert compact.hashes == reference.hashes
        assert {k: start.get(k, b"") + v for k, v in grown.items()} == {
            k: bytes(writer.tiles[k]) for k in grown
        }
        assert set(grown) == {k for k in writer.tiles if k not in start or writer.tiles[k] != start[k]}


@needs_c
def test_extend_tiles_refuses_what_is_not_a_border_or_a_leaf_hash() -> None:
    assert compiled is not None
    h = os.urandom(32)
    with pytest.raises(ValueError, match="3 border hashes, not 1"):
        compiled.extend_tiles([h], 7, [h])
    with pytest.raises(ValueError, match="border hash 0 is 5 bytes"):
        compiled.extend_tiles([b"short"], 1, [h])
    with pytest.raises(ValueError, match="hash 2 is 33 bytes, not 32"):
        compiled.extend_tiles([], 0, [h, h, h + b"x", h])
    with pytest.raises(TypeError, match="hash 1 is str"):
        compiled.extend_tiles([], 0, [h, "x" * 32])  # type: ignore[list-item]
    with pytest.raises(OverflowError):
        compiled.extend_tiles([], -1, [h])
    with pytest.raises(OverflowError):
        compiled.extend_tiles([h] * 64, 2**64 - 1, [h])  # beyond 64 bits
    with pytest.raises(TypeError):
        compiled.extend_tiles([], 0, None)  # type: ignore[arg-type]


# ---------------------------------------------------------------- two at a time with the SHA extensions

needs_sha_extensions = pytest.mark.skipif(
    compiled is None or not compiled.CPU_HAS_SHA_EXTENSIONS,
    reason="this CPU has no SHA extensions: OpenSSL hashes every message",
)


@pytest.fixture(params=[True, False], ids=["sha-extensions", "openssl"])
def sha_extensions(request: pytest.FixtureRequest) -> Iterable[bool]:
    assert compiled is not None
    before = compiled.sha_extensions()
    assert compiled.set_sha_extensions(request.param) == request.param
    yield request.param
    compiled.set_sha_extensions(before)


def entries_of_64_bytes_mostly() -> st.SearchStrategy[list[bytes]]:
    return st.lists(st.one_of(st.binary(min_size=64, max_size=64), st.binary(max_size=130)), max_size=70)


@needs_sha_extensions
@settings(max_examples=300, deadline=None)
@given(entries=entries_of_64_bytes_mostly(), size=st.integers(0, 2**40), count=st.integers(0, 600))
def test_either_way_the_hashes_are_sha256s(entries: list[bytes], size: int, count: int) -> None:
    assert compiled is not None
    rng = random.Random(size * 31 + count)
    border = [rng.randbytes(32) for _ in range(size.bit_count())]
    leaves = [rng.randbytes(32) for _ in range(count)]
    expected_leaves = [leaf(e) for e in entries]
    expected_grow = python_grow(size, border, leaves)
    before = compiled.sha_extensions()
    try:
        for on in (True, False):
            compiled.set_sha_extensions(on)
            assert compiled.leaf_hashes(entries) == expected_leaves
            assert compiled.leaf_hashes([bytearray(e) for e in entries]) == expected_leaves
            assert compiled.extend_tiles(border, size, leaves) == expected_grow
    finally:
        compiled.set_sha_extensions(before)


@needs_sha_extensions
def test_the_known_answers_two_at_a_time(sha_extensions: bool) -> None:
    assert compiled is not None
    assert compiled.leaf_hashes([bytes(64), bytes(range(64)), bytes(range(64))]) == [
        hashlib.sha256(b"\x00" + bytes(64)).digest(),
        *[hashlib.sha256(b"\x00" + bytes(range(64))).digest()] * 2,
    ]
    tree = merkle.CompactRange()
    leaves = compiled.leaf_hashes(LEAVES)
    tiles.grow(tree, leaves)
    assert tree.root().hex() == ROOTS[len(LEAVES)]
    assert merkle.MemoryTree.from_leaf_hashes(leaves).root(len(LEAVES)).hex() == ROOTS[len(LEAVES)]


@needs_sha_extensions
def test_a_bad_entry_next_to_a_good_one_is_named(sha_extensions: bool) -> None:
    assert compiled is not None
    with pytest.raises(TypeError, match="entry 1 is str"):
        compiled.leaf_hashes([bytes(64), "x" * 64])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="entry 2 is int"):
        compiled.leaf_hashes([bytes(64), bytes(64), 5])  # type: ignore[list-item]
    entries = [bytes(64) for _ in range(20)]
    counts = [sys.getrefcount(e) for e in entries]
    for _ in range(100):
        compiled.leaf_hashes(entries)
        with pytest.raises(TypeError):
            compiled.leaf_hashes([*entries, None])  # type: ignore[list-item]
    assert [sys.getrefcount(e) for e in entries] == counts


@needs_sha_extensions
def test_the_environment_can_keep_the_hasher_to_openssl() -> None:
    assert "SHA extensions" in _hasher_in_a_fresh_process({"ONEGRID_LEDGER_SHA_EXTENSIONS": "1"})
    assert "SHA extensions" not in _hasher_in_a_fresh_process({"ONEGRID_LEDGER_SHA_EXTENSIONS": "0"})
