"""Test helpers shipped with the package: synthetic rasters and backend equivalence.

``make_raster(data, backend="numpy"|"dask", chunks=(3, 3))`` builds a georeferenced
DataArray; ``assert_backends_agree(func, *arrays)`` runs ``func`` on numpy and on
awkwardly chunked dask inputs and checks the results are identical, that the dask
result stayed lazy, and that dims, coords and CRS were kept.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr
from affine import Affine
from rasterio.crs import CRS

from landcarbon.backend import is_dask
from landcarbon.grid import Grid
from landcarbon.raster import from_numpy


def make_raster(
    data: np.ndarray | list[Any],
    backend: Literal["numpy", "dask"] = "numpy",
    chunks: tuple[int, int] = (3, 3),
    cell_size: float = 30.0,
    crs: str = "EPSG:32650",
    origin: tuple[float, float] = (500_000.0, 4_000_000.0),
    name: str | None = None,
) -> xr.DataArray:
    """A georeferenced 2-D DataArray on a north-up grid (30 m UTM 50N by default)."""
    arr = np.asarray(data)
    grid = Grid(
        arr.shape,
        Affine(cell_size, 0, origin[0], 0, -cell_size, origin[1]),  # type: ignore[arg-type]
        CRS.from_string(crs),
    )
    da = from_numpy(arr, grid, name=name)
    return da.chunk({"y": chunks[0], "x": chunks[1]}) if backend == "dask" else da


def write_gtiff(path: Path, data: np.ndarray, nodata: float | None, **extra: object) -> Path:
    """A single-band GeoTIFF of ``data`` in its own dtype written by rasterio directly (as
    other tools write them, not through landcarbon's writer), on the grid of
    :func:`make_raster`; ``extra`` creation options (``tiled``, ``compress`` ...)."""
    import rasterio

    profile = {
        "driver": "GTiff",
        "height": data.shape[0],
        "width": data.shape[1],
        "count": 1,
        "dtype": data.dtype.name,
        "crs": "EPSG:32650",
        "transform": Affine(30.0, 0.0, 500_000.0, 0.0, -30.0, 4_000_000.0),
        "nodata": nodata,
        **extra,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
    return path


def assert_backends_agree(
    func: Callable[..., xr.DataArray],
    *arrays: xr.DataArray,
    chunks: tuple[int, int] = (3, 3),
    **kwargs: Any,
) -> xr.DataArray:
    """Check ``func`` gives identical results on numpy and on dask (chunked) inputs."""
    expected = func(*arrays, **kwargs)
    chunked = [a.chunk({"y": chunks[0], "x": chunks[1]}) for a in arrays]
    got = func(*chunked, **kwargs)
    assert is_dask(got), f"{getattr(func, '__name__', func)} computed its dask input eagerly"
    assert got.dims == expected.dims
    for dim in expected.dims:
        np.testing.assert_array_equal(got[dim].values, expected[dim].values)
    assert got.rio.crs == expected.rio.crs
    np.testing.assert_array_equal(np.asarray(got.compute().data), np.asarray(expected.data))
    return expected


def run_cli(
    *args: str, cwd: Path | None = None, under: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """Run the real ``landcarbon`` entry point (with its error handling) in a subprocess,
    as a user's shell would; stdout and stderr are captured as text. ``under`` is a
    command the entry point runs under, e.g. ``("unshare", "-n")`` (no network)."""
    return subprocess.run(
        [*under, sys.executable, "-c", "from landcarbon.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The single ``error: ...`` line of a command refused as the CLI promises: exit code 1,
    no traceback, and nothing else on stderr. Returns the line."""
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]
