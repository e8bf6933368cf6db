"""Climate correction of a carbon-density table (national to regional), as used with InVEST.

Biomass and soil carbon are related to mean annual precipitation ``P`` (mm) and mean
annual temperature ``T`` (°C):

* soil C vs P: ``C_SP = 3.3968 P + 3996.1`` (Alam, Starr & Clark 2013);
* biomass C vs P: ``C_BP = 6.798 exp(0.0054 P)`` (Alam et al. 2013);
* biomass C vs T: ``C_BT = 28 T + 398`` (Chen Guangshui et al. 2007; cf. Giardina & Ryan 2000).

With ′ the region's climate and ″ the reference table's, ``K_BP = C'_BP/C''_BP``,
``K_BT = C'_BT/C''_BT``, ``K_S = C'_SP/C''_SP``, and the biomass factor ``K_B`` is
``K_BP·K_BT`` (variant ``"product"``, most used), ``(K_BP + K_BT)/2`` (``"mean"``) or
``K_BP`` (``"precipitation"``). Above- and below-ground densities are multiplied by
``K_B``, soil by ``K_S`` (decomposition of mineral-soil carbon does not vary with
temperature, Giardina & Ryan 2000); dead organic matter is left as is unless asked.
The reference climate is an explicit argument: there is no hidden national default.

References
----------
Alam, S.A., Starr, M., Clark, B.J.F. (2013). Tree biomass and soil organic carbon
densities across the Sudanese woodland savannah. *J. Arid Environ.* 89:67-76,
doi:10.1016/j.jaridenv.2012.10.002.
Giardina, C.P., Ryan, M.G. (2000). Evidence that decomposition rates of organic carbon
in mineral soil do not vary with temperature. *Nature* 404:858-861, doi:10.1038/35009076.
Chen Guangshui et al. (2007). *Acta Ecologica Sinica* 27(12).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

import pandas as pd

from landcarbon.errors import ParameterError
from landcarbon.tables import ClassTable

Variant = Literal["product", "mean", "precipitation"]
DeadRule = Literal["none", "biomass", "soil"]


@dataclass(frozen=True)
class ClimateRelations:
    """Coefficients of the three relations (defaults: Alam et al. 2013, Chen et al. 2007)."""

    soil_p_slope: float = 3.3968
    soil_p_intercept: float = 3996.1
    biomass_p_scale: float = 6.798
    biomass_p_rate: float = 0.0054
    biomass_t_slope: float = 28.0
    biomass_t_intercept: float = 398.0

    def soil_from_precipitation(self, p_mm: float) -> float:
        """``C_SP`` at mean annual precipitation ``p_mm`` (mm); only ratios of it are used."""
        return self.soil_p_slope * p_mm + self.soil_p_intercept

    def biomass_from_precipitation(self, p_mm: float) -> float:
        """``C_BP`` at mean annual precipitation ``p_mm`` (mm); only ratios of it are used."""
        return self.biomass_p_scale * math.exp(self.biomass_p_rate * p_mm)

    def biomass_from_temperature(self, t_c: float) -> float:
        """``C_BT`` at mean annual temperature ``t_c`` (°C); ParameterError where it is <= 0."""
        value = self.biomass_t_slope * t_c + self.biomass_t_intercept
        if value <= 0:
            raise ParameterError(
                f"temperature {t_c} °C gives a biomass carbon C_BT = {value:g} <= 0 "
                f"(the relation holds above {-self.biomass_t_intercept / self.biomass_t_slope:.1f} "
                f"°C); use the precipitation-only variant for such climates"
            )
        return value


@dataclass(frozen=True)
class CorrectionFactors:
    """``K_BP``, ``K_BT``, the biomass factor ``K_B`` (per the variant) and the soil ``K_S``."""

    k_bp: float
    k_bt: float
    k_b: float
    k_s: float

    def as_dict(self) -> dict[str, float | None]:
        """The four factors for a JSON summary; ``k_bt`` is None (not NaN) where unused."""
        return {k: (v if math.isfinite(v) else None) for k, v in asdict(self).items()}


def correction_factors(
    precipitation_mm: float,
    temperature_c: float,
    reference_precipitation_mm: float,
    reference_temperature_c: float,
    variant: Variant = "product",
    relations: ClimateRelations | None = None,
) -> CorrectionFactors:
    """The correction factors (dimensionless) of a region (′) against the reference (″).

    Precipitations are mean annual totals in mm, temperatures mean annual air
    temperatures in °C. Non-finite or negative precipitation, a non-finite temperature,
    or a temperature where ``C_BT <= 0`` raise ParameterError. The ``precipitation``
    variant ignores the temperatures (``k_bt`` is NaN).
    """
    rel = relations or ClimateRelations()
    for label, p in (
        ("precipitation", precipitation_mm),
        ("reference precipitation", reference_precipitation_mm),
    ):
        if not math.isfinite(p) or p < 0:
            raise ParameterError(
                f"{label} {p} mm is invalid; give mean annual precipitation >= 0 mm"
            )
    k_bp = rel.biomass_from_precipitation(precipitation_mm) / rel.biomass_from_precipitation(
        reference_precipitation_mm
    )
    k_s = rel.soil_from_precipitation(precipitation_mm) / rel.soil_from_precipitation(
        reference_precipitation_mm
    )
    if variant == "precipitation":
        return CorrectionFactors(k_bp, math.nan, k_bp, k_s)
    for label, t in (
        ("temperature", temperature_c),
        ("reference temperature", reference_temperature_c),
    ):
        if not math.isfinite(t):
            raise ParameterError(f"{label} {t} °C is invalid; give mean annual temperature in °C")
    k_bt = rel.biomass_from_temperature(temperature_c) / rel.biomass_from_temperature(
        reference_temperature_c
    )
    if variant == "product":
        return CorrectionFactors(k_bp, k_bt, k_bp * k_bt, k_s)
    if variant == "mean":
        return CorrectionFactors(k_bp, k_bt, (k_bp + k_bt) / 2.0, k_s)
    raise ParameterError(
        f"unknown climate-correction variant {variant!r} (CLI --climate-variant); use "
        f"product, mean or precipitation"
    )


def climate_corrected_pools(
    pools: ClassTable,
    factors: CorrectionFactors,
    dead: DeadRule = "none",
) -> ClassTable:
    """A new pools table: ``c_above``, ``c_below`` x K_B, ``c_soil`` x K_S, ``c_dead`` per ``dead``.

    Other columns are copied; the source records the factors applied.
    """
    dead_factor = {"none": 1.0, "biomass": factors.k_b, "soil": factors.k_s}
    if dead not in dead_factor:
        raise ParameterError(
            f"unknown rule for c_dead {dead!r} (CLI --climate-dead); use none, biomass or soil"
        )
    frame: pd.DataFrame = pools.frame.copy()
    scale = {
        "c_above": factors.k_b,
        "c_below": factors.k_b,
        "c_soil": factors.k_s,
        "c_dead": dead_factor[dead],
    }
    for column, k in scale.items():
        frame[column] = pools.column(column).astype(float) * k
    note = f"K_B={factors.k_b:.6g}, K_S={factors.k_s:.6g}, c_dead: {dead}"
    return ClassTable(frame, f"{pools.source} (climate-corrected: {note})")


def pools_csv_frame(pools: ClassTable) -> pd.DataFrame:
    """A pools table as an InVEST pools CSV: ``lucode`` first, then the table's columns."""
    return pools.frame.reset_index().rename(columns={pools.frame.index.name or "index": "lucode"})
