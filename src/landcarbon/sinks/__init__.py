"""Carbon sinks and restoration zoning (the county carbon-sink study, Wensu).

Vegetation carbon (:mod:`.vegetation`), importance index and levels (:mod:`.importance`),
resistance surface with entropy weights (:mod:`.resistance`), minimum cumulative
resistance (:mod:`.mcr`), primary / secondary / potential sinks (:mod:`.zoning`),
restoration strategies (:mod:`.strategies`), and the whole chapter (:mod:`.chapter`).
See ``docs/sinks.md``.

The names below load their module on first use (PEP 562), so importing the package
(a study that only plans its sinks steps, or a fully cached run) loads no kernels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from landcarbon.lazy import lazy_exports

_EXPORTS = {
    "CostDistance": "landcarbon.sinks.mcr",
    "SinkZones": "landcarbon.sinks.zoning",
    "SinksParams": "landcarbon.sinks.chapter",
    "SinksResult": "landcarbon.sinks.chapter",
    "assign_strategies": "landcarbon.sinks.strategies",
    "cost_distance": "landcarbon.sinks.mcr",
    "identify_sinks": "landcarbon.sinks.zoning",
    "importance_index": "landcarbon.sinks.importance",
    "importance_levels": "landcarbon.sinks.importance",
    "load_level_tables": "landcarbon.sinks.resistance",
    "load_strategy_rules": "landcarbon.sinks.strategies",
    "resistance_surface": "landcarbon.sinks.resistance",
    "run_sinks": "landcarbon.sinks.chapter",
    "vegetation_carbon_density": "landcarbon.sinks.vegetation",
    "vegetation_storage_table": "landcarbon.sinks.vegetation",
    "write_sinks": "landcarbon.sinks.chapter",
}
"""Public name -> the module that defines it."""

__all__ = list(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # the static view of the same names, for type checkers and IDEs
    from landcarbon.sinks.chapter import (
        SinksParams as SinksParams,
    )
    from landcarbon.sinks.chapter import (
        SinksResult as SinksResult,
    )
    from landcarbon.sinks.chapter import (
        run_sinks as run_sinks,
    )
    from landcarbon.sinks.chapter import (
        write_sinks as write_sinks,
    )
    from landcarbon.sinks.importance import (
        importance_index as importance_index,
    )
    from landcarbon.sinks.importance import (
        importance_levels as importance_levels,
    )
    from landcarbon.sinks.mcr import (
        CostDistance as CostDistance,
    )
    from landcarbon.sinks.mcr import (
        cost_distance as cost_distance,
    )
    from landcarbon.sinks.resistance import (
        load_level_tables as load_level_tables,
    )
    from landcarbon.sinks.resistance import (
        resistance_surface as resistance_surface,
    )
    from landcarbon.sinks.strategies import (
        assign_strategies as assign_strategies,
    )
    from landcarbon.sinks.strategies import (
        load_strategy_rules as load_strategy_rules,
    )
    from landcarbon.sinks.vegetation import (
        vegetation_carbon_density as vegetation_carbon_density,
    )
    from landcarbon.sinks.vegetation import (
        vegetation_storage_table as vegetation_storage_table,
    )
    from landcarbon.sinks.zoning import (
        SinkZones as SinkZones,
    )
    from landcarbon.sinks.zoning import (
        identify_sinks as identify_sinks,
    )
