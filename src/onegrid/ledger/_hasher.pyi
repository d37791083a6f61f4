# The compiled batch hasher (_hasher.c), built at install time when a C compiler, Python's headers and
# OpenSSL's headers are there; onegrid.ledger.merkle falls back to Python without it.
from collections.abc import Iterable, Sequence

from typing_extensions import Buffer

OPENSSL_VERSION: str

def leaf_hashes(entries: Iterable[Buffer], /) -> list[bytes]: ...
def parents(hashes: Iterable[Buffer], /) -> list[bytes]: ...
def gather(
    levels: list[list[bytes]], shifts: list[int], order: list[tuple[int, int]], start: int, stop: int, /
) -> bytes: ...
def extend_tiles(
    border: Sequence[Buffer], size: int, leaves: Sequence[Buffer], /
) -> tuple[list[bytes], dict[int, bytes]]: ...
