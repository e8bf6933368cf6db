"""Numba kernel of the transfer matrix: the joint class index of aligned maps, one pass.

:func:`joint_index` replaces a numpy expression with a ``searchsorted`` and several int64
temporaries per map (about 60 bytes per cell); it reads each cell once and writes one
int64, so a chunk of the cross-tabulation costs a few times less time and memory. Each
cell's index is the same integer as the numpy expression's, so counts do not change.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def joint_index(stack: np.ndarray, codes: np.ndarray, nodata: int) -> np.ndarray:
    """Joint index of ``stack[m, i]`` (map ``m``, cell ``i``; int codes) over sorted ``codes``.

    A cell gets ``sum_m idx_m * K**(n-1-m)`` (``idx_m``: position of its code in
    ``codes``); -1 when it is ``nodata`` in every map, ``K**n + 1`` when in some but not
    all, ``K**n`` when a code is not in ``codes`` (and no map is nodata there).
    """
    n, size = stack.shape
    k = codes.size
    unknown_flag = k**n
    some_nodata_flag = k**n + 1
    out = np.empty(size, dtype=np.int64)
    for i in range(size):
        key = 0
        missing = 0
        unknown = False
        for m in range(n):
            code = stack[m, i]
            idx = 0
            if code == nodata:
                missing += 1
            else:
                idx = min(np.searchsorted(codes, code), k - 1)
                unknown |= codes[idx] != code
            key = key * k + idx
        if missing == n:
            out[i] = -1
        elif missing:
            out[i] = some_nodata_flag
        elif unknown:
            out[i] = unknown_flag
        else:
            out[i] = key
    return out
