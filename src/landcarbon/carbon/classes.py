"""Class-code indexing shared by the carbon wing: dense lookups and exact class areas.

A :class:`ClassIndex` turns the codes of a class table (or of a zone map) into a dense
look-up table over their span, so a per-cell lookup and a per-class count are each one
pass (no sort, no search): numba kernels (runs of one class along a row counted at once)
for chunked maps, geographic areas and per-cell products; numpy ``take`` and ``bincount``
for the plain lookups and the cell counts of a projected map in memory, since loading
numba costs a process more (~0.5-1 s of CPU) than that work on 4000 x 4000 cells.
Class areas are integer cell counts times the cell area for projected grids, sums of the
true cell areas (``Grid.row_area_ha``) for geographic grids. Transitions between two maps
are counted by class pair in one pass over both. Codes of the map that the table lacks
are found in the same pass and raised with their cell counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import DTypeLike

from landcarbon.backend import block_results, is_dask, like, map_cells
from landcarbon.errors import TableError
from landcarbon.grid import Grid
from landcarbon.raster import CLASS_NODATA, PerBlock
from landcarbon.tables import class_counts

if TYPE_CHECKING:
    import xarray as xr

CountsAreas = tuple[np.ndarray, np.ndarray]
"""Cell counts (int64) and true areas (ha, float64) by table row (or pair of rows)."""

MAX_CODE_SPAN = 1 << 22
"""Largest ``max(code) - min(code) + 1`` a class index accepts (a 16 MiB look-up table)."""

STRIP_CELLS = 1 << 22
"""Cells per strip of the numpy lookups and counts of a map in memory: bounds their index
temporaries (int64, 32 MiB) whatever the map's size."""


