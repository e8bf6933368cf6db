"""The [drivers] chapter: GeoDetector q of a study's drivers equals a direct computation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from scipy import stats as sps

from landcarbon.datasets import synthetic_region
from landcarbon.study.run import run_study

STUDY = """
[study]
name = "drivers chapter"

[synthetic]
shape = [40, 50]
seed = 3

[inputs]
categorical = ["landuse", "vegetation"]

[rasters]
npp = "synthetic_data/npp.tif"
landuse = "synthetic_data/landuse_2020.tif"
vegetation = "synthetic_data/vegetation.tif"

[drivers]
y = "npp"
x = ["landuse", "vegetation"]
sample = 0
"""


def _q(y: np.ndarray, strata: np.ndarray) -> float:
    """q = 1 - SSW/SST written out with a Python loop over strata (independent reference)."""
    sst = ((y - y.mean()) ** 2).sum()
    ssw = sum(((y[strata == s] - y[strata == s].mean()) ** 2).sum() for s in np.unique(strata))
    return float(1 - ssw / sst)


def test_drivers_chapter_q_matches_definition(tmp_path: Path):
    (tmp_path / "study.toml").write_text(STUDY)
    run_study(tmp_path / "study.toml", tmp_path / "out")
    data = json.loads((tmp_path / "out/drivers/geodetector.json").read_text())
    region = synthetic_region((40, 50), seed=3)
    y = region["npp"].values.astype(np.float32).astype(np.float64).ravel()  # stored float32
    for name, layer in (("landuse", "landuse_2020"), ("vegetation", "vegetation")):
        strata = region[layer].values.ravel()
        assert data["factor"][name]["q"] == pytest.approx(_q(y, strata), rel=1e-9)
    assert data["n"] == y.size
    assert (tmp_path / "out/drivers/q.png").stat().st_size > 3000


def _band(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read(1, masked=True).astype(np.float64).filled(np.nan).ravel()


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_correlation_p_matrix_matches_scipy(tmp_path: Path, method: str):
    # npp against slope is a weak correlation on the region of seed 20 (p 0.0022 pearson,
    # 5.3e-4 spearman), so the p matrix is checked away from 0 and 1 too
    study = STUDY.replace('x = ["landuse", "vegetation"]', 'x = ["landuse", "slope"]')
    study = study.replace("seed = 3", "seed = 20", 1)
    study = study.replace("[rasters]", '[rasters]\nslope = "synthetic_data/slope.tif"')
    (tmp_path / "study.toml").write_text(f'{study}correlation = "{method}"\n')
    run_study(tmp_path / "study.toml", tmp_path / "out")
    r = pd.read_csv(tmp_path / "out/drivers/correlation.csv", index_col=0)
    p = pd.read_csv(tmp_path / "out/drivers/correlation_p.csv", index_col=0)
    assert list(p.index) == list(p.columns) == ["npp", "landuse", "slope"]
    data = tmp_path / "synthetic_data"
    columns = {
        "npp": _band(data / "npp.tif"),
        "landuse": _band(data / "landuse_2020.tif"),
        "slope": _band(data / "slope.tif"),
    }
    reference = sps.pearsonr if method == "pearson" else sps.spearmanr
    for a in columns:
        for b in columns:
            if a != b:
                ref = reference(columns[a], columns[b])
                assert r.loc[a, b] == pytest.approx(ref.statistic, abs=1e-12)
                assert p.loc[a, b] == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-300)
    assert 1e-4 < p.loc["npp", "slope"] < 0.5
    assert (p.to_numpy().diagonal() == 0).all()  # r = 1 on the diagonal


def test_conventions_from_the_study_file_reach_the_detectors(tmp_path: Path):
    from landcarbon.raster import read_raster
    from landcarbon.stats.drivers import geodetector_rasters

    study = STUDY.replace('x = ["landuse", "vegetation"]', 'x = ["landuse", "slope"]')
    study = study.replace("[rasters]", '[rasters]\nslope = "synthetic_data/slope.tif"')
    options = (
        'singletons = "drop"\nnoncentrality = "population"\necological_rule = "q_ratio"\n'
        'alpha = 0.01\npermutations = 19\ndiscretize_methods = ["equal", "quantile"]\n'
        "discretize_k = [4, 7]\n"
    )
    (tmp_path / "study.toml").write_text(study + options)
    run_study(tmp_path / "study.toml", tmp_path / "out")
    data = json.loads((tmp_path / "out/drivers/geodetector.json").read_text())
    summary = json.loads((tmp_path / "out/drivers/summary.json").read_text())
    assert summary["conventions"] == data["conventions"]
    conventions = data["conventions"]
    assert conventions["singletons"].startswith("dropped")
    assert "population variance" in conventions["p_value"]
    assert conventions["ecological_rule"].startswith("q_ratio")
    assert conventions["discretization_search"] == {
        "methods": ["equal", "quantile"],
        "k": [4, 5, 6, 7],
    }
    assert data["ecological"]["rule"] == "q_ratio"
    assert sorted(data["discretization"]["slope"]["grid"]) == ["equal", "quantile"]
    # the same numbers as the detectors called directly with those conventions
    folder = tmp_path / "synthetic_data"
    direct = geodetector_rasters(
        read_raster(folder / "npp.tif"),
        {
            "landuse": read_raster(folder / "landuse_2020.tif", "categorical"),
            "slope": read_raster(folder / "slope.tif"),
        },
        discretize="auto",
        methods=("equal", "quantile"),
        ks=range(4, 8),
        keep_singletons=False,
        noncentrality="population",
        ecological_rule="q_ratio",
        alpha=0.01,
    )
    for name in ("landuse", "slope"):
        # 19 shuffles: p = (1 + hits) / 20
        hits = data["factor"][name]["p_permutation"] * 20
        assert hits == pytest.approx(round(hits)) and 1 <= round(hits) <= 20
        assert data["factor"][name]["q"] == pytest.approx(direct.factor[name].q, rel=1e-12)
        assert data["factor"][name]["p"] == pytest.approx(direct.factor[name].p, rel=1e-9)


def test_default_conventions_are_the_classic_ones(tmp_path: Path):
    (tmp_path / "study.toml").write_text(STUDY)
    run_study(tmp_path / "study.toml", tmp_path / "out")
    conventions = json.loads((tmp_path / "out/drivers/summary.json").read_text())["conventions"]
    assert conventions["singletons"].startswith("kept")
    assert "sample variance" in conventions["p_value"]
    assert conventions["ecological_rule"].startswith("ssw_ratio")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('singletons = "remove"', "drivers.singletons: 'remove' is not allowed"),
        ("discretize_k = [9, 4]", "drivers.discretize_k: must increase strictly"),
        ("discretize_k = [3, 80]", "drivers.discretize_k[1]"),
        ('discretize_methods = ["jenks"]', "drivers.discretize_methods[0]: 'jenks' is not allowed"),
    ],
)
def test_bad_convention_in_the_study_file(tmp_path: Path, line: str, message: str):
    from landcarbon.testing import one_error_line, run_cli

    (tmp_path / "study.toml").write_text(f"{STUDY}{line}\n")
    error = one_error_line(
        run_cli("run", str(tmp_path / "study.toml"), "--out", str(tmp_path / "o"))
    )
    assert message in error, error
    assert "study.toml" in error


def _slope_study(sample: int, correlation: str, chunks: int) -> str:
    study = STUDY.replace('x = ["landuse", "vegetation"]', 'x = ["landuse", "slope"]')
    study = study.replace("[rasters]", '[rasters]\nslope = "synthetic_data/slope.tif"')
    study = study.replace("sample = 0", f"sample = {sample}")
    return f'{study}correlation = "{correlation}"\n\n[compute]\nchunks = {chunks}\n'


def _run(tmp_path: Path, name: str, text: str) -> tuple[dict, dict]:
    (tmp_path / f"{name}.toml").write_text(text)
    run_study(tmp_path / f"{name}.toml", tmp_path / name)
    data = json.loads((tmp_path / name / "drivers/geodetector.json").read_text())
    return data, json.loads((tmp_path / name / "drivers/summary.json").read_text())


@pytest.mark.parametrize("chunks", [16, 24])
def test_chunked_study_equals_in_memory(tmp_path: Path, chunks: int):
    dense, _ = _run(tmp_path, "dense", _slope_study(0, "", 0))
    data, summary = _run(tmp_path, "chunked", _slope_study(0, "", chunks))
    assert data["n"] == dense["n"] == 2000
    slope, want = data["discretization"]["slope"], dense["discretization"]["slope"]
    assert (slope["method"], slope["k"]) == (want["method"], want["k"])
    assert summary["discretization"] == {"slope": {"method": want["method"], "k": want["k"]}}
    for name in ("landuse", "slope"):
        assert data["factor"][name]["q"] == pytest.approx(dense["factor"][name]["q"], abs=1e-12)
        assert data["risk"][name]["n"] == dense["risk"][name]["n"]
    pair = data["interaction"]["landuse:slope"]
    assert pair["q"] == pytest.approx(dense["interaction"]["landuse:slope"]["q"], abs=1e-12)
    assert summary["conventions"]["cells"] == "every valid cell (chunked: exact map-reduce sums)"
    assert dense["conventions"]["cells"] == "every valid cell"


def test_chunked_sampled_study_equals_in_memory_sample(tmp_path: Path):
    from landcarbon.raster import read_raster
    from landcarbon.stats.correlation import correlation_matrix
    from landcarbon.stats.drivers import sample_cells

    dense, _ = _run(tmp_path, "dense", _slope_study(700, "", 0))
    data, summary = _run(tmp_path, "chunked", _slope_study(700, "spearman", 16))
    for key in ("factor", "interaction", "discretization", "n", "conventions"):
        assert data[key] == dense[key], key
    assert data["conventions"]["cells"].startswith("a random sample of 700 valid cells (seed ")
    # the correlation of a chunked study is that of the same seeded sample, named in the summary
    folder = tmp_path / "synthetic_data"
    table = sample_cells(
        read_raster(folder / "npp.tif"),
        {
            "landuse": read_raster(folder / "landuse_2020.tif", "categorical"),
            "slope": read_raster(folder / "slope.tif"),
        },
        700,
        seed=int(data["conventions"]["cells"].split("seed ")[1].rstrip(")")),
    )
    want = correlation_matrix(table.rename(columns={"y": "npp"}), "spearman")
    r = pd.read_csv(tmp_path / "chunked/drivers/correlation.csv", index_col=0)
    np.testing.assert_allclose(r.to_numpy(), want.r.to_numpy(), atol=1e-12)
    assert summary["correlation_cells"] == 700


def test_chunked_correlation_of_every_cell_is_refused(tmp_path: Path):
    from landcarbon.testing import one_error_line, run_cli

    (tmp_path / "study.toml").write_text(_slope_study(0, "spearman", 16))
    error = one_error_line(
        run_cli("run", str(tmp_path / "study.toml"), "--out", str(tmp_path / "o"))
    )
    assert error.startswith(f"error: {tmp_path / 'study.toml'}: [drivers] correlation = ")
    assert "'spearman' with sample = 0 need every cell of the maps at once" in error
    assert "set [drivers] sample = N" in error
    assert not (tmp_path / "o").exists()  # refused before the run started
    study = _slope_study(0, "", 16).replace("[compute]", "permutations = 9\n\n[compute]")
    (tmp_path / "study.toml").write_text(study)
    error = one_error_line(
        run_cli("run", str(tmp_path / "study.toml"), "--out", str(tmp_path / "o"))
    )
    assert "[drivers] permutations = 9 with sample = 0 need every cell" in error
