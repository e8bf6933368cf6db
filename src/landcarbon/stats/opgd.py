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
from landcarbon.stats.classify import METHODS, breaks, discretize, natural_breaks_upto
from landcarbon.stats.geodetector import q_from_moments, stratum_moments

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
    Raises ParameterError when no (method, k) gives a usable q.
    """
    yv = np.asarray(y, dtype=np.float64).ravel()
    xv = np.asarray(x, dtype=np.float64).ravel()
    ok = ~(np.isnan(yv) | np.isnan(xv))
    yv, xv = yv[ok], xv[ok]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ParameterError(f"unknown discretisation method(s) {unknown}; use {list(METHODS)}")
    if not ks or min(ks) < 2:
        raise ParameterError(f"class counts {list(ks)}: give k values >= 2")
    ks = sorted(set(int(k) for k in ks))
    centre = float(yv.mean()) if yv.size else 0.0
    distinct = np.unique(xv).size
    natural = natural_breaks_upto(xv, min(max(ks), distinct)) if "natural" in methods else []
    qs = np.full((len(methods), len(ks)), np.nan)
    classes: dict[tuple[str, int], np.ndarray] = {}
    for i, method in enumerate(methods):
        for j, k in enumerate(ks):
            try:
                edges = natural[k - 1] if method == "natural" else breaks(xv, k, method)
            except (ParameterError, IndexError):
                continue
            c = discretize(xv, method, k, edges=edges) - 1
            m = stratum_moments(yv, c, k, centre).kept(keep_singletons)
            if m.n.size >= 2:
                qs[i, j] = q_from_moments(m)
                classes[(method, k)] = c + 1
    order = [(j, i) for j in range(len(ks)) for i in np.argsort(list(methods), kind="stable")]
    scores = np.array([qs[i, j] for j, i in order])
    if np.all(np.isnan(scores)):
        raise ParameterError(
            f"factor '{name}': no discretisation gives two or more classes; is it constant?"
        )
    j_best, i_best = order[int(np.nanargmax(scores))]
    method_best, k_best = methods[i_best], int(ks[j_best])
    out = np.zeros(ok.size, dtype=np.int64)
    out[ok] = classes[(method_best, k_best)]
    grid = pd.DataFrame(qs, index=list(methods), columns=list(ks))
    return Discretization(name, method_best, k_best, float(qs[i_best, j_best]), out, grid)
