"""Benchmark of the carbon-sink chapter (issue 6): cost distance and the whole chapter.

Prints

1. cost distance (MCR) on 4000 x 4000 cells (``--side``): the whole call of each tool from
   DataArrays in to arrays out, ours (numba row sweeps, Dijkstra on mazes), scikit-image's
   ``MCP_Geometric`` and xarray-spatial's ``cost_distance`` (the ``bench`` extra),
   interleaved ``--pairs`` times
   (ours, skimage, xarray-spatial, ours, ...); median and min-max of the paired ratios of
   wall and CPU time, the 1-minute load and the machine; ours must equal skimage bit for
   bit (issue 18 targets: >= 4x skimage, >= 2.5x xarray-spatial);
2. the whole sink chapter (vegetation carbon, importance index and levels, resistance
   with entropy weights, MCR, zoning, strategies) on the synthetic demo region
   (500 x 500, 30 m; target < 10 s) and on 2000 x 2000.

Resistance surfaces are smooth value noise in 1..10 (like graded factors) with 1 % NaN
barriers; sources are 40 random discs.
Usage: ``python benchmarks/sinks.py [--side N] [--pairs K] [--no-chapter]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import xarray as xr
from scipy import ndimage
from skimage.graph import MCP_Geometric

import landcarbon
from landcarbon.datasets.synthetic import synthetic_region
from landcarbon.sinks.chapter import SinksParams, run_sinks
from landcarbon.sinks.mcr import cost_distance
from landcarbon.tables import read_table
from landcarbon.testing import make_raster

CELL_M = 30.0


def resistance_and_sources(side: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Smooth resistance in [1, 10] with 1 % NaN barriers, and 40 source discs."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    coarse = rng.uniform(1.0, 10.0, (side // 50 + 2, side // 50 + 2))
    res = ndimage.zoom(coarse, side / (side // 50 + 2), order=1)[:side, :side]
    res = np.clip(res + rng.normal(0, 0.5, res.shape), 1.0, 10.0)
    res[rng.random(res.shape) < 0.01] = np.nan
    src = np.zeros((side, side), dtype=np.int32)
    rr, cc = np.ogrid[:side, :side]
    for k, (r, c) in enumerate(rng.integers(0, side, (40, 2)), start=1):
        src[(rr - r) ** 2 + (cc - c) ** 2 <= 9] = k
    src[np.isnan(res)] = 0
    return res, src


def timed(func, *args, **kwargs):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = func(*args, **kwargs)
    return out, time.perf_counter() - t0


def run_ours(r: xr.DataArray, s: xr.DataArray) -> np.ndarray:
    return np.asarray(cost_distance(r, s).cost.values)


def run_skimage(r: xr.DataArray, s: xr.DataArray) -> np.ndarray:
    """MCP_Geometric from the same DataArrays: barriers (NaN) as inf, unreached as NaN."""
    res, src = r.values, s.values
    mcp = MCP_Geometric(np.where(np.isnan(res), np.inf, res), sampling=(CELL_M, CELL_M))
    cum, _ = mcp.find_costs(np.argwhere(src > 0))
    return np.where(np.isfinite(cum), cum, np.nan)


def run_xrspatial(r: xr.DataArray, s: xr.DataArray) -> np.ndarray:
    from xrspatial import cost_distance as xrs_cost_distance

    return np.asarray(xrs_cost_distance(s, r).values)


def bench_cost_distance(side: int, pairs: int) -> None:
    """Whole calls (DataArrays in, arrays out), interleaved ours / skimage / xarray-spatial
    ``pairs`` times; median and min-max of the paired ratios (wall and CPU), the load."""
    res, src = resistance_and_sources(side, seed=side)
    r, s = make_raster(res, cell_size=CELL_M), make_raster(src, cell_size=CELL_M)
    tools = {"ours": run_ours, "skimage": run_skimage}
    try:
        import xrspatial  # noqa: F401

        tools["xarray-spatial"] = run_xrspatial
    except ImportError:
        print("xarray-spatial not installed (pip install -e '.[bench]'): left out")
    small = resistance_and_sources(64, seed=64)
    for run in tools.values():  # numba compiles (cached afterwards)
        run(make_raster(small[0], cell_size=CELL_M), make_raster(small[1], cell_size=CELL_M))
    wall: dict[str, list[float]] = {k: [] for k in tools}
    cpu: dict[str, list[float]] = {k: [] for k in tools}
    loads = []
    for _ in range(pairs):
        for name, run in tools.items():
            c0, t0 = time.process_time(), time.perf_counter()
            out = run(r, s)
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
            if name == "ours":
                ours = out
            elif name == "skimage":
                same = bool(np.array_equal(ours, out, equal_nan=True))
            else:  # float32 output
                close = bool(np.allclose(ours, out, rtol=1e-6, equal_nan=True))
        loads.append(os.getloadavg()[0])
    print(
        f"cost distance {side} x {side} ({side * side / 1e6:.2f} M cells), {pairs} interleaved "
        f"rounds, load (1 min) {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} CPUs "
        f"({platform.processor() or platform.machine()}):"
    )
    print(
        f"  ours: wall median {np.median(wall['ours']):.2f} s, CPU {np.median(cpu['ours']):.2f} s"
    )
    for name in tools:
        if name == "ours":
            continue
        ratio_w = np.array(wall[name]) / np.array(wall["ours"])
        ratio_c = np.array(cpu[name]) / np.array(cpu["ours"])
        agree = f"bit-identical {same}" if name == "skimage" else f"within 1e-6 (float32) {close}"
        print(
            f"  {name}: wall median {np.median(wall[name]):.2f} s, CPU "
            f"{np.median(cpu[name]):.2f} s; paired ratio to ours: wall {np.median(ratio_w):.2f}x "
            f"({ratio_w.min():.2f}-{ratio_w.max():.2f}), CPU {np.median(ratio_c):.2f}x "
            f"({ratio_c.min():.2f}-{ratio_c.max():.2f}); {agree}"
        )


def sink_inputs(shape: tuple[int, int], seed: int = 0) -> dict[str, xr.DataArray]:
    """Chapter inputs from the synthetic region (study eqs 1-3 for NEP and soil carbon)."""
    ds = synthetic_region(shape, CELL_M, seed)
    t, a = ds["monthly_temperature"].values, ds["monthly_precipitation"].values
    # eq 2: R_H = 0.22 [exp(0.0913 T) + ln(0.3145 A + 1)] x 30 x 46.5 % (g C/m2/month)
    rh = (0.22 * (np.exp(0.0913 * t) + np.log(0.3145 * a + 1)) * 30 * 0.465).sum(axis=0)
    # accumulated temperature above 10 degC, from monthly means (30.4 days a month)
    acc = np.where(t >= 10.0, t * 30.4, 0.0).sum(axis=0)

    def layer(values: np.ndarray, name: str) -> xr.DataArray:
        return ds["dem"].copy(data=values).rename(name)

    return {
        "nep": layer(ds["npp"].values - rh, "nep"),  # eq 1
        # eq 3: C_soil = (P_ic + P_oc) x 0.3 + (S_ic + S_oc) x 0.7
        "soil": layer(
            (ds["sic_topsoil"] + ds["soc_topsoil"]).values * 0.3
            + (ds["sic_subsoil"] + ds["soc_subsoil"]).values * 0.7,
            "soil",
        ),
        "veg_type": ds["vegetation"].astype(np.int32),
        "lulc": ds["landuse_2020"].astype(np.int32),
        "slope": ds["slope"],
        "elevation": ds["dem"],
        "precipitation": ds["precipitation"],
        "population": ds["population"],
        "accumulated_temperature": layer(acc, "acc"),
    }


# Densities (t C/ha) of the synthetic vegetation types: the shipped example table (the
# county study's Table 2 values).
VEG_TABLE = Path(landcarbon.__file__).parent / "examples" / "tables" / "vegetation_density.csv"


def bench_chapter(shape: tuple[int, int]) -> None:
    inputs, t_in = timed(sink_inputs, shape)
    veg = read_table(VEG_TABLE, required=["density"])
    factors = {
        k: inputs[k]
        for k in ("slope", "elevation", "precipitation", "population", "accumulated_temperature")
    }
    result, t = timed(
        run_sinks,
        nep=inputs["nep"],
        veg_type=inputs["veg_type"],
        veg_densities=veg,
        soil_carbon=inputs["soil"],
        lulc=inputs["lulc"],
        factors=factors,
        params=SinksParams(min_area_ha=50.0, cultivated_codes=(1,)),
    )
    s = result.summary()
    print(
        f"sink chapter {shape[0]} x {shape[1]} ({shape[0] * shape[1] / 1e6:.2f} M cells): "
        f"{t:.2f} s (inputs {t_in:.2f} s, not counted); {s['patches']} patches, zones "
        + ", ".join(f"{k} {v:.0f} ha" for k, v in s["zone_area_ha"].items())
        + "; weights "
        + ", ".join(f"{k} {v:.3f}" for k, v in s["resistance_weights"].items())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=4000, help="cost-distance map side (cells)")
    parser.add_argument("--pairs", type=int, default=5, help="interleaved rounds of the peers")
    parser.add_argument("--no-chapter", action="store_true", help="only the cost distance")
    args = parser.parse_args()
    bench_cost_distance(args.side, args.pairs)
    if args.no_chapter:
        return
    bench_chapter((64, 64))  # warm-up
    bench_chapter((500, 500))
    bench_chapter((2000, 2000))


if __name__ == "__main__":
    main()
