"""Keyed randomness for the synthetic net: every draw is a hash of (seed, purpose, area code, counter),
so an area's numbers do not depend on which other areas are generated, nor in what order (pure)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

# ---------------------------------------------------------------------------------------------
# Keyed randomness: every draw is a hash of (seed, purpose, area code, counter), so an area's
# numbers do not depend on which other areas are generated, nor in what order.

_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def _mix_int(z: int) -> int:
    """SplitMix64 finaliser on a Python int."""
    z &= _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def _mix(z: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """SplitMix64 finaliser on an array (uint64 arithmetic wraps, as intended)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


class Purpose:
    COUNTS = 1
    NAMES = 2
    POPULATION = 3
    SITES = 4
    MICRO = 5


class Random:
    """Counter-based random numbers keyed by area code."""

    def __init__(self, seed: int) -> None:
        self._salts = {p: np.uint64(_mix_int(_mix_int(seed) + p * _GOLDEN)) for p in range(1, 8)}

    def uniform(self, purpose: int, keys: NDArray[Any], counters: NDArray[Any] | int) -> NDArray[np.float64]:
        """Uniform numbers in [0, 1), one per (key, counter) pair (arrays broadcast)."""
        k = np.atleast_1d(np.asarray(keys, dtype=np.uint64))
        c = np.atleast_1d(np.asarray(counters, dtype=np.uint64))
        h = _mix(_mix(k ^ self._salts[purpose]) + c * np.uint64(_GOLDEN))
        return (h >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))

    def integers(
        self, purpose: int, keys: NDArray[Any], counters: NDArray[Any] | int, low: Any, high: Any
    ) -> NDArray[np.int64]:
        """Integers in [low, high] inclusive (bounds broadcast)."""
        u = self.uniform(purpose, keys, counters)
        lo = np.asarray(low, dtype=np.int64)
        return lo + np.floor(u * (np.asarray(high, dtype=np.int64) - lo + 1)).astype(np.int64)
