"""Benchmark of the CSLE chain (issues 7 and 18), whole process, on the shared harness.

Synthetic inputs built with numpy in this script and written as GeoTIFFs: a fractal DEM
(spectral synthesis, power spectrum ~ f^-beta with random phases, 30 m cells, relief about
600 m, so it has pits and flats), annual precipitation, and land-use (CNLUCC first-level
codes 1-6) and soil maps (USDA texture codes 1-13) in blocks. Times, interleaved
(benchmarks/harness.py: medians, min-max of the paired ratios, load before and after):

1. what the user waits for: ``landcarbon erosion`` as a whole process on the DEM side x
   side (``--side``), from reading the rasters to the written outputs (priority-flood fill,
   D8, flow accumulation, slope, L and S, R, K, B, E, T, soil loss, conservation, grades,
   erosion carbon and their totals; target < 60 s at 5000^2);
2. the priority-flood fill against scikit-image's morphological reconstruction (the same
   filled DEM, checked cell for cell) on a crop of at most 2000 x 2000, in one process;
3. the per-cell factors and soil loss on numpy against dask (chunks of 1000 x 1000) on the
   same maps, totals checked equal, in one process.

Usage: ``python benchmarks/erosion.py [--side 2000] [--pairs 5] [--seed S]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import harness
import numpy as np
import xarray as xr
from skimage.morphology import reconstruction

from landcarbon.erosion import k_factor_from_table, r_factor_annual, read_erosion_tables, soil_loss
from landcarbon.erosion._kernels import priority_flood
from landcarbon.erosion.cover import b_factor, practice_factor
from landcarbon.erosion.csle import total
from landcarbon.erosion.terrain import topography
from landcarbon.groups import classes_option
from landcarbon.raster import write_raster
from landcarbon.testing import make_raster

LANDCARBON = [sys.executable, "-c", "from landcarbon.cli import main; main()", "erosion"]


def fractal_dem(side: int, seed: int, beta: float = 3.2, relief_m: float = 600.0) -> np.ndarray:
    """Fractal surface by spectral synthesis: amplitude ~ f^(-beta/2), random phases."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    fy = np.fft.fftfreq(side)[:, None]
    fx = np.fft.rfftfreq(side)[None, :]
    f = np.hypot(fx, fy)
    f[0, 0] = 1.0
    amplitude = f ** (-beta / 2)
    amplitude[0, 0] = 0.0
    phase = rng.uniform(0, 2 * np.pi, amplitude.shape)
    z = np.fft.irfft2(amplitude * np.exp(1j * phase), s=(side, side))
    z -= z.min()
    return z * (relief_m / z.max())


