"""Numba kernels of the erosion wing: Horn gradients, priority-flood, D8 routing.

Kernels take plain numpy arrays and trust their input; the public wrappers in
:mod:`landcarbon.erosion.terrain` validate it first. NaN marks nodata everywhere.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, vectorize

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
def _heap_push(keys: np.ndarray, cells: np.ndarray, size: int, key: float, cell: int) -> int:
    """Insert into a binary min-heap (hole method); returns the new size."""
    i = size
    while i > 0:
        p = (i - 1) >> 1
        if keys[p] <= key:
            break
        keys[i] = keys[p]
        cells[i] = cells[p]
        i = p
    keys[i] = key
    cells[i] = cell
    return size + 1


@njit(cache=True, nogil=True)
def _heap_pop(keys: np.ndarray, cells: np.ndarray, size: int) -> int:
    """Remove and return the cell of the smallest key; the caller decrements the size."""
    top = cells[0]
    size -= 1
    key = keys[size]
    cell = cells[size]
    i = 0
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
        i = child
    keys[i] = key
    cells[i] = cell
    return top


@njit(cache=True, nogil=True)
def priority_flood(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fill depressions with Barnes et al. (2014) "improved priority-flood" (Algorithm 2).

    Seeds are the valid cells on the map edge or beside a NaN (nodata) cell: water
    leaves the map there. Cells are processed lowest first from a binary heap; a
    neighbour lower than the cell that reaches it is raised to that cell's level and
    queued on a plain first-in first-out "pit" queue, which is drained first, so a
    filled depression is flooded breadth-first from its spill point. The heap's tie
    order is fixed by the input, so the result is deterministic. The DEM is padded
    with a NaN border so neighbours need no bounds checks.

    Returns
    -------
    filled : float64 (rows, cols), the depression-free DEM (NaN kept).
    parent : int64 (rows*cols,), flat index of the cell that first reached each cell
        (-1 for seeds and nodata). Parents have filled elevation <= the cell's.
    order : int64 (n_valid,), flat indices in processing order; filled elevation is
        non-decreasing along it, so every cell's downslope receiver comes earlier.
    """
    rows, cols = z.shape
    pc = cols + 2
    npad = (rows + 2) * pc
    zp = np.full(npad, np.nan)
    for r in range(rows):
        for c in range(cols):
            zp[(r + 1) * pc + c + 1] = z[r, c]
    offsets = np.empty(8, dtype=np.int64)
    for k in range(8):
        offsets[k] = _DR[k] * pc + _DC[k]
    closed = np.zeros(npad, dtype=np.bool_)
    parent_p = np.full(npad, -1, dtype=np.int64)
    keys = np.empty(rows * cols, dtype=np.float64)
    cells = np.empty(rows * cols, dtype=np.int64)
    pit = np.empty(rows * cols, dtype=np.int64)
    order_p = np.empty(rows * cols, dtype=np.int64)
    size = 0
    for i in range(npad):
        if np.isnan(zp[i]):
            closed[i] = True
            continue
        for k in range(8):
            if np.isnan(zp[i + offsets[k]]):
                size = _heap_push(keys, cells, size, zp[i], i)
                closed[i] = True
                break
    pit_head = 0
    pit_tail = 0
    done = 0
    while size > 0 or pit_head < pit_tail:
        if pit_head < pit_tail:
            u = pit[pit_head]
            pit_head += 1
        else:
            u = _heap_pop(keys, cells, size)
            size -= 1
        order_p[done] = u
        done += 1
        zu = zp[u]
        for k in range(8):
            v = u + offsets[k]
            if closed[v]:
                continue
            closed[v] = True
            parent_p[v] = u
            if zp[v] <= zu:
                zp[v] = zu
                pit[pit_tail] = v
                pit_tail += 1
            else:
                size = _heap_push(keys, cells, size, zp[v], v)
    filled = np.empty((rows, cols), dtype=np.float64)
    parent = np.full(rows * cols, -1, dtype=np.int64)
    for r in range(rows):
        for c in range(cols):
            i = (r + 1) * pc + c + 1
            filled[r, c] = zp[i]
            q = parent_p[i]
            if q >= 0:
                parent[r * cols + c] = (q // pc - 1) * cols + q % pc - 1
    order = np.empty(done, dtype=np.int64)
    for j in range(done):
        q = order_p[j]
        order[j] = (q // pc - 1) * cols + q % pc - 1
    return filled, parent, order


@njit(cache=True, nogil=True)
def d8_receivers(
    filled: np.ndarray, parent: np.ndarray, dx_rows: np.ndarray, dy_rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """D8 receiver of every cell on a depression-free DEM, and its flow-path length (m).

    The receiver is the neighbour of steepest descent (drop / distance, O'Callaghan &
    Mark 1984) among strictly lower valid neighbours. A cell with no lower neighbour
    (a flat, or a filled pit) drains to its priority-flood ``parent``, which leads to
    the flat's outlet; a seed with no lower neighbour is an outlet (receiver -1).
    ``dx_rows``/``dy_rows`` are the east-west and north-south cell sizes of each row (m).
    Returns the receiver (flat index, -1 for outlets and nodata), the distance to it
    (m; the cell's own ``dx`` for outlets) and whether the step is diagonal.
    """
    rows, cols = filled.shape
    n = rows * cols
    zf = filled.ravel()
    receiver = np.full(n, -1, dtype=np.int64)
    length = np.full(n, np.nan, dtype=np.float64)
    diagonal = np.zeros(n, dtype=np.bool_)
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
        if best_v >= 0:
            diagonal[u] = best_v // cols != ur and best_v % cols != uc
    return receiver, length, diagonal


@njit(cache=True, nogil=True)
def accumulate(
    receiver: np.ndarray, order: np.ndarray, row_weight: np.ndarray, cols: int
) -> np.ndarray:
    """Sum a per-row weight over each cell and everything upstream of it (D8 accumulation).

    Each cell weighs ``row_weight[row]`` (1 for cell counts, the row's cell area for
    upslope area). ``order`` must list every valid cell with each receiver before its
    donors (the priority-flood order does); cells are visited in reverse, passing their
    total on. Cells not in ``order`` (nodata) stay NaN.
    """
    acc = np.full(receiver.shape[0], np.nan, dtype=np.float64)
    for j in range(order.shape[0]):
        acc[order[j]] = row_weight[order[j] // cols]
    for j in range(order.shape[0] - 1, -1, -1):
        u = order[j]
        r = receiver[u]
        if r >= 0:
            acc[r] += acc[u]
    return acc


GENTLE_SLOPE_DEG = math.degrees(math.atan(0.05))
"""2.8624°, the 5 % gradient that splits the slope cut-off factors (RUSLE guidelines)."""

FLAT_ANGLE_DEG = 0.1
"""Down-slope angle given to cells that drain without a drop (filled pits, flats)."""


@njit(cache=True, nogil=True)
def cumulative_slope_length(
    zf: np.ndarray,
    receiver: np.ndarray,
    length: np.ndarray,
    order: np.ndarray,
    dx_rows: np.ndarray,
    cols: int,
    cutoff_gentle: float,
    cutoff_steep: float,
) -> np.ndarray:
    """Cumulative slope length (m) along D8 flow paths with the slope cut-off of the LS tools.

    The rules of Hickey (2000) and Van Remortel et al. (2001, 2004) that the LS tools
    of the Chinese census carry on (Zhang et al. 2013; Fu et al. 2015). ``zf`` is the
    filled DEM (flat), ``receiver``/``length`` the D8 receiver and flow-path length
    (m) of each cell, ``order`` the priority-flood order (receivers before donors).

    * The down-slope angle of a cell is ``atan(drop / length)`` towards its receiver,
      :data:`FLAT_ANGLE_DEG` where the drop is 0; outlets (no receiver) have none.
    * A donor is a cell that drains into the cell from a higher elevation (a neighbour
      on the same level, as on a flat, is not).
    * A cell's slope length is the longest ``λ(donor) + ℓ(donor)`` over its donors,
      except donors cut off: the cell's angle is below ``factor × angle(donor)``, with
      ``factor = cutoff_gentle`` where the cell's angle is under 5 % (2.8624°) and
      ``cutoff_steep`` otherwise (0.7 and 0.5: cumulation ends where the slope drops by
      more than 30 % or 50 %). Outlets take their donors' length uncut.
    * A cell without donors (ridge, peak, flat) starts at half its own flow length; a
      cell whose every donor is cut off starts again at one cell (the east-west size).

    Returns λ (m) per cell (flat array), NaN on nodata.
    """
    n = receiver.shape[0]
    angle = np.full(n, np.nan)
    for j in range(order.shape[0]):
        u = order[j]
        r = receiver[u]
        if r >= 0:
            drop = zf[u] - zf[r]
            angle[u] = math.degrees(math.atan(drop / length[u])) if drop > 0 else FLAT_ANGLE_DEG
    lam = np.full(n, np.nan)
    longest = np.zeros(n)  # longest uncut path entering each cell (0: none)
    has_donor = np.zeros(n, dtype=np.bool_)
    for j in range(order.shape[0] - 1, -1, -1):  # donors before their receivers
        u = order[j]
        if longest[u] > 0.0:
            lam[u] = longest[u]
        elif has_donor[u]:
            lam[u] = dx_rows[u // cols]
        else:
            lam[u] = 0.5 * length[u]
        r = receiver[u]
        if r < 0 or not zf[u] > zf[r]:
            continue
        has_donor[r] = True
        a = angle[r]
        if not math.isnan(a):
            factor = cutoff_gentle if a < GENTLE_SLOPE_DEG else cutoff_steep
            if a < factor * angle[u]:
                continue
        longest[r] = max(longest[r], lam[u] + length[u])
    return lam


# ---------------------------------------------------------------- L and S per cell (ufuncs)
# Scalar formulas compiled to numpy ufuncs: one pass, no temporaries, NaN in -> NaN out.


@njit(cache=True, nogil=True)
def _mccool(theta_deg: float) -> float:
    if math.isnan(theta_deg):
        return math.nan
    s = math.sin(math.radians(theta_deg))
    beta = (s / 0.0896) / (3.0 * s**0.8 + 0.56)
    return beta / (1.0 + beta)


@vectorize(["float64(float64)"], cache=True)
def mccool_m(theta_deg: float) -> float:
    """McCool et al. (1989) exponent ``β/(1+β)``, ``β = (sinθ/0.0896)/(3 sinθ^0.8 + 0.56)``."""
    return _mccool(theta_deg)


@vectorize(["float64(float64)"], cache=True)
def csle_class_m(theta_deg: float) -> float:
    """CSLE census exponent: 0.2 (θ ≤ 1°), 0.3 (≤ 3°), 0.4 (≤ 5°), 0.5 (> 5°)."""
    if math.isnan(theta_deg):
        return math.nan
    if theta_deg <= 1.0:
        return 0.2
    if theta_deg <= 3.0:
        return 0.3
    if theta_deg <= 5.0:
        return 0.4
    return 0.5


@vectorize(["float64(float64)"], cache=True)
def invest_m(theta_deg: float) -> float:
    """InVEST SDR exponent: 0.2/0.3/0.4/0.5 up to 1/3.5/5/9 % slope, McCool's above."""
    if math.isnan(theta_deg):
        return math.nan
    pct = 100.0 * math.tan(math.radians(theta_deg))
    if pct <= 1.0:
        return 0.2
    if pct <= 3.5:
        return 0.3
    if pct <= 5.0:
        return 0.4
    if pct <= 9.0:
        return 0.5
    return _mccool(theta_deg)


@vectorize(["float64(float64)"], cache=True)
def s_csle(theta_deg: float) -> float:
    """CSLE S: McCool et al. (1987) below 10° (5° break), Liu et al. (1994) from 10°."""
    if math.isnan(theta_deg):
        return math.nan
    s = math.sin(math.radians(theta_deg))
    if theta_deg < 5.0:
        return 10.8 * s + 0.03
    if theta_deg < 10.0:
        return 16.8 * s - 0.50
    return 21.91 * s - 0.96


@vectorize(["float64(float64)"], cache=True)
def s_rusle(theta_deg: float) -> float:
    """RUSLE / InVEST S: ``10.8 sinθ + 0.03`` below 9 % slope, ``16.8 sinθ - 0.50`` above."""
    if math.isnan(theta_deg):
        return math.nan
    s = math.sin(math.radians(theta_deg))
    if 100.0 * math.tan(math.radians(theta_deg)) < 9.0:
        return 10.8 * s + 0.03
    return 16.8 * s - 0.50
