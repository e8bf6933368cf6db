"""Net ecosystem production ``NEP = NPP - Rh``, with soil heterotrophic respiration Rh
from monthly temperature and precipitation.

``Rh = 0.22 · [exp(0.0912·T) + ln(0.3145·R + 1)] · 30 · 46.5 %`` per month (g C m⁻²
month⁻¹), T the monthly mean air temperature (°C), R the monthly precipitation (mm), 30
days a month; the annual Rh is the sum over the 12 months (applying the formula to
annual means is a known error). The temperature coefficient is 0.0912 in Pei et al.
(2010) and 0.0913 in later copies (the county carbon-sink study prints 0.0913 in
English and 0.09137 in Chinese); it, the 30 days and the 46.5 % multiplier are
parameters. NEP > 0 is a sink. Months with negative precipitation (nodata) give NaN.

References
----------
Pei Zhiyong et al. (2010), alpine steppe of the Tibetan Plateau: *J. Integr. Plant
Biol.* 52(6) and *Geographical Research* 29(1) (landcarbon METHODS.md section 5). The
county carbon-sink study (Wensu), eqs. 1-2 (shared/studies/001).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from landcarbon.arrays import continuous
from landcarbon.backend import is_dask, map_cells
from landcarbon.carbon.classes import map_label, per_cell
from landcarbon.carbon.storage import check_all_same_grid
from landcarbon.errors import RasterError

if TYPE_CHECKING:
    import xarray as xr

MONTHS = 12


@dataclass(frozen=True)
class RhParameters:
    """Constants of the Rh relation (defaults: Pei et al. 2010).

    ``scale`` (g C m⁻² day⁻¹), ``temperature_coef`` (°C⁻¹), ``precipitation_coef``
    (mm⁻¹), ``days_per_month`` (days) and the dimensionless ``multiplier`` (46.5 %):
    ``Rh = scale · [exp(temperature_coef·T) + ln(precipitation_coef·R + 1)] ·
    days_per_month · multiplier`` in g C m⁻² month⁻¹.
    """

    scale: float = 0.22
    temperature_coef: float = 0.0912
    precipitation_coef: float = 0.3145
    days_per_month: float = 30.0
    multiplier: float = 0.465


def monthly_layers(climate: xr.DataArray | Sequence[xr.DataArray], name: str) -> list[xr.DataArray]:
    """The 12 monthly 2-D layers of a 12-band raster or of a list of 12 rasters."""
    import xarray as xr

    if isinstance(climate, xr.DataArray):
        if climate.ndim != 3:
            layers = [climate]
        else:
            layers = [climate[i] for i in range(climate.shape[0])]
        given = f"{map_label(climate, 'the raster')} has {len(layers)} band(s)"
    else:
        layers = list(climate)
        files = ", ".join(map_label(layer, f"raster {i + 1}") for i, layer in enumerate(layers))
        given = f"{len(layers)} raster(s) given ({files})"
    if len(layers) != MONTHS:
        raise RasterError(
            f"monthly {name}: {given}, need 12 (January to December); give a 12-band "
            f"raster or 12 single-band rasters"
        )
    return [layer.drop_vars("band", errors="ignore") for layer in layers]


MONTHLY_TEMPERATURE_C = (-90.0, 60.0)
"""Plausible monthly mean air temperatures (°C): the extremes ever measured."""
MONTHLY_PRECIPITATION_MM = (-np.inf, 15000.0)
"""Plausible monthly precipitation (mm): below an annual total anywhere on Earth (negative
values are taken as missing, see :func:`heterotrophic_respiration`)."""


def _check_plausible(layer: xr.DataArray, what: str, lo: float, hi: float) -> None:
    """RasterError naming the file when an in-memory climate layer holds values outside
    ``[lo, hi]`` (wrong units, or a nodata value the file does not declare); chunked
    layers are not read here."""
    if is_dask(layer.data):
        return
    values = np.asarray(layer.data)
    bad = np.isfinite(values) & ((values < lo) | (values > hi))
    if bad.any():
        raise RasterError(
            f"{map_label(layer, 'the raster')}: {what}: {int(bad.sum())} cell(s) outside "
            f"{lo:g} to {hi:g} (e.g. {values[bad].flat[0]:.6g}); check the units and "
            f"declare the file's nodata value"
        )


def heterotrophic_respiration(
    temperature_c: xr.DataArray | Sequence[xr.DataArray],
    precipitation_mm: xr.DataArray | Sequence[xr.DataArray],
    params: RhParameters | None = None,
) -> xr.DataArray:
    """Annual soil heterotrophic respiration (g C m⁻² yr⁻¹), summed over 12 months; lazy.

    ``temperature_c``: monthly mean air temperature (°C), ``precipitation_mm``: monthly
    precipitation (mm), each a 12-band raster or 12 rasters (January to December) on
    one grid (AlignmentError otherwise; RasterError for another number of months).
    """
    p = params or RhParameters()
    temps = monthly_layers(temperature_c, "temperature")
    precs = monthly_layers(precipitation_mm, "precipitation")
    check_all_same_grid(temps[0], *temps[1:], *precs)
    for name, layers, (lo, hi) in (
        ("temperature (°C)", temps, MONTHLY_TEMPERATURE_C),
        ("precipitation (mm)", precs, MONTHLY_PRECIPITATION_MM),
    ):
        for month, layer in enumerate(layers, start=1):
            _check_plausible(layer, f"monthly {name}, month {month}", lo, hi)
    out = map_cells(_annual_rh, *temps, *precs, name="rh_g_c_per_m2_yr", params=p)
    out.attrs["units"] = "g C m-2 yr-1"
    return out


def _annual_rh(*blocks: np.ndarray, params: RhParameters) -> np.ndarray:
    temps, precs = blocks[:MONTHS], blocks[MONTHS:]
    total = np.zeros(np.shape(temps[0]))
    for t, r in zip(temps, precs, strict=True):  # 12 months, each a whole block
        r = np.where(r < 0, np.nan, r)
        total += (
            params.scale
            * (np.exp(params.temperature_coef * t) + np.log(params.precipitation_coef * r + 1.0))
            * params.days_per_month
            * params.multiplier
        )
    return total


def net_ecosystem_production(npp: xr.DataArray, rh: xr.DataArray) -> xr.DataArray:
    """NEP = NPP - Rh (g C m⁻² yr⁻¹; NPP in the same unit); lazy on dask.

    Raises AlignmentError when the two rasters are not on the same grid.
    """
    npp, rh = continuous(npp, "npp"), continuous(rh, "rh")
    check_all_same_grid(npp, rh)
    out = map_cells(np.subtract, npp, rh, name="nep_g_c_per_m2_yr")
    out.attrs["units"] = "g C m-2 yr-1"
    return out


G_PER_M2_TO_T_PER_HA = 0.01
"""1 g C/m² = 0.01 t C/ha."""


def nep_t_c_per_cell(nep_g_c_m2: xr.DataArray) -> xr.DataArray:
    """NEP in t C per cell (g C/m² x 0.01 t/ha per g/m² x true cell area in ha)."""
    per_ha = nep_g_c_m2 * G_PER_M2_TO_T_PER_HA
    per_ha.attrs["units"] = "t C/ha"
    return per_cell(per_ha, "nep_t_c_per_cell")
