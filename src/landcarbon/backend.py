"""One small backend dispatcher for numpy- and dask-backed DataArrays.

Per-cell steps go through :func:`map_cells` (``map_blocks`` on dask), focal steps
through :func:`map_focal` (``map_overlap`` with a NaN-free halo), and global
steps call :func:`require_in_memory` to refuse chunked input with a message that
names the step and the fix. Results keep the first input's dims, coords, CRS and
attrs. Zonal sums over chunks use :func:`chunked_bincount` (map-reduce: a
bincount per block, summed in a fixed order), never a full load; a per-block result runs
in the task that computes its block (:func:`block_results`). Writers walk a lazy map's
blocks with :func:`computed_blocks` (or any lazy values with :func:`computed_in_order`):
in order, the next ones computing meanwhile.
"""

from __future__ import annotations

import collections
import itertools
import os
from collections.abc import Callable, Generator, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from landcarbon.errors import BackendError, ParameterError

if TYPE_CHECKING:  # xarray (0.5 s with pandas) loads where used: `landcarbon info` needs none
    import xarray as xr

ArrayFunc = Callable[..., np.ndarray]

CLASS_NODATA = np.int32(np.iinfo(np.int32).min)
"""Nodata marker of categorical (int32) arrays everywhere in landcarbon."""


def is_dask(arr: xr.DataArray | np.ndarray | Any) -> bool:
    """True when ``arr`` (a DataArray or a bare array) is backed by a dask array."""
    if isinstance(arr, np.ndarray):
        return False  # without loading xarray (plan-time checks of a cached run)
    import xarray as xr

    data = arr.data if isinstance(arr, xr.DataArray) else arr
    return type(data).__module__.startswith("dask")


def like(
    template: xr.DataArray, data: Any, name: str | None = None, keep_attrs: bool = False
) -> xr.DataArray:
    """A new DataArray around ``data`` with ``template``'s dims, coords and CRS (no copy)."""
    import rioxarray  # noqa: F401  (registers the .rio accessor)
    import xarray as xr

    attrs = dict(template.attrs) if keep_attrs else {}
    out = xr.DataArray(data, dims=template.dims, coords=template.coords, attrs=attrs, name=name)
    if template.rio.crs is not None:
        out.rio.write_crs(template.rio.crs, inplace=True)
    return out


def _rewrap(template: xr.DataArray, data: Any, name: str | None) -> xr.DataArray:
    return like(
        template,
        data,
        name if name is not None else str(template.name) if template.name is not None else None,
        keep_attrs=True,
    )


def map_cells(
    func: ArrayFunc,
    *arrays: xr.DataArray,
    dtype: Any = np.float64,
    name: str | None = None,
    **kwargs: Any,
) -> xr.DataArray:
    """Apply a per-cell numpy function to aligned DataArrays on either backend.

    ``func(*numpy_blocks, **kwargs)`` must return an array of the blocks' shape.
    With dask inputs the result stays lazy (``map_blocks``); with numpy it is computed.
    """
    if not arrays:
        raise ParameterError("map_cells needs at least one array")
    template = arrays[0]
    if any(is_dask(a) for a in arrays):
        import dask.array as da

        datas = [
            a.data if is_dask(a) else da.from_array(a.data, chunks=template.data.chunks)
            for a in arrays
        ]
        data = da.map_blocks(func, *datas, dtype=dtype, **kwargs)
    else:
        data = np.asarray(func(*(np.asarray(a.data) for a in arrays), **kwargs), dtype=dtype)
    return _rewrap(template, data, name)


def map_focal(
    func: ArrayFunc,
    array: xr.DataArray,
    depth: int,
    dtype: Any = np.float64,
    name: str | None = None,
    **kwargs: Any,
) -> xr.DataArray:
    """Apply a focal (moving-window) numpy function with a halo of ``depth`` cells.

    On dask, every chunk must be at least ``depth`` cells along each axis; the edge of
    the map is padded with NaN (float) exactly as the in-memory path sees it.
    """
    if is_dask(array):
        import dask.array as da

        smallest = min(min(c) for c in array.data.chunks)
        if smallest < depth:
            raise ParameterError(
                f"chunk size {smallest} is smaller than the focal window halo ({depth} cells); "
                f"use [compute] chunks >= {depth}"
            )
        data = da.map_overlap(
            func, array.data, depth=depth, boundary=np.nan, dtype=dtype, trim=True, **kwargs
        )
    else:
        data = np.asarray(func(np.asarray(array.data), **kwargs), dtype=dtype)
    return _rewrap(array, data, name)


