"""The Merkle tree is RFC 9162's, to the bit: the worked example, the public known-answer vectors, and
properties over every size up to a few hundred.

Vectors (encoded here by hand, see shared/reference/evidence-anchors.md §2):
- hasher KATs: transparency-dev/merkle rfc6962/rfc6962_test.go and google/certificate-transparency
  python/ct/crypto/merkle_test.py @ 4bfca4952a090a76a0755fb0ddc6d288088b83ed;
- the 8-leaf tree: transparency-dev/merkle @ 417fb0c314750d94e53942e9f92e79b6d35915db
  testonly/constants.go (LeafInputs, NodeHashes, RootHashes);
- proofs: transparency-dev/merkle cmd/proofgen (testdata), written 0-based;
- negative consistency cases: google/certificate-transparency python/ct/crypto/merkle_test.py.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onegrid.ledger import merkle
from onegrid.ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MemoryTree,
    ProofError,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

h = bytes.fromhex

LEAVES = [
    h(x)
    for x in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
NODES = {
    (0, 0): "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    (0, 1): "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    (0, 2): "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    (0, 3): "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    (0, 4): "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    (0, 5): "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    (0, 6): "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    (0, 7): "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    (1, 0): "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    (1, 1): "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    (1, 2): "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    (1, 3): "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    (2, 0): "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    (2, 1): "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    (3, 0): "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
N = {k: h(v) for k, v in NODES.items()}


def tree(n: int) -> MemoryTree:
    t = MemoryTree()
    for d in LEAVES[:n]:
        t.append(d)
    return t


# ------------------------------------------------------------------------------------- reference MTH


def mth(data: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 written out recursively: the definition the fast code must agree with."""
    if not data:
        return hashlib.sha256(b"").digest()
    if len(data) == 1:
        return leaf_hash(data[0])
    k = 1
    while k * 2 < len(data):
        k *= 2
    return node_hash(mth(data[:k]), mth(data[k:]))


def path(m: int, data: list[bytes]) -> list[bytes]:
    """PATH(m, D_n) of RFC 9162 §2.1.3.1."""
    if len(data) <= 1:
        return []
    k = 1
    while k * 2 < len(data):
        k *= 2
    if m < k:
        return [*path(m, data[:k]), mth(data[k:])]
    return [*path(m - k, data[k:]), mth(data[:k])]


def subproof(m: int, data: list[bytes], complete: bool) -> list[bytes]:
    """SUBPROOF(m, D_n, b) of RFC 9162 §2.1.4.1."""
    if m == len(data):
        return [] if complete else [mth(data)]
    k = 1
    while k * 2 < len(data):
        k *= 2
    if m <= k:
        return [*subproof(m, data[:k], complete), mth(data[k:])]
    return [*subproof(m - k, data[k:], False), mth(data[:k])]


# --------------------------------------------------------------------------------------------- KATs


def test_the_hasher_gives_the_published_answers() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert leaf_hash(b"L123456").hex() == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    assert (
        node_hash(b"N123", b"N456").hex()
        == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )
    assert (
        leaf_hash(h("101112131415161718191a1b1c1d1e1f")).hex()
        == "3bfb960453ebaebf33727da7a1f4db38acc051d381b6da20d6d4e88f0eabfd7a"
    )
    left, right = bytes(range(32)), bytes(range(32, 64))
    assert node_hash(left, right).hex() == "1a378704c17da31e2d05b6d121c2bb2c7d76f6ee6fa8f983e596c2d034963c57"


@pytest.mark.parametrize("n", range(9))
def test_the_roots_of_the_canonical_tree_are_the_published_ones(n: int) -> None:
    assert tree(n).root().hex() == ROOTS[n]
    assert mth(LEAVES[:n]).hex() == ROOTS[n]
    compact = CompactRange()
    compact.append(leaf_hash(d) for d in LEAVES[:n])
    assert compact.root().hex() == ROOTS[n]


def test_every_stored_node_of_the_canonical_tree_is_the_published_one() -> None:
    t = tree(8)
    assert {(lv, i): t.node(lv, i).hex() for lv in range(4) for i in range(8 >> lv)} == NODES


@pytest.mark.parametrize(
    ("index", "size", "expected"),
    [
        (0, 1, []),
        (0, 8, [N[0, 1], N[1, 1], N[2, 1]]),
        (5, 8, [N[0, 4], N[1, 3], N[2, 0]]),
        (2, 3, [N[1, 0]]),
        (1, 5, [N[0, 0], N[1, 1], N[0, 4]]),
    ],
)
def test_inclusion_proofs_are_the_published_ones(index: int, size: int, expected: list[bytes]) -> None:
    proof = tree(8).inclusion_proof(index, size)
    assert proof == expected
    verify_inclusion(index, size, leaf_hash(LEAVES[index]), proof, h(ROOTS[size]))


