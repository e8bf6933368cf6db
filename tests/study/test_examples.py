"""The bundled examples are valid studies; a run killed with SIGKILL and rerun equals an
uninterrupted run, byte for byte."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from landcarbon.study.config import load_study
from landcarbon.study.examples import example_names, example_path, install_example
from landcarbon.study.pipeline import plan
from landcarbon.study.run import build_steps, input_artifacts, run_study


@pytest.mark.parametrize("name", example_names())
def test_example_is_a_valid_study_with_a_plan(name: str, tmp_path: Path):
    study = load_study(install_example(name, tmp_path))  # synthetic layers not yet made
    steps = plan(build_steps(study), input_artifacts(study))
    assert steps and all(s.outputs for s in steps)
    assert "Runs on the synthetic region" in example_path(name).read_text()


def test_every_chapter_has_an_example():
    from landcarbon.study.chapters import BUILDERS, load_all

    load_all()
    used = set()
    for name in example_names():
        used |= set(load_study(example_path(name), check_files=False).chapters)
    assert used == set(BUILDERS)


def _digests(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.suffix in {".tif", ".csv"} and "report" not in p.parts
    }


STUDY = """
[study]
name = "kill test"
seed = 5

[synthetic]
shape = [120, 140]

[inputs]
categorical = ["lu2000", "lu2020", "vegetation"]
classes = "cnlucc"

[rasters]
lu2000 = "synthetic_data/landuse_2000.tif"
lu2020 = "synthetic_data/landuse_2020.tif"
vegetation = "synthetic_data/vegetation.tif"
npp = "synthetic_data/npp.tif"
tmon = "synthetic_data/monthly_temperature.tif"
pmon = "synthetic_data/monthly_precipitation.tif"
soc_top = "synthetic_data/soc_topsoil.tif"
soc_sub = "synthetic_data/soc_subsoil.tif"
dem = "synthetic_data/dem.tif"
slope = "synthetic_data/slope.tif"

[tables]
vegetation_density = "tables/vegetation_density.csv"

[landuse]
maps = { "2000" = "lu2000", "2020" = "lu2020" }

[carbon]
maps = { "2000" = "lu2000", "2020" = "lu2020" }
pools = "henan_table1"
nep = { npp = "npp", temperature = "tmon", precipitation = "pmon" }
soil = { topsoil_organic = "soc_top", subsoil_organic = "soc_sub" }

[sinks]
nep = "carbon.nep"
soil_carbon = "carbon.soil"
vegetation = "vegetation"
vegetation_density = "vegetation_density"
landuse = "lu2020"
levels = "wensu_county"
strategies = "wensu_county"
min_area_ha = 10.0
factors = { slope = "slope", elevation = "dem" }
"""


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_outputs(tmp_path: Path):
    study = install_example("county_sinks", tmp_path)  # for its tables/ folder
    study.write_text(STUDY)
    run_study(study, tmp_path / "whole")
    expected = _digests(tmp_path / "whole")
    out = tmp_path / "killed"
    cmd = [
        sys.executable,
        "-c",
        "from landcarbon.cli import main; main()",
        "-q",
        "run",
        str(study),
        "--out",
        str(out),
    ]
    proc = subprocess.Popen(cmd, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if len(list((out / ".cache").glob("*.json"))) >= 2:  # some steps done, not all
            break
        time.sleep(0.05)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = len(list((out / ".cache").glob("*.json")))
    result = run_study(study, out)
    assert finished < len(result.records)  # it really was cut off
    assert [r.status for r in result.records].count("cached") == finished
    assert _digests(out) == expected
    assert not list(out.rglob("*.partial*"))


@pytest.mark.parametrize("name", example_names())
def test_every_step_declares_units_docs_and_sources(name: str, tmp_path: Path):
    study = load_study(install_example(name, tmp_path))
    for step in build_steps(study):
        assert step.doc and step.cite, step.name
        for output in step.outputs:
            if output.kind in ("raster", "table", "png"):
                assert output.doc and output.units, (step.name, output.name)
            assert not Path(output.path).is_absolute()


def test_steps_command_lists_inputs_and_outputs(tmp_path: Path):
    import json

    from typer.testing import CliRunner

    from landcarbon.cli import app

    study = install_example("county_sinks", tmp_path)
    result = CliRunner().invoke(app, ["--json", "steps", str(study)])
    assert result.exit_code == 0, result.output
    steps = {s["name"]: s for s in json.loads(result.stdout)["steps"]}
    assert list(steps)[-1] == "sinks"  # after the carbon steps it needs
    assert "carbon.nep" in steps["sinks"]["inputs"]


ARID_CE = {1: 0.42, 2: -0.64, 3: -0.02, 4: 0.0, 5: 1.82, 6: 0.05}
"""The arid study's emission coefficients (t C/ha/yr), section 1.3.2 (1): cropland, forest,
grassland, water, impervious surface (built-up), unused land."""


def _balance_2020(study: Path, out: Path) -> tuple[float, float, float]:
    """(CS, CE, CS/CE) of the 2020 map from the example's carbon_2020 step alone."""
    result = run_study(study, out, steps=["carbon_2020"])
    summary = {r.name: r.summary for r in result.records}["carbon_2020"]
    cs, ce = summary["storage_t_c"], summary["emissions_total_t_c_yr"]
    return cs, ce, cs / ce


