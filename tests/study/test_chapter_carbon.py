"""The [carbon] chapter: storage, emissions, balance index, NEP and soil carbon of a study,
checked against a direct computation from the preset tables."""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landcarbon.classes import named_scheme
from landcarbon.datasets import synthetic_region
from landcarbon.groups import class_groups
from landcarbon.raster import read_raster
from landcarbon.study.config import load_study
from landcarbon.study.run import build_steps, run_study

STUDY = """
[study]
name = "carbon chapter"

[synthetic]
shape = [50, 60]
seed = 4

[inputs]
classes = "cnlucc"
categorical = ["lu2000", "lu2020"]

[rasters]
lu2000 = "synthetic_data/landuse_2000.tif"
lu2020 = "synthetic_data/landuse_2020.tif"
npp = "synthetic_data/npp.tif"
tmon = "synthetic_data/monthly_temperature.tif"
pmon = "synthetic_data/monthly_precipitation.tif"
soc_top = "synthetic_data/soc_topsoil.tif"
soc_sub = "synthetic_data/soc_subsoil.tif"

[carbon]
pools = "henan_table1"
maps = { "2000" = "lu2000", "2020" = "lu2020" }
emission_factors = "arid_muus"
price_per_t_c = 43.0
nep = { npp = "npp", temperature = "tmon", precipitation = "pmon" }
soil = { topsoil_organic = "soc_top", subsoil_organic = "soc_sub" }
"""


def _preset(name: str) -> dict[int, dict[str, float]]:
    text = (resources.files("landcarbon") / "presets" / name).read_text()
    rows = next(v for v in tomllib.loads(text).values() if isinstance(v, list))
    groups = class_groups(named_scheme("cnlucc"))
    code = {g: c for c, g in groups.items()}  # presets are keyed by group
    return {code[r["group"]]: r for r in rows}


def test_carbon_chapter_totals_match_a_direct_computation(tmp_path: Path):
    (tmp_path / "study.toml").write_text(STUDY)
    result = run_study(tmp_path / "study.toml", tmp_path / "out")
    summaries = {r.name: r.summary for r in result.records}
    region = synthetic_region((50, 60), seed=4)
    pools = _preset("carbon_henan_table1.toml")
    factors = _preset("emissions_arid_muus.toml")
    for year in ("2000", "2020"):
        lu = region[f"landuse_{year}"].values
        density = np.vectorize(
            lambda c: sum(pools[c][p] for p in ("c_above", "c_below", "c_soil", "c_dead"))
        )(lu)
        storage = density.sum() * 0.09  # 30 m cells = 0.09 ha
        assert summaries[f"carbon_{year}"]["storage_t_c"] == pytest.approx(storage, rel=1e-12)
        ef = np.vectorize(lambda c: factors[c]["factor_t_c_per_ha_yr"])(lu)
        assert summaries[f"carbon_{year}"]["emissions_land_use_t_c_yr"] == pytest.approx(
            ef.sum() * 0.09, rel=1e-12, abs=1e-9
        )
    seq = summaries["carbon_2020"]["sequestration_t_c"]
    assert seq == pytest.approx(
        summaries["carbon_2020"]["storage_t_c"] - summaries["carbon_2000"]["storage_t_c"], rel=1e-9
    )
    comparison = pd.read_csv(tmp_path / "out/carbon/comparison.csv", index_col=0)
    row = comparison.loc[2020]
    assert row["storage_t_c"] == summaries["carbon_2020"]["storage_t_c"]
    assert row["emissions_t_c_yr"] == summaries["carbon_2020"]["emissions_total_t_c_yr"]
    if row["emissions_t_c_yr"] > 0:
        assert row["balance_index"] == pytest.approx(row["storage_t_c"] / row["emissions_t_c_yr"])
    # NEP = NPP - Rh cell by cell; soil carbon = 0.3 topsoil + 0.7 subsoil
    nep = read_raster(tmp_path / "out/carbon/nep_g_c_per_m2_yr.tif").values
    rh = read_raster(tmp_path / "out/carbon/rh_g_c_per_m2_yr.tif").values
    np.testing.assert_allclose(nep + rh, region["npp"].values, rtol=1e-5, atol=1e-3)
    soil = read_raster(tmp_path / "out/carbon/soil_carbon_t_c_per_ha.tif").values
    np.testing.assert_allclose(
        soil, 0.3 * region["soc_topsoil"].values + 0.7 * region["soc_subsoil"].values, rtol=1e-5
    )
    manifest = json.loads(result.manifest.read_text())
    assert any("InVEST" in c for c in manifest["citations"])


