"""Figures for papers: 300 dpi PNG and SVG exports, scale bars in the CRS's units,
coordinates, diverging ramps centred on 0, scenario panels with one legend, every band
of a probability stack, bar axes that show differences."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine

from landcarbon.raster import read_grid, write_raster
from landcarbon.report.charts import bar_chart_png
from landcarbon.report.figures import PRINT_DPI, language, save_figure
from landcarbon.report.maps import (
    bands_figure,
    class_panel_figure,
    map_figure,
    scale_bar,
)
from landcarbon.testing import make_raster

CLASSES = {1: ("cropland", "#f6d55c"), 2: ("forest", "#2e7d32"), 3: ("water", "#1e88e5")}


def png_dpi(path: Path) -> float:
    """Dots per inch of a PNG, read from its pHYs chunk (pixels per metre)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at = 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        body = data[at + 8 : at + 8 + length]
        assert struct.unpack(">I", data[at + 8 + length : at + 12 + length])[0] == zlib.crc32(
            kind + body
        )
        if kind == b"pHYs":
            x, y, unit = struct.unpack(">IIB", body)
            assert unit == 1 and x == y  # metres, square pixels
            return x * 0.0254
        at += 12 + length
    raise AssertionError(f"{path}: no pHYs chunk")


def _classes_tif(tmp_path: Path, name: str = "lu.tif", seed: int = 0) -> Path:
    values = np.random.default_rng(seed).integers(1, 4, (40, 50)).astype(np.int32)
    path = tmp_path / name
    write_raster(make_raster(values), path, classes=CLASSES)
    return path


def test_a_figure_is_exported_as_a_300_dpi_png_and_an_svg(tmp_path: Path):
    lu = _classes_tif(tmp_path)
    fig = map_figure(lu, "land use", CLASSES)
    exports = [tmp_path / "figures" / "lu.png", tmp_path / "figures" / "lu.svg"]
    save_figure(fig, tmp_path / "screen.png", exports)
    assert png_dpi(exports[0]) == pytest.approx(PRINT_DPI, abs=0.01)
    assert png_dpi(tmp_path / "screen.png") == pytest.approx(110, abs=0.01)
    svg = exports[1].read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "<dc:date>" not in svg  # no time stamp: the same figure gives the same bytes
    save_figure(
        map_figure(lu, "land use", CLASSES),
        tmp_path / "again.png",
        [tmp_path / "again.svg"],
    )
    assert (tmp_path / "again.svg").read_bytes() == exports[1].read_bytes()


@pytest.mark.parametrize(
    ("crs", "cell", "origin", "length", "label"),
    [
        # 50 x 30 m = 1500 m wide: a fifth is 300 m -> 200 m (1, 2, 5 x 10^k) in metres
        ("EPSG:32650", 30.0, (500_000.0, 4_000_000.0), 200.0, "200 m"),
        # US survey feet: 50 x 1000 ft = 15 240 m; 3048 m -> 2 km = 2000 / 0.3048006 ft
        ("EPSG:2263", 1000.0, (1_000_000.0, 200_000.0), 2000 / 0.3048006096012192, "2 km"),
        # 0.5 degree at 60 N: one degree of longitude is 55 800 m (WGS 84), the map
        # 25 x 55.8 = 1395 km wide; a fifth 279 km -> 200 km = 3.584 degrees
        ("EPSG:4326", 0.5, (10.0, 70.0), 200_000 / 55_800.0, "200 km"),
    ],
)
def test_scale_bar_length_is_in_the_units_of_the_crs(
    tmp_path: Path, crs: str, cell: float, origin: tuple[float, float], length: float, label: str
):
    path = tmp_path / "m.tif"
    # 40 rows: the geographic map spans 70 N to 50 N, its middle latitude 60 N
    write_raster(make_raster(np.ones((40, 50)), cell_size=cell, crs=crs, origin=origin), path)
    bar = scale_bar(read_grid(path))
    assert bar.label == label
    assert bar.length == pytest.approx(length, rel=2e-3)
    ax = map_figure(path, "m").axes[0]
    (line,) = ax.lines  # the bar drawn is the length computed, in the axis units
    assert np.ptp(line.get_xdata()) == pytest.approx(bar.length, rel=1e-12)
    if crs == "EPSG:4326":
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("longitude (°)", "latitude (°)")
    elif crs == "EPSG:32650":
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("x (m)", "y (m)")
        # coordinates in metres inside the map's extent (500 000 to 501 500 m)
        ticks = [t for t in ax.get_xticks() if 500_000 <= t <= 501_500]
        assert len(ticks) >= 2
    assert any(t.get_text() == "N" for t in ax.texts)  # north arrow


