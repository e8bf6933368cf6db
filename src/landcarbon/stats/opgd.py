"""Optimal-parameter GeoDetector (OPGD): the discretisation of a continuous factor with max q.

For each continuous factor, every method of :data:`landcarbon.stats.classify.METHODS`
(``sd``, ``equal``, ``geometric``, ``quantile``, ``natural``) is tried with every class
count ``k`` (3..15 by default, the range of the OPGD reference results), the factor
detector q of each discretisation is computed, and the one with the largest q is kept.
The whole grid of q values is returned. A (method, k) that cannot be computed
(geometric breaks of data with values <= 0, fewer distinct values than k) has q = NaN.
Ties go to the smallest k, then to the method name in alphabetical order (the order of
gdverse's ``gd_optunidisc``, whose parameter grid is sorted by ``tidyr::crossing``).

Natural breaks for every k come from one exact dynamic programme on all values (the
reference package fits Jenks on a 15 % random sample above 3000 values; exact breaks on
all values are fast enough here, so there is no sampling).

Reference
---------
Song, Y., Wang, J., Ge, Y., Xu, C. (2020). An optimal parameters-based geographical
detector model enhances geographic characteristics of explanatory variables for spatial
heterogeneity analysis. *GIScience & Remote Sensing* 57(5), 593-610.
https://doi.org/10.1080/15481603.2020.1760434
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from landcarbon.errors import ParameterError
from landcarbon.stats._kernels import fisher_jenks_edges
from landcarbon.stats.classify import METHODS, breaks, discretize
from landcarbon.stats.geodetector import Moments, q_from_moments, stratum_moments

DEFAULT_KS = tuple(range(3, 16))
MAX_K = 50
"""Most classes the search may try: the strata any factor may have without discretisation
(:data:`landcarbon.stats.drivers.MIN_STRATA_BOUND`); more would defeat its purpose."""


def search_space(
    methods: Sequence[str], k_range: Sequence[int], source: str
) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Check an OPGD search space; the methods and the class counts ``first..last``.

    ``source`` names where it was given (a study key or CLI option) in the messages.

    Raises
    ------
    ParameterError
        An unknown or repeated method, no method, or not ``2 <= first <= last <= MAX_K``.
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods or len(set(methods)) < len(methods):
        raise ParameterError(
            f"{source}: methods {list(methods)}: give one or more of {', '.join(METHODS)}, "
            f"each once"
        )
    if len(k_range) != 2 or not 2 <= k_range[0] <= k_range[1] <= MAX_K:
        raise ParameterError(
            f"{source}: class counts {list(k_range)}: give [first, last] with 2 <= first <= "
            f"last <= {MAX_K} (the OPGD reference searches 3 to 15)"
        )
    return tuple(methods), tuple(range(int(k_range[0]), int(k_range[1]) + 1))


@dataclass(frozen=True)
class Discretization:
    """The best discretisation of one factor and the grid of q it was chosen from."""

    name: str
    method: str
    k: int
    q: float
    classes: np.ndarray
    """Class numbers 1..k per row (0 where the value is NaN)."""
    grid: pd.DataFrame
    """q by method (rows) and k (columns); NaN where the method does not apply."""

    def as_dict(self) -> dict[str, Any]:
        grid = {
            m: {str(k): (None if np.isnan(q) else float(q)) for k, q in row.items()}
            for m, row in self.grid.iterrows()
        }
        return {"method": self.method, "k": self.k, "q": self.q, "grid": grid}


@dataclass(frozen=True)
class ValueTable:
    """Every distinct value of a factor, sorted, with the moments of y over its rows.

    The sufficient statistics of the whole OPGD search: a discretisation puts each
    distinct value in one class, so the moments of a class are the sums of its values'
    moments. Built in memory by :func:`value_table`, or chunk by chunk and merged by
    :func:`landcarbon.stats.drivers.chunked_value_table` (the same table to rounding).
    """

    values: np.ndarray
    moments: Moments
    """Count, sum and sum of squares of ``y - centre`` per value (aligned with ``values``)."""


def value_table(y: np.ndarray, x: np.ndarray) -> tuple[ValueTable, np.ndarray]:
    """The :class:`ValueTable` of in-memory ``y`` and ``x`` over the rows where neither is
    NaN, and the index of each row's value in it (-1 where a row is left out)."""
    yv = np.asarray(y, dtype=np.float64).ravel()
    xv = np.asarray(x, dtype=np.float64).ravel()
    ok = ~(np.isnan(yv) | np.isnan(xv))
    values, inverse = np.unique(xv[ok], return_inverse=True)
    centre = float(yv[ok].mean()) if ok.any() else 0.0
    index = np.full(ok.size, -1, dtype=np.int64)
    index[ok] = inverse.ravel()
    return ValueTable(values, stratum_moments(yv[ok], index[ok], values.size, centre)), index


def _sd_classes(values: np.ndarray, counts: np.ndarray, k: int) -> np.ndarray:
    """sdsfun's sd classes ``clip(floor(z + k/2), 1, k)`` of weighted distinct values (z by
    the weighted mean and sample sd, as :func:`~landcarbon.stats.classify.discretize`
    computes them over the rows)."""
    total = counts.sum()
    mean = float(np.sum(values * counts) / total)
    sd = float(np.sqrt(np.sum(counts * (values - mean) ** 2) / (total - 1))) if total > 1 else 0.0
    if not sd > 0:
        raise ParameterError("standard deviation breaks: all values are equal (sd = 0)")
    return np.clip(np.floor((values - mean) / sd + k / 2), 1, k).astype(np.int64)


