"""Helpers every chapter uses: naming artifacts, reading them, writing tables atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import xarray as xr

from landcarbon.raster import read_raster
from landcarbon.study.config import Study
from landcarbon.writes import write_csv, write_json

__all__ = ["artifact", "kind_of", "read", "write_csv", "write_json"]


def artifact(study: Study, name: str) -> str:
    """Artifact name of a chapter reference: a [rasters]/[tables] entry or a step output."""
    if name in study.rasters:
        return f"rasters.{name}"
    if name in study.tables:
        return f"tables.{name}"
    return name


def kind_of(study: Study, name: str) -> Literal["continuous", "categorical"]:
    """Categorical for rasters listed in [inputs] categorical and for class-map outputs."""
    if name in study.rasters:
        return study.raster_kind(name)
    return "continuous"


def read(
    path: Path, kind: Literal["continuous", "categorical"] = "continuous", chunks: int = 0
) -> xr.DataArray:
    """Read a study artifact raster: in memory, or lazily in ``chunks`` x ``chunks`` blocks
    (the study's ``[compute] chunks``) for per-cell and map-reduce steps."""
    return read_raster(path, kind, chunks=chunks or None)
