"""What ``landcarbon info`` reports about a raster, as a plain dict.

The band is read as numpy with rasterio, not as a DataArray: xarray, rioxarray, dask and
pandas are ~1 s of imports, several times the work of describing a raster.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from landcarbon.raster import (
    CLASS_NODATA,
    _pixel_errors,
    class_codes,
    codes_in_own_dtype,
    open_dataset,
    read_grid,
    read_raster,
)


def describe_raster(path: str | Path, categorical: bool | None = None) -> dict[str, Any]:
    """Grid, CRS, cell area and per-class cells/hectares (or value statistics).

    Class areas use the true cell area of each row, so they are right for
    geographic CRSs too; without a CRS they are unknown (None), never a guess.

    Raises InputFileError for a file GDAL cannot read, or whose header tags are cut short
    (see :func:`landcarbon.raster.open_dataset`).
    """
    grid = read_grid(path)
    with open_dataset(path) as ds:
        dtype = ds.dtypes[0]
    if categorical is None:
        categorical = np.issubdtype(np.dtype(dtype), np.integer)
    summary: dict[str, Any] = {
        "path": str(path),
        "rows": grid.rows,
        "cols": grid.cols,
        "dtype": dtype,
        "crs": grid.crs.to_string() if grid.crs else None,
        "nodata": grid.nodata,
        "cell_size": [abs(grid.transform.a), abs(grid.transform.e)],
        "total_area_ha": grid.total_area_ha() if grid.crs else None,
    }
    if categorical:
        codes, per_row = _cells_per_row(read_band(path, categorical=True))
        row_area = grid.row_area_ha() if grid.crs else None
        areas = None if row_area is None else (per_row * row_area).sum(axis=1)
        summary["classes"] = [
            {
                "code": int(c),
                "cells": int(per_row[i].sum()),
                "area_ha": None if areas is None else float(areas[i]),
            }
            for i, c in enumerate(codes)
            if c != CLASS_NODATA
        ]
    else:
        values = read_band(path, categorical=False)
        summary["stats"] = {
            "min": float(np.nanmin(values)),
            "max": float(np.nanmax(values)),
            "mean": float(np.nanmean(values)),
            "valid_cells": int(np.isfinite(values).sum()),
        }
    return summary


def _cells_per_row(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct codes of a 2-D class map (sorted) and the cells of each in each row,
    shape ``(codes, rows)``: one pass, whatever the number of classes. Codes spanning fewer
    values than the map has rows' worth of cells are counted by value (no sort)."""
    rows = codes.shape[0]
    data = codes != CLASS_NODATA
    low, high = (int(codes[data].min()), int(codes.max())) if data.any() else (0, -1)
    if (high - low + 2) * rows <= codes.size:
        slot = np.where(data, np.subtract(codes, low - 1, dtype=np.intp), 0)
        values = np.r_[CLASS_NODATA, np.arange(low, high + 1)]
    else:
        values = np.unique(codes)
        slot = np.searchsorted(values, codes)
    per_row = np.bincount(
        (slot * rows + np.arange(rows)[:, None]).ravel(), minlength=len(values) * rows
    ).reshape(-1, rows)
    found = per_row.any(axis=1)
    return values[found], per_row[found]


def read_band(path: str | Path, categorical: bool) -> np.ndarray:
    """Band 1 as :func:`landcarbon.raster.read_raster` gives it, without xarray.

    The same reads: class codes of an integer file masked by its nodata value alone in the
    file's dtype (:func:`~landcarbon.raster.codes_in_own_dtype`), anything else masked as
    ``rioxarray.open_rasterio(masked=True)`` does (rasterio's mask, NaN there); the same
    class-code check. An all-nodata band, or an infinite value in a continuous one, goes
    through ``read_raster``, which raises its RasterError.
    """
    p = Path(path)
    with open_dataset(p) as ds, _pixel_errors(p):
        if categorical and codes_in_own_dtype(ds):
            values, nodata = ds.read(1), ds.nodata
        else:
            values, nodata = np.ma.filled(ds.read(1, masked=True).astype(np.float64), np.nan), None
    if categorical:
        codes = class_codes(values, p, ("y", "x"), nodata)
        if np.all(codes == CLASS_NODATA):
            read_raster(p, "categorical")
        return codes
    if np.all(np.isnan(values)) or np.isinf(values).any():
        read_raster(p, "continuous")
    return values
