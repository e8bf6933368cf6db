"""Driving-factor analysis entry points: GeoDetector on a table or on aligned rasters.

:func:`geodetector_table` takes a DataFrame (the CLI reads CSV or Parquet into one);
:func:`geodetector_rasters` takes a y raster and factor rasters, using all valid cells or
a seeded random or regular sample of them. With ``discretize="auto"`` every numeric
column holding non-integer values, or more distinct values than :func:`max_strata`, is
discretised by the optimal-parameter search (:mod:`landcarbon.stats.opgd`); other text and
integer columns are strata as they are. Without it such a column is refused
(:class:`~landcarbon.errors.ParameterError`): a DEM taken value by value is thousands of
one-cell strata, q near 1 that means nothing, and a risk matrix of that size squared.
Chunked (dask) rasters without a sample are reduced chunk by chunk: the distinct values of
each factor with the moments of y over them (:func:`chunked_value_table`, one pass per
factor) give its strata or its exact OPGD search, and every detector runs on bincounts per
chunk summed; no map is held whole and the numbers equal the in-memory ones to rounding.
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
    Moments,
    Strata,
    _masked_mean,
    detect,
    encode_strata,
    missing_mask,
    stratum_moments,
)
from landcarbon.stats.opgd import (
    DEFAULT_KS,
    Discretization,
    ValueTable,
    optimal_discretization,
    optimal_from_table,
)

Discretize = Literal["auto"] | None
SampleHow = Literal["random", "regular"]
MIN_STRATA_BOUND = 50
"""A factor may always have this many strata without discretisation (see :func:`max_strata`)."""
DISCRETIZE_FIX = (
    "pass --discretize auto (optimal-parameter discretisation; discretize='auto' in Python), "
    "or classify it into integer classes first (edges from `landcarbon breaks --method "
    "natural --k 5`)"
)


EXACT_VALUES_LIMIT = 1 << 22
"""Most distinct values of a chunked factor reduced exactly (:func:`chunked_value_table`:
32 bytes a value, 128 MB at the limit); a factor with more is refused with the fix."""


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
    if sample is not None and sample < 1:
        raise ParameterError(f"sample={sample}: give a positive number of cells")
    if how not in ("random", "regular"):
        raise ParameterError(f"sample method {how!r}: use 'random' or 'regular'")
    if is_dask(mask) and sample is not None:
        rows, cols = _sampled_positions(mask, sample, how, seed)
        columns = {"y": np.asarray(y.data.vindex[rows, cols].compute())}
        columns.update(
            {name: np.asarray(da.data.vindex[rows, cols].compute()) for name, da in xs.items()}
        )
        return pd.DataFrame(columns)
    flat = np.flatnonzero(np.asarray(mask.compute() if is_dask(mask) else mask).ravel())
    if flat.size == 0:
        raise ParameterError(NO_VALID_CELL)
    if sample is not None and sample < flat.size:
        flat = flat[_ordinals(flat.size, sample, how, seed)]
    columns = {"y": _take(y, flat)}
    columns.update({name: _take(da, flat) for name, da in xs.items()})
    return pd.DataFrame(columns)


NO_VALID_CELL = "no cell is valid in y and every factor raster; check nodata"


def _ordinals(valid: int, sample: int, how: SampleHow, seed: Any) -> np.ndarray:
    """Sorted positions, among ``valid`` valid cells in row-major order, of the sample."""
    if how == "random":
        return np.sort(np.random.default_rng(seed).choice(valid, sample, replace=False))
    return (np.arange(sample) * valid) // sample


def _row_counts(block: np.ndarray) -> np.ndarray:
    return block.sum(axis=1, keepdims=True, dtype=np.int64)


def _columns_of(block: np.ndarray, rows: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """Column (in ``block``) of the ``ranks``-th valid cell (0-based) of each of ``rows``."""
    before = np.cumsum(block[rows], axis=1)
    return np.argmax(before > ranks[:, None], axis=1).astype(np.int64)


def _sampled_positions(
    mask: Any, sample: int, how: SampleHow, seed: Any
) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of the sample :func:`sample_cells` draws from dask ``mask``, found chunk
    by chunk: the valid cells per row and column of chunks (one small table), the same
    ordinals as in memory, then each chunk locates its own picks. Never holds the mask."""
    import dask

    starts = [np.cumsum((0, *c))[:-1] for c in mask.chunks]
    counts = mask.map_blocks(
        _row_counts, chunks=(mask.chunks[0], (1,) * len(mask.chunks[1])), dtype=np.int64
    ).compute()  # (rows, column chunks): valid cells of each row within each column chunk
    segment_end = np.cumsum(counts.ravel())  # row-major order of the valid cells
    valid = int(segment_end[-1]) if segment_end.size else 0
    if valid == 0:
        raise ParameterError(NO_VALID_CELL)
    ordinal = _ordinals(valid, sample, how, seed) if sample < valid else np.arange(valid)
    segment = np.searchsorted(segment_end, ordinal, side="right")
    rank = ordinal - (segment_end[segment] - counts.ravel()[segment])
    row, col_chunk = np.divmod(segment, counts.shape[1])
    row_chunk = np.searchsorted(starts[0], row, side="right") - 1
    cols = np.empty(ordinal.size, dtype=np.int64)
    blocks = mask.to_delayed()
    found = {}
    for i, j in sorted(set(zip(row_chunk.tolist(), col_chunk.tolist(), strict=True))):
        picks = np.flatnonzero((row_chunk == i) & (col_chunk == j))
        local = row[picks] - starts[0][i]
        found[(i, j)] = (picks, dask.delayed(_columns_of)(blocks[i, j], local, rank[picks]))
    located = dask.compute({key: value[1] for key, value in found.items()})[0]
    for key, (picks, _) in found.items():
        cols[picks] = located[key] + starts[1][key[1]]
    return row, cols


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
        if options.get("permutations"):
            raise ParameterError(
                "permutation p-values shuffle y over every cell at once, which chunked "
                "rasters are not loaded for: set permutations=0, or pass sample=N "
                "(--sample N; [drivers] sample = N) to run GeoDetector on a seeded sample"
            )
        return _chunked_detect(y, xs, discretize, ks, methods, seed, options)
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
        result.conventions["cells"] = "every valid cell"
    else:
        result.conventions["cells"] = f"a {how} sample of {len(table)} valid cells (seed {seed})"
    return result


