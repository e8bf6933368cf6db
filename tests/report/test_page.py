"""The page a researcher reads: readable numbers and tables, language, Excel, viewer."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landcarbon.raster import write_raster
from landcarbon.report.html import build_report, sheet_names
from landcarbon.report.i18n import label, title
from landcarbon.report.tables import format_number, show_frame, summary_tables
from landcarbon.study.pipeline import Context, Output, Step, run_steps
from landcarbon.testing import make_raster

CLASSES = {1: ("cropland", "#f6d55c"), 2: ("forest", "#2e7d32"), 3: ("water", "#1e88e5")}


def test_numbers_read_as_numbers_and_years_as_years():
    shown = [format_number(v) for v in (10_910.3, 1_830_870.0, 0.0516, 185.76, -8862.6, 3, 0.0)]
    assert shown == ["10,910", "1,830,870", "0.0516", "185.8", "-8,863", "3", "0"]
    assert format_number(2035.0, "target_year") == "2035"
    assert format_number(np.int64(2035), "year") == "2035"
    assert format_number(1.5e-30) == "1.500e-30"  # a p-value, not a row of zeros
    assert label("storage_t_c", "en") == "storage (t C)"
    assert label("area_ha", "zh") == "面积 (hm²)"
    assert label("dynamic_degree_pct_per_yr", "en") == "dynamic degree (%/yr)"


def test_summary_class_dicts_become_one_table_with_class_names():
    summary = {
        "converged": True,
        "target_year": 2035.0,
        "demand_cells": {"1": 2556, "2": 21769},
        "residual_cells": {"1": 0, "2": -3},
        "nodata_cells_dropped": {"landuse_2010": 0},
    }
    scalars, by_class, dropped = summary_tables(summary, {1: "cropland", 2: "forest"}, "en")
    assert scalars.rows == [["converged", "true"], ["target year", "2035"]]
    assert by_class.header == ["code", "class", "demand (cells)", "residual (cells)"]
    assert by_class.rows == [["1", "cropland", "2,556", "0"], ["2", "forest", "21,769", "-3"]]
    assert dropped.rows == [["landuse_2010", "0"]]


def test_records_per_year_become_rows_and_years_are_not_class_codes():
    summary = {
        "2030": {"iterations": 117, "demand_cells": {"1": 8, "2": 1821}},
        "2040": {"iterations": 100, "demand_cells": {"1": 4, "2": 1821}},
    }
    records, demand = summary_tables(summary, {1: "cropland", 2: "forest"}, "en")
    assert records.rows == [["2030", "117"], ["2040", "100"]]
    assert demand.title == "demand (cells)"
    assert demand.rows == [["1", "cropland", "8", "4"], ["2", "forest", "1,821", "1,821"]]
    (balance,) = summary_tables({"balance_index": {"2010": 17.744, "2020": 17.63}}, {}, "en")
    assert balance.rows == [["2010", "17.74"], ["2020", "17.63"]]


def test_a_long_repeated_text_is_shown_once_in_a_legend():
    strategy = "Protect the forest patches and restore grassland on the slopes. " * 2
    frame = pd.DataFrame({"patch": [1, 2, 3], "strategy": [strategy, strategy, "short"]})
    table = show_frame(frame, "", "en")
    assert [row[1] for row in table.rows] == ["[1]", "[1]", "[2]"]
    assert table.legend == [("[1]", strategy), ("[2]", "short")]


def test_sheet_names_are_short_unique_and_excel_safe():
    names = sheet_names(
        [
            "simulation.natural_development.demand",
            "simulation.natural_development_and_more.demand",
            "simulation.natural_development_and_more.demand2",
            "landuse.transfer_2000_2010.ha",
            "simulation.natural_development_and_less.Demand",
            "simulation.natural_development:and/less.demand",
        ]
    )
    assert names[0] == "natural_development.demand"
    assert all(len(n) <= 31 for n in names) and len({n.lower() for n in names}) == len(names)
    assert names[3] == "landuse.transfer_2000_2010.ha"
    assert names[1:3] == ["demand", "demand2"] and names[4:] == ["Demand~2", "demand~3"]


def _step(rows: int = 40) -> Step:
    strategy = "Consolidate the high-carbon forest core and link it to grassland patches."

    def run(ctx: Context) -> None:
        lu = make_raster(np.array([[1, 2], [2, 3]], dtype=np.int32))
        write_raster(lu, ctx.outputs["lu"], classes=CLASSES)
        pd.DataFrame(
            {
                "year": [2000 + i for i in range(rows)],
                "area_ha": np.linspace(1000.0, 1_830_870.0, rows),
                "strategy": [strategy] * rows,
            }
        ).to_csv(ctx.outputs["t"], index=False)
        ctx.summary["demand_cells"] = {"1": 12345, "3": 7}

    return Step(
        "demo",
        "simulation",
        (),
        (
            Output("lu", "landuse/lu.tif", "raster", "class", "simulated land use"),
            Output("t", "landuse/t.csv", "table", "ha", "area by year"),
        ),
        run,
    )


def _page(tmp_path: Path, language: str = "en") -> str:
    step = _step()
    records = run_steps([step], {}, tmp_path, seed=0)
    summaries = {r.name: r.summary for r in records}
    index = build_report("T", "", [step], tmp_path, summaries, classes=CLASSES, language=language)  # type: ignore[arg-type]
    return index.read_text()


def test_page_tables_are_readable_and_long_tables_collapse(tmp_path: Path):
    text = _page(tmp_path)
    assert "<th>year</th><th>area (ha)</th><th>strategy</th>" in text
    assert '<td class="num">2000</td>' in text and "2,000" not in text  # years as years
    assert '<td class="num">1,830,870</td>' in text and "e+0" not in text
    assert text.count("Consolidate the high-carbon") == 1  # once, in the legend
    assert 'class="collapsed"' in text and "show all 40 rows" in text
    assert text.count('class="more"') == 10  # rows 31-40 hidden until "show all"
    assert '<td class="num">1</td><td>cropland</td>' in text and "12,345" in text  # by class
    assert 'id="viewer-data"' in text and '"names": ["cropland", "forest", "water"]' in text


def test_page_in_chinese_keeps_the_names_as_written(tmp_path: Path):
    text = _page(tmp_path, "zh")
    assert '<html lang="zh">' in text and "<h2>土地利用模拟</h2>" in text
    assert "<th>面积 (hm²)</th>" in text and "显示全部 40 行" in text and "代码" in text
    assert "cropland" in text and "Noto Sans CJK SC" in text  # names as written; CJK fonts
    assert "模拟土地利用" in text and "area by year" in text  # a title it does not know: as is
    assert title("simulated land use 2035, natural development", "zh") == (
        "模拟土地利用 2035, natural development"  # the scenario's name as the user wrote it
    )


def test_workbook_has_an_index_frozen_headers_and_number_formats(tmp_path: Path):
    import openpyxl

    _page(tmp_path)
    book = openpyxl.load_workbook(tmp_path / "report" / "tables.xlsx")
    assert book.sheetnames == ["index", "t"]
    index = [[c.value for c in row] for row in book["index"].iter_rows()]
    assert index == [["sheet", "title", "units", "file"], ["t", "area by year", "ha", "t"]]
    sheet = book["t"]
    assert sheet.freeze_panes == "A2" and book["index"].freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == ["year", "area (ha)", "strategy"]
    assert sheet["A2"].number_format == "0" and sheet["B2"].number_format == "#,##0"


def test_unknown_report_language_is_refused(tmp_path: Path):
    from landcarbon.testing import one_error_line, run_cli

    lu = np.array([[1, 2], [2, 1]], dtype=np.int32)
    write_raster(make_raster(lu), tmp_path / "a.tif")
    (tmp_path / "study.toml").write_text(
        "[study]\nname = 's'\n[rasters]\na = 'a.tif'\n[inputs]\ncategorical = ['a']\n"
        "[report]\nlanguage = 'fr'\n"
    )
    line = one_error_line(
        run_cli("run", str(tmp_path / "study.toml"), "--out", str(tmp_path / "o"))
    )
    assert "report.language" in line and "'en'" in line and "'zh'" in line, line


SHAPES = {"arid_budget_scenarios": "200, 200"}
"""Example regions the checks shrink less (the arid one needs room for its changes)."""
LANGUAGES = {"province_balance": "zh"}
"""Examples checked with their page in Chinese."""


@pytest.mark.filterwarnings("ignore::landcarbon.errors.LandcarbonWarning")  # a small region
@pytest.mark.parametrize(
    "example",
    ["arid_budget_scenarios", "county_sinks", "erosion_climate", "province_balance"],
)
def test_example_report_in_headless_chromium(tmp_path: Path, example: str):
    """Each example's report: no console error, no e+0 and no Unnamed in any table, every
    class of the study's scheme in each land-use map's legend of the viewer, the viewer
    swaps its maps and reads the class under the pointer."""
    from landcarbon.report.browser import Page, find_chromium
    from landcarbon.study.chapters.landuse import class_scheme
    from landcarbon.study.config import load_study
    from landcarbon.study.examples import install_example
    from landcarbon.study.run import run_study

    chromium = find_chromium()
    if chromium is None:
        pytest.skip("chromium not installed (make test installs it with apt-get)")
    study = install_example(example, tmp_path)
    shape = SHAPES.get(example, "60, 70")
    text = re.sub(r"shape = \[\d+, \d+\]", f"shape = [{shape}]", study.read_text())
    language = LANGUAGES.get(example, "en")
    study.write_text(text + f'\n[report]\nlanguage = "{language}"\n')
    index = run_study(study, tmp_path / "out").report
    assert index is not None
    scheme = class_scheme(load_study(study))
    assert scheme is not None
    names = sorted(scheme.names().values())
    with Page(chromium, tmp_path / "profile") as page:
        page.open(index.as_uri())
        images = str(index.read_text().count("<img"))
        dataset = {"images": images, "brokenImages": "0", "errors": "0"}
        assert page.evaluate("({...document.body.dataset})") == dataset
        assert page.evaluate("document.documentElement.lang") == language
        every = "Array.from(document.querySelectorAll('table')).map(t => t.textContent)"
        tables = page.evaluate(every)
        assert tables and not [t for t in tables if "e+0" in t or "Unnamed" in t]
        # every figure of the page is also there for print: a 300 dpi PNG and an SVG
        figures = page.evaluate(
            "Array.from(document.querySelectorAll('figure')).map(f => Array.from("
            "f.querySelectorAll('figcaption a')).map(a => [a.textContent, a.getAttribute('href')]))"
        )
        assert figures
        for links in figures:
            exports = {label: href for label, href in links if label in ("PNG 300 dpi", "SVG")}
            assert set(exports) == {"PNG 300 dpi", "SVG"}, links
            assert all((index.parent / href).is_file() for href in exports.values()), links
        viewer = "document.getElementById('viewer')"
        for _ in range(100):
            if page.evaluate(f"{viewer}.dataset.ready") == "true":
                break
            time.sleep(0.1)
        titles = page.evaluate(
            f"Array.from({viewer}.querySelectorAll('[name=map-a] option')).map(o => o.textContent)"
        )
        kinds = page.evaluate(
            "JSON.parse(document.getElementById('viewer-data').textContent).map(m => m.kind)"
        )
        landuse = [  # the class maps of land use (not the maps of land-use emissions)
            i
            for i, t in enumerate(titles)
            if ("land use" in t or "土地利用" in t) and kinds[i] != "values"
        ]
        assert landuse, titles
        for i in landuse:
            legend = page.evaluate(
                f"(() => {{ const a = {viewer}.querySelector('[name=map-a]'); a.value = '{i}';"
                " a.dispatchEvent(new Event('input'));"
                f" return {viewer}.querySelector('.viewer-legend').textContent; }})()"
            )
            assert all(name in legend for name in names), (titles[i], legend, names)
        other = next(i for i in range(len(titles)) if i != landuse[0])
        page.evaluate(
            f"(() => {{ const v = {viewer}; v.querySelector('[name=map-a]').value = '{landuse[0]}';"
            f" v.querySelector('[name=map-b]').value = '{other}';"
            " v.querySelector('[name=swipe]').dispatchEvent(new Event('input')); })()"
        )
        page.evaluate(f"{viewer}.querySelector('[name=swap]').click()")  # land use on the right
        swapped = page.evaluate(f"[{viewer}.dataset.left, {viewer}.dataset.right]")
        assert swapped == [titles[other], titles[landuse[0]]]
        box = page.evaluate(
            f"(() => {{ const c = {viewer}.querySelector('canvas'); c.scrollIntoView();"
            " const r = c.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()"
        )
        page.mouse("mouseMoved", box[0] + box[2] * 0.7, box[1] + box[3] * 0.5)
        hover = page.evaluate(f"{viewer}.dataset.hover")
        assert hover.startswith(titles[landuse[0]] + " · "), hover
        assert any(hover.endswith(" " + name) for name in names), hover
        assert page.errors == []


def test_viewer_maps_are_decimated_and_carry_the_study_legend(tmp_path: Path):
    import base64
    import io

    from PIL import Image

    from landcarbon.report.viewer import MAX_SIDE, viewer_map

    codes = np.tile(np.array([1, 2, 1, 2, 1], dtype=np.int32), (3, 500))  # 3 x 2500 cells
    write_raster(make_raster(codes), tmp_path / "lu.tif", classes={1: CLASSES[1], 2: CLASSES[2]})
    shown = viewer_map(tmp_path / "lu.tif", "lu", CLASSES)
    assert (shown["width"], shown["height"], shown["step"]) == (834, 1, 3)
    assert shown["width"] <= MAX_SIDE
    assert shown["names"] == ["cropland", "forest", "water"]  # every class of the scheme
    png = base64.b64decode(shown["png"].split(",", 1)[1])
    pixels = np.asarray(Image.open(io.BytesIO(png)))
    np.testing.assert_array_equal(pixels[0, :5], [0, 1, 1, 0, 0])  # codes 1 2 2 1 1 by index
    other = {1: ("very low", "#ffffff"), 2: ("low", "#000000")}  # a map of another legend
    write_raster(make_raster(codes[:, :4]), tmp_path / "z.tif", classes=other)
    assert viewer_map(tmp_path / "z.tif", "z", CLASSES)["names"] == ["very low", "low"]


def test_csv_with_a_nameless_index_is_never_written(tmp_path: Path):
    """The cause of the report's ``Unnamed: 0`` columns (GeoDetector, correlations)."""
    from landcarbon.writes import write_csv

    frame = pd.DataFrame({"q": [0.5]}, index=["dem"])
    with pytest.raises(ValueError, match="index written has no name"):
        write_csv(frame, tmp_path / "f.csv", index=True)
    assert not (tmp_path / "f.csv").exists()
    write_csv(frame.rename_axis("factor"), tmp_path / "f.csv", index=True)
    assert list(pd.read_csv(tmp_path / "f.csv").columns) == ["factor", "q"]