def test_no_pools_or_classes_is_refused_not_defaulted(tmp_path: Path):
    # never a silent default: [carbon] pools must be named, and a preset keyed by group
    # needs [inputs] classes to reach the map's codes (no CNLUCC fallback)
    from landcarbon.errors import ConfigError, TableError

    (tmp_path / "study.toml").write_text(STUDY.replace('pools = "henan_table1"\n', ""))
    with pytest.raises(ConfigError, match=r"carbon\.pools: required key is missing"):
        run_study(tmp_path / "study.toml", tmp_path / "out")
    (tmp_path / "study.toml").write_text(STUDY.replace('classes = "cnlucc"\n', ""))
    with pytest.raises(TableError, match=r"carbon_henan_table1\.toml is keyed by land-use group"):
        run_study(tmp_path / "study.toml", tmp_path / "out")


def test_chunked_study_equals_in_memory(tmp_path: Path):
    # the same study with [compute] chunks = 16 runs storage, emissions and transfer
    # matrices on dask blocks; every total must equal the in-memory run
    text = STUDY.replace(
        "[carbon]", '[landuse]\nmaps = { "2000" = "lu2000", "2020" = "lu2020" }\n\n[carbon]'
    )
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "study.toml").write_text(text)
    (tmp_path / "b" / "study.toml").write_text(text + "\n[compute]\nchunks = 16\n")
    a = {
        r.name: r.summary for r in run_study(tmp_path / "a/study.toml", tmp_path / "a/out").records
    }
    b = {
        r.name: r.summary for r in run_study(tmp_path / "b/study.toml", tmp_path / "b/out").records
    }
    for step in ("carbon_2000", "carbon_2020", "transfer_2000_2020"):
        for key, value in a[step].items():
            assert b[step][key] == pytest.approx(value, rel=1e-12), (step, key)
    ha_a = pd.read_csv(tmp_path / "a/out/landuse/transfer_2000_2020/transfer_ha.csv")
    ha_b = pd.read_csv(tmp_path / "b/out/landuse/transfer_2000_2020/transfer_ha.csv")
    pd.testing.assert_frame_equal(ha_a, ha_b)


CLIMATE_STUDY = """
[study]
name = "climate-corrected pools"

[synthetic]
shape = [20, 30]
seed = 4

[inputs]
classes = "cnlucc"
categorical = ["lu2020"]

[rasters]
lu2020 = "synthetic_data/landuse_2020.tif"

[carbon]
pools = "henan_table1"
maps = { "2020" = "lu2020" }
climate = { precipitation_mm = 700, temperature_c = 16, reference_precipitation_mm = 628, \
reference_temperature_c = 9, dead = "soil" }
"""


