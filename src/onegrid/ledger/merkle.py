"""RFC 9162 Merkle trees over SHA-256: hashing, proof plans and the verification algorithms.

Domain-free and without Django, so a receipt can be checked anywhere. The tree of ``n`` leaves is the
one of RFC 9162 §2.1.1: ``leaf = SHA-256(0x00 ‖ d)``, ``node = SHA-256(0x01 ‖ L ‖ R)``, the left
subtree holding the largest power of two strictly less than ``n`` leaves, and no odd node duplicated.

Stored trees are addressed by *complete subtrees*: ``(level, index)`` is the node over the leaves
``[index·2^level, (index+1)·2^level)``. Such a node never changes once its last leaf exists, so it can
be stored in an append-only table. Every node of the tree of size ``n`` is either complete or lies on
the right border, where it is the right fold of complete nodes (``fold``). A proof is therefore a
*plan*: for each proof hash, the complete nodes to fold. A complete node comes into existence with its
last leaf, so appending yields one row per leaf: the leaf hash followed by the roots of the subtrees
that leaf completes, bottom up (``CompactRange.append``, ``address``); ``ledger.tiles`` cuts these rows
into the stored tiles.

Batches are hashed by ``leaf_hashes`` and ``parents``: in C through OpenSSL's SHA-256 when the
extension ``onegrid.ledger._hasher`` was built at install time, otherwise by the pure-Python functions
below, which give the same bytes. ``HASHER`` says which is in use; ``ONEGRID_LEDGER_HASHER=python``
in the environment makes a process use the pure-Python ones. Where the CPU has the x86 SHA extensions
the compiled hasher hashes the 65-byte messages of 64-byte entries and of inner nodes two at a time
with them; ``ONEGRID_LEDGER_SHA_EXTENSIONS=0`` keeps it to OpenSSL, one message at a time.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASHER",
    "HASHER_IS_C",
    "HASH_SIZE",
    "CompactRange",
    "MemoryTree",
    "Node",
    "Plan",
    "ProofError",
    "address",
    "consistency_plan",
    "decompose",
    "fold",
    "inclusion_plan",
    "leaf_hash",
    "leaf_hashes",
    "node_hash",
    "parents",
    "py_leaf_hashes",
    "py_parents",
    "resolve_with",
    "root_from_inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
MAX_SIZE = 2**64 - 1
_sha256 = hashlib.sha256
_LEAF = hashlib.sha256(b"\x00")  # pre-seeded with the domain byte: copy() it, then update() with the rest
_NODE = hashlib.sha256(b"\x01")

Node = tuple[int, int]  # (level, index) of a complete subtree
Plan = list[list[Node]]  # per proof hash: the complete subtrees whose right fold it is


class ProofError(ValueError):
    """A proof, root or hash that does not check; the message says which check failed."""


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 ‖ data)`` (RFC 9162 §2.1.1)."""
    return _sha256(b"\x00" + data).digest()


def py_leaf_hashes(entries: Iterable[bytes]) -> list[bytes]:
    """``leaf_hash`` of each entry, for a batch, in Python: a copy of a hasher already holding the 0x00
    byte per entry, instead of a new hasher and a concatenated copy of the entry."""
    out: list[bytes] = []
    add = out.append
    seeded = _LEAF.copy
    for data in entries:
        h = seeded()
        h.update(data)
        add(h.digest())
    return out


def py_parents(hashes: Iterable[bytes]) -> list[bytes]:
    """``node_hash`` of each consecutive pair of the 32-byte ``hashes`` (an odd last one is left out),
    in Python. TypeError for what is not a byte string, ValueError for a hash that is not 32 bytes."""
    if not isinstance(hashes, list | tuple):
        hashes = list(hashes)
    out: list[bytes] = []
    add = out.append
    seeded = _NODE.copy
    for i in range(0, len(hashes) - 1, 2):
        left, right = hashes[i], hashes[i + 1]
        h = seeded()
        h.update(left)
        h.update(right)
        if len(left) != HASH_SIZE or len(right) != HASH_SIZE:
            bad = i if len(left) != HASH_SIZE else i + 1
            raise ValueError(f"hash {bad} is {len(hashes[bad])} bytes, not {HASH_SIZE}")
        add(h.digest())
    return out


