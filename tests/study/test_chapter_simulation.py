"""The [simulation] chapter with target_years: years simulated in sequence, each year's
demand the t0 -> t1 Markov chain projected from t1, each allocation from the year before;
the erosion chapter's climate x land-use x year table takes the per-year maps."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landcarbon.classes import named_scheme
from landcarbon.errors import ConfigError
from landcarbon.groups import class_groups
from landcarbon.landuse.change import transfer_matrix
from landcarbon.landuse.conversion import ConversionMatrix
from landcarbon.landuse.markov import project_demand, transition_probabilities
from landcarbon.landuse.scenarios import apply_to_markov, load_scenarios, preset_path
from landcarbon.raster import read_raster
from landcarbon.study.config import load_study
from landcarbon.study.examples import install_example
from landcarbon.study.run import build_steps, run_study

SCENARIOS = {"bau": "business_as_usual", "restoration": "ecological_restoration"}
YEARS = (2030, 2040)
CNLUCC_GROUPS = class_groups(named_scheme("cnlucc"))
"""The example names its classes ([inputs] classes = "cnlucc"): the preset's groups map so."""


def _study(tmp_path: Path, simulation_years: str, runs: int = 1) -> Path:
    """The erosion_climate example on a 100 x 110 grid, simulating ``simulation_years``
    (a ``target_year = ...`` or ``target_years = [...]`` line), the ANN trained on a 20 %
    sample (1 % of so small a grid leaves built-up short of its demand), its erosion maps
    for 2030 and 2040 only."""
    study = install_example("erosion_climate", tmp_path)
    text = study.read_text().replace("shape = [400, 400]", "shape = [200, 200]")
    text = re.sub(r"target_years = \[[^\]]*\].*", simulation_years, text)
    text = text.replace('model = "flus"', f'model = "flus"\nruns = {runs}')
    text = re.sub(r"\w+_20[56]0 = .*\n", "", text)  # keep the 2030 and 2040 maps
    study.write_text(text)
    return study


@pytest.fixture(scope="module")
def chained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("chained")
    study = _study(tmp, "target_years = [2030, 2040]")
    out = tmp / "out"
    with pytest.warns(Warning):  # the FLUS ANN's lbfgs on a small sample
        run_study(study, out)
    return study, out


def _lulc(out: Path, scenario: str, year: int) -> np.ndarray:
    path = out / f"landuse/simulation/{scenario}/{year}/lulc_{scenario}_{year}.tif"
    return np.asarray(read_raster(path, "categorical").values)


def _counts(values: np.ndarray, codes: list[int]) -> np.ndarray:
    return np.array([(values == c).sum() for c in codes])


def test_one_map_and_demand_table_per_scenario_and_year(chained: tuple[Path, Path]):
    _, out = chained
    for scenario in SCENARIOS.values():
        for year in YEARS:
            folder = out / f"landuse/simulation/{scenario}/{year}"
            assert (folder / f"lulc_{scenario}_{year}.tif").exists()
            assert (folder / f"demand_{scenario}.csv").exists()
        # no single-year artifact in the chained form
        assert not (out / f"landuse/simulation/{scenario}/lulc_{scenario}_2040.tif").exists()


def _allocated(out: Path, scenario: str, year: int, codes: list[int]) -> tuple[list, list]:
    """(class counts of the simulated map, demand less the residual the allocation reports)."""
    folder = out / f"landuse/simulation/{scenario}/{year}"
    summary = json.loads((folder / "summary.json").read_text())
    residual = [summary["residual_cells"][str(c)] for c in codes]
    demand = [summary["demand_cells"][str(c)] for c in codes]
    counts = _counts(_lulc(out, scenario, year), codes).tolist()
    return counts, [d - r for d, r in zip(demand, residual, strict=True)]