def test_climate_key_scales_the_pools_before_the_account(tmp_path: Path):
    (tmp_path / "study.toml").write_text(CLIMATE_STUDY)
    result = run_study(tmp_path / "study.toml", tmp_path / "out")
    summaries = {r.name: r.summary for r in result.records}
    # hand factors (METHODS.md section 2), region 700 mm / 16 °C against 628 mm / 9 °C:
    k_bp = np.exp(0.0054 * (700 - 628))  # 6.798 cancels: exp(0.3888) = 1.47518
    k_bt = (28 * 16 + 398) / (28 * 9 + 398)  # 846 / 650 = 1.30154
    k_s = (3.3968 * 700 + 3996.1) / (3.3968 * 628 + 3996.1)  # 6373.86 / 6129.2904
    k_b = k_bp * k_bt  # "product", the default variant
    factors = summaries["carbon_climate"]["climate_factors"]
    assert factors == pytest.approx({"k_bp": k_bp, "k_bt": k_bt, "k_b": k_b, "k_s": k_s})
    pools = _preset("carbon_henan_table1.toml")
    table = pd.read_csv(tmp_path / "out/carbon/pools_corrected.csv", index_col="lucode")
    for code, row in pools.items():
        assert table.loc[code, "c_above"] == pytest.approx(row["c_above"] * k_b, rel=1e-15)
        assert table.loc[code, "c_soil"] == pytest.approx(row["c_soil"] * k_s, rel=1e-15)
        assert table.loc[code, "c_dead"] == pytest.approx(row["c_dead"] * k_s, rel=1e-15)
    lu = synthetic_region((20, 30), seed=4)["landuse_2020"].values
    # otypes: else np.vectorize takes the first cell's type, int for a barren cell (0 + 0)
    per_cell = np.vectorize(lambda c, a, b: pools[c][a] + pools[c][b], otypes=[float])
    biomass = per_cell(lu, "c_above", "c_below").sum()
    soil_dead = per_cell(lu, "c_soil", "c_dead").sum()
    storage = (biomass * k_b + soil_dead * k_s) * 0.09  # 30 m cells = 0.09 ha
    assert summaries["carbon_2020"]["storage_t_c"] == pytest.approx(storage, rel=1e-12)
    assert storage != pytest.approx((biomass + soil_dead) * 0.09, rel=1e-3)


def test_climate_coefficients_come_from_the_study_file(tmp_path: Path):
    # C_BT = 25 T + 398 instead of Chen et al.'s 28 T + 398; the other relations kept
    text = CLIMATE_STUDY.replace(
        'dead = "soil" }', 'dead = "soil", coefficients = { biomass_t_slope = 25.0 } }'
    )
    (tmp_path / "study.toml").write_text(text)
    result = run_study(tmp_path / "study.toml", tmp_path / "out", steps=["carbon_climate"])
    factors = {r.name: r.summary for r in result.records}["carbon_climate"]["climate_factors"]
    k_bt = (25 * 16 + 398) / (25 * 9 + 398)  # 798 / 623
    k_bp = np.exp(0.0054 * (700 - 628))
    assert factors["k_bt"] == pytest.approx(k_bt, rel=1e-15)
    assert factors["k_b"] == pytest.approx(k_bp * k_bt, rel=1e-15)


def test_bad_climate_coefficient_is_refused_naming_the_key(tmp_path: Path):
    from landcarbon.testing import one_error_line, run_cli

    text = CLIMATE_STUDY.replace(
        'dead = "soil" }', 'dead = "soil", coefficients = { soil_p_slope = -1 } }'
    )
    (tmp_path / "study.toml").write_text(text)
    line = one_error_line(run_cli("validate", str(tmp_path / "study.toml")))
    assert "carbon.climate.coefficients.soil_p_slope" in line and "must be > 0" in line


ENSEMBLE_STUDY = """
[study]
name = "carbon totals across Monte Carlo runs"
seed = 3

[synthetic]
shape = [40, 50]
seed = 4

[inputs]
classes = "cnlucc"
categorical = ["lu2010", "lu2020"]

[rasters]
lu2010 = "synthetic_data/landuse_2010.tif"
lu2020 = "synthetic_data/landuse_2020.tif"
dem = "synthetic_data/dem.tif"
dist_roads = "synthetic_data/dist_roads.tif"

[simulation]
t0 = "lu2010"
t1 = "lu2020"
years = [2010, 2020]
target_year = 2030
drivers = ["dem", "dist_roads"]
scenarios = "arid"
names = ["natural_development", "ecological_protection"]
model = "flus"
suitability = "ann"
sample_rate = 0.2
runs = 3

[carbon]
pools = "henan_table1"
emission_factors = "arid_muus"
climate = { precipitation_mm = 700, temperature_c = 16, reference_precipitation_mm = 628, \
reference_temperature_c = 9 }
[carbon.maps]
"2020" = "lu2020"
"2030_natural" = "simulation.natural_development"
"2030_ecological" = "simulation.ecological_protection"
"""