def _quantile_edges(values: np.ndarray, counts: np.ndarray, k: int) -> np.ndarray:
    """:func:`~landcarbon.stats.classify.quantile_breaks` of the rows, from their distinct
    values and counts: the value of sorted rank ``int(j (n - 1)/k)``, j = 0..k."""
    ranks = (np.arange(k + 1) * (int(counts.sum()) - 1)) // k
    return values[np.searchsorted(np.cumsum(counts), ranks, side="right")]


def value_classes(
    table: ValueTable, method: str, k: int, natural: Sequence[np.ndarray]
) -> np.ndarray:
    """Class numbers 1..k of each distinct value of ``table`` by ``method`` (the classes
    :func:`~landcarbon.stats.classify.discretize` gives its rows); ``natural``: the natural
    breaks edges for k = 1, 2, ... (:func:`fisher_jenks_edges` of the table).

    Raises ParameterError (or IndexError for natural breaks past the distinct values) where
    the method does not apply.
    """
    values, counts = table.values, table.moments.n
    if method == "sd":
        return _sd_classes(values, counts, k)
    if method == "natural":
        edges = natural[k - 1]
    elif method == "quantile":
        edges = _quantile_edges(values, counts, k)
    else:  # equal, geometric: min and max of the rows are those of their distinct values
        edges = breaks(values, k, method)
    return discretize(values, method, k, edges=edges)


def optimal_from_table(
    table: ValueTable,
    name: str = "x",
    *,
    methods: Sequence[str] = METHODS,
    ks: Sequence[int] = DEFAULT_KS,
    keep_singletons: bool = True,
) -> tuple[str, int, float, np.ndarray, pd.DataFrame]:
    """The OPGD search on a :class:`ValueTable`: best (method, k, q), the class number of
    each distinct value for it, and the grid of q (see :func:`optimal_discretization`)."""
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ParameterError(f"unknown discretisation method(s) {unknown}; use {list(METHODS)}")
    if not ks or min(ks) < 2:
        raise ParameterError(f"class counts {list(ks)}: give k values >= 2")
    ks = sorted(set(int(k) for k in ks))
    m_values = table.moments
    k_natural = min(max(ks), table.values.size)
    natural: list[np.ndarray] = []
    if "natural" in methods and k_natural >= 1:
        # one thread, given as natural_breaks gives it for small data (None: one signature,
        # and the parallel row kernel is not compiled)
        found = fisher_jenks_edges(table.values, m_values.n.astype(np.int64), k_natural, None)
        natural = [found[k - 1, : k + 1] for k in range(1, k_natural + 1)]
    qs = np.full((len(methods), len(ks)), np.nan)
    classes: dict[tuple[str, int], np.ndarray] = {}
    for i, method in enumerate(methods):
        for j, k in enumerate(ks):
            try:
                c = value_classes(table, method, k, natural)
            except (ParameterError, IndexError):
                continue
            n, s1, s2 = (
                np.bincount(c - 1, weights=w, minlength=k)
                for w in (m_values.n, m_values.s1, m_values.s2)
            )
            m = Moments(n.astype(np.int64), s1, s2, m_values.centre).kept(keep_singletons)
            if m.n.size >= 2:
                qs[i, j] = q_from_moments(m)
                classes[(method, k)] = c
    order = [(j, i) for j in range(len(ks)) for i in np.argsort(list(methods), kind="stable")]
    scores = np.array([qs[i, j] for j, i in order])
    if np.all(np.isnan(scores)):
        raise ParameterError(
            f"factor '{name}': no discretisation gives two or more classes; is it constant?"
        )
    j_best, i_best = order[int(np.nanargmax(scores))]
    method_best, k_best = methods[i_best], int(ks[j_best])
    grid = pd.DataFrame(qs, index=list(methods), columns=list(ks))
    q_best = float(qs[i_best, j_best])
    return method_best, k_best, q_best, classes[(method_best, k_best)], grid


def optimal_discretization(
    y: Any,
    x: Any,
    name: str = "x",
    *,
    methods: Sequence[str] = METHODS,
    ks: Sequence[int] = DEFAULT_KS,
    keep_singletons: bool = True,
) -> Discretization:
    """Search ``methods`` x ``ks`` for the discretisation of ``x`` that maximises q of ``y``.

    Rows where y or x is NaN are left out. ``keep_singletons=False`` drops one-row classes
    before computing q (gdverse's factor detector, behind the OPGD reference results).
    The search runs on the distinct values of x and the moments of y over each
    (:func:`value_table`, :func:`optimal_from_table`): the classes of the rows follow from
    those of their values. Raises ParameterError when no (method, k) gives a usable q.
    """
    table, index = value_table(y, x)
    method, k, q, value_class, grid = optimal_from_table(
        table, name, methods=methods, ks=ks, keep_singletons=keep_singletons
    )
    out = np.where(index >= 0, value_class[np.maximum(index, 0)], 0) if index.size else index
    return Discretization(name, method, k, q, out.astype(np.int64), grid)
