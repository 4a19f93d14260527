"""Lookups in big sorted arrays of 64-bit hashes (the importer's id index, the rollups' customer numbers).

A binary search of 1,000 random hashes in 13M costs about 1.3 ms, nearly all of
it waiting for memory (some 20 reads each, the last ones far apart). With the
start of each value's bucket (its top bits) known, a lookup reads the bucket's
start and then a few neighbouring values: about 0.2 ms. Hashes are uniform, so
a bucket holds about two values and the widest a few times that.
"""

from __future__ import annotations

import numpy as np

#: Arrays shorter than this are binary-searched (they stay in the processor's caches).
BUCKETS_FROM = 1 << 16
#: Buckets wider than this (hashes far from uniform) are not used: a binary search instead.
MAX_WIDTH = 64


class Buckets:
    """Where the values of a sorted uint64 array start, by their top ``bits`` bits."""

    def __init__(self, values: np.ndarray) -> None:
        self.bits = int(min(22, max(1, int(len(values)).bit_length() - 1)))
        self.shift = np.uint64(64 - self.bits)
        counts = np.bincount((values >> self.shift).astype(np.intp), minlength=1 << self.bits)
        kind = np.int32 if len(values) < 2**31 else np.int64
        self.starts = np.zeros(len(counts) + 1, dtype=kind)
        np.cumsum(counts, out=self.starts[1:])
        self.width = int(counts.max()) if len(counts) else 0

    def find(self, values: np.ndarray, probe: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        bucket = (probe.astype(np.uint64, copy=False) >> self.shift).astype(np.intp)
        lo = self.starts[bucket].astype(np.int64)
        size = self.starts[bucket + 1].astype(np.int64) - lo
        step = np.arange(max(1, self.width), dtype=np.int64)
        at = np.minimum(lo[:, None] + step, len(values) - 1)
        hit = (values[at] == probe[:, None]) & (step < size[:, None])
        return hit.any(axis=1), lo + hit.argmax(axis=1)


def buckets_of(values: np.ndarray) -> Buckets | None:
    """The buckets of a sorted array worth them (big, near-uniform), else None."""
    if len(values) < BUCKETS_FROM:
        return None
    b = Buckets(values)
    return b if b.width <= MAX_WIDTH else None


def member(sorted_values: np.ndarray, probe: np.ndarray,
           buckets: Buckets | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(found, position): whether each probe value is in the sorted array, and where (its first place)."""
    if len(sorted_values) == 0 or len(probe) == 0:
        return np.zeros(len(probe), dtype=bool), np.zeros(len(probe), dtype=np.int64)
    if buckets is not None:
        return buckets.find(sorted_values, probe)
    pos = np.searchsorted(sorted_values, probe)
    pos[pos == len(sorted_values)] = 0
    return sorted_values[pos] == probe, pos
