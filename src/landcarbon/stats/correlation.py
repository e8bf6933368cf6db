"""Pearson and Spearman correlation matrices with two-sided p-values.

Between the columns of a table or between aligned rasters (cells valid in every layer:
listwise deletion, so every coefficient uses the same rows). Spearman's rho is the
Pearson r of average ranks. p-values use ``t = r sqrt((n - 2)/(1 - r^2))`` with
``n - 2`` degrees of freedom, as :func:`scipy.stats.pearsonr` (exact for normal data)
and :func:`scipy.stats.spearmanr` (the usual large-sample approximation).

Reference
---------
Spearman, C. (1904). The proof and measurement of association between two things.
*American Journal of Psychology* 15(1), 72-101. https://doi.org/10.2307/1412159
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats as sps

from landcarbon.backend import require_in_memory
from landcarbon.errors import ParameterError
from landcarbon.stats.geodetector import missing_mask

CorrelationMethod = Literal["pearson", "spearman"]


@dataclass(frozen=True)
class Correlation:
    """Coefficient and p-value matrices (DataFrames labelled by variable) and ``n`` rows."""

    method: str
    r: pd.DataFrame
    p: pd.DataFrame
    n: int

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "n": self.n, "r": self.r.to_dict(), "p": self.p.to_dict()}


def correlation_matrix(
    data: pd.DataFrame | Mapping[str, Any], method: CorrelationMethod = "pearson"
) -> Correlation:
    """Correlation matrix of the columns of ``data`` (numeric; rows with any NaN dropped).

    Raises ParameterError for an unknown method, fewer than 2 columns, fewer than 3
    complete rows, or a constant column (its r is undefined).
    """
    if method not in ("pearson", "spearman"):
        raise ParameterError(f"correlation method {method!r}: use 'pearson' or 'spearman'")
    frame = pd.DataFrame({k: np.asarray(v, dtype=np.float64).ravel() for k, v in data.items()})
    if frame.shape[1] < 2:
        raise ParameterError("a correlation matrix needs at least 2 variables")
    values = frame.to_numpy()
    values = values[~np.isnan(values).any(axis=1)]
    n = values.shape[0]
    if n < 3:
        raise ParameterError(f"only {n} row(s) have every variable; need at least 3")
    constant = [c for c, sd in zip(frame.columns, values.std(axis=0), strict=True) if sd == 0]
    if constant:
        raise ParameterError(f"variable(s) {constant} are constant; their correlation is undefined")
    if method == "spearman":
        values = sps.rankdata(values, axis=0)
    r = np.clip(np.corrcoef(values, rowvar=False), -1.0, 1.0)
    with np.errstate(divide="ignore"):
        t = r * np.sqrt((n - 2) / np.maximum(1.0 - r**2, 0.0))
    p = 2.0 * sps.t.sf(np.abs(t), n - 2)
    names = list(frame.columns)
    return Correlation(method, pd.DataFrame(r, names, names), pd.DataFrame(p, names, names), n)


def raster_correlation(
    rasters: Mapping[str, xr.DataArray], method: CorrelationMethod = "pearson"
) -> Correlation:
    """Correlation matrix between aligned rasters over the cells valid in all of them."""
    arrays = {}
    for name, da in rasters.items():
        data = require_in_memory(
            da,
            "correlation",
            "load the rasters without chunks, or "
            "sample them first (landcarbon.stats.drivers.sample_cells)",
        )
        arrays[name] = np.where(missing_mask(data), np.nan, data.astype(np.float64))
    return correlation_matrix(arrays, method)
