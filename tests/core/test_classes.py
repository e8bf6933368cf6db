"""Class schemes: the named public schemes' code lists, class tables with names, colours
and groups, "class N" without a table, GDAL category metadata and CJK fonts."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from landcarbon.classes import (
    NEUTRAL_COLOURS,
    SCHEMES,
    generic_scheme,
    named_scheme,
    scheme_from_table,
)
from landcarbon.errors import LandcarbonWarning, ParameterError, TableError
from landcarbon.group_names import GROUPS, check_group
from landcarbon.raster import write_raster
from landcarbon.report import fonts
from landcarbon.report.maps import render_map
from landcarbon.tables import read_table
from landcarbon.testing import make_raster

# each product's code list as its documentation gives it (see landcarbon.classes)
DOCUMENTED_CODES = {
    "cnlucc": list(range(1, 7)),
    "cnlucc2": [
        11,
        12,
        21,
        22,
        23,
        24,
        31,
        32,
        33,
        41,
        42,
        43,
        44,
        45,
        46,
        51,
        52,
        53,
        *range(61, 68),
    ],
    "clcd": list(range(1, 10)),
    "worldcover": [10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 100],
    "igbp": list(range(1, 18)),
    "corine1": list(range(1, 6)),
    "nlcd": [11, 12, 21, 22, 23, 24, 31, 41, 42, 43, 51, 52, 71, 72, 73, 74, 81, 82, 90, 95],
}


@pytest.mark.parametrize("name", sorted(DOCUMENTED_CODES))
def test_named_schemes_hold_the_documented_codes(name: str):
    scheme = named_scheme(name.upper())
    assert sorted(scheme.classes) == DOCUMENTED_CODES[name]
    names = [v[0] for v in scheme.classes.values()]
    assert len(set(names)) == len(names)
    assert all(len(c) == 7 and c.startswith("#") for _, c in scheme.classes.values())
    assert set(scheme.groups.values()) <= set(GROUPS)
    assert set(SCHEMES) == set(DOCUMENTED_CODES)


def test_named_scheme_values_spot_checked():
    assert named_scheme("worldcover").classes[95] == ("mangroves", "#00cf75")
    assert named_scheme("igbp").classes[13] == ("urban and built-up lands", "#a5a5a5")
    assert named_scheme("nlcd").classes[82] == ("cultivated crops", "#ab6c28")
    assert named_scheme("clcd").groups[8] == "built-up"
    assert named_scheme("cnlucc").names()[6] == "unused land"


def test_unknown_scheme_has_did_you_mean():
    with pytest.raises(ParameterError, match=r"'nlcdd' does not exist \(did you mean 'nlcd'\?\)"):
        named_scheme("nlcdd")


def test_without_a_table_classes_are_class_n_with_one_colour_per_code():
    a = generic_scheme([3, 1]).legend()
    b = generic_scheme([1, 2, 3, 7]).legend()
    assert a == {1: ("class 1", b[1][1]), 3: ("class 3", b[3][1])}
    assert b[7][0] == "class 7"


def test_class_table_names_colours_and_groups(tmp_path: Path):
    path = tmp_path / "classes.csv"
    path.write_text(
        "code,name,colour,group\n90,建设用地,red,Built-up\n10,耕地,,cropland\n",
        encoding="utf-8",
    )
    with pytest.raises(TableError, match="code 90: colour 'red' is not #rrggbb"):
        scheme_from_table(str(path))
    path.write_text(
        "code,name,colour,group\n90,建设用地,#D32F2F,Built-up\n10,耕地,,cropland\n",
        encoding="utf-8",
    )
    scheme = scheme_from_table(str(path))
    neutral = NEUTRAL_COLOURS[0]  # the table's first class (by code) without a colour
    assert scheme.legend() == {10: ("耕地", neutral), 90: ("建设用地", "#d32f2f")}
    assert scheme.groups == {10: "cropland", 90: "built-up"}
    assert read_table(path).groups() == {10: "cropland", 90: "built-up"}
    with pytest.raises(TableError, match=r"class code\(s\) \[20\] are not in the class scheme"):
        scheme.legend([10, 20])


def test_class_table_without_names_names_the_classes_class_n(tmp_path: Path):
    path = tmp_path / "classes.csv"
    path.write_text("code,group\n1,forest\n7,cropland\n", encoding="utf-8")
    scheme = scheme_from_table(str(path))
    assert scheme.names() == {1: "class 1", 7: "class 7"}
    assert scheme.groups == {1: "forest", 7: "cropland"}
    path.write_text("code,name\n1,forest\n2,\n", encoding="utf-8")
    with pytest.raises(TableError, match="code 2: the name is blank; give every class a name"):
        scheme_from_table(str(path))


def test_check_group():
    assert check_group(" Forest ") == "forest"
    with pytest.raises(TableError, match=r"'wetlands' .*\(did you mean 'wetland'\?\)"):
        check_group("wetlands")


def test_write_raster_writes_gdal_categories_and_attribute_table(tmp_path: Path):
    lulc = make_raster(np.array([[10, 20], [90, 10]], dtype=np.int32))
    classes = {10: ("耕地", "#f6d55c"), 20: ("林地 & <wood>", "#2e7d32"), 90: ("建设", "#d32f2f")}
    tif = write_raster(lulc, tmp_path / "lu.tif", classes=classes)
    aux = Path(f"{tif}.aux.xml").read_text(encoding="utf-8")
    assert aux.count("<Category>") == 91
    assert "<Category>林地 &amp; &lt;wood&gt;</Category>" in aux
    assert '<GDALRasterAttributeTable tableType="thematic">' in aux
    assert "<Name>Class_Name</Name><Type>2</Type><Usage>2</Usage>" in aux
    assert '<Row index="2"><F>90</F><F>建设</F><F>211</F><F>47</F><F>47</F></Row>' in aux


def test_cjk_class_names_warn_at_most_once(tmp_path: Path):
    lulc = make_raster(np.array([[10, 20], [90, 10]], dtype=np.int32))
    classes = {10: ("耕地", "#f6d55c"), 20: ("林地", "#2e7d32"), 90: ("建设用地", "#d32f2f")}
    tif = write_raster(lulc, tmp_path / "lu.tif", classes=classes)
    fonts._warn_no_cjk_font.cache_clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        render_map(tif, tmp_path / "a.png", "土地利用")
        render_map(tif, tmp_path / "b.png")
    assert (tmp_path / "a.png").stat().st_size > 1000
    assert not [w for w in caught if "Glyph" in str(w.message)]
    font_warnings = [w for w in caught if issubclass(w.category, LandcarbonWarning)]
    assert len(font_warnings) == (0 if fonts.cjk_font() else 1)
    assert all("fonts-noto-cjk" in str(w.message) for w in font_warnings)


def test_a_cjk_font_installed_after_matplotlibs_font_cache_is_found(monkeypatch):
    """Matplotlib lists fonts once, when it builds its cache: a CJK font installed later
    (as the warning advises) was not found, and the warning came back after the install."""
    from matplotlib import font_manager

    system = font_manager.findSystemFonts()
    cjk_files = [p for p in system if "CJK" in p or "wqy" in p.lower() or "Han" in p]
    if not cjk_files:
        pytest.skip("no CJK font file on this machine (make test installs fonts-noto-cjk)")
    stale = font_manager.FontManager.__new__(font_manager.FontManager)
    stale.__dict__.update(font_manager.fontManager.__dict__)
    stale.ttflist = [f for f in font_manager.fontManager.ttflist if f.fname not in cjk_files]
    monkeypatch.setattr(font_manager, "fontManager", stale)
    fonts.cjk_font.cache_clear()
    try:
        assert fonts._first_cjk(stale) is None  # the cache as it was before the install
        assert fonts.cjk_font() in fonts.CJK_FONTS
    finally:
        fonts.cjk_font.cache_clear()


def test_codes_sharing_a_last_digit_get_distinct_neutral_colours(tmp_path: Path):
    """10, 20 and 90 once all took NEUTRAL_COLOURS[0] (code % 10): maps of one colour."""
    generic = generic_scheme([10, 20, 90]).legend()
    assert len({colour for _, colour in generic.values()}) == 3
    assert generic_scheme([10]).legend()[10] == generic[10]  # the same in every map
    path = tmp_path / "classes.csv"
    path.write_text("code,name\n10,a\n20,b\n90,c\n30,d\n40,e\n", encoding="utf-8")
    table = scheme_from_table(str(path)).legend()
    assert len({colour for _, colour in table.values()}) == 5