def _chunked_detect(
    y: xr.DataArray,
    xs: Mapping[str, xr.DataArray],
    discretize: Discretize,
    ks: Sequence[int],
    methods: Sequence[str],
    seed: int | None,
    options: dict[str, Any],
) -> GeoDetectorResult:
    """:func:`geodetector_rasters` on chunked rasters without a sample: the same strata,
    discretisations and checks as the in-memory path, from :func:`chunked_value_table`."""
    if discretize not in (None, "auto"):
        raise ParameterError(f"discretize={discretize!r}: use 'auto' or leave it out")
    _grid_check(y, xs)
    valid = _valid_cells(y, xs)
    yd = y.data.astype(np.float64)
    strata: list[Strata] = []
    chosen: dict[str, Any] = {}
    keep = options.get("keep_singletons", True)
    for name, da in xs.items():
        table = chunked_value_table(yd, da.data, valid, name)
        rows = table.moments.total
        values = table.values
        continuous = bool(np.any(values != np.round(values)))
        if discretize is None and continuous:
            raise ParameterError(
                f"rasters: factor {name!r} holds non-integer numbers ({values.size} distinct "
                f"values over {rows} rows); GeoDetector would take each value as a stratum: "
                f"{DISCRETIZE_FIX}"
            )
        if discretize == "auto" and (continuous or values.size > max_strata(rows)):
            method, k, q, value_class, grid = optimal_from_table(
                table, name, methods=methods, ks=ks, keep_singletons=keep
            )
            chosen[name] = Discretization(name, method, k, q, value_class, grid).as_dict()
            codes, labels = value_class - 1, np.arange(1, k + 1)
        else:
            check_strata_count(name, values.size, rows, "rasters", DISCRETIZE_FIX)
            codes, labels = np.arange(values.size), values.astype(da.dtype)
        lazy = da.data.map_blocks(_value_codes, valid, values=values, codes=codes, dtype=np.int64)
        strata.append(Strata(name, lazy, labels))
    result = detect(yd, strata, seed=seed, **options)
    result.discretization = chosen
    result.conventions["cells"] = "every valid cell (chunked: exact map-reduce sums)"
    if discretize == "auto":
        result.conventions["discretization_search"] = {
            "methods": list(methods),
            "k": [int(k) for k in sorted(set(ks))],
        }
    return result


