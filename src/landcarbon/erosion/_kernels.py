"""Numba kernels of the erosion wing: Horn gradients, priority-flood, D8 routing.

Kernels take plain numpy arrays and trust their input; the public wrappers in
:mod:`landcarbon.erosion.terrain` validate it first. NaN marks nodata everywhere.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# D8 neighbour offsets, clockwise from north-west; index k is the direction code.
_DR = np.array([-1, -1, -1, 0, 1, 1, 1, 0], dtype=np.int64)
_DC = np.array([-1, 0, 1, 1, 1, 0, -1, -1], dtype=np.int64)


@njit(cache=True, nogil=True)
def horn_difference(z: np.ndarray, axis: int) -> np.ndarray:
    """Horn (1981) weighted elevation difference per cell along ``axis``.

    ``axis=1`` gives ``((c + 2f + i) - (a + 2d + g)) / 8`` (rise per cell towards +x,
    i.e. east), ``axis=0`` gives ``((g + 2h + i) - (a + 2b + c)) / 8`` (rise per cell
    towards +row, i.e. south), for the window ``a b c / d e f / g h i``. A neighbour
    outside the array or NaN takes the centre value (GDAL's ``-compute_edges`` rule);
    a NaN centre gives NaN. Divide by the cell size in metres for a gradient.
    """
    rows, cols = z.shape
    out = np.empty((rows, cols), dtype=np.float64)
    for r in range(rows):
        for c in range(cols):
            e = z[r, c]
            if np.isnan(e):
                out[r, c] = np.nan
                continue
            a = _at(z, r - 1, c - 1, e)
            b = _at(z, r - 1, c, e)
            cc = _at(z, r - 1, c + 1, e)
            d = _at(z, r, c - 1, e)
            f = _at(z, r, c + 1, e)
            g = _at(z, r + 1, c - 1, e)
            h = _at(z, r + 1, c, e)
            i = _at(z, r + 1, c + 1, e)
            if axis == 1:
                out[r, c] = ((cc + 2.0 * f + i) - (a + 2.0 * d + g)) / 8.0
            else:
                out[r, c] = ((g + 2.0 * h + i) - (a + 2.0 * b + cc)) / 8.0
    return out


@njit(cache=True, nogil=True)
def _at(z: np.ndarray, r: int, c: int, centre: float) -> float:
    """``z[r, c]``, or ``centre`` when outside the array or NaN."""
    if r < 0 or c < 0 or r >= z.shape[0] or c >= z.shape[1]:
        return centre
    v = z[r, c]
    return centre if np.isnan(v) else v


@njit(cache=True, nogil=True)
def _less(zk: np.ndarray, sk: np.ndarray, i: int, j: int) -> bool:
    return zk[i] < zk[j] or (zk[i] == zk[j] and sk[i] < sk[j])


@njit(cache=True, nogil=True)
def _heap_push(
    zk: np.ndarray, sk: np.ndarray, cells: np.ndarray, size: int, z: float, seq: int, cell: int
) -> int:
    i = size
    zk[i] = z
    sk[i] = seq
    cells[i] = cell
    while i > 0:
        p = (i - 1) >> 1
        if not _less(zk, sk, i, p):
            break
        zk[i], zk[p] = zk[p], zk[i]
        sk[i], sk[p] = sk[p], sk[i]
        cells[i], cells[p] = cells[p], cells[i]
        i = p
    return size + 1


@njit(cache=True, nogil=True)
def _heap_pop(zk: np.ndarray, sk: np.ndarray, cells: np.ndarray, size: int) -> int:
    top = cells[0]
    size -= 1
    zk[0] = zk[size]
    sk[0] = sk[size]
    cells[0] = cells[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and _less(zk, sk, child + 1, child):
            child += 1
        if not _less(zk, sk, child, i):
            break
        zk[i], zk[child] = zk[child], zk[i]
        sk[i], sk[child] = sk[child], sk[i]
        cells[i], cells[child] = cells[child], cells[i]
        i = child
    return top


@njit(cache=True, nogil=True)
def priority_flood(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fill depressions with Barnes et al. (2014) "improved priority-flood" (Algorithm 2).

    Seeds are the valid cells on the map edge or beside a NaN (nodata) cell: water
    leaves the map there. Cells are processed lowest first (ties first-in first-out,
    so the result is deterministic); a neighbour lower than the cell that reaches it
    is raised to that cell's level and queued on a plain FIFO "pit" queue.

    Returns
    -------
    filled : float64 (rows, cols), the depression-free DEM (NaN kept).
    parent : int64 (rows*cols,), flat index of the cell that first reached each cell
        (-1 for seeds and nodata). Parents have filled elevation <= the cell's.
    order : int64 (n_valid,), flat indices in processing order; filled elevation is
        non-decreasing along it, so every cell's downslope receiver comes earlier.
    """
    rows, cols = z.shape
    n = rows * cols
    filled = z.copy().ravel()
    closed = np.zeros(n, dtype=np.bool_)
    parent = np.full(n, -1, dtype=np.int64)
    order = np.empty(n, dtype=np.int64)
    zk = np.empty(n, dtype=np.float64)
    sk = np.empty(n, dtype=np.int64)
    cells = np.empty(n, dtype=np.int64)
    pit = np.empty(n, dtype=np.int64)
    size = 0
    seq = 0
    for i in range(n):
        if np.isnan(filled[i]):
            closed[i] = True
            continue
        r = i // cols
        c = i - r * cols
        edge = r == 0 or c == 0 or r == rows - 1 or c == cols - 1
        if not edge:
            for k in range(8):
                if np.isnan(filled[(r + _DR[k]) * cols + c + _DC[k]]):
                    edge = True
                    break
        if edge:
            size = _heap_push(zk, sk, cells, size, filled[i], seq, i)
            seq += 1
    for i in range(size):
        closed[cells[i]] = True
    pit_head = 0
    pit_tail = 0
    done = 0
    while size > 0 or pit_head < pit_tail:
        if pit_head < pit_tail:
            u = pit[pit_head]
            pit_head += 1
        else:
            u = _heap_pop(zk, sk, cells, size)
            size -= 1
        order[done] = u
        done += 1
        ur = u // cols
        uc = u - ur * cols
        zu = filled[u]
        for k in range(8):
            vr = ur + _DR[k]
            vc = uc + _DC[k]
            if vr < 0 or vr >= rows or vc < 0 or vc >= cols:
                continue
            v = vr * cols + vc
            if closed[v]:
                continue
            closed[v] = True
            parent[v] = u
            if filled[v] <= zu:
                filled[v] = zu
                pit[pit_tail] = v
                pit_tail += 1
            else:
                size = _heap_push(zk, sk, cells, size, filled[v], seq, v)
                seq += 1
    return filled.reshape(rows, cols), parent, order[:done]


@njit(cache=True, nogil=True)
def d8_receivers(
    filled: np.ndarray, parent: np.ndarray, dx_rows: np.ndarray, dy_rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """D8 receiver of every cell on a depression-free DEM, and its flow-path length (m).

    The receiver is the neighbour of steepest descent (drop / distance, O'Callaghan &
    Mark 1984) among strictly lower valid neighbours. A cell with no lower neighbour
    (a flat, or a filled pit) drains to its priority-flood ``parent``, which leads to
    the flat's outlet; a seed with no lower neighbour is an outlet (receiver -1).
    ``dx_rows``/``dy_rows`` are the east-west and north-south cell sizes of each row (m).
    The length is the distance to the receiver (the cell's own ``dx`` for outlets).
    """
    rows, cols = filled.shape
    n = rows * cols
    zf = filled.ravel()
    receiver = np.full(n, -1, dtype=np.int64)
    length = np.full(n, np.nan, dtype=np.float64)
    for u in range(n):
        if np.isnan(zf[u]):
            continue
        ur = u // cols
        uc = u - ur * cols
        dx = dx_rows[ur]
        dy = dy_rows[ur]
        best = 0.0
        best_v = -1
        best_len = dx
        for k in range(8):
            vr = ur + _DR[k]
            vc = uc + _DC[k]
            if vr < 0 or vr >= rows or vc < 0 or vc >= cols:
                continue
            v = vr * cols + vc
            drop = zf[u] - zf[v]
            if not drop > 0.0:  # also skips NaN
                continue
            if _DR[k] == 0:
                dist = dx
            elif _DC[k] == 0:
                dist = dy
            else:
                dist = np.sqrt(dx * dx + dy * dy)
            if drop / dist > best:
                best = drop / dist
                best_v = v
                best_len = dist
        if best_v < 0 and parent[u] >= 0:
            best_v = parent[u]
            pr = best_v // cols
            pc = best_v - pr * cols
            if pr == ur:
                best_len = dx
            elif pc == uc:
                best_len = dy
            else:
                best_len = np.sqrt(dx * dx + dy * dy)
        receiver[u] = best_v
        length[u] = best_len
    return receiver, length


@njit(cache=True, nogil=True)
def accumulate(receiver: np.ndarray, order: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Sum ``weight`` over each cell and everything upstream of it (D8 flow accumulation).

    ``order`` must list every valid cell with each receiver before its donors (the
    priority-flood order does); cells are visited in reverse, passing their total on.
    Cells not in ``order`` (nodata) stay NaN.
    """
    acc = np.full(receiver.shape[0], np.nan, dtype=np.float64)
    for j in range(order.shape[0]):
        acc[order[j]] = weight[order[j]]
    for j in range(order.shape[0] - 1, -1, -1):
        u = order[j]
        r = receiver[u]
        if r >= 0:
            acc[r] += acc[u]
    return acc
