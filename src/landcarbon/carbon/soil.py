"""Soil carbon: layered topsoil/subsoil storage and SOC density from soil attributes.

**Layered storage** (the county carbon-sink study, eq. 3): soil carbon within 100 cm is
``C_soil = (P_ic + P_oc)·0.3 + (S_ic + S_oc)·0.7``, topsoil (P, 0-30 cm) and subsoil (S,
30-100 cm) inorganic (ic) and organic (oc) carbon, the weights being the layer
thicknesses in metres. Inputs are per metre of depth (e.g. kg C/m³ gives kg C/m²); the
output keeps their unit times metres. Inorganic carbon is optional: InVEST's ``c_soil``
is organic carbon only, and inorganic carbon inflates soil carbon on calcareous soils.

**Layer density** (HWSD practice): ``SOCD (t C/ha) = OC (% wt) x BD (g/cm³) x H (cm) x
(1 - G/100)`` with G the gravel content (% vol); 1 % OC, BD 1.3, 30 cm give 39 t C/ha.
A profile to ``depth_cm`` sums a topsoil of ``min(depth, 30)`` cm and a subsoil of
``max(depth - 30, 0)`` cm (HWSD v1.2 layers).

References
----------
Zhang, Q. et al. (2024). Territorial ecological restoration of counties for the increase
of carbon sinks: Wensu County, Xinjiang. *Landscape Architecture Frontiers*, eq. 3
(shared/studies/001).
FAO/IIASA/ISRIC/ISSCAS/JRC (2012). Harmonized World Soil Database v1.2; Todd-Brown,
K. GlobalRegrid_RHWSD ``R/makeSOC.R``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from landcarbon.backend import map_cells
from landcarbon.carbon.storage import check_all_same_grid
from landcarbon.errors import ParameterError

TOPSOIL_WEIGHT = 0.3
"""Topsoil thickness (m) of eq. 3 of the county study (0-30 cm)."""
SUBSOIL_WEIGHT = 0.7
"""Subsoil thickness (m) of eq. 3 of the county study (30-100 cm)."""
TOPSOIL_DEPTH_CM = 30.0
"""HWSD topsoil depth (cm)."""


def layered_soil_carbon(
    topsoil_organic: xr.DataArray,
    subsoil_organic: xr.DataArray,
    topsoil_inorganic: xr.DataArray | None = None,
    subsoil_inorganic: xr.DataArray | None = None,
    *,
    weights: tuple[float, float] = (TOPSOIL_WEIGHT, SUBSOIL_WEIGHT),
) -> xr.DataArray:
    """``(P_ic + P_oc)·w_top + (S_ic + S_oc)·w_sub`` per cell (eq. 3); NaN if any input is.

    Inputs are carbon per metre of depth of each layer (e.g. kg C m⁻³, or t C ha⁻¹ m⁻¹);
    the weights are the layer thicknesses in m (0.3 and 0.7), so the result is the input
    unit x m (kg C m⁻², or t C/ha). Give both inorganic rasters or neither (organic
    carbon only). All rasters on one grid (AlignmentError otherwise). Lazy on dask.
    """
    if (topsoil_inorganic is None) != (subsoil_inorganic is None):
        raise ParameterError(
            "give both topsoil and subsoil inorganic carbon rasters, or neither (organic only)"
        )
    if any(w < 0 or not np.isfinite(w) for w in weights):
        raise ParameterError(f"layer weights {weights} must be finite and >= 0")
    arrays = [topsoil_organic, subsoil_organic]
    if topsoil_inorganic is not None and subsoil_inorganic is not None:
        arrays += [topsoil_inorganic, subsoil_inorganic]
    check_all_same_grid(*arrays)
    out = map_cells(_weighted_layers, *arrays, name="soil_carbon", weights=weights)
    out.attrs["units"] = f"{topsoil_organic.attrs.get('units', 'input units')} x m"
    return out


def _weighted_layers(
    top_oc: np.ndarray,
    sub_oc: np.ndarray,
    top_ic: np.ndarray | None = None,
    sub_ic: np.ndarray | None = None,
    *,
    weights: tuple[float, float],
) -> np.ndarray:
    top = top_oc if top_ic is None else top_ic + top_oc
    sub = sub_oc if sub_ic is None else sub_ic + sub_oc
    return top * weights[0] + sub * weights[1]


def soc_density(
    organic_carbon_pct: xr.DataArray,
    bulk_density_g_cm3: xr.DataArray,
    thickness_cm: float,
    gravel_pct: xr.DataArray | None = None,
) -> xr.DataArray:
    """SOC density of one layer (t C/ha) = OC x BD x H x (1 - G/100); lazy on dask.

    Missing gravel counts as 0 % (say so when you report). Negative inputs give NaN.
    """
    if not np.isfinite(thickness_cm) or thickness_cm < 0:
        raise ParameterError(f"layer thickness {thickness_cm} cm must be >= 0")
    arrays = [organic_carbon_pct, bulk_density_g_cm3]
    if gravel_pct is not None:
        arrays.append(gravel_pct)
    check_all_same_grid(*arrays)
    out = map_cells(_layer_density, *arrays, name="socd_t_c_per_ha", thickness_cm=thickness_cm)
    out.attrs["units"] = "t C/ha"
    return out


def _layer_density(
    oc: np.ndarray, bd: np.ndarray, gravel: np.ndarray | None = None, *, thickness_cm: float
) -> np.ndarray:
    g = np.zeros_like(oc) if gravel is None else np.nan_to_num(gravel, nan=0.0)
    bad = (oc < 0) | (bd < 0) | (g < 0) | (g > 100)
    return np.where(bad, np.nan, oc * bd * thickness_cm * (1.0 - g / 100.0))


def soc_profile_density(
    topsoil: tuple[xr.DataArray, xr.DataArray, xr.DataArray | None],
    subsoil: tuple[xr.DataArray, xr.DataArray, xr.DataArray | None],
    depth_cm: float = 100.0,
) -> xr.DataArray:
    """SOC density (t C/ha) of a profile to ``depth_cm``: topsoil + subsoil layers.

    Each layer is ``(organic carbon %, bulk density g/cm³, gravel % or None)``; the
    topsoil is ``min(depth, 30)`` cm thick, the subsoil ``max(depth - 30, 0)`` cm.
    """
    top = soc_density(topsoil[0], topsoil[1], min(depth_cm, TOPSOIL_DEPTH_CM), topsoil[2])
    sub = soc_density(subsoil[0], subsoil[1], max(depth_cm - TOPSOIL_DEPTH_CM, 0.0), subsoil[2])
    check_all_same_grid(top, sub)
    out = map_cells(np.add, top, sub, name="socd_t_c_per_ha")
    out.attrs["units"] = "t C/ha"
    return out
