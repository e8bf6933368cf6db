"""Entropy weight method (EWM): objective weights of indicators from their dispersion.

For ``m`` objects (rows, e.g. the valid cells of a map) and ``n`` indicators (columns,
e.g. resistance factors), each indicator is min-max normalised (positive:
``x' = (x - min)/(max - min)``; negative: ``x' = (max - x)/(max - min)``), then

* ``p_ij = x'_ij / sum_i x'_ij``
* ``e_j = -k sum_i p_ij ln p_ij`` with ``k = 1 / ln m`` and ``0 ln 0 = 0`` (the limit)
* ``d_j = 1 - e_j`` (difference coefficient)
* ``w_j = d_j / sum_j d_j``

An indicator with max = min carries no information: its ``e`` is 1, ``d`` is 0 and its
weight 0 (no division by zero). The common alternative to the limit convention, shifting
every normalised value by ``delta`` (1e-4 or 0.01), is the ``shift`` option; results
depend on it. Pure numpy, no I/O.

References
----------
Shannon, C. E. (1948). A mathematical theory of communication. *Bell System Technical
Journal* 27(3), 379-423. https://doi.org/10.1002/j.1538-7305.1948.tb01338.x
Zhang, Q., Yang, Y., Yuan, Y., Han, J., Li, D. (2024). Research on the territorial
ecological restoration of counties for the increase of carbon sinks: Wensu County.
*Landscape Architecture Frontiers* (Table 4: e, d, w of six resistance factors).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from landcarbon.errors import ParameterError


@dataclass(frozen=True)
class EntropyWeights:
    """Result of the entropy weight method: one ``e``, ``d`` and ``w`` per indicator."""

    names: tuple[str, ...]
    entropy: np.ndarray
    """Information entropy ``e_j`` in [0, 1]."""
    difference: np.ndarray
    """Difference coefficient ``d_j = 1 - e_j``."""
    weights: np.ndarray
    """Weight ``w_j = d_j / sum d``; sums to 1."""

    def table(self) -> pd.DataFrame:
        """The e, d, w table (the county study's Table 4 layout), weights also in percent."""
        return pd.DataFrame(
            {
                "factor": list(self.names),
                "entropy_e": self.entropy,
                "difference_d": self.difference,
                "weight_w": self.weights,
                "weight_percent": 100.0 * self.weights,
            }
        )

    def as_dict(self) -> dict[str, float]:
        """Indicator name → weight."""
        return {n: float(w) for n, w in zip(self.names, self.weights, strict=True)}


def minmax_normalise(x: np.ndarray, negative: bool | Sequence[bool] = False) -> np.ndarray:
    """Min-max normalise the columns of ``x`` (m, n) to [0, 1]; NaN stays NaN.

    A constant column (max = min) gives zeros, never a division by zero.
    ``negative`` (one flag, or one per column) reverses the direction:
    ``(max - x)/(max - min)``.
    """
    arr = np.asarray(x, dtype=np.float64)
    lo = np.nanmin(arr, axis=0)
    hi = np.nanmax(arr, axis=0)
    span = hi - lo
    safe = np.where(span > 0, span, 1.0)
    out = np.where(np.asarray(negative), (hi - arr) / safe, (arr - lo) / safe)
    return np.where(span > 0, out, np.where(np.isnan(arr), np.nan, 0.0))


def column_entropy(
    values: np.ndarray,
    counts: np.ndarray | None = None,
    *,
    negative: bool = False,
    shift: float = 0.0,
) -> float:
    """Entropy ``e`` of one indicator over ``m = sum(counts)`` objects.

    ``values`` are the indicator's values and ``counts`` how many objects hold each
    (default one each), so a map column can be summarised by its distinct values and
    their cell counts with the same result as the expanded column. A constant
    indicator has ``e = 1``.
    """
    x = np.asarray(values, dtype=np.float64)
    f = np.ones_like(x) if counts is None else np.asarray(counts, dtype=np.float64)
    x, f = x[f > 0], f[f > 0]
    m = f.sum()
    if x.size == 0 or x.max() == x.min() or m < 2:
        return 1.0
    norm = minmax_normalise(x, negative=negative) + shift
    total = (f * norm).sum()
    p = norm / total
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return float(-(f * plogp).sum() / np.log(m))


def weights_from_columns(
    columns: Mapping[str, tuple[np.ndarray, np.ndarray]],
    *,
    negative: Mapping[str, bool] | None = None,
    shift: float = 0.0,
) -> EntropyWeights:
    """Entropy weights from per-indicator ``(distinct values, counts)`` summaries.

    Every indicator must describe the same objects (equal total count). This is how
    map-sized inputs are weighted without building an (m × n) matrix.
    """
    if shift < 0:
        raise ParameterError(f"shift {shift}: must be >= 0 (0 = limit convention)")
    names = tuple(columns)
    totals = {n: float(np.sum(c[1])) for n, c in columns.items()}
    if len(set(totals.values())) > 1:
        raise ParameterError(f"indicators describe different numbers of objects: {totals}")
    m = next(iter(totals.values()), 0.0)
    if m < 2:
        raise ParameterError(f"entropy weights need at least 2 complete rows, got {m:g}")
    neg = negative or {}
    e = np.array(
        [
            column_entropy(v, c, negative=neg.get(n, False), shift=shift)
            for n, (v, c) in columns.items()
        ]
    )
    d = 1.0 - e
    if not d.sum() > 0:
        raise ParameterError(
            f"every indicator ({', '.join(names)}) is constant over the {m:g} objects, so "
            f"the entropy weights are undefined; give the weights explicitly"
        )
    return EntropyWeights(names, e, d, d / d.sum())


def entropy_weights(
    x: np.ndarray,
    names: Sequence[str] | None = None,
    *,
    negative: Sequence[bool] | None = None,
    shift: float = 0.0,
) -> EntropyWeights:
    """Entropy weights of the ``n`` columns of ``x`` (``m`` objects × ``n`` indicators).

    Parameters
    ----------
    x : array (m, n) of indicator values; rows holding a NaN are dropped.
    names : indicator names (default ``x1 .. xn``).
    negative : per column, True for a negative (cost-type) indicator.
    shift : ``delta`` added to every normalised value before ``p`` (0 = the
        ``0 ln 0 = 0`` limit convention; 1e-4 and 0.01 are common choices).

    Returns
    -------
    EntropyWeights with ``e``, ``d`` and ``w`` per indicator.

    Raises
    ------
    ParameterError
        Fewer than 2 complete rows, a wrong number of names or directions, a negative
        shift, or every indicator constant (all weights would be 0/0).

    Examples
    --------
    >>> ew = entropy_weights(np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0]]), ["a", "b"])
    >>> ew.as_dict()
    {'a': 1.0, 'b': 0.0}
    """
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2:
        raise ParameterError(
            f"entropy weights need a 2-D array (objects × indicators), got shape {arr.shape}"
        )
    n = arr.shape[1]
    labels = tuple(names) if names is not None else tuple(f"x{j + 1}" for j in range(n))
    if len(labels) != n:
        raise ParameterError(f"{len(labels)} names given for {n} indicators; give one per column")
    directions = list(negative) if negative is not None else [False] * n
    if len(directions) != n:
        raise ParameterError(
            f"{len(directions)} directions given for {n} indicators; give one per column"
        )
    arr = arr[~np.isnan(arr).any(axis=1)]
    ones = np.ones(arr.shape[0])
    return weights_from_columns(
        {name: (arr[:, j], ones) for j, name in enumerate(labels)},
        negative=dict(zip(labels, directions, strict=True)),
        shift=shift,
    )


def weights_from_entropy(entropy: Sequence[float]) -> np.ndarray:
    """Weights ``w_j = (1 - e_j) / sum_j (1 - e_j)`` from published entropies ``e_j``."""
    d = 1.0 - np.asarray(entropy, dtype=np.float64)
    if not d.sum() > 0:
        raise ParameterError("every entropy is 1: the weights are undefined")
    return d / d.sum()
