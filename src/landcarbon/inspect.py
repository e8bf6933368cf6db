"""What ``landcarbon info`` reports about a raster, as a plain dict."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from landcarbon.errors import InputFileError
from landcarbon.grid import Grid
from landcarbon.raster import open_dataset, read_raster
from landcarbon.tables import class_counts

#: GDAL's words for a tag of a TIFF header that could not be read (the file is cut short).
_TAG_IO_ERROR = "IO error during reading of"


def describe_raster(path: str | Path, categorical: bool | None = None) -> dict[str, Any]:
    """Grid, CRS, cell area and per-class cells/hectares (or value statistics).

    Class areas use the true cell area of each row, so they are right for
    geographic CRSs too; without a CRS they are unknown (None), never a guess.

    Raises InputFileError for a file GDAL cannot read (see
    :func:`landcarbon.raster.open_dataset`) and for one whose header tags are cut short:
    GDAL then only warns and drops the georeferencing, which would be reported as "no CRS".
    """
    _refuse_damaged_header(Path(path))
    grid = Grid.from_file(path)
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


def _refuse_damaged_header(path: Path) -> None:
    """Raise InputFileError when GDAL reports header tags of ``path`` it could not read
    (a TIFF cut short by an interrupted copy or download keeps its pixels but loses its
    georeferencing tags: GDAL warns and goes on with no CRS and 1-unit cells)."""
    import rasterio

    with _gdal_messages() as messages, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NotGeoreferencedWarning: the cause is reported
        with rasterio.Env(), open_dataset(path):
            pass
    damaged: list[str] = []  # each tag once (GDAL repeats them)
    for message in messages:
        if _TAG_IO_ERROR in message:
            tag = message.split(_TAG_IO_ERROR, 1)[1].split(";")[0].strip()
            damaged += [] if tag in damaged else [tag]
    if damaged:
        raise InputFileError(
            f"{path}: GDAL could not read {len(damaged)} header tag(s) ({', '.join(damaged)}): "
            f"the file is truncated or damaged, so its georeferencing (CRS, cell size) is "
            f"lost; copy or export it again"
        )


@contextlib.contextmanager
def _gdal_messages() -> Iterator[list[str]]:
    """Collect the GDAL warnings rasterio logs (under ``rasterio.Env``) instead of
    printing them."""
    messages: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    logger = logging.getLogger("rasterio._env")
    handler, propagate, level = Keep(logging.WARNING), logger.propagate, logger.level
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.WARNING)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
        logger.setLevel(level)
