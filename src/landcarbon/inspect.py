"""What ``landcarbon info`` reports about a raster, as a plain dict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from landcarbon.raster import open_dataset, read_grid, read_raster
from landcarbon.tables import class_counts


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
        da = read_raster(path, "categorical")
        row_area = grid.row_area_ha() if grid.crs else None
        data = np.asarray(da.data)
        codes = sorted(class_counts(data))
        summary["classes"] = [
            {
                "code": c,
                "cells": int((data == c).sum()),
                "area_ha": (
                    None if row_area is None else float(((data == c).sum(axis=1) * row_area).sum())
                ),
            }
            for c in codes
        ]
    else:
        values = np.asarray(read_raster(path, "continuous").data)
        summary["stats"] = {
            "min": float(np.nanmin(values)),
            "max": float(np.nanmax(values)),
            "mean": float(np.nanmean(values)),
            "valid_cells": int(np.isfinite(values).sum()),
        }
    return summary
