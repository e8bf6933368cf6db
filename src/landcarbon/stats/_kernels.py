"""Numba kernels of :mod:`landcarbon.stats` (numpy in, numpy out, no I/O), and the thin
Python callers that allocate their work arrays.

* :func:`fisher_jenks_edges`: exact 1-D optimal partition (Fisher 1958) over weighted
  unique values, O(k m log m) by divide-and-conquer optimisation of the dynamic
  programme (the within-class sum of squares is a Monge cost, so the leftmost optimal
  split point is monotone; Wang & Song 2011, *R Journal* 3(2):29, Ckmeans.1d.dp).
  Each row is filled only from the cell the row above reads, on demand
  (:func:`_fill_table`); the candidates of a cell are evaluated in vectorised blocks
  (:func:`_best_split`), and the cells of a row below its top levels are shared out to
  ``parts`` threads (:func:`_fill_row`); none of it changes a result (same floats, same
  tie rule).
* :func:`sorted_unique_counts`: the distinct values of sorted data and their counts, in
  one pass; :func:`merged_unique_counts` the same of two sorted halves.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_BLOCK = 1024
"""Candidate split points of one cell evaluated together (a vectorised loop)."""

_SCALAR = 16
"""Cells with fewer candidates than this (most cells) are scanned one candidate at a time,
in line in :func:`_fill_range`, with the same bound and tie rule as :func:`_best_split`."""

_VALUE_FLAGS = {"nnan", "ninf", "nsz"}
"""fastmath flags that change no finite result (no contraction, no reassociation): they
let the minimum of a block vectorise."""


@njit(cache=True, nogil=True, error_model="numpy")
def _class_ss(
    s1: np.ndarray, s2: np.ndarray, w: np.ndarray, unit: bool, a: int | np.int64, b: int
) -> float:
    """Within-class sum of squared deviations of unique values a..b (inclusive).

    ``unit``: every count is 1, the weight is b + 1 - a (the same float as the prefix sums
    of the weights would give, which are then not kept). ``error_model="numpy"``: no
    division-by-zero check (the weight is >= 1), which keeps the scans that call this free
    of a branch."""
    weight = np.float64(b + 1 - a) if unit else w[b + 1] - w[a]
    total = s1[b + 1] - s1[a]
    ss = (s2[b + 1] - s2[a]) - total * total / weight
    return ss if ss > 0.0 else 0.0


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_VALUE_FLAGS)
def _block_min(
    prev: np.ndarray,
    s1: np.ndarray,
    s2: np.ndarray,
    w: np.ndarray,
    unit: bool,
    lo: int,
    hi: int,
    b: int,
    buf: np.ndarray,
) -> tuple[float, int]:
    """min over t in lo..hi of ``prev[t - 1] + ss(t, b)`` and its smallest t.

    The same floats as :func:`_class_ss` (``unit``: every count is 1, so the weight
    ``b + 1 - t`` is that of the prefix sums); the loop runs on slices so that it
    vectorises (no negative-index wrap), and ``error_model="numpy"`` drops the
    division-by-zero check (weights are >= 1).
    """
    n = hi - lo + 1
    p = prev[lo - 1 : hi]
    a1 = s1[lo : hi + 1]
    a2 = s2[lo : hi + 1]
    e1 = s1[b + 1]
    e2 = s2[b + 1]
    if unit:
        weight = np.float64(b + 1 - lo)
        for q in range(n):
            total = e1 - a1[q]
            buf[q] = p[q] + max((e2 - a2[q]) - total * total / (weight - q), 0.0)
    else:
        aw = w[lo : hi + 1]
        ew = w[b + 1]
        for q in range(n):
            total = e1 - a1[q]
            buf[q] = p[q] + max((e2 - a2[q]) - total * total / (ew - aw[q]), 0.0)
    low = np.inf
    for q in range(n):  # apart: a minimum in the loop above keeps it from vectorising
        low = min(low, buf[q])
    q = 0
    while buf[q] != low:
        q += 1
    return low, lo + q


@njit(cache=True, nogil=True, error_model="numpy")
def _best_split(
    prev: np.ndarray,
    s1: np.ndarray,
    s2: np.ndarray,
    w: np.ndarray,
    unit: bool,
    t_lo: int,
    t_hi: int,
    b: int,
    buf: np.ndarray,
) -> tuple[float, int]:
    """min over t in t_lo..t_hi of ``prev[t - 1] + ss(t, b)``, the smallest t on ties.

    Blocks of :data:`_BLOCK` candidates, downwards from ``t_hi``. ``ss(t, b)`` grows as t
    falls and ``prev`` is non-decreasing, so every t of a block lo..hi costs at least
    ``prev[lo - 1] + ss(hi, b)``: a block above the best so far is skipped, and the scan
    stops once ``ss(hi, b) + prev[t_lo - 1]`` is (Ckmeans.1d.dp's bound; the relative
    slack keeps rounding from cutting an optimum).
    """
    floor = prev[t_lo - 1]
    best = np.inf
    best_t = t_lo
    hi = t_hi
    while hi >= t_lo:
        lo = max(t_lo, hi - _BLOCK + 1)
        least = _class_ss(s1, s2, w, unit, hi, b)
        limit = best + 1e-12 * abs(best)
        if least + floor > limit:
            break
        if least + prev[lo - 1] <= limit:
            low, low_t = _block_min(prev, s1, s2, w, unit, lo, hi, b, buf)
            if low <= best:
                best = low
                best_t = low_t
        hi = lo - 1
    return best, best_t


@njit(cache=True, nogil=True, error_model="numpy")
def _fill_range(
    prev: np.ndarray,
    cur: np.ndarray,
    split: np.ndarray,
    lower: np.ndarray,
    j: int,
    s1: np.ndarray,
    s2: np.ndarray,
    w: np.ndarray,
    unit: bool,
    task: np.ndarray,
) -> None:
    """Cells ``task[0]..task[1]`` of row ``j`` whose split points lie in
    ``task[2]..task[3]``: cur[i] = min_t prev[t-1] + ss(t, i), t the first index of class j.

    Divide and conquer over i with an explicit stack: the middle cell's split bounds
    those of the cells on either side (ties go to the smallest t, the same choice as
    jenkspy's ``>=`` update while its lower class limit decreases); ``lower`` (the split
    of row j - 1) bounds it from below.
    """
    buf = np.empty(_BLOCK)
    stack = np.empty((256, 4), dtype=np.int64)
    for e in range(4):  # element by element: a slice copy compiles its shape-mismatch message
        stack[0, e] = task[e]
    top = 1
    while top > 0:
        top -= 1
        lo, hi, opt_lo, opt_hi = stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3]
        if lo > hi:
            continue
        mid = (lo + hi) // 2
        t_lo = max(opt_lo, j, lower[mid])
        t_hi = min(opt_hi, mid)
        if t_hi - t_lo < _SCALAR:  # most cells: one at a time, in line (no call)
            floor = prev[t_lo - 1]
            best = np.inf
            best_t = t_lo
            for t in range(t_hi, t_lo - 1, -1):
                ss = _class_ss(s1, s2, w, unit, t, mid)
                if ss + floor > best + 1e-12 * abs(best):
                    break
                value = prev[t - 1] + ss
                if value <= best:
                    best = value
                    best_t = t
        else:
            best, best_t = _best_split(prev, s1, s2, w, unit, t_lo, t_hi, mid, buf)
        cur[mid] = best
        split[mid] = best_t
        stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3] = lo, mid - 1, opt_lo, best_t
        stack[top + 1, 0], stack[top + 1, 1] = mid + 1, hi
        stack[top + 1, 2], stack[top + 1, 3] = best_t, opt_hi
        top += 2


@njit(cache=True, nogil=True)
def _fill_row(
    prev: np.ndarray,
    cur: np.ndarray,
    split: np.ndarray,
    lower: np.ndarray,
    j: int,
    s1: np.ndarray,
    s2: np.ndarray,
    w: np.ndarray,
    unit: bool,
    task: np.ndarray,
    parts: int | None,
) -> None:
    """Cells ``task[0]..task[1]`` of row ``j``, split points in ``task[2]..task[3]``
    (:func:`_fill_range`), on ``parts`` threads (:func:`_fill_row_parallel`), or on this
    one when ``parts`` is None.

    numba drops the branch that the type of ``parts`` rules out before it compiles, so
    with None the parallel kernel (seconds of compilation) is not compiled at all: small
    data, where a thread team costs more than it saves, never pay for it. Same result.
    """
    if parts is None:
        _fill_range(prev, cur, split, lower, j, s1, s2, w, unit, task)
    else:
        _fill_row_parallel(prev, cur, split, lower, j, s1, s2, w, unit, task, parts)


@njit(cache=True, nogil=True, parallel=True)
def _fill_row_parallel(
    prev: np.ndarray,
    cur: np.ndarray,
    split: np.ndarray,
    lower: np.ndarray,
    j: int,
    s1: np.ndarray,
    s2: np.ndarray,
    w: np.ndarray,
    unit: bool,
    task: np.ndarray,
    parts: int,
) -> None:
    """:func:`_fill_row` on ``parts`` threads.

    With ``parts`` > 1 the top levels of the divide and conquer are solved here, breadth
    first, until there are at least 4 ``parts`` independent subranges (disjoint cells and
    bounds, so the threads share nothing they write); thread p takes subranges p,
    p + parts, ... (neighbouring subranges differ most in cost). The cells and their
    values are those of one thread.
    """
    if parts == 1:  # no thread team at all (an idle one spins)
        _fill_range(prev, cur, split, lower, j, s1, s2, w, unit, task)
        return
    tasks = task.reshape((1, 4))
    buf = np.empty(_BLOCK)
    while 0 < tasks.shape[0] < 4 * parts:
        below = np.empty((2 * tasks.shape[0], 4), dtype=np.int64)
        count = 0
        for q in range(tasks.shape[0]):
            lo, hi, opt_lo, opt_hi = tasks[q, 0], tasks[q, 1], tasks[q, 2], tasks[q, 3]
            mid = (lo + hi) // 2
            t_lo = max(opt_lo, j, lower[mid])
            best, best_t = _best_split(prev, s1, s2, w, unit, t_lo, min(opt_hi, mid), mid, buf)
            cur[mid] = best
            split[mid] = best_t
            if lo < mid:
                below[count, 0], below[count, 1] = lo, mid - 1
                below[count, 2], below[count, 3] = opt_lo, best_t
                count += 1
            if mid < hi:
                below[count, 0], below[count, 1] = mid + 1, hi
                below[count, 2], below[count, 3] = best_t, opt_hi
                count += 1
        tasks = below[:count]
    n_tasks = tasks.shape[0]
    for p in prange(parts):
        for q in range(p, n_tasks, parts):
            _fill_range(prev, cur, split, lower, j, s1, s2, w, unit, tasks[q])


@njit(cache=True, nogil=True)
def _prefix_sums(unique: np.ndarray, counts: np.ndarray, sums: np.ndarray) -> bool:
    """Prefix sums (from 0, m + 1 each) of weighted value, weighted squared value and
    weight into rows 0, 1, 2 of ``sums``, on values centred on their weighted mean;
    returns whether every count is 1 (then the weights are not summed: row 2 is left as
    it is). One pass for the mean and one for the sums, no temporaries (the sums in the
    order ``np.sum(unique * weights)`` takes, so the same floats)."""
    m = unique.shape[0]
    total = 0.0
    weight = 0.0
    unit = True
    for i in range(m):
        total += unique[i] * np.float64(counts[i])
        weight += np.float64(counts[i])
        unit = unit and counts[i] == 1
    centre = total / weight
    s1, s2, w = sums[0], sums[1], sums[2]
    s1[0] = s2[0] = 0.0
    for i in range(m):
        x = unique[i] - centre
        c = np.float64(counts[i])
        s1[i + 1] = s1[i] + x * c
        s2[i + 1] = s2[i] + x * x * c
    if not unit:
        w[0] = 0.0
        for i in range(m):
            w[i + 1] = w[i] + np.float64(counts[i])
    return unit


@njit(cache=True, nogil=True)
def _fill_table(
    unique: np.ndarray,
    counts: np.ndarray,
    k_max: int,
    parts: int | None,
    sums: np.ndarray,
    cost: np.ndarray,
    split: np.ndarray,
) -> np.ndarray:
    """The dynamic programme into ``sums`` (3 x (m + 1), :func:`_prefix_sums`), ``cost``
    and ``split`` (k_max x m): ``cost[j, i]`` is the least within-class sum of squares of
    0..i in j + 1 classes and ``split[j, i]`` the first index of class j there, for
    i >= ``filled[j]`` (returned); row 0 of ``split`` (all 0) is not written.

    Row j is filled only from the cell the rows above read, right to left, on demand: the
    last row is needed at the end of the data alone (i = m - 1), and row j at cells
    i >= c reads row j - 1 from ``split[j - 1, c] - 1`` on (the start of class j never
    precedes that of class j - 1 at the same end, which bounds the candidates). So
    ``filled[k_max - 1] = m - 1`` and ``filled[j - 1] = max(j - 1, split[j - 1, filled[j]] - 1)``:
    a fraction of m for every row but the first (10^6 gamma values, k = 5: 0.87 of a row
    in all instead of 2.05). The optimal path of every k <= k_max lies in those cells.
    """
    m = unique.shape[0]
    unit = _prefix_sums(unique, counts, sums)
    s1, s2, w = sums[0], sums[1], sums[2]
    # a typed zero, not the constant 0: numba would compile _class_ss once more for it
    zero = np.int64(0)
    for i in range(m):
        cost[0, i] = _class_ss(s1, s2, w, unit, zero, i)
    filled = np.full(k_max, m, dtype=np.int64)
    filled[0] = 0
    demand = np.empty((k_max, 2), dtype=np.int64)  # rows to fill from a cell: a stack
    demand[0, 0], demand[0, 1] = k_max - 1, m - 1
    depth = 1 if k_max > 1 else 0
    task = np.empty(4, dtype=np.int64)
    while depth > 0:
        j, c = demand[depth - 1, 0], demand[depth - 1, 1]
        if filled[j] <= c:
            depth -= 1
            continue
        # row j - 1 must hold cell c (its split bounds the reads) and every cell read
        need = c if filled[j - 1] > c else max(j - 1, split[j - 1, c] - 1) if j > 1 else 0
        if filled[j - 1] > need:
            demand[depth, 0], demand[depth, 1] = j - 1, need
            depth += 1
            continue
        task[0], task[1], task[2] = c, filled[j] - 1, j
        task[3] = split[j, filled[j]] if filled[j] < m else m - 1
        lower = split[j - 1]
        if j == 1:  # the bound 0 of row 0, read from the cells of row 1 before each is filled
            lower = split[1]
            lower[c : filled[1]] = 0
        _fill_row(cost[j - 1], cost[j], split[j], lower, j, s1, s2, w, unit, task, parts)
        filled[j] = c
        depth -= 1
    return filled


def dp_table(
    unique: np.ndarray, counts: np.ndarray, k_max: int, parts: int | None = 1
) -> tuple[np.ndarray, np.ndarray]:
    """``split`` (k_max x m) and ``filled`` of :func:`_fill_table`, on work arrays that
    numpy allocates: its allocator asks the kernel for huge pages, numba's does not (at
    10^6 values, k = 5: ~1.3k page faults instead of ~9k, a tenth of the call)."""
    m = unique.shape[0]
    sums = np.empty((3, m + 1))
    cost = np.empty((k_max, m))
    split = np.empty((k_max, m), dtype=np.int64)
    threads = None if parts is None else int(parts)
    filled = _fill_table(unique, counts, int(k_max), threads, sums, cost, split)
    return split, filled


def fisher_jenks_edges(
    unique: np.ndarray, counts: np.ndarray, k_max: int, parts: int | None = 1
) -> np.ndarray:
    """Optimal edges for every class count 1..k_max from one dynamic programme
    (:func:`dp_table`).

    ``unique`` is sorted and distinct, ``counts`` their multiplicities (int64),
    1 <= k_max <= len(unique). Row ``k - 1`` of the result holds the k + 1 edges
    ``[min, upper_1, ..., upper_{k-1}, max]`` (NaN padded). Values are centred on their
    weighted mean before the prefix sums, which keeps the sums of squares accurate for
    large or offset data. ``parts``: threads for the rows, None for one thread without
    compiling the parallel kernel (the result does not depend on it; :func:`_fill_row`).
    """
    m = unique.shape[0]
    split, _ = dp_table(unique, counts, k_max, parts)
    edges = np.full((k_max, k_max + 1), np.nan)
    for k in range(1, k_max + 1):
        edges[k - 1, 0] = unique[0]
        edges[k - 1, k] = unique[m - 1]
        end = m - 1
        for j in range(k - 1, 0, -1):
            start = split[j, end]
            edges[k - 1, j] = unique[start - 1]
            end = start - 1
    return edges


@njit(cache=True, nogil=True)
def sorted_unique_counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of sorted ``values`` (non-empty) and how often each occurs;
    ``values`` itself when they are all distinct (as ``np.unique`` with counts, without
    its second sort)."""
    n = values.shape[0]
    distinct = 1
    for i in range(1, n):
        distinct += values[i] != values[i - 1]
    if distinct == n:
        return values, np.ones(n, dtype=np.int64)
    unique = np.empty(distinct)
    counts = np.zeros(distinct, dtype=np.int64)
    unique[0] = values[0]
    k = 0
    for i in range(n):
        if values[i] != unique[k]:
            k += 1
            unique[k] = values[i]
        counts[k] += 1
    return unique, counts


