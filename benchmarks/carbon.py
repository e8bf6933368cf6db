"""Benchmark: landcarbon carbon storage, whole process, vs natcap.invest and a numpy floor.

On a 4000 x 4000, 30 m synthetic land-use map (60 classes, seeded; ``--size``) it times
whole processes, as a user runs them (interpreter start, imports, reading the inputs,
writing the outputs), interleaved (``--pairs`` rounds of A B C ...) after one untimed
round, with the median and min-max of the paired ratios and the load (benchmarks/harness.py):

* (a) the five rasters of InVEST's Carbon model for one scenario (total + four pools;
  float32, tiled 256, ``landcarbon.raster.GTIFF_CREATION``): ``landcarbon carbon
  --all-pools`` vs InVEST's ``carbon.execute`` vs the floor, a plain numpy + rasterio script
  writing the same five rasters with the same codec (``benchmarks/carbon_floor.py``);
* (b) the default outputs with a future map (current and future storage, change):
  ``landcarbon carbon --lulc-future`` vs InVEST with ``calc_sequestration``;
* then the agreement of InVEST's and landcarbon's totals and cells, and the Willamette
  sample side by side.

natcap.invest is a benchmark reference only, never a landcarbon dependency. It has no
Linux wheels; ``make bench-invest`` (``benchmarks/setup_invest.sh``) builds a separate
``.venv-invest`` with landcarbon and natcap.invest (system GDAL, Cython < 3.3); without it
the InVEST columns are skipped.

With ``--big N`` it instead writes an N x N map window by window and runs the default
outputs chunked (dask, ``--chunk`` cells), printing the time and the peak resident memory.

Run: ``.venv-invest/bin/python benchmarks/carbon.py [--size 4000] [--pairs 5] [--seed 0]``
(``.venv/bin/python`` runs landcarbon and the floor only), or
``.venv/bin/python benchmarks/carbon.py --big 20000 --chunk 1024`` (peak 1.4 GiB).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import harness
import numpy as np
import pandas as pd
import rasterio
from affine import Affine
from rasterio.crs import CRS

from landcarbon.carbon import POOLS, read_pools, storage_map, storage_totals, write_carbon_outputs
from landcarbon.raster import GTIFF_CREATION, read_raster

N_CLASSES = 60

AGREEMENT = 1e-6  # issue 3: per-cell and total agreement with InVEST, relative


def input_profile(size: int) -> dict[str, Any]:
    """How the input land-use maps are stored: uint8, tiled 256, DEFLATE, as maps from
    other tools usually are; independent of landcarbon's own output compression, so both
    tools read the same, neutral files."""
    return {
        "driver": "GTiff",
        "height": size,
        "width": size,
        "count": 1,
        "dtype": "uint8",
        "crs": CRS.from_epsg(32650),
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "transform": Affine(30.0, 0, 500_000.0, 0, -30.0, 4_500_000.0),
        "compress": "deflate",
        "nodata": 255,
        "BIGTIFF": "IF_SAFER",
    }


def synthetic_inputs(size: int, seed: int, folder: Path) -> tuple[Path, Path, Path]:
    """Blocky land-use maps (current, future with ~20 % of blocks changed) and a pools table."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(1, N_CLASSES + 1, (size // 16 + 1, size // 16 + 1)).astype(np.uint8)
    current = np.kron(blocks, np.ones((16, 16), dtype=np.uint8))[:size, :size]
    changed = rng.random(blocks.shape) < 0.2
    new = np.where(changed, rng.integers(1, N_CLASSES + 1, blocks.shape), blocks).astype(np.uint8)
    future = np.kron(new, np.ones((16, 16), dtype=np.uint8))[:size, :size]
    cur, fut = folder / "lulc_cur.tif", folder / "lulc_fut.tif"
    for path, data in ((cur, current), (fut, future)):
        with rasterio.open(path, "w", **input_profile(size)) as dst:
            dst.write(data, 1)
    table = pd.DataFrame({"lucode": np.arange(1, N_CLASSES + 1)})
    for pool, top in zip(POOLS, (120.0, 40.0, 200.0, 15.0), strict=True):
        table[pool] = np.round(rng.uniform(0, top, N_CLASSES), 2)
    pools = folder / "pools.csv"
    table.to_csv(pools, index=False)
    return cur, fut, pools


