"""InVEST valuation of carbon sequestration (net present value of the change).

``value(x) = ΔC(x) · V/n · Σ_{t=0}^{n-1} 1/[(1 + r/100)^t (1 + c/100)^t]`` with ``V`` the
price per t C, ``n = year_future - year_current``, ``r`` the annual market discount rate
and ``c`` the annual change in the price of carbon, both in percent (InVEST >= 3.15;
earlier versions misread them as ratios). InVEST evaluates the sum in closed form,
``V/n · (1 - ρ^n)/(1 - ρ)`` with ``ρ = 1/((1 + r/100)(1 + c/100))``, and ``V`` when
``ρ = 1``; so does this module. ``r`` and ``c`` may be negative (InVEST 3.17).

References
----------
natcap/invest ``carbon.py::_calculate_valuation_constant``; InVEST User's Guide,
"Carbon Storage and Sequestration", equation ``carbon_value``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from landcarbon.backend import map_cells
from landcarbon.errors import ParameterError

if TYPE_CHECKING:
    import xarray as xr


@dataclass(frozen=True)
class Valuation:
    """Price per t C, discount rate and price change (percent per year) and the two years."""

    price_per_t_c: float
    discount_rate_pct: float
    price_change_pct: float
    year_current: int
    year_future: int

    def __post_init__(self) -> None:
        if self.year_future <= self.year_current:
            raise ParameterError(
                f"valuation years {self.year_current} -> {self.year_future}: the future year "
                f"must be after the current year (give --years CURRENT FUTURE)"
            )
        for label, pct in (
            ("discount rate", self.discount_rate_pct),
            ("price change", self.price_change_pct),
        ):
            if not np.isfinite(pct) or pct <= -100:
                raise ParameterError(
                    f"{label} {pct} % is invalid; it is a percentage above -100 (e.g. 7 for 7 %)"
                )
        if not np.isfinite(self.price_per_t_c):
            raise ParameterError(f"price per t C {self.price_per_t_c} is not a number")

    @property
    def constant(self) -> float:
        """Value of 1 t C sequestered over the period (currency per t C), InVEST's closed form."""
        n = self.year_future - self.year_current
        rho = 1.0 / ((1.0 + self.discount_rate_pct / 100.0) * (1.0 + self.price_change_pct / 100.0))
        if rho == 1.0:
            return float(self.price_per_t_c)
        return float(self.price_per_t_c / n * (1.0 - rho**n) / (1.0 - rho))

    def value_map(self, sequestration: xr.DataArray) -> xr.DataArray:
        """Value per cell (currency/ha, or per cell if the input is t C per cell); lazy on dask."""
        out = map_cells(_scale, sequestration, name="value", factor=self.constant)
        out.attrs["units"] = value_units(str(sequestration.attrs.get("units", "t C/ha")))
        return out

    def value_array(self, sequestration: np.ndarray) -> np.ndarray:
        """:meth:`value_map` of a float64 numpy map, rounded once to float32 (for files)."""
        return _scale(sequestration, self.constant).astype(np.float32)


def value_units(carbon_units: str) -> str:
    """The units of a value map from its carbon map's: ``t C/ha`` -> ``value/ha``."""
    return carbon_units.replace("t C", "value")


def _scale(block: np.ndarray, factor: float) -> np.ndarray:
    return block * factor
