"""The [validation] chapter: a known year simulated from two earlier maps with the study's
own [simulation] settings and compared with its observed map, side by side with
``landcarbon accuracy`` on the same three maps; bad years refused with one error line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio

from landcarbon.errors import LandcarbonWarning
from landcarbon.raster import read_raster
from landcarbon.study.run import run_study
from landcarbon.testing import one_error_line, run_cli

STUDY = """
[study]
name = "validation chapter"
seed = 3

[synthetic]
shape = [120, 130]
seed = 2

[inputs]
classes = "cnlucc"
categorical = ["lu2000", "lu2010", "lu2020"]

[rasters]
lu2000 = "synthetic_data/landuse_2000.tif"
lu2010 = "synthetic_data/landuse_2010.tif"
lu2020 = "synthetic_data/landuse_2020.tif"
dem = "synthetic_data/dem.tif"
slope = "synthetic_data/slope.tif"
dist_towns = "synthetic_data/dist_towns.tif"

[landuse]
maps = { "2000" = "lu2000", "2010" = "lu2010", "2020" = "lu2020" }

[simulation]
t0 = "lu2010"
t1 = "lu2020"
years = [2010, 2020]
target_year = 2030
drivers = ["dem", "slope", "dist_towns"]
sample_rate = 0.2
n_trees = 10

