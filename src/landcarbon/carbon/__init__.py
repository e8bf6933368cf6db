"""Carbon accounting: InVEST 4-pool storage, sequestration and value, climate-corrected
densities, layered soil carbon, emissions (emission factors, IPCC energy allocated to
cells), carbon balance and NEP, and totals with intervals over a Monte Carlo land-use
ensemble. Units: t C/ha per cell, t C totals (t CO2 = 44/12 t C at the output edge only)."""

from landcarbon.carbon.balance import (
    balance_index,
    balance_table,
    balance_zones,
    net_emissions,
    supply_demand_quadrants,
    supply_demand_ratio,
)
from landcarbon.carbon.climate import (
    ClimateRelations,
    climate_corrected_pools,
    correction_factors,
)
from landcarbon.carbon.emissions import (
    emission_factor_preset,
    emission_map,
    emission_totals,
    read_emission_factors,
)
from landcarbon.carbon.energy import allocate_emissions, energy_emissions, fuel_factors
from landcarbon.carbon.nep import (
    RhParameters,
    heterotrophic_respiration,
    nep_t_c_per_cell,
    net_ecosystem_production,
)
from landcarbon.carbon.outputs import carbon_account, write_carbon_outputs, zone_totals
from landcarbon.carbon.soil import layered_soil_carbon, soc_density, soc_profile_density
from landcarbon.carbon.storage import (
    POOLS,
    pools_preset,
    read_pools,
    sequestration_map,
    storage_map,
    storage_maps,
    storage_totals,
)
from landcarbon.carbon.uncertainty import (
    RunAreas,
    interval_summary,
    read_run_areas,
    run_areas,
    run_totals,
)
from landcarbon.carbon.valuation import Valuation

__all__ = [
    "POOLS",
    "ClimateRelations",
    "RhParameters",
    "RunAreas",
    "Valuation",
    "allocate_emissions",
    "balance_index",
    "balance_table",
    "balance_zones",
    "carbon_account",
    "climate_corrected_pools",
    "correction_factors",
    "emission_factor_preset",
    "emission_map",
    "emission_totals",
    "energy_emissions",
    "fuel_factors",
    "heterotrophic_respiration",
    "interval_summary",
    "layered_soil_carbon",
    "nep_t_c_per_cell",
    "net_ecosystem_production",
    "net_emissions",
    "pools_preset",
    "read_emission_factors",
    "read_pools",
    "read_run_areas",
    "run_areas",
    "run_totals",
    "sequestration_map",
    "soc_density",
    "soc_profile_density",
    "storage_map",
    "storage_maps",
    "storage_totals",
    "supply_demand_quadrants",
    "supply_demand_ratio",
    "write_carbon_outputs",
    "zone_totals",
]
