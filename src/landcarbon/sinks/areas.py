"""Areas by class and zone (true hectares from the grid), the tables of the sinks wing.

Zonal areas are bincounts weighted by each cell's true area
(:meth:`landcarbon.grid.Grid.cell_area_ha`), so geographic grids give real hectares.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from landcarbon.backend import chunked_bincount, map_cells
from landcarbon.grid import Grid
from landcarbon.raster import CLASS_NODATA

if TYPE_CHECKING:
    import xarray as xr


def code_index(block: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Position of every cell's code in ``codes`` (int64), -1 for nodata or unknown codes."""
    order = np.argsort(codes)
    sorted_codes = codes[order]
    pos = np.clip(np.searchsorted(sorted_codes, block), 0, len(codes) - 1)
    hit = (sorted_codes[pos] == block) & (block != CLASS_NODATA)
    return np.where(hit, order[pos], -1)


def area_by_code(classes: xr.DataArray, codes: np.ndarray) -> np.ndarray:
    """Area (ha) of each code of ``codes`` in a categorical map (chunked on dask)."""
    codes = np.asarray(codes, dtype=np.int64)
    index = map_cells(code_index, classes, dtype=np.int64, codes=codes)
    cell_area = Grid.from_dataarray(classes).cell_area_ha()
    return chunked_bincount(index, len(codes), weights=cell_area)


def composition_table(
    zones: np.ndarray,
    lulc: np.ndarray,
    cell_area_ha: np.ndarray,
    zone_labels: Mapping[int, Mapping[str, object]],
    lulc_names: Mapping[int, str],
) -> pd.DataFrame:
    """Land-use composition of every zone (the county study's Tables 7-9 layout).

    ``zones`` holds a zone id per cell (ids of ``zone_labels``; other values ignored);
    ``zone_labels`` maps a zone id to the columns that describe it (e.g. zone, patch).
    One row per zone and land-use class present: ``code``, ``land_use``, ``area_ha``,
    ``percent`` of the zone and ``total_area_ha`` of the zone.
    """
    ids = np.array(sorted(zone_labels), dtype=np.int64)
    codes = np.array(sorted(lulc_names), dtype=np.int64)
    zi = code_index(zones.astype(np.int64, copy=False), ids)
    li = code_index(lulc.astype(np.int64, copy=False), codes)
    ok = (zi >= 0) & (li >= 0)
    flat = zi[ok] * len(codes) + li[ok]
    area = np.bincount(flat, weights=cell_area_ha[ok], minlength=len(ids) * len(codes))
    area = area.reshape(len(ids), len(codes))
    rows = []
    for z, zone_id in enumerate(ids):
        total = area[z].sum()
        for c in np.flatnonzero(area[z] > 0):
            rows.append(
                {
                    **zone_labels[int(zone_id)],
                    "code": int(codes[c]),
                    "land_use": lulc_names[int(codes[c])],
                    "area_ha": float(area[z, c]),
                    "percent": float(100.0 * area[z, c] / total),
                    "total_area_ha": float(total),
                }
            )
    columns = [
        *next(iter(zone_labels.values()), {}).keys(),
        "code",
        "land_use",
        "area_ha",
        "percent",
        "total_area_ha",
    ]
    return pd.DataFrame(rows, columns=columns)