def test_each_year_has_its_markov_demand_projected_from_t1(chained: tuple[Path, Path]):
    study, out = chained
    data = study.parent / "synthetic_data_400"
    t0 = read_raster(data / "landuse_2010.tif", "categorical")
    t1 = read_raster(data / "landuse_2020.tif", "categorical")
    codes = sorted(int(c) for c in np.unique(t1.values[t1.values > 0]))
    # independent BAU demand: t1 counts times the row-normalised 2010 -> 2020 transfer
    # matrix to the power (year - 2020) / 10 (whole steps here), cells +-1 for rounding
    a, b = t0.values.ravel(), t1.values.ravel()
    cross = np.array([[np.sum((a == i) & (b == j)) for j in codes] for i in codes], float)
    p = cross / cross.sum(axis=1, keepdims=True)
    start = _counts(t1.values, codes).astype(float)
    tp = transition_probabilities(transfer_matrix(t0, t1, years=(2010, 2020)))
    restoration = apply_to_markov(
        tp,
        load_scenarios(preset_path("redsoil"), CNLUCC_GROUPS)[SCENARIOS["restoration"]],
    )
    for year in YEARS:
        by_hand = start @ np.linalg.matrix_power(p, (year - 2020) // 10)
        demand = {
            "business_as_usual": by_hand,
            "ecological_restoration": [
                project_demand(restoration, year).cells_by_code()[c] for c in codes
            ],
        }
        for scenario, expected in demand.items():
            table = pd.read_csv(
                out / f"landuse/simulation/{scenario}/{year}/demand_{scenario}.csv", index_col=0
            )
            np.testing.assert_allclose(table["cells"], expected, atol=1.0)
            # the map holds the demand less the residual the allocation reports: 0 when it
            # converges (demand_tolerance 0); on this 200 x 200 grid FLUS locks in with
            # built-up short of its fast-growing demand (docs/allocation.md, lock-in)
            counts, allocated = _allocated(out, scenario, year, codes)
            assert counts == allocated == table["allocated_cells"].tolist()
    # 2040 is a further Markov step from t1: its demand differs from 2030's
    assert not np.allclose(start @ p, start @ p @ p, atol=1.0)


def test_scenario_area_table_changes_are_the_maps_count_differences(chained: tuple[Path, Path]):
    study, out = chained
    t1 = read_raster(study.parent / "synthetic_data_400" / "landuse_2020.tif", "categorical")
    table = pd.read_csv(out / "landuse/simulation/scenario_areas.csv", index_col="class")
    codes = table["code"].tolist()
    # the class names of the study's scheme (cnlucc), not codes
    cnlucc = named_scheme("cnlucc").legend(codes)
    assert list(table.index) == [cnlucc[c][0] for c in codes]
    np.testing.assert_allclose(table["2020 (ha)"], _counts(t1.values, codes) * 0.09, rtol=1e-12)
    for scenario in SCENARIOS.values():
        for year in YEARS:
            counts = _counts(_lulc(out, scenario, year), codes)
            got = table[f"{scenario} {year} change (ha)"]
            expected = (counts - _counts(t1.values, codes)) * 0.09  # 30 m cells
            np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)
            np.testing.assert_allclose(table[f"{scenario} {year} (ha)"], counts * 0.09)
            assert got.abs().sum() > 0


def test_scenario_panels_and_every_suitability_band_are_exported(chained: tuple[Path, Path]):
    from PIL import Image

    def png_dpi(path: Path) -> float:  # PIL reads the pHYs chunk
        with Image.open(path) as image:
            return float(image.info["dpi"][0])

    _, out = chained
    figures = out / "report" / "figures"
    for year in YEARS:
        assert (out / f"landuse/simulation/scenarios_{year}.png").stat().st_size > 1000
        assert png_dpi(figures / f"scenarios_{year}.png") == pytest.approx(300, abs=0.01)
        svg = (figures / f"scenarios_{year}.svg").read_text()
        assert svg.count('<g id="axes_') >= 3  # the 2020 map and both scenarios
    assert png_dpi(figures / "suitability.png") == pytest.approx(300, abs=0.01)
    manifest = json.loads((out / "manifest.json").read_text())
    step = next(s for s in manifest["steps"] if s["name"] == "simulation_suitability")
    assert "suitability.svg" in " ".join(step["outputs"].values())


def test_suitability_is_named_by_its_method_with_a_map_per_class(tmp_path: Path):
    from landcarbon.study.chapters import simulation

    study = load_study(_study(tmp_path, "target_years = [2030, 2040]"))
    (step,) = [s for s in build_steps(study) if s.name == "simulation_suitability"]
    docs = {o.name: o.doc for o in step.outputs}
    assert docs["simulation.suitability"] == "development probability by class (FLUS ANN)"
    assert "PLUS LEAS" not in " ".join(docs.values())
    assert simulation.METHODS == {"leas": "PLUS LEAS", "ann": "FLUS ANN"}


def _suitability_run(study: Path, out: Path) -> subprocess.CompletedProcess[str]:
    from landcarbon.testing import run_cli

    return run_cli("run", str(study), "--out", str(out), "--steps", "simulation_suitability")


