"""The whole carbon-sink chapter in one call: :func:`run_sinks` and :func:`write_sinks`.

Vegetation carbon → importance index and levels → resistance surface → sink zones
(with the cost distance) → restoration strategies, as in the county study (sections
3.2-3.4). :func:`run_sinks` is pure (arrays and tables in, results out) so the study
pipeline and the ``landcarbon sinks`` command share it; :func:`write_sinks` writes
the maps (GeoTIFF) and tables (CSV) of a result into a folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import xarray as xr

from landcarbon.raster import write_raster
from landcarbon.sinks.importance import (
    LEVEL_COLOURS,
    LEVEL_NAMES,
    ImportanceLevels,
    importance_index,
    importance_levels,
)
from landcarbon.sinks.resistance import LevelTable, Resistance, resistance_surface
from landcarbon.sinks.strategies import Strategies, StrategyRules, assign_strategies
from landcarbon.sinks.vegetation import vegetation_carbon_density, vegetation_storage_table
from landcarbon.sinks.zoning import ZONE_COLOURS, ZONE_NAMES, SinkZones, identify_sinks
from landcarbon.tables import DEFAULT_COLOURS, ClassTable
from landcarbon.writes import write_csv, write_json


@dataclass(frozen=True)
class SinksParams:
    """Parameters of the sink chapter (defaults: the county study's method).

    ``cultivated_codes`` has no default: the land-use codes of cultivated land are the
    user's (the cropland group of the study's classes; CNLUCC 1, 11 and 12 in the study).
    """

    cultivated_codes: tuple[int, ...]
    importance_weights: Mapping[str, float] | None = None
    resistance_weights: Mapping[str, float] | Literal["entropy", "published"] = "entropy"
    importance_classes: int = 5
    min_area_ha: float = 100.0
    high_level: int = 4
    cultivated_share: float = 0.5
    potential: Literal["breaks", "quantile"] = "breaks"
    potential_classes: int = 5
    potential_quantile: float = 0.2
    potential_min_area_ha: float = 0.0
    connectivity: int = 8
    sample_size: int | None = None
    """None: exact natural breaks on every cell; n: fit them on n cells drawn with ``seed``."""
    seed: int | None = 0


@dataclass(frozen=True)
class SinksResult:
    """Every map and table of the sink chapter."""

    veg_density: xr.DataArray
    veg_storage: pd.DataFrame
    importance: xr.DataArray
    levels: ImportanceLevels
    resistance: Resistance
    zones: SinkZones
    strategies: Strategies
    params: SinksParams

    def summary(self) -> dict[str, Any]:
        """Key figures: storage, break edges, weights, cost summary, zone areas (ha)."""
        zone_area = self.zones.patch_table.groupby("zone_name")["area_ha"].sum()
        return {
            "vegetation_storage_t_c": float(self.veg_storage["storage_t_c"].iloc[-1]),
            "importance_breaks": [float(e) for e in self.levels.edges],
            "resistance_weights": self.resistance.weights,
            "mcr": self.zones.cost.summary(),
            "potential_threshold": self.zones.potential_threshold,
            "zone_area_ha": {str(k): float(v) for k, v in zone_area.items()},
            "patches": len(self.zones.patch_table),
            "strategies": self.strategies.table["strategy"].value_counts().to_dict(),
        }


def run_sinks(
    *,
    nep: xr.DataArray,
    veg_type: xr.DataArray,
    veg_densities: ClassTable,
    soil_carbon: xr.DataArray,
    lulc: xr.DataArray,
    factors: Mapping[str, xr.DataArray],
    level_tables: Mapping[str, LevelTable] | None = None,
    strategy_rules: StrategyRules | None = None,
    params: SinksParams,
    lulc_names: Mapping[int, str] | None = None,
) -> SinksResult:
    """Run the sink chapter on aligned in-memory rasters.

    Parameters
    ----------
    nep : net ecosystem production (g C/m²/yr).
    veg_type : vegetation-type codes; ``veg_densities`` gives their density (t C/ha,
        column ``density``).
    soil_carbon : soil carbon density (t C/ha).
    lulc : land-use codes (CNLUCC for the shipped strategy preset).
    factors : resistance factor name → raw map (``slope``, ``elevation``,
        ``accumulated_temperature``, ``precipitation``, ``population``...). When the level
        tables have a ``landuse`` factor and ``factors`` does not, ``lulc`` is used.
    level_tables, strategy_rules : default to the county-study presets; the level preset's
        land-use levels are keyed by group, so without classes it is refused (TableError):
        pass ``load_level_tables(classes=...)`` with the study's class scheme.
    lulc_names : code → name for the composition tables (the class scheme's names;
        default ``class <code>``).
    params : :class:`SinksParams`.
    """
    p = params
    from landcarbon.sinks.resistance import load_level_tables

    tables = dict(level_tables) if level_tables is not None else load_level_tables()
    all_factors = dict(factors)
    if "landuse" in tables and "landuse" not in all_factors:
        all_factors["landuse"] = lulc
    veg_density = vegetation_carbon_density(veg_type, veg_densities)
    index = importance_index(
        {"nep": nep, "vegetation": veg_density, "soil": soil_carbon}, p.importance_weights
    )
    levels = importance_levels(index, p.importance_classes, sample_size=p.sample_size, seed=p.seed)
    resistance = resistance_surface(all_factors, tables, p.resistance_weights)
    zones = identify_sinks(
        levels.levels,
        lulc,
        resistance.surface,
        cultivated_codes=p.cultivated_codes,
        lulc_names=lulc_names,
        min_area_ha=p.min_area_ha,
        high_level=p.high_level,
        cultivated_share=p.cultivated_share,
        potential=p.potential,
        potential_classes=p.potential_classes,
        potential_quantile=p.potential_quantile,
        potential_min_area_ha=p.potential_min_area_ha,
        connectivity=p.connectivity,
        sample_size=p.sample_size,
        seed=p.seed,
    )
    return SinksResult(
        veg_density,
        vegetation_storage_table(veg_type, veg_densities),
        index,
        levels,
        resistance,
        zones,
        assign_strategies(zones, strategy_rules),
        p,
    )


def _legend(
    names: Mapping[int, str], colours: Mapping[int, str] | None = None
) -> dict[int, tuple[str, str]]:
    return {
        k: (v, (colours or {}).get(k, DEFAULT_COLOURS[i % len(DEFAULT_COLOURS)]))
        for i, (k, v) in enumerate(names.items())
    }


def write_sinks(
    result: SinksResult, out_dir: str | Path, *, overwrite: bool = False
) -> dict[str, Path]:
    """Write the chapter's maps (GeoTIFF) and tables (CSV) plus ``summary.json``.

    Returns output name → path.
    """
    out = Path(out_dir)
    z = result.zones
    rasters: dict[str, tuple[xr.DataArray, dict[str, Any]]] = {
        "veg_carbon": (result.veg_density, {"units": "t C/ha"}),
        "importance_index": (result.importance, {"units": "1"}),
        "importance_level": (
            result.levels.levels,
            {"classes": _legend(LEVEL_NAMES, LEVEL_COLOURS)},
        ),
        "resistance": (result.resistance.surface, {"units": "1"}),
        "mcr": (z.cost.cost, {"units": "resistance x m"}),
        "sink_zones": (z.zones, {"classes": _legend(ZONE_NAMES, ZONE_COLOURS)}),
        "sink_patches": (z.patches, {}),
        "strategies": (result.strategies.map, {"classes": _legend(result.strategies.legend)}),
    }
    if z.cost.allocation is not None:
        rasters["mcr_allocation"] = (z.cost.allocation, {})
    tables = {
        "vegetation_storage": result.veg_storage,
        "resistance_weights": result.resistance.weight_table(),
        "sink_patches_table": z.patch_table,
        "zone_composition": z.zone_composition,
        "patch_composition": z.patch_composition,
        "strategies_table": result.strategies.table,
    }
    paths = {
        name: write_raster(da, out / f"{name}.tif", overwrite=overwrite, description=name, **kw)
        for name, (da, kw) in rasters.items()
    }
    for name, frame in tables.items():
        paths[name] = write_csv(frame, out / f"{name}.csv", overwrite=overwrite)
    paths["summary"] = write_json(result.summary(), out / "summary.json", overwrite=overwrite)
    return paths
