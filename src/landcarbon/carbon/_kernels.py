"""Numba kernels of the carbon wing: one pass per cell over a class map block.

A class map is looked up through a dense index table ``index_lut`` over the code span
``[lo, lo + len(index_lut))``: ``index_lut[code - lo]`` is the row of the code in the
class table, or ``missing`` (= number of rows) for a code the table lacks. Per-cell
values come from a NaN-padded table ``padded`` (``padded[code - base]``, indices clipped
to its ends, which are NaN), so nodata and unknown codes give NaN. The per-cell lookups
run their rows in parallel (numba threads); each cell's arithmetic is the same whatever
the thread count, so the maps are bit-identical to a serial pass.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


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


@njit(cache=True, nogil=True, inline="always")
def _table_row(code: int, lo: int, index_lut: np.ndarray, n: int, nodata: int) -> int:
    """Table row of ``code``: its row, ``n`` if the table lacks it, ``n + 1`` for nodata."""
    if code == nodata:
        return n + 1
    j = np.int64(code) - lo
    return index_lut[j] if 0 <= j < index_lut.size else n


@njit(cache=True, nogil=True)
def row_counts(
    block: np.ndarray, row_area: np.ndarray, lo: int, index_lut: np.ndarray, n: int, nodata: int
) -> tuple[np.ndarray, np.ndarray]:
    """Cells (int64) and area (ha, float64) of each table row in ``block``, ``n + 2`` long.

    ``row_area[r]`` is the area of a cell of block row ``r``; entry ``n`` counts codes the
    table lacks, ``n + 1`` nodata. Runs of one code along a row are counted at once.
    """
    counts = np.zeros(n + 2, dtype=np.int64)
    area = np.zeros(n + 2, dtype=np.float64)
    for r in range(block.shape[0]):
        run = 0
        a = block[r, 0] if block.shape[1] else 0
        for c in range(block.shape[1]):
            x = block[r, c]
            if x == a:
                run += 1
                continue
            i = _table_row(a, lo, index_lut, n, nodata)
            counts[i] += run
            area[i] += run * row_area[r]
            a, run = x, 1
        if run:
            i = _table_row(a, lo, index_lut, n, nodata)
            counts[i] += run
            area[i] += run * row_area[r]
    return counts, area


@njit(cache=True, nogil=True)
def pair_counts(
    first: np.ndarray,
    second: np.ndarray,
    row_area: np.ndarray,
    lo: int,
    index_lut: np.ndarray,
    n: int,
    nodata: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Cells and area (ha) going from table row ``i`` of ``first`` to row ``j`` of ``second``.

    Two ``(n + 2, n + 2)`` arrays: int64 cell counts and float64 areas, ``row_area[r]`` the
    area (ha) of a cell of block row ``r``. Rows/columns ``n`` are codes the table lacks,
    ``n + 1`` nodata. Runs of equal code pairs along a row are counted at once, so a
    land-use map (long runs of one class) costs little more than reading it.
    """
    counts = np.zeros((n + 2, n + 2), dtype=np.int64)
    area = np.zeros((n + 2, n + 2), dtype=np.float64)
    for r in range(first.shape[0]):
        run = 0
        a = first[r, 0] if first.shape[1] else 0
        b = second[r, 0] if first.shape[1] else 0
        for c in range(first.shape[1]):
            x, y = first[r, c], second[r, c]
            if x == a and y == b:
                run += 1
                continue
            i, j = _table_row(a, lo, index_lut, n, nodata), _table_row(b, lo, index_lut, n, nodata)
            counts[i, j] += run
            area[i, j] += run * row_area[r]
            a, b, run = x, y, 1
        if run:
            i, j = _table_row(a, lo, index_lut, n, nodata), _table_row(b, lo, index_lut, n, nodata)
            counts[i, j] += run
            area[i, j] += run * row_area[r]
    return counts, area


@njit(cache=True, nogil=True, inline="always")
def _clip(code: int, base: int, top: int) -> int:
    """Index ``code - base`` of a padded table, clipped to ``[0, top]`` (its NaN ends)."""
    j = int(code) - base
    return 0 if j < 0 else (top if j > top else j)


@njit(cache=True, nogil=True, parallel=True)
def lookup(
    block: np.ndarray, base: int, padded: np.ndarray, area: np.ndarray, out: np.ndarray
) -> None:
    """``out[k] = padded[k, code - base] * area`` per cell for each of the ``K`` tables of
    ``padded`` (``K`` x span), e.g. t C/ha to t C per cell: one pass over the map for all
    of them (the total and the four pools), rows in parallel. (A plain lookup, with no
    area, is numpy's ``take``: ``landcarbon.carbon.classes``.)

    The product is taken in float64 and rounded once into ``out``'s dtype (float32 for
    files), so a float32 map equals the float64 map cast to float32.
    """
    top = padded.shape[1] - 1
    for r in prange(block.shape[0]):
        for c in range(block.shape[1]):
            j = _clip(block[r, c], base, top)
            for k in range(padded.shape[0]):
                out[k, r, c] = padded[k, j] * area[r, c]


@njit(cache=True, nogil=True, parallel=True)
def lookup_change(
    first: np.ndarray,
    second: np.ndarray,
    base: int,
    padded: np.ndarray,
    area: np.ndarray | None,
    out: np.ndarray,
) -> None:
    """``out = padded[second] - padded[first]`` per cell (times ``area`` when given), NaN
    where either is nodata; float64 arithmetic, rounded once into ``out``'s dtype; rows in
    parallel."""
    top = padded.size - 1
    for r in prange(first.shape[0]):
        for c in range(first.shape[1]):
            change = padded[_clip(second[r, c], base, top)] - padded[_clip(first[r, c], base, top)]
            out[r, c] = change if area is None else change * area[r, c]