def require_in_memory(array: xr.DataArray | np.ndarray, step: str, fix: str) -> np.ndarray:
    """Return the numpy data of ``array``, or refuse dask input for a global step."""
    import xarray as xr

    if is_dask(array):
        raise BackendError(
            f"{step} is a global step and holds the whole map in memory; it does not accept "
            f"chunked (dask) input. Fix: {fix}"
        )
    return np.asarray(array.data if isinstance(array, xr.DataArray) else array)


SUM_BLOCK = 512
"""Side (cells, every axis) of the fixed blocks a weighted :func:`chunked_bincount` adds
up: each block's sums, then the blocks in C order, in memory and on dask alike, so a
total does not depend on the chunking (chunked == in memory, bit for bit)."""


def chunked_bincount(
    codes: xr.DataArray | np.ndarray,
    minlength: int,
    weights: xr.DataArray | np.ndarray | None = None,
) -> np.ndarray:
    """``np.bincount`` over non-negative int codes, as a map-reduce over dask chunks.

    Codes outside ``[0, minlength)`` (e.g. a nodata flag of -1) are ignored. Weighted sums
    are accumulated over fixed :data:`SUM_BLOCK` blocks in a fixed order whatever the
    chunks (dask input is rechunked to them), so in-memory and chunked sums are identical;
    counts are exact integers in any order.
    """
    import xarray as xr

    c: Any = codes.data if isinstance(codes, xr.DataArray) else codes
    w: Any = weights.data if isinstance(weights, xr.DataArray) else weights

    def _count(cb: np.ndarray, wb: np.ndarray | None = None) -> np.ndarray:
        cb = np.asarray(cb).ravel()
        ok = (cb >= 0) & (cb < minlength)
        wsel = None if wb is None else np.asarray(wb, dtype=np.float64).ravel()[ok]
        return np.bincount(cb[ok].astype(np.int64, copy=False), weights=wsel, minlength=minlength)

    lazy = is_dask(c) or (w is not None and is_dask(w))
    if w is None and not lazy:
        return _count(np.asarray(c))
    if not lazy:
        c, w = np.asarray(c), np.asarray(w)
        corners = itertools.product(*(range(0, n, SUM_BLOCK) for n in c.shape))  # C order
        blocks = [tuple(slice(i, i + SUM_BLOCK) for i in corner) for corner in corners]
        return sum((_count(c[b], w[b]) for b in blocks), np.zeros(minlength))
    import dask
    import dask.array as da

    c = c if is_dask(c) else da.from_array(c, chunks=w.chunks)
    if w is None:
        parts = block_results(_count, c)
    else:
        w = w if is_dask(w) else da.from_array(w, chunks=c.chunks)
        fixed = tuple(min(SUM_BLOCK, n) for n in c.shape)
        parts = block_results(_count, c.rechunk(fixed), w.rechunk(fixed))
    total = dask.delayed(sum)(parts, 0 if w is None else np.zeros(minlength))
    return np.asarray(total.compute())


def block_results(func: Callable[..., Any], *arrays: Any, **kwargs: Any) -> list[Any]:
    """``func(*blocks, **kwargs)`` of every block of aligned dask arrays, as
    ``dask.delayed`` values in C order (an array of one chunk along an axis is broadcast
    along it, as in ``map_blocks``).

    Each result is computed in the task that makes its blocks (a ``map_blocks`` layer
    fuses with the reads and per-cell layers before it), so a block is never handed from
    one task to another nor held after its result: one task per block instead of one per
    layer, which keeps the scheduler's round trips and the workers' memory low when the
    result (counts, a few compressed tiles) is much smaller than the block. The layer's
    "blocks" are the results themselves (any object), never assembled into an array.
    """
    import dask.array as da

    first = arrays[0]
    results = da.map_blocks(
        _call,
        *arrays,
        dtype=object,
        chunks=tuple((1,) * len(sizes) for sizes in first.chunks),
        meta=np.empty((0,) * first.ndim, dtype=object),
        _func=func,
        _kwargs=kwargs,
    )
    return list(results.to_delayed().ravel())


def _call(*blocks: np.ndarray, _func: Callable[..., Any], _kwargs: dict[str, Any]) -> Any:
    """``_func(*blocks, **_kwargs)``: :func:`block_results`' task (its keywords cannot
    collide with ``map_blocks``' own, such as ``dtype`` or ``name``)."""
    return _func(*blocks, **_kwargs)


