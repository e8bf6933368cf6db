"""Erosion carbon: displaced SOC and its fate (Lal 2003 fractions), hand case and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from landcarbon.erosion.carbon import carbon_fate, displaced_carbon
from landcarbon.errors import ParameterError
from landcarbon.testing import assert_backends_agree, make_raster


def test_hand_case() -> None:
    # A = 10 t/ha/yr, SOC = 15 g/kg, ER = 2: C_e = 10 × 15e-3 × 2 = 0.3 t C/ha/yr;
    # source 0.2 × 0.3 = 0.06, sink 0.7 × 0.3 = 0.21, net 0.06 − 0.21 = −0.15 (a sink)
    a = make_raster(np.full((2, 2), 10.0))
    soc = make_raster(np.full((2, 2), 15.0))
    c = displaced_carbon(a, soc, enrichment_ratio=2.0)
    np.testing.assert_allclose(c.values, 0.3, rtol=1e-14)
    fate = carbon_fate(c)
    np.testing.assert_allclose(fate.source.values, 0.06, rtol=1e-14)
    np.testing.assert_allclose(fate.sink.values, 0.21, rtol=1e-14)
    np.testing.assert_allclose(fate.net.values, -0.15, rtol=1e-13)
    assert fate.net.attrs["units"] == "t C ha-1 a-1"


def test_backends_agree_and_custom_fractions() -> None:
    rng = np.random.default_rng(np.random.SeedSequence(9))
    a = make_raster(rng.uniform(0, 50, (5, 7)))
    soc = make_raster(rng.uniform(5, 30, (5, 7)))
    c = assert_backends_agree(displaced_carbon, a, soc, enrichment_ratio=1.5)
    net = assert_backends_agree(
        lambda x: carbon_fate(x, mineralised_fraction=0.5, buried_fraction=0.5).net, c
    )
    np.testing.assert_allclose(net.values, 0.0, atol=1e-15)


def test_bad_parameters() -> None:
    c = make_raster(np.ones((2, 2)))
    with pytest.raises(
        ParameterError, match=r"mineralised_fraction \+ buried_fraction = 1.2 exceeds 1"
    ):
        carbon_fate(c, mineralised_fraction=0.5, buried_fraction=0.7)
    with pytest.raises(ParameterError, match=r"buried_fraction = -0.1 must lie in \[0, 1\]"):
        carbon_fate(c, buried_fraction=-0.1)
    with pytest.raises(ParameterError, match=r"enrichment ratio 0\.5 must be >= 1"):
        displaced_carbon(c, c, enrichment_ratio=0.5)
