"""Numba kernels of :mod:`landcarbon.stats` (numpy in, numpy out, no I/O).

* :func:`fisher_jenks_edges`: exact 1-D optimal partition (Fisher 1958) over weighted
  unique values, O(k m log m) by divide-and-conquer optimisation of the dynamic
  programme (the within-class sum of squares is a Monge cost, so the leftmost optimal
  split point is monotone; Wang & Song 2011, *R Journal* 3(2):29, Ckmeans.1d.dp).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _class_ss(s1: np.ndarray, s2: np.ndarray, w: np.ndarray, a: int, b: int) -> float:
    """Within-class sum of squared deviations of unique values a..b (inclusive)."""
    weight = w[b + 1] - w[a]
    total = s1[b + 1] - s1[a]
    ss = (s2[b + 1] - s2[a]) - total * total / weight
    return ss if ss > 0.0 else 0.0


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
    first: int,
) -> None:
    """Row ``j`` of the DP for i >= ``first``: cur[i] = min_t prev[t-1] + ss(t, i), t the
    first index of class j.

    Divide and conquer over i with an explicit stack; ties go to the smallest t (the
    same choice as jenkspy's ``>=`` update while its lower class limit decreases). The
    candidates t are scanned downwards and the scan stops once ss(t, i) alone, plus the
    smallest ``prev`` of the range (``prev`` is non-decreasing), exceeds the best value
    (Ckmeans.1d.dp's bound; the relative slack keeps rounding from cutting an optimum).
    """
    m = cur.shape[0]
    stack = np.empty((256, 4), dtype=np.int64)
    stack[0, 0] = first
    stack[0, 1] = m - 1
    stack[0, 2] = j
    stack[0, 3] = m - 1
    top = 1
    while top > 0:
        top -= 1
        lo = stack[top, 0]
        hi = stack[top, 1]
        opt_lo = stack[top, 2]
        opt_hi = stack[top, 3]
        if lo > hi:
            continue
        mid = (lo + hi) // 2
        t_lo = max(opt_lo, j, lower[mid])
        t_hi = min(opt_hi, mid)
        floor = prev[t_lo - 1]
        best = np.inf
        best_t = t_lo
        for t in range(t_hi, t_lo - 1, -1):
            ss = _class_ss(s1, s2, w, t, mid)
            if ss + floor > best + 1e-12 * abs(best):
                break
            value = prev[t - 1] + ss
            if value <= best:
                best = value
                best_t = t
        cur[mid] = best
        split[mid] = best_t
        stack[top, 0] = lo
        stack[top, 1] = mid - 1
        stack[top, 2] = opt_lo
        stack[top, 3] = best_t
        stack[top + 1, 0] = mid + 1
        stack[top + 1, 1] = hi
        stack[top + 1, 2] = best_t
        stack[top + 1, 3] = opt_hi
        top += 2


@njit(cache=True, nogil=True)
def fisher_jenks_edges(unique: np.ndarray, counts: np.ndarray, k_max: int) -> np.ndarray:
    """Optimal edges for every class count 1..k_max from one dynamic programme.

    ``unique`` is sorted and distinct, ``counts`` their multiplicities,
    1 <= k_max <= len(unique). Row ``k - 1`` of the result holds the k + 1 edges
    ``[min, upper_1, ..., upper_{k-1}, max]`` (NaN padded). Values are centred on their
    weighted mean before the prefix sums, which keeps the sums of squares accurate for
    large or offset data.
    """
    m = unique.shape[0]
    weights = counts.astype(np.float64)
    centre = np.sum(unique * weights) / np.sum(weights)
    x = unique - centre
    s1 = np.zeros(m + 1)
    s2 = np.zeros(m + 1)
    w = np.zeros(m + 1)
    for i in range(m):
        s1[i + 1] = s1[i] + x[i] * weights[i]
        s2[i + 1] = s2[i] + x[i] * x[i] * weights[i]
        w[i + 1] = w[i] + weights[i]
    split = np.zeros((k_max, m), dtype=np.int64)
    prev = np.empty(m)
    for i in range(m):
        prev[i] = _class_ss(s1, s2, w, 0, i)
    cur = np.empty(m)
    for j in range(1, k_max):
        cur[:] = np.inf
        # the last row is only needed at i = m - 1 (the end of the data), and it reads the
        # row before only from the start of that row's last class at m - 1 (its lower
        # bound) on: that cell first, then the rest of the row from there
        first = m - 1 if j >= k_max - 2 else j
        _fill_row(prev, cur, split[j], split[j - 1], j, s1, s2, w, first)
        if j == k_max - 2:
            first = max(j, split[j, m - 1] - 1)
            _fill_row(prev, cur, split[j], split[j - 1], j, s1, s2, w, first)
        prev, cur = cur, prev
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
