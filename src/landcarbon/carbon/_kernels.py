"""Numba kernels of the carbon wing: one pass per cell over a class map block.

A class map is looked up through a dense index table ``index_lut`` over the code span
``[lo, lo + len(index_lut))``: ``index_lut[code - lo]`` is the row of the code in the
class table, or ``missing`` (= number of rows) for a code the table lacks.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def class_bins(
    block: np.ndarray, lo: int, index_lut: np.ndarray, missing: int, nodata: int
) -> np.ndarray:
    """Row of each cell's code in the class table; ``missing`` if absent, -1 for nodata."""
    flat = block.ravel()
    out = np.empty(flat.size, dtype=np.int32)
    span = index_lut.size
    for i in range(flat.size):
        code = flat[i]
        if code == nodata:
            out[i] = -1
            continue
        j = np.int64(code) - lo
        out[i] = index_lut[j] if 0 <= j < span else missing
    return out.reshape(block.shape)


@njit(cache=True, nogil=True)
def pair_bins(
    first: np.ndarray, second: np.ndarray, lo: int, index_lut: np.ndarray, n: int, nodata: int
) -> np.ndarray:
    """``row(first) * (n + 2) + row(second)`` per cell, n the number of table rows.

    A row is the code's table row, ``n`` for a code the table lacks, ``n + 1`` for nodata.
    """
    a, b = first.ravel(), second.ravel()
    out = np.empty(a.size, dtype=np.int64)
    span = index_lut.size
    for i in range(a.size):
        ja, jb = np.int64(a[i]) - lo, np.int64(b[i]) - lo
        ra = n + 1 if a[i] == nodata else (index_lut[ja] if 0 <= ja < span else n)
        rb = n + 1 if b[i] == nodata else (index_lut[jb] if 0 <= jb < span else n)
        out[i] = np.int64(ra) * (n + 2) + rb
    return out.reshape(first.shape)
