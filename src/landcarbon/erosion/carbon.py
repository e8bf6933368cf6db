"""Soil organic carbon moved by erosion, and its fate: mineralised (source) or buried (sink).

``C_e = A · SOC · 10⁻³ · ER`` (t C ha⁻¹ a⁻¹), with A the soil loss (t ha⁻¹ a⁻¹), SOC the
topsoil organic carbon content (g C kg⁻¹ soil) and ER the enrichment ratio of eroded
sediment (METHODS.md §8, Starr et al. 2000 lineage; ER = 1 by default, typically 1-3).

Of the displaced carbon a fraction is mineralised to the atmosphere (a **source**,
default 0.2) and a fraction is deposited and buried on land (a **sink**, default 0.7);
the rest (0.1) reaches the sea and is counted by neither (Lal 2003). The net flux is
``source - sink`` (positive: erosion emits carbon). Outputs are labelled gross
displacement, source and sink so they are not double-counted against NEP. The same
arithmetic on soil conservation gives the carbon whose displacement was avoided.

References
----------
Lal, R. (2003). Soil erosion and the global carbon budget. *Environment International*
29(4), 437-450. https://doi.org/10.1016/S0160-4120(02)00192-7
Starr, G. C., Lal, R., Malone, R., Hothem, D., Owens, L., Kimble, J. (2000). Modeling soil
carbon transported by water erosion processes. *Land Degradation & Development* 11(1),
83-91. https://doi.org/10.1002/(SICI)1099-145X(200001/02)11:1<83::AID-LDR370>3.0.CO;2-W
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from landcarbon.backend import map_cells
from landcarbon.errors import ParameterError

G_PER_KG_TO_FRACTION = 1e-3
"""g C per kg soil → t C per t soil."""


def _displaced(a: np.ndarray, soc: np.ndarray, er: float) -> np.ndarray:
    return a * soc * G_PER_KG_TO_FRACTION * er  # type: ignore[no-any-return]


def displaced_carbon(
    soil_loss_t_per_ha: xr.DataArray, soc_g_per_kg: xr.DataArray, enrichment_ratio: float = 1.0
) -> xr.DataArray:
    """Gross SOC displaced by erosion, ``A × SOC × 10⁻³ × ER`` (t C ha⁻¹ a⁻¹); lazy on dask."""
    if not enrichment_ratio >= 1.0:
        raise ParameterError(
            f"enrichment ratio {enrichment_ratio} must be >= 1 (sediment is not poorer in "
            f"carbon than the soil it leaves; Lal 2020 reports 1-12 for water erosion)"
        )
    out = map_cells(
        _displaced,
        soil_loss_t_per_ha,
        soc_g_per_kg,
        name="displaced_t_c_per_ha",
        er=float(enrichment_ratio),
    )
    out.attrs["units"] = "t C ha-1 a-1"
    return out


@dataclass(frozen=True)
class CarbonFate:
    """Per-cell erosion carbon (t C ha⁻¹ a⁻¹): gross, source, sink and net = source - sink."""

    displaced: xr.DataArray
    source: xr.DataArray
    sink: xr.DataArray
    net: xr.DataArray


def _share(c: np.ndarray, fraction: float) -> np.ndarray:
    return c * fraction  # type: ignore[no-any-return]


def _net(c: np.ndarray, f_source: float, f_sink: float) -> np.ndarray:
    return c * f_source - c * f_sink  # type: ignore[no-any-return]


def carbon_fate(
    displaced_t_c_per_ha: xr.DataArray,
    *,
    mineralised_fraction: float = 0.2,
    buried_fraction: float = 0.7,
) -> CarbonFate:
    """Split displaced carbon into mineralised (source) and buried (sink) parts.

    Defaults follow Lal (2003): 20 % mineralised, 70 % redistributed and deposited on
    land; the remaining 10 % goes to the oceans. Fractions must lie in [0, 1] and sum
    to at most 1.
    """
    fractions = {"mineralised_fraction": mineralised_fraction, "buried_fraction": buried_fraction}
    for key, value in fractions.items():
        if not 0.0 <= value <= 1.0:
            raise ParameterError(f"{key} = {value} must lie in [0, 1]")
    if mineralised_fraction + buried_fraction > 1.0 + 1e-12:
        raise ParameterError(
            f"mineralised_fraction + buried_fraction = "
            f"{mineralised_fraction + buried_fraction:g} exceeds 1: more carbon than was "
            f"displaced; lower one of them"
        )
    source = map_cells(
        _share, displaced_t_c_per_ha, name="source_t_c_per_ha", fraction=mineralised_fraction
    )
    sink = map_cells(_share, displaced_t_c_per_ha, name="sink_t_c_per_ha", fraction=buried_fraction)
    net = map_cells(
        _net,
        displaced_t_c_per_ha,
        name="net_flux_t_c_per_ha",
        f_source=mineralised_fraction,
        f_sink=buried_fraction,
    )
    for layer in (source, sink, net):
        layer.attrs["units"] = "t C ha-1 a-1"
    return CarbonFate(displaced_t_c_per_ha, source, sink, net)
