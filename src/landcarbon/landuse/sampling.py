"""Driver stacks and training samples for the suitability models (PLUS LEAS, FLUS ANN).

A :class:`DriverStack` holds the driver rasters of a study on the land-use grid, the
cells where a model may be trained and predicted, and the min-max range of every
driver over those cells. Rows of the feature matrix are built on demand (for a sample
of cells, or for one block of map rows at a time), normalised to [0, 1] as GeoSOS-FLUS
and the PLUS manual ask for (Liu et al. 2017, doi:10.1016/j.landurbplan.2017.09.019;
Liang et al. 2021, doi:10.1016/j.compenvurbsys.2020.101569), so the whole normalised
stack is never held in memory.

The stack takes numpy or dask (chunked) maps. Chunked, nothing is loaded whole: the
holes, cell counts, minima and maxima are one exact map-reduce over the chunks
(:func:`map_reduce_blocks`), the ``"mean"`` fill is a fixed-order sum
(:func:`~landcarbon.backend.chunked_bincount`), and :func:`values_at` gathers a sample's
cells chunk by chunk, so every number equals the in-memory one bit for bit.

Drivers with NaN where land use is valid are handled by ``missing``:

``"raise"`` (default)
    :class:`~landcarbon.errors.RasterError` listing each such driver and its cell count.
``"exclude"``
    those cells are neither sampled nor predicted (their probability is NaN).
``"mean"``
    NaN is replaced by the driver's mean over the cells where it has data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import xarray as xr

from landcarbon.backend import chunked_bincount, is_dask
from landcarbon.errors import ParameterError, RasterError
from landcarbon.grid import Grid, check_aligned

Missing = Literal["raise", "exclude", "mean"]
Drivers = Mapping[str, xr.DataArray] | Sequence[xr.DataArray]

Chunks = tuple[tuple[int, ...], ...]
"""Dask chunks of a 2-D map: the row heights, then the column widths."""

CELLS_PER_BLOCK = 1 << 20
"""Default number of cells predicted at once (about 4 MB per float32 driver column)."""


def driver_names(drivers: Drivers) -> dict[str, xr.DataArray]:
    """Name each driver: mapping keys, else the DataArray's name, else ``driver<i>``."""
    if isinstance(drivers, Mapping):
        named = {str(k): v for k, v in drivers.items()}
    else:
        named = {}
        for i, da in enumerate(drivers, start=1):
            name = str(da.name) if da.name is not None else f"driver{i}"
            named[name if name not in named else f"{name}_{i}"] = da
    if not named:
        raise ParameterError("no drivers given; pass at least one driver raster")
    return named