@pytest.mark.parametrize(
    ("size1", "size2", "expected"),
    [
        (1, 1, []),
        (1, 8, [N[0, 1], N[1, 1], N[2, 1]]),
        (6, 8, [N[1, 2], N[1, 3], N[2, 0]]),
        (2, 5, [N[1, 1], N[0, 4]]),
        (6, 7, [N[1, 2], N[0, 6], N[2, 0]]),
    ],
)
def test_consistency_proofs_are_the_published_ones(size1: int, size2: int, expected: list[bytes]) -> None:
    proof = tree(8).consistency_proof(size1, size2)
    assert proof == expected
    verify_consistency(size1, size2, h(ROOTS[size1]), h(ROOTS[size2]), proof)


def test_the_published_bad_consistency_proofs_are_rejected() -> None:
    good = tree(8).consistency_proof(6, 8)
    root6, root8 = h(ROOTS[6]), h(ROOTS[8])
    with pytest.raises(ProofError, match="too short"):
        verify_consistency(6, 8, root6, root8, good[:2])
    with pytest.raises(ProofError, match="second root"):
        verify_consistency(6, 8, root6, h(ROOTS[8][:-4] + "4329"), good)
    with pytest.raises(ProofError, match="first root"):
        verify_consistency(6, 8, h(ROOTS[6][:-4] + "87ee"), root8, good)
    with pytest.raises(ProofError, match="empty tree is meaningless"):
        verify_consistency(0, 1, EMPTY_ROOT, h(ROOTS[1]), [])


def test_the_worked_example_of_rfc_9162() -> None:
    """§2.1.5: seven leaves d0..d6, a..f the leaf hashes of d0..d5, j that of d6."""
    data = LEAVES[:7]
    a, b, c, d, e, f, j = (leaf_hash(x) for x in data)
    g, hh, i = node_hash(a, b), node_hash(c, d), node_hash(e, f)
    k, ll = node_hash(g, hh), node_hash(i, j)
    t = tree(7)
    assert t.inclusion_proof(0) == [b, hh, ll]
    assert t.inclusion_proof(3) == [c, g, ll]
    assert t.inclusion_proof(4) == [f, j, k]
    assert t.inclusion_proof(6) == [i, k]
    assert t.consistency_proof(3) == [c, d, g, ll]
    assert t.consistency_proof(4) == [ll]
    assert t.consistency_proof(6) == [i, j, k]
    assert t.root() == node_hash(k, ll)


@pytest.mark.parametrize(
    ("index", "size", "fold"),
    [(4, 5, "L"), (5, 6, "LL"), (4, 6, "RL"), (7, 8, "LLL")],
    ids=["4 of 5", "5 of 6", "4 of 6", "7 of 8"],
)
def test_right_edge_leaves_take_the_hashes_from_the_left(index: int, size: int, fold: str) -> None:
    """The hand-built right-edge cases of CT's merkle_test.py (proof all 00, leaf all 11), 0-based:
    ``fold`` says, from the leaf up, whether the proof hash goes left (L) or right (R) of the running hash."""
    zero, leaf = bytes(32), b"\x11" * 32
    expected = leaf
    for side in fold:
        expected = node_hash(zero, expected) if side == "L" else node_hash(expected, zero)
    assert merkle.root_from_inclusion_proof(index, size, leaf, [zero] * len(fold)) == expected


# ------------------------------------------------------------------------------------------ exhaustive


def test_every_proof_of_every_tree_up_to_64_leaves_matches_the_rfc_and_verifies() -> None:
    data = [i.to_bytes(2, "big") for i in range(64)]
    t = MemoryTree()
    for n in range(1, 65):
        t.append(data[n - 1])
        root = mth(data[:n])
        assert t.root() == root
        for m in range(n):
            proof = t.inclusion_proof(m)
            assert proof == path(m, data[:n])
            verify_inclusion(m, n, leaf_hash(data[m]), proof, root)
        for m in range(1, n + 1):
            proof = t.consistency_proof(m)
            assert proof == subproof(m, data[:n], True)
            verify_consistency(m, n, t.root(m), root, proof)


