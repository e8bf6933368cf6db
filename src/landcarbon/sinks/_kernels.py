"""Numba kernels of the sinks wing: cost distance (Dijkstra with an indexed binary heap).

Kernels take plain numpy arrays and trust their input; the public wrappers in
:mod:`landcarbon.sinks.mcr` validate it first.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_UNSEEN = np.int8(0)
_QUEUED = np.int8(1)
_DONE = np.int8(2)


@njit(cache=True, nogil=True)
def _sift_up(keys: np.ndarray, cells: np.ndarray, pos: np.ndarray, i: int) -> None:
    key = keys[i]
    cell = cells[i]
    while i > 0:
        parent = (i - 1) >> 1
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
def _sift_down(keys: np.ndarray, cells: np.ndarray, pos: np.ndarray, i: int, size: int) -> None:
    key = keys[i]
    cell = cells[i]
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and keys[child + 1] < keys[child]:
            child += 1
        if keys[child] >= key:
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

    Returns
    -------
    cost : float64 (rows, cols), NaN where unreachable or a barrier.
    allocation : int32 (rows, cols), label of the source reached, 0 where unreachable.

    A link between cells u and v costs ``(R_u + R_v) / 2 × length`` (ESRI / scikit-image
    ``MCP_Geometric`` rule); costs accumulate with Dijkstra's algorithm.
    """
    rows, cols = resistance.shape
    n = rows * cols
    res = resistance.ravel()
    src = sources.ravel()
    cost = np.full(n, np.inf)
    alloc = np.zeros(n, dtype=np.int32)
    state = np.zeros(n, dtype=np.int8)
    pos = np.empty(n, dtype=np.int64)
    keys = np.empty(n, dtype=np.float64)
    cells = np.empty(n, dtype=np.int64)
    size = 0
    for i in range(n):
        if src[i] > 0:
            cost[i] = 0.0
            alloc[i] = src[i]
            state[i] = _QUEUED
            keys[size] = 0.0
            cells[size] = i
            pos[i] = size
            size += 1
    if eight:
        drs = np.array([-1, -1, -1, 0, 0, 1, 1, 1])
        dcs = np.array([-1, 0, 1, -1, 1, -1, 0, 1])
    else:
        drs = np.array([-1, 0, 0, 1])
        dcs = np.array([0, -1, 1, 0])
    while size > 0:
        u = cells[0]
        cu = keys[0]
        size -= 1
        if size > 0:
            keys[0] = keys[size]
            cells[0] = cells[size]
            pos[cells[0]] = 0
            _sift_down(keys, cells, pos, 0, size)
        state[u] = _DONE
        ur = u // cols
        uc = u - ur * cols
        ru = res[u]
        for k in range(drs.shape[0]):
            vr = ur + drs[k]
            vc = uc + dcs[k]
            if vr < 0 or vr >= rows or vc < 0 or vc >= cols:
                continue
            v = vr * cols + vc
            if state[v] == _DONE:
                continue
            rv = res[v]
            if not rv > 0.0:  # NaN: barrier
                continue
            if drs[k] == 0:
                length = len_ew[ur]
            else:
                band = min(ur, vr)
                length = len_ns[band] if dcs[k] == 0 else len_diag[band]
            new = cu + 0.5 * (ru + rv) * length
            if state[v] == _UNSEEN:
                state[v] = _QUEUED
                cost[v] = new
                alloc[v] = alloc[u]
                keys[size] = new
                cells[size] = v
                pos[v] = size
                size += 1
                _sift_up(keys, cells, pos, size - 1)
            elif new < cost[v]:
                cost[v] = new
                alloc[v] = alloc[u]
                keys[pos[v]] = new
                _sift_up(keys, cells, pos, pos[v])
    for i in range(n):
        if state[i] != _DONE:
            cost[i] = np.nan
    return cost.reshape(rows, cols), alloc.reshape(rows, cols)
