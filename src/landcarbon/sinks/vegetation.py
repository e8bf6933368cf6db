"""Vegetation carbon: density by vegetation type (t C/ha) and storage by type.

Each vegetation type (subtype) has one carbon density, chosen from the literature for
the site (the county study's Table 2: e.g. temperate montane coniferous forest 52.3,
meadow 3.7, desert 1.0 t C/ha). The density map is a lookup of the type map; the
storage of a type is its density × its true area (ha, from the grid), in t C.

References
----------
Zhang, Q., Yang, Y., Yuan, Y., Han, J., Li, D. (2024). Research on the territorial
ecological restoration of counties for the increase of carbon sinks: a case study of
Wensu County, Xinjiang. *Landscape Architecture Frontiers*, Table 2 (shared/studies/001).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from landcarbon.arrays import categorical
from landcarbon.sinks.areas import area_by_code
from landcarbon.tables import ClassTable

DENSITY_COLUMN = "density"
"""Default density column of the vegetation table (t C/ha)."""

FORMATION_COLUMN = "formation"
"""Optional column of the vegetation table: the vegetation group of a type (Table 2's
first column, e.g. "Desert", "Steppe"), carried into the storage table."""


def vegetation_carbon_density(
    veg_type: xr.DataArray, densities: ClassTable, column: str = DENSITY_COLUMN
) -> xr.DataArray:
    """Vegetation carbon density map (t C/ha, float64, NaN on nodata).

    Raises TableError listing every type code of the map that the table lacks (with its
    cell count). Lazy on dask input.
    """
    veg_type = categorical(veg_type, "the vegetation map")
    out = densities.reclassify(
        veg_type,
        column,
        name="veg_carbon_t_c_per_ha",
        map_name=str(veg_type.name or "the vegetation map"),
    )
    out.attrs["units"] = "t C/ha"
    return out


def vegetation_storage_table(
    veg_type: xr.DataArray, densities: ClassTable, column: str = DENSITY_COLUMN
) -> pd.DataFrame:
    """Carbon storage by vegetation type (Table 2 layout) with a total row.

    Columns: ``code``, ``formation`` (when the table has one: the vegetation group of
    Table 2, e.g. "Desert"; a table's ``group`` column holds land-use groups, so it is not
    used for this), ``name`` (subtype), ``density_t_c_per_ha``, ``area_ha`` (true area)
    and ``storage_t_c``.
    Types of the table absent from the map get area 0. The study prints area in 10^4 ha
    and storage in 10^4 t: divide by 10 000 for that layout.
    """
    veg_type = categorical(veg_type, "the vegetation map")
    densities.check_codes(veg_type, str(veg_type.name or "the vegetation map"))
    codes = densities.codes
    density = densities.column(column).to_numpy(dtype=np.float64)
    area = area_by_code(veg_type, codes)
    frame = pd.DataFrame({"code": codes})
    if FORMATION_COLUMN in densities.frame:
        frame[FORMATION_COLUMN] = densities.frame[FORMATION_COLUMN].to_numpy()
    frame["name"] = [densities.names()[int(c)] for c in codes]
    frame["density_t_c_per_ha"] = density
    frame["area_ha"] = area
    frame["storage_t_c"] = density * area
    total = {
        "code": None,
        "name": "Total",
        "density_t_c_per_ha": np.nan,
        "area_ha": area.sum(),
        "storage_t_c": frame["storage_t_c"].sum(),
    }
    return pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