def test_a_map_without_a_crs_is_in_cells_without_a_north_arrow(tmp_path: Path):
    path = tmp_path / "plain.tif"
    profile = {"driver": "GTiff", "height": 30, "width": 40, "count": 1, "dtype": "float32"}
    with rasterio.open(path, "w", transform=Affine(2, 0, 100, 0, -2, 500), **profile) as ds:
        ds.write(np.ones((1, 30, 40), "float32"))
    bar = scale_bar(read_grid(path))
    assert (bar.length, bar.label) == (10.0, "10 cells")  # 40 cells: a fifth 8 -> 10
    fig = map_figure(path, "plain")
    ax = fig.axes[0]
    assert ax.get_title() == "plain\n(no CRS: axes and scale in cells, north unknown)"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("column (cells)", "row (cells)")
    assert not any(t.get_text() == "N" for t in ax.texts)


def test_change_maps_use_a_diverging_ramp_centred_on_zero(tmp_path: Path):
    change, positive = tmp_path / "change.tif", tmp_path / "storage.tif"
    losses = tmp_path / "losses.tif"
    write_raster(make_raster(np.linspace(-1.0, 3.0, 20).reshape(4, 5)), change, units="t C/ha")
    write_raster(make_raster(np.linspace(1.0, 3.0, 20).reshape(4, 5)), positive)
    write_raster(make_raster(np.linspace(-2.0, 0.0, 20).reshape(4, 5)), losses)
    image = map_figure(change).axes[0].images[0]
    assert image.get_cmap().name == "RdBu"
    assert (image.norm.vmin, image.norm.vmax) == (-3.0, 3.0)  # 0 in the middle
    image = map_figure(losses).axes[0].images[0]  # losses only: still read against 0
    assert image.get_cmap().name == "RdBu"
    assert (image.norm.vmin, image.norm.vmax) == (-2.0, 2.0)
    image = map_figure(positive).axes[0].images[0]
    assert image.get_cmap().name == "viridis"
    assert (image.norm.vmin, image.norm.vmax) == (1.0, 3.0)


def test_scenario_panel_has_a_map_per_scenario_and_one_legend(tmp_path: Path):
    maps = {label: _classes_tif(tmp_path, f"{label}.tif", i) for i, label in enumerate("abc")}
    fig = class_panel_figure(maps, CLASSES, "scenarios 2030")
    maps_drawn = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in maps_drawn] == ["a", "b", "c"]
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["1 cropland", "2 forest", "3 water"]
    colours = [tuple(h.get_facecolor()[:3]) for h in legend.legend_handles]
    assert colours == [
        tuple(int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)) for _, c in CLASSES.values()
    ]


def test_every_band_of_a_probability_stack_is_drawn_on_one_scale(tmp_path: Path):
    path = tmp_path / "prob.tif"
    stack = (
        make_raster(np.zeros((4, 5)))
        .expand_dims(band=3)
        .copy(data=np.stack([np.full((4, 5), v) for v in (0.1, 0.5, 0.9)]))
    )
    write_raster(stack, path)
    fig = bands_figure(path, ["1 cropland", "2 forest", "3 water"], "probability", "p")
    drawn = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in drawn] == ["1 cropland", "2 forest", "3 water"]
    assert [float(np.nanmax(ax.images[0].get_array())) for ax in drawn] == [0.1, 0.5, 0.9]
    assert {(ax.images[0].norm.vmin, ax.images[0].norm.vmax) for ax in drawn} == {(0.1, 0.9)}


def test_bar_axes_span_the_values_so_a_one_percent_difference_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import landcarbon.report.charts as charts

    frame = pd.DataFrame({"t": [1000.0, 1010.0, 1005.0]}, index=["a", "b", "c"])
    drawn = []

    def keep(fig, png, exports=()):  # type: ignore[no-untyped-def]
        drawn.append(fig)
        return save_figure(fig, png, exports)

    monkeypatch.setattr(charts, "save_figure", keep)
    bar_chart_png(frame, tmp_path / "bars.png", "title", "t")
    low, high = drawn[0].axes[0].get_ylim()
    assert (low, high) == pytest.approx((999.0, 1011.0))  # the span +/- a tenth, not from 0


def test_a_long_class_text_is_cut_in_the_legend_not_squeezing_the_map(tmp_path: Path):
    text = "High-carbon reinforcement: " + "restore the forest belts and close grazing " * 6
    classes = {1: ("cropland", "#f6d55c"), 2: (text, "#2e7d32"), 3: ("water", "#1e88e5")}
    fig = map_figure(_classes_tif(tmp_path), "strategies", classes)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[0] == "1 cropland"
    assert len(labels[1].splitlines()) <= 3 and labels[1].endswith("…")
    assert labels[1].startswith("2 High-carbon")
    fig.canvas.draw()
    (ax,) = [a for a in fig.axes if a.images]
    assert ax.get_position().width > 0.5  # the map keeps most of the figure's width


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (24_670.4, "24,670"),
        (9.8271, "9.827"),
        (-1_830_000.0, "-1,830,000"),
        (0.012345, "0.01235"),
        (25.0, "25"),
    ],
)
def test_chart_numbers_have_separators_and_no_exponent(value: float, text: str):
    from landcarbon.report.charts import number

    assert number(value) == text


def _texts(fig: object) -> list[str]:
    """Every piece of text drawn on a matplotlib figure (titles, labels, ticks, legends)."""
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]  # type: ignore[attr-defined]


