"""Soil erosion by the CSLE and its carbon: factors from raw inputs, soil loss, soil
conservation, SL 190-2007 grades, erosion-induced carbon source/sink, climate scenarios.

See ``docs/erosion.md`` for the methods, units, variants and defaults.

The names below load their module on first use (PEP 562), so importing the package
(a study that only plans its erosion steps, or a fully cached run) loads no kernels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from landcarbon.lazy import lazy_exports

_EXPORTS = {
    "CarbonFate": "landcarbon.erosion.carbon",
    "CarbonParameters": "landcarbon.erosion.budget",
    "ClimateScenario": "landcarbon.erosion.scenarios",
    "ErosionResult": "landcarbon.erosion.budget",
    "ErosionTables": "landcarbon.erosion.presets",
    "Topography": "landcarbon.erosion.terrain",
    "area_by_grade_ha": "landcarbon.erosion.csle",
    "b_factor": "landcarbon.erosion.cover",
    "b_factor_from_cover": "landcarbon.erosion.cover",
    "carbon_fate": "landcarbon.erosion.carbon",
    "check_precipitation_units": "landcarbon.erosion.rainfall",
    "displaced_carbon": "landcarbon.erosion.carbon",
    "erosion_budget": "landcarbon.erosion.budget",
    "flow_routing": "landcarbon.erosion.terrain",
    "intensity_grade": "landcarbon.erosion.csle",
    "k_factor_epic": "landcarbon.erosion.soil",
    "k_factor_from_table": "landcarbon.erosion.soil",
    "land_use_factors": "landcarbon.erosion.cover",
    "potential_soil_loss": "landcarbon.erosion.csle",
    "practice_factor": "landcarbon.erosion.cover",
    "r_factor": "landcarbon.erosion.rainfall",
    "r_factor_annual": "landcarbon.erosion.rainfall",
    "r_factor_daily": "landcarbon.erosion.rainfall",
    "r_factor_monthly": "landcarbon.erosion.rainfall",
    "read_erosion_tables": "landcarbon.erosion.presets",
    "scenario_table": "landcarbon.erosion.scenarios",
    "slope_deg": "landcarbon.erosion.terrain",
    "soil_conservation": "landcarbon.erosion.csle",
    "soil_loss": "landcarbon.erosion.csle",
    "topography": "landcarbon.erosion.terrain",
    "total_by_class": "landcarbon.erosion.csle",
    "vegetation_fraction": "landcarbon.erosion.cover",
}
"""Public name -> the module that defines it."""

__all__ = list(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # the static view of the same names, for type checkers and IDEs
    from landcarbon.erosion.budget import CarbonParameters as CarbonParameters
    from landcarbon.erosion.budget import ErosionResult as ErosionResult
    from landcarbon.erosion.budget import erosion_budget as erosion_budget
    from landcarbon.erosion.carbon import CarbonFate as CarbonFate
    from landcarbon.erosion.carbon import carbon_fate as carbon_fate
    from landcarbon.erosion.carbon import displaced_carbon as displaced_carbon
    from landcarbon.erosion.cover import b_factor as b_factor
    from landcarbon.erosion.cover import b_factor_from_cover as b_factor_from_cover
    from landcarbon.erosion.cover import land_use_factors as land_use_factors
    from landcarbon.erosion.cover import practice_factor as practice_factor
    from landcarbon.erosion.cover import vegetation_fraction as vegetation_fraction
    from landcarbon.erosion.csle import area_by_grade_ha as area_by_grade_ha
    from landcarbon.erosion.csle import intensity_grade as intensity_grade
    from landcarbon.erosion.csle import potential_soil_loss as potential_soil_loss
    from landcarbon.erosion.csle import soil_conservation as soil_conservation
    from landcarbon.erosion.csle import soil_loss as soil_loss
    from landcarbon.erosion.csle import total_by_class as total_by_class
    from landcarbon.erosion.presets import ErosionTables as ErosionTables
    from landcarbon.erosion.presets import read_erosion_tables as read_erosion_tables
    from landcarbon.erosion.rainfall import check_precipitation_units as check_precipitation_units
    from landcarbon.erosion.rainfall import r_factor as r_factor
    from landcarbon.erosion.rainfall import r_factor_annual as r_factor_annual
    from landcarbon.erosion.rainfall import r_factor_daily as r_factor_daily
    from landcarbon.erosion.rainfall import r_factor_monthly as r_factor_monthly
    from landcarbon.erosion.scenarios import ClimateScenario as ClimateScenario
    from landcarbon.erosion.scenarios import scenario_table as scenario_table
    from landcarbon.erosion.soil import k_factor_epic as k_factor_epic
    from landcarbon.erosion.soil import k_factor_from_table as k_factor_from_table
    from landcarbon.erosion.terrain import Topography as Topography
    from landcarbon.erosion.terrain import flow_routing as flow_routing
    from landcarbon.erosion.terrain import slope_deg as slope_deg
    from landcarbon.erosion.terrain import topography as topography
