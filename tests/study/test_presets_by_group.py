"""Presets by land-use group in a study: nothing applied by default (no emission factors ->
no emissions, no scenarios -> the Markov trend), presets resolved through the class table's
groups, and ``validate`` refusing what ``run`` would refuse."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landcarbon.errors import ConfigError
from landcarbon.raster import write_raster
from landcarbon.study.config import load_study
from landcarbon.study.run import build_steps, run_study
from landcarbon.testing import make_raster, one_error_line, run_cli

NO_FACTORS = """
[study]
name = "storage only"

[synthetic]
shape = [20, 30]
seed = 4

[inputs]
categorical = ["lu2000", "lu2020"]
classes = "cnlucc"

[rasters]
lu2000 = "synthetic_data/landuse_2000.tif"
lu2020 = "synthetic_data/landuse_2020.tif"

[carbon]
maps = { "2000" = "lu2000", "2020" = "lu2020" }
pools = "henan_table1"
"""


def test_no_emission_factors_means_no_emissions_and_says_so(tmp_path: Path):
    (tmp_path / "study.toml").write_text(NO_FACTORS)
    result = run_study(tmp_path / "study.toml", tmp_path / "out")
    out = tmp_path / "out/carbon"
    assert not list(out.rglob("emissions*"))
    account = json.loads((out / "2020/account.json").read_text())
    assert account["emissions"].startswith("not computed: no emission_factors in [carbon]")
    assert not any(k.startswith("emissions_") for k in account)
    assert account["storage_t_c"] > 0
    comparison = pd.read_csv(out / "comparison.csv", index_col=0)
    assert list(comparison.columns) == ["storage_t_c"]
    assert comparison.loc[2020, "storage_t_c"] == pytest.approx(account["storage_t_c"])
    assert "not computed: no emission_factors" in result.report.read_text()  # type: ignore[union-attr]


TREND = """
[study]
name = "trend only"
seed = 1

[synthetic]
shape = [30, 40]
seed = 4

[inputs]
categorical = ["lu2010", "lu2020"]
classes = "cnlucc"

[rasters]
lu2010 = "synthetic_data/landuse_2010.tif"
lu2020 = "synthetic_data/landuse_2020.tif"
dem = "synthetic_data/dem.tif"

[simulation]
t0 = "lu2010"
t1 = "lu2020"
years = [2010, 2020]
target_year = 2030
drivers = ["dem"]
model = "flus"
suitability = "ann"
sample_rate = 0.2

[carbon]
maps = { "2020" = "lu2020", "2030" = "simulation.trend" }
pools = "henan_table1"
"""


@pytest.mark.filterwarnings("ignore:lbfgs failed to converge")
def test_a_simulation_without_scenarios_runs_the_markov_trend(tmp_path: Path):
    (tmp_path / "study.toml").write_text(TREND)
    result = run_study(tmp_path / "study.toml", tmp_path / "out")
    records = {r.name: r for r in result.records}
    assert [n for n in records if n.startswith("simulation_")] == [
        "simulation_suitability",
        "simulation_trend",
        "simulation_areas",  # the trend's class areas and map beside 2020
    ]
    assert (tmp_path / "out/landuse/simulation/trend/lulc_trend_2030.tif").is_file()
    assert records["carbon_2030"].summary["storage_t_c"] > 0


def _lu(d: Path) -> None:
    lu = make_raster(np.array([[10, 20, 90], [10, 10, 20]], dtype=np.int32))
    write_raster(lu, d / "lu.tif")


GROUPED = """
[study]
name = "codes 10/20/90"

[inputs]
categorical = ["lu"]
classes = "classes"

[rasters]
lu = "lu.tif"

[tables]
classes = "classes.csv"
pools = "pools.csv"

[landuse]
maps = {{ "2020" = "lu" }}

