"""Carbon sinks and restoration zoning (the county carbon-sink study, Wensu).

Vegetation carbon (:mod:`.vegetation`), importance index and levels (:mod:`.importance`),
resistance surface with entropy weights (:mod:`.resistance`), minimum cumulative
resistance (:mod:`.mcr`), primary / secondary / potential sinks (:mod:`.zoning`),
restoration strategies (:mod:`.strategies`), and the whole chapter (:mod:`.chapter`).
See ``docs/sinks.md``.
"""

from __future__ import annotations

from landcarbon.sinks.chapter import SinksParams, SinksResult, run_sinks, write_sinks
from landcarbon.sinks.importance import importance_index, importance_levels
from landcarbon.sinks.mcr import CostDistance, cost_distance
from landcarbon.sinks.resistance import load_level_tables, resistance_surface
from landcarbon.sinks.strategies import assign_strategies, load_strategy_rules
from landcarbon.sinks.vegetation import vegetation_carbon_density, vegetation_storage_table
from landcarbon.sinks.zoning import SinkZones, identify_sinks

__all__ = [
    "CostDistance",
    "SinkZones",
    "SinksParams",
    "SinksResult",
    "assign_strategies",
    "cost_distance",
    "identify_sinks",
    "importance_index",
    "importance_levels",
    "load_level_tables",
    "load_strategy_rules",
    "resistance_surface",
    "run_sinks",
    "vegetation_carbon_density",
    "vegetation_storage_table",
    "write_sinks",
]