@njit(cache=True, nogil=True)
def merged_unique_counts(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of two sorted arrays together (not both empty) and how often
    each occurs, in one merge: :func:`sorted_unique_counts` of their sorted union, without
    writing the union."""
    na = a.shape[0]
    nb = b.shape[0]
    unique = np.empty(na + nb)
    counts = np.empty(na + nb, dtype=np.int64)
    i = 0
    j = 0
    k = 0
    while i < na or j < nb:
        if j == nb or (i < na and a[i] <= b[j]):
            v = a[i]
            i += 1
        else:
            v = b[j]
            j += 1
        if k > 0 and unique[k - 1] == v:
            counts[k - 1] += 1
        else:
            unique[k] = v
            counts[k] = 1
            k += 1
    return unique[:k], counts[:k]


@njit(cache=True, nogil=True)
def stratum_moments(
    codes: np.ndarray, y: np.ndarray, centre: float, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-stratum count, sum and sum of squares of ``y - centre`` in one pass.

    Rows with a code outside ``[0, size)`` (the -1 of a missing value) are skipped.
    """
    n = np.zeros(size, dtype=np.int64)
    s1 = np.zeros(size)
    s2 = np.zeros(size)
    for i in range(codes.shape[0]):
        c = codes[i]
        if c < 0 or c >= size:
            continue
        d = y[i] - centre
        n[c] += 1
        s1[c] += d
        s2[c] += d * d
    return n, s1, s2


@njit(cache=True, nogil=True)
def pair_codes(a: np.ndarray, b: np.ndarray, size_b: int) -> np.ndarray:
    """Codes of the overlay ``a ∩ b``: ``a * size_b + b``, -1 where either is missing."""
    out = np.empty(a.shape[0], dtype=np.int64)
    for i in range(a.shape[0]):
        out[i] = a[i] * size_b + b[i] if a[i] >= 0 and b[i] >= 0 else -1
    return out


@njit(cache=True, nogil=True)
def dense_integer_codes(
    values: np.ndarray, nodata: int, max_span: int
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Codes 0..L-1 of integers in sorted order of value (-1 for ``nodata``), in O(n).

    Returns (codes, labels, ok); ``ok`` is False (and nothing computed) when the range
    ``max - min + 1`` exceeds ``max_span`` or every value is nodata.
    """
    n = values.shape[0]
    lo = np.int64(np.iinfo(np.int64).max)
    hi = np.int64(np.iinfo(np.int64).min)
    for i in range(n):
        v = np.int64(values[i])
        if v != nodata:
            if v < lo:
                lo = v
            if v > hi:
                hi = v
    if hi < lo or hi - lo + 1 > max_span:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), False
    span = hi - lo + 1
    lookup = np.zeros(span, dtype=np.int64)
    for i in range(n):
        v = np.int64(values[i])
        if v != nodata:
            lookup[v - lo] = 1
    labels = np.empty(np.sum(lookup), dtype=np.int64)
    count = 0
    for j in range(span):
        if lookup[j]:
            labels[count] = j + lo
            lookup[j] = count
            count += 1
    codes = np.empty(n, dtype=np.int64)
    for i in range(n):
        v = np.int64(values[i])
        codes[i] = -1 if v == nodata else lookup[v - lo]
    return codes, labels, True
