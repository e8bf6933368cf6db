"""The units chain of the monthly R formula, from the unit definitions (docs/erosion.md,
"What the sources searched do and do not settle")."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from landcarbon.erosion.rainfall import US_TO_SI_EROSIVITY, r_factor_monthly
from landcarbon.testing import make_raster

FOOT_M = 0.3048
INCH_MM = 25.4
ACRE_HA = 0.40468564224
TONF_N = 907.18474 * 9.80665  # short ton-force (2000 lbf)
TF_N = 1000 * 9.80665  # metric tonne-force


def test_us_to_si_factor_follows_from_the_unit_definitions() -> None:
    # one US unit of R: 100 ft·tonf·in / (ac·h·a), in MJ·mm / (ha·h·a)
    us_in_si = 100 * FOOT_M * TONF_N * INCH_MM / ACRE_HA / 1e6
    assert us_in_si == pytest.approx(17.0195, abs=1e-4)
    # USDA-ARS / AH703 print it to four digits: 17.02
    assert round(us_in_si, 2) == US_TO_SI_EROSIVITY
    # the 1970s "metric" unit, 100 m·tf·cm / (ha·h·a), is 9.80665 SI units, and one US
    # unit is 1.7355 of it: the formula's leading 1.735 is that factor (within 0.03 %)
    metric_in_si = 100 * TF_N * 10 / 1e6
    us_in_metric = us_in_si / metric_in_si
    assert metric_in_si == pytest.approx(9.80665)
    assert us_in_metric == pytest.approx(1.7355, abs=1e-4)
    assert abs(us_in_metric / 1.735 - 1) < 3e-4
    # so the default (x 17.02 on a value already x 1.735) is 1.7355 times the reading
    # "formula result in the metric unit, x 9.807 to SI": an even 885 mm year, 819 vs 472
    base = make_raster(np.zeros((2, 3)), name="precip")
    stack = xr.concat([base.copy(data=np.full((2, 3), 885 / 12)) for _ in range(12)], "band")
    default = float(r_factor_monthly(stack).values[0, 0])
    assert default == pytest.approx(819.4, abs=0.1)
    metric_reading = 1.735 * 10 ** (1.5 * np.log10((885 / 12) ** 2 / 885) - 0.8188) * 12
    assert metric_reading * metric_in_si == pytest.approx(472.1, abs=0.1)
    assert default / (metric_reading * metric_in_si) == pytest.approx(us_in_metric, rel=2e-3)
