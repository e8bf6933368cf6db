"""Erosion tables preset, the whole budget on one map set, and the climate x land-use table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from landcarbon.classes import named_scheme
from landcarbon.erosion.budget import CarbonParameters, erosion_budget
from landcarbon.erosion.presets import read_erosion_tables
from landcarbon.erosion.rainfall import r_factor_annual
from landcarbon.erosion.scenarios import ClimateScenario, scenario_table
from landcarbon.erosion.soil import k_epic_us
from landcarbon.errors import InputFileError, ParameterError, TableError
from landcarbon.raster import CLASS_NODATA
from landcarbon.testing import make_raster

CNLUCC = named_scheme("cnlucc")  # the shipped B, E, T rows are keyed by group


def test_default_preset_values_follow_their_cited_formulas() -> None:
    tables = read_erosion_tables(classes=CNLUCC)
    lu = tables.land_use.frame
    assert lu.loc[1, ["b", "e", "t"]].tolist() == [1.0, 1.0, 0.4]  # METHODS.md §7
    # forest and grassland B: Cai et al. (2000) at 70 % and 40 % cover
    assert lu.loc[2, "b"] == pytest.approx(0.6508 - 0.3436 * np.log10(70), abs=5e-7)
    assert lu.loc[3, "b"] == pytest.approx(0.6508 - 0.3436 * np.log10(40), abs=5e-7)
    soil = tables.soil.frame
    assert len(soil) == 13
    for code, row in soil.iterrows():
        k_us = k_epic_us(row["sand"], row["silt"], row["clay"], row["oc_pct"])
        expected = (-0.01383 + 0.51575 * k_us) * 0.1317  # Zhang et al. 2007
        assert row["k"] == pytest.approx(expected, abs=5e-7), code
        assert row["sand"] + row["silt"] + row["clay"] == 100
        assert row["soc_g_per_kg"] == row["oc_pct"] * 10


def test_group_keyed_preset_without_classes_is_refused() -> None:
    # no silent CNLUCC default: the groups must come from classes the user named
    with pytest.raises(TableError, match=r"\[\[land_use\]\] is keyed by land-use group.*--classes"):
        read_erosion_tables()


def test_bad_tables(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="erosion tables file not found"):
        read_erosion_tables(tmp_path / "none.toml")
    only_lu = tmp_path / "lu.toml"
    only_lu.write_text("[[land_use]]\ncode = 1\nb = 1.0\ne = 1.0\nt = 1.0\n")
    with pytest.raises(TableError, match=r"missing section\(s\) \[\[soil\]\]"):
        read_erosion_tables(only_lu)
    big_b = tmp_path / "big.toml"
    big_b.write_text(
        "[[land_use]]\ncode = 1\nb = 1.5\ne = 1.0\nt = 1.0\n"
        "[[soil]]\ncode = 1\nk = 0.02\nsoc_g_per_kg = 10.0\n"
    )
    with pytest.raises(TableError, match=r"column 'b' exceeds 1 for code\(s\) \[1\]"):
        read_erosion_tables(big_b)
    no_k = tmp_path / "nok.toml"
    no_k.write_text(
        "[[land_use]]\ncode = 1\nb = 1.0\ne = 1.0\nt = 1.0\n[[soil]]\ncode = 1\nsoc_g_per_kg = 1\n"
    )
    with pytest.raises(TableError, match=r"\[\[soil\]\]: missing column\(s\) k"):
        read_erosion_tables(no_k)


def _inputs():
    lulc = make_raster(np.array([[1, 1, 2], [2, 3, 4]], dtype=np.int32))
    ones = np.ones((2, 3))
    return {
        "r": make_raster(4000.0 * ones),
        "k": make_raster(0.02 * ones),
        "ls": make_raster(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])),
        "lulc": lulc,
        "soc": make_raster(10.0 * ones),
    }


def test_budget_hand_case() -> None:
    m = _inputs()
    tables = read_erosion_tables(classes=CNLUCC)
    res = erosion_budget(m["r"], m["k"], m["ls"], m["lulc"], tables.land_use, m["soc"])
    # RK = 80. cropland (B 1, E 1, T 0.4): A = 80·LS·0.4 = 32, 64; forest (B 0.016824):
    # 80·3·0.016824 = 4.03776, 80·4·0.016824 = 5.38368; grassland 80·5·0.100332 = 40.1328;
    # water (B 0, E 0): 0
    expected = np.array([[32.0, 64.0, 4.03776], [5.38368, 40.1328, 0.0]])
    np.testing.assert_allclose(res.soil_loss.values, expected, rtol=1e-12)
    s = res.summary
    area = 0.09  # 30 m cells
    assert s["total_t"] == pytest.approx(expected.sum() * area, rel=1e-12)
    assert s["potential_t"] == pytest.approx(80 * 21 * area, rel=1e-12)
    assert s["conservation_t"] == pytest.approx(s["potential_t"] - s["total_t"], rel=1e-12)
    # SOC 10 g/kg, ER 1: C_e = A × 0.01; source 20 %, sink 70 %
    assert s["displaced_t_c"] == pytest.approx(s["total_t"] * 0.01, rel=1e-12)
    assert s["carbon_source_t_c"] == pytest.approx(0.2 * s["displaced_t_c"], rel=1e-12)
    assert s["carbon_sink_t_c"] == pytest.approx(0.7 * s["displaced_t_c"], rel=1e-12)
    assert sum(s["by_grade_ha"].values()) == pytest.approx(6 * area, rel=1e-12)
    # grades (t/km²): 3200 moderate, 6400 intense, 403.8 slight, 538.4 light, 4013 moderate, 0
    assert s["by_grade_ha"]["moderate"] == pytest.approx(2 * area)
    frame = res.by_land_use.set_index("code")
    assert frame.loc[1, "soil_loss_t"] == pytest.approx(96.0 * area, rel=1e-12)
    assert frame["soil_loss_t"].sum() == pytest.approx(s["total_t"], rel=1e-12)
    assert frame.loc[2, "name"] == "forest"


def test_budget_nodata_land_use_masks_potential_too() -> None:
    # The cell at (0, 1) has no land use: no B, E, T, so no loss and no conservation.
    # Its potential loss (R K LS = 80 × 2 = 160 t/ha) once stayed in potential_t, so
    # potential_t exceeded total_t + conservation_t by 160 × 0.09 = 14.4 t.
    m = _inputs()
    lulc = m["lulc"].copy(data=m["lulc"].values.copy())
    lulc.values[0, 1] = CLASS_NODATA
    tables = read_erosion_tables(classes=CNLUCC)
    res = erosion_budget(m["r"], m["k"], m["ls"], lulc, tables.land_use, m["soc"])
    assert np.isnan(res.potential.values[0, 1]) and np.isnan(res.soil_loss.values[0, 1])
    assert np.isfinite(np.delete(res.potential.values.ravel(), 1)).all()
    s = res.summary
    assert s["potential_t"] == pytest.approx(80 * (21 - 2) * 0.09, rel=1e-12)
    assert s["potential_t"] == pytest.approx(s["total_t"] + s["conservation_t"], rel=1e-12)


def test_budget_enrichment_and_fractions() -> None:
    m = _inputs()
    tables = read_erosion_tables(classes=CNLUCC)
    params = CarbonParameters(enrichment_ratio=2.0, mineralised_fraction=0.3, buried_fraction=0.5)
    res = erosion_budget(
        m["r"], m["k"], m["ls"], m["lulc"], tables.land_use, m["soc"], carbon=params
    )
    s = res.summary
    assert s["displaced_t_c"] == pytest.approx(s["total_t"] * 0.02, rel=1e-12)
    assert s["net_carbon_flux_t_c"] == pytest.approx(-0.2 * s["displaced_t_c"], rel=1e-12)


def test_scenario_table_combines_climate_and_land_use() -> None:
    m = _inputs()
    tables = read_erosion_tables(classes=CNLUCC)
    base_p = make_raster(np.full((2, 3), 1500.0), name="precip")
    k = m["k"]
    # land-use scenario "ERP" in 2060 turns the cropland cells into forest
    erp = m["lulc"].copy(data=np.where(m["lulc"].values == 1, 2, m["lulc"].values))
    maps = {("BAU", 2030): m["lulc"], ("ERP", 2060): erp}
    climates = {
        "SSP2-4.5": ClimateScenario("SSP2-4.5", {2030: 1.1, 2060: 1.1}),
        "SSP5-8.5": ClimateScenario("SSP5-8.5", {2030: base_p * 0.9, 2060: 1.0}),
    }
    table = scenario_table(
        maps,
        climates,
        baseline_precip_mm=base_p,
        k=k,
        ls=m["ls"],
        soc_g_per_kg=m["soc"],
        land_use_table=tables.land_use,
    )
    assert len(table) == 4
    assert list(table.columns[:3]) == ["climate", "land_use_scenario", "year"]
    row = table.set_index(["climate", "land_use_scenario", "year"])
    direct = erosion_budget(
        r_factor_annual(base_p * 1.1), k, m["ls"], m["lulc"], tables.land_use, m["soc"]
    )
    assert row.loc[("SSP2-4.5", "BAU", 2030), "total_t"] == pytest.approx(
        direct.summary["total_t"], rel=1e-12
    )
    # R ∝ P^1.6548, so the same land use under ×1.1 and ×0.9 precipitation differ by
    # (1.1 / 0.9)^1.6548 in soil loss
    ratio = (
        row.loc[("SSP2-4.5", "BAU", 2030), "total_t"]
        / row.loc[("SSP5-8.5", "BAU", 2030), "total_t"]
    )
    assert ratio == pytest.approx((1.1 / 0.9) ** 1.6548, rel=1e-12)
    # restoring cropland to forest lowers erosion under the same climate
    assert (
        row.loc[("SSP2-4.5", "ERP", 2060), "total_t"]
        < row.loc[("SSP2-4.5", "BAU", 2030), "total_t"]
    )


def test_climate_scenario_bad_input() -> None:
    base = make_raster(np.full((2, 2), 1500.0))
    with pytest.raises(
        ParameterError, match=r"'SSP2-4.5' has no precipitation for 2045 \(has: \[2030\]\)"
    ):
        ClimateScenario("SSP2-4.5", {2030: 1.1}).precipitation_for(2045, base)
    with pytest.raises(ParameterError, match=r"multiplier 110.0 is outside 0-5; give a ratio"):
        ClimateScenario("SSP5-8.5", {2030: 110.0}).precipitation_for(2030, base)
    # temperature change factors are additive (delta method, METHODS.md §13)
    temp = ClimateScenario("x", {}, {2030: 1.5}).temperature_for(2030, base * 0 + 18.0)
    np.testing.assert_array_equal(temp.values, 19.5)
