"""Class-code indexing shared by the carbon wing: dense lookups and exact class areas.

A :class:`ClassIndex` turns the codes of a class table (or of a zone map) into a dense
look-up table over their span, so a per-cell lookup is one ``numpy.take`` and a
per-class count one numba pass (no sort, no search). Class areas are ``bincount`` of
the row indices: integer cell counts times the cell area for projected grids, a
bincount weighted by the true cell area (``Grid.row_area_ha``) for geographic grids.
Codes of the map that the table lacks are found in the same pass and raised with their
cell counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from landcarbon.backend import chunked_bincount, is_dask, map_cells
from landcarbon.carbon._kernels import class_bins, pair_bins
from landcarbon.errors import TableError
from landcarbon.grid import Grid
from landcarbon.raster import CLASS_NODATA
from landcarbon.tables import class_counts

MAX_CODE_SPAN = 1 << 22
"""Largest ``max(code) - min(code) + 1`` a class index accepts (a 16 MiB look-up table)."""


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

    def values_map(self, lulc: xr.DataArray, values: np.ndarray, name: str) -> xr.DataArray:
        """Per-cell ``values[row of code]`` (float64, NaN on nodata); lazy on dask."""
        base, padded = self.padded_table(values)
        return map_cells(lookup_padded, lulc, name=name, base=base, padded=padded)

    def padded_table(self, values: np.ndarray) -> tuple[int, np.ndarray]:
        """``(base, padded)`` with ``padded[code - base]`` the value of ``code``, NaN elsewhere.

        The table spans the codes plus one NaN slot at each end, so it is never longer
        than :data:`MAX_CODE_SPAN` + 2 whatever the codes' magnitude. ``base`` is 0 (no
        subtraction per cell) when the codes are small positive integers.
        """
        hi = int(self.codes.max())
        base = 0 if 1 <= self.lo and hi < MAX_CODE_SPAN else self.lo - 1
        padded = np.full(hi - base + 2, np.nan)
        padded[self.codes - base] = np.asarray(values, dtype=np.float64)
        return base, padded

    def bins(self, lulc: xr.DataArray) -> xr.DataArray:
        """Per-cell row index (int32): ``len(codes)`` for absent codes, -1 for nodata."""
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
        bins = self.bins(lulc)
        n = len(self.codes)
        counts = chunked_bincount(bins, n + 1)
        if counts[n] > 0:
            self.raise_missing(lulc, map_name)
        return counts[:n].astype(np.int64), bin_areas_ha(bins, counts, lulc)[:n]

    def pair_table(
        self, first: xr.DataArray, second: xr.DataArray, map_names: tuple[str, str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Cell counts and areas (ha) of cells in row ``i`` of ``first`` and ``j`` of ``second``.

        Shape ``(n + 2, n + 2)``: rows/columns ``0..n-1`` are the table's codes, ``n`` codes
        the table lacks, ``n + 1`` nodata. One numba pass and one bincount per chunk (a
        transition matrix of areas; exact cell counts x area in projected CRSs). Raises
        TableError listing absent codes of either map, with cell counts.
        """
        n = len(self.codes)
        pairs = map_cells(
            pair_bins,
            first,
            second,
            dtype=np.int64,
            name="class_pair",
            lo=self.lo,
            index_lut=self.index_lut,
            n=n,
            nodata=int(CLASS_NODATA),
        )
        counts = chunked_bincount(pairs, (n + 2) ** 2).reshape(n + 2, n + 2)
        if counts[n].sum() > 0:
            self.raise_missing(first, map_names[0])
        if counts[:, n].sum() > 0:
            self.raise_missing(second, map_names[1])
        area = bin_areas_ha(pairs, counts.ravel(), first)
        return counts, area.reshape(n + 2, n + 2)

    def raise_missing(self, lulc: xr.DataArray, map_name: str) -> None:
        """Raise TableError naming every code of ``lulc`` absent from the index."""
        known = set(self.codes.tolist())
        missing = {c: n for c, n in class_counts(lulc).items() if c not in known}
        listed = ", ".join(f"{c} ({n} cells)" for c, n in sorted(missing.items()))
        raise TableError(
            f"{self.source}: codes found in {map_name} but missing from the table: {listed}; "
            f"add a row for each code (or mark those cells as nodata)"
        )


def bin_areas_ha(bins: xr.DataArray, counts: np.ndarray, template: xr.DataArray) -> np.ndarray:
    """True area (ha) of the cells in each bin, given the bins' cell ``counts``.

    Projected grids (one cell area): counts x cell area, exact. Otherwise a bincount
    weighted by the cell areas of ``Grid.row_area_ha`` (geographic CRSs).
    """
    row_area = Grid.from_dataarray(template).row_area_ha()
    if np.all(row_area == row_area[0]):
        return counts.astype(np.float64) * row_area[0]
    return chunked_bincount(bins, counts.size, weights=cell_area_map(template))


def lookup_padded(block: np.ndarray, base: int, padded: np.ndarray) -> np.ndarray:
    """``padded[code - base]`` with indices clipped to the table: one ``numpy.take``.

    ``padded`` is NaN at both ends and for codes the table lacks, so nodata (int32 min)
    and codes outside the span, clipped to an end, give NaN.
    """
    index = block if base == 0 else block.astype(np.int64) - base
    return np.take(padded, index, mode="clip")


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