@pytest.fixture(scope="module")
def arid_suitability(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The arid example (PLUS LEAS) on a 120 x 120 region, its suitability step run by
    `landcarbon run` in memory (``out_study``) and with [compute] chunks = 48 (chunks of 48,
    48 and 24 cells a side; ``out_chunked``)."""
    tmp = tmp_path_factory.mktemp("arid_suitability")
    study = install_example("arid_budget_scenarios", tmp)
    text = study.read_text().replace("shape = [500, 500]", "shape = [120, 120]")
    text = re.sub(r"\nsample_rate = [0-9.]+", "\nsample_rate = 0.5", text)  # 120^2: few changes
    text = re.sub(r"\nn_trees = [0-9]+", "\nn_trees = 10", text)
    study.write_text(text)
    (tmp / "chunked.toml").write_text(text + "\n[compute]\nchunks = 48\n")
    for name in ("study", "chunked"):
        proc = _suitability_run(tmp / f"{name}.toml", tmp / f"out_{name}")
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr
    return tmp


def test_chunked_suitability_step_writes_the_same_layers_as_in_memory(arid_suitability: Path):
    """The same probability file byte for byte, and the same contributions."""
    import rasterio

    memory, chunked = (
        arid_suitability / f"out_{n}/landuse/simulation" for n in ("study", "chunked")
    )
    tif = "suitability.tif"
    assert (memory / tif).read_bytes() == (chunked / tif).read_bytes()
    csv = "driver_contribution.csv"
    assert (memory / csv).read_text() == (chunked / csv).read_text()
    with rasterio.open(chunked / tif) as ds:
        layers = ds.read(masked=True)
        assert ds.count == 6 and ds.dtypes[0] == "float32"
    assert 0 <= layers.min() and layers.max() <= 1 and layers.max() > 0.5


def test_chunked_suitability_with_driver_holes_is_one_error_line(
    arid_suitability: Path, tmp_path: Path
):
    """A driver with no data on 3 land-use cells, chunked: the error names the driver, the
    cell count and the fix, as in memory; nothing is written."""
    import rasterio

    shutil.copytree(arid_suitability / "synthetic_data", tmp_path / "synthetic_data")
    shutil.copytree(arid_suitability / "tables", tmp_path / "tables")
    with rasterio.open(tmp_path / "synthetic_data/dem.tif", "r+") as ds:
        dem = ds.read(1)
        dem[60, 40:43] = np.nan  # across no chunk border: 3 cells of the chunk (1, 0)
        ds.write(dem, 1)
    text = (arid_suitability / "chunked.toml").read_text()
    (tmp_path / "chunked.toml").write_text(re.sub(r"\[synthetic\]\n(?:(?!\[).*\n)*", "", text))
    proc = _suitability_run(tmp_path / "chunked.toml", tmp_path / "out")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines[0] == "compute: dask threads x1"  # what `run` says before it starts
    (error,) = lines[1:]
    assert error.startswith("error: drivers have no data where land use is valid: dem (3 cells)")
    assert "missing = 'exclude'" in error
    assert not (tmp_path / "out/landuse/simulation/suitability.tif").exists()


def test_2040_changes_the_2030_map_only_where_the_scenario_allows(chained: tuple[Path, Path]):
    _, out = chained
    scenario = load_scenarios(preset_path("redsoil"), CNLUCC_GROUPS)["ecological_restoration"]
    before = _lulc(out, "ecological_restoration", 2030)
    after = _lulc(out, "ecological_restoration", 2040)
    codes = sorted(int(c) for c in np.unique(before[before > 0]))
    allowed = ConversionMatrix.from_scenario(codes, scenario).allowed
    index = {c: i for i, c in enumerate(codes)}
    changed = before != after
    assert changed.any()
    pairs = {(int(f), int(t)) for f, t in zip(before[changed], after[changed], strict=True)}
    assert all(allowed[index[f], index[t]] for f, t in pairs)
    # forest (protected) of the simulated 2030 map stays forest: the allocation started
    # from that map, not from the 2020 one
    assert np.all(after[before == 2] == 2)
    assert (after == 2).sum() >= (before == 2).sum()


def test_erosion_table_has_a_row_per_scenario_climate_and_year(chained: tuple[Path, Path]):
    _, out = chained
    table = pd.read_csv(out / "erosion/scenarios.csv")
    keys = set(zip(table["land_use_scenario"], table["climate"], table["year"], strict=True))
    assert len(table) == len(keys) == 2 * 2 * 2
    assert keys == {(s, c, y) for s in SCENARIOS for c in ("ssp245", "ssp585") for y in YEARS}
    # wetter climate, more soil loss on the same map (R grows with precipitation)
    wide = table.pivot_table(
        index=["land_use_scenario", "year"], columns="climate", values="total_t"
    )
    assert (wide["ssp585"] > wide["ssp245"]).all()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("target_years = [2030, 2040]\ntarget_year = 2040", "exactly one of target_year"),
        ("", "exactly one of target_year"),
        ("target_years = [2010, 2030]", "start at or after the t1 year 2020"),
    ],
)
def test_target_years_are_checked(tmp_path: Path, line: str, message: str):
    study = load_study(_study(tmp_path, line))
    with pytest.raises(ConfigError, match=message):
        build_steps(study)


def test_decreasing_target_years_are_refused_when_the_study_loads(tmp_path: Path):
    with pytest.raises(
        ConfigError,
        match=r"simulation.target_years: must increase strictly, got \[2040.0, 2030.0\]",
    ):
        load_study(_study(tmp_path, "target_years = [2040, 2030]"))


def test_an_ensemble_needs_the_single_year_form(tmp_path: Path):
    with pytest.raises(ConfigError, match="ensemble is made for a single year only"):
        build_steps(load_study(_study(tmp_path, "target_years = [2030, 2040]", runs=3)))
    steps = build_steps(load_study(_study(tmp_path / "b", "target_year = 2040", runs=3)))
    names = {o.name for s in steps for o in s.outputs}
    assert {"simulation.business_as_usual", "simulation.business_as_usual.runs"} <= names


def test_every_allocation_knob_comes_from_the_study_file(tmp_path: Path):
    from landcarbon.landuse.allocation import CarsParameters, FlusParameters
    from landcarbon.study.chapters.simulation import allocation_parameters

    knobs = (
        "neighborhood = 5\nmax_iterations = 300\nneighborhood_weights = {1 = 0.3, 5 = 1.0}\n"
        "demand_tolerance = 2\nlock_in_iterations = 40\n"
        'accelerated_factor = 0.2\nflus_variant = "released"\nflus_compat = true\n'
    )
    study = load_study(_study(tmp_path, f"target_year = 2040\n{knobs}"))
    params = allocation_parameters(study, study.chapters["simulation"])
    assert params == FlusParameters(
        neighborhood=5,
        max_iterations=300,
        neighborhood_weights={1: 0.3, 5: 1.0},
        demand_tolerance=2,
        lock_in_iterations=40,
        accelerated_factor=0.2,
        flus_compat=True,
    )
    # the step carries them: its cache key changes with them
    steps = {s.name: s for s in build_steps(study)}
    assert steps["simulation_business_as_usual"].params["flus_compat"] is True
    plus = (
        "patch_generation_threshold = 0.9\nexpansion_coefficient = {1 = 0.2, 2 = 0.05}\n"
        "percentage_of_seeds = 0.001\ndecay_step = 25\ntransition_plan = true\n"
    )
    text = _study(tmp_path / "p", f"target_year = 2040\n{plus}").read_text()
    (tmp_path / "p" / "study.toml").write_text(text.replace('model = "flus"', 'model = "plus"'))
    study = load_study(tmp_path / "p" / "study.toml")
    assert allocation_parameters(study, study.chapters["simulation"]) == CarsParameters(
        patch_generation_threshold=0.9,
        expansion_coefficient={1: 0.2, 2: 0.05},
        percentage_of_seeds=0.001,
        decay_step=25,
        transition_plan=True,
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("patch_generation_threshold = 0.9", "patch_generation_threshold: not used by model"),
        ("neighborhood = 4", "neighborhood = 4: the window size must be an odd number"),
        ("neighborhood = 1", "simulation.neighborhood: 1 is out of range: must be >= 3"),
        ("accelerated_factor = 1.5", "simulation.accelerated_factor: 1.5 is out of range"),
        ("neighborhood_weights = {forest = 0.5}", "keys ['forest'] are not class codes"),
        ("neighborhood_weights = {1 = 2.0}", "simulation.neighborhood_weights.1: 2.0 is out"),
        ('flus_variant = "paper"\nflus_compat = true', "use it with variant = 'released'"),
        ('flus_variant = "draft"', "simulation.flus_variant: 'draft' is not allowed"),
    ],
)
def test_bad_allocation_knob_is_one_error_line(tmp_path: Path, line: str, message: str):
    from landcarbon.testing import one_error_line, run_cli

    study = _study(tmp_path, f"target_year = 2040\n{line}")
    error = one_error_line(run_cli("run", str(study), "--out", str(tmp_path / "out")))
    assert message in error, error
    assert str(study) in error or study.name in error


def test_a_scenario_that_misses_its_demand_is_a_warning_on_the_command_line(tmp_path: Path):
    from landcarbon.testing import run_cli

    study = _study(tmp_path, "target_years = [2030, 2040]\nmax_iterations = 1")
    proc = run_cli("run", str(study), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    lines = [x for x in proc.stderr.splitlines() if "demand not met after 1 iterations" in x]
    for scenario in SCENARIOS.values():  # every scenario and year that stopped short
        folder = tmp_path / f"out/landuse/simulation/{scenario}"
        for year in YEARS:
            summary = json.loads((folder / f"{year}/summary.json").read_text())
            said = [x for x in lines if f"scenario {scenario!r} {year}:" in x]
            assert said == ([] if summary["converged"] else [said[0]]), proc.stderr
            assert summary["converged"] or said[0].startswith("warning: scenario ")
    assert lines, proc.stderr  # one iteration leaves some demand unmet
