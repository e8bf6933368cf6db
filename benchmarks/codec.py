"""Benchmark: GeoTIFF codec, level, predictor, block size and threads of a float32 carbon map.

What lowers the floor of a carbon run (its writes): the total storage map of the carbon
benchmark's synthetic land use (blocky, 60 classes) and of the Willamette sample (real
land cover, when ``../shared/data`` holds it) written with each creation option set,
interleaved (benchmarks/harness.py), with the file size and the time to read it back
(checked equal). landcarbon's default is ``landcarbon.raster.GTIFF_CREATION``.

Run: ``python benchmarks/codec.py [--size 4000] [--pairs 5]``
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

import harness
import numpy as np
import rasterio

from carbon import WILLAMETTE, synthetic_inputs
from landcarbon.carbon import read_pools, storage_map
from landcarbon.raster import GTIFF_CREATION, read_raster

ALL = {"num_threads": "ALL_CPUS"}
CONFIGS: dict[str, dict[str, Any]] = {
    "default (zstd 1, 256, all cores)": dict(GTIFF_CREATION),
    "zstd 1, 256, 1 thread": {"compress": "zstd", "zstd_level": 1},
    "zstd 1, 512": {"compress": "zstd", "zstd_level": 1, **ALL, "blockxsize": 512},
    "zstd 3, 256": {"compress": "zstd", "zstd_level": 3, **ALL},
    "zstd 1, predictor 2": {"compress": "zstd", "zstd_level": 1, "predictor": 2, **ALL},
    "zstd 1, predictor 3": {"compress": "zstd", "zstd_level": 1, "predictor": 3, **ALL},
    "deflate 1": {"compress": "deflate", "zlevel": 1, **ALL},
    "deflate 6": {"compress": "deflate", "zlevel": 6, **ALL},
    "lzw": {"compress": "lzw", **ALL},
    "lerc_zstd, exact": {"compress": "lerc_zstd", "max_z_error": 0, **ALL},
    "uncompressed": {"compress": "none"},
}


def profile(data: np.ndarray, options: dict[str, Any]) -> dict[str, Any]:
    block = options.get("blockxsize", 256)
    return {
        "driver": "GTiff",
        "height": data.shape[0],
        "width": data.shape[1],
        "count": 1,
        "dtype": "float32",
        "nodata": np.nan,
        "tiled": True,
        "blockxsize": block,
        "blockysize": block,
        "BIGTIFF": "IF_SAFER",
        **{k: v for k, v in options.items() if k not in ("blockxsize",)},
    }


def compare(label: str, data: np.ndarray, folder: Path, pairs: int) -> list[str]:
    sizes: dict[str, int] = {}

    def writer(name: str, options: dict[str, Any]) -> harness.Tool:
        def run(i: int) -> None:
            path = folder / f"{abs(hash(name))}_{i}.tif"
            with rasterio.open(path, "w", **profile(data, options)) as dst:
                dst.write(data, 1)
            sizes[name] = path.stat().st_size
            with rasterio.open(path) as src:
                assert np.array_equal(src.read(1), data, equal_nan=True), name
            path.unlink()

        return harness.call(run)

    result = harness.interleaved({n: writer(n, o) for n, o in CONFIGS.items()}, pairs)
    default = next(iter(CONFIGS))
    lines = [
        f"**{label}**, {data.shape[0]} x {data.shape[1]} float32, write + read back; "
        f"{result.load_text()}",
        "",
        "| options | MiB | write + read s, median | ratio to default, median (min-max) |",
        "|---|---|---|---|",
    ]
    for name in CONFIGS:
        r = result.ratios(name, default)
        lines.append(
            f"| {name} | {sizes[name] / 2**20:.2f} | {result.median(name):.3f} | "
            f"{np.median(r):.2f} ({r.min():.2f}-{r.max():.2f}) |"
        )
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4000)
    parser.add_argument("--pairs", type=int, default=5)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lc-codec-") as tmp:
        folder = Path(tmp)
        cur, _, pools = synthetic_inputs(opts.size, 0, folder)
        maps = {"synthetic blocky land use": (cur, read_pools(pools))}
        if WILLAMETTE.is_dir():
            table = read_pools(WILLAMETTE / "carbon_pools_samp.csv")
            maps["Willamette land cover"] = (WILLAMETTE / "lulc_samp_cur.tif", table)
        lines = [f"Machine: {harness.machine()}", ""]
        for label, (path, table) in maps.items():
            lulc = read_raster(path, "categorical")
            data = storage_map(lulc, table, check=False, dtype=np.float32).values
            lines += compare(label, data, folder, opts.pairs)
        harness.report("GeoTIFF options of a float32 carbon map", lines)


if __name__ == "__main__":
    main()