def blocks(side: int, n_classes: int, block: int, seed: int) -> np.ndarray:
    """Class codes 1..n_classes in square blocks (int32)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    coarse = -(-side // block)
    base = rng.integers(1, n_classes + 1, size=(coarse, coarse)).astype(np.int32)
    return np.repeat(np.repeat(base, block, 0), block, 1)[:side, :side].copy()


def write_inputs(side: int, seed: int, folder: Path) -> dict[str, np.ndarray]:
    """The synthetic DEM, precipitation, land use and soil, written as ``<name>.tif``."""
    seeds = np.random.SeedSequence(seed).generate_state(4)
    z = fractal_dem(side, int(seeds[0]))
    arrays = {
        "dem": z,
        "precip": 1400 + 400 * z / z.max(),
        "lulc": blocks(side, 6, 50, int(seeds[1])),
        "soil": blocks(side, 13, 80, int(seeds[2])),
    }
    for name, data in arrays.items():
        write_raster(make_raster(data), folder / f"{name}.tif")
    return arrays


def whole_process(folder: Path, side: int, pairs: int) -> list[str]:
    """``landcarbon erosion`` as a process, timed on the harness; markdown lines."""
    args = [*LANDCARBON, *(f"--{n}={folder / n}.tif" for n in ("dem", "precip", "lulc", "soil"))]
    timed = harness.interleaved(
        {
            "landcarbon erosion": harness.process(
                lambda i: [
                    *args,
                    *("--classes", "cnlucc", "--tables", "redsoil", "--region", "south_red_soil"),
                    *("-o", str(folder / f"out{i}")),
                ]
            )
        },
        pairs,
    )
    return [
        f"**1. whole process**, {side} x {side} = {side * side / 1e6:.1f} M cells, from the "
        f"GeoTIFFs to the written outputs (target < 60 s wall at 5000^2); {pairs} rounds "
        f"after one untimed round; {timed.load_text()}",
        "",
        *timed.table(),
        "",
    ]


def fill_vs_skimage(z: np.ndarray, pairs: int) -> list[str]:
    """Priority-flood vs scikit-image's reconstruction on a crop, interleaved."""
    crop = min(z.shape[0], 2000)
    sub = np.ascontiguousarray(z[:crop, :crop])
    seed = sub.copy()
    seed[1:-1, 1:-1] = sub.max()
    timed = harness.interleaved(
        {
            "landcarbon priority-flood": harness.call(lambda i: priority_flood(sub)),
            "scikit-image reconstruction": harness.call(
                lambda i: reconstruction(seed, sub, method="erosion")
            ),
        },
        pairs,
    )
    filled = priority_flood(sub)[0]
    assert np.array_equal(filled, reconstruction(seed, sub, method="erosion")), "fills differ"
    return [
        f"**2. depression filling on {crop} x {crop}**, in one process; identical fills, "
        f"{int((filled > sub).sum())} cells raised; {timed.load_text()}",
        "",
        *timed.table(),
        "",
        f"- {timed.ratio_text('scikit-image reconstruction', 'landcarbon priority-flood')}",
        "",
    ]


def numpy_vs_dask(arrays: dict[str, np.ndarray], pairs: int) -> list[str]:
    """Per-cell factors and soil loss, numpy against dask chunks, interleaved."""
    tables = read_erosion_tables(classes=classes_option("cnlucc"))
    ls = topography(make_raster(arrays["dem"])).ls_factor
    maps = [make_raster(arrays[n]) for n in ("precip", "soil", "lulc")] + [ls]
    chunked = [m.chunk({"y": 1000, "x": 1000}) for m in maps]
    totals: dict[str, float] = {}

    def loss(backend: str, layers: list[xr.DataArray]) -> None:
        p, so, lu, ls_ = layers
        a = soil_loss(
            r_factor_annual(p),
            k_factor_from_table(so, tables.soil),
            ls_,
            b_factor(lu, tables.land_use),
            practice_factor(lu, tables.land_use, "e"),
            practice_factor(lu, tables.land_use, "t"),
        )
        totals[backend] = total(a)

    timed = harness.interleaved(
        {
            "numpy": harness.call(lambda i: loss("numpy", maps)),
            "dask": harness.call(lambda i: loss("dask", chunked)),
        },
        pairs,
    )
    assert np.isclose(totals["numpy"], totals["dask"], rtol=1e-12)
    return [
        f"**3. per-cell factors and soil loss**, numpy vs dask (chunks 1000 x 1000), in one "
        f"process; totals {totals['numpy']:.10g} and {totals['dask']:.10g} t/yr; "
        f"{timed.load_text()}",
        "",
        *timed.table(),
        "",
        f"- {timed.ratio_text('dask', 'numpy')}",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=2000)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2024)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lc-bench-erosion-") as tmp:
        folder = Path(tmp)
        arrays = write_inputs(opts.side, opts.seed, folder)
        lines = [f"Machine: {harness.machine()}", ""]
        lines += whole_process(folder, opts.side, opts.pairs)
    lines += fill_vs_skimage(arrays["dem"], opts.pairs)
    lines += numpy_vs_dask(arrays, opts.pairs)
    harness.report(f"erosion (CSLE), whole process, {opts.side}^2", lines)


if __name__ == "__main__":
    main()
