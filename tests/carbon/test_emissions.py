"""Emission factors (presets from the studies), IPCC energy emissions and their allocation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landcarbon.carbon import (
    allocate_emissions,
    emission_factor_preset,
    emission_map,
    emission_totals,
    energy_emissions,
    fuel_factors,
)
from landcarbon.carbon.outputs import emission_account
from landcarbon.classes import named_scheme
from landcarbon.errors import ParameterError, RasterError, TableError
from landcarbon.raster import CLASS_NODATA
from landcarbon.testing import assert_backends_agree, make_raster

CNLUCC = named_scheme("cnlucc")  # the shipped factor sets are keyed by group


def test_arid_preset_is_the_studys_set():
    table = emission_factor_preset("arid_muus", CNLUCC)
    factors = dict(zip(table.names().values(), table.column("factor_t_c_per_ha_yr"), strict=True))
    # study 002, section 1.3.2: 0.42, -0.64, -0.02, 0, 1.82, 0.05 t/hm2/yr
    assert factors == {
        "cropland": 0.42,
        "forest": -0.64,
        "grassland": -0.02,
        "water": 0.0,
        "built-up": 1.82,
        "unused land": 0.05,  # each class by the class table's name (cnlucc's), not the row's
    }
    sun = emission_factor_preset("sun2015", CNLUCC)
    assert sun.column("factor_t_c_per_ha_yr").tolist() == [
        0.422,
        -0.581,
        -0.021,
        -0.253,
        0.0,
        -0.005,
    ]


def test_group_keyed_preset_without_classes_is_refused():
    # no silent CNLUCC default: the groups must come from classes the user named
    with pytest.raises(TableError, match=r"keyed by land-use group.*--classes"):
        emission_factor_preset("arid_muus")


def test_unknown_preset_lists_the_shipped_ones():
    with pytest.raises(ParameterError, match="shipped presets: arid_muus, sun2015"):
        emission_factor_preset("nope")


def test_hand_case_emission_totals_and_map():
    table = emission_factor_preset("arid_muus", CNLUCC)
    lulc = make_raster(np.array([[1, 2], [5, 6]], dtype=np.int32))  # 0.09 ha cells
    totals = emission_totals(lulc, table)
    # (0.42 - 0.64 + 1.82 + 0.05) x 0.09 = 1.65 x 0.09 = 0.1485 t C/yr
    assert totals["emissions_t_c_yr"].sum() == pytest.approx(0.1485, rel=1e-14)
    assert totals.set_index("code").loc[2, "emissions_t_c_yr"] == pytest.approx(-0.0576)
    per_cell = emission_map(lulc, table, per_cell_units=True).values
    np.testing.assert_allclose(per_cell, [[0.0378, -0.0576], [0.1638, 0.0045]])
    assert_backends_agree(lambda a: emission_map(a, table), lulc, chunks=(1, 2))


def test_missing_class_in_factor_table():
    lulc = make_raster(np.array([[1, 8]], dtype=np.int32))
    with pytest.raises(TableError, match=r"8 \(1 cells\)"):
        emission_totals(lulc, emission_factor_preset("arid_muus", CNLUCC))


def test_energy_emissions_ipcc():
    table = energy_emissions({"raw coal": 1000.0, "Natural gas": 10.0}, fuel_factors())
    # 1000 t x 0.7143 tce/t x 0.7559 t C/tce = 539.93937; 10 x 1.2143 x 0.4483 = 5.4437069
    assert table["emissions_t_c"].tolist() == pytest.approx([539.93937, 5.4437069], rel=1e-12)
    with pytest.raises(TableError, match="unknown fuel"):
        energy_emissions({"peat": 1.0}, fuel_factors())
    with pytest.raises(ParameterError, match="consumption of coke is -1"):
        energy_emissions({"coke": -1.0}, fuel_factors())


def test_allocation_by_population_hand_case():
    weights = make_raster(np.array([[1.0, 3.0], [0.0, np.nan]]))
    out = allocate_emissions(100.0, weights).values
    # 100 x 1/4, 100 x 3/4, 0, NaN (no data)
    np.testing.assert_allclose(out, [[25.0, 75.0], [0.0, np.nan]])


def test_allocation_by_zone_with_area_fallback_and_errors():
    zones = make_raster(np.array([[1, 1], [2, 2]], dtype=np.int32))
    weights = make_raster(np.array([[1.0, 1.0], [0.0, 0.0]]))
    with pytest.raises(RasterError, match=r"every weight is zero in zone\(s\) 2"):
        allocate_emissions({1: 10.0, 2: 6.0}, weights, zones)
    out = allocate_emissions({1: 10.0, 2: 6.0}, weights, zones, zero_weight="area").values
    np.testing.assert_allclose(out, [[5.0, 5.0], [3.0, 3.0]])  # zone 2 split by area
    with pytest.raises(RasterError, match=r"zone\(s\) \[3\] have an emission total but no cells"):
        allocate_emissions({1: 10.0, 3: 1.0}, weights, zones)
    zero = make_raster(np.zeros((2, 2)))
    # without zones the message names no "zone 0" (the whole map is one internal zone)
    with pytest.raises(RasterError, match=r"the weight raster is zero everywhere, so") as err:
        allocate_emissions(5.0, zero)
    assert "zone" not in str(err.value) and "--zero-weight area" in str(err.value)
    with pytest.raises(RasterError, match="negative weights"):
        allocate_emissions(5.0, make_raster(np.array([[1.0, -1.0]])))


def test_allocation_mask_limits_cells_and_is_lazy():
    weights = make_raster(np.arange(1.0, 13.0).reshape(3, 4))
    mask = make_raster(np.array([[1, 0, 1, 0]] * 3, dtype=np.int32))
    out = assert_backends_agree(lambda w, m: allocate_emissions(12.0, w, mask=m), weights, mask)
    assert np.all(out.values[:, 1::2] == 0)
    assert np.nansum(out.values) == pytest.approx(12.0, rel=1e-12)


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    total=st.floats(1e-3, 1e9),
    chunked=st.booleans(),
)
def test_allocation_conserves_the_regional_totals(seed, total, chunked):
    rng = np.random.default_rng(seed)
    weights = rng.lognormal(size=(9, 7)) * (rng.random((9, 7)) > 0.2)
    weights[0, 0] = 1.0  # every zone keeps a positive weight
    weights[8, 6] = 1.0
    zones = np.where(np.arange(9)[:, None] < 4, 1, 2) * np.ones((1, 7), dtype=np.int32)
    zones[0, 1] = CLASS_NODATA
    w, z = make_raster(weights), make_raster(zones.astype(np.int32))
    if chunked:
        w, z = w.chunk({"y": 4, "x": 3}), z.chunk({"y": 4, "x": 3})
    out = np.asarray(allocate_emissions({1: total, 2: 2 * total}, w, z).values)
    zone_vals = zones.astype(np.int64)
    assert abs(np.nansum(out[zone_vals == 1]) - total) <= 1e-9 * total
    assert abs(np.nansum(out[zone_vals == 2]) - 2 * total) <= 1e-9 * total
    assert np.isnan(out[0, 1])


def test_emission_account_summary():
    lulc = make_raster(np.array([[1, 5]], dtype=np.int32))
    weights = make_raster(np.array([[0.0, 2.0]]))
    acc = emission_account(lulc, emission_factor_preset("arid_muus", CNLUCC), 7.0, weights)
    s = acc.summary(co2=True)
    # land: (0.42 + 1.82) x 0.09 = 0.2016; energy 7; total 7.2016
    assert s["land_use_t_c_yr"] == pytest.approx(0.2016)
    assert s["energy_t_c_yr"] == pytest.approx(7.0)
    assert s["total_t_co2_yr"] == pytest.approx(7.2016 * 44 / 12)


def test_area_fallback_with_no_eligible_cell_is_an_error():
    # zone 2 has only zero weights and the mask excludes both of its cells: the area
    # fallback would divide its total by 0 ha (inf / NaN maps) without this check
    zones = make_raster(np.array([[1, 1], [2, 2]], dtype=np.int32))
    weights = make_raster(np.array([[1.0, 1.0], [0.0, 0.0]]), name="pop")
    mask = make_raster(np.array([[1, 1], [0, 0]], dtype=np.int32))
    with pytest.raises(RasterError, match=r"pop: zone\(s\) 2 have no eligible cell"):
        allocate_emissions({1: 10.0, 2: 6.0}, weights, zones, mask=mask, zero_weight="area")
    nodata = make_raster(np.array([[1.0, 1.0], [np.nan, np.nan]]), name="pop")
    with pytest.raises(RasterError, match=r"zone\(s\) 2 have no eligible cell"):
        allocate_emissions({1: 10.0, 2: 6.0}, nodata, zones, zero_weight="area")
    with pytest.raises(RasterError, match=r"pop: no cell is eligible with data \(every cell"):
        allocate_emissions(6.0, weights, mask=make_raster(np.zeros((2, 2))), zero_weight="area")


def test_fuel_preset_carbon_factors_follow_from_the_ipcc_contents():
    fuels = fuel_factors().frame
    # CF (t C/tce) = carbon content (kg C/GJ) x 29.3076 GJ/tce / 1000 (GB/T 2589-2008);
    # e.g. raw coal 25.8 x 29.3076 / 1000 = 0.756136 -> 0.7561 (METHODS.md section 3)
    recomputed = fuels["carbon_content_kg_c_per_gj"] * 29.3076 / 1000
    np.testing.assert_allclose(fuels["cf_recomputed"], recomputed, atol=5e-5)
    # the published factors differ from the recomputed ones by rounding only (<= 8e-4)
    np.testing.assert_allclose(fuels["cf_t_c_per_tce"], recomputed, atol=1e-3)
    # standard-coal factors, METHODS.md table (kgce/kg; natural gas kgce/m3)
    sc = dict(zip(fuels["name"], fuels["sc_tce_per_unit"], strict=True))
    assert sc == {
        "raw coal": 0.7143,
        "coke": 0.9714,
        "crude oil": 1.4286,
        "gasoline": 1.4714,
        "kerosene": 1.4714,
        "diesel": 1.4571,
        "fuel oil": 1.4286,
        "natural gas": 1.2143,
    }


def test_a_single_total_with_zones_is_refused():
    # {0: total} used to be allocated to zone 0 only when the zone map has a code 0
    zones = make_raster(np.array([[0, 0], [1, 1]], dtype=np.int32), name="counties")
    weights = make_raster(np.ones((2, 2)))
    with pytest.raises(ParameterError, match=r"with a zone raster \(counties\) give one total"):
        allocate_emissions(8.0, weights, zones)
