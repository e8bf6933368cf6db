"""Helpers every chapter uses: naming artifacts, reading them, writing tables atomically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import xarray as xr

from landcarbon.raster import atomic_path, read_raster
from landcarbon.study.config import Study


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


def write_csv(frame: pd.DataFrame, path: Path, index: bool = False) -> None:
    """Write a table atomically."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=index)


def write_json(data: Any, path: Path) -> None:
    """Write JSON atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