def _batch_hasher() -> tuple[
    Callable[[Iterable[bytes]], list[bytes]], Callable[[Iterable[bytes]], list[bytes]], str
]:
    """The compiled batch hasher if it was built and not refused by ``ONEGRID_LEDGER_HASHER=python``,
    else the pure-Python functions; with a description of the choice."""
    if os.environ.get("ONEGRID_LEDGER_HASHER", "").strip().lower() == "python":
        return py_leaf_hashes, py_parents, "Python (hashlib), chosen by ONEGRID_LEDGER_HASHER=python"
    try:
        from onegrid.ledger import _hasher
    except ImportError as exc:
        built = not isinstance(exc, ModuleNotFoundError) and "cannot import name" not in str(exc)
        why = f"does not load ({exc})" if built else "was not built at install"
        return py_leaf_hashes, py_parents, f"Python (hashlib): the C batch hasher {why}"
    if os.environ.get("ONEGRID_LEDGER_SHA_EXTENSIONS", "").strip() == "0":
        _hasher.set_sha_extensions(False)
    two_way = ", SHA extensions two messages at a time" if _hasher.sha_extensions() else ""
    return (
        _hasher.leaf_hashes,
        _hasher.parents,
        f"C (onegrid.ledger._hasher, {_hasher.OPENSSL_VERSION}{two_way})",
    )


leaf_hashes, parents, HASHER = _batch_hasher()
HASHER_IS_C = HASHER.startswith("C ")


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 ‖ left ‖ right)``."""
    return _sha256(b"\x01" + left + right).digest()


def fold(hashes: Sequence[bytes]) -> bytes:
    """The root of consecutive complete subtrees given left to right, each smaller than the one before:
    ``H(h0, H(h1, … H(hk-1, hk)))``. One hash folds to itself; none folds to the empty root."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = _sha256(b"\x01" + h + acc).digest()
    return acc


def address(level: int, index: int) -> tuple[int, int]:
    """Where the complete node ``(level, index)`` is stored: the row of its last leaf, at slot ``level``
    (slot 0 is the leaf's own hash)."""
    return ((index + 1) << level) - 1, level


def completes(leaf: int) -> int:
    """How many complete subtrees above itself leaf ``leaf`` completes (its trailing one bits)."""
    return (~leaf & (leaf + 1)).bit_length() - 1


def decompose(start: int, end: int) -> list[Node]:
    """The maximal complete subtrees covering leaves ``[start, end)``, left to right. With ``start``
    a multiple of a power of two at least ``end − start`` (as on the right border), they shrink."""
    out: list[Node] = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while start + (1 << level) > end:
            level -= 1
        out.append((level, start >> level))
        start += 1 << level
    return out


def _path(index: int, level: int, size: int) -> Plan:
    """Siblings of the node ``(level, index)`` up to the root of the tree of ``size`` leaves."""
    plan: Plan = []
    last = (size - 1) >> level
    while last > 0:
        sibling = index ^ 1
        if sibling <= last:
            start = sibling << level
            end = min(start + (1 << level), size)
            plan.append([(level, sibling)] if end - start == 1 << level else decompose(start, end))
        index >>= 1
        last >>= 1
        level += 1
    return plan