def fixed_total(values: xr.DataArray) -> float:
    """Sum of a map, NaN cells skipped, added in :func:`chunked_bincount`'s fixed order:
    the same bits in memory and chunked (a plain ``.sum()`` adds dask's per-chunk sums in
    another order than numpy's pairwise sum)."""
    data = values.data
    if is_dask(data):
        import dask.array as da

        zeros: Any = da.zeros(data.shape, dtype=np.int8, chunks=data.chunks)
    else:
        zeros = np.zeros(data.shape, dtype=np.int8)
    return float(chunked_bincount(zeros, 1, weights=values.fillna(0.0))[0])


def _distributed_client() -> Any:
    """The ``dask.distributed`` client dask computes on now, or None (local schedulers)."""
    try:
        from distributed import default_client
    except ImportError:  # pragma: no cover - distributed ships with the dask extra
        return None
    try:
        return default_client()
    except ValueError:  # no client: dask's threaded, process or synchronous scheduler
        return None


def computed_blocks(data: Any, ahead: int | None = None) -> Generator[np.ndarray, None, None]:
    """The blocks of a dask array (2-D, or bands x 2-D) as numpy arrays, in C order.

    While the caller handles one block (e.g. writes it), up to ``ahead`` later blocks
    compute (:func:`computed_in_order`). Leaving the loop early cancels what is still
    computing.
    """
    keys = itertools.product(*(range(len(c)) for c in data.chunks))
    for block in computed_in_order((data.blocks[key] for key in keys), ahead):
        yield np.asarray(block)


def placed_blocks(
    data: Any, ahead: int | None = None
) -> Generator[tuple[tuple[slice, ...], np.ndarray], None, None]:
    """:func:`computed_blocks` with each block's place in the array: ``(slices, block)``,
    so ``out[slices] = block`` fills a preallocated array block by block."""
    starts = [np.cumsum((0, *sizes[:-1])) for sizes in data.chunks]
    keys = itertools.product(*(range(len(sizes)) for sizes in data.chunks))  # C order
    places = (
        tuple(
            slice(int(s[i]), int(s[i]) + n[i])
            for s, i, n in zip(starts, key, data.chunks, strict=True)
        )
        for key in keys
    )
    yield from zip(places, computed_blocks(data, ahead), strict=True)


def computed_in_order(lazy: Iterable[Any], ahead: int | None = None) -> Generator[Any, None, None]:
    """The values of dask collections (array blocks, :func:`block_results`), in order.

    While the caller handles one value (e.g. writes it), up to ``ahead`` later ones
    compute; ``ahead`` defaults to twice the worker threads, so every worker stays busy
    and at most that many values wait in memory. On a ``dask.distributed`` client the
    values are futures on a sliding window; on dask's local schedulers, batches of
    ``ahead / 2`` values computed one batch ahead in a background thread. Leaving the
    loop early cancels what is still computing.
    """
    import dask

    lazy = iter(lazy)
    client = _distributed_client()
    if client is not None:
        # each value alone: a block (``.blocks``) or a :func:`block_results` value keeps the
        # whole graph, which the client ships with every compute (an in-memory map in the
        # graph, e.g. a simulated map scored against maps read from files, went whole
        # with each block: 0.4 GB each at 10^8 int32 cells); culled by dask.optimize, a
        # value ships only the pieces it needs
        alone = (dask.optimize(b)[0] for b in lazy)
        ahead = ahead or 2 * max(1, sum(client.nthreads().values()))
        pending = collections.deque(client.compute(b) for b in itertools.islice(alone, ahead))
        try:
            while pending:
                head = pending.popleft()
                pending.extend(client.compute(b) for b in itertools.islice(alone, 1))
                yield head.result()
                del head  # released: its worker frees the value
        finally:
            client.cancel(list(pending))
        return
    from concurrent.futures import ThreadPoolExecutor

    ahead = ahead or 2 * max(1, int(dask.config.get("num_workers", None) or os.cpu_count() or 1))
    batches = iter(lambda: list(itertools.islice(lazy, max(1, ahead // 2))), [])

    def next_batch() -> tuple[Any, ...]:
        return dask.compute(*next(batches, []))

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="landcarbon-blocks")
    upcoming = pool.submit(next_batch)
    try:
        while batch := upcoming.result():
            upcoming = pool.submit(next_batch)
            yield from batch
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