def test_viewer_map_without_names_and_with_too_many_classes(tmp_path: Path):
    from landcarbon.errors import LandcarbonWarning
    from landcarbon.report.viewer import viewer_map

    write_raster(make_raster(np.array([[3, 7], [7, 3]], dtype=np.int32)), tmp_path / "a.tif")
    shown = viewer_map(tmp_path / "a.tif", "a")
    assert shown is not None and shown["names"] == ["class 3", "class 7"]
    many = np.arange(300, dtype=np.int32).reshape(15, 20)
    write_raster(make_raster(many), tmp_path / "many.tif")
    with pytest.warns(LandcarbonWarning, match="300 classes are more than"):
        assert viewer_map(tmp_path / "many.tif", "many") is None


def test_class_map_figures_list_every_class_of_the_scheme(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A simulated map without water still has water in its legend; a map of other
    classes (sink zones) keeps its own."""
    import landcarbon.report.html as report_html

    legends: dict[str, object] = {}
    real = report_html.render_map

    def keep(path: Path, png: Path, title: str = "", classes=None, exports=()) -> Path:  # type: ignore[no-untyped-def]
        legends[Path(path).stem] = classes
        return real(path, png, title, classes, exports)

    monkeypatch.setattr(report_html, "render_map", keep)

    def run(ctx: Context) -> None:
        two = make_raster(np.array([[1, 2], [2, 1]], dtype=np.int32))
        write_raster(two, ctx.outputs["lu"], classes={1: CLASSES[1], 2: CLASSES[2]})
        write_raster(
            two, ctx.outputs["z"], classes={1: ("primary", "#000000"), 2: ("other", "#ffffff")}
        )

    step = Step(
        "maps",
        "simulation",
        (),
        (
            Output("lu", "lu.tif", "raster", "class", "simulated land use"),
            Output("z", "z.tif", "raster", "class", "sink zones"),
        ),
        run,
    )
    run_steps([step], {}, tmp_path, seed=0)
    build_report("T", "", [step], tmp_path, {}, classes=CLASSES)
    assert legends == {"lu": CLASSES, "z": None}


def test_the_report_does_not_import_the_pipeline():
    """The report reads declared outputs as plain data; the pipeline is not its concern."""
    import subprocess
    import sys

    code = (
        "import sys, landcarbon.report.html, landcarbon.report.viewer;"
        "print(sorted(m for m in sys.modules if m.startswith('landcarbon.study')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_viewer_reads_the_value_of_a_continuous_map_with_its_units(tmp_path: Path):
    """A map of values (carbon density here) is in the viewer with its units; hovering a
    cell reads the raster's value at that cell (within the 16-bit quantisation and the four
    significant digits shown)."""
    from landcarbon.raster import read_raster
    from landcarbon.report.browser import Page, find_chromium

    chromium = find_chromium()
    if chromium is None:
        pytest.skip("chromium not installed (make test installs it with apt-get)")
    density = np.linspace(-40.0, 160.0, 30 * 40).reshape(30, 40)  # both signs: diverging
    density[0, 0] = np.nan

    def run(ctx: Context) -> None:
        write_raster(make_raster(density.astype("float32")), ctx.outputs["c"], units="t C/ha")

    step = Step(
        "demo",
        "carbon",
        (),
        (Output("c", "carbon/c.tif", "raster", "t C/ha", "carbon storage, 2020"),),
        run,
    )
    records = run_steps([step], {}, tmp_path, seed=0)
    index = build_report("T", "", [step], tmp_path, {r.name: r.summary for r in records})
    raster = read_raster(tmp_path / "carbon/c.tif").values
    viewer = "document.getElementById('viewer')"
    with Page(chromium, tmp_path / "profile") as page:
        page.open(index.as_uri())
        for _ in range(100):
            if page.evaluate(f"{viewer}.dataset.ready") == "true":
                break
            time.sleep(0.1)
        legend = page.evaluate(f"{viewer}.querySelector('.viewer-legend').textContent")
        assert legend == "-160  160 t C/ha", legend  # the ramp (a span) centred on 0, units
        box = page.evaluate(
            f"(() => {{ const c = {viewer}.querySelector('canvas'); c.scrollIntoView();"
            " const r = c.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()"
        )
        for fx, fy in ((0.3, 0.4), (0.45, 0.7)):  # left of the swipe at 50 %
            page.mouse("mouseMoved", box[0] + box[2] * fx, box[1] + box[3] * fy)
            hover = page.evaluate(f"{viewer}.dataset.hover")
            found = re.fullmatch(r"carbon storage, 2020 · (\d+), (\d+) · (-?[\d,.]+) t C/ha", hover)
            assert found, hover
            row, col = int(found[1]), int(found[2])
            value = float(found[3].replace(",", ""))
            quantum = 200.0 / 65534
            assert value == pytest.approx(raster[row, col], rel=5e-4, abs=quantum), hover
        assert page.errors == []


def test_value_maps_are_decimated_quantised_and_the_page_bounded(tmp_path: Path):
    import base64
    import io

    from PIL import Image

    from landcarbon.errors import LandcarbonWarning
    from landcarbon.report.viewer import MAX_SIDE_VALUES, NO_VALUE, value_map, within_budget

    values = np.tile(np.array([0.5, 2.0, np.nan, 7.25], dtype=np.float32), (3, 300))  # 3 x 1200
    write_raster(make_raster(values), tmp_path / "nep.tif")
    shown = value_map(tmp_path / "nep.tif", "NEP", "g C/m²/yr")
    assert shown is not None
    assert (shown["width"], shown["height"], shown["step"]) == (400, 1, 3)
    assert shown["width"] <= MAX_SIDE_VALUES
    assert shown["range"] == [0.5, 7.25] and shown["ramp"][0] == "#440154"  # one sign
    rgb = np.asarray(Image.open(io.BytesIO(base64.b64decode(shown["png"].split(",", 1)[1]))))
    q = rgb[0, :4, 0].astype(int) * 256 + rgb[0, :4, 1]
    # every 3rd cell: 0.5, 7.25, nan, 2.0
    read = shown["low"] + q[[0, 1, 3]] * shown["scale"]
    np.testing.assert_allclose(read, [0.5, 7.25, 2.0], atol=shown["scale"] / 2)
    assert q[2] == NO_VALUE
    size = len(shown["png"])
    with pytest.warns(LandcarbonWarning, match="left out of it: b"):
        kept = within_budget([shown, {**shown, "title": "b"}], budget=size + size // 2)
    assert [m["title"] for m in kept] == ["NEP"]


def test_erosion_grade_columns_are_labelled_in_chinese():
    # the grade-area table's columns (SL 190-2007 grade names, hectares) in a zh report
    from landcarbon.erosion.csle import GRADE_NAMES

    labels = [label(f"{grade}_ha", "zh") for grade in GRADE_NAMES]
    assert labels == [
        "微度 (hm²)",
        "轻度 (hm²)",
        "中度 (hm²)",
        "强烈 (hm²)",
        "极强烈 (hm²)",
        "剧烈 (hm²)",
    ]
    assert label("very_intense_ha", "en") == "very intense (ha)"
