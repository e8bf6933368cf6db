"""Soil erosion by the CSLE and its carbon: factors from raw inputs, soil loss, soil
conservation, SL 190-2007 grades, erosion-induced carbon source/sink, climate scenarios.

See ``docs/erosion.md`` for the methods, units, variants and defaults.
"""

from landcarbon.erosion.budget import CarbonParameters, ErosionResult, erosion_budget
from landcarbon.erosion.carbon import CarbonFate, carbon_fate, displaced_carbon
from landcarbon.erosion.cover import (
    b_factor,
    b_factor_from_cover,
    land_use_factors,
    practice_factor,
    vegetation_fraction,
)
from landcarbon.erosion.csle import (
    area_by_grade_ha,
    intensity_grade,
    potential_soil_loss,
    soil_conservation,
    soil_loss,
    total_by_class,
)
from landcarbon.erosion.presets import ErosionTables, read_erosion_tables
from landcarbon.erosion.rainfall import (
    check_precipitation_units,
    r_factor,
    r_factor_annual,
    r_factor_daily,
    r_factor_monthly,
)
from landcarbon.erosion.scenarios import ClimateScenario, scenario_table
from landcarbon.erosion.soil import k_factor_epic, k_factor_from_table
from landcarbon.erosion.terrain import Topography, flow_routing, slope_deg, topography

__all__ = [
    "CarbonFate",
    "CarbonParameters",
    "ClimateScenario",
    "ErosionResult",
    "ErosionTables",
    "Topography",
    "area_by_grade_ha",
    "b_factor",
    "b_factor_from_cover",
    "carbon_fate",
    "check_precipitation_units",
    "displaced_carbon",
    "erosion_budget",
    "flow_routing",
    "intensity_grade",
    "k_factor_epic",
    "k_factor_from_table",
    "land_use_factors",
    "potential_soil_loss",
    "practice_factor",
    "r_factor",
    "r_factor_annual",
    "r_factor_daily",
    "r_factor_monthly",
    "read_erosion_tables",
    "scenario_table",
    "slope_deg",
    "soil_conservation",
    "soil_loss",
    "topography",
    "total_by_class",
    "vegetation_fraction",
]
