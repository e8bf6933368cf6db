"""Benchmark of the CSLE chain (issue 7): full chain on a 5000 x 5000 DEM, chunked factors.

Synthetic inputs built with numpy in this script: a fractal DEM (spectral synthesis, power
spectrum ~ f^-beta with random phases, 30 m cells, relief about 600 m, so it has pits and
flats), annual precipitation, and land-use and soil maps in blocks. Prints

1. the full CSLE chain on the DEM side x side (default 5000, 2.5 x 10^7 cells): priority-flood
   fill + D8 + flow accumulation, Horn slope, L and S, then R, K, B, E, T, soil loss,
   conservation, grades and erosion carbon with their totals; wall time per stage and peak
   resident memory (target < 60 s); CPU seconds are printed beside wall seconds, since a
   shared machine inflates the wall time;
2. the per-cell factors and soil loss on dask (chunks of 1000 x 1000) against numpy on the
   same maps, with the totals checked equal;
3. the priority-flood fill against scikit-image's morphological reconstruction (the same
   filled DEM, checked cell for cell) on a 2000 x 2000 crop, timed in the same run.

Usage: ``python benchmarks/erosion.py [--side N] [--seed S]``.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from landcarbon.erosion import (
    erosion_budget,
    k_factor_from_table,
    r_factor_annual,
    read_erosion_tables,
    soil_loss,
)
from landcarbon.erosion._kernels import priority_flood
from landcarbon.erosion.cover import b_factor, practice_factor
from landcarbon.erosion.csle import total
from landcarbon.erosion.terrain import topography
from landcarbon.testing import make_raster


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


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far (GB; Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))


def reset_peak_rss() -> float:
    """Reset the kernel's peak-RSS mark (Linux ``clear_refs`` 5); return the RSS (GB).

    The peak printed after it is then the chain's own, not the input generation's
    (the FFT of the fractal DEM peaks higher than the chain on small maps).
    """
    with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
        refs.write("5")
    return _status_kb("VmRSS:") / 1e6


def chain_peak_gb() -> float:
    """Peak resident memory (GB) since :func:`reset_peak_rss`."""
    return _status_kb("VmHWM:") / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    side = args.side
    seeds = np.random.SeedSequence(args.seed).generate_state(4)

    print(f"building a {side} x {side} fractal DEM and inputs ...")
    z = fractal_dem(side, int(seeds[0]))
    dem = make_raster(z, name="dem")
    precip = make_raster(1400 + 400 * z / z.max(), name="precip")
    lulc = make_raster(blocks(side, 6, 50, int(seeds[1])), name="lulc")
    soil = make_raster(blocks(side, 13, 80, int(seeds[2])), name="soil")
    tables = read_erosion_tables()
    topography(make_raster(z[:50, :50]))  # compile the kernels outside the timings

    print(f"\n1. full CSLE chain on {side} x {side} = {side * side / 1e6:.1f} M cells")
    inputs_gb = reset_peak_rss()
    t0, c0 = time.perf_counter(), time.process_time()
    topo = topography(dem)
    t1, c1 = time.perf_counter(), time.process_time()
    soc = tables.soil.reclassify(soil, "soc_g_per_kg")
    result = erosion_budget(
        r_factor_annual(precip),
        k_factor_from_table(soil, tables.soil),
        topo.ls_factor,
        lulc,
        tables.land_use,
        soc,
    )
    t2, c2 = time.perf_counter(), time.process_time()
    s = result.summary
    print("   stage                                    wall s   CPU s")
    print(f"   fill + D8 + accumulation + slope + LS : {t1 - t0:7.2f} {c1 - c0:7.2f}")
    print(f"   R K B E T, loss, grades, carbon, sums : {t2 - t1:7.2f} {c2 - c1:7.2f}")
    print(f"   total (target < 60 s wall)            : {t2 - t0:7.2f} {c2 - c0:7.2f}")
    chain_gb = chain_peak_gb()
    print(f"   peak resident memory during the chain : {chain_gb:7.2f} GB")
    print(f"     of which inputs before the chain    : {inputs_gb:7.2f} GB")
    print(
        f"     chain bytes per cell above inputs   : {(chain_gb - inputs_gb) * 1e9 / side**2:7.0f}"
    )
    print(f"   peak resident memory of the process   : {peak_rss_gb():7.2f} GB")
    print(
        f"   mean loss {s['mean_t_per_ha']:.3f} t/ha/yr, total {s['total_t']:.4g} t/yr, "
        f"conservation {s['conservation_t']:.4g} t/yr, LS mean "
        f"{float(np.nanmean(topo.ls_factor.values)):.3f}, max accumulation "
        f"{float(np.nanmax(topo.accumulation_cells.values)):.0f} cells"
    )

    print("\n2. per-cell factors and soil loss: numpy vs dask (chunks 1000 x 1000)")
    timings = {}
    totals = {}
    for backend in ("numpy", "dask"):
        maps = [precip, soil, lulc, topo.ls_factor]
        if backend == "dask":
            maps = [m.chunk({"y": 1000, "x": 1000}) for m in maps]
        p, so, lu, ls = maps
        t = time.perf_counter()
        a = soil_loss(
            r_factor_annual(p),
            k_factor_from_table(so, tables.soil),
            ls,
            b_factor(lu, tables.land_use),
            practice_factor(lu, tables.land_use, "e"),
            practice_factor(lu, tables.land_use, "t"),
        )
        totals[backend] = total(a)
        timings[backend] = time.perf_counter() - t
        print(f"   {backend:5s}: {timings[backend]:6.2f} s, total {totals[backend]:.10g} t/yr")
    assert np.isclose(totals["numpy"], totals["dask"], rtol=1e-12)
    print(f"   dask / numpy time ratio: {timings['dask'] / timings['numpy']:.2f}")

    crop = min(side, 2000)
    print(f"\n3. priority-flood vs scikit-image reconstruction on {crop} x {crop}")
    from skimage.morphology import reconstruction

    sub = np.ascontiguousarray(z[:crop, :crop])
    t = time.perf_counter()
    filled, _, _ = priority_flood(sub)
    t_pf = time.perf_counter() - t
    seed = sub.copy()
    seed[1:-1, 1:-1] = sub.max()
    t = time.perf_counter()
    ref = reconstruction(seed, sub, method="erosion")
    t_sk = time.perf_counter() - t
    assert np.array_equal(filled, ref), "fills differ"
    raised = int((filled > sub).sum())
    print(
        f"   landcarbon priority-flood {t_pf:6.2f} s, scikit-image {t_sk:6.2f} s, "
        f"ratio {t_sk / t_pf:.1f}x; identical, {raised} cells raised"
    )


if __name__ == "__main__":
    main()