@pytest.mark.filterwarnings("ignore:lbfgs failed to converge")
def test_monte_carlo_runs_give_carbon_totals_with_intervals(tmp_path: Path):
    (tmp_path / "study.toml").write_text(ENSEMBLE_STUDY)
    result = run_study(tmp_path / "study.toml", tmp_path / "out")
    out = tmp_path / "out"
    records = {r.name: r for r in result.records}
    # the ensemble files are declared outputs of the scenario step
    folder = out / "landuse/simulation/natural_development"
    assert set(records["simulation_natural_development"].outputs) >= {
        f"simulation.natural_development.{k}" for k in ("runs", "areas", "frequency", "agreement")
    }
    # agreement = the largest class share of each cell, at least 1/3 of the runs
    frequency = read_raster(folder / "class_frequency_natural_development_2030.tif", band=0)
    agreement = read_raster(folder / "class_agreement_natural_development_2030.tif").values
    np.testing.assert_allclose(agreement, frequency.max("band").values, rtol=1e-7)
    assert np.nanmin(agreement) >= 1 / 3 - 1e-7 and np.nanmax(agreement) == 1.0
    # densities of the climate-corrected table, not of the preset (that differ by K_B, K_S)
    pools = pd.read_csv(out / "carbon/pools_corrected.csv", index_col="lucode")
    pool_names = ["c_above", "c_below", "c_soil", "c_dead"]
    density = pools[pool_names].sum(axis=1)
    preset = _preset("carbon_henan_table1.toml")
    assert density[1] != pytest.approx(sum(preset[1][p] for p in pool_names), rel=1e-3)
    factors = _preset("emissions_arid_muus.toml")
    summary = pd.read_csv(out / "carbon/uncertainty_summary.csv", index_col="scenario")
    assert list(summary.index) == ["natural_development", "ecological_protection"]
    converged = 0
    for scenario, label in (
        ("natural_development", "2030_natural"),
        ("ecological_protection", "2030_ecological"),
    ):
        runs = pd.read_csv(out / f"landuse/simulation/{scenario}/runs_{scenario}.csv")
        totals = pd.read_csv(out / f"carbon/uncertainty_{scenario}.csv")
        assert totals["run"].tolist() == [0, 1, 2]
        codes = [int(c.removeprefix("area_ha_")) for c in runs if c.startswith("area_ha_")]
        storage = sum(runs[f"area_ha_{c}"] * density[c] for c in codes)
        emissions = sum(runs[f"area_ha_{c}"] * factors[c]["factor_t_c_per_ha_yr"] for c in codes)
        np.testing.assert_allclose(totals["storage_t_c"], storage, rtol=1e-12)
        np.testing.assert_allclose(totals["emissions_t_c_yr"], emissions, rtol=1e-12, atol=1e-9)
        row = summary.loc[scenario]
        assert row["map"] == label and row["runs"] == 3
        assert row["storage_t_c_min"] <= row["storage_t_c_p50"] <= row["storage_t_c_max"]
        assert row["storage_t_c_p2_5"] <= row["storage_t_c_p50"] <= row["storage_t_c_p97_5"]
        assert row["storage_t_c_mean"] == pytest.approx(storage.mean(), rel=1e-12)
        step = records[f"carbon_uncertainty_{scenario}"].summary
        assert step["storage_t_c_p2_5"] == pytest.approx(row["storage_t_c_p2_5"], rel=1e-15)
        assert step["storage_t_c_p97_5"] == pytest.approx(row["storage_t_c_p97_5"], rel=1e-15)
        # the simulated map's own storage (map-based account) beside the interval
        assert row["map_storage_t_c"] == records[f"carbon_{label}"].summary["storage_t_c"]
        if runs["converged"].all():  # every run and the map meet the demand in cells: the
            # class-area totals then equal the map-based storage of the simulated map
            converged += 1
            np.testing.assert_allclose(totals["storage_t_c"], row["map_storage_t_c"], rtol=1e-12)
    assert converged >= 1