@dataclass(frozen=True)
class DriverStack:
    """Drivers on the land-use grid with the cells a model may use.

    ``arrays`` (float64) and ``usable`` are numpy arrays, or dask arrays on one chunking
    (:attr:`chunks`). ``usable`` marks cells valid in the land use and (unless filled) in
    every driver; ``low``/``high`` are each driver's minimum and maximum over the usable
    cells and ``fill`` its replacement for NaN: its mean over the usable cells where it has
    data with ``missing="mean"``, NaN otherwise (no usable cell is NaN then).
    """

    names: tuple[str, ...]
    arrays: tuple[Any, ...]
    usable: Any
    low: np.ndarray
    high: np.ndarray
    fill: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.usable.shape  # type: ignore[no-any-return]

    @property
    def chunks(self) -> Chunks | None:
        """The dask chunks of the stack, or None in memory."""
        return self.usable.chunks if is_dask(self.usable) else None  # type: ignore[no-any-return]

    def at(self, flat: np.ndarray) -> np.ndarray:
        """Normalised float32 feature matrix (cells, drivers) of the flat cell indices ``flat``
        (chunked: gathered chunk by chunk, :func:`values_at`)."""
        return self.features(values_at(flat, *self.arrays))

    def rows(self, block: slice) -> np.ndarray:
        """Normalised float32 feature matrix of every cell of the map rows ``block`` (row-major;
        in memory only)."""
        return self.features([a[block].ravel() for a in self.arrays])

    def features(self, columns: Sequence[np.ndarray]) -> np.ndarray:
        """The float32 feature matrix of raw driver ``columns`` (one 1-D array per driver)."""
        return normalised(columns, self.low, self.high, self.fill)

    def row_blocks(self, cells_per_block: int = CELLS_PER_BLOCK) -> Iterator[slice]:
        """Slices of whole map rows holding about ``cells_per_block`` cells each."""
        rows, cols = self.shape
        step = max(1, cells_per_block // max(cols, 1))
        for start in range(0, rows, step):
            yield slice(start, min(rows, start + step))


def normalised(
    columns: Sequence[np.ndarray], low: np.ndarray, high: np.ndarray, fill: np.ndarray
) -> np.ndarray:
    """``(v - low) / (high - low)`` per driver column after filling NaN with ``fill``, as a
    float32 matrix (cells, drivers); a constant driver gives 0. Cell by cell, so a block of
    cells gives the same rows as the whole map."""
    out = np.empty((np.size(columns[0]), len(columns)), dtype=np.float32)
    for j, v in enumerate(columns):
        v = np.where(np.isnan(v), fill[j], v)
        span = high[j] - low[j]
        out[:, j] = (v - low[j]) / span if span > 0 else 0.0
    return out


def driver_stack(
    lulc: Mapping[str, xr.DataArray],
    drivers: Drivers,
    valid: np.ndarray | Any,
    missing: Missing = "raise",
) -> DriverStack:
    """Check the drivers against the land-use grid and build a :class:`DriverStack`.

    ``lulc`` names the land-use map(s) (the first is the reference grid); ``valid`` is the
    mask of cells with land use. When any map or driver is chunked (dask), the stack is
    chunked on the first one's chunks and its statistics are exact map-reduces. Raises
    AlignmentError when a driver is on another grid, RasterError for NaN drivers under
    ``missing="raise"`` (naming every such driver and its cell count) and ParameterError
    for an unknown ``missing``.
    """
    named, arrays, chunks = _checked(lulc, drivers)
    valid = on_chunks(valid, chunks)
    usable, stats = _usable(dict(zip(named, arrays, strict=True)), valid, missing)
    if stats.usable == 0:
        raise RasterError("no cell has land use and every driver; check the driver extents")
    empty = [name for name, n in zip(named, stats.cells, strict=True) if n == 0]
    if empty:
        raise RasterError(f"driver {empty[0]!r} has no data on any land-use cell; check its extent")
    fill = np.full(len(arrays), np.nan)
    if missing == "mean":
        fill = np.array([_mean(a, usable, n) for a, n in zip(arrays, stats.cells, strict=True)])
    return DriverStack(tuple(named), arrays, usable, stats.low, stats.high, fill)


def _mean(a: np.ndarray | Any, usable: np.ndarray | Any, cells: int) -> float:
    """Mean of ``a`` over the usable cells where it has data, summed in
    :func:`~landcarbon.backend.chunked_bincount`'s fixed order (the same bits chunked)."""
    inside = np.where(usable & ~np.isnan(a), 0, -1).astype(np.int8)
    return float(chunked_bincount(inside, 1, weights=a)[0] / cells)


def with_planned(
    stack: DriverStack,
    lulc: Mapping[str, xr.DataArray],
    planned: Mapping[str, xr.DataArray],
    missing: Missing = "raise",
) -> DriverStack:
    """The stack with some drivers swapped for their planned version (PLUS ``devprob_Update``).

    Planned values are scaled with the range of the driver the model was trained on, so a
    planned road network closer than any present one maps below 0. ``valid`` cells are the
    stack's usable cells; NaN in a planned driver follows ``missing`` as for the drivers.
    """
    unknown = sorted(set(planned) - set(stack.names))
    if unknown:
        raise ParameterError(
            f"planned drivers {unknown} are not among the trained drivers {list(stack.names)}; "
            f"name each planned raster after the driver it replaces"
        )
    names, arrays, _ = _checked(lulc, planned)
    arrays = tuple(on_chunks(a, stack.chunks) for a in arrays)
    swapped = dict(zip(stack.names, stack.arrays, strict=True)) | dict(
        zip(names, arrays, strict=True)
    )
    usable, _ = _usable({f"planned {k}": swapped[k] for k in names}, stack.usable, missing)
    return replace(stack, arrays=tuple(swapped.values()), usable=usable)


def on_chunks(data: np.ndarray | Any, chunks: Chunks | None, dtype: Any = None) -> Any:
    """``data`` (numpy or dask) as numpy when ``chunks`` is None, else as dask on ``chunks``."""
    if chunks is None:
        return np.asarray(data, dtype=dtype)
    import dask.array as da

    lazy: Any = data if is_dask(data) else da.from_array(np.asarray(data), chunks=chunks)
    return lazy.rechunk(chunks) if dtype is None else lazy.astype(dtype).rechunk(chunks)


def _checked(
    lulc: Mapping[str, xr.DataArray], drivers: Drivers
) -> tuple[tuple[str, ...], tuple[Any, ...], Chunks | None]:
    """Driver names, float64 arrays and their chunks (None in memory), after checking they
    are on the land-use grid; chunked as the first chunked map or driver when any is."""
    named = driver_names(drivers)
    check_aligned(
        {f"land use {k}": Grid.from_dataarray(v) for k, v in lulc.items()}
        | {f"driver {k}": Grid.from_dataarray(v) for k, v in named.items()}
    )
    lazy = [v.data for v in (*lulc.values(), *named.values()) if is_dask(v)]
    chunks = lazy[0].chunks if lazy else None
    arrays = tuple(on_chunks(da.data, chunks, np.float64) for da in named.values())
    return tuple(named), arrays, chunks


@dataclass(frozen=True)
class _Census:
    """One map-reduce pass over the drivers: NaN cells on valid land use per driver
    (``holes``), ``usable`` cells, and per driver its cells with data among them and their
    minimum and maximum (exact in any chunking)."""

    holes: np.ndarray
    usable: int
    cells: np.ndarray
    low: np.ndarray
    high: np.ndarray


def _census(arrays: Sequence[Any], valid: Any, exclude: bool) -> _Census:
    def count(_: np.ndarray, v: np.ndarray, *blocks: np.ndarray) -> _Census:
        v = np.asarray(v, dtype=bool)
        nan = [np.isnan(b) for b in blocks]
        usable = v & ~np.logical_or.reduce(nan) if exclude else v
        ok = [usable & ~m for m in nan]
        return _Census(
            np.array([np.count_nonzero(v & m) for m in nan]),
            int(np.count_nonzero(usable)),
            np.array([np.count_nonzero(k) for k in ok]),
            np.array([b.min(initial=np.inf, where=k) for b, k in zip(blocks, ok, strict=True)]),
            np.array([b.max(initial=-np.inf, where=k) for b, k in zip(blocks, ok, strict=True)]),
        )

    parts = map_reduce_blocks(count, valid, *arrays)
    return _Census(
        sum(p.holes for p in parts),
        sum(p.usable for p in parts),
        sum(p.cells for p in parts),
        np.minimum.reduce([p.low for p in parts]),
        np.maximum.reduce([p.high for p in parts]),
    )


def _usable(
    arrays: Mapping[str, Any], valid: np.ndarray | Any, missing: Missing
) -> tuple[Any, _Census]:
    """Cells a model may use: ``valid`` minus driver holes (``exclude``), and the drivers'
    :class:`_Census` over them; raise on holes."""
    if missing not in ("raise", "exclude", "mean"):
        raise ParameterError(
            f"missing = {missing!r} (CLI --missing {missing}): use raise, exclude or mean"
        )
    stats = _census(list(arrays.values()), valid, missing == "exclude")
    holes = {k: int(n) for k, n in zip(arrays, stats.holes, strict=True) if n}
    if holes and missing == "raise":
        listed = ", ".join(f"{k} ({v} cells)" for k, v in holes.items())
        raise RasterError(
            f"drivers have no data where land use is valid: {listed}. Fix: fill the holes "
            f"(e.g. gdal_fillnodata.py), or set missing = 'exclude' (CLI --missing exclude: "
            f"those cells get no probability) or missing = 'mean' (CLI --missing mean: holes "
            f"take the driver's mean)"
        )
    usable = valid
    if missing == "exclude":
        for a in arrays.values():
            usable = usable & ~np.isnan(a)
    return usable, stats


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def sample_seed(sequence: np.random.SeedSequence) -> int:
    """The 64-bit key seed of a sample, drawn from its SeedSequence child."""
    return int(sequence.generate_state(1, dtype=np.uint64)[0])


def cell_keys(seed: int, flat: np.ndarray) -> np.ndarray:
    """The uint64 draw key of each global flat cell index ``flat`` under ``seed``.

    SplitMix64 (Steele, Lea & Flood 2014, doi:10.1145/2714064.2660195): the ``flat``-th
    output of the stream started at ``seed``. A key depends on (seed, cell) alone, so a
    sample drawn from keys is the same whatever the chunks and whatever order they come in.
    """
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + (np.asarray(flat, dtype=np.uint64) + np.uint64(1)) * _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


BlockFunc = Callable[..., Any]


def map_reduce_blocks(func: BlockFunc, *arrays: Any) -> list[Any]:
    """``func(flat, *blocks)`` for every block of the aligned 2-D ``arrays``, in C order.

    ``flat`` holds the global row-major flat index of each cell of the block, so what
    ``func`` returns does not depend on where the chunk borders fall. numpy input is one
    block; dask input is walked chunk by chunk (the first dask array's chunks), computed
    with dask's scheduler and never loaded whole. ``func`` (and what it holds, e.g. a
    sample's cells) is one key of the graph: sent once to each worker, not in every task.
    """
    shape = np.shape(arrays[0])
    dask_like = next((a for a in arrays if is_dask(a)), None)
    if dask_like is None:
        return [func(_flat_index(shape, 0, 0, shape), *map(np.asarray, arrays))]
    import dask
    import dask.array as da

    chunks = dask_like.chunks
    datas = [a.rechunk(chunks) if is_dask(a) else da.from_array(a, chunks=chunks) for a in arrays]
    rows0 = np.cumsum((0, *chunks[0][:-1]))
    cols0 = np.cumsum((0, *chunks[1][:-1]))
    shared = dask.delayed(func)
    parts = [
        dask.delayed(_on_block)(
            shared, shape, int(r), int(c), h, w, *(d.blocks[i, j] for d in datas)
        )
        for i, (r, h) in enumerate(zip(rows0, chunks[0], strict=True))
        for j, (c, w) in enumerate(zip(cols0, chunks[1], strict=True))
    ]
    return list(dask.compute(*parts))


def _on_block(
    func: BlockFunc, shape: tuple[int, ...], row0: int, col0: int, h: int, w: int, *blocks: Any
) -> Any:
    return func(_flat_index(shape, row0, col0, (h, w)), *blocks)


def _flat_index(shape: tuple[int, ...], row0: int, col0: int, block: tuple[int, int]) -> np.ndarray:
    rows = np.arange(row0, row0 + block[0], dtype=np.int64)[:, None]
    return rows * shape[1] + np.arange(col0, col0 + block[1], dtype=np.int64)[None, :]


def values_at(flat: np.ndarray, *arrays: np.ndarray | Any) -> list[np.ndarray]:
    """The values of each aligned 2-D array at the global row-major flat indices ``flat``.

    Numpy or dask arrays: a map-reduce where each chunk gives the values of the cells of
    ``flat`` it holds, so the result is ``[a.ravel()[flat] for a in arrays]`` bit for bit
    (same rows, same order) without loading a chunked map.
    """
    flat = np.asarray(flat, dtype=np.int64)
    order = np.argsort(flat, kind="stable")
    cells = flat[order]
    cols = np.shape(arrays[0])[1]

    def pick(block: np.ndarray, *blocks: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        start = int(np.searchsorted(cells, block[0, 0], side="left"))
        stop = int(np.searchsorted(cells, block[-1, -1], side="right"))
        rows, col = np.divmod(cells[start:stop], cols)
        col0 = block[0, 0] % cols
        inside = (col >= col0) & (col < col0 + block.shape[1])
        r, c = rows[inside] - block[0, 0] // cols, col[inside] - col0
        return start + np.flatnonzero(inside), [np.asarray(b)[r, c] for b in blocks]

    parts = map_reduce_blocks(pick, *arrays)
    out = [np.empty(flat.size, dtype=np.asarray(p).dtype) for p in parts[0][1]]
    for where, values in parts:
        for column, v in zip(out, values, strict=True):
            column[order[where]] = v
    return out


def _smallest(keys: np.ndarray, flat: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``size`` (key, flat) pairs with the smallest keys (ties: smallest flat index)."""
    order = np.lexsort((flat, keys))[:size]
    return keys[order], flat[order]


def capped_rate(rate: float, max_samples: int | None, cells: int) -> float:
    """The Bernoulli rate that draws about ``max_samples`` of ``cells`` cells when ``rate``
    would draw more: ``min(rate, max_samples / cells)`` (expected sample ``min(rate * cells,
    max_samples)`` cells); ``rate`` itself when ``max_samples`` is None.

    A cap keeps a large map's training sample, and with it a forest's fit time and depth,
    from growing with the map (PLUS asks for a lower sampling rate on large extents).

    Raises
    ------
    ParameterError
        ``max_samples`` below 1.
    """
    if max_samples is None:
        return rate
    if max_samples < 1:
        raise ParameterError(
            f"max_samples = {max_samples}: the cap on training cells must be at least 1 "
            f"(e.g. 25000), or leave it out to sample at sample_rate alone"
        )
    return min(rate, max_samples / cells) if cells > 0 else rate


def random_cells(mask: np.ndarray | Any, rate: float, seed: int) -> np.ndarray:
    """Flat indices (sorted) of a Bernoulli sample of ``mask``: each cell with probability ``rate``.

    A cell is drawn when its :func:`cell_keys` key is below ``rate * 2**64``, so the
    sample depends on (seed, cell) alone: the same for numpy and any dask chunking of
    ``mask``. When no cell's key is below, the cell with the smallest key is drawn (at
    least one cell). ``rate`` must be in (0, 1].

    Raises
    ------
    ParameterError
        ``rate`` outside (0, 1], or ``mask`` has no cell to draw from.
    """
    if not 0 < rate <= 1:
        raise ParameterError(f"sample rate {rate} must be in (0, 1] (PLUS default 0.01)")
    below = np.uint64(min(int(rate * 2.0**64), 2**64 - 1))

    def draw(flat: np.ndarray, block: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        cells = flat[np.asarray(block, dtype=bool)]
        keys = cell_keys(seed, cells)
        first_key, first = _smallest(keys, cells, 1)
        return cells[(keys < below) | (rate >= 1)], first_key, first

    parts = map_reduce_blocks(draw, mask)
    drawn = np.concatenate([p[0] for p in parts])
    if drawn.size:
        return np.sort(drawn)
    _, first = _smallest(
        np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts]), 1
    )
    if first.size == 0:
        raise ParameterError(
            f"no cell to sample from: none of the {int(np.prod(np.shape(mask)))} cells has land "
            f"use and every driver (or, for LEAS, changed class between the maps); check the "
            f"maps' and drivers' nodata and extent, or give maps of two different dates"
        )
    return first


def stratified_cells(
    codes: np.ndarray | Any,
    mask: np.ndarray | Any,
    classes: Sequence[int],
    size: int,
    seed: int,
) -> np.ndarray:
    """Flat indices (sorted) of ``size // K`` cells of each of the ``K`` classes.

    GeoSOS-FLUS "uniform" sampling: the same number of cells per class; a class with
    fewer cells than its share gives all of them. Each class keeps its cells with the
    smallest :func:`cell_keys` keys: every chunk keeps its smallest ``size // K`` per class
    and the merge keeps the smallest of those, so numpy and any dask chunking of
    ``codes``/``mask`` give the same sample.
    """
    per_class = max(1, size // len(classes))

    def draw(flat: np.ndarray, block_codes: np.ndarray, block_mask: np.ndarray) -> list[Any]:
        inside = np.asarray(block_mask, dtype=bool)
        kept = []
        for code in classes:
            cells = flat[inside & (np.asarray(block_codes) == code)]
            kept.append(_smallest(cell_keys(seed, cells), cells, per_class))
        return kept

    parts = map_reduce_blocks(draw, codes, mask)
    picked = [
        _smallest(
            np.concatenate([p[k][0] for p in parts]),
            np.concatenate([p[k][1] for p in parts]),
            per_class,
        )[1]
        for k in range(len(classes))
    ]
    return np.sort(np.concatenate(picked))