def inclusion_plan(index: int, size: int) -> Plan:
    """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1 as complete nodes, leaf sibling first."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is not below the tree size {size}")
    return _path(index, 0, size)


def consistency_plan(size1: int, size2: int) -> Plan:
    """PROOF(size1, D[0:size2]) of RFC 9162 §2.1.4.1 as complete nodes (empty when the sizes agree)."""
    if size1 <= 0:
        raise ProofError("consistency proof from an empty tree is meaningless (size1 must be > 0)")
    if size2 < size1:
        raise ProofError(f"size2 ({size2}) is smaller than size1 ({size1})")
    if size1 == size2:
        return []
    level = (size1 & -size1).bit_length() - 1
    index = (size1 - 1) >> level
    plan = _path(index, level, size2)
    if index:  # size1 is not a power of two: its own subtree root is not the old root, so send it
        plan.insert(0, [(level, index)])
    return plan


# --------------------------------------------------------------------------------------- verification


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes | bytearray):
        raise ProofError(f"{what} is not a byte string")
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes, not {HASH_SIZE}")


def _check_size(value: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SIZE:
        raise ProofError(f"{what} must be an integer from 0 to 2^64-1")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` leads to from leaf hash ``leaf`` (RFC 9162 §2.1.3.2 up to its last
    comparison); raises ProofError when the proof cannot be a proof for ``index`` in ``size``."""
    _check_size(index, "index")
    _check_size(size, "tree size")
    if index >= size:
        raise ProofError(f"index {index} is not below the tree size {size}")
    _check_hash(leaf, "leaf hash")
    for i, p in enumerate(proof):
        _check_hash(p, f"proof hash {i}")
    fn, sn, r = index, size - 1, bytes(leaf)
    for p in proof:
        if sn == 0:
            raise ProofError(f"inclusion proof is too long: {len(proof)} hashes for index {index} of {size}")
        if fn & 1 or fn == sn:
            r = _sha256(b"\x01" + p + r).digest()
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"inclusion proof is too short: {len(proof)} hashes for index {index} of {size}")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """RFC 9162 §2.1.3.2 with its final checks; returns quietly or raises ProofError."""
    _check_hash(root, "root hash")
    if root_from_inclusion_proof(index, size, leaf, proof) != root:
        raise ProofError(f"inclusion proof does not lead to the root of the tree of size {size}")


def verify_consistency(size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]) -> None:
    """RFC 9162 §2.1.4.2 with its final checks, plus the edge cases of transparency-dev: size1 = 0 is
    an error, size2 < size1 is an error, and equal sizes need an empty proof and equal roots."""
    _check_size(size1, "size1")
    _check_size(size2, "size2")
    _check_hash(root1, "first root hash")
    _check_hash(root2, "second root hash")
    for i, p in enumerate(proof):
        _check_hash(p, f"proof hash {i}")
    if size2 < size1:
        raise ProofError(f"size2 ({size2}) is smaller than size1 ({size1})")
    if size1 == 0:
        raise ProofError("consistency proof from an empty tree is meaningless (size1 must be > 0)")
    if size1 == size2:
        if proof:
            raise ProofError("consistency proof between equal sizes must be empty")
        if root1 != root2:
            raise ProofError(f"the two roots of size {size1} differ")
        return
    if not proof:
        raise ProofError("consistency proof is empty")
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # size1 is a power of two: its root is a node of the new tree
        path.insert(0, bytes(root1))
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError(f"consistency proof is too long for sizes {size1} → {size2}")
        if fn & 1 or fn == sn:
            fr = _sha256(b"\x01" + c + fr).digest()
            sr = _sha256(b"\x01" + c + sr).digest()
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = _sha256(b"\x01" + sr + c).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"consistency proof is too short for sizes {size1} → {size2}")
    if fr != root1:
        raise ProofError(f"consistency proof does not lead to the first root (size {size1})")
    if sr != root2:
        raise ProofError(f"consistency proof does not lead to the second root (size {size2})")


# ----------------------------------------------------------------------------------------- appending


