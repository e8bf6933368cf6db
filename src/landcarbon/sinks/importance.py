"""Carbon-sink importance index: min-max normalised layers, weighted overlay, five levels.

``I = sum_j w_j X'_j`` with ``X' = (X - X_min) / (X_max - X_min)`` (county study eqs 4-5;
default weights NEP 0.5, vegetation carbon density 0.25, soil carbon density 0.25, so
that carbon uptake and carbon stock weigh the same). The index is graded into five
levels, very low (1) ... very high (5), by Jenks natural breaks
(:func:`landcarbon.stats.classify.natural_breaks`), classes closed on the right.

By default the breaks are the exact Jenks partition of every valid cell (the jenkspy
partition; :func:`landcarbon.stats.classify.natural_breaks` solves it in
O(k m log m) for m distinct values: about 1 s for 10^6 cells and 13 s for 10^7 on a
2-core machine). ``sample_size = n`` fits them instead on n cells drawn with ``seed``
(ArcGIS, which the study used, samples 10 000 values), keeping the full range as the
outer edges; a map with at most n cells is still fitted exactly. Chunked (dask) input
needs ``sample_size``: the exact fit is a global step and refuses it with a
:class:`~landcarbon.errors.BackendError` rather than loading the map whole.

References
----------
Zhang, Q., Yang, Y., Yuan, Y., Han, J., Li, D. (2024). Research on the territorial
ecological restoration of counties for the increase of carbon sinks: Wensu County.
*Landscape Architecture Frontiers*, eqs (4)-(5) (shared/studies/001).
Jenks, G. F. (1967). The data model concept in statistical mapping. *International
Yearbook of Cartography* 7, 186-190.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from landcarbon.arrays import continuous
from landcarbon.backend import is_dask, map_cells, require_in_memory
from landcarbon.errors import LandcarbonWarning, ParameterError
from landcarbon.raster import CLASS_NODATA
from landcarbon.stats.classify import assign_classes, natural_breaks

if TYPE_CHECKING:
    import xarray as xr

DEFAULT_WEIGHTS: dict[str, float] = {"nep": 0.5, "vegetation": 0.25, "soil": 0.25}
"""Weights of eq. (5) of the county study."""

LEVEL_NAMES: dict[int, str] = {1: "very low", 2: "low", 3: "moderate", 4: "high", 5: "very high"}
"""Importance level code → name."""

LEVEL_COLOURS: dict[int, str] = {
    1: "#d7191c",
    2: "#fdae61",
    3: "#ffffbf",
    4: "#a6d96a",
    5: "#1a9641",
}


@dataclass(frozen=True)
class ImportanceLevels:
    """Level map (int32 1..k, ``CLASS_NODATA`` on nodata) and the k + 1 break edges."""

    levels: xr.DataArray
    edges: np.ndarray


def _minmax(block: np.ndarray, lo: float, span: float) -> np.ndarray:
    return (block - lo) / span


def _nan_range(data: np.ndarray) -> tuple[float, float]:
    if is_dask(data):
        import dask
        import dask.array as da

        lo, hi = dask.compute(da.nanmin(data), da.nanmax(data))
        return float(lo), float(hi)
    arr = np.asarray(data, dtype=np.float64)
    if np.isnan(arr).all():
        return np.nan, np.nan
    return float(np.nanmin(arr)), float(np.nanmax(arr))


def normalise(layer: xr.DataArray) -> xr.DataArray:
    """Min-max normalise a layer to [0, 1] (eq. 4); NaN stays NaN.

    A constant layer carries no information: it becomes 0 everywhere, with a warning.
    Raises ParameterError for a layer with no data.
    """
    name = str(layer.name or "layer")
    lo, hi = _nan_range(layer.data)
    if np.isnan(lo):
        raise ParameterError(f"{name}: every cell is nodata; the layer cannot be normalised")
    span = hi - lo
    if span == 0:
        warnings.warn(
            f"{name} is constant ({lo:g}) and adds nothing to the importance index",
            LandcarbonWarning,
            stacklevel=2,
        )
        span = 1.0
    return map_cells(_minmax, layer.astype(np.float64), lo=lo, span=span, name=f"{name}_normalised")


def check_weights(weights: Mapping[str, float], layers: Mapping[str, object]) -> dict[str, float]:
    """Validate overlay weights; normalise them (with a warning) when they do not sum to 1.

    Raises ParameterError for missing or extra layer names, negative or non-finite
    weights, or weights that are all zero.
    """
    missing = sorted(set(layers) - set(weights))
    extra = sorted(set(weights) - set(layers))
    if missing or extra:
        raise ParameterError(
            f"weights and layers do not match: layers without a weight {missing}, weights "
            f"without a layer {extra}; give one weight per layer ({', '.join(layers)})"
        )
    bad = {k: v for k, v in weights.items() if not (np.isfinite(v) and v >= 0)}
    if bad:
        raise ParameterError(f"weights must be finite and >= 0, got {bad}")
    total = float(sum(weights.values()))
    if total == 0:
        raise ParameterError(
            f"every weight is zero ({dict(weights)}); give at least one positive weight"
        )
    if abs(total - 1.0) > 1e-9:
        warnings.warn(
            f"weights {dict(weights)} sum to {total:g}, not 1; they were divided by {total:g}",
            LandcarbonWarning,
            stacklevel=3,
        )
    return {k: float(weights[k]) / total for k in layers}


def _weighted_sum(*blocks: np.ndarray, weights: tuple[float, ...]) -> np.ndarray:
    out = np.zeros(blocks[0].shape, dtype=np.float64)
    for w, b in zip(weights, blocks, strict=True):
        out += w * b
    return out


def weighted_overlay(
    layers: Mapping[str, xr.DataArray], weights: Mapping[str, float], name: str
) -> xr.DataArray:
    """``sum_j w_j layer_j`` per cell (NaN where any layer is NaN); weights checked first."""
    w = check_weights(weights, layers)
    arrays = [layers[k].astype(np.float64) for k in layers]
    return map_cells(_weighted_sum, *arrays, weights=tuple(w[k] for k in layers), name=name)


def importance_index(
    layers: Mapping[str, xr.DataArray], weights: Mapping[str, float] | None = None
) -> xr.DataArray:
    """Carbon-sink importance index in [0, 1] (eqs 4-5), any number of layers.

    Parameters
    ----------
    layers : name → DataArray on one grid, e.g. ``nep`` (g C/m²/yr), ``vegetation``
        and ``soil`` carbon density (t C/ha); units cancel in the normalisation.
    weights : name → weight; default :data:`DEFAULT_WEIGHTS` (needs exactly the layers
        ``nep``, ``vegetation``, ``soil``). Weights not summing to 1 are normalised with
        a warning.

    Lazy on dask input (only the layer minima and maxima are computed).
    """
    if not layers:
        raise ParameterError("the importance index needs at least one layer")
    normalised = {k: normalise(continuous(v, k).rename(k)) for k, v in layers.items()}
    out = weighted_overlay(normalised, weights or DEFAULT_WEIGHTS, "importance_index")
    out.attrs["units"] = "1"
    return out


def _valid_values(data: np.ndarray, sample_size: int | None, seed: int | None) -> np.ndarray:
    """Non-NaN float64 values of a numpy or dask array: all cells, or ``sample_size`` of
    them drawn with ``seed`` when the array is larger."""
    flat = data.ravel()
    if sample_size is not None and flat.size > sample_size:
        rng = np.random.default_rng(seed)
        flat = flat[np.sort(rng.choice(flat.size, sample_size, replace=False))]
    values = np.asarray(flat.compute() if is_dask(flat) else flat, dtype=np.float64)  # type: ignore[attr-defined]
    return values[~np.isnan(values)]


def jenks_edges(
    data: np.ndarray,
    k: int,
    *,
    what: str,
    sample_size: int | None = None,
    seed: int | None = 0,
) -> np.ndarray:
    """Jenks natural-breaks edges (k + 1, ``[min .. max]``, same units as ``data``).

    ``data`` is a numpy or dask array (NaN ignored). ``sample_size=None`` (default): the
    exact partition of every valid cell, numpy only (a global step of 8 bytes per cell:
    dask input raises :class:`~landcarbon.errors.BackendError`). ``sample_size=n``: fitted
    on n cells drawn with ``seed`` (only those are computed from dask input), with the true
    minimum and maximum of all cells as the outer edges. Raises ParameterError when
    fewer than ``k`` distinct values are found (``what`` names the data) or
    ``sample_size`` < 1.
    """
    if k < 2:
        raise ParameterError(f"k = {k}: natural breaks need at least 2 classes")
    if sample_size is not None and sample_size < 1:
        raise ParameterError(
            f"sample_size {sample_size}: give a positive number of cells, or None for the "
            f"exact breaks of every cell"
        )
    if sample_size is None and is_dask(data):
        require_in_memory(  # raises BackendError
            data,
            f"the exact natural-breaks fit of {what}",
            "fit the breaks on a sample: pass sample_size=N (e.g. 100000; CLI: landcarbon "
            "sinks --breaks-sample N)",
        )
    values = _valid_values(data, sample_size, seed)
    distinct = np.unique(values).size
    if distinct < k:
        where = "valid cells" if sample_size is None else "cells sampled"
        raise ParameterError(
            f"{what} has {distinct} distinct value(s) in the {values.size} {where}; "
            f"{k} natural-breaks classes need at least {k}"
        )
    edges = np.asarray(natural_breaks(values, k), dtype=np.float64)
    if sample_size is not None and data.size > sample_size:
        lo, hi = _nan_range(data)
        edges[0], edges[-1] = min(edges[0], lo), max(edges[-1], hi)
    return edges


def _assign(block: np.ndarray, edges: np.ndarray) -> np.ndarray:
    classes = np.asarray(assign_classes(block, edges, closed="right"), dtype=np.int32)
    return np.where(np.isnan(block), CLASS_NODATA, classes)


def importance_levels(
    index: xr.DataArray,
    k: int = 5,
    *,
    sample_size: int | None = None,
    seed: int | None = 0,
) -> ImportanceLevels:
    """Grade the index into ``k`` levels (1 = very low ... k) by Jenks natural breaks.

    Parameters
    ----------
    index : importance index (dimensionless, NaN on nodata).
    k : number of levels (5 in the county study).
    sample_size : None (default) for the exact breaks of every valid cell; a number of
        cells to fit the breaks on a seeded sample instead (large maps, on request).
    seed : seed of that sample (unused when exact).

    The level map is lazy on dask input, which needs ``sample_size`` (the exact fit would
    load the whole index: :class:`~landcarbon.errors.BackendError`). Raises
    ParameterError when the index has fewer than ``k`` distinct values.
    """
    edges = jenks_edges(
        index.data, k, what=str(index.name or "the index"), sample_size=sample_size, seed=seed
    )
    levels = map_cells(_assign, index, dtype=np.int32, edges=edges, name="importance_level")
    levels = levels.rio.write_nodata(int(CLASS_NODATA), encoded=False)
    return ImportanceLevels(levels, edges)
