"""Studies over real maps with the user's own codes and names, through the real entry point.

Plum Island (lulcc): three classes Forest / Built / Other with the user's pools and the arid
study's emission factors applied by land-use group; the 1999 map simulated from 1985-1991
and validated (Kappa, Figure of Merit). Totals are recomputed here by hand from the maps.
"""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landcarbon.raster import read_grid, read_raster
from landcarbon.testing import run_cli

PIE_CLASSES = "code,name,group\n1,Forest,forest\n2,Built,built-up\n3,Other,grassland\n"
PIE_POOLS = (  # the user's own densities (t C/ha), by code
    "code,c_above,c_below,c_soil,c_dead\n1,80.0,20.0,120.0,6.0\n2,4.0,1.0,40.0,0.0\n"
    "3,12.0,6.0,90.0,1.0\n"
)
GROUP_OF = {1: "forest", 2: "built-up", 3: "grassland"}


def _pie_study(pie: Path, folder: Path) -> Path:
    folder.mkdir()
    (folder / "classes.csv").write_text(PIE_CLASSES)
    (folder / "pools.csv").write_text(PIE_POOLS)
    study = folder / "study.toml"
    study.write_text(
        f"""
[study]
name = "Plum Island Ecosystems, 1985-1999"
seed = 7

[inputs]
categorical = ["lu1985", "lu1991", "lu1999"]
classes = "classes"

[rasters]
lu1985 = "{pie / "lu_pie_1985.tif"}"
lu1991 = "{pie / "lu_pie_1991.tif"}"
lu1999 = "{pie / "lu_pie_1999.tif"}"
elevation = "{pie / "ef_001.tif"}"
slope = "{pie / "ef_002.tif"}"
dist_built = "{pie / "ef_003.tif"}"

[tables]
classes = "classes.csv"
pools = "pools.csv"

[landuse]
maps = {{ "1985" = "lu1985", "1991" = "lu1991", "1999" = "lu1999" }}
transfers = "consecutive"

[simulation]
t0 = "lu1985"
t1 = "lu1991"
years = [1985, 1991]
target_year = 1999
drivers = ["elevation", "slope", "dist_built"]
model = "plus"
sample_rate = 0.05
n_trees = 10

[carbon]
maps = {{ "1991" = "lu1991", "1999" = "lu1999", "1999_simulated" = "simulation.trend" }}
pools = "pools"
emission_factors = "arid_muus"
""",
        encoding="utf-8",
    )
    return study


