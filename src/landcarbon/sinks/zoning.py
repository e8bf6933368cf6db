"""Carbon-sink zoning: primary, secondary and potential sinks (county study Table 3).

* **Primary sinks**: contiguous patches of "high" and "very high" importance (levels
  >= ``high_level``) of at least ``min_area_ha``, mostly natural vegetation.
* **Secondary sinks**: such patches whose cultivated share (area of
  ``cultivated_codes``) is at least ``cultivated_share``: "high, mainly covered by
  cultivated vegetation".
* **Potential sinks**: the low-resistance land around and between them: cells outside
  the sinks whose minimum cumulative resistance from the primary and secondary sinks
  (:func:`landcarbon.sinks.mcr.cost_distance`, eq. 6) is at most a threshold: the upper
  edge of the lowest natural-breaks class of the reached costs (``potential="breaks"``)
  or a quantile of them (``potential="quantile"``).

Patches are 8-connected (``scipy.ndimage.label``); areas are true hectares from the
grid. Each zone and each patch gets a land-use composition table (Tables 7-9 layout).
Zoning is a global step: the maps are held in memory.

References
----------
Zhang, Q., Yang, Y., Yuan, Y., Han, J., Li, D. (2024). Research on the territorial
ecological restoration of counties for the increase of carbon sinks: Wensu County.
*Landscape Architecture Frontiers*, section 3.3, Tables 3, 7-9 (shared/studies/001).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from landcarbon.arrays import categorical, continuous
from landcarbon.backend import require_in_memory
from landcarbon.errors import ParameterError
from landcarbon.grid import Grid
from landcarbon.raster import CLASS_NODATA, like
from landcarbon.sinks.areas import composition_table
from landcarbon.sinks.importance import jenks_edges

if TYPE_CHECKING:  # scipy, numba kernels and xarray load when sinks are zoned, not planned
    import xarray as xr

    from landcarbon.sinks.mcr import CostDistance

PRIMARY, SECONDARY, POTENTIAL = 1, 2, 3
ZONE_NAMES: dict[int, str] = {
    0: "other",
    PRIMARY: "primary sink",
    SECONDARY: "secondary sink",
    POTENTIAL: "potential sink",
}
ZONE_COLOURS: dict[int, str] = {
    0: "#f0f0f0",
    PRIMARY: "#1a9641",
    SECONDARY: "#f6d55c",
    POTENTIAL: "#74add1",
}
_EIGHT = np.ones((3, 3), dtype=bool)
_FIX = "load the rasters without chunks (zoning holds the whole map in memory)"


@dataclass(frozen=True)
class SinkZones:
    """Zone map, patch map, cost distance and the tables of the zoning."""

    zones: xr.DataArray
    """int32: 0 other, 1 primary, 2 secondary, 3 potential; CLASS_NODATA on nodata."""
    patches: xr.DataArray
    """int32 patch id (1..), 0 outside every patch; CLASS_NODATA on nodata."""
    patch_table: pd.DataFrame
    """One row per patch: patch, zone, zone_name, cells, area_ha, cultivated_percent."""
    zone_composition: pd.DataFrame
    """Land-use composition of each zone (Tables 7-9)."""
    patch_composition: pd.DataFrame
    """Land-use composition of each patch."""
    cost: CostDistance
    """Minimum cumulative resistance from the primary and secondary sinks (resistance × m)."""
    potential_threshold: float
    """Largest cumulative resistance of a potential-sink cell (resistance × m)."""


def _label(mask: np.ndarray) -> tuple[np.ndarray, int]:
    from scipy import ndimage

    labels, n = ndimage.label(mask, structure=_EIGHT)
    return labels.astype(np.int64), int(n)


def _potential_threshold(
    costs: np.ndarray,
    method: str,
    k: int,
    quantile: float,
    sample_size: int | None,
    seed: int | None,
) -> float:
    if costs.size == 0:
        raise ParameterError(
            "no cell outside the sinks is reachable from them; the potential "
            "sinks are empty (check barriers (NaN) in the resistance surface)"
        )
    if method == "quantile":
        return float(np.quantile(costs, quantile))
    edges = jenks_edges(
        costs, k, what="the cumulative resistance", sample_size=sample_size, seed=seed
    )
    return float(edges[1])


def identify_sinks(
    levels: xr.DataArray,
    lulc: xr.DataArray,
    resistance: xr.DataArray,
    *,
    cultivated_codes: Iterable[int],
    lulc_names: Mapping[int, str] | None = None,
    min_area_ha: float = 100.0,
    high_level: int = 4,
    cultivated_share: float = 0.5,
    potential: Literal["breaks", "quantile"] = "breaks",
    potential_classes: int = 5,
    potential_quantile: float = 0.2,
    potential_min_area_ha: float = 0.0,
    connectivity: int = 8,
    sample_size: int | None = None,
    seed: int | None = 0,
) -> SinkZones:
    """Primary, secondary and potential carbon sinks with their composition tables.

    Parameters
    ----------
    levels : importance levels (int, 1 very low .. 5 very high), e.g. from
        :func:`landcarbon.sinks.importance.importance_levels`.
    lulc : land-use codes on the same grid.
    resistance : resistance surface (> 0, NaN = barrier) for the potential sinks.
    cultivated_codes : land-use codes counted as cultivated (e.g. 1, 11, 12).
    lulc_names : code → land-use name for the tables (codes it lacks: ``class <code>``).
    min_area_ha : smallest primary or secondary patch kept (ha).
    high_level : lowest level counted as "high" (4 of 5).
    cultivated_share : cultivated fraction (0-1) from which a patch is secondary.
    potential : threshold rule of the potential sinks: ``"breaks"`` (upper edge of the
        lowest of ``potential_classes`` natural-breaks classes of the reached costs) or
        ``"quantile"`` (``potential_quantile`` of them).
    potential_min_area_ha : smallest potential patch kept (ha).
    connectivity : 8 or 4, for the cost distance.
    sample_size, seed : None (default) for exact natural breaks on every reached cell,
        or the size and seed of a sample to fit them on.

    Raises ParameterError when no patch qualifies as a sink (with the largest patch's
    area) or a parameter is out of range.
    """
    if not 0 <= cultivated_share <= 1:
        raise ParameterError(f"cultivated_share {cultivated_share}: must be within 0..1")
    levels, lulc = categorical(levels, "levels"), categorical(lulc, "lulc")
    resistance = continuous(resistance, "resistance")
    if not 0 < potential_quantile < 1:
        raise ParameterError(f"potential_quantile {potential_quantile}: must be within (0, 1)")
    if potential not in ("breaks", "quantile"):
        raise ParameterError(f"potential {potential!r}: choose 'breaks' or 'quantile'")
    lv = require_in_memory(levels, "sink zoning", _FIX)
    lu = require_in_memory(lulc, "sink zoning", _FIX)
    area = np.ascontiguousarray(Grid.from_dataarray(levels).cell_area_ha())
    nodata = (lv == CLASS_NODATA) | (lu == CLASS_NODATA)

    labels, n = _label((lv >= high_level) & ~nodata)
    patch_area = np.bincount(labels.ravel(), weights=area.ravel(), minlength=n + 1)
    cultivated = np.isin(lu, np.fromiter(cultivated_codes, dtype=np.int64))
    cult_area = np.bincount(labels.ravel(), weights=(area * cultivated).ravel(), minlength=n + 1)
    keep = patch_area >= min_area_ha
    keep[0] = False
    if not keep.any():
        largest = patch_area[1:].max() if n else 0.0
        raise ParameterError(
            f"no patch of importance level >= {high_level} reaches min_area_ha = {min_area_ha:g} "
            f"(largest: {largest:.6g} ha of {n} patches); lower min_area_ha or high_level"
        )
    kept = np.flatnonzero(keep)
    share = cult_area[kept] / patch_area[kept]
    zone_of = np.where(share >= cultivated_share, SECONDARY, PRIMARY)
    new_id = np.zeros(n + 1, dtype=np.int64)
    new_id[kept] = np.arange(1, kept.size + 1)
    patches = new_id[labels]

    # sink cells on a barrier (NaN resistance, e.g. a factor's nodata) stay in their sink
    # but do not spread cost: a barrier is never entered, nor left
    res = require_in_memory(resistance, "sink zoning", _FIX)
    sources = np.where(np.isnan(res), 0, patches).astype(np.int32)
    if not sources.any():
        raise ParameterError(
            f"all {int((patches > 0).sum())} cells of the primary and secondary sinks have "
            f"NaN resistance (a barrier: some factor is nodata there), so no potential sink "
            f"can be reached; fill the resistance factors' nodata over the sinks"
        )
    from landcarbon.sinks.mcr import cost_distance

    cost = cost_distance(
        resistance, like(levels, sources), connectivity=connectivity, allocation=True
    )
    cd = np.asarray(cost.cost.data)
    outside = (patches == 0) & ~nodata & ~np.isnan(cd)
    threshold = _potential_threshold(
        cd[outside], potential, potential_classes, potential_quantile, sample_size, seed
    )
    pot_labels, n_pot = _label(outside & (cd <= threshold))
    pot_area = np.bincount(pot_labels.ravel(), weights=area.ravel(), minlength=n_pot + 1)
    pot_keep = np.flatnonzero(pot_area >= potential_min_area_ha)
    pot_keep = pot_keep[pot_keep > 0]
    pot_id = np.zeros(n_pot + 1, dtype=np.int64)
    pot_id[pot_keep] = np.arange(kept.size + 1, kept.size + 1 + pot_keep.size)
    patches = np.where(patches > 0, patches, pot_id[pot_labels])

    patch_zone = np.concatenate([[0], zone_of, np.full(pot_keep.size, POTENTIAL)])
    zones = np.where(nodata, CLASS_NODATA, patch_zone[patches]).astype(np.int32)
    patch_map = np.where(nodata, CLASS_NODATA, patches).astype(np.int32)

    # every code present gets a name, so no cell drops out of the composition tables
    names = {int(c): f"class {c}" for c in np.unique(lu[~nodata])} | dict(lulc_names or {})
    ids = np.arange(1, patch_zone.size)
    cells = np.bincount(patches.ravel(), minlength=patch_zone.size)[1:]
    p_area = np.bincount(patches.ravel(), weights=area.ravel(), minlength=patch_zone.size)[1:]
    p_cult = np.bincount(
        patches.ravel(), weights=(area * cultivated).ravel(), minlength=patch_zone.size
    )[1:]
    patch_table = pd.DataFrame(
        {
            "patch": ids,
            "zone": patch_zone[1:],
            "zone_name": [ZONE_NAMES[z] for z in patch_zone[1:]],
            "cells": cells,
            "area_ha": p_area,
            "cultivated_percent": 100.0 * p_cult / p_area,
        }
    )
    zone_labels = {
        z: {"zone": z, "zone_name": ZONE_NAMES[z]}
        for z in (PRIMARY, SECONDARY, POTENTIAL)
        if np.any(zones == z)
    }
    patch_labels = {
        int(p): {"patch": int(p), "zone": int(z), "zone_name": ZONE_NAMES[int(z)]}
        for p, z in zip(ids, patch_zone[1:], strict=True)
    }
    return SinkZones(
        zones=_categorical(levels, zones, "sink_zone"),
        patches=_categorical(levels, patch_map, "sink_patch"),
        patch_table=patch_table,
        zone_composition=composition_table(zones, lu, area, zone_labels, names),
        patch_composition=composition_table(patch_map, lu, area, patch_labels, names),
        cost=cost,
        potential_threshold=threshold,
    )


def _categorical(template: xr.DataArray, data: np.ndarray, name: str) -> xr.DataArray:
    out = like(template, data, name=name)
    return out.rio.write_nodata(int(CLASS_NODATA), encoded=False)