def test_arid_example_follows_its_paper_and_the_energy_variant_is_separate(tmp_path: Path):
    from landcarbon.datasets import synthetic_region

    study = install_example("arid_budget_scenarios", tmp_path / "paper")
    loaded = load_study(study, check_files=False)
    carbon = loaded.chapters["carbon"]
    assert not (carbon.energy_t_c or carbon.fuels or carbon.energy_weights)
    # section 2.4.1: the simulation is validated (the paper's Kappa 0.82) on a known year
    assert loaded.chapters["validation"].years == (2000, 2010, 2020)
    cs, ce, index = _balance_2020(study, tmp_path / "paper/out")
    # CE = sum of area x coefficient over the classes only (0.09 ha per 30 m cell)
    lu = synthetic_region((500, 500), seed=0)["landuse_2020"].values
    by_hand = sum(f * int((lu == code).sum()) * 0.09 for code, f in ARID_CE.items())
    assert ce == pytest.approx(by_hand, rel=1e-12)
    assert index == pytest.approx(9033.23, abs=0.01)  # the synthetic region's 2020
    variant = install_example("arid_budget_with_energy", tmp_path / "variant")
    assert "variant" in load_study(variant, check_files=False).study.name
    cs_e, ce_e, index_e = _balance_2020(variant, tmp_path / "variant/out")
    assert cs_e == pytest.approx(cs, rel=1e-12)
    assert ce_e == pytest.approx(by_hand + 25000.0, rel=1e-9)  # energy added on top
    assert index_e == pytest.approx(75.84, abs=0.01)


def test_county_example_follows_eqs_2_and_3():
    sec = load_study(example_path("county_sinks"), check_files=False).chapters["carbon"]
    rh = sec.rh.parameters()
    # eq. 2 (English text): Rh = 0.22 [exp(0.0913 T) + ln(0.3145 A + 1)] x 30 x 46.5 %
    assert (rh.scale, rh.temperature_coef, rh.precipitation_coef) == (0.22, 0.0913, 0.3145)
    assert (rh.days_per_month, rh.multiplier) == (30.0, 0.465)
    assert sec.soil_thickness_m == (0.3, 0.7)  # eq. 3


HENAN_TABLE_1 = {  # t C/ha: aboveground, belowground, soil (100 cm), dead (province study)
    1: (4.85, 0.92, 58.2, 2.84),  # arable land
    2: (20.92, 7.53, 67.3, 54.2),  # forest land
    3: (1.63, 8.48, 60.2, 2.19),  # grassland
    4: (0.0, 0.0, 62.1, 0.0),  # waters
    5: (0.0, 0.0, 60.0, 0.0),  # built-up land
    6: (0.0, 0.0, 53.3, 0.0),  # unused land
}


def test_province_example_uses_table_1_on_a_1_km_grid():
    from landcarbon.carbon.storage import POOLS, pools_preset
    from landcarbon.classes import named_scheme

    study = load_study(example_path("province_balance"), check_files=False)
    assert study.synthetic is not None and study.synthetic.cell_size == 1000.0
    assert study.chapters["carbon"].pools == "henan_table1"
    table = pools_preset("henan_table1", named_scheme("cnlucc"))
    for code, densities in HENAN_TABLE_1.items():
        got = tuple(float(table.column(pool)[code]) for pool in POOLS)
        assert got == densities, code


@pytest.mark.slow
def test_the_arid_example_runs_end_to_end_on_a_100_cell_region(tmp_path: Path):
    """Issue 17 item 5: on a 100 x 100 synthetic region the arid example stopped for want
    of forest gains in the training sample (2 cells of forest gain on a map 69 % forest),
    and on 64 x 64 for want of water (a scenario forbids water -> built-up); it now runs
    every scenario to its 2035 map. (At 64 x 64 it now stops with advice instead: 115
    cells changed, too few for a 5 % training sample of every gaining class.)"""
    import numpy as np

    from landcarbon.raster import read_raster
    from landcarbon.testing import run_cli

    study = install_example("arid_budget_scenarios", tmp_path)
    study.write_text(study.read_text().replace("shape = [500, 500]", "shape = [100, 100]"))
    out = tmp_path / "out"
    proc = run_cli("-q", "run", str(study), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    before = read_raster(tmp_path / "synthetic_data" / "landuse_2020.tif", "categorical").values
    for scenario in ("natural_development", "economic_development", "ecological_protection"):
        sim = out / "landuse" / "simulation" / scenario / f"lulc_{scenario}_2035.tif"
        after = read_raster(sim, "categorical").values
        assert after.shape == (100, 100)
        assert np.sum(after == 5) > np.sum(before == 5)  # the towns grew
        assert np.sum(after == 4) == np.sum(before == 4)  # water is never built on
