"""Land-use groups: the vocabulary, and group-keyed presets resolved onto a study's codes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from landcarbon.carbon import emission_factor_preset, emission_totals, pools_preset
from landcarbon.classes import ClassScheme, scheme_from_table
from landcarbon.errors import TableError
from landcarbon.group_names import GROUPS, check_group
from landcarbon.groups import class_groups
from landcarbon.testing import make_raster


def classes(groups: dict[int, str | None], folder: Path) -> ClassScheme:
    """The scheme of a class table file classes.csv (code, name, group; blank = no group)."""
    path = folder / "classes.csv"
    rows = "".join(f"{c},class {c},{g or ''}\n" for c, g in groups.items())
    path.write_text("code,name,group\n" + rows, encoding="utf-8")
    return scheme_from_table(str(path))


def test_group_names_and_synonyms_are_canonical():
    assert check_group("Built_Up") == "built-up"
    assert check_group("unused land") == "barren"
    assert check_group(" Farmland ") == "cropland"
    assert check_group("snow_ice") == "snow/ice"
    assert all(check_group(g) == g for g in GROUPS)


def test_unknown_group_suggests_the_closest():
    with pytest.raises(
        TableError,
        match=r"c.csv: 'forrest' is not a land-use group \(did you "
        r"mean 'forest'\?\); use one of cropland, forest",
    ):
        check_group("forrest", "c.csv")


def test_codes_10_20_90_get_the_presets_group_values(tmp_path: Path):
    table = classes({10: "cropland", 20: "forest", 90: "barren"}, tmp_path)
    factors = emission_factor_preset("arid_muus", table)
    assert factors.codes.tolist() == [10, 20, 90]
    lulc = make_raster(np.array([[10, 10, 20], [90, 20, 20]], dtype=np.int32))  # 0.09 ha cells
    totals = emission_totals(lulc, factors).set_index("code")["emissions_t_c_yr"]
    # study 002: cropland 0.42, forest -0.64, unused 0.05 t C/ha/yr
    # 2 x 0.09 x 0.42 = 0.0756; 3 x 0.09 x -0.64 = -0.1728; 1 x 0.09 x 0.05 = 0.0045
    assert totals.to_dict() == pytest.approx({10: 0.0756, 20: -0.1728, 90: 0.0045}, rel=1e-14)
    assert totals.sum() == pytest.approx(-0.0927, rel=1e-14)
    pools = pools_preset("henan_table1", table)
    # forest land, Table 1 of study 004: 20.92 + 7.53 + 67.3 + 54.2 = 149.95 t C/ha
    assert pools.frame.loc[20, ["c_above", "c_below", "c_soil", "c_dead"]].sum() == 149.95
    assert pools.frame.loc[90, "c_soil"] == 53.3


def test_a_group_keyed_table_names_each_class_as_the_class_table_does(tmp_path: Path):
    """The erosion tables by group gave codes 10/20/90 named 耕地/林地/建设用地 the preset
    rows' names (cropland, forest, built-up) in erosion/by_land_use.csv."""
    from landcarbon.erosion.presets import read_erosion_tables

    path = tmp_path / "classes.csv"
    path.write_text(
        "code,name,group\n10,耕地,cropland\n20,林地,forest\n90,建设用地,built-up\n",
        encoding="utf-8",
    )
    scheme = scheme_from_table(str(path))
    land_use = read_erosion_tables(None, scheme).land_use
    assert land_use.names() == {10: "耕地", 20: "林地", 90: "建设用地"}
    assert pools_preset("henan_table1", scheme).names() == {10: "耕地", 20: "林地", 90: "建设用地"}


def test_two_codes_of_one_group_share_its_row(tmp_path: Path):
    table = classes({11: "cropland", 12: "cropland", 2: "forest"}, tmp_path)
    factors = emission_factor_preset("sun2015", table)
    assert factors.column("factor_t_c_per_ha_yr").to_dict() == {11: 0.422, 12: 0.422, 2: -0.581}


def test_a_preset_on_ungrouped_classes_names_the_codes(tmp_path: Path):
    table = classes({1: "forest", 7: None, 8: None}, tmp_path)
    with pytest.raises(
        TableError,
        match=r"class code\(s\) \[7, 8\] of .*classes.csv "
        r"have no group; give each class a group",
    ):
        emission_factor_preset("arid_muus", table)


def test_a_group_the_preset_lacks_is_named(tmp_path: Path):
    table = classes({1: "forest", 5: "wetland"}, tmp_path)
    with pytest.raises(TableError, match=r"no row for the group of class code\(s\) 5 \(wetland\)"):
        pools_preset("henan_table1", table)


def test_a_class_table_without_group_column_has_no_groups(tmp_path: Path):
    path = tmp_path / "c.csv"
    path.write_text("code,name\n1,Forest\n", encoding="utf-8")
    table = scheme_from_table(str(path))
    assert class_groups(table) == {1: None}
    with pytest.raises(TableError, match=r"\[1\]"):
        emission_factor_preset("arid_muus", table)


def test_a_group_keyed_preset_without_classes_is_refused():
    with pytest.raises(TableError, match=r"keyed by land-use group, but no class table"):
        emission_factor_preset("arid_muus", None)
