"""Land-use groups: the vocabulary, and group-keyed presets resolved onto a study's codes."""

from __future__ import annotations

import numpy as np
import pytest

from landcarbon.carbon import emission_factor_preset, emission_totals, pools_preset
from landcarbon.errors import TableError
from landcarbon.groups import GROUPS, check_group, class_groups
from landcarbon.tables import table_from_records
from landcarbon.testing import make_raster


def classes(groups: dict[int, str | None], source: str = "classes.csv"):  # type: ignore[no-untyped-def]
    return table_from_records(
        [{"code": c, "name": f"class {c}", "group": g or ""} for c, g in groups.items()], source
    )


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


def test_codes_10_20_90_get_the_presets_group_values():
    table = classes({10: "cropland", 20: "forest", 90: "barren"})
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


def test_two_codes_of_one_group_share_its_row():
    table = classes({11: "cropland", 12: "cropland", 2: "forest"})
    factors = emission_factor_preset("sun2015", table)
    assert factors.column("factor_t_c_per_ha_yr").to_dict() == {11: 0.422, 12: 0.422, 2: -0.581}


def test_a_preset_on_ungrouped_classes_names_the_codes():
    table = classes({1: "forest", 7: None, 8: None})
    with pytest.raises(
        TableError,
        match=r"class code\(s\) \[7, 8\] of the class table classes.csv "
        r"have no group; give each class a group",
    ):
        emission_factor_preset("arid_muus", table)


def test_a_group_the_preset_lacks_is_named():
    table = classes({1: "forest", 5: "wetland"})
    with pytest.raises(TableError, match=r"no row for the group of class code\(s\) 5 \(wetland\)"):
        pools_preset("henan_table1", table)


def test_a_class_table_without_group_column_has_no_groups():
    table = table_from_records([{"code": 1, "name": "Forest"}], "c.csv")
    assert class_groups(table) == {1: None}
    with pytest.raises(TableError, match=r"\[1\]"):
        emission_factor_preset("arid_muus", table)
