"""Carbon balance: balance index CS/CE, net emissions, ecological supply-demand ratio.

* Net carbon emission ``NCE = CE - CS`` (CE gross emission, CS sequestration or storage,
  both positive magnitudes in t C).
* Carbon balance index ``CO = CS / CE`` (the arid-region study: CS the carbon storage,
  CE the land-use emissions): > 1 sink (surplus), 1 balance, < 1 deficit; undefined
  (NaN) where CE <= 0.
* Ecological supply-demand ratio ``ESDR = (S - D) / ((S_max + D_max)/2)`` with S the
  sequestration supply and D the emission demand of each unit, the maxima over the units
  analysed (Li Jinhui et al. 2016); zones: ESDR > 0 surplus, = 0 balance, < 0 deficit.
* Supply-demand matching quadrants from z-scores of S and D: H-H, L-H, L-L, H-L.

References
----------
Li, J., Jiang, H., Bai, Y. et al. (2016). Indicators for spatial-temporal comparisons of
ecosystem service status between regions: a case study of the Taihu River Basin, China.
*Ecological Indicators* 60:1008-1016.
The arid-region carbon budget study (Mu Us), section 1.3.2 (3) (shared/studies/002);
the province carbon-balance study (Henan; shared/studies/004).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from landcarbon.backend import map_cells
from landcarbon.carbon.storage import check_same_grid
from landcarbon.raster import CLASS_NODATA

BALANCE_ZONES = {1: ("deficit", "#d73027"), 2: ("balance", "#ffffbf"), 3: ("surplus", "#1a9850")}
"""Codes of the balance-zone map: name and colour."""

QUADRANTS = {
    1: ("H-H", "#7b3294"),
    2: ("L-H", "#d7191c"),
    3: ("L-L", "#bababa"),
    4: ("H-L", "#1a9641"),
}
"""Codes of the supply (first letter) - demand (second letter) quadrant map."""


def net_emissions(emissions: xr.DataArray, sequestration: xr.DataArray) -> xr.DataArray:
    """NCE = CE - CS per cell (same units in and out, e.g. t C/yr per cell); lazy on dask."""
    check_same_grid(emissions, sequestration)
    return map_cells(np.subtract, emissions, sequestration, name="net_emissions")


def balance_index(storage: xr.DataArray, emissions: xr.DataArray) -> xr.DataArray:
    """CO = CS / CE per cell (dimensionless; CS and CE in one unit, e.g. t C per cell).

    NaN where CE <= 0 (no emission to compensate); lazy on dask.
    """
    check_same_grid(storage, emissions)
    return map_cells(_ratio, storage, emissions, name="carbon_balance_index")


def _ratio(cs: np.ndarray, ce: np.ndarray) -> np.ndarray:
    safe = np.where(ce > 0, ce, np.nan)
    return cs / safe


def supply_demand_ratio(supply: xr.DataArray, demand: xr.DataArray) -> xr.DataArray:
    """ESDR per cell (dimensionless; S and D in one unit), maxima over all valid cells.

    NaN where either input is NaN, or everywhere when both maxima sum to 0. Lazy on
    dask (the maxima are computed first).
    """
    check_same_grid(supply, demand)
    half = (float(supply.max(skipna=True).values) + float(demand.max(skipna=True).values)) / 2
    return map_cells(_esdr, supply, demand, name="esdr", half=half)


def _esdr(s: np.ndarray, d: np.ndarray, half: float) -> np.ndarray:
    return (s - d) / half if half != 0 else np.full(np.shape(s), np.nan)


def balance_zones(esdr: xr.DataArray) -> xr.DataArray:
    """Zones of :data:`BALANCE_ZONES` (int32, nodata where ESDR is NaN); lazy."""
    return map_cells(_zone_of, esdr, dtype=np.int32, name="balance_zone")


def _zone_of(esdr: np.ndarray) -> np.ndarray:
    zone = np.where(esdr > 0, 3, np.where(esdr < 0, 1, 2))
    return np.where(np.isnan(esdr), CLASS_NODATA, zone).astype(np.int32)


def balance_table(storage_t_c: pd.Series, emissions_t_c: pd.Series) -> pd.DataFrame:
    """Per unit (region/zone): CS, CE, NCE, CO = CS/CE and ESDR with its zone name.

    Inputs are indexed by unit code, in t C (both positive magnitudes); CO and ESDR are
    dimensionless. A unit with a missing CS or CE (NaN) has NaN ESDR and an empty zone
    name, never "balance".
    """
    frame = pd.DataFrame({"cs_t_c": storage_t_c, "ce_t_c": emissions_t_c})
    frame["net_emissions_t_c"] = frame["ce_t_c"] - frame["cs_t_c"]
    frame["balance_index"] = frame["cs_t_c"] / frame["ce_t_c"].where(frame["ce_t_c"] > 0)
    half = (frame["cs_t_c"].max() + frame["ce_t_c"].max()) / 2
    frame["esdr"] = (frame["cs_t_c"] - frame["ce_t_c"]) / half if half != 0 else np.nan
    names = np.array([""] + [name for name, _ in BALANCE_ZONES.values()], dtype=object)
    frame["zone"] = names[np.maximum(_zone_of(frame["esdr"].to_numpy(np.float64)), 0)]
    return frame


def supply_demand_quadrants(supply: xr.DataArray, demand: xr.DataArray) -> xr.DataArray:
    """Quadrants of :data:`QUADRANTS` from z-scores of supply and demand over valid cells."""
    check_same_grid(supply, demand)
    stats = [
        (float(a.mean(skipna=True).values), float(a.std(skipna=True).values))
        for a in (supply, demand)
    ]
    return map_cells(_quadrant, supply, demand, dtype=np.int32, name="quadrant", stats=stats)


def _quadrant(s: np.ndarray, d: np.ndarray, stats: list[tuple[float, float]]) -> np.ndarray:
    hs, hd = _z_score(s, *stats[0]) >= 0, _z_score(d, *stats[1]) >= 0
    quad = np.where(hs & hd, 1, np.where(~hs & hd, 2, np.where(~hs & ~hd, 3, 4)))
    return np.where(np.isnan(s) | np.isnan(d), CLASS_NODATA, quad).astype(np.int32)


def _z_score(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    """``(x - mean) / std``; 0 for every cell of a constant map (std = 0), not NaN."""
    return (x - mean) / std if std > 0 else np.where(np.isnan(x), np.nan, 0.0)
