"""The HTML report: maps, tables and charts from declared outputs, self-contained."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landcarbon.raster import write_raster
from landcarbon.report.figures import save_figure
from landcarbon.report.html import build_report
from landcarbon.report.maps import _nice_length
from landcarbon.study.pipeline import Context, Output, Step, run_steps
from landcarbon.testing import make_raster


def _step() -> Step:
    def run(ctx: Context) -> None:
        lu = make_raster(np.array([[1, 2], [2, 3]], dtype=np.int32))
        write_raster(
            lu,
            ctx.outputs["lu"],
            classes={1: ("crop", "#f6d55c"), 2: ("forest", "#2e7d32"), 3: ("water", "#1e88e5")},
        )
        write_raster(
            make_raster(np.array([[1.0, 2.0], [np.nan, 4.0]])), ctx.outputs["c"], units="t C/ha"
        )
        pd.DataFrame({"class": [1, 2], "t_c": [1.5, 2.5]}).to_csv(ctx.outputs["t"], index=False)
        ctx.summary["total_t_c"] = 4.0

    return Step(
        "demo_step",
        "carbon",
        (),
        (
            Output("lu", "landuse/lu.tif", "raster", "class", "land use"),
            Output("c", "carbon/c.tif", "raster", "t C/ha", "carbon density"),
            Output("t", "carbon/t.csv", "table", "t C", "storage by class"),
        ),
        run,
    )


def test_report_has_every_output_and_only_relative_links(tmp_path: Path):
    step = _step()
    records = run_steps([step], {}, tmp_path, seed=0)
    index = build_report(
        "Test study", "desc", [step], tmp_path, {r.name: r.summary for r in records}
    )
    text = index.read_text()
    assert "land use" in text and "carbon density" in text and "storage by class" in text
    assert '<td>total (t C)</td><td class="num">4</td>' in text  # the summary, labelled
    assert (tmp_path / "report" / "tables.xlsx").exists()
    for src in set(re.findall(r'(?:src|href)="([^"#]+)"', text)) - {"../manifest.json"}:
        assert not src.startswith(("http", "/")), src
        assert (index.parent / src).exists(), src
    assert (tmp_path / "report" / "img" / "lu.png").stat().st_size > 1000


def test_scale_bar_lengths_are_round():
    assert _nice_length(15_000) == 2000
    assert _nice_length(60_000) == 10_000
    assert _nice_length(900) == 200


def _chromium_dom(index: Path, profile: Path) -> dict[str, str]:
    """The data-* attributes the page's script sets on <body> once loaded in headless
    Chromium: images, broken-images and (console) errors."""
    import subprocess

    from landcarbon.report.browser import HEADLESS_FLAGS, find_chromium

    chromium = find_chromium()
    if chromium is None:
        pytest.skip("chromium not installed (make test installs it with apt-get)")
    proc = subprocess.run(
        [
            chromium,
            *HEADLESS_FLAGS,
            f"--user-data-dir={profile}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            index.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    body = re.search(r"<body[^>]*>", proc.stdout)
    assert body, proc.stderr[-2000:]
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.group(0)))


def test_report_renders_in_headless_chromium(tmp_path: Path):
    step = _step()
    records = run_steps([step], {}, tmp_path, seed=0)
    index = build_report("Test", "", [step], tmp_path, {r.name: r.summary for r in records})
    attrs = _chromium_dom(index, tmp_path / "profile")
    assert attrs == {"images": "2", "broken-images": "0", "errors": "0"}


def _table_step(name: str, chapter: str) -> Step:
    def run(ctx: Context) -> None:
        pd.DataFrame({"v": [1]}).to_csv(ctx.outputs[name], index=False)
        ctx.summary[f"{name}_total"] = 1.0

    out = Output(name, f"{chapter}/{name}.csv", "table", "t C", f"{name} table")
    return Step(name, chapter, (), (out,), run)


def test_chapters_follow_step_order_and_summaries_sit_with_their_step(tmp_path: Path):
    steps = [_table_step("first", "landuse"), _table_step("second", "carbon")]
    steps.append(_table_step("third", "landuse"))
    records = run_steps(steps, {}, tmp_path, seed=0)
    summaries = {r.name: r.summary for r in records}
    text = build_report("T", "", steps, tmp_path, summaries).read_text()
    nav = re.search(r"<nav>(.*?)</nav>", text, re.S)
    assert nav is not None
    assert re.findall(r'href="#(\w+)"', nav.group(1)) == ["landuse", "carbon"]
    body = text[nav.end() :]
    order = [body.index(s) for s in ("first: summary", "first table", "third: summary")]
    order += [body.index("third table"), body.index("second: summary")]
    assert order == sorted(order)


def test_unchanged_maps_are_not_redrawn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import landcarbon.report.html as report_html

    drawn: list[str] = []
    real = report_html.render_map

    def counting(path: Path, png: Path, title: str = "", classes=None, exports=()) -> Path:  # type: ignore[no-untyped-def]
        drawn.append(Path(png).name)
        return real(path, png, title, classes, exports)

    monkeypatch.setattr(report_html, "render_map", counting)
    step = _step()
    records = run_steps([step], {}, tmp_path, seed=0)
    summaries = {r.name: r.summary for r in records}
    build_report("T", "", [step], tmp_path, summaries)
    assert sorted(drawn) == ["c.png", "lu.png"]
    build_report("T", "", [step], tmp_path, summaries)
    assert sorted(drawn) == ["c.png", "lu.png"]  # nothing changed: nothing redrawn
    write_raster(make_raster(np.full((2, 2), 7.0)), tmp_path / "carbon" / "c.tif", overwrite=True)
    (tmp_path / "report" / "img" / "lu.png").unlink()
    build_report("T", "", [step], tmp_path, summaries)
    assert sorted(drawn) == ["c.png", "c.png", "lu.png", "lu.png"]  # changed raster, lost PNG
    assert (tmp_path / "report" / "img" / "c.png").stat().st_size > 1000
    build_report("T", "", [step], tmp_path, summaries, language="zh")
    assert len(drawn) == 6  # their axis labels and notes are in the other language now


def _comparison_figure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: dict[str, tuple[float, float]]
):  # type: ignore[no-untyped-def]
    """Run the carbon comparison step on map summaries ``given`` (label -> (CS t C, CE
    t C/yr), the first the baseline) and return the figure it drew."""
    import json

    import landcarbon.report.charts as charts
    from landcarbon.study.chapters.carbon import _comparison_step
    from landcarbon.study.config import load_study

    figures = []

    def keep(panels, png, title, exports=()):  # type: ignore[no-untyped-def]
        figures.append(charts.panels_figure(panels, title))
        return save_figure(figures[-1], png, exports)

    monkeypatch.setattr(charts, "panels_png", keep)
    inputs = {}
    for label, (cs, ce) in given.items():
        path = tmp_path / f"{label}.json"
        summary = {"storage_t_c": cs, "emissions_total_t_c_yr": ce}
        path.write_text(json.dumps({**summary, "sources_t_c_yr": ce, "sinks_t_c_yr": 0.0}))
        inputs[f"carbon.{label}.summary"] = path
    (tmp_path / "study.toml").write_text('[study]\nname = "comparison"\n')
    study = load_study(tmp_path / "study.toml")
    labels = list(given)
    step = _comparison_step(study, labels, with_emissions=True, baseline=labels[0])
    run_steps([step], inputs, tmp_path / "out", seed=0)
    (fig,) = figures
    return fig


def test_comparison_chart_shows_each_quantity_as_differences_from_the_baseline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # storage in millions of t C beside emissions in tens of t C/yr (one axis each), and
    # seven maps that differ by 1 %: drawn from 0 the bars looked identical
    given = {"2020": (1_830_000.0, 25.0), "2030": (1_850_000.0, 40.0), "2040": (1_811_700, 20)}
    fig = _comparison_figure(tmp_path, monkeypatch, given)
    axes = [ax for ax in fig.axes if ax.patches]
    assert [ax.get_ylabel() for ax in axes] == [
        "difference from 2020 (10^3 t C)",
        "difference from 2020 (t C/yr)",
        "difference from 2020 (years)",
    ]
    assert [ax.get_title().splitlines()[1] for ax in axes] == [
        "(2020: 1,830 10^3 t C)",
        "(2020: 25 t C/yr)",
        "(2020: 73,200 years)",
    ]
    heights = [[p.get_height() for p in ax.patches] for ax in axes]
    # CS/1000 - 1830 = 20, -18.3; CE - 25 = 15, -5; CS/CE - 73 200 = 46 250 - 73 200, 90 585
    np.testing.assert_allclose(
        heights, [[20, -18.3], [15, -5], [46_250 - 73_200, 90_585 - 73_200]], rtol=1e-12
    )
    table = pd.read_csv(tmp_path / "out" / "carbon" / "comparison.csv", index_col="map")
    np.testing.assert_allclose(
        heights[2], table["balance_index"].iloc[1:] - table["balance_index"].iloc[0]
    )
    for path in ("carbon/comparison.png", "report/figures/carbon_comparison.svg"):
        assert (tmp_path / "out" / path).stat().st_size > 1000


def test_comparison_table_holds_storage_emissions_and_their_ratio_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """CS (t C), CE (t C/yr) and CS / CE per map: no "net emission" CE - CS of a stock
    and a yearly flux, no supply-demand ratio or zone across dates (the table had both,
    e.g. net -1.28e6 "t C" and zone "surplus" for a map of 1.29e6 t C emitting 3 491 t C/yr)."""
    given = {"2020": (1_830_000.0, 25.0), "2030": (1_850_000.0, 40.0), "2040": (1_000.0, 0.0)}
    _comparison_figure(tmp_path, monkeypatch, given)
    table = pd.read_csv(tmp_path / "out" / "carbon" / "comparison.csv", index_col="map")
    assert list(table.columns) == [
        "storage_t_c",
        "emissions_t_c_yr",
        "sources_t_c_yr",
        "sinks_t_c_yr",
        "balance_index",
    ]
    assert table["storage_t_c"].tolist() == [1_830_000.0, 1_850_000.0, 1_000.0]
    assert table["emissions_t_c_yr"].tolist() == [25.0, 40.0, 0.0]
    np.testing.assert_allclose(table["balance_index"].iloc[:2], [73_200.0, 46_250.0])
    assert np.isnan(table["balance_index"].iloc[2])  # CE = 0: nothing to compensate


PAYLOADS = ("<script>alert(1)</script>", '<img src=x onerror="alert(2)">')


def _unescaped(page: str) -> list[str]:
    """Payload markup that reached the page as markup (not as escaped text)."""
    return [p for p in ("<script>alert", "<img src=x") if p in page]


def test_user_strings_reach_the_study_report_escaped(tmp_path: Path):
    """Study name and description through `landcarbon run` (class names of a classes
    table reach only the charts' PNGs): shown as text, never markup."""
    from landcarbon.testing import run_cli

    lu = np.array([[1, 1, 2, 2], [1, 1, 2, 2], [2, 2, 1, 1], [2, 2, 1, 1]], dtype=np.int32)
    write_raster(make_raster(lu), tmp_path / "a.tif")
    write_raster(make_raster(lu[::-1]), tmp_path / "b.tif")
    pd.DataFrame({"code": [1, 2], "name": PAYLOADS, "colour": ["#f6d55c", "#2e7d32"]}).to_csv(
        tmp_path / "classes.csv", index=False
    )
    name, description = (f"study {p}" for p in PAYLOADS)
    (tmp_path / "study.toml").write_text(
        f"[study]\nname = '{name}'\ndescription = '{description}'\n"
        '[inputs]\ncategorical = ["a", "b"]\nclasses = "classes"\n'
        '[rasters]\na = "a.tif"\nb = "b.tif"\n'
        '[tables]\nclasses = "classes.csv"\n'
        '[landuse]\nmaps = { "2000" = "a", "2020" = "b" }\n'
    )
    result = run_cli("run", str(tmp_path / "study.toml"), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "out" / "report" / "index.html").read_text()
    assert _unescaped(page) == []
    assert "<title>study &lt;script&gt;alert(1)&lt;/script&gt;</title>" in page
    assert "<p>study &lt;img src=x onerror=&#34;alert(2)&#34;&gt;</p>" in page


def test_every_insertion_point_of_the_report_escapes(tmp_path: Path):
    """Output titles, units, summary keys and values, table headers and cells."""
    xss, img = PAYLOADS

    def run(ctx: Context) -> None:
        pd.DataFrame({xss: [img], "n": [1.0]}).to_csv(ctx.outputs["t"], index=False)
        write_raster(make_raster(np.ones((2, 2))), ctx.outputs["m"])
        ctx.outputs["j"].write_text("{}")
        ctx.summary[xss] = img

    step = Step(
        "xss",
        "carbon",
        (),
        (
            Output("t", "t.csv", "table", img, xss),
            Output("m", "m.tif", "raster", img, xss),
            Output("j", "j.json", "json", img, xss),
        ),
        run,
    )
    records = run_steps([step], {}, tmp_path, seed=0)
    page = build_report(xss, img, [step], tmp_path, {r.name: r.summary for r in records})
    text = page.read_text()
    assert _unescaped(text) == []
    assert text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 6  # title x2, summary, 3 docs
    assert "<th>&lt;script&gt;alert(1)&lt;/script&gt;</th>" in text  # the table header
    assert "<td>&lt;img src=x onerror=" in text  # and its cell
    assert 'alt="&lt;script&gt;alert(1)&lt;/script&gt;"' in text  # an attribute
