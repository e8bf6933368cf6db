"""Carbon accounting: InVEST 4-pool storage, sequestration and value, climate-corrected
densities, layered soil carbon, emissions (emission factors, IPCC energy allocated to
cells), carbon balance and NEP, and totals with intervals over a Monte Carlo land-use
ensemble. Units: t C/ha per cell, t C totals (t CO2 = 44/12 t C at the output edge only).

The names below load their module on first use (PEP 562), so importing the package
(a study that only plans its carbon steps, or a fully cached run) loads no kernels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from landcarbon.lazy import lazy_exports

_EXPORTS = {
    "POOLS": "landcarbon.carbon.storage",
    "ClimateRelations": "landcarbon.carbon.climate",
    "RhParameters": "landcarbon.carbon.nep",
    "RunAreas": "landcarbon.carbon.uncertainty",
    "Valuation": "landcarbon.carbon.valuation",
    "allocate_emissions": "landcarbon.carbon.energy",
    "balance_index": "landcarbon.carbon.balance",
    "balance_table": "landcarbon.carbon.balance",
    "balance_zones": "landcarbon.carbon.balance",
    "carbon_account": "landcarbon.carbon.outputs",
    "climate_corrected_pools": "landcarbon.carbon.climate",
    "correction_factors": "landcarbon.carbon.climate",
    "emission_factor_preset": "landcarbon.carbon.emissions",
    "emission_map": "landcarbon.carbon.emissions",
    "emission_totals": "landcarbon.carbon.emissions",
    "energy_emissions": "landcarbon.carbon.energy",
    "fuel_factors": "landcarbon.carbon.energy",
    "heterotrophic_respiration": "landcarbon.carbon.nep",
    "interval_summary": "landcarbon.carbon.uncertainty",
    "layered_soil_carbon": "landcarbon.carbon.soil",
    "nep_t_c_per_cell": "landcarbon.carbon.nep",
    "net_ecosystem_production": "landcarbon.carbon.nep",
    "net_emissions": "landcarbon.carbon.balance",
    "pools_preset": "landcarbon.carbon.storage",
    "read_emission_factors": "landcarbon.carbon.emissions",
    "read_pools": "landcarbon.carbon.storage",
    "read_run_areas": "landcarbon.carbon.uncertainty",
    "run_areas": "landcarbon.carbon.uncertainty",
    "run_totals": "landcarbon.carbon.uncertainty",
    "sequestration_map": "landcarbon.carbon.storage",
    "soc_density": "landcarbon.carbon.soil",
    "soc_profile_density": "landcarbon.carbon.soil",
    "storage_map": "landcarbon.carbon.storage",
    "storage_maps": "landcarbon.carbon.storage",
    "storage_totals": "landcarbon.carbon.storage",
    "supply_demand_quadrants": "landcarbon.carbon.balance",
    "supply_demand_ratio": "landcarbon.carbon.balance",
    "write_carbon_outputs": "landcarbon.carbon.outputs",
    "zone_totals": "landcarbon.carbon.outputs",
}
"""Public name -> the module that defines it."""

__all__ = list(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # the static view of the same names, for type checkers and IDEs
    from landcarbon.carbon.balance import (
        balance_index as balance_index,
    )
    from landcarbon.carbon.balance import (
        balance_table as balance_table,
    )
    from landcarbon.carbon.balance import (
        balance_zones as balance_zones,
    )
    from landcarbon.carbon.balance import (
        net_emissions as net_emissions,
    )
    from landcarbon.carbon.balance import (
        supply_demand_quadrants as supply_demand_quadrants,
    )
    from landcarbon.carbon.balance import (
        supply_demand_ratio as supply_demand_ratio,
    )
    from landcarbon.carbon.climate import (
        ClimateRelations as ClimateRelations,
    )
    from landcarbon.carbon.climate import (
        climate_corrected_pools as climate_corrected_pools,
    )
    from landcarbon.carbon.climate import (
        correction_factors as correction_factors,
    )
    from landcarbon.carbon.emissions import (
        emission_factor_preset as emission_factor_preset,
    )
    from landcarbon.carbon.emissions import (
        emission_map as emission_map,
    )
    from landcarbon.carbon.emissions import (
        emission_totals as emission_totals,
    )
    from landcarbon.carbon.emissions import (
        read_emission_factors as read_emission_factors,
    )
    from landcarbon.carbon.energy import (
        allocate_emissions as allocate_emissions,
    )
    from landcarbon.carbon.energy import (
        energy_emissions as energy_emissions,
    )
    from landcarbon.carbon.energy import (
        fuel_factors as fuel_factors,
    )
    from landcarbon.carbon.nep import (
        RhParameters as RhParameters,
    )
    from landcarbon.carbon.nep import (
        heterotrophic_respiration as heterotrophic_respiration,
    )
    from landcarbon.carbon.nep import (
        nep_t_c_per_cell as nep_t_c_per_cell,
    )
    from landcarbon.carbon.nep import (
        net_ecosystem_production as net_ecosystem_production,
    )
    from landcarbon.carbon.outputs import (
        carbon_account as carbon_account,
    )
    from landcarbon.carbon.outputs import (
        write_carbon_outputs as write_carbon_outputs,
    )
    from landcarbon.carbon.outputs import (
        zone_totals as zone_totals,
    )
    from landcarbon.carbon.soil import (
        layered_soil_carbon as layered_soil_carbon,
    )
    from landcarbon.carbon.soil import (
        soc_density as soc_density,
    )
    from landcarbon.carbon.soil import (
        soc_profile_density as soc_profile_density,
    )
    from landcarbon.carbon.storage import (
        POOLS as POOLS,
    )
    from landcarbon.carbon.storage import (
        pools_preset as pools_preset,
    )
    from landcarbon.carbon.storage import (
        read_pools as read_pools,
    )
    from landcarbon.carbon.storage import (
        sequestration_map as sequestration_map,
    )
    from landcarbon.carbon.storage import (
        storage_map as storage_map,
    )
    from landcarbon.carbon.storage import (
        storage_maps as storage_maps,
    )
    from landcarbon.carbon.storage import (
        storage_totals as storage_totals,
    )
    from landcarbon.carbon.uncertainty import (
        RunAreas as RunAreas,
    )
    from landcarbon.carbon.uncertainty import (
        interval_summary as interval_summary,
    )
    from landcarbon.carbon.uncertainty import (
        read_run_areas as read_run_areas,
    )
    from landcarbon.carbon.uncertainty import (
        run_areas as run_areas,
    )
    from landcarbon.carbon.uncertainty import (
        run_totals as run_totals,
    )
    from landcarbon.carbon.valuation import (
        Valuation as Valuation,
    )
