"""Numba kernels of the sinks wing: cost distance (row sweeps, then Dijkstra if needed).

Kernels take plain numpy arrays and trust their input; the public wrappers in
:mod:`landcarbon.sinks.mcr` validate it first.

Layout: the map is copied once into flat arrays with a one-cell border (``cols + 2``
wide, resistance NaN, cost inf), so a neighbour is ``u + offset`` with no bounds check.
Half link lengths are tabled per row and direction. Link costs are
``half_length × (R_u + R_v)`` with ``half_length = length × 0.5``, the operations and
order of scikit-image's ``MCP_Geometric`` (``offset_length * 0.5 * (old_cost +
new_cost)``), so every link has one float cost ``w_uv = w_vu`` (+ and × commute in IEEE).

Exactness of the sweeps. The costs are ``P_v``, the least over paths from a source of the
path sum accumulated in path order, ``fl(fl(w_1 + w_2) + ...)``. Rounding is monotone and
``fl(d + w) >= d`` for ``w >= 0``, so (i) any label-correcting scheme that starts at 0 on
sources and inf elsewhere, only ever sets ``d_v = fl(d_u + w_uv)`` when that is smaller,
and stops when no link lowers any label, ends at ``d = P`` (every label is the sum of a
path, so ``d >= P``; along an optimal path ``d <= P`` by induction); (ii) Dijkstra (and
scikit-image's) also ends at ``P``. Barriers (NaN) never lower anything (NaN compares
false), unreachable cells stay inf. So the sweeps give the same floats as Dijkstra and
``MCP_Geometric``; only ties of the allocation may pick another (equally near) source.

The row sweeps (:func:`_sweep`) alternate top-down and bottom-up passes; each row is
relaxed from the row before it (3 links a cell) and then along itself both ways, and is
skipped when that row has not changed since. A path that turns back in y n times needs
about n + 2 passes: smooth resistance fields converge in a few dozen passes (41 at
4000 × 4000 on the benchmark surface, about 18 full passes of work, 2.7-3.3 s against
10.6-10.8 s for the heap alone), mazes do not. On several cores the map is cut into
bands of rows swept at the same time, one thread each (:func:`_sweep`; the seams are
pulled between passes): the same passes (41) and floats, 4000 × 4000 kernel 1.57 s wall
(2.9 s CPU) on 2 bands against 2.75 s on one at load 1; at load 3-4 on 2 cores two bands
took 1.25× the wall of one (a thread waits for a core), so :func:`sweep_parts` takes one
band per core the load leaves idle. Tried and dropped: interleaving the left-to-right and
right-to-left runs of a row in one loop (two dependency chains at once): no faster
(2.78-2.87 s against 2.70-2.75 s). Dijkstra starts from scratch when the
passes after the first two keep reaching new cells (winding paths) or after
``max_passes`` full passes of work; measured on 1201 × 1201 (load 10): a comb of 600
walls 0.072 s against 0.048 s for the heap alone, a perfect maze 0.10 s against 0.09 s.
The heap is 4-ary (children of slot ``i``
are ``4i + 1 .. 4i + 4``) with a position index for decrease-key. Measured on 2000 × 2000
(issue 18, paired runs): 4-ary 1.1-1.3× faster than binary, 8-ary no clear gain; a
lazy-deletion heap 1.2-1.3× slower; unrolling the 8 neighbours 1.4-2× slower.
"""

from __future__ import annotations

import numpy as np
from numba import get_num_threads, njit, prange

from landcarbon._numba import sweep_threads

_UNSEEN = -1  # heap position of a cell not in the heap
MIN_PART_ROWS = 256  # rows of a band swept by one thread, at least