def test_each_leaf_row_holds_the_leaf_and_the_subtrees_it_completes() -> None:
    compact = CompactRange()
    rows = compact.append(leaf_hash(i.to_bytes(2, "big")) for i in range(100))
    assert [leaf for leaf, _ in rows] == list(range(100))
    assert [len(blob) // 32 for _, blob in rows][:8] == [1, 2, 1, 3, 1, 2, 1, 4]
    t = MemoryTree.from_leaf_hashes([leaf_hash(i.to_bytes(2, "big")) for i in range(100)])
    stored = dict(rows)
    for level, hashes in enumerate(t.levels):
        for index, value in enumerate(hashes):
            leaf, slot = merkle.address(level, index)
            assert stored[leaf][32 * slot : 32 * slot + 32] == value


# ----------------------------------------------------------------------------------------- properties

SIZES = st.integers(min_value=1, max_value=300)


@st.composite
def tree_and_index(draw: st.DrawFn) -> tuple[MemoryTree, int, int]:
    size = draw(SIZES)
    return _tree(size), size, draw(st.integers(0, size - 1))


_trees: dict[int, MemoryTree] = {}


def _tree(size: int) -> MemoryTree:
    if size not in _trees:
        _trees[size] = MemoryTree.from_leaf_hashes([leaf_hash(i.to_bytes(4, "big")) for i in range(size)])
    return _trees[size]


def _flip(value: bytes, bit: int) -> bytes:
    out = bytearray(value)
    out[bit // 8 % len(out)] ^= 1 << (bit % 8)
    return bytes(out)


@given(tree_and_index(), st.integers(0, 2**16))
def test_any_inclusion_proof_verifies_and_any_flipped_bit_is_caught(
    case: tuple[MemoryTree, int, int], bit: int
) -> None:
    t, size, index = case
    leaf, root, proof = t.node(0, index), t.root(), t.inclusion_proof(index)
    verify_inclusion(index, size, leaf, proof, root)
    with pytest.raises(ProofError):
        verify_inclusion(index, size, _flip(leaf, bit), proof, root)
    with pytest.raises(ProofError):
        verify_inclusion(index, size, leaf, proof, _flip(root, bit))
    if proof:
        which = bit % len(proof)
        bad = [*proof[:which], _flip(proof[which], bit // len(proof)), *proof[which + 1 :]]
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaf, bad, root)
        with pytest.raises(ProofError, match="too short"):
            verify_inclusion(index, size, leaf, proof[:-1], root)
    with pytest.raises(ProofError):
        verify_inclusion(index, size, leaf, [*proof, root], root)


@given(st.data())
def test_any_consistency_proof_verifies_and_any_flipped_bit_is_caught(data: st.DataObject) -> None:
    size2 = data.draw(SIZES)
    size1 = data.draw(st.integers(1, size2))
    bit = data.draw(st.integers(0, 2**16))
    t = _tree(size2)
    root1, root2, proof = t.root(size1), t.root(size2), t.consistency_proof(size1, size2)
    verify_consistency(size1, size2, root1, root2, proof)
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, _flip(root1, bit), root2, proof)
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, root1, _flip(root2, bit), proof)
    if proof:
        which = bit % len(proof)
        bad = [*proof[:which], _flip(proof[which], bit // len(proof)), *proof[which + 1 :]]
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, root1, root2, bad)
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, root1, root2, proof[:-1])
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, root1, root2, [*proof, root2])


@given(st.integers(1, 300), st.data())
def test_proofs_for_one_size_never_pass_for_another(size: int, data: st.DataObject) -> None:
    other = data.draw(st.integers(1, 300).filter(lambda s: s != size))
    index = data.draw(st.integers(0, min(size, other) - 1))
    t = _tree(max(size, other))
    proof = t.inclusion_proof(index, size)
    with pytest.raises(ProofError):
        verify_inclusion(index, other, t.node(0, index), proof, t.root(other))


# ---------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((5, 5, bytes(32), [], bytes(32)), "not below the tree size"),
        ((0, 0, bytes(32), [], bytes(32)), "not below the tree size"),
        ((-1, 5, bytes(32), [], bytes(32)), "integer"),
        ((True, 5, bytes(32), [], bytes(32)), "integer"),
        ((0, 2**64, bytes(32), [], bytes(32)), "integer"),
        ((0, 2, bytes(31), [bytes(32)], bytes(32)), "leaf hash is 31 bytes"),
        ((0, 2, bytes(32), [bytes(33)], bytes(32)), "proof hash 0 is 33 bytes"),
        ((0, 2, bytes(32), [bytes(32)], bytes(16)), "root hash is 16 bytes"),
        ((0, 2, bytes(32), [], bytes(32)), "too short"),
        ((0, 1, bytes(32), [bytes(32)], bytes(32)), "too long"),
    ],
)
def test_malformed_inclusion_input_is_rejected_with_the_check_that_failed(args: tuple, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ProofError, match=message):
        verify_inclusion(*args)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 3, bytes(32), bytes(32), []), "empty tree is meaningless"),
        ((4, 3, bytes(32), bytes(32), []), "smaller than size1"),
        ((3, 3, bytes(32), bytes(32), [bytes(32)]), "must be empty"),
        ((3, 3, bytes(32), b"\x01" * 32, []), "differ"),
        ((2, 3, bytes(32), bytes(32), []), "empty"),
        ((2, 3, bytes(32), bytes(32), [b"x"]), "proof hash 0 is 1 bytes"),
        ((2, 3, bytes(30), bytes(32), [bytes(32)]), "first root hash is 30 bytes"),
    ],
)
def test_malformed_consistency_input_is_rejected_with_the_check_that_failed(
    args: tuple, message: str
) -> None:  # type: ignore[type-arg]
    with pytest.raises(ProofError, match=message):
        verify_consistency(*args)


def test_plans_refuse_what_has_no_proof() -> None:
    with pytest.raises(ProofError):
        merkle.inclusion_plan(3, 3)
    with pytest.raises(ProofError):
        merkle.consistency_plan(0, 3)
    with pytest.raises(ProofError):
        merkle.consistency_plan(4, 3)
