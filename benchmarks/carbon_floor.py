"""The floor of the carbon benchmark: a plain numpy + rasterio script, no landcarbon.

Reads the land-use map, looks up the total and the four pools with ``numpy.take`` and
writes each as a float32 GeoTIFF with the creation options given (landcarbon's codec, so
both write the same bytes' worth). What no carbon tool can beat on the same files.

Run: ``python benchmarks/carbon_floor.py LULC POOLS_CSV OUT_DIR '{"compress": "zstd", ...}'``
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio

POOLS = ("c_above", "c_below", "c_soil", "c_dead")


def main() -> None:
    lulc, pools_csv, out, creation = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4]
    out.mkdir(parents=True, exist_ok=True)
    table = pd.read_csv(pools_csv)
    with rasterio.open(lulc) as src:
        codes = src.read(1)
        profile = src.profile
    size = int(max(table["lucode"].max(), codes.max())) + 1
    profile.update(dtype="float32", nodata=np.nan, tiled=True, blockxsize=256, blockysize=256)
    profile.update(json.loads(creation))
    columns = {"c_storage_bas": table[list(POOLS)].sum(axis=1)}
    columns.update({f"{p}_bas": table[p] for p in POOLS})
    for name, values in columns.items():
        lut = np.full(size, np.nan)
        lut[table["lucode"].to_numpy()] = values.to_numpy()
        with rasterio.open(out / f"{name}.tif", "w", **profile) as dst:
            dst.write(np.take(lut, codes).astype(np.float32), 1)


if __name__ == "__main__":
    main()
