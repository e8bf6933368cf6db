"""Numba kernels of the sinks wing: cost distance (Dijkstra with an indexed 4-ary heap).

Kernels take plain numpy arrays and trust their input; the public wrappers in
:mod:`landcarbon.sinks.mcr` validate it first.

Layout of the cost-distance kernel: the map is copied once into flat arrays with a
one-cell border (``cols + 2`` wide), so a neighbour is ``u + offset`` with no bounds
check; border and barrier cells start *done*, so one byte test skips the border, the
barriers and the settled cells. Half link lengths are tabled per row and direction.
Link costs are ``half_length × (R_u + R_v)`` with ``half_length = length × 0.5``, the
operations and order of scikit-image's ``MCP_Geometric``
(``offset_length * 0.5 * (old_cost + new_cost)``), so the costs agree bit for bit.
The heap is 4-ary (the children of slot ``i`` are ``4i + 1 .. 4i + 4``: half the levels
of a binary heap, the four keys side by side) with a position index for decrease-key.
Measured on 2000 × 2000 (issue 18, paired runs): 4-ary 1.1-1.3× faster than binary, 8-ary
no clear gain; a lazy-deletion heap (no position index, a push instead of a
decrease-key) 1.2-1.3× slower (more sift-downs); unrolling the 8 neighbours 1.4-2×
slower than this loop over offsets.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_UNSEEN = -1  # heap position of a cell not in the heap


@njit(cache=True, nogil=True)
def _sift_up(keys: np.ndarray, cells: np.ndarray, pos: np.ndarray, i: int, key: float) -> None:
    """Move the entry with ``key`` at heap slot ``i`` up to its place."""
    cell = cells[i]
    while i > 0:
        parent = (i - 1) >> 2
        if keys[parent] <= key:
            break
        keys[i] = keys[parent]
        cells[i] = cells[parent]
        pos[cells[i]] = i
        i = parent
    keys[i] = key
    cells[i] = cell
    pos[cell] = i


@njit(cache=True, nogil=True)
def _sift_down(keys: np.ndarray, cells: np.ndarray, pos: np.ndarray, size: int) -> None:
    """Put the last entry (at slot ``size``) in the root's place after a pop."""
    key = keys[size]
    cell = cells[size]
    i = 0
    while True:
        first = 4 * i + 1
        if first >= size:
            break
        child = first
        best = keys[first]
        last = min(first + 4, size)
        for j in range(first + 1, last):
            if keys[j] < best:
                best = keys[j]
                child = j
        if best >= key:
            break
        keys[i] = keys[child]
        cells[i] = cells[child]
        pos[cells[i]] = i
        i = child
    keys[i] = key
    cells[i] = cell
    pos[cell] = i


@njit(cache=True, nogil=True)
def cost_distance_kernel(
    resistance: np.ndarray,
    sources: np.ndarray,
    len_ew: np.ndarray,
    len_ns: np.ndarray,
    len_diag: np.ndarray,
    eight: bool,
    allocation: bool,
    unreached: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Accumulated cost from the nearest source and the label of that source.

    Parameters
    ----------
    resistance : float64 (rows, cols), > 0 where passable, NaN for barriers.
    sources : int32 (rows, cols), source label > 0 on source cells, 0 elsewhere.
    len_ew : float64 (rows,), east-west link length of each row (metres).
    len_ns : float64 (rows - 1,), north-south link length between row r and r + 1.
    len_diag : float64 (rows - 1,), diagonal link length between row r and r + 1.
    eight : use the 8 neighbours (else the 4 rook neighbours).
    allocation : also label every cell with its source (else an empty array is returned).
    unreached : the allocation label of barriers and unreachable cells.

    Returns
    -------
    cost : float64 (rows, cols), NaN where unreachable or a barrier.
    allocation : int32 (rows, cols), label of the source reached, ``unreached`` where
        unreachable; shape (0, 0) unless asked for.

    A link between cells u and v costs ``(R_u + R_v) / 2 × length`` (ESRI / scikit-image
    ``MCP_Geometric`` rule); costs accumulate with Dijkstra's algorithm.
    """
    rows, cols = resistance.shape
    w = cols + 2
    n = (rows + 2) * w
    res = np.empty(n)
    cost = np.full(n, np.inf)
    done = np.ones(n, dtype=np.uint8)  # border and barriers: never entered
    pos = np.full(n, _UNSEEN, dtype=np.int64)
    alloc = np.zeros(n if allocation else 0, dtype=np.int32)
    keys = np.empty(rows * cols)
    cells = np.empty(rows * cols, dtype=np.int64)
    size = 0
    for r in range(rows):
        base = (r + 1) * w + 1
        for c in range(cols):
            p = base + c
            rv = resistance[r, c]
            res[p] = rv
            if rv > 0.0:  # not NaN
                done[p] = 0
                if sources[r, c] > 0:
                    cost[p] = 0.0
                    if allocation:
                        alloc[p] = sources[r, c]
                    keys[size] = 0.0  # all keys equal: a valid heap without sifting
                    cells[size] = p
                    pos[p] = size
                    size += 1
    # neighbour offsets in the padded flat layout and the half link length of each, by
    # padded row (row r faces band r - 1 to the north and band r to the south; the bands
    # outside the map only face border cells)
    if eight:
        offsets = np.array([-w - 1, -w, -w + 1, -1, 1, w - 1, w, w + 1])
    else:
        offsets = np.array([-w, -1, 1, w])
    half = np.zeros((rows + 2, offsets.size))
    for r in range(rows):
        ew = len_ew[r] * 0.5
        ns_n = len_ns[r - 1] * 0.5 if r > 0 else 0.0
        ns_s = len_ns[r] * 0.5 if r < rows - 1 else 0.0
        if eight:
            dg_n = len_diag[r - 1] * 0.5 if r > 0 else 0.0
            dg_s = len_diag[r] * 0.5 if r < rows - 1 else 0.0
            half[r + 1] = (dg_n, ns_n, dg_n, ew, ew, dg_s, ns_s, dg_s)
        else:
            half[r + 1, 0] = ns_n
            half[r + 1, 1] = ew
            half[r + 1, 2] = ew
            half[r + 1, 3] = ns_s
    while size > 0:
        u = cells[0]
        cu = keys[0]
        size -= 1
        if size > 0:
            _sift_down(keys, cells, pos, size)
        done[u] = 1
        ru = res[u]
        pr = u // w
        label = alloc[u] if allocation else 0
        for k in range(offsets.size):
            v = u + offsets[k]
            if done[v]:
                continue
            new = cu + half[pr, k] * (ru + res[v])
            if new < cost[v]:
                cost[v] = new
                if allocation:
                    alloc[v] = label
                i = pos[v]
                if i < 0:
                    cells[size] = v
                    _sift_up(keys, cells, pos, size, new)
                    size += 1
                else:
                    _sift_up(keys, cells, pos, i, new)
    out = np.empty((rows, cols))
    out_alloc = np.empty((rows, cols) if allocation else (0, 0), dtype=np.int32)
    for r in range(rows):
        base = (r + 1) * w + 1
        for c in range(cols):
            cp = cost[base + c]
            reached = cp < np.inf
            out[r, c] = cp if reached else np.nan
            if allocation:
                out_alloc[r, c] = alloc[base + c] if reached else unreached
    return out, out_alloc
