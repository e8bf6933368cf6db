"""Land-use carbon emissions by the emission-factor method.

``E = Σ_i A_i · δ_i`` with ``A_i`` the true area of class i (ha) and ``δ_i`` its signed
emission factor (t C ha⁻¹ yr⁻¹; positive = source, negative = sink). Per cell the
factor map is ``δ`` (t C/ha/yr) or ``δ`` x cell area (t C/yr per cell, on request).
Factor tables have a code column and ``factor_t_c_per_ha_yr``; shipped presets:
``arid_muus`` (the arid-region study: cropland 0.42, forest -0.64, grassland -0.02,
water 0, built-up 1.82, unused 0.05) and ``sun2015`` (the most used literature set,
built-up by the energy method). Several papers quote kg m⁻² a⁻¹: 1 kg/m² = 10 t/ha.

References
----------
Sun He, Liang Huimin (2015). Land use patterns on carbon emission and spatial association
in China. *Economic Geography* 35(3):154-162.
The arid-region carbon budget study (Mu Us), section 1.3.2 (shared/studies/002).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from landcarbon.arrays import categorical
from landcarbon.carbon.classes import ClassIndex, map_label, per_cell
from landcarbon.carbon.presets import load_preset, preset_names
from landcarbon.tables import ClassTable, read_table

if TYPE_CHECKING:
    import xarray as xr

    from landcarbon.classes import ClassScheme

FACTOR_COLUMN = "factor_t_c_per_ha_yr"
"""Emission-factor column of a factor table (t C/ha/yr, signed)."""


def read_emission_factors(path: str | Path) -> ClassTable:
    """Read a factor table (CSV/TOML: code column and ``factor_t_c_per_ha_yr``)."""
    return read_table(path, required=(FACTOR_COLUMN,))


def emission_factor_preset(name: str, classes: ClassScheme | None = None) -> ClassTable:
    """A shipped factor set, ``arid_muus`` or ``sun2015``, keyed by land-use group and
    resolved onto the codes of ``classes`` through its ``group`` column (without ``classes`` a
    group-keyed table is refused)."""
    factor_sets = [n for n in preset_names("emissions") if not n.startswith("energy_")]
    return load_preset(
        "emissions", name, required=(FACTOR_COLUMN,), choices=factor_sets, classes=classes
    )


def emission_map(
    lulc: xr.DataArray, factors: ClassTable, *, per_cell_units: bool = False
) -> xr.DataArray:
    """Emissions per cell: t C/ha/yr, or t C/yr per cell on request; lazy on dask.

    Raises TableError listing codes of the map missing from the table (cell counts).
    """
    lulc = categorical(lulc, "lulc")
    index = ClassIndex.of(factors.codes, factors.source)
    index.class_area_ha(lulc, map_label(lulc))
    out = index.values_map(lulc, factors.column(FACTOR_COLUMN).to_numpy(float), "emissions")
    out.attrs["units"] = "t C/ha/yr"
    return per_cell(out, "emissions_t_c_per_cell") if per_cell_units else out


def emission_totals(lulc: xr.DataArray, factors: ClassTable) -> pd.DataFrame:
    """Emissions by class: ``code, name, cells, area_ha, factor_t_c_per_ha_yr, emissions_t_c_yr``.

    Exact: true class area (bincount) x factor, float64.
    """
    lulc = categorical(lulc, "lulc")
    index = ClassIndex.of(factors.codes, factors.source)
    cells, area = index.class_area_ha(lulc, map_label(lulc))
    names = factors.names()
    factor = factors.column(FACTOR_COLUMN).to_numpy(float)
    return pd.DataFrame(
        {
            "code": factors.codes,
            "name": [names[int(c)] for c in factors.codes],
            "cells": cells,
            "area_ha": area,
            FACTOR_COLUMN: factor,
            "emissions_t_c_yr": area * factor,
        }
    )