[carbon]
maps = {{ "2020" = "lu" }}
pools = "pools"
emission_factors = "arid_muus"
{extra}
"""


def _grouped(d: Path, groups: str, extra: str = "") -> Path:
    _lu(d)
    (d / "classes.csv").write_text(groups)
    (d / "pools.csv").write_text(
        "code,c_above,c_below,c_soil,c_dead\n10,1,0,0,0\n20,2,0,0,0\n90,3,0,0,0\n"
    )
    (d / "study.toml").write_text(GROUPED.format(extra=extra))
    return d / "study.toml"


def test_codes_mapped_to_groups_get_the_presets_values(tmp_path: Path):
    study = _grouped(
        tmp_path, "code,name,group\n10,paddy,cropland\n20,wood,forest\n90,sand,unused\n"
    )
    assert run_cli("validate", str(study)).returncode == 0
    result = run_study(study, tmp_path / "out")
    summary = {r.name: r.summary for r in result.records}["carbon_2020"]
    # arid_muus by group: cropland 0.42, forest -0.64, barren 0.05 t C/ha/yr, 0.09 ha cells
    # 3 x 0.09 x 0.42 + 2 x 0.09 x -0.64 + 1 x 0.09 x 0.05 = 0.1134 - 0.1152 + 0.0045 = 0.0027
    assert summary["emissions_land_use_t_c_yr"] == pytest.approx(0.0027, rel=1e-12)
    # pools by code: 3 x 1 + 2 x 2 + 1 x 3 = 10 t C/ha x 0.09 ha
    assert summary["storage_t_c"] == pytest.approx(0.9, rel=1e-12)


def _one_error(proc, *parts: str) -> None:  # type: ignore[no-untyped-def]
    line = one_error_line(proc)
    for part in parts:
        assert part in line, (part, line)


def test_validate_refuses_a_preset_on_ungrouped_classes(tmp_path: Path):
    study = _grouped(tmp_path, "code,name\n10,paddy\n20,wood\n90,sand\n")
    _one_error(
        run_cli("validate", str(study)),
        "emissions_arid_muus.toml is keyed by land-use group",
        "class code(s) [10, 20, 90]",
        "classes.csv have no group",
        "give each class a group",
    )


def test_validate_refuses_an_unknown_group_with_did_you_mean(tmp_path: Path):
    study = _grouped(
        tmp_path, "code,name,group\n10,paddy,cropland\n20,wood,forrest\n90,sand,barren\n"
    )
    _one_error(
        run_cli("validate", str(study)),
        "classes.csv: column 'group': row 3 (code 20): 'forrest' is not a land-use group",
        "(did you mean 'forest'?)",
        "use one of cropland, forest",
    )


def test_validate_refuses_a_group_the_preset_lacks(tmp_path: Path):
    study = _grouped(
        tmp_path, "code,name,group\n10,paddy,cropland\n20,reed,wetland\n90,sand,barren\n"
    )
    _one_error(
        run_cli("validate", str(study)),
        "no row for the group of class code(s) 20 (wetland)",
    )


def test_energy_without_emission_factors_is_refused(tmp_path: Path):
    (tmp_path / "study.toml").write_text(NO_FACTORS + "energy_t_c = 10.0\n")
    with pytest.raises(ConfigError, match=r"energy_t_c given without emission_factors"):
        build_steps(load_study(tmp_path / "study.toml"))


def test_validate_checks_every_table_against_every_map(tmp_path: Path):
    study = _grouped(
        tmp_path, "code,name,group\n10,paddy,cropland\n20,wood,forest\n90,sand,barren\n"
    )
    (tmp_path / "pools.csv").write_text(
        "code,c_above,c_below,c_soil,c_dead\n10,1,0,0,0\n20,2,0,0,0\n"
    )
    _one_error(
        run_cli("validate", str(study)),
        "pools.csv: codes found in [carbon.maps] 2020 = the map lu",
        "but missing from the table: 90 (1 cells); add a row for each code",
    )
    assert not (tmp_path / "out").exists()
    assert run_cli("run", str(study), "--out", str(tmp_path / "out")).returncode == 1


def test_validate_checks_scenarios_against_the_maps_classes(tmp_path: Path):
    for name, data in (("a", [[1, 2], [2, 2]]), ("b", [[1, 1], [2, 2]])):
        write_raster(make_raster(np.array(data, dtype=np.int32)), tmp_path / f"{name}.tif")
    write_raster(make_raster(np.ones((2, 2))), tmp_path / "dem.tif")
    (tmp_path / "study.toml").write_text(
        '[study]\nname = "x"\n[inputs]\ncategorical = ["a", "b"]\nclasses = "cnlucc"\n'
        '[rasters]\na = "a.tif"\nb = "b.tif"\ndem = "dem.tif"\n'
        '[simulation]\nt0 = "a"\nt1 = "b"\nyears = [2000, 2010]\ntarget_year = 2020\n'
        'drivers = ["dem"]\nscenarios = "arid"\nnames = ["economic_development"]\n'
    )
    _one_error(
        run_cli("validate", str(tmp_path / "study.toml")),
        "scenario 'economic_development' names class code(s) [3, 4, 5], absent from the "
        "land-use maps (classes [1, 2])",
    )
    text = (
        (tmp_path / "study.toml").read_text().replace("economic_development", "economic_developmnt")
    )
    (tmp_path / "study.toml").write_text(text)
    _one_error(
        run_cli("validate", str(tmp_path / "study.toml")),
        "[simulation] names 'economic_developmnt' (did you mean 'economic_development'?): "
        "not scenarios",
    )


def _two_maps(d: Path, classes: str) -> str:
    _lu(d)
    write_raster(make_raster(np.ones((2, 3))), d / "dem.tif")
    (d / "classes.csv").write_text(classes)
    return (
        '[study]\nname = "x"\n[inputs]\ncategorical = ["lu"]\nclasses = "classes"\n'
        '[rasters]\nlu = "lu.tif"\ndem = "dem.tif"\n[tables]\nclasses = "classes.csv"\n'
        '[landuse]\nmaps = { "2020" = "lu" }\n'
    )


def test_sinks_count_the_cropland_group_as_cultivated(tmp_path: Path):
    from landcarbon.study.chapters.sinks import cultivated_codes

    head = _two_maps(tmp_path, "code,group\n10,cropland\n20,forest\n90,unused\n11,farmland\n")
    (tmp_path / "study.toml").write_text(head)
    assert cultivated_codes(load_study(tmp_path / "study.toml")) == (10, 11)
    (tmp_path / "classes.csv").write_text("code,group\n10,cropland\n20,\n90,unused\n")
    with pytest.raises(ConfigError, match=r"class code\(s\) \[20\] of .*classes.csv have no group"):
        cultivated_codes(load_study(tmp_path / "study.toml"))


def test_validate_checks_the_erosion_tables_against_the_land_use_map(tmp_path: Path):
    head = _two_maps(tmp_path, "code,group\n10,cropland\n20,forest\n90,unused\n")
    (tmp_path / "tables.toml").write_text(
        "[[land_use]]\ncode = 10\nb = 1\ne = 1\nt = 0.4\n[[soil]]\ncode = 1\nk = 0.02\n"
        "soc_g_per_kg = 10\n"
    )
    write_raster(make_raster(np.ones((2, 3), dtype=np.int32)), tmp_path / "soil.tif")
    text = (
        head.replace("[tables]\n", '[tables]\nerosion = "tables.toml"\n')
        .replace('categorical = ["lu"]', 'categorical = ["lu", "soil"]')
        .replace('dem = "dem.tif"\n', 'dem = "dem.tif"\nsoil = "soil.tif"\n')
    )
    text += '[erosion]\ndem = "dem"\nprecipitation = "dem"\nsoil = "soil"\nlanduse = "lu"\n'
    text += 'tables = "erosion"\nregion = "south_red_soil"\n'
    (tmp_path / "study.toml").write_text(text)
    _one_error(
        run_cli("validate", str(tmp_path / "study.toml")),
        "tables.toml [[land_use]]: codes found in [erosion] the map lu",
        "missing from the table: 20 (2 cells), 90 (1 cells)",
    )
    # by group: every class of the class table gets its group's row
    (tmp_path / "tables.toml").write_text(
        (tmp_path / "tables.toml").read_text().replace("code = 10\n", 'group = "cropland"\n', 1)
    )
    _one_error(
        run_cli("validate", str(tmp_path / "study.toml")),
        "no row for the group of class code(s) 20 (forest), 90 (barren)",
    )