[validation]
years = [2000, 2010, 2020]
"""


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("validation")
    (tmp / "study.toml").write_text(STUDY)
    with pytest.warns(LandcarbonWarning, match="no cell changed into it"):  # water: no gain
        result = run_study(tmp / "study.toml", tmp / "out", steps=["validation"])
    assert [r.name for r in result.records] == ["validation"]  # needs no other step
    return tmp


def test_validation_equals_landcarbon_accuracy_on_the_same_maps(validated: Path):
    out = validated / "out"
    folder = out / "validation"
    data = validated / "synthetic_data"
    proc = run_cli(
        "--json",
        "accuracy",
        str(data / "landuse_2020.tif"),
        str(folder / "lulc_simulated_2020.tif"),
        "--initial",
        str(data / "landuse_2010.tif"),
        "--out",
        str(validated / "accuracy"),
    )
    assert proc.returncode == 0, proc.stderr
    cli = json.loads(proc.stdout)
    mine = json.loads((folder / "summary.json").read_text())
    for key in ("overall_accuracy", "kappa", "quantity_disagreement", "allocation_disagreement"):
        assert mine[key] == pytest.approx(cli[key], abs=1e-15), key
    assert mine["fom"] == pytest.approx(cli["fom"], abs=1e-15)
    assert 0 < mine["fom"] < 1 and 0 < mine["kappa"] < 1  # a real simulation, not a copy
    assert mine["fom_by_initial_class"] == pytest.approx(cli["fom_by_initial_class"])
    assert mine["fom_by_transition"] == pytest.approx(cli["fom_by_transition"])
    for key in ("hits", "misses", "wrong_hits", "false_alarms"):
        assert mine[key] == cli["fom_counts"][key]
    assert mine["quantity_disagreement"] + mine["allocation_disagreement"] == pytest.approx(
        1 - mine["overall_accuracy"]
    )
    for table in ("confusion", "fom_by_initial_class", "fom_by_transition"):
        pd.testing.assert_frame_equal(
            pd.read_csv(folder / f"{table}.csv"), pd.read_csv(validated / f"accuracy/{table}.csv")
        )
    # the per-class forms in summary.json are the rows of the tables
    by_initial = pd.read_csv(folder / "fom_by_initial_class.csv", index_col="code")
    for code, value in mine["fom_by_initial_class"].items():
        expected = by_initial.loc[int(code), "fom"]
        assert value == pytest.approx(expected) if value is not None else np.isnan(expected)
    assert set(mine["fom_by_transition"]) >= {"1->5", "3->1"}
    np.testing.assert_array_equal(
        read_raster(folder / "change_agreement.tif", "categorical").values,
        read_raster(validated / "accuracy/change_agreement.tif", "categorical").values,
    )


def test_validation_is_in_the_report_and_manifest(validated: Path):
    out = validated / "out"
    page = (out / "report/index.html").read_text()
    assert "change agreement 2010 -&gt; 2020" in page or "change agreement 2010 -> 2020" in page
    assert "Figure of Merit by initial class (Pontius et al. 2011, Eq. 10)" in page
    assert "confusion matrix" in page
    manifest = json.loads((out / "manifest.json").read_text())
    assert any("Pontius" in c for c in manifest["citations"])


@pytest.mark.parametrize(
    ("years", "words"),
    [
        ("[2000, 2010, 2015]", "2015 not a year of [landuse] maps (it has 2000, 2010, 2020)"),
        ("[2000, 2020, 2010]", "t2 must come after t1"),
        ("[2010, 2000, 2020]", "t1 must come after t0"),
        ("[2000, 2010]", "validation.years"),
    ],
)
def test_bad_validation_years_are_refused_with_one_line(tmp_path: Path, years: str, words: str):
    (tmp_path / "study.toml").write_text(
        STUDY.replace("years = [2000, 2010, 2020]", f"years = {years}")
    )
    line = one_error_line(run_cli("validate", str(tmp_path / "study.toml")))
    assert "study.toml" in line and words in line


def test_validation_without_simulation_is_refused(tmp_path: Path):
    start, end = STUDY.index("[simulation]"), STUDY.index("[validation]")
    (tmp_path / "study.toml").write_text(STUDY[:start] + STUDY[end:])
    line = one_error_line(run_cli("validate", str(tmp_path / "study.toml")))
    assert "[validation]" in line and "add one" in line


@pytest.mark.parametrize("chunks", [200, 48], ids=["one chunk", "uneven chunks"])
def test_chunked_validation_fits_its_suitability_on_chunks_and_equals_in_memory(
    validated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunks: int
):
    """With [compute] chunks the validation's own suitability reads its maps and drivers
    in chunks (dask, as the simulation's suitability step) and the simulated map, the
    tables and the summary are those of the in-memory run (one chunk; 48, 48, 24 x 48,
    48, 34 cells)."""
    seen = _dask_inputs_of_the_fit(monkeypatch)
    (tmp_path / "study.toml").write_text(STUDY + f"\n[compute]\nchunks = {chunks}\n")
    with pytest.warns(LandcarbonWarning, match="no cell changed into it"):
        run_study(tmp_path / "study.toml", tmp_path / "out", steps=["validation"])
    assert seen == [True] * 5  # t0, t1 and the three drivers
    memory, chunked = validated / "out/validation", tmp_path / "out/validation"
    tif = "lulc_simulated_2020.tif"
    assert (memory / tif).read_bytes() == (chunked / tif).read_bytes()
    assert json.loads((memory / "summary.json").read_text()) == json.loads(
        (chunked / "summary.json").read_text()
    )
    for name in ("confusion.csv", "fom_by_transition.csv"):
        assert (memory / name).read_bytes() == (chunked / name).read_bytes(), name
    # chunked, the change agreement map is computed and written block by block (the maps
    # are never whole): the same raster, laid out in the file in another order
    with (
        rasterio.open(memory / "change_agreement.tif") as ours,
        rasterio.open(chunked / "change_agreement.tif") as theirs,
    ):
        assert ours.profile == theirs.profile
        assert ours.tags(1) == theirs.tags(1)
        np.testing.assert_array_equal(ours.read(), theirs.read())


def _dask_inputs_of_the_fit(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each map and driver the validation's suitability is fitted on is dask
    (t0, t1, then the drivers, per fit), recorded in the list returned."""
    from landcarbon.backend import is_dask
    from landcarbon.study.chapters import validation

    seen: list[bool] = []
    fit = validation.fit_probability

    def spy(sec, t0, t1, drivers, seed):  # type: ignore[no-untyped-def]
        seen.extend(is_dask(a.data) for a in (t0, t1, *drivers.values()))
        return fit(sec, t0, t1, drivers, seed)

    monkeypatch.setattr(validation, "fit_probability", spy)
    return seen


def test_chunked_validation_with_a_chunk_all_nodata_equals_in_memory(
    validated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The region's maps with no land use on their top-left 48 x 48 cells (with
    [compute] chunks = 48, a chunk all nodata): the chunked validation writes the
    in-memory run's simulated map and summary."""
    import re
    import shutil

    import rasterio

    shutil.copytree(validated / "synthetic_data", tmp_path / "synthetic_data")
    for year in (2000, 2010, 2020):
        with rasterio.open(tmp_path / f"synthetic_data/landuse_{year}.tif", "r+") as ds:
            lulc = ds.read(1)
            lulc[:48, :48] = ds.nodata
            ds.write(lulc, 1)
    text = re.sub(r"\[synthetic\]\n(?:(?!\[).*\n)*", "", STUDY)  # the edited files as given
    seen = _dask_inputs_of_the_fit(monkeypatch)
    for chunks in (0, 48):
        (tmp_path / f"c{chunks}.toml").write_text(text + f"\n[compute]\nchunks = {chunks}\n")
        with pytest.warns(LandcarbonWarning, match="no cell changed into it"):
            run_study(tmp_path / f"c{chunks}.toml", tmp_path / f"out{chunks}", steps=["validation"])
    assert seen == [False] * 5 + [True] * 5  # in memory, then chunked
    memory, chunked = tmp_path / "out0/validation", tmp_path / "out48/validation"
    simulated = read_raster(chunked / "lulc_simulated_2020.tif", "categorical").values
    assert (simulated[:48, :48] < 0).all() and (simulated[48:] >= 0).all()
    tif = "lulc_simulated_2020.tif"
    assert (memory / tif).read_bytes() == (chunked / tif).read_bytes()
    assert json.loads((memory / "summary.json").read_text()) == json.loads(
        (chunked / "summary.json").read_text()
    )


def test_validation_that_misses_its_demand_says_so(tmp_path: Path):
    """A validation run that stops short of the Markov demand warns (its scores rate a map
    that missed it) and records its iterations, as a scenario step does."""
    from landcarbon.errors import UnmetDemandWarning

    text = STUDY.replace("n_trees = 10\n", "n_trees = 10\nmax_iterations = 1\n")
    (tmp_path / "study.toml").write_text(text)
    with (
        pytest.warns(LandcarbonWarning, match="no cell changed into it"),
        pytest.warns(UnmetDemandWarning, match=r"^\[validation\] .* not met after 1 iterations"),
    ):
        run_study(tmp_path / "study.toml", tmp_path / "out", steps=["validation"])
    summary = json.loads((tmp_path / "out" / "validation" / "summary.json").read_text())
    assert (summary["iterations"], summary["converged"]) == (1, False)