def sweep_parts(rows: int) -> int:
    """Bands of rows for the parallel sweeps: one per numba thread that the load leaves a
    core (:func:`landcarbon._numba.sweep_threads`), at least ``MIN_PART_ROWS`` rows each
    (smaller maps are swept on one thread)."""
    return max(1, min(sweep_threads(get_num_threads()), rows // MIN_PART_ROWS))


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
def _pull_row(
    cost: np.ndarray,
    alloc: np.ndarray,
    res: np.ndarray,
    half: np.ndarray,
    base: int,
    cols: int,
    pr: int,
    step: int,
    eight: bool,
    allocation: bool,
) -> tuple[bool, int]:
    """Relax the row starting at ``base`` (padded row ``pr``) from its neighbour row
    ``base + step`` (``step`` = -w: the row above, +w: the row below), then along the row
    left to right and right to left. Whether a cost fell, and how many cells were reached
    for the first time (cost inf before)."""
    changed = False
    found = 0
    # directions (from the cell) towards the neighbour row in the 8/4-neighbour tables
    if eight:
        k_mid = 1 if step < 0 else 6
    else:
        k_mid = 0 if step < 0 else 3
    h_mid = half[pr, k_mid]
    h_diag = half[pr, k_mid - 1] if eight else 0.0
    for c in range(cols):
        v = base + c
        rv = res[v]
        best = cost[v]
        u = v + step
        new = cost[u] + h_mid * (res[u] + rv)
        if new < best:
            best = new
            if allocation:
                alloc[v] = alloc[u]
        if eight:
            for u in (v + step - 1, v + step + 1):
                new = cost[u] + h_diag * (res[u] + rv)
                if new < best:
                    best = new
                    if allocation:
                        alloc[v] = alloc[u]
        if best < cost[v]:
            found += cost[v] == np.inf
            cost[v] = best
            changed = True
    h_ew = half[pr, 3 if eight else 1]
    for v in range(base + 1, base + cols):
        new = cost[v - 1] + h_ew * (res[v - 1] + res[v])
        if new < cost[v]:
            found += cost[v] == np.inf
            cost[v] = new
            changed = True
            if allocation:
                alloc[v] = alloc[v - 1]
    for v in range(base + cols - 2, base - 1, -1):
        new = cost[v + 1] + h_ew * (res[v + 1] + res[v])
        if new < cost[v]:
            found += cost[v] == np.inf
            cost[v] = new
            changed = True
            if allocation:
                alloc[v] = alloc[v + 1]
    return changed, found


@njit(cache=True, nogil=True)
def _sweep_part(
    cost: np.ndarray,
    alloc: np.ndarray,
    res: np.ndarray,
    half: np.ndarray,
    rows: int,
    cols: int,
    eight: bool,
    allocation: bool,
    lo: int,
    hi: int,
    down: bool,
    clock: int,
    stamp: np.ndarray,
    pulled: np.ndarray,
) -> tuple[int, bool, int, int]:
    """One pass over the padded rows ``lo .. hi`` of a part: top-down (each row pulled from
    the row above) or bottom-up. The part's first row is not pulled across a seam (a row
    of another part: :func:`_sweep` relaxes the seams between passes), only from the
    border. A row is skipped when its neighbour row has not changed (``stamp``, on the
    part's own ``clock``) since it was last pulled from it (``pulled``, of this direction).
    Returns the clock, whether a cost fell, the rows pulled and the cells reached first."""
    w = cols + 2
    n = hi - lo + 1
    changed = False
    pulls = 0
    found_all = 0
    for i in range(n):
        pr = lo + i if down else hi - i
        q = pr - 1 if down else pr + 1
        if q != 0 and q != rows + 1 and (q < lo or q > hi):
            continue  # across a seam
        if pulled[pr] > 0 and stamp[q] <= pulled[pr]:
            continue  # pulled from q (in this direction) since q last changed
        pulls += 1
        pulled[pr] = clock
        row_changed, found = _pull_row(
            cost, alloc, res, half, pr * w + 1, cols, pr, -w if down else w, eight, allocation
        )
        if row_changed:
            clock += 1
            stamp[pr] = clock
            changed = True
        found_all += found
    return clock, changed, pulls, found_all


@njit(cache=True, nogil=True, parallel=True)
def _sweep(
    cost: np.ndarray,
    alloc: np.ndarray,
    res: np.ndarray,
    half: np.ndarray,
    rows: int,
    cols: int,
    eight: bool,
    allocation: bool,
    max_passes: int,
    parts: int,
) -> int:
    """Label-correcting row sweeps until no cost falls; the number of passes, or -1 (hand
    over to Dijkstra) when the rows pulled exceeded ``max_passes`` full passes
    (``max_passes × rows``) before that, or when the passes after the first two reached
    more than 1/16 as many new cells as those two: the paths wind (mazes), each pass only
    follows them one turn further. ``max_passes`` -1: sweep to convergence whatever it
    takes (the tests' exactness proofs).

    The map is cut into ``parts`` bands of rows swept at the same time (one thread each,
    :func:`_sweep_part`), neighbouring bands in opposite directions (the first top-down,
    the second bottom-up, then the other way round), so what reaches a seam at the end of
    a pass crosses it and goes on in the next. Between passes the two rows of each seam are
    pulled from each other (one thread). The bands share no row, so the threads never
    write what another reads.

    Every change lowers a cost to a path sum (module notes), so the order of the pulls
    does not matter for the end result, only the stopping rule does. With one part: at
    the end of a top-down pass every link from a row to the row below is relaxed after
    the last change of the upper row (and every link within a row), likewise bottom-up; a
    pass that changes nothing after one of the other direction leaves every link relaxed.
    With several parts a seam pull at the end of a pass can change a row after its band
    pulled its neighbour from it, so two passes in a row must change nothing (one in each
    direction: every row pulled or skipped in both, the seams pulled): then too every
    link is relaxed, the fixed point ``d_v = min_u fl(d_u + w_uv)``, which is the least
    path sum of every cell, the same floats as Dijkstra's.
    """
    w = cols + 2
    stamp = np.zeros(rows + 2, dtype=np.int64)  # part clock of the last change of each row
    stamp[1 : rows + 1] = 1
    pulled_dn = np.zeros(rows + 2, dtype=np.int64)  # part clock when pulled from the row above
    pulled_up = np.zeros(rows + 2, dtype=np.int64)  # ... from the row below
    bounds = np.linspace(1, rows + 1, parts + 1).astype(np.int64)  # band j: bounds[j] .. [j+1]-1
    clocks = np.ones(parts, dtype=np.int64)
    changes = np.zeros(parts, dtype=np.bool_)
    pulls = np.zeros(parts, dtype=np.int64)
    founds = np.zeros(parts, dtype=np.int64)
    quiet_needed = 1 if parts == 1 else 2
    quiet = 0
    budget = max_passes * rows
    found_first = 0  # cells reached by the first two passes
    found_later = 0
    p = 0
    while True:
        for j in prange(parts):
            down = (p + j) % 2 == 0
            clocks[j], changes[j], pulls[j], founds[j] = _sweep_part(
                cost,
                alloc,
                res,
                half,
                rows,
                cols,
                eight,
                allocation,
                bounds[j],
                bounds[j + 1] - 1,
                down,
                clocks[j],
                stamp,
                pulled_dn if down else pulled_up,
            )
        changed = bool(changes.any())
        found = founds.sum()
        budget -= pulls.sum()
        for j in range(1, parts):  # the seams: upper row from the lower, then the lower
            a = bounds[j] - 1
            for pr, step, part in ((a, w, j - 1), (a + 1, -w, j)):
                row_changed, found_row = _pull_row(
                    cost, alloc, res, half, pr * w + 1, cols, pr, step, eight, allocation
                )
                found += found_row
                if row_changed:
                    clocks[part] += 1
                    stamp[pr] = clocks[part]
                    changed = True
        if p < 2:
            found_first += found
        else:
            found_later += found
        if max_passes >= 0 and (budget < 0 or 16 * found_later > found_first):
            return -1
        p += 1
        quiet = 0 if changed else quiet + 1
        if p > 1 and quiet >= quiet_needed:
            return p


@njit(cache=True, nogil=True)
def _dijkstra(
    cost: np.ndarray,
    alloc: np.ndarray,
    res: np.ndarray,
    half: np.ndarray,
    offsets: np.ndarray,
    w: int,
    sources: np.ndarray,
    allocation: bool,
) -> None:
    """Dijkstra from the ``sources`` (padded indices, cost 0) over cells with ``res > 0``."""
    n = cost.size
    done = np.ones(n, dtype=np.uint8)  # border and barriers: never entered
    for p in range(n):
        if res[p] > 0.0:  # not NaN
            done[p] = 0
    pos = np.full(n, _UNSEEN, dtype=np.int64)
    keys = np.zeros(n)  # all source keys are 0: a valid heap without sifting
    cells = np.empty(n, dtype=np.int64)
    size = sources.size
    for i in range(size):
        cells[i] = sources[i]
        pos[sources[i]] = i
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


@njit(cache=True, nogil=True, parallel=True)
def _pad(
    resistance: np.ndarray,
    sources: np.ndarray,
    res: np.ndarray,
    cost: np.ndarray,
    alloc: np.ndarray,
    allocation: bool,
) -> None:
    """Fill the padded flat arrays (rows in parallel): resistance with a NaN border, cost 0
    on sources and inf elsewhere, the source labels (0 elsewhere) when ``allocation``."""
    rows, cols = resistance.shape
    w = cols + 2
    n = res.size
    for p in range(w):  # the top and bottom border rows
        for q in (p, n - w + p):
            res[q] = np.nan
            cost[q] = np.inf
            if allocation:
                alloc[q] = 0
    for r in prange(rows):
        edge = (r + 1) * w
        for q in (edge, edge + w - 1):  # the left and right border cells
            res[q] = np.nan
            cost[q] = np.inf
            if allocation:
                alloc[q] = 0
        for c in range(cols):
            p = edge + 1 + c
            label = sources[r, c]
            res[p] = resistance[r, c]
            cost[p] = 0.0 if label > 0 else np.inf
            if allocation:
                alloc[p] = label if label > 0 else 0


@njit(cache=True, nogil=True)
def _source_cells(sources: np.ndarray, w: int) -> np.ndarray:
    """Padded flat indices of the source cells (label > 0), in row-major order."""
    rows, cols = sources.shape
    count = 0
    for r in range(rows):
        for c in range(cols):
            count += sources[r, c] > 0
    cells = np.empty(count, dtype=np.int64)
    count = 0
    for r in range(rows):
        for c in range(cols):
            if sources[r, c] > 0:
                cells[count] = (r + 1) * w + 1 + c
                count += 1
    return cells


@njit(cache=True, nogil=True, parallel=True)
def _unpad(
    cost: np.ndarray,
    alloc: np.ndarray,
    out: np.ndarray,
    out_alloc: np.ndarray,
    allocation: bool,
    unreached: int,
) -> None:
    """The padded costs (and labels) back on the map (rows in parallel): NaN (and
    ``unreached``) where the cost is inf."""
    rows, cols = out.shape
    w = cols + 2
    for r in prange(rows):
        base = (r + 1) * w + 1
        for c in range(cols):
            cp = cost[base + c]
            reached = cp < np.inf
            out[r, c] = cp if reached else np.nan
            if allocation:
                out_alloc[r, c] = alloc[base + c] if reached else unreached


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
    max_passes: int,
    parts: int,
) -> tuple[np.ndarray, np.ndarray, int]:
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
    max_passes : full passes of row sweeps tried before Dijkstra takes over (0: Dijkstra
        only; -1: sweeps only, to convergence however long; see :func:`_sweep`).
    parts : bands of rows swept in parallel (:func:`sweep_parts`), at least 2 rows each;
        the result does not depend on it.

    Returns
    -------
    cost : float64 (rows, cols), NaN where unreachable or a barrier.
    allocation : int32 (rows, cols), label of the source reached, ``unreached`` where
        unreachable; shape (0, 0) unless asked for.
    passes : the sweeps that converged, or 0 when Dijkstra computed the costs.

    A link between cells u and v costs ``(R_u + R_v) / 2 × length`` (ESRI / scikit-image
    ``MCP_Geometric`` rule); the sweeps and Dijkstra give the same floats (module notes).
    """
    rows, cols = resistance.shape
    w = cols + 2
    n = (rows + 2) * w
    res = np.empty(n)
    cost = np.empty(n)
    alloc = np.empty(n if allocation else 0, dtype=np.int32)
    _pad(resistance, sources, res, cost, alloc, allocation)
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
    passes = _sweep(cost, alloc, res, half, rows, cols, eight, allocation, max_passes, parts)
    if passes < 0:  # not converged (mazes, spirals): Dijkstra from scratch
        passes = 0
        src = _source_cells(sources, w)
        cost[:] = np.inf
        for p in src:
            cost[p] = 0.0
        _dijkstra(cost, alloc, res, half, offsets, w, src, allocation)
    out = np.empty((rows, cols))
    out_alloc = np.empty((rows, cols) if allocation else (0, 0), dtype=np.int32)
    _unpad(cost, alloc, out, out_alloc, allocation, unreached)
    return out, out_alloc, passes
