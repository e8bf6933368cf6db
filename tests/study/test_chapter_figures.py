"""The chapters' figures: what each draws, once, with the study's classes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landcarbon.classes import named_scheme
from landcarbon.study.config import load_study
from landcarbon.study.examples import install_example
from landcarbon.study.pipeline import run_steps
from landcarbon.study.run import build_steps


def test_the_energy_map_is_written_once_not_per_land_use_map(tmp_path: Path):
    # the energy allocation is the same for every map: the arid example drew it seven times
    from landcarbon.study.examples import example_names

    checked = 0
    for name in example_names():
        study = load_study(install_example(name, tmp_path / name))
        carbon = study.chapters.get("carbon")
        if carbon is None or not carbon.energy_weights or len(carbon.maps) < 2:  # type: ignore[attr-defined]
            continue
        steps = build_steps(study)
        energy = [o.path for s in steps for o in s.outputs if o.name.endswith(".energy")]
        baseline = carbon.baseline or next(iter(carbon.maps))  # type: ignore[attr-defined]
        assert energy == [f"carbon/{baseline}/energy_t_c_per_cell.tif"], name
        checked += 1
    assert checked  # an example spreads energy over two maps or more


def test_a_study_of_one_map_charts_its_storage_by_class(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """county_sinks has one carbon map: its comparison chart was one bar per panel."""
    import landcarbon.report.charts as charts
    from landcarbon.report.figures import save_figure
    from landcarbon.study.chapters.carbon import _comparison_step

    figures = []

    def keep(panels, png, title, exports=()):  # type: ignore[no-untyped-def]
        figures.append(charts.panels_figure(panels, title))
        return save_figure(figures[-1], png, exports)

    monkeypatch.setattr(charts, "panels_png", keep)
    (tmp_path / "study.toml").write_text(
        '[study]\nname = "one map"\n[inputs]\nclasses = "cnlucc"\n'
    )
    study = load_study(tmp_path / "study.toml")
    summary = tmp_path / "account.json"
    summary.write_text(json.dumps({"storage_t_c": 6000.0}))
    by_class = tmp_path / "by_class.csv"
    pd.DataFrame(
        {"code": [1, 2, 5], "name": ["x", "y", "z"], "total_t_c": [1000.0, 5000.0, 0.0]}
    ).to_csv(by_class, index=False)
    step = _comparison_step(study, ["2020"], with_emissions=False, baseline="2020")
    inputs = {"carbon.2020.summary": summary, "carbon.2020.by_class": by_class}
    run_steps([step], inputs, tmp_path / "out", seed=0)
    (fig,) = figures
    (ax,) = [ax for ax in fig.axes if ax.patches]
    # a bar per class holding carbon (built-up with none left out), in 10^3 t C
    np.testing.assert_allclose([p.get_height() for p in ax.patches], [1.0, 5.0])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y"]
    legend = named_scheme("cnlucc").legend([1, 2])
    expected = [tuple(int(legend[c][1][i : i + 2], 16) / 255 for i in (1, 3, 5)) for c in (1, 2)]
    np.testing.assert_allclose([p.get_facecolor()[:3] for p in ax.patches], expected)
    assert (tmp_path / "out/report/figures/carbon_comparison.png").is_file()


def test_the_soil_carbon_layers_are_drawn_side_by_side(tmp_path: Path):
    import re

    from PIL import Image

    from landcarbon.study.run import run_study

    study = install_example("county_sinks", tmp_path)
    study.write_text(re.sub(r"shape = \[\d+, \d+\]", "shape = [60, 70]", study.read_text()))
    run_study(study, tmp_path / "out", steps=["carbon_soil"])
    out = tmp_path / "out"
    assert (out / "carbon" / "soil_layers.png").stat().st_size > 1000
    with Image.open(out / "report" / "figures" / "soil_layers.png") as image:
        assert image.info["dpi"][0] == pytest.approx(300, abs=0.01)
    texts = re.findall(r"<!-- (.*?) -->", (out / "report/figures/soil_layers.svg").read_text())
    layers = ["topsoil organic", "subsoil organic", "topsoil inorganic", "subsoil inorganic"]
    assert [t for t in texts if t in layers] == layers  # the four layers the example gives
    assert texts.count("t C/ha per m") == 1  # one colour bar: one scale for all four