def test_change_runs_earlier_to_later_whatever_the_baseline(tmp_path: Path):
    """baseline = 2020 (the demo's): the 2000 map's change reads 2000 → 2020 and its
    by-class table holds 2000's areas (it said "2020 → 2000" with 2020's areas)."""
    text = STUDY.split("price_per_t_c")[0] + 'baseline = "2020"\n'
    (tmp_path / "study.toml").write_text(text)
    result = run_study(tmp_path / "study.toml", tmp_path / "out")
    step = next(
        s for s in build_steps(load_study(tmp_path / "study.toml")) if s.name == "carbon_2000"
    )
    docs = {o.name: o.doc for o in step.outputs}
    assert docs["carbon.2000.change"] == "carbon change 2000 → 2020"
    assert step.outputs[0].path == "carbon/2000/c_storage_bas.tif"
    region = synthetic_region((50, 60), seed=4)
    lu2000, lu2020 = (region[f"landuse_{y}"].values for y in ("2000", "2020"))
    by_class = pd.read_csv(tmp_path / "out/carbon/2000/carbon_by_class.csv").set_index("code")
    # the tables name the classes as [inputs] classes does (cnlucc: "cropland", ...), not
    # as the group-keyed presets do ("arable land", ...)
    names = {c: name for c, (name, _) in named_scheme("cnlucc").classes.items()}
    assert list(by_class["name"]) == [names[c] for c in by_class.index]
    emissions = pd.read_csv(tmp_path / "out/carbon/2000/emissions_by_class.csv")
    assert list(emissions["name"]) == [names[c] for c in emissions["code"]]
    for code in by_class.index:
        assert by_class.loc[code, "area_ha"] == pytest.approx((lu2000 == code).sum() * 0.09)
        assert by_class.loc[code, "baseline_area_ha"] == pytest.approx(
            (lu2020 == code).sum() * 0.09
        )
    summaries = {r.name: r.summary for r in result.records}
    # 2000's own storage, and the sequestration 2000 → 2020 (later minus earlier)
    pools = _preset("carbon_henan_table1.toml")
    density = np.vectorize(
        lambda c: sum(pools[c][p] for p in ("c_above", "c_below", "c_soil", "c_dead"))
    )
    s2000, s2020 = density(lu2000).sum() * 0.09, density(lu2020).sum() * 0.09
    assert summaries["carbon_2000"]["storage_t_c"] == pytest.approx(s2000, rel=1e-12)
    assert summaries["carbon_2000"]["sequestration_t_c"] == pytest.approx(s2020 - s2000, rel=1e-9)