def test_a_zh_map_has_chinese_fixed_text_and_class_names_as_written(tmp_path: Path):
    path = tmp_path / "plain.tif"
    profile = {"driver": "GTiff", "height": 30, "width": 40, "count": 1, "dtype": "float32"}
    with rasterio.open(path, "w", transform=Affine(2, 0, 100, 0, -2, 500), **profile) as ds:
        ds.write(np.ones((1, 30, 40), "float32"))
    with language("zh"):
        ax = map_figure(path, "土地利用 2020").axes[0]
        assert scale_bar(read_grid(path)).label == "10 像元"
        panel = class_panel_figure({"2020": _classes_tif(tmp_path)}, CLASSES, "标题")
    assert ax.get_title() == "土地利用 2020\n(无坐标系：坐标轴与比例尺以像元计，方向未知)"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("列（像元）", "行（像元）")
    assert "10 像元" in _texts(ax.figure)
    shown = _texts(panel)
    assert {"1 cropland", "2 forest", "3 water"} <= set(shown)  # names as the user wrote them
    assert "北" in shown and "N" not in shown  # the north arrow of a map with a CRS
    # outside the block the figure text is English again
    assert map_figure(path, "plain").axes[0].get_xlabel() == "column (cells)"


def test_every_figure_text_has_a_chinese_message():
    from landcarbon.report.i18n import MESSAGES

    english = {k for k in MESSAGES["en"] if k.startswith("fig.")}
    assert english and english == {k for k in MESSAGES["zh"] if k.startswith("fig.")}
    for key in english:
        en, zh = MESSAGES["en"][key], MESSAGES["zh"][key]
        fields = sorted(re.findall(r"{(\w+)", en))
        assert fields == sorted(re.findall(r"{(\w+)", zh)), key  # the same blanks to fill


ZH_STUDY = """
[study]
name = "zh figures"

[synthetic]
shape = [30, 40]
seed = 3

[inputs]
classes = "cnlucc"
categorical = ["landuse_2010", "landuse_2020"]

[rasters]
landuse_2010 = "synthetic_data/landuse_2010.tif"
landuse_2020 = "synthetic_data/landuse_2020.tif"
population = "synthetic_data/population.tif"

[report]
language = "{language}"

[landuse]
maps = {{ "2010" = "landuse_2010", "2020" = "landuse_2020" }}

[carbon]
maps = {{ "2010" = "landuse_2010", "2020" = "landuse_2020" }}
pools = "henan_table1"
emission_factors = "sun2015"
energy_weights = "population"

[carbon.fuels]
"raw coal" = 2.1e6
"""


@pytest.mark.filterwarnings("ignore::landcarbon.errors.LandcarbonWarning")  # a small region
def test_a_zh_study_draws_its_figures_in_chinese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Every figure a zh study draws (chapter charts, maps, the report's raster maps) has
    its fixed text in Chinese, and class names as the scheme writes them; switching the
    language back to English draws the figures again, in English."""
    import landcarbon.report.charts
    import landcarbon.report.figures
    import landcarbon.report.maps
    from landcarbon.study.run import run_study

    drawn: dict[str, list[str]] = {}
    save = landcarbon.report.figures.save_figure

    def spy(fig, png, exports=()):  # type: ignore[no-untyped-def]
        drawn[Path(png).name] = _texts(fig)
        return save(fig, png, exports)

    for module in (landcarbon.report.figures, landcarbon.report.charts, landcarbon.report.maps):
        monkeypatch.setattr(module, "save_figure", spy)
    study = tmp_path / "study.toml"
    study.write_text(ZH_STUDY.format(language="zh"))
    run_study(study, tmp_path / "out")
    assert {"landuse_2010.png", "sankey.png", "comparison.png", "landuse_all.png"} <= set(drawn)
    english = ("cells", "area", "difference", "storage", "Land", "land use", "observed", "sink")
    for name, texts in drawn.items():
        joined = " ".join(texts)
        assert re.search("[\u4e00-\u9fff]", joined), (name, texts)
        assert not [w for w in english if w in joined], (name, texts)
    comparison = " ".join(drawn["comparison.png"])
    assert "碳储量 CS" in comparison and "与 2010 之差 (10^3 t C)" in comparison
    assert "土地利用转移 2010 → 2020（面积，hm²）" in drawn["sankey.png"]
    assert "2 forest" in drawn["landuse_all.png"]  # the CNLUCC names as written
    assert "2010, 2020年土地利用现状" in drawn["landuse_all.png"]
    assert "土地利用碳排放（负值为碳汇）, 2020" in drawn["carbon.2020.emissions.png"]
    drawn.clear()
    study.write_text(ZH_STUDY.format(language="en"))
    run_study(study, tmp_path / "out")  # the language is a parameter of the drawing steps
    assert "Land-use transfers 2010 → 2020 (area, ha)" in drawn["sankey.png"]
    assert "difference from 2010 (10^3 t C)" in " ".join(drawn["comparison.png"])
