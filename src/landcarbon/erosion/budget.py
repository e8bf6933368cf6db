"""The whole CSLE chain on aligned inputs: factors → soil loss → conservation → carbon.

:func:`erosion_budget` takes the R, K and LS maps (from :mod:`.rainfall`, :mod:`.soil`,
:mod:`.terrain`), a land-use map with its B/E/T table and a SOC content map, and returns
every layer plus the study summary (the keys of ``landcarbon erosion --json``) and a
table by land-use class.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import xarray as xr

from landcarbon.arrays import categorical, continuous
from landcarbon.erosion.carbon import CarbonFate, carbon_fate, displaced_carbon
from landcarbon.erosion.cover import land_use_factors
from landcarbon.erosion.csle import (
    Region,
    area_by_grade_ha,
    intensity_grade,
    mean_per_ha,
    potential_soil_loss,
    soil_conservation,
    soil_loss,
    total,
    totals_by_class,
)
from landcarbon.tables import ClassTable


@dataclass(frozen=True)
class CarbonParameters:
    """Erosion-carbon parameters (METHODS.md §8 defaults; Lal 2003)."""

    enrichment_ratio: float = 1.0
    mineralised_fraction: float = 0.2
    buried_fraction: float = 0.7


@dataclass(frozen=True)
class ErosionResult:
    """Every layer of one CSLE run (t ha⁻¹ a⁻¹ and t C ha⁻¹ a⁻¹) and its summaries."""

    factors: dict[str, xr.DataArray]
    soil_loss: xr.DataArray
    potential: xr.DataArray
    conservation: xr.DataArray
    grade: xr.DataArray
    carbon: CarbonFate
    conserved_carbon: xr.DataArray
    summary: dict[str, Any] = field(default_factory=dict)
    by_land_use: pd.DataFrame = field(default_factory=pd.DataFrame)


def erosion_budget(
    r: xr.DataArray,
    k: xr.DataArray,
    ls: xr.DataArray,
    lulc: xr.DataArray,
    land_use_table: ClassTable,
    soc_g_per_kg: xr.DataArray,
    *,
    cover_pct: xr.DataArray | None = None,
    region: Region = "south_red_soil",
    carbon: CarbonParameters | None = None,
) -> ErosionResult:
    """Soil loss, potential loss, conservation, grades and erosion carbon of one map set.

    Parameters
    ----------
    r, k, ls : DataArray, R (MJ mm ha⁻¹ h⁻¹ a⁻¹), K (t ha h ha⁻¹ MJ⁻¹ mm⁻¹), LS (1).
    lulc : DataArray int32, land-use codes; ``land_use_table`` gives ``b``, ``e``, ``t``
        (and ``b_from_cover``) by code. Codes missing from the table raise TableError.
    soc_g_per_kg : DataArray, topsoil organic carbon content (g C kg⁻¹).
    cover_pct : optional vegetation fraction (%) for the classes with ``b_from_cover``.
    region : SL 190-2007 region of the tolerable loss (grade 1 upper edge).
    carbon : enrichment ratio and fate fractions (defaults: ER 1, 0.2 source, 0.7 sink).

    Returns
    -------
    ErosionResult; ``summary`` has ``mean_t_per_ha``, ``total_t``, ``conservation_t``,
    ``by_grade_ha``, ``displaced_t_c``, ``carbon_source_t_c``, ``carbon_sink_t_c``,
    ``net_carbon_flux_t_c`` and ``conserved_carbon_t_c`` (totals per year, true areas).
    Every layer, potential loss included, is NaN where any input has no data.
    """
    r, k, ls = continuous(r, "r"), continuous(k, "k"), continuous(ls, "ls")
    lulc, soc_g_per_kg = categorical(lulc, "lulc"), continuous(soc_g_per_kg, "soc_g_per_kg")
    params = carbon or CarbonParameters()
    factors = land_use_factors(lulc, land_use_table, cover_pct)
    b, e, t = factors["b"], factors["e"], factors["t"]
    actual = soil_loss(r, k, ls, b, e, t)
    # potential loss needs no land use, but where the land-use map (or cover) has no data
    # neither loss nor conservation exist: mask it there too, so that the totals keep
    # potential_t = total_t + conservation_t over the same cells
    potential = potential_soil_loss(r, k, ls).where(actual.notnull())
    conservation = soil_conservation(potential, actual)
    grade = intensity_grade(actual, region)
    displaced = displaced_carbon(actual, soc_g_per_kg, params.enrichment_ratio)
    fate = carbon_fate(
        displaced,
        mineralised_fraction=params.mineralised_fraction,
        buried_fraction=params.buried_fraction,
    )
    conserved = displaced_carbon(conservation, soc_g_per_kg, params.enrichment_ratio)
    conserved = conserved.rename("conserved_t_c_per_ha")
    summary: dict[str, Any] = {
        "mean_t_per_ha": mean_per_ha(actual),
        "total_t": total(actual),
        "potential_t": total(potential),
        "conservation_t": total(conservation),
        "by_grade_ha": area_by_grade_ha(grade),
        "displaced_t_c": total(displaced),
        "carbon_source_t_c": total(fate.source),
        "carbon_sink_t_c": total(fate.sink),
        "net_carbon_flux_t_c": total(fate.net),
        "conserved_carbon_t_c": total(conserved),
    }
    layers = {
        "soil_loss_t": actual,
        "conservation_t": conservation,
        "displaced_t_c": displaced,
        "carbon_source_t_c": fate.source,
        "carbon_sink_t_c": fate.sink,
        "net_carbon_flux_t_c": fate.net,
    }
    return ErosionResult(
        factors={"r": r, "k": k, "ls": ls, "b": b, "e": e, "t": t},
        soil_loss=actual,
        potential=potential,
        conservation=conservation,
        grade=grade,
        carbon=fate,
        conserved_carbon=conserved,
        summary=summary,
        by_land_use=by_land_use(layers, lulc, land_use_table),
    )


def by_land_use(
    layers: dict[str, xr.DataArray], lulc: xr.DataArray, table: ClassTable
) -> pd.DataFrame:
    """Totals (per year) of per-hectare layers by land-use class, with the class area."""
    frame = totals_by_class(layers, lulc)
    names = table.names()
    frame.insert(1, "name", [names.get(int(c), f"class {c}") for c in frame["code"]])
    frame["soil_loss_t_per_ha"] = frame["soil_loss_t"] / frame["area_ha"]
    return frame
