"""Climate x land-use scenarios: erosion, conservation and erosion carbon per scenario and year.

Future climate per scenario (e.g. SSP2-4.5, SSP5-8.5) is given per year either as rasters
(already downscaled, in the baseline's form: annual mm, 12 monthly bands or a daily
series) or as change factors on the baseline (METHODS.md §13 delta method): a
precipitation **multiplier** ``P_f = P_obs × ratio`` and a temperature **offset**
``T_f = T_obs + ΔT``. Each climate is combined with the simulated land-use map of every
land-use scenario and year; R follows the climate, B/E/T the land use, K and LS stay.

Reference: Peng, S., Ding, Y., Liu, W., Li, Z. (2019). 1 km monthly temperature and
precipitation dataset for China from 1901 to 2017. *Earth Syst. Sci. Data* 11,
1931-1946. https://doi.org/10.5194/essd-11-1931-2019
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd
import xarray as xr

from landcarbon.erosion.budget import CarbonParameters, ErosionResult, erosion_budget
from landcarbon.erosion.csle import Region
from landcarbon.erosion.rainfall import ErosivityModel, r_factor
from landcarbon.errors import ParameterError
from landcarbon.tables import ClassTable

Change = xr.DataArray | float
"""A future value per year: a raster (absolute) or a number (change factor)."""

MAX_PRECIP_RATIO = 5.0
"""Largest plausible precipitation change factor (METHODS.md §13: cap 3-5)."""


@dataclass(frozen=True)
class ClimateScenario:
    """Future precipitation (and temperature) of one climate scenario, by year.

    ``precipitation[year]`` is a raster of future precipitation (mm, same form as the
    baseline) or a multiplier on the baseline; ``temperature[year]`` a raster (°C) or
    an additive offset (°C) on the baseline temperature, for NEP users downstream.
    """

    name: str
    precipitation: Mapping[int, Change]
    temperature: Mapping[int, Change] = field(default_factory=dict)

    def precipitation_for(self, year: int, baseline_mm: xr.DataArray) -> xr.DataArray:
        """Future precipitation (mm) of ``year``: the raster, or baseline × multiplier."""
        change = _lookup(self.precipitation, year, self.name, "precipitation")
        if isinstance(change, xr.DataArray):
            return change
        if not 0 <= change <= MAX_PRECIP_RATIO:
            raise ParameterError(
                f"climate scenario {self.name!r}, {year}: precipitation multiplier {change} "
                f"is outside 0-{MAX_PRECIP_RATIO:g}; give a ratio (1.05 = +5 %), not a "
                f"percentage or a difference in mm"
            )
        return baseline_mm * float(change)

    def temperature_for(self, year: int, baseline_c: xr.DataArray) -> xr.DataArray:
        """Future temperature (°C) of ``year``: the raster, or baseline + offset."""
        change = _lookup(self.temperature, year, self.name, "temperature")
        return change if isinstance(change, xr.DataArray) else baseline_c + float(change)


def _lookup(values: Mapping[int, Change], year: int, name: str, what: str) -> Change:
    if year not in values:
        raise ParameterError(
            f"climate scenario {name!r} has no {what} for {year} (has: "
            f"{sorted(values) or 'none'}); add that year"
        )
    return values[year]


SUMMARY_COLUMNS = (
    "mean_t_per_ha",
    "total_t",
    "conservation_t",
    "displaced_t_c",
    "carbon_source_t_c",
    "carbon_sink_t_c",
    "net_carbon_flux_t_c",
    "conserved_carbon_t_c",
)


def scenario_table(
    lulc_maps: Mapping[tuple[str, int], xr.DataArray],
    climates: Mapping[str, ClimateScenario],
    *,
    baseline_precip_mm: xr.DataArray,
    k: xr.DataArray,
    ls: xr.DataArray,
    soc_g_per_kg: xr.DataArray,
    land_use_table: ClassTable,
    cover_pct: xr.DataArray | None = None,
    region: Region = "south_red_soil",
    carbon: CarbonParameters | None = None,
    erosivity: ErosivityModel | None = None,
    on_result: Callable[[str, str, int, ErosionResult], None] | None = None,
) -> pd.DataFrame:
    """Scenario x year table of erosion, conservation and erosion carbon.

    Parameters
    ----------
    lulc_maps : ``{(land_use_scenario, year): land-use map}``, e.g.
        ``{("BAU", 2030): ..., ("ERP", 2060): ...}``.
    climates : climate scenarios by name; each must cover every year of ``lulc_maps``.
    baseline_precip_mm : observed precipitation the change factors apply to.
    k, ls, soc_g_per_kg, land_use_table, cover_pct, region, carbon : as in
        :func:`landcarbon.erosion.budget.erosion_budget`.
    erosivity : the R formulas (:func:`~landcarbon.erosion.rainfall.r_factor`), as of
        the baseline run.
    on_result : called with ``(climate, land_use_scenario, year, result)`` after each
        run, e.g. to write its soil-loss map, so the maps need not all be held at once.

    Returns
    -------
    DataFrame, one row per (climate, land_use_scenario, year), with the columns of
    :data:`SUMMARY_COLUMNS` (t a⁻¹, t C a⁻¹; mean in t ha⁻¹ a⁻¹) and the area of each
    SL 190-2007 grade, ``<grade>_ha`` (ha, :data:`~landcarbon.erosion.csle.GRADE_NAMES`).
    """
    if not lulc_maps or not climates:
        raise ParameterError(
            "scenario_table needs at least one land-use map and one climate scenario"
        )
    rows = []
    for climate_name, climate in climates.items():
        r_by_year: dict[int, xr.DataArray] = {}
        for (lu_name, year), lulc in lulc_maps.items():
            if year not in r_by_year:
                r_by_year[year] = r_factor(
                    climate.precipitation_for(year, baseline_precip_mm), erosivity
                )
            result = erosion_budget(
                r_by_year[year],
                k,
                ls,
                lulc,
                land_use_table,
                soc_g_per_kg,
                cover_pct=cover_pct,
                region=region,
                carbon=carbon,
            )
            if on_result is not None:
                on_result(climate_name, lu_name, year, result)
            row = {"climate": climate_name, "land_use_scenario": lu_name, "year": year}
            row.update({key: result.summary[key] for key in SUMMARY_COLUMNS})
            row.update({f"{g}_ha": a for g, a in result.summary["by_grade_ha"].items()})
            rows.append(row)
    return pd.DataFrame(rows).sort_values(
        ["climate", "land_use_scenario", "year"], ignore_index=True
    )
