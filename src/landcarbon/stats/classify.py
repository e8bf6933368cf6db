"""Discretisation of continuous values into classes: breaks and class assignment.

Methods (``k`` classes, NaN ignored everywhere):

* ``natural`` — Jenks / Fisher natural breaks: the exact partition that minimises the
  within-class sum of squared deviations (Fisher 1958). Solved exactly over the
  weighted unique values by a divide-and-conquer dynamic programme in numba,
  O(k m log m) for m unique values: the same partition as jenkspy (O(k n^2)) at any size,
  with no sampling. Where two partitions are equally good within double precision (their
  within-class sums of squares differ by less than ~1e-16 of the total, e.g. exact ties
  on integer data), either may be returned, as in jenkspy, whose choice there depends on
  its rounding. Edges follow jenkspy: ``[min, upper_1, ..., upper_{k-1}, max]``.
* ``equal`` — equal interval: ``min + j (max - min)/k``.
* ``quantile`` — cut-points ``sorted[int(j (n - 1)/k)]`` (the C++ truncating index of
  sdsfun, used by the optimal-parameter GeoDetector). Duplicated cut-points are kept, as
  there: with ties some classes are empty (a repeated minimum becomes a class of its own).
* ``geometric`` — ``min * f^j`` with ``f = (max/min)^(1/k)``; needs ``min > 0``.
* ``sd`` — standard deviation: edges one sample standard deviation ``s`` apart,
  ``mean + (j - k/2) s``. ``convention="sdsfun"`` puts them at ``j = 2..k`` (the rule of
  sdsfun's ``sdDisc``, ``class = clip(floor(z + k/2), 1, k)``, used by the OPGD
  reference results); ``convention="centred"`` at ``j = 1..k-1``, symmetric about the mean.

Interval closure (which class a value equal to an edge joins) is chosen in
:func:`assign_classes`: ``closed="right"`` (the default: jenkspy, mapclassify, equal
interval and quantile classes of sdsfun) gives classes ``[e0, e1], (e1, e2], ...``;
``closed="left"`` (sdsfun's natural, geometric and sd classes) gives
``[e0, e1), [e1, e2), ..., [e_{k-1}, e_k]``. :data:`DEFAULT_CLOSURE` lists the closure
:func:`discretize` uses per method (the sdsfun rules behind the OPGD references).
Values outside ``[e0, e_k]`` join the first or last class.

Every breaks method is a global step: chunked (dask) values are refused with a
:class:`~landcarbon.errors.BackendError` (:data:`SAMPLE_FIX` says what to do) rather than
loaded whole.

References
----------
Fisher, W. D. (1958). On grouping for maximum homogeneity. *JASA* 53(284), 789-798.
https://doi.org/10.1080/01621459.1958.10501479
Wang, H., Song, M. (2011). Ckmeans.1d.dp: optimal k-means clustering in one dimension by
dynamic programming. *The R Journal* 3(2), 29-33. https://doi.org/10.32614/RJ-2011-015
Song, Y., Wang, J., Ge, Y., Xu, C. (2020). An optimal parameters-based geographical
detector model enhances geographic characteristics of explanatory variables for spatial
heterogeneity analysis. *GIScience & Remote Sensing* 57(5), 593-610.
https://doi.org/10.1080/15481603.2020.1760434
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from landcarbon.backend import is_dask, require_in_memory
from landcarbon.errors import ParameterError

Closure = Literal["left", "right"]
Method = Literal["natural", "equal", "quantile", "geometric", "sd"]
METHODS: tuple[Method, ...] = ("sd", "equal", "geometric", "quantile", "natural")
"""Discretisation methods, in the order the OPGD search tries them (first max wins)."""

DEFAULT_CLOSURE: dict[str, Closure] = {
    "equal": "right",
    "quantile": "right",
    "natural": "left",
    "geometric": "left",
    "sd": "left",
}
"""Interval closure :func:`discretize` uses per method (sdsfun's ``*Disc`` rules)."""


SAMPLE_FIX = (
    "fit the breaks on a sample: draw N values first (e.g. data.ravel()[idx].compute()) and "
    "classify those; importance_levels takes sample_size=N (CLI: landcarbon sinks "
    "--breaks-sample N)"
)
"""The fix a :class:`~landcarbon.errors.BackendError` names for chunked input to breaks."""


def _flat(values: Any, k: int, what: str) -> np.ndarray:
    """Flattened float64 values (NaN kept, no copy of a float64 array); refuses dask input
    and k < 1."""
    if is_dask(values):
        require_in_memory(values, what, SAMPLE_FIX)  # raises BackendError
    arr = np.asarray(values, dtype=np.float64).ravel()
    if int(k) != k or k < 1:
        raise ParameterError(f"k = {k}: the number of classes must be a whole number >= 1")
    return arr


def _present(*parts: np.ndarray, finite: bool, what: str) -> None:
    """Refuses ``parts`` (NaN removed) when none holds a value, or unless ``finite`` (no
    infinities)."""
    if sum(part.size for part in parts) == 0:
        raise ParameterError(f"{what}: no values (all NaN or empty); nothing to classify")
    if not finite:
        raise ParameterError(f"{what}: values contain +/-inf; mask them as NaN first")


def _finite(values: Any, k: int, what: str) -> np.ndarray:
    """Flattened float64 values without NaN; refuses dask input, infinities and k < 1."""
    arr = _flat(values, k, what)
    arr = arr[~np.isnan(arr)]
    _present(arr, finite=bool(np.all(np.isfinite(arr))), what=what)
    return arr


def _sorted(arr: np.ndarray) -> np.ndarray:
    """``arr`` sorted, NaN cut off: NaN sorts last, and the search finds where it starts
    (it orders as the sort does)."""
    arr = np.sort(arr)
    return arr[: int(np.searchsorted(arr, np.nan))]


def _finite_ends(*parts: np.ndarray) -> bool:
    """Whether sorted ``parts`` (NaN cut off) hold no infinity: none at either end."""
    return all(p.size == 0 or bool(np.isfinite(p[0]) & np.isfinite(p[-1])) for p in parts)


def _sorted_finite(values: Any, k: int, what: str) -> np.ndarray:
    """:func:`_finite`'s values, sorted, from the sort alone (NaN and infinities are read
    off the sorted values)."""
    arr = _sorted(_flat(values, k, what))
    _present(arr, finite=_finite_ends(arr), what=what)
    return arr


def _distinct(values: Any, k: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    """The distinct finite values, sorted, and their counts (checked as by :func:`_finite`).

    Where the load leaves two cores free (:func:`_row_threads`), the two halves are sorted
    on two threads (numpy's sort releases the GIL) and merged as they are counted
    (:func:`~landcarbon.stats._kernels.merged_unique_counts`), for the same values and
    counts (at 10^6 values the two half sorts and the merge take 71 ms CPU against 58 ms
    for one sort, on a loaded machine: it pays off in wall time only with a core free).
    """
    from landcarbon.stats._kernels import merged_unique_counts, sorted_unique_counts

    arr = _flat(values, k, what)
    if _row_threads(arr.size) < 2:
        whole = _sorted(arr)
        _present(whole, finite=_finite_ends(whole), what=what)
        return sorted_unique_counts(whole)
    from concurrent.futures import ThreadPoolExecutor

    half = arr.size // 2
    with ThreadPoolExecutor(2) as pool:
        low, high = pool.map(_sorted, (arr[:half], arr[half:]))
    _present(low, high, finite=_finite_ends(low, high), what=what)
    return merged_unique_counts(low, high)


PARALLEL_MIN_VALUES = 1 << 16
"""Distinct values from which the natural-breaks rows are shared out to threads (and
values from which their sort is); below, starting them costs more than they save."""


def _row_threads(m: int) -> int:
    """Threads for the natural-breaks rows of ``m`` distinct values (or the sort of ``m``
    values): those the load leaves a core (:func:`landcarbon._numba.sweep_threads`), or 1
    below :data:`PARALLEL_MIN_VALUES`. The breaks do not depend on it."""
    if m < PARALLEL_MIN_VALUES:
        return 1
    from numba import get_num_threads

    from landcarbon._numba import sweep_threads

    return sweep_threads(get_num_threads())


def natural_breaks(values: Any, k: int) -> np.ndarray:
    """Exact Jenks natural-breaks edges ``[min, upper_1, ..., upper_{k-1}, max]`` (k + 1).

    The partition minimises the within-class sum of squared deviations, exactly as
    jenkspy's ``jenks_breaks`` (which it reproduces at any size; where two partitions are
    exactly equally good, either may be returned). Each inner edge is the largest value
    of its class, so classes are right-closed (:func:`assign_classes` with
    ``closed="right"`` gives the optimal partition back). NaN values are ignored.

    Parameters
    ----------
    values : array-like
        Values of any shape (units kept).
    k : int
        Number of classes, 1 <= k <= number of distinct values.

    Raises
    ------
    ParameterError
        When there are fewer than ``k`` distinct values, no values, or infinities.
    """
    return natural_breaks_upto(values, k)[k - 1]


def natural_breaks_upto(values: Any, k_max: int) -> list[np.ndarray]:
    """Natural-breaks edges for every k = 1..k_max from one dynamic programme.

    Item ``k - 1`` equals ``natural_breaks(values, k)``; the cost is that of ``k_max`` alone.
    """
    unique, counts = _distinct(values, k_max, "natural breaks")
    # numba loads on first use
    from landcarbon.stats._kernels import fisher_jenks_edges

    if unique.size < k_max:
        raise ParameterError(
            f"natural breaks: {k_max} classes need at least {k_max} distinct values, the "
            f"data have {unique.size}; lower k"
        )
    threads = _row_threads(unique.size)  # one: no parallel kernel compiled (small data)
    table = fisher_jenks_edges(unique, counts, int(k_max), threads if threads > 1 else None)
    return [table[k - 1, : k + 1].copy() for k in range(1, k_max + 1)]


def equal_interval_breaks(values: Any, k: int) -> np.ndarray:
    """Equal-interval edges ``min + j (max - min)/k`` for j = 0..k (k + 1 values)."""
    arr = _finite(values, k, "equal interval")
    lo, hi = float(arr.min()), float(arr.max())
    return lo + np.arange(k + 1) * ((hi - lo) / k)


def quantile_breaks(values: Any, k: int) -> np.ndarray:
    """Quantile edges ``sorted[int(j (n - 1)/k)]``, j = 0..k (k + 1, non-decreasing).

    The truncating index is that of sdsfun's ``quantileDisc`` (OPGD). Equal edges are kept:
    right-closed classes then reproduce sdsfun's "first class j with x <= cut_j" exactly.
    """
    arr = _sorted_finite(values, k, "quantile")
    index = (np.arange(k + 1) * (arr.size - 1)) // k
    return arr[index]


def geometric_breaks(values: Any, k: int) -> np.ndarray:
    """Geometric edges ``min * f^j`` with ``f = (max/min)^(1/k)``; all values must be > 0."""
    arr = _finite(values, k, "geometric")
    lo, hi = float(arr.min()), float(arr.max())
    if lo <= 0:
        raise ParameterError(
            f"geometric breaks need positive values; the minimum is {lo:g}. "
            f"Shift the data or choose another method"
        )
    return lo * (hi / lo) ** (np.arange(k + 1) / k)


def sd_breaks(
    values: Any, k: int, convention: Literal["sdsfun", "centred"] = "sdsfun"
) -> np.ndarray:
    """Standard-deviation edges, one sample sd apart, with min and max as outer edges.

    ``convention="sdsfun"``: inner edges ``mean + (j - k/2) s`` for j = 2..k (left-closed
    classes reproduce sdsfun's ``clip(floor(z + k/2), 1, k)``). ``"centred"``: j = 1..k-1,
    symmetric about the mean. Inner edges outside ``(min, max)`` are kept (empty classes)
    and then widen the outer edges.
    """
    arr = _finite(values, k, "standard deviation")
    if arr.size < 2:
        raise ParameterError("standard deviation breaks need at least 2 values")
    mean, sd = float(arr.mean()), float(arr.std(ddof=1))
    if sd == 0:
        raise ParameterError("standard deviation breaks: all values are equal (sd = 0)")
    first = 2 if convention == "sdsfun" else 1
    inner = mean + (np.arange(first, first + k - 1) - k / 2) * sd
    edges = np.concatenate([[arr.min()], inner, [arr.max()]])
    edges[0], edges[-1] = edges.min(), edges.max()
    return edges


BREAKS: dict[str, Callable[[Any, int], np.ndarray]] = {
    "natural": natural_breaks,
    "equal": equal_interval_breaks,
    "quantile": quantile_breaks,
    "geometric": geometric_breaks,
    "sd": sd_breaks,
}


def breaks(values: Any, k: int, method: str = "natural") -> np.ndarray:
    """The k + 1 edges of ``values`` by ``method`` (see the module docstring)."""
    if method not in BREAKS:
        raise ParameterError(
            f"unknown discretisation method {method!r}; choose one of {', '.join(BREAKS)}"
        )
    return BREAKS[method](values, k)


def assign_classes(values: Any, edges: Any, closed: Closure = "right") -> np.ndarray:
    """Class numbers 1..k of ``values`` (any shape) for ``edges`` (k + 1, ascending); 0 for NaN.

    ``closed="right"``: ``[e0, e1] -> 1``, ``(e_{j-1}, e_j] -> j``. ``closed="left"``:
    ``[e_{j-1}, e_j) -> j`` and ``e_k -> k``. Values below ``e0`` get class 1, above ``e_k``
    class k. Returns int64 of the shape of ``values``.
    """
    if closed not in ("left", "right"):
        raise ParameterError(f"closed={closed!r}: use 'left' or 'right'")
    arr = np.asarray(values, dtype=np.float64)
    e = np.asarray(edges, dtype=np.float64)
    if e.ndim != 1 or e.size < 2 or np.any(np.diff(e) < 0):
        raise ParameterError(f"edges {e.tolist()} must be >= 2 ascending numbers")
    inner = e[1:-1]
    side: Literal["left", "right"] = "left" if closed == "right" else "right"
    classes = np.searchsorted(inner, arr, side=side) + 1
    return np.where(np.isnan(arr), 0, classes).astype(np.int64)


def discretize(
    values: Any,
    method: str,
    k: int,
    closed: Closure | None = None,
    edges: np.ndarray | None = None,
) -> np.ndarray:
    """Class numbers 1..k (0 for NaN) of ``values`` by ``method`` (OPGD rules).

    ``equal``, ``geometric`` and ``sd`` use sdsfun's arithmetic directly
    (``ceil((x - min)/w)``, ``floor(log(x/min)/log f) + 1``, ``floor(z + k/2)``, clipped to
    1..k) so that values on an edge fall exactly as in the reference; ``natural`` and
    ``quantile`` go through :func:`assign_classes` with :data:`DEFAULT_CLOSURE` unless
    ``closed`` is given. ``edges`` may pass precomputed :func:`breaks` of ``values``.
    """
    arr = np.asarray(values, dtype=np.float64)
    edges = breaks(arr, k, method) if edges is None else edges
    if closed is not None or method in ("natural", "quantile"):
        return assign_classes(arr, edges, closed or DEFAULT_CLOSURE[method])
    ok = ~np.isnan(arr)
    x = arr[ok]
    lo, hi = edges[0], edges[-1]
    if hi == lo:
        raw = np.ones_like(x)
    elif method == "equal":
        raw = np.ceil((x - lo) / ((hi - lo) / k))
    elif method == "geometric":
        raw = np.floor(np.log(x / lo) / np.log((hi / lo) ** (1.0 / k))) + 1
    else:
        raw = np.floor((x - x.mean()) / x.std(ddof=1) + k / 2)
    out = np.zeros(arr.shape, dtype=np.int64)
    out[ok] = np.clip(raw, 1, k).astype(np.int64)
    return out
