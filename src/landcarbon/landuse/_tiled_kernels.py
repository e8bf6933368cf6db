"""Numba kernels of the synchronous sweep + quota allocation (:mod:`landcarbon.landuse.tiled`).

The proposals come from :func:`landcarbon.landuse._kernels.propose` (the same per-cell
probability, roulette and threshold as the sequential engine). Here they are gathered
with their *category* (seeded or not, from class, to class) and their key: the 32 random
bits of :data:`~landcarbon.landuse._kernels.STREAM_ORDER` of (seed, iteration, global cell
index), the same bits that order the sequential engine's walk
(:func:`~landcarbon.landuse._kernels.apply_proposals`). Ties of keys are broken by the
global cell index, so the order of the proposals does not depend on the tiling.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from landcarbon.landuse._kernels import (
    _LOW32,
    STREAM_ORDER,
    _half_shift,
    cell_key,
    iteration_key,
    pair_hash,
)


@njit(cache=True, nogil=True)
def gather_proposals(
    cls: np.ndarray,
    candidate: np.ndarray,
    seeded: np.ndarray,
    origin: np.ndarray,
    n_classes: int,
    key: np.uint64,
    iteration: int,
    first_cell: int,
    stride: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The proposals of a map or tile as ``(category, order, cell, local)`` arrays.

    A proposal is a cell with a candidate class that still holds its class of the start
    of the allocation (``origin``: a cell converts at most once). ``category`` is
    ``(seeded * K + old) * K + new`` with K = ``n_classes``; ``order`` the cell's 32
    :data:`STREAM_ORDER` bits (uint64); ``cell`` its global flat index
    (``first_cell + r * stride + c``) and ``local`` its flat index in ``cls``. The cells
    come in row-major order.
    """
    rows, cols = cls.shape
    n = 0
    for r in range(rows):
        for c in range(cols):
            n += (candidate[r, c] >= 0) & (cls[r, c] == origin[r, c])
    category = np.empty(n, dtype=np.int64)
    order = np.empty(n, dtype=np.uint64)
    cell = np.empty(n, dtype=np.int64)
    local = np.empty(n, dtype=np.int64)
    ikey = iteration_key(key, iteration)
    shift = _half_shift(STREAM_ORDER)
    j = 0
    for r in range(rows):
        for c in range(cols):
            if candidate[r, c] < 0 or cls[r, c] != origin[r, c]:
                continue
            flat = first_cell + r * stride + c
            h = pair_hash(cell_key(ikey, flat), STREAM_ORDER)
            order[j] = (h >> shift) & _LOW32
            old = np.int64(cls[r, c])
            category[j] = (np.int64(seeded[r, c]) * n_classes + old) * n_classes + candidate[r, c]
            cell[j] = flat
            local[j] = r * cols + c
            j += 1
    return category, order, cell, local