def test_a_later_maps_table_by_class_leads_with_its_own_storage(tmp_path: Path):
    """baseline 2000 (the first map): carbon/2020/carbon_by_class.csv holds 2020's cells,
    areas and pools, 2000's area and storage as baseline_*, and the change 2020 - 2000 by
    class (its main columns were 2000's, beside a summary of 2020's storage)."""
    text = STUDY.split("price_per_t_c")[0]
    (tmp_path / "study.toml").write_text(text)
    result = run_study(tmp_path / "study.toml", tmp_path / "out")
    region = synthetic_region((50, 60), seed=4)
    lu2000, lu2020 = (region[f"landuse_{y}"].values for y in ("2000", "2020"))
    pools = _preset("carbon_henan_table1.toml")
    by_class = pd.read_csv(tmp_path / "out/carbon/2020/carbon_by_class.csv").set_index("code")
    assert list(by_class.columns[-3:]) == ["baseline_area_ha", "baseline_total_t_c", "change_t_c"]
    for code in by_class.index:
        density = sum(pools[code][p] for p in ("c_above", "c_below", "c_soil", "c_dead"))
        now, then = (lu2020 == code).sum(), (lu2000 == code).sum()
        assert by_class.loc[code, "cells"] == now
        assert by_class.loc[code, "c_soil_t_c"] == pytest.approx(now * 0.09 * pools[code]["c_soil"])
        assert by_class.loc[code, "total_t_c"] == pytest.approx(now * 0.09 * density, rel=1e-12)
        assert by_class.loc[code, "baseline_area_ha"] == pytest.approx(then * 0.09)
        assert by_class.loc[code, "baseline_total_t_c"] == pytest.approx(then * 0.09 * density)
        assert by_class.loc[code, "change_t_c"] == pytest.approx(
            (now - then) * 0.09 * density, abs=1e-9
        )
    summary = {r.name: r.summary for r in result.records}["carbon_2020"]
    assert by_class["total_t_c"].sum() == pytest.approx(summary["storage_t_c"], rel=1e-12)


RH_STUDY = (
    STUDY
    + """soil_thickness_m = [0.2, 0.8]

[carbon.rh]
temperature_coef = 0.0913
"""
)


def test_rh_constants_and_soil_thickness_come_from_the_study_file(tmp_path: Path):
    # the county study's eq. 2 coefficient 0.0913 (not Pei et al.'s 0.0912), every other
    # constant kept; the annual Rh recomputed by hand month by month
    (tmp_path / "study.toml").write_text(RH_STUDY)
    run_study(tmp_path / "study.toml", tmp_path / "out", steps=["carbon_nep", "carbon_soil"])
    region = synthetic_region((50, 60), seed=4)
    t = region["monthly_temperature"].values.astype(np.float64)
    r = region["monthly_precipitation"].values.astype(np.float64)
    by_hand = (0.22 * (np.exp(0.0913 * t) + np.log(0.3145 * r + 1.0)) * 30 * 0.465).sum(axis=0)
    rh = read_raster(tmp_path / "out/carbon/rh_g_c_per_m2_yr.tif").values
    np.testing.assert_allclose(rh, by_hand, rtol=1e-6)
    pei = (0.22 * (np.exp(0.0912 * t) + np.log(0.3145 * r + 1.0)) * 30 * 0.465).sum(axis=0)
    assert np.abs(rh - pei).min() > 1e-3  # the coefficient really changed Rh
    soil = read_raster(tmp_path / "out/carbon/soil_carbon_t_c_per_ha.tif").values
    np.testing.assert_allclose(
        soil, 0.2 * region["soc_topsoil"].values + 0.8 * region["soc_subsoil"].values, rtol=1e-5
    )
    steps = {s.name: s for s in build_steps(load_study(tmp_path / "study.toml"))}
    params = steps["carbon_nep"].params  # the constants used, recorded in the manifest
    assert params["temperature_coef"] == 0.0913 and params["scale"] == 0.22


@pytest.mark.parametrize(
    ("line", "key", "fix"),
    [
        ("temperature_coef = 2.0", "carbon.rh.temperature_coef", "must be <= 1"),
        ("multiplier = 0", "carbon.rh.multiplier", "must be > 0"),
        ("temperature_coeff = 0.0913", "carbon.rh.temperature_coeff", "did you mean"),
    ],
)
def test_bad_rh_constant_is_refused_naming_the_key(tmp_path: Path, line: str, key: str, fix: str):
    from landcarbon.testing import one_error_line, run_cli

    (tmp_path / "study.toml").write_text(STUDY + f"\n[carbon.rh]\n{line}\n")
    message = one_error_line(run_cli("validate", str(tmp_path / "study.toml")))
    assert "study.toml" in message and key in message and fix in message