def _value_codes(
    block: np.ndarray, valid: np.ndarray, values: np.ndarray, codes: np.ndarray
) -> np.ndarray:
    """The stratum code of each cell of ``block``: ``codes`` of its value in ``values``
    (sorted distinct values), -1 where the cell is not ``valid``."""
    at = np.minimum(np.searchsorted(values, block.astype(np.float64)), values.size - 1)
    return np.where(valid, codes[at], -1).astype(np.int64)


def _block_table(
    y: np.ndarray, x: np.ndarray, valid: np.ndarray, centre: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Distinct values of ``x`` over the ``valid`` cells of one chunk with the count, sum
    and sum of squares of ``y - centre`` over each; None past :data:`EXACT_VALUES_LIMIT`."""
    ok = np.asarray(valid).ravel()
    values, inverse = np.unique(np.asarray(x, dtype=np.float64).ravel()[ok], return_inverse=True)
    if values.size > EXACT_VALUES_LIMIT:
        return None
    m = stratum_moments(np.asarray(y).ravel()[ok], inverse, int(values.size), centre)
    return values, m.n, m.s1, m.s2


def _merge_tables(*parts: Any) -> tuple[np.ndarray, ...] | None:
    """The :func:`_block_table` of the union of the chunks of ``parts``."""
    if any(p is None for p in parts):
        return None
    values, inverse = np.unique(np.concatenate([p[0] for p in parts]), return_inverse=True)
    if values.size > EXACT_VALUES_LIMIT:
        return None
    inverse = inverse.ravel()
    sums = [
        np.bincount(inverse, weights=np.concatenate([p[i] for p in parts]), minlength=values.size)
        for i in (1, 2, 3)
    ]
    return (values, sums[0].astype(np.int64), sums[1], sums[2])


def chunked_value_table(y: Any, x: Any, valid: Any, name: str) -> ValueTable:
    """The :class:`~landcarbon.stats.opgd.ValueTable` of factor ``x`` (dask) over the
    ``valid`` cells: one table per chunk, merged pairwise (a tree reduction), so memory
    holds tables, never a map. Counts are exact, sums equal the in-memory ones to rounding.

    Raises
    ------
    ParameterError
        More than :data:`EXACT_VALUES_LIMIT` distinct values (the message says what to do).
    """
    import dask
    import dask.array as da

    centre = float(_masked_mean(y, valid))
    x = x if is_dask(x) else da.from_array(x, chunks=y.chunks)
    y, valid = y.rechunk(x.chunks), valid.rechunk(x.chunks)
    parts = [
        dask.delayed(_block_table)(yb, xb, vb, centre)
        for yb, xb, vb in zip(
            y.to_delayed().ravel(), x.to_delayed().ravel(), valid.to_delayed().ravel(), strict=True
        )
    ]
    while len(parts) > 1:
        parts = [dask.delayed(_merge_tables)(*parts[i : i + 8]) for i in range(0, len(parts), 8)]
    merged = parts[0].compute()
    if merged is None:
        raise ParameterError(
            f"rasters: factor {name!r} has more than {EXACT_VALUES_LIMIT} distinct values: too "
            f"many to discretise chunk by chunk exactly; classify it into integer classes first "
            f"(edges from `landcarbon breaks --method natural --k 5` on a sample), or pass "
            f"sample=N (--sample N; [drivers] sample = N) to run GeoDetector on a seeded sample"
        )
    values, n, s1, s2 = merged
    return ValueTable(values, Moments(n, s1, s2, centre))
