"""Driving-factor analysis entry points: GeoDetector on a table or on aligned rasters.

:func:`geodetector_table` takes a DataFrame (the CLI reads CSV or Parquet into one);
:func:`geodetector_rasters` takes a y raster and factor rasters, using all valid cells or
a seeded random or regular sample of them. With ``discretize="auto"`` every numeric
column holding non-integer values, or more distinct values than :func:`max_strata`, is
discretised by the optimal-parameter search (:mod:`landcarbon.stats.opgd`); other text and
integer columns are strata as they are. Without it such a column is refused
(:class:`~landcarbon.errors.ParameterError`): a DEM taken value by value is thousands of
one-cell strata, q near 1 that means nothing, and a risk matrix of that size squared.
Chunked (dask) rasters without a sample are reduced chunk by chunk (bincount per chunk
summed), which needs categorical factor rasters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from landcarbon.backend import is_dask
from landcarbon.errors import ParameterError, RasterError, TableError
from landcarbon.grid import Grid, check_aligned
from landcarbon.stats.classify import METHODS
from landcarbon.stats.geodetector import (
    GeoDetectorResult,
    Strata,
    detect,
    encode_strata,
    missing_mask,
)
from landcarbon.stats.opgd import DEFAULT_KS, optimal_discretization

Discretize = Literal["auto"] | None
SampleHow = Literal["random", "regular"]
MIN_STRATA_BOUND = 50
"""A factor may always have this many strata without discretisation (see :func:`max_strata`)."""
DISCRETIZE_FIX = (
    "pass --discretize auto (optimal-parameter discretisation; discretize='auto' in Python), "
    "or classify it into integer classes first (edges from `landcarbon breaks --method "
    "natural --k 5`)"
)


def max_strata(rows: int) -> int:
    """Most strata a factor may have without discretisation: ``max(50, floor(sqrt(rows)))``."""
    return max(MIN_STRATA_BOUND, math.isqrt(max(rows, 0)))


def is_continuous(column: pd.Series) -> bool:
    """True for a numeric column with at least one non-integer value (OPGD candidate)."""
    if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return False
    values = column.to_numpy(dtype=np.float64)
    values = values[~np.isnan(values)]
    return bool(np.any(values != np.round(values)))


def _too_many(column: pd.Series, bound: int) -> bool:
    return bool(column.nunique(dropna=True) > bound)


def needs_discretizing(column: pd.Series, bound: int) -> bool:
    """True for a numeric column that is continuous or has more than ``bound`` distinct values."""
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    return numeric and (is_continuous(column) or _too_many(column, bound))


def check_strata_count(name: str, strata: int, rows: int, source: str, fix: str) -> None:
    """Refuse a factor with more than :func:`max_strata` strata; ``fix`` says what to do."""
    bound = max_strata(rows)
    if strata > bound:
        raise ParameterError(
            f"{source}: factor {name!r} has {strata} distinct values over {rows} rows, more "
            f"than the {bound} strata GeoDetector can use as they are (max(50, sqrt(rows))); "
            f"{fix}"
        )


def _check_columns(frame: pd.DataFrame, y: str, xs: Sequence[str], source: str) -> None:
    missing = [c for c in [y, *xs] if c not in frame.columns]
    if missing:
        raise TableError(
            f"{source}: column(s) {', '.join(map(repr, missing))} not found; available "
            f"columns: {', '.join(map(str, frame.columns))}"
        )
    if not xs:
        raise ParameterError("give at least one explanatory column (x)")
    if y in xs:
        raise ParameterError(f"column {y!r} is both y and a factor; remove it from x")


def _numeric_y(frame: pd.DataFrame, y: str, source: str) -> np.ndarray:
    column = frame[y]
    values = pd.to_numeric(column, errors="coerce")
    bad = column.notna() & values.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise TableError(
            f"{source}: column {y!r} (y) must be numeric; row {row + 2} holds "
            f"{column.iloc[row]!r} ({int(bad.sum())} non-numeric value(s)). Clean or recode it"
        )
    out = values.to_numpy(dtype=np.float64)
    infinite = np.isinf(out)
    if infinite.any():
        row = int(np.flatnonzero(infinite)[0])
        raise TableError(
            f"{source}: column {y!r} (y) holds {int(infinite.sum())} infinite value(s) "
            f"(first: row {row + 2}: {out[row]:g}); GeoDetector needs finite numbers: "
            f"leave those cells empty (dropped as missing) or fix them"
        )
    if np.isnan(out).all():
        raise TableError(f"{source}: column {y!r} (y) has no values (all empty/NaN)")
    return out


def geodetector_table(
    frame: pd.DataFrame,
    y: str,
    xs: Sequence[str],
    *,
    discretize: Discretize = None,
    ks: Sequence[int] = DEFAULT_KS,
    methods: Sequence[str] = METHODS,
    sample: int | None = None,
    source: str = "table",
    **options: Any,
) -> GeoDetectorResult:
    """Run every GeoDetector on columns of ``frame``.

    Parameters
    ----------
    frame : DataFrame
        One row per sample unit.
    y : str
        Numeric response column (rows with NaN are dropped and counted).
    xs : sequence of str
        Factor columns (text or integer strata; continuous ones with ``discretize="auto"``).
    discretize : "auto" or None
        ``"auto"``: OPGD search (``ks`` class counts) for every numeric factor with
        non-integer values or more than :func:`max_strata` distinct values.
    sample : int, optional
        Use ``sample`` rows drawn without replacement with ``options["seed"]``.
    source : str
        Name of the table in error messages (e.g. its file path).
    **options
        Passed to :func:`landcarbon.stats.geodetector.detect` (``noncentrality``,
        ``ecological_rule``, ``alpha``, ``round_df``, ``permutations``, ``seed``,
        ``keep_singletons``).

    Raises
    ------
    TableError
        Missing columns (the message lists the available ones), text or inf in y, y all
        NaN, inf in a numeric factor.
    ParameterError
        A factor with one stratum, fewer samples than strata, bad options; without
        ``discretize`` a numeric factor with non-integer values or any factor with more
        than :func:`max_strata` distinct values.
    """
    _check_columns(frame, y, xs, source)
    if sample is not None:
        if sample < 1:
            raise ParameterError(f"sample={sample}: give a positive number of rows")
        if sample < len(frame):
            rng = np.random.default_rng(options.get("seed"))
            frame = frame.iloc[np.sort(rng.choice(len(frame), sample, replace=False))]
    if discretize not in (None, "auto"):
        raise ParameterError(f"discretize={discretize!r}: use 'auto' or leave it out")
    yv = _numeric_y(frame, y, source)
    strata: list[Strata] = []
    chosen: dict[str, Any] = {}
    keep = options.get("keep_singletons", True)
    bound = max_strata(len(frame))
    for name in xs:
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column) and np.isinf(column.to_numpy(float)).any():
            row = int(np.flatnonzero(np.isinf(column.to_numpy(float)))[0])
            raise TableError(
                f"{source}: factor {name!r} holds inf or -inf (first: row {row + 2}); a "
                f"stratum must be a finite number or a label: leave those cells empty "
                f"(dropped as missing) or fix them"
            )
        if discretize is None and is_continuous(column):
            raise ParameterError(
                f"{source}: factor {name!r} holds non-integer numbers "
                f"({column.nunique(dropna=True)} distinct values over {len(frame)} rows); "
                f"GeoDetector would take each value as a stratum: {DISCRETIZE_FIX}"
            )
        if discretize == "auto" and needs_discretizing(column, bound):
            best = optimal_discretization(
                yv, column.to_numpy(np.float64), name, methods=methods, ks=ks, keep_singletons=keep
            )
            chosen[name] = best.as_dict()
            codes = np.where(best.classes > 0, best.classes - 1, -1)
            strata.append(Strata(name, codes, np.arange(1, best.k + 1)))
        else:
            encoded = encode_strata(column.to_numpy(), name)
            numeric = pd.api.types.is_numeric_dtype(column)
            fix = DISCRETIZE_FIX if numeric else "recode it into fewer classes"
            check_strata_count(name, encoded.size, len(frame), source, fix)
            strata.append(encoded)
    result = detect(yv, strata, **options)
    result.discretization = chosen
    if discretize == "auto":
        result.conventions["discretization_search"] = {
            "methods": list(methods),
            "k": [int(k) for k in sorted(set(ks))],
        }
    return result


def _grid_check(y: xr.DataArray, xs: Mapping[str, xr.DataArray]) -> None:
    grids = {str(y.name or "y"): Grid.from_dataarray(y)}
    grids.update({name: Grid.from_dataarray(da) for name, da in xs.items()})
    check_aligned(grids)


def _valid_cells(y: xr.DataArray, xs: Mapping[str, xr.DataArray]) -> Any:
    mask = ~missing_mask(y.data)
    for da in xs.values():
        mask = mask & ~missing_mask(da.data)
    return mask


def sample_cells(
    y: xr.DataArray,
    xs: Mapping[str, xr.DataArray],
    sample: int | None = None,
    how: SampleHow = "random",
    seed: int | np.random.SeedSequence | None = None,
) -> pd.DataFrame:
    """A table of the cells valid in every raster: all of them, or ``sample`` of them.

    ``how="random"`` draws ``sample`` cells without replacement with ``seed``;
    ``"regular"`` takes valid cells ``floor(i * valid / sample)``, i = 0..sample-1, in
    row-major order (every (valid / sample)-th one). Columns:
    ``y`` then the factor names; integer rasters stay integer.
    """
    _grid_check(y, xs)
    mask = _valid_cells(y, xs)
    flat = np.flatnonzero(np.asarray(mask.compute() if is_dask(mask) else mask).ravel())
    if flat.size == 0:
        raise ParameterError("no cell is valid in y and every factor raster; check nodata")
    if sample is not None:
        if sample < 1:
            raise ParameterError(f"sample={sample}: give a positive number of cells")
        if sample < flat.size:
            if how == "random":
                pick = np.random.default_rng(seed).choice(flat.size, sample, replace=False)
                flat = flat[np.sort(pick)]
            elif how == "regular":
                flat = flat[(np.arange(sample) * flat.size) // sample]
            else:
                raise ParameterError(f"sample method {how!r}: use 'random' or 'regular'")
    columns = {"y": _take(y, flat)}
    columns.update({name: _take(da, flat) for name, da in xs.items()})
    return pd.DataFrame(columns)


def _refuse_infinite_cells(da: xr.DataArray, role: str) -> None:
    """RasterError when float raster ``da`` (``role``: "y" or "factor 'a'") has inf cells."""
    if not np.issubdtype(da.dtype, np.floating):
        return  # class codes: never inf
    count = np.isinf(da.data).sum()
    count = int(count.compute() if is_dask(count) else count)
    if count:
        raise RasterError(
            f"{da.attrs.get('source_path', da.name)}: {count} cell(s) of {role} hold inf or "
            f"-inf; GeoDetector needs finite numbers: set those cells to the raster's nodata "
            f"value or fix them"
        )


def _take(da: xr.DataArray, flat: np.ndarray) -> np.ndarray:
    data = da.data
    if is_dask(data):
        return np.asarray(data.ravel()[flat].compute())
    return np.asarray(data).ravel()[flat]


def geodetector_rasters(
    y: xr.DataArray,
    xs: Mapping[str, xr.DataArray],
    *,
    sample: int | None = None,
    how: SampleHow = "random",
    seed: int | None = None,
    discretize: Discretize = None,
    ks: Sequence[int] = DEFAULT_KS,
    methods: Sequence[str] = METHODS,
    **options: Any,
) -> GeoDetectorResult:
    """GeoDetector on a y raster and aligned factor rasters (cells valid in all of them).

    Integer (categorical) factor rasters are strata; float ones, and integer ones with more
    than :func:`max_strata` values, are discretised with ``discretize="auto"`` (refused
    without it). With ``sample`` the cells are sampled (seeded) into a table;
    without, numpy rasters use every valid cell and dask rasters are reduced chunk by
    chunk (categorical factors only). ``seed`` also seeds permutation p-values.
    A y or factor raster with ``inf``/``-inf`` cells is refused (RasterError naming the
    file).
    """
    if not xs:
        raise ParameterError("give at least one factor raster")
    chunked = any(is_dask(da.data) for da in [y, *xs.values()])
    for role, da in [("y", y), *((f"factor {name!r}", da) for name, da in xs.items())]:
        _refuse_infinite_cells(da, role)
    if sample is None and chunked:
        continuous = [n for n, da in xs.items() if np.issubdtype(da.dtype, np.floating)]
        if continuous:
            raise ParameterError(
                f"chunked rasters {continuous} are continuous; discretising them needs a "
                f"sample (pass sample=N / --sample N) or integer class rasters"
            )
        _grid_check(y, xs)
        strata = [encode_strata(da.data, name) for name, da in xs.items()]
        for s in strata:
            check_strata_count(
                s.name,
                s.size,
                int(y.size),
                "chunked rasters",
                "pass sample=N (--sample N) with discretize='auto' (--discretize auto)",
            )
        return detect(y.data.astype(np.float64), strata, seed=seed, **options)
    table = sample_cells(y, xs, sample, how, seed)
    result = geodetector_table(
        table,
        "y",
        list(xs),
        discretize=discretize,
        ks=ks,
        methods=methods,
        source="rasters",
        seed=seed,
        **options,
    )
    if sample is None:
        result.dropped_rows = int(y.size) - len(table)  # cells with nodata in any layer
    return result