def test_energy_mask_from_the_study_file_limits_the_cells(tmp_path: Path):
    # [carbon] energy_mask: only built-up cells receive the 1000 t C/yr, by population
    from landcarbon.raster import write_raster

    region = synthetic_region((50, 60), seed=4)
    built = (region["landuse_2020"] == 5).astype("int32")
    (tmp_path / "extra").mkdir()
    write_raster(built, tmp_path / "extra/built.tif")
    text = STUDY.replace(
        'soc_sub = "synthetic_data/soc_subsoil.tif"\n',
        'soc_sub = "synthetic_data/soc_subsoil.tif"\npop = "synthetic_data/population.tif"\n'
        'built = "extra/built.tif"\n',
    ).replace(
        'emission_factors = "arid_muus"\n',
        'emission_factors = "arid_muus"\nenergy_t_c = 1000.0\nenergy_weights = "pop"\n'
        'energy_mask = "built"\n',
    )
    (tmp_path / "study.toml").write_text(text)
    # the allocation is the same for every map: the first map's step writes it, once
    run_study(tmp_path / "study.toml", tmp_path / "out", steps=["carbon_2000"])
    energy = read_raster(tmp_path / "out/carbon/2000/energy_t_c_per_cell.tif").values
    inside = built.values == 1
    assert np.nansum(energy[inside]) == pytest.approx(1000.0, rel=1e-9)
    assert np.nan_to_num(energy[~inside]).max() == 0.0
    pop = region["population"].values[inside]
    np.testing.assert_allclose(energy[inside], 1000.0 * pop / pop.sum(), rtol=1e-5)


def test_energy_options_without_energy_are_refused(tmp_path: Path):
    from landcarbon.testing import one_error_line, run_cli

    text = STUDY.replace(
        'emission_factors = "arid_muus"\n',
        'emission_factors = "arid_muus"\nenergy_zero_weight = "area"\n',
    )
    (tmp_path / "study.toml").write_text(text)
    line = one_error_line(run_cli("validate", str(tmp_path / "study.toml")))
    assert "energy_zero_weight given without energy emissions" in line and "energy_t_c" in line


TINY_STUDY = """
[study]
name = "balance index by cell"

[inputs]
classes = "cnlucc"
categorical = ["lu"]

[rasters]
lu = "lu.tif"
population = "population.tif"

[carbon]
pools = "henan_table1"
maps = { "2020" = "lu" }
emission_factors = "arid_muus"
"""


@pytest.mark.parametrize("energy", [False, True])
def test_balance_index_map_is_cs_over_ce_of_every_cell(tmp_path: Path, energy: bool):
    """The arid-region study's CO = CS/CE per cell, by hand on a 2 x 3 map of the six
    CNLUCC classes (30 m cells, 0.09 ha): storage density x area over emission factor x
    area (plus the cell's energy share); NaN where CE <= 0; Σ CS / Σ CE over the cells is
    the study-level index of the comparison step."""
    from landcarbon.raster import write_raster
    from landcarbon.testing import make_raster

    lu = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int32)
    write_raster(make_raster(lu), tmp_path / "lu.tif")
    population = np.array([[1.0, 0.0, 0.0], [0.0, 3.0, 0.0]])  # 10 t C/yr: 2.5 and 7.5
    write_raster(make_raster(population), tmp_path / "population.tif")
    text = TINY_STUDY
    if energy:
        text += 'energy_t_c = 10.0\nenergy_weights = "population"\n'
    (tmp_path / "study.toml").write_text(text)
    result = run_study(tmp_path / "study.toml", tmp_path / "out")
    pools = _preset("carbon_henan_table1.toml")
    factors = _preset("emissions_arid_muus.toml")
    parts = ("c_above", "c_below", "c_soil", "c_dead")
    cs = np.vectorize(lambda c: sum(pools[c][p] for p in parts))(lu) * 0.09  # t C per cell
    ce = np.vectorize(lambda c: factors[c]["factor_t_c_per_ha_yr"])(lu) * 0.09  # t C/yr
    if energy:
        ce = ce + 10.0 * population / population.sum()
    expected = np.where(ce > 0, cs / np.where(ce > 0, ce, 1.0), np.nan)
    written = read_raster(tmp_path / "out/carbon/2020/balance_index_yr.tif")
    np.testing.assert_allclose(written.values, expected, rtol=1e-6)
    assert np.isnan(written.values[0, 1]) and np.isnan(written.values[0, 2])  # sinks: no CE
    assert written.attrs.get("units") == "yr"
    summaries = {r.name: r.summary for r in result.records}
    study_index = summaries["carbon_comparison"]["balance_index"]["2020"]
    assert cs.sum() / ce.sum() == pytest.approx(study_index, rel=1e-9)


