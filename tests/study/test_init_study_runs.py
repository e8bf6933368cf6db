"""The issue's acceptance: a study written by ``landcarbon init`` over the user's own maps
(codes 10/20/90, Chinese class names carried by the files) runs end to end, and no output
carries a class name or factor the user did not choose."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landcarbon.datasets.synthetic import synthetic_region
from landcarbon.raster import write_raster
from landcarbon.testing import make_raster, run_cli

NAMES = {10: "耕地", 20: "林地", 90: "建设用地"}
POOLS = {10: (5.0, 1.0, 60.0, 0.0), 20: (60.0, 15.0, 110.0, 4.0), 90: (2.0, 0.0, 30.0, 0.0)}


def _user_maps(folder: Path) -> list[Path]:
    """Two dates of a synthetic region recoded to 10 / 20 / 90, names in the GeoTIFF."""
    region = synthetic_region((40, 50), 30.0, seed=3)
    recode = {1: 10, 2: 20, 3: 20, 4: 20, 5: 90, 6: 90}
    paths = []
    for year in (2000, 2020):
        data = np.asarray(region[f"landuse_{year}"].data).astype(np.int32)
        coded = np.vectorize(recode.get)(data).astype(np.int32)
        path = folder / f"土地利用_{year}.tif"
        write_raster(
            make_raster(coded), path, classes={c: (n, "#808080") for c, n in NAMES.items()}
        )
        paths.append(path)
    return paths


def test_a_study_from_init_runs_end_to_end_with_only_the_users_choices(tmp_path: Path):
    maps = _user_maps(tmp_path)
    study = tmp_path / "study" / "study.toml"
    proc = run_cli("init", *map(str, maps), "--out", str(study))
    assert proc.returncode == 0, proc.stderr
    classes = pd.read_csv(study.parent / "classes.csv", keep_default_na=False)
    assert dict(zip(classes["code"], classes["name"], strict=True)) == NAMES
    # the user fills the pools and switches the carbon chapter on
    pools = pd.read_csv(study.parent / "pools.csv")
    for col, i in zip(("c_above", "c_below", "c_soil", "c_dead"), range(4), strict=True):
        pools[col] = [POOLS[c][i] for c in pools["code"]]
    pools.to_csv(study.parent / "pools.csv", index=False)
    text = study.read_text(encoding="utf-8")
    text = text.replace('# pools = "pools.csv"', 'pools = "pools.csv"')
    text = text.replace("# [carbon]", "[carbon]").replace('# pools = "pools"', 'pools = "pools"')
    text = text.replace("# [carbon.maps]", "[carbon.maps]").replace('# "20', '"20')
    study.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli("validate", str(study)).returncode == 0
    proc = run_cli("run", str(study), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    # storage by hand: cells x 0.09 ha x the user's densities
    data = np.asarray(pd.read_csv(out / "carbon" / "2020" / "carbon_by_class.csv")["code"])
    assert sorted(data.tolist()) == [10, 20, 90]
    summary = json.loads((out / "carbon" / "2020" / "account.json").read_text())
    from landcarbon.raster import read_raster

    lu = np.asarray(read_raster(maps[1], "categorical").data)
    by_hand = sum(int((lu == c).sum()) * 0.09 * sum(POOLS[c]) for c in POOLS)
    assert summary["storage_t_c"] == pytest.approx(by_hand, rel=1e-9)
    assert summary["emissions"].startswith("not computed")  # no factors chosen: none applied
    # every text output names the user's classes and nothing else
    texts = "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in out.rglob("*")
        if p.suffix in {".csv", ".qml", ".xml", ".html", ".json"} and ".cache" not in p.parts
    )
    assert "林地" in texts and "建设用地" in texts
    for foreign in ("cropland", "forest", "grassland", "built-up", "unused", "class 10"):
        assert foreign not in texts.lower(), foreign
    for year in (2000, 2020):  # the observed maps, drawn with the user's legend
        assert (out / "landuse" / "maps" / f"landuse_{year}.png").stat().st_size > 0
    transfer = pd.read_csv(out / "landuse" / "transfer_2000_2020" / "transfer_ha.csv", index_col=0)
    assert list(transfer.columns) == ["耕地", "林地", "建设用地"]


def test_init_with_three_dates_offers_a_validation_that_validates(tmp_path: Path):
    region = synthetic_region((40, 50), 30.0, seed=3)
    maps = []
    for year in (2000, 2010, 2020):
        maps.append(tmp_path / f"landuse_{year}.tif")
        write_raster(make_raster(np.asarray(region[f"landuse_{year}"].data)), maps[-1])
    write_raster(make_raster(np.asarray(region["dem"].data)), tmp_path / "dem.tif")
    study = tmp_path / "study" / "study.toml"
    proc = run_cli(
        "init", *map(str, maps), "--driver", str(tmp_path / "dem.tif"), "--out", str(study)
    )
    assert proc.returncode == 0, proc.stderr
    text = study.read_text(encoding="utf-8")
    assert "# [validation]\n# years = [2000, 2010, 2020]" in text
    study.write_text(text.replace("# [validation]\n# years", "[validation]\nyears"))
    proc = run_cli("validate", str(study))
    assert proc.returncode == 0, proc.stderr