class CompactRange:
    """The right border of a growing tree: the roots of its maximal complete subtrees, left to right
    (RFC 9162 §2.1.2's stack). ``append`` adds leaf hashes and returns the rows to store; ``root``
    folds the border."""

    __slots__ = ("hashes", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != size.bit_count():
            raise ValueError(f"a tree of size {size} has {size.bit_count()} border hashes, not {len(hashes)}")
        self.size = size
        self.hashes = list(hashes)

    def append(self, leaf_hashes: Iterable[bytes]) -> list[tuple[int, bytes]]:
        """Add leaves (already hashed); returns one row per leaf, ``(index, leaf hash ‖ the roots of the
        complete subtrees it completes, level 1 upwards)``."""
        out: list[tuple[int, bytes]] = []
        add = out.append
        stack = self.hashes
        push, pop = stack.append, stack.pop
        sha = _sha256
        n = self.size
        for h in leaf_hashes:
            push(h)
            row = h
            i = n
            while i & 1:
                right = pop()
                merged = sha(b"\x01" + stack[-1] + right).digest()
                stack[-1] = merged
                row += merged
                i >>= 1
            add((n, row))
            n += 1
        self.size = n
        return out

    def extend(self, leaf_hashes: Sequence[bytes]) -> list[list[bytes]]:
        """Add leaves (already hashed) a level at a time; returns the new complete nodes of each level,
        ``levels[L]`` holding nodes ``size >> L`` onwards (``size`` as before the call). The same tree as
        ``append``, with the pairs of each level hashed in one loop."""
        n = self.size
        end = n + len(leaf_hashes)
        old = dict(
            zip([lv for lv in range(n.bit_length() - 1, -1, -1) if n >> lv & 1], self.hashes, strict=True)
        )
        levels: list[list[bytes]] = []
        current = list(leaf_hashes)
        level = 0
        while current:
            levels.append(current)
            left = old.get(level) if n >> level & 1 else None
            current = parents([left, *current] if left is not None else current)
            level += 1
        border = []
        for lv in range(end.bit_length() - 1, -1, -1):
            if end >> lv & 1:
                index = (end >> lv) - 1
                first = n >> lv
                border.append(levels[lv][index - first] if index >= first else old[lv])
        self.size = end
        self.hashes = border
        return levels

    def root(self) -> bytes:
        return fold(self.hashes)


class MemoryTree:
    """A whole tree in memory, every complete node kept level by level: O(1) amortised appends and
    O(log n) proofs. The reference for the stored log, and the in-memory figures of the benchmark."""

    def __init__(self) -> None:
        self.levels: list[list[bytes]] = [[]]

    @classmethod
    def from_leaf_hashes(cls, hashes: list[bytes]) -> MemoryTree:
        """Build level by level (faster than appending one by one)."""
        tree = cls()
        tree.levels = [hashes]
        level = hashes
        while len(level) > 1:
            level = parents(level)
            tree.levels.append(level)
        return tree

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, data: bytes) -> int:
        """Append one entry; returns its index."""
        return self.append_hash(_sha256(b"\x00" + data).digest())

    def append_hash(self, h: bytes) -> int:
        levels = self.levels
        index = len(levels[0])
        levels[0].append(h)
        i, level = index, 0
        while i & 1:
            below = levels[level]
            merged = _sha256(b"\x01" + below[-2] + below[-1]).digest()
            level += 1
            if level == len(levels):
                levels.append([])
            levels[level].append(merged)
            i >>= 1
        return index

    def node(self, level: int, index: int) -> bytes:
        return self.levels[level][index]

    def resolve(self, plan: Plan) -> list[bytes]:
        levels = self.levels
        return [
            levels[nodes[0][0]][nodes[0][1]] if len(nodes) == 1 else fold([levels[lv][i] for lv, i in nodes])
            for nodes in plan
        ]

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ProofError(f"size {size} is beyond the tree ({self.size})")
        return fold([self.levels[lv][i] for lv, i in decompose(0, size)])

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        size = self.size if size is None else size
        if size > self.size:
            raise ProofError(f"size {size} is beyond the tree ({self.size})")
        return self.resolve(inclusion_plan(index, size))

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        size2 = self.size if size2 is None else size2
        if size2 > self.size:
            raise ProofError(f"size {size2} is beyond the tree ({self.size})")
        return self.resolve(consistency_plan(size1, size2))


def resolve_with(plan: Plan, fetch: Callable[[list[Node]], dict[Node, bytes]]) -> list[bytes]:
    """Turn a plan into hashes with one call of ``fetch`` for every complete node it names."""
    wanted = sorted({n for nodes in plan for n in nodes})
    found = fetch(wanted)
    missing = [n for n in wanted if n not in found]
    if missing:
        raise LookupError(f"stored tree lacks the complete nodes {missing[:5]}")
    return [found[nodes[0]] if len(nodes) == 1 else fold([found[n] for n in nodes]) for nodes in plan]