def test_supply_demand_maps_by_hand(tmp_path: Path):
    # [carbon] supply_demand: S = NEP x area, D = emission factor x area (no energy here),
    # both t C/yr per cell (30 m cells: 0.09 ha); ESDR = (S - D) / ((S_max + D_max) / 2)
    text = STUDY.replace(
        'emission_factors = "arid_muus"\n',
        'emission_factors = "arid_muus"\nsupply_demand = "2020"\n',
    )
    (tmp_path / "study.toml").write_text(text)
    run_study(tmp_path / "study.toml", tmp_path / "out", steps=["carbon_2020"])
    folder = tmp_path / "out" / "carbon" / "2020"
    nep = read_raster(tmp_path / "out/carbon/nep_g_c_per_m2_yr.tif").values.astype(np.float64)
    factor = read_raster(folder / "emissions_t_c_per_ha.tif").values.astype(np.float64)
    supply, demand = nep * 0.01 * 0.09, factor * 0.09
    valid = np.isfinite(supply) & np.isfinite(demand)
    half = (supply[valid].max() + demand[valid].max()) / 2
    esdr = read_raster(folder / "supply_demand_esdr.tif").values
    np.testing.assert_allclose(esdr[valid], ((supply - demand) / half)[valid], rtol=2e-5, atol=1e-6)
    assert np.isnan(esdr[~valid]).all()
    zones = read_raster(folder / "supply_demand_zones.tif", "categorical").values
    by_hand = np.where(esdr > 0, 3, np.where(esdr < 0, 1, 2))
    np.testing.assert_array_equal(zones[valid], by_hand[valid])
    quadrants = read_raster(folder / "supply_demand_quadrants.tif", "categorical").values
    high_s = supply >= supply[valid].mean()
    high_d = demand >= demand[valid].mean()
    expected = np.where(high_s & high_d, 1, np.where(~high_s & high_d, 2, np.where(~high_s, 3, 4)))
    agree = (quadrants[valid] == expected[valid]).mean()
    assert agree > 0.999  # cells within float rounding of a mean may differ
    assert {1, 3} <= set(np.unique(zones[valid])) and len(np.unique(quadrants[valid])) >= 3


@pytest.mark.parametrize(
    ("extra", "drop", "words"),
    [
        ('supply_demand = "2035"\n', "", "not a label of [carbon] maps (2000, 2020)"),
        ('supply_demand = "2020"\n', "nep = ", "needs nep"),
    ],
)
def test_bad_supply_demand_is_one_error_line(tmp_path: Path, extra: str, drop: str, words: str):
    from landcarbon.testing import one_error_line, run_cli

    text = STUDY.replace("[carbon]\n", "[carbon]\n" + extra)
    if drop:
        text = "\n".join(line for line in text.splitlines() if not line.startswith(drop))
    (tmp_path / "study.toml").write_text(text)
    line = one_error_line(run_cli("validate", str(tmp_path / "study.toml")))
    assert "supply_demand" in line and words in line, line
