"""The floor of the carbon benchmark: a plain numpy + rasterio script, no landcarbon.

Reads the land-use map, looks up the total and the four pools with ``numpy.take`` in a
float32 table (the float64 densities rounded once per class: the same values as rounding
each cell) and writes each as a float32 GeoTIFF with the creation options given
(landcarbon's codec, so both write the same bytes' worth). What no carbon tool can beat on
the same files.

What it leaves out that a user of ``landcarbon carbon`` gets: any check of the table
(missing, blank or negative densities) or of the map's codes against it (a code missing
from the table silently becomes NaN here, as does the file's nodata value only because no
table row holds it), the totals (``carbon_by_class.csv``, ``summary.json``), band
descriptions and units, and atomic writes (a failed write leaves a partial file under its
final name).

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
        lut = np.full(size, np.nan, dtype=np.float32)  # float64 sums rounded once, per class
        lut[table["lucode"].to_numpy()] = values.to_numpy()
        with rasterio.open(out / f"{name}.tif", "w", **profile) as dst:
            dst.write(np.take(lut, codes), 1)


if __name__ == "__main__":
    main()