@dataclass(frozen=True)
class ClassIndex:
    """Dense index of a set of integer class codes (``codes[i]`` is row ``i``)."""

    codes: np.ndarray
    source: str
    lo: int
    index_lut: np.ndarray

    @classmethod
    def of(cls, codes: np.ndarray, source: str) -> ClassIndex:
        """Index ``codes`` (unique integers); ``source`` names the table in messages."""
        codes = np.asarray(codes, dtype=np.int64)
        lo, hi = int(codes.min()), int(codes.max())
        if hi - lo + 1 > MAX_CODE_SPAN:
            raise TableError(
                f"{source}: class codes run from {lo} to {hi}, a span over {MAX_CODE_SPAN}; "
                f"renumber the classes to a compact range"
            )
        lut = np.full(hi - lo + 1, len(codes), dtype=np.int32)
        lut[codes - lo] = np.arange(len(codes), dtype=np.int32)
        return cls(codes, source, lo, lut)

    def values_map(
        self,
        lulc: xr.DataArray,
        values: np.ndarray,
        name: str,
        *,
        dtype: DTypeLike = np.float64,
        per_cell_units: bool = False,
    ) -> xr.DataArray:
        """Per-cell ``values[row of code]`` (NaN on nodata and absent codes); lazy on dask.

        ``per_cell_units`` multiplies by the true cell area (ha), e.g. t/ha to t per cell.
        Computed in float64 and rounded once to ``dtype`` (float32 for files).
        """
        maps = self.values_maps(lulc, {name: values}, dtype=dtype, per_cell_units=per_cell_units)
        return maps[name]

    def values_maps(
        self,
        lulc: xr.DataArray,
        values: Mapping[str, np.ndarray],
        *,
        dtype: DTypeLike = np.float64,
        per_cell_units: bool = False,
    ) -> dict[str, xr.DataArray]:
        """:meth:`values_map` of several value columns (name -> values by table row).

        In memory, one pass over the map fills all of them (the maps are views of one
        ``K x rows x cols`` array; numpy ``take`` strip by strip, or with
        ``per_cell_units`` a parallel numba pass); on dask each map stays lazy, so a chunk is
        looked up when its map is written and no map is held whole.
        """
        area = cell_area_map(lulc) if per_cell_units else None
        if is_dask(lulc):
            base, padded = self.padded_table(np.stack(list(values.values())))
            return {
                name: map_cells(
                    _lookup,
                    lulc,
                    *(() if area is None else (area,)),
                    dtype=dtype,
                    name=name,
                    base=base,
                    padded=padded[k : k + 1],
                    out_dtype=dtype,
                )
                for k, name in enumerate(values)
            }
        out = self.values_array(
            np.asarray(lulc.data),
            np.stack(list(values.values())),
            dtype=dtype,
            area=None if area is None else np.asarray(area.data),
        )
        return {name: like(lulc, out[k], name, keep_attrs=True) for k, name in enumerate(values)}

    def values_array(
        self,
        codes: np.ndarray,
        values: np.ndarray,
        *,
        dtype: DTypeLike = np.float64,
        area: np.ndarray | None = None,
    ) -> np.ndarray:
        """``values[k, row of code]`` (x ``area``, ha per cell) per cell of an in-memory
        class map, ``K x rows x cols`` of ``dtype`` for the ``K`` rows of ``values``: one
        pass over the map (float64 arithmetic rounded once to ``dtype``; NaN on nodata
        and absent codes)."""
        base, padded = self.padded_table(values)
        out = np.empty((len(values), *codes.shape), dtype=dtype)
        if area is None:  # a table lookup per pool: numpy, numba would cost more to load
            _take(codes, base, padded, out)
        else:
            from landcarbon.carbon._kernels import lookup  # numba loads on first use

            lookup(codes, base, padded, area, out)
        return out

    def change_map(
        self,
        first: xr.DataArray,
        second: xr.DataArray,
        values: np.ndarray,
        name: str,
        *,
        dtype: DTypeLike = np.float64,
        per_cell_units: bool = False,
    ) -> xr.DataArray:
        """Per-cell ``values[row of second] - values[row of first]`` in one pass over both
        maps (NaN where either is nodata); options as :meth:`values_map`."""
        base, padded = self.padded_table(values)
        areas = (cell_area_map(first),) if per_cell_units else ()
        return map_cells(
            _lookup_change,
            first,
            second,
            *areas,
            dtype=dtype,
            name=name,
            base=base,
            padded=padded,
            out_dtype=dtype,
        )

    def change_array(
        self,
        first: np.ndarray,
        second: np.ndarray,
        values: np.ndarray,
        *,
        dtype: DTypeLike = np.float64,
        area: np.ndarray | None = None,
    ) -> np.ndarray:
        """:meth:`change_map` of two in-memory class maps (int32 codes; ``area``: ha per
        cell) as a numpy array: numpy lookups strip by strip, the numba kernel's float64
        arithmetic rounded once to ``dtype`` (the same values; numba would cost more to
        load than this pass)."""
        base, padded = self.padded_table(values)
        out = np.empty(first.shape, dtype=dtype)
        top = 0
        for a, b in zip(_row_strips(first), _row_strips(second), strict=True):
            rows = slice(top, top + a.shape[0])
            change = np.take(padded, _slot_index(b, base), mode="clip")
            change -= np.take(padded, _slot_index(a, base), mode="clip")
            if area is not None:
                change *= area[rows]
            out[rows] = change
            top += a.shape[0]
        return out

    def padded_table(self, values: np.ndarray) -> tuple[int, np.ndarray]:
        """``(base, padded)`` with ``padded[code - base]`` the value of ``code``, NaN elsewhere
        (``padded[k, code - base]`` for a 2-D ``values`` of ``K`` columns by table row).

        The table spans the codes plus one NaN slot at each end, so it is never longer
        than :data:`MAX_CODE_SPAN` + 2 whatever the codes' magnitude. ``base`` is 0 (no
        subtraction per cell) when the codes are small positive integers.
        """
        base, size = self._padded_span()
        values = np.asarray(values, dtype=np.float64)
        padded = np.full((*values.shape[:-1], size), np.nan)
        padded[..., self.codes - base] = values
        return base, padded

    def _padded_span(self) -> tuple[int, int]:
        """``(base, size)`` of the padded table of :meth:`padded_table`."""
        hi = int(self.codes.max())
        base = 0 if 1 <= self.lo and hi < MAX_CODE_SPAN else self.lo - 1
        return base, hi - base + 2

    def row_cells(self, codes: np.ndarray) -> np.ndarray:
        """Cells of each table row in an in-memory class map (int64, ``n + 2`` long: ``n``
        counts codes the table lacks, ``n + 1`` nodata), as the numba ``row_counts`` counts
        them: a numpy bincount over the padded table's span, strip by strip."""
        base, size = self._padded_span()
        slots = np.zeros(size, dtype=np.int64)
        nodata = 0
        for strip in _row_strips(codes):
            index = np.clip(_slot_index(strip, base), 0, size - 1)
            slots += np.bincount(index.ravel(), minlength=size)
            nodata += int(np.count_nonzero(strip == CLASS_NODATA))
        n = len(self.codes)
        counts = np.zeros(n + 2, dtype=np.int64)
        counts[:n] = slots[self.codes - base]
        counts[n + 1] = nodata
        counts[n] = codes.size - nodata - counts[:n].sum()
        return counts

    def bins(self, lulc: xr.DataArray) -> xr.DataArray:
        """Per-cell row index (int32): ``len(codes)`` for absent codes, -1 for nodata."""
        from landcarbon.carbon._kernels import class_bins

        return map_cells(
            class_bins,
            lulc,
            dtype=np.int32,
            name="class_row",
            lo=self.lo,
            index_lut=self.index_lut,
            missing=len(self.codes),
            nodata=int(CLASS_NODATA),
        )

    def class_area_ha(self, lulc: xr.DataArray, map_name: str) -> tuple[np.ndarray, np.ndarray]:
        """Cell counts and true areas (ha) of every indexed code in ``lulc``.

        Raises TableError listing each code of the map absent from the index, with its
        cell count, before anything is written. Map-reduce over dask chunks.
        """
        row_area = Grid.from_dataarray(lulc).row_area_ha()
        if not is_dask(lulc.data):
            return self.array_area_ha(np.asarray(lulc.data), row_area, map_name)
        from landcarbon.carbon._kernels import row_counts  # numba loads on first use

        counts, area = self._counted(row_counts, (lulc,), row_area)
        return self._known(counts, area, lulc, map_name)

    def area_per_block(
        self, lulc: xr.DataArray, map_name: str, done: Callable[[np.ndarray, np.ndarray], None]
    ) -> PerBlock:
        """:meth:`class_area_ha` of a chunked map as the per-block work of a chunked write
        (:class:`~landcarbon.raster.PerBlock`: a write of a map made from ``lulc``, chunked
        as it, reads each chunk once for the map and the count). ``done(cells, area)`` gets
        the same counts and areas, bit for bit (the same blocks' tables added in the same
        order), or TableError is raised first as :meth:`class_area_ha` raises it."""
        counting = _BlockCount.of(
            "row_counts", (lulc,), Grid.from_dataarray(lulc).row_area_ha(), **self._options()
        )

        def added(parts: list[CountsAreas]) -> None:
            done(*self._known(*counting.total(parts), lulc, map_name))

        return PerBlock(counting.count, counting.arrays, added)

    def array_area_ha(
        self, codes: np.ndarray, row_area: np.ndarray, map_name: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`class_area_ha` of an in-memory class map (int32 codes, ``row_area`` the
        cell area of each row, ha): one numpy bincount when every cell has one area
        (numba would cost more to load), else the numba count of true areas."""
        if np.any(row_area != row_area[0]):
            from landcarbon.carbon._kernels import row_counts  # numba loads on first use

            counts, area = self._counted(row_counts, (codes,), row_area)
        else:
            counts = self.row_cells(codes)
            area = counts.astype(np.float64) * row_area[0]
        return self._known(counts, area, codes, map_name)

    def _known(
        self,
        counts: np.ndarray,
        area: np.ndarray,
        lulc: xr.DataArray | np.ndarray,
        map_name: str,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The table rows of ``counts`` and ``area``; TableError if the map has codes the
        table lacks."""
        n = len(self.codes)
        if counts[n] > 0:
            self.raise_missing(lulc, map_name)
        return counts[:n], area[:n]

    def pair_table(
        self, first: xr.DataArray, second: xr.DataArray, map_names: tuple[str, str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Cell counts and areas (ha) of cells in row ``i`` of ``first`` and ``j`` of ``second``.

        Shape ``(n + 2, n + 2)``: rows/columns ``0..n-1`` are the table's codes, ``n`` codes
        the table lacks, ``n + 1`` nodata. One pass over both maps (numpy in memory, numba
        per chunk: a transition matrix of areas; exact cell counts x area in projected CRSs, summed
        true cell areas in geographic ones). Raises TableError listing absent codes of
        either map, with cell counts.
        """
        row_area = Grid.from_dataarray(first).row_area_ha()
        if not (is_dask(first.data) or is_dask(second.data)):
            arrays = np.asarray(first.data), np.asarray(second.data)
            return self.array_pair_table(*arrays, row_area, map_names)
        from landcarbon.carbon._kernels import pair_counts

        counts, area = self._counted(pair_counts, (first, second), row_area)
        return self._known_pairs(counts, area, (first, second), map_names)

    def array_pair_table(
        self,
        first: np.ndarray,
        second: np.ndarray,
        row_area: np.ndarray,
        map_names: tuple[str, str],
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`pair_table` of two in-memory class maps (int32 codes, ``row_area`` the cell
        area of each row, ha): a numpy bincount of row pairs when every cell has one area
        (numba would cost more to load), else the numba count of true areas."""
        if np.any(row_area != row_area[0]):
            from landcarbon.carbon._kernels import pair_counts  # numba loads on first use

            counts, area = self._counted(pair_counts, (first, second), row_area)
        else:
            counts = self.pair_cells(first, second)
            area = counts.astype(np.float64) * row_area[0]
        return self._known_pairs(counts, area, (first, second), map_names)

    def pair_cells(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Cells going from table row ``i`` of ``first`` to row ``j`` of ``second`` (int32
        codes in memory), ``(n + 2, n + 2)`` int64 as the numba ``pair_counts`` counts them
        (``n``: codes the table lacks, ``n + 1`` nodata): one numpy bincount of row pairs,
        strip by strip."""
        n = len(self.codes)
        base, size = self._padded_span()
        rows = np.full(size, n, dtype=np.intp)  # its ends and absent codes: n
        rows[self.codes - base] = np.arange(n)
        counts = np.zeros((n + 2) ** 2, dtype=np.int64)
        for a, b in zip(_row_strips(first), _row_strips(second), strict=True):
            pair = _table_rows(a, base, rows, n) * (n + 2) + _table_rows(b, base, rows, n)
            counts += np.bincount(pair.ravel(), minlength=(n + 2) ** 2)
        return counts.reshape(n + 2, n + 2)

    def _known_pairs(
        self,
        counts: np.ndarray,
        area: np.ndarray,
        maps: tuple[xr.DataArray | np.ndarray, xr.DataArray | np.ndarray],
        map_names: tuple[str, str],
    ) -> tuple[np.ndarray, np.ndarray]:
        """``counts`` and ``area`` of a pair table; TableError if either map has codes the
        table lacks."""
        n = len(self.codes)
        if counts[n].sum() > 0:
            self.raise_missing(maps[0], map_names[0])
        if counts[:, n].sum() > 0:
            self.raise_missing(maps[1], map_names[1])
        return counts, area

    def _counted(
        self,
        kernel: Callable[..., CountsAreas],
        maps: tuple[xr.DataArray | np.ndarray, ...],
        row_area: np.ndarray,
    ) -> CountsAreas:
        """Cell counts and true areas (ha) by table row from a counting kernel over
        ``maps`` (``row_area``: the cell area of each of their rows, ha): whole, or summed
        over aligned dask chunks. Projected grids get exact cell counts x cell area;
        geographic ones the sum of each cell's true area."""
        options = self._options()
        datas: list[Any] = [m if isinstance(m, np.ndarray) else m.data for m in maps]
        if not any(is_dask(d) for d in datas):
            return _cell_areas(
                *kernel(*(np.asarray(d) for d in datas), row_area, **options), row_area
            )
        import dask

        counting = _BlockCount.of(kernel.__name__, maps, row_area, **options)
        parts = block_results(counting.count, *counting.arrays)
        added: CountsAreas = dask.delayed(_add_counts)(parts).compute()
        return _cell_areas(*added, row_area)

    def _options(self) -> dict[str, Any]:
        """The keywords of the counting kernels (``landcarbon.carbon._kernels``)."""
        return {
            "lo": self.lo,
            "index_lut": self.index_lut,
            "n": len(self.codes),
            "nodata": int(CLASS_NODATA),
        }

    def raise_missing(self, lulc: xr.DataArray | np.ndarray, map_name: str) -> None:
        """Raise TableError naming every code of ``lulc`` absent from the index."""
        known = set(self.codes.tolist())
        missing = {c: n for c, n in class_counts(lulc).items() if c not in known}
        listed = ", ".join(f"{c} ({n} cells)" for c, n in sorted(missing.items()))
        raise TableError(
            f"{self.source}: codes found in {map_name} but missing from the table: {listed}; "
            f"add a row for each code (or mark those cells as nodata)"
        )


def _lookup(
    block: np.ndarray,
    area: np.ndarray | None = None,
    *,
    base: int,
    padded: np.ndarray,
    out_dtype: DTypeLike,
) -> np.ndarray:
    """``padded[0, code - base]`` (x ``area``) per cell, in a new array of ``out_dtype``.

    ``padded`` (one row) is NaN at both ends and for codes the table lacks, so nodata
    (int32 min) and codes outside the span, clipped to an end, give NaN.
    """
    result = np.empty((1, *block.shape), dtype=out_dtype)
    if area is None:
        _take(block, base, padded, result)
        return result[0]
    from landcarbon.carbon._kernels import lookup

    lookup(block, base, padded, area, result)
    return result[0]


def _take(codes: np.ndarray, base: int, padded: np.ndarray, out: np.ndarray) -> None:
    """``out[k] = padded[k, code - base]`` per cell for each of the ``K`` rows of
    ``padded``, strip by strip (numpy's clip mode sends nodata and codes outside the span to
    the table's NaN ends). The table is rounded to ``out``'s dtype once, which rounds each
    cell's value as casting the float64 map would."""
    tables = padded.astype(out.dtype)
    top = 0
    for strip in _row_strips(codes):
        index = _slot_index(strip, base).astype(np.intp, copy=False)  # once for all K
        rows = slice(top, top + strip.shape[0])
        for k in range(tables.shape[0]):
            np.take(tables[k], index, mode="clip", out=out[k, rows])
        top += strip.shape[0]


def _row_strips(codes: np.ndarray) -> Iterator[np.ndarray]:
    """``codes`` (2-D) in strips of whole rows of about :data:`STRIP_CELLS` cells, top down."""
    rows = max(1, STRIP_CELLS // max(1, codes.shape[1]))
    for top in range(0, codes.shape[0], rows):
        yield codes[top : top + rows]


def _slot_index(codes: np.ndarray, base: int) -> np.ndarray:
    """``code - base`` per cell, the codes themselves when ``base`` is 0 (no copy); in int64
    otherwise, so that neither nodata (int32's minimum) nor large codes overflow."""
    return codes if base == 0 else codes.astype(np.int64) - base


def _table_rows(codes: np.ndarray, base: int, rows: np.ndarray, n: int) -> np.ndarray:
    """Table row (intp) of each code: ``rows[code - base]`` (clipped to its ends, which hold
    ``n``, as do codes the table lacks), ``n + 1`` on nodata."""
    out = np.take(rows, _slot_index(codes, base), mode="clip")
    out[codes == CLASS_NODATA] = n + 1
    return out


def _lookup_change(
    first: np.ndarray,
    second: np.ndarray,
    area: np.ndarray | None = None,
    *,
    base: int,
    padded: np.ndarray,
    out_dtype: DTypeLike,
) -> np.ndarray:
    """``padded[second] - padded[first]`` (x ``area``) per cell, ``out_dtype``."""
    from landcarbon.carbon._kernels import lookup_change

    result = np.empty(first.shape, dtype=out_dtype)
    lookup_change(first, second, base, padded, area, result)
    return result


@dataclass(frozen=True)
class _BlockCount:
    """A counting kernel over aligned dask chunks, split at the blocks: :attr:`count` (one
    block of each of :attr:`arrays`: the maps and their rows' cell areas) runs in a task of
    any pass over the blocks, :meth:`total` adds the blocks' tables in C order."""

    count: Callable[..., CountsAreas]
    arrays: tuple[Any, ...]
    row_area: np.ndarray

    @classmethod
    def of(
        cls,
        kernel: str,
        maps: tuple[xr.DataArray | np.ndarray, ...],
        row_area: np.ndarray,
        **options: Any,
    ) -> _BlockCount:
        """``landcarbon.carbon._kernels.<kernel>(*blocks, row_area, **options)`` over the
        chunks of ``maps`` (at least one chunked; the others chunked as it), each block with
        the cell areas of its rows."""
        import dask.array as da

        datas: list[Any] = [m if isinstance(m, np.ndarray) else m.data for m in maps]
        chunks = next(d.chunks for d in datas if is_dask(d))
        blocks = [
            d.rechunk(chunks) if is_dask(d) else da.from_array(d, chunks=chunks) for d in datas
        ]
        # a column of each block's row areas, broadcast along its rows; made in the task
        # that counts the block (blockwise, no input), so that task has the maps' blocks as
        # its only inputs and fuses with the one that reads them
        areas = da.map_blocks(
            _block_row_areas, chunks=(chunks[0], (1,)), dtype=np.float64, row_area=row_area
        )
        return cls(partial(_count_block, kernel=kernel, **options), (*blocks, areas), row_area)

    def total(self, parts: list[CountsAreas]) -> CountsAreas:
        """The blocks' counts and areas (:attr:`count` of each block, in C order) added up:
        exact cell counts x cell area on projected grids (:func:`_cell_areas`)."""
        return _cell_areas(*_add_counts(parts), self.row_area)


def _block_row_areas(*, row_area: np.ndarray, block_info: dict[Any, Any]) -> np.ndarray:
    """The cell areas (ha) of a block's rows, as a column: ``row_area`` at its rows."""
    top, bottom = block_info[None]["array-location"][0]
    return row_area[top:bottom, None]


def _cell_areas(counts: np.ndarray, area: np.ndarray, row_area: np.ndarray) -> CountsAreas:
    """``counts`` and their areas (ha): on projected grids (one cell area) the exact cell
    counts x cell area; on geographic ones ``area``, the sum of each cell's true area."""
    if np.all(row_area == row_area[0]):
        area = counts.astype(np.float64) * row_area[0]
    return counts, area


def _count_block(*blocks: np.ndarray, kernel: str, **options: Any) -> CountsAreas:
    """``landcarbon.carbon._kernels.<kernel>(*maps, row_area, **options)`` on one block of
    the maps and its column of row areas (the last block). Tasks name the kernel rather
    than carry it: a pickled numba dispatcher is rebuilt (and compiled again) in every
    worker, while the module's own is loaded from numba's cache once."""
    from landcarbon.carbon import _kernels

    *maps, area = blocks
    return getattr(_kernels, kernel)(*maps, area[:, 0], **options)  # type: ignore[no-any-return]


def _add_counts(parts: list[CountsAreas]) -> CountsAreas:
    """The blocks' counts and areas added in C order, in one task (a table per block is a
    few hundred bytes: a tree of pairwise sums would cost a task per block)."""
    counts, area = parts[0]
    for more, more_area in parts[1:]:
        counts, area = counts + more, area + more_area
    return counts, area


def map_label(da: xr.DataArray, default: str = "the map") -> str:
    """How messages name a raster: its file, else its name, else ``default``."""
    return str(da.attrs.get("source_path") or da.name or default)


def cell_area_map(template: xr.DataArray) -> xr.DataArray:
    """True cell area (ha) on ``template``'s grid, float64; dask-backed like the template.

    Built from ``Grid.row_area_ha()`` (exact ellipsoidal band areas in geographic CRSs)
    and broadcast along rows, so it costs one row of memory until a chunk is computed.
    """
    row_area = Grid.from_dataarray(template).row_area_ha()
    shape = template.shape
    if is_dask(template):
        import dask.array as da

        chunks = template.data.chunks
        column = da.from_array(row_area[:, None], chunks=(chunks[0], 1))
        data = da.broadcast_to(column, shape, chunks=chunks)
    else:
        data = np.broadcast_to(row_area[:, None], shape)
    import xarray as xr

    out = xr.DataArray(data, dims=template.dims, coords=template.coords, name="cell_area_ha")
    return out.rio.write_crs(template.rio.crs) if template.rio.crs is not None else out


def per_cell(per_ha: xr.DataArray, name: str | None = None) -> xr.DataArray:
    """Convert a t/ha map to t per cell with the true cell area; lazy on dask."""
    out = map_cells(np.multiply, per_ha, cell_area_map(per_ha), name=name or str(per_ha.name))
    out.attrs["units"] = str(per_ha.attrs.get("units", "t/ha")).replace("/ha", " per cell")
    return out


def zone_index(zones: xr.DataArray, name: str = "the zone map") -> ClassIndex:
    """Index of the codes present in a categorical zone map (counties, classes...)."""
    present = np.array(sorted(class_counts(zones)), dtype=np.int64)
    if present.size == 0:
        raise TableError(f"{name}: has no zone codes (every cell is nodata)")
    return ClassIndex.of(present, name)