@pytest.fixture(scope="module")
def pie_run(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    pie = shared_data / "lulcc_plum_island"
    folder = tmp_path_factory.mktemp("pie")
    study = _pie_study(pie, folder / "study")
    out = folder / "out"
    assert run_cli("validate", str(study)).returncode == 0
    proc = run_cli("run", str(study), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return pie, out


def _hectares_per_class(path: Path) -> dict[int, float]:
    grid = read_grid(path)
    data = np.asarray(read_raster(path, "categorical").data)
    row_ha = grid.row_area_ha()
    return {c: float(((data == c).sum(axis=1) * row_ha).sum()) for c in (1, 2, 3)}


def test_pie_transfer_matrix_has_the_users_names_and_the_published_cells(pie_run):
    pie, out = pie_run
    published = json.loads((pie / "expected.json").read_text())["published"]
    rows = published["transfer_matrix_1985_to_1991"]
    table = pd.read_csv(out / "landuse" / "transfer_1985_1991" / "transfer_ha.csv", index_col=0)
    names = ["Forest", "Built", "Other"]
    assert [c for c in table.columns if c in names] == names
    cell_ha = _hectares_per_class(pie / "lu_pie_1985.tif")[1] / 49013  # ha of one cell
    got = table.loc[[i for i in table.index if str(i) in names or str(i) in "123"]]
    cells = got[names].to_numpy() / cell_ha
    np.testing.assert_allclose(cells, [rows[n] for n in names], rtol=1e-3)


def test_pie_storage_and_group_factors_equal_a_hand_computation(pie_run):
    pie, out = pie_run
    pools = pd.read_csv(pd.io.common.StringIO(PIE_POOLS), index_col="code")
    density = pools.sum(axis=1)  # t C/ha
    preset = tomllib.loads(
        (resources.files("landcarbon") / "presets" / "emissions_arid_muus.toml").read_text()
    )
    factor = {row["group"]: row["factor_t_c_per_ha_yr"] for row in preset["classes"]}
    area = _hectares_per_class(pie / "lu_pie_1999.tif")
    summary = json.loads((out / "carbon" / "1999" / "account.json").read_text())
    storage = sum(area[c] * density[c] for c in (1, 2, 3))
    assert summary["storage_t_c"] == pytest.approx(storage, rel=1e-6)
    emissions = sum(area[c] * factor[GROUP_OF[c]] for c in (1, 2, 3))  # Forest -0.64, ...
    assert summary["emissions_total_t_c_yr"] == pytest.approx(emissions, rel=1e-6)
    by_class = pd.read_csv(out / "carbon" / "1999" / "emissions_by_class.csv")
    assert by_class["name"].tolist() == ["Forest", "Built", "Other"]


def test_pie_outputs_name_no_class_the_user_did_not_choose(pie_run):
    _, out = pie_run
    texts = [
        p.read_text(encoding="utf-8", errors="replace")
        for p in out.rglob("*")
        if p.suffix in {".csv", ".qml", ".xml", ".html", ".json"}
    ]
    joined = "\n".join(texts).lower()
    for foreign in ("cropland", "grassland ", "unused", "耕地", "class 1"):
        assert foreign not in joined, foreign
    simulated = out / "landuse" / "simulation" / "trend"
    tif = next(simulated.rglob("*.tif"))
    aux = Path(f"{tif}.aux.xml").read_text(encoding="utf-8")
    assert all(n in aux for n in ("Forest", "Built", "Other"))


def test_pie_simulated_1999_is_validated_against_the_observed_map(pie_run):
    pie, out = pie_run
    simulated = next((out / "landuse" / "simulation" / "trend").rglob("*.tif"))
    proc = run_cli(
        "--json",
        "accuracy",
        str(pie / "lu_pie_1999.tif"),
        str(simulated),
        "--initial",
        str(pie / "lu_pie_1991.tif"),
    )
    assert proc.returncode == 0, proc.stderr
    acc = json.loads(proc.stdout)
    assert 0.5 < acc["kappa"] <= 1 and 0 <= acc["fom"] <= 1
    # the simulated map meets the Markov demand: its class areas are close to 1999's
    sim = np.asarray(read_raster(simulated, "categorical").data)
    obs = np.asarray(read_raster(pie / "lu_pie_1999.tif", "categorical").data)
    for c in (1, 2, 3):
        assert abs(int((sim == c).sum()) - int((obs == c).sum())) / (obs == c).sum() < 0.05


RELABEL = {1: 10, 2: 20, 3: 90}
"""The user's own codes for Plum Island's classes: 10/20/90, in the same order."""


@pytest.fixture(scope="module")
def pie_relabelled_run(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """The Plum Island study again on maps recoded 1/2/3 -> 10/20/90 and named in Chinese
    (the files written as another tool writes them: int32 with nodata -9999)."""
    import rasterio

    pie = shared_data / "lulcc_plum_island"
    folder = tmp_path_factory.mktemp("pie_relabelled")
    maps = folder / "maps"
    maps.mkdir()
    for name in ("lu_pie_1985.tif", "lu_pie_1991.tif", "lu_pie_1999.tif"):
        with rasterio.open(pie / name) as src:
            data, profile, nodata = src.read(1), src.profile, src.nodata
        valid = data != nodata if nodata is not None else np.ones(data.shape, bool)
        codes = np.full(data.shape, -9999, np.int32)
        for old, new in RELABEL.items():
            codes[valid & (data == old)] = new
        with rasterio.open(
            maps / name, "w", **(profile | {"dtype": "int32", "nodata": -9999})
        ) as dst:
            dst.write(codes, 1)
    for name in ("ef_001.tif", "ef_002.tif", "ef_003.tif"):
        (maps / name).symlink_to(pie / name)
    study = _pie_study(maps, folder / "study")
    (folder / "study" / "classes.csv").write_text(
        "code,name,group\n10,森林,forest\n20,建设用地,built-up\n90,其他,grassland\n",
        encoding="utf-8",
    )
    pools = PIE_POOLS.replace("\n1,", "\n10,").replace("\n2,", "\n20,").replace("\n3,", "\n90,")
    (folder / "study" / "pools.csv").write_text(pools)
    out = folder / "out"
    proc = run_cli("run", str(study), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return maps, out


def test_pie_with_codes_10_20_90_and_chinese_names_gives_the_same_study(
    pie_run, pie_relabelled_run
):
    """Codes are labels: recoded 10/20/90 (order kept) and named in Chinese, the study
    gives the same transfers, the same simulated map cell for cell (recoded), the same
    carbon totals, and names only the user's classes."""
    _, out = pie_run
    _, relabelled = pie_relabelled_run
    names = {"Forest": "森林", "Built": "建设用地", "Other": "其他"}
    for folder in ("transfer_1985_1991", "transfer_1991_1999"):
        table = pd.read_csv(out / "landuse" / folder / "transfer_ha.csv", index_col=0)
        other = pd.read_csv(relabelled / "landuse" / folder / "transfer_ha.csv", index_col=0)
        got = other.loc[list(names.values()), list(names.values())].to_numpy()
        np.testing.assert_array_equal(got, table.loc[list(names), list(names)].to_numpy())
    simulated = next((out / "landuse" / "simulation" / "trend").rglob("*.tif"))
    recoded = next((relabelled / "landuse" / "simulation" / "trend").rglob("*.tif"))
    sim = np.asarray(read_raster(simulated, "categorical").data)
    again = np.asarray(read_raster(recoded, "categorical").data)
    expected = sim.copy()
    for old, new in RELABEL.items():
        expected[sim == old] = new
    np.testing.assert_array_equal(again, expected)
    for label in ("1991", "1999", "1999_simulated"):
        a = json.loads((out / "carbon" / label / "account.json").read_text())
        b = json.loads((relabelled / "carbon" / label / "account.json").read_text())
        for key in ("storage_t_c", "emissions_total_t_c_yr", "sources_t_c_yr", "sinks_t_c_yr"):
            assert b[key] == a[key], (label, key)
    texts = "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in relabelled.rglob("*")
        if p.suffix in {".csv", ".qml", ".xml", ".html", ".json"}
    )
    assert all(n in texts for n in names.values())
    for foreign in ("Forest", "Built", "cropland", "forest,", "grassland", "class 10", "class 90"):
        assert foreign not in texts, foreign