def big_inputs(size: int, seed: int, folder: Path) -> tuple[Path, Path, Path]:
    """An N x N pair of land-use maps written in row strips (never whole in memory)."""
    from rasterio.windows import Window

    _, _, pools = synthetic_inputs(64, seed, folder)
    rng = np.random.default_rng(seed)
    profile = input_profile(size)
    paths = (folder / "big_cur.tif", folder / "big_fut.tif")
    with (
        rasterio.open(paths[0], "w", **profile) as cur,
        rasterio.open(paths[1], "w", **profile) as fut,
    ):
        for row in range(0, size, 1024):
            h = min(1024, size - row)
            blocks = rng.integers(1, N_CLASSES + 1, (h // 16 + 1, size // 16 + 1)).astype(np.uint8)
            strip = np.kron(blocks, np.ones((16, 16), dtype=np.uint8))[:h, :size]
            changed = rng.random(strip.shape, dtype=np.float32) < 0.01
            window = Window(0, row, size, h)
            cur.write(strip, 1, window=window)
            fut.write(
                np.where(changed, (strip % N_CLASSES) + 1, strip).astype(np.uint8), 1, window=window
            )
    return paths[0], paths[1], pools


def run_big(size: int, chunk: int, seed: int) -> None:
    """Default outputs of an N x N map read in dask chunks; time and peak memory."""
    import resource

    with tempfile.TemporaryDirectory(prefix="lc-big-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        cur_path, fut_path, pools_path = big_inputs(size, seed, folder)
        print(f"wrote {size} x {size} inputs in {time.perf_counter() - start:.1f} s")
        cur = read_raster(cur_path, "categorical", chunks=chunk)
        fut = read_raster(fut_path, "categorical", chunks=chunk)
        start = time.perf_counter()
        account, _ = write_carbon_outputs(folder / "out", cur, read_pools(pools_path), fut)
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"chunked default outputs: {time.perf_counter() - start:.1f} s, total "
            f"{account.current.total_t_c:.6e} t C, peak memory {peak_mib:.0f} MiB"
        )


def run_invest(cur: Path, fut: Path | None, pools: Path, workspace: Path) -> Path:
    from natcap.invest import carbon

    args = {
        "workspace_dir": str(workspace),
        "lulc_bas_path": str(cur),
        "carbon_pools_path": str(pools),
        "calc_sequestration": fut is not None,
        "lulc_alt_path": str(fut) if fut else "",
        "do_valuation": False,
        "n_workers": -1,
    }
    carbon.execute(args)
    return workspace


WILLAMETTE = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "invest_willamette_carbon"
)


def willamette_side_by_side(folder: Path) -> None:
    """InVEST and landcarbon on the Willamette sample (2000 -> 2030, V 43, r 7 %, c 0)."""
    from natcap.invest import carbon

    from landcarbon.carbon import Valuation
    from landcarbon.carbon.outputs import carbon_account

    if not WILLAMETTE.is_dir():
        print(f"Willamette sample not found at {WILLAMETTE}: skipped")
        return
    table = pd.read_csv(WILLAMETTE / "carbon_pools_samp.csv").rename(columns={"LULC": "lucode"})
    table.to_csv(folder / "willamette_pools.csv", index=False)  # InVEST >= 3.15 wants lucode
    workspace = folder / "willamette"
    carbon.execute(
        {
            "workspace_dir": str(workspace),
            "lulc_bas_path": str(WILLAMETTE / "lulc_samp_cur.tif"),
            "lulc_alt_path": str(WILLAMETTE / "lulc_samp_fut.tif"),
            "carbon_pools_path": str(folder / "willamette_pools.csv"),
            "calc_sequestration": True,
            "do_valuation": True,
            "lulc_bas_year": 2000,
            "lulc_alt_year": 2030,
            "price_per_metric_ton_of_c": 43,
            "discount_rate": 7,
            "rate_change": 0,
            "n_workers": -1,
        }
    )
    invest = pd.read_csv(workspace / "raster_values_summary.csv")["Total"].to_numpy()
    acc = carbon_account(
        read_raster(WILLAMETTE / "lulc_samp_cur.tif", "categorical"),
        read_pools(WILLAMETTE / "carbon_pools_samp.csv"),
        read_raster(WILLAMETTE / "lulc_samp_fut.tif", "categorical"),
        Valuation(43.0, 7.0, 0.0, 2000, 2030),
    )
    assert acc.future is not None and acc.sequestration_t_c is not None and acc.value is not None
    ours = [acc.current.total_t_c, acc.future.total_t_c, acc.sequestration_t_c, acc.value]
    for label, a, b in zip(("current", "future", "change", "value"), ours, invest, strict=True):
        rel = abs(b / a - 1)
        print(f"Willamette {label:8s} landcarbon {a:20.6f}  InVEST {b:20.6f}  rel {rel:.1e}")
        assert rel <= AGREEMENT, f"Willamette {label}: InVEST differs by {rel:.1e} relative"


LANDCARBON = [sys.executable, "-c", "from landcarbon.cli import main; main()", "carbon"]
INVEST = [
    sys.executable,
    "-c",
    "import json, sys; from natcap.invest import carbon; carbon.execute(json.loads(sys.argv[1]))",
]
FLOOR = Path(__file__).with_name("carbon_floor.py")


def invest_args(cur: Path, fut: Path | None, pools: Path, workspace: Path) -> list[str]:
    """InVEST's Carbon model as a process: a fresh workspace per run (InVEST caches)."""
    args = {
        "workspace_dir": str(workspace),
        "lulc_bas_path": str(cur),
        "carbon_pools_path": str(pools),
        "calc_sequestration": fut is not None,
        "lulc_alt_path": str(fut) if fut else "",
        "do_valuation": False,
        "n_workers": -1,
    }
    return [*INVEST, json.dumps(args)]


def timed_comparisons(folder: Path, size: int, pairs: int, invest: bool) -> list[str]:
    """The interleaved whole-process comparisons (a) and (b); markdown lines."""
    cur, fut, pools = (folder / n for n in ("lulc_cur.tif", "lulc_fut.tif", "pools.csv"))
    lc = [*LANDCARBON, "--lulc", str(cur), "--pools", str(pools)]
    five: dict[str, harness.Tool] = {
        "landcarbon": harness.process(lambda i: [*lc, "--all-pools", "-o", str(folder / f"a{i}")]),
        "floor": harness.process(
            lambda i: [
                sys.executable,
                str(FLOOR),
                str(cur),
                str(pools),
                str(folder / f"f{i}"),
                json.dumps(GTIFF_CREATION),
            ]
        ),
    }
    default: dict[str, harness.Tool] = {
        "landcarbon": harness.process(
            lambda i: [*lc, "--lulc-future", str(fut), "-o", str(folder / f"b{i}")]
        )
    }
    if invest:
        five["InVEST"] = harness.process(lambda i: invest_args(cur, None, pools, folder / f"i{i}"))
        default["InVEST"] = harness.process(
            lambda i: invest_args(cur, fut, pools, folder / f"j{i}")
        )
    codec = ", ".join(f"{k}={v}" for k, v in GTIFF_CREATION.items())
    lines = [
        f"Map {size} x {size} ({size * size / 1e6:.0f} M cells), {N_CLASSES} classes, input "
        f"uint8 DEFLATE tiled 256; outputs float32 ({codec}); {pairs} interleaved rounds "
        f"after one untimed round; whole processes.",
        "",
    ]
    for title, tools in (
        ("(a) five rasters (total + 4 pools)", five),
        ("(b) default outputs, current + future", default),
    ):
        result = harness.interleaved(tools, pairs)
        lines += [f"**{title}**, {result.load_text()}", "", *result.table(), ""]
        for other in [t for t in tools if t != "landcarbon"]:
            slow, fast = (other, "landcarbon") if other == "InVEST" else ("landcarbon", other)
            lines.append(f"- {result.ratio_text(slow, fast)}")
        lines.append("")
    if not invest:
        lines.append(
            "natcap.invest is not importable: InVEST skipped. Build its venv with `make "
            "bench-invest`, then run .venv-invest/bin/python benchmarks/carbon.py"
        )
    return lines


def agreement(folder: Path) -> list[str]:
    """InVEST's and landcarbon's per-cell maps and totals agree (and Willamette)."""
    cur_path, fut_path, pools_path = (
        folder / n for n in ("lulc_cur.tif", "lulc_fut.tif", "pools.csv")
    )
    cur, pools = read_raster(cur_path, "categorical"), read_pools(pools_path)
    willamette_side_by_side(folder)
    ws = run_invest(cur_path, fut_path, pools_path, folder / "check")
    ours = storage_map(cur, pools, check=False).values
    theirs = read_raster(ws / "c_storage_bas.tif").values
    rel = np.nanmax(np.abs(theirs - ours) / np.maximum(np.abs(ours), 1e-12))
    total_ours = storage_totals(cur, pools).total_t_c
    total_theirs = float(np.nansum(theirs.astype(np.float64))) * 0.09
    assert rel <= AGREEMENT, f"per-cell storage differs from InVEST by {rel:.1e} relative"
    assert abs(total_theirs / total_ours - 1) <= AGREEMENT, "total differs from InVEST"
    return [
        f"Agreement with InVEST: per-cell max relative difference {rel:.2e}; totals "
        f"{total_ours:.6f} vs {total_theirs:.6f} t C (rel {abs(total_theirs / total_ours - 1):.2e})"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4000)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--big", type=int, default=0, help="run the chunked N x N case")
    parser.add_argument("--chunk", type=int, default=1024)
    opts = parser.parse_args()
    if opts.big:
        run_big(opts.big, opts.chunk, opts.seed)
        return
    invest = (
        importlib.util.find_spec("natcap") is not None
        and importlib.util.find_spec("natcap.invest") is not None
    )
    with tempfile.TemporaryDirectory(prefix="lc-bench-") as tmp:
        folder = Path(tmp)
        synthetic_inputs(opts.size, opts.seed, folder)
        lines = [f"Machine: {harness.machine()}", ""]
        lines += timed_comparisons(folder, opts.size, opts.pairs, invest)
        if invest:
            lines += agreement(folder)
        harness.report(f"carbon storage, whole process, {opts.size}^2", lines)


if __name__ == "__main__":
    main()
