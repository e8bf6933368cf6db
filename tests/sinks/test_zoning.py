"""Sink zoning (hand case, MCP_Geometric threshold check) and restoration strategies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from skimage.graph import MCP_Geometric

from landcarbon.errors import ParameterError, TableError
from landcarbon.raster import CLASS_NODATA
from landcarbon.sinks.strategies import assign_strategies, load_strategy_rules
from landcarbon.sinks.zoning import POTENTIAL, PRIMARY, SECONDARY, SinkZones, identify_sinks
from landcarbon.stats.classify import natural_breaks
from landcarbon.testing import make_raster


def _region() -> tuple[xr.DataArray, xr.DataArray, xr.DataArray]:
    """100 m cells (1 ha). Left: a 3x3 very-high natural patch (8 grassland + 1 forest);
    right: a 3x4 high patch of 10 farmland + 1 forest + 1 rural settlement; a lone high
    cell (1 ha) is below min_area_ha = 5 and is not a sink."""
    levels = np.full((7, 12), 2, dtype=np.int32)
    lulc = np.full((7, 12), 6, dtype=np.int32)  # unused land
    levels[1:4, 1:4] = 5
    lulc[1:4, 1:4] = 3
    lulc[2, 2] = 2
    levels[2:5, 7:11] = 4
    lulc[2:5, 7:11] = 1
    lulc[2, 7], lulc[4, 10] = 2, 5
    levels[6, 0] = 4
    levels[0, 11] = CLASS_NODATA
    resistance = np.ones((7, 12))
    resistance[:, 5] = 3.0
    return (
        make_raster(levels, cell_size=100.0),
        make_raster(lulc, cell_size=100.0),
        make_raster(resistance, cell_size=100.0),
    )


NAMES = {1: "farmland", 2: "forest", 3: "grassland", 5: "development", 6: "unused"}


def _quantile_zones(levels: xr.DataArray, lulc: xr.DataArray, res: xr.DataArray) -> SinkZones:
    return identify_sinks(
        levels,
        lulc,
        res,
        cultivated_codes=[1],
        lulc_names=NAMES,
        min_area_ha=5.0,
        potential="quantile",
        potential_quantile=0.25,
    )


def test_hand_case_zones_and_tables() -> None:
    levels, lulc, res = _region()
    z = _quantile_zones(levels, lulc, res)
    zones = z.zones.values
    assert np.all(zones[1:4, 1:4] == PRIMARY) and np.all(zones[2:5, 7:11] == SECONDARY)
    assert zones[6, 0] != PRIMARY and zones[0, 11] == CLASS_NODATA
    table = z.patch_table.set_index("patch")
    assert table.loc[1, "zone_name"] == "primary sink" and table.loc[1, "area_ha"] == 9.0
    assert table.loc[2, "zone_name"] == "secondary sink"
    assert table.loc[2, "cultivated_percent"] == pytest.approx(1000 / 12)
    # potential: outside cells whose MCP_Geometric cost is <= the 25 % quantile
    src = (levels.values >= 4) & (z.patches.values > 0) & (zones != POTENTIAL)
    mcp = MCP_Geometric(res.values, sampling=(100.0, 100.0))
    cost, _ = mcp.find_costs(np.argwhere(src))
    outside = ~src & (levels.values != CLASS_NODATA)
    threshold = np.quantile(cost[outside], 0.25)
    assert z.potential_threshold == pytest.approx(threshold, rel=1e-12)
    np.testing.assert_array_equal(zones == POTENTIAL, outside & (cost <= threshold))
    # Tables 7-9 layout: primary = 8 ha grassland (88.89 %) + 1 ha forest, total 9 ha
    prim = z.zone_composition[z.zone_composition["zone"] == PRIMARY].set_index("land_use")
    assert prim.loc["grassland", "area_ha"] == 8.0
    assert prim.loc["grassland", "percent"] == pytest.approx(800 / 9)
    assert set(prim["total_area_ha"]) == {9.0}
    assert list(z.zone_composition.columns) == [
        "zone",
        "zone_name",
        "code",
        "land_use",
        "area_ha",
        "percent",
        "total_area_ha",
    ]
    np.testing.assert_allclose(
        z.patch_composition.groupby("patch")["area_ha"].sum().to_numpy(),
        z.patch_table["area_ha"].to_numpy(),
    )


def test_natural_breaks_threshold() -> None:

    levels, lulc, res = _region()
    z = identify_sinks(
        levels, lulc, res, cultivated_codes=[1], min_area_ha=5.0, potential_classes=3
    )
    cost = z.cost.cost.values
    outside = (z.patches.values == 0) | (z.zones.values == POTENTIAL)
    outside &= ~np.isnan(cost) & (levels.values != CLASS_NODATA)
    assert z.potential_threshold == pytest.approx(natural_breaks(cost[outside], 3)[1])


def test_strategies_hand_case() -> None:
    levels, lulc, res = _region()
    z = _quantile_zones(levels, lulc, res)
    s = assign_strategies(z)
    table = s.table.set_index("patch")
    # patch 1: grassland 8/9, forest 1/9 -> Forest-grassland, high-carbon reinforcement
    assert table.loc[1, "pattern"] == "Forest-grassland"
    assert table.loc[1, "strategy"] == "High-carbon reinforcement"
    # patch 2: farmland 10/12, forest 1/12, development 1/12 -> low-carbon development
    assert table.loc[2, "strategy"] == "Low-carbon development"
    assert np.all(s.map.values[1:4, 1:4] == table.loc[1, "pattern_id"])
    assert s.map.values[0, 11] == CLASS_NODATA
    assert list(table.loc[[1, 2], "assigned_by"]) == ["rule", "rule"] and 0 not in s.legend


def _shares(rows: list[tuple[int, float]]) -> dict[str, float]:
    rules = load_strategy_rules()
    return rules.group_shares(pd.DataFrame(rows, columns=["code", "percent"]))


@pytest.mark.parametrize(
    ("zone", "rows", "pattern"),
    [
        # Table 7 (primary sink, CNLUCC codes, percent of 1,083.87 km2)
        (
            "primary sink",
            [
                (12, 0.27),
                (21, 3.81),
                (22, 0.01),
                (23, 3.37),
                (31, 48.60),
                (32, 11.48),
                (33, 31.76),
                (41, 0.53),
                (46, 0.17),
            ],
            "Forest-grassland",
        ),
        # Table 8 (secondary sinks, percent of 1,899.69 km2)
        (
            "secondary sink",
            [
                (11, 0.24),
                (12, 86.63),
                (21, 0.01),
                (24, 2.72),
                (31, 0.80),
                (32, 0.64),
                (33, 4.15),
                (41, 0.43),
                (43, 0.03),
                (46, 0.71),
                (51, 0.12),
                (52, 3.46),
                (62, 0.01),
                (65, 0.05),
            ],
            "Farmland-forest land-rural settlement",
        ),
        # Table 9 (potential sinks: low-coverage grassland with bare soil, bare rock, Gobi)
        (
            "potential sink",
            [(12, 0.71), (31, 0.23), (32, 6.48), (33, 51.28), (62, 14.64), (65, 1.85), (66, 24.81)],
            "Grassland-bare soil",
        ),
    ],
)
def test_study_compositions_give_study_patterns(zone: str, rows: list, pattern: str) -> None:
    rules = load_strategy_rules()
    idx, how = rules.match(zone, _shares(rows))
    assert (rules.patterns[idx - 1].name, how) == (pattern, "rule")


def test_floodplain_group_is_cnlucc_46_only() -> None:
    # Tables 7-9 list "Floodplain" (CNLUCC 46); 45 is tidal flat, a coastal class
    groups = load_strategy_rules().groups
    assert "floodplain" in groups[46] and "floodplain" not in groups[45]
    assert "water" in groups[45]


def test_preset_texts_are_table10(shared_data: Path) -> None:
    # every characteristic, strategy and approach of the preset appears verbatim in the
    # study text (Table 10), with the study's en dashes written as hyphens
    texts = sorted((shared_data.parent / "studies").glob("001_*.txt"))
    if not texts:
        pytest.skip("the county study text (shared/studies/001_*.txt) is absent")
    study = texts[0].read_text("utf-8")
    study = study.replace("\u2013", "-")
    for p in load_strategy_rules().patterns:
        row = f"{p.name}\t{p.characteristic}\t{p.strategy}\t{p.approach}"
        assert row in study, p.name


def test_preset_has_the_eight_patterns_of_table10() -> None:
    rules = load_strategy_rules()
    assert [p.strategy for p in rules.patterns] == [
        "High-carbon reinforcement",
        "Carbon conservation restoration",
        "Low-carbon development",
        "Restoring for carbon sequestration",
        "Maintaining high carbon storage",
        "Carbon sequestration monitoring",
        "Carbon conservation expansion",
        "Replanting for carbon sequestration",
    ]
    assert [p.zone for p in rules.patterns].count("potential sink") == 5


def test_codes_missing_from_lulc_names_keep_their_area() -> None:
    # NAMES lacks nothing here; drop grassland (3): its 8 ha must stay in the primary
    # sink's composition (as "class 3"), so the zone total is still 9 ha
    levels, lulc, res = _region()
    names = {k: v for k, v in NAMES.items() if k != 3}
    z = identify_sinks(
        levels,
        lulc,
        res,
        cultivated_codes=[1],
        lulc_names=names,
        min_area_ha=5.0,
        potential="quantile",
    )
    prim = z.zone_composition[z.zone_composition["zone"] == PRIMARY].set_index("land_use")
    assert prim.loc["class 3", "area_ha"] == 8.0 and set(prim["total_area_ha"]) == {9.0}
    np.testing.assert_allclose(
        z.patch_composition.groupby("patch")["area_ha"].sum().to_numpy(),
        z.patch_table["area_ha"].to_numpy(),
    )


def test_sink_cells_on_barriers_stay_sinks() -> None:
    # a factor's nodata inside the primary sink makes NaN resistance there: the cell
    # stays in the sink (cost NaN) and the rest of the sink is still a source (cost 0)
    levels, lulc, res = _region()
    values = res.values.copy()
    values[2, 2] = np.nan
    barrier = res.copy(data=values)
    z = _quantile_zones(levels, lulc, barrier)
    assert z.zones.values[2, 2] == PRIMARY
    cost = z.cost.cost.values
    assert np.isnan(cost[2, 2]) and cost[1, 1] == 0.0
    values[1:4, 1:4] = np.nan
    values[2:5, 7:11] = np.nan
    with pytest.raises(ParameterError, match="all 21 cells of the primary and secondary sinks"):
        _quantile_zones(levels, lulc, res.copy(data=values))


def test_landuse_nodata_inside_a_sink() -> None:
    # a land-use nodata cell inside the primary patch is nodata in every output: the patch
    # is 8 ha (not 9), its composition totals 8 ha, and the cell is neither sink nor potential
    levels, lulc, res = _region()
    values = lulc.values.copy()
    values[1, 1] = CLASS_NODATA
    z = _quantile_zones(levels, lulc.copy(data=values), res)
    assert z.zones.values[1, 1] == CLASS_NODATA and z.patches.values[1, 1] == CLASS_NODATA
    assert z.patch_table.set_index("patch").loc[1, "area_ha"] == 8.0
    prim = z.zone_composition[z.zone_composition["zone"] == PRIMARY]
    assert set(prim["total_area_ha"]) == {8.0} and prim["area_ha"].sum() == 8.0
    assert CLASS_NODATA not in set(z.zone_composition["code"])


def test_no_patch_large_enough() -> None:
    levels, lulc, res = _region()
    with pytest.raises(
        ParameterError,
        match=r"no patch of importance level >= 4 reaches "
        r"min_area_ha = 500 \(largest: 12 ha of 3 patches\)",
    ):
        identify_sinks(levels, lulc, res, cultivated_codes=[1], min_area_ha=500)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[groups]\n1 = ['a']\n[[patterns]]\nzone = 'core'\nname = 'x'\nstrategy = 'y'\n"
            "require = {a = 0.5}",
            "has zone 'core'; choose one of",
        ),
        (
            "[groups]\n1 = ['a']\n[[patterns]]\nzone = 'primary sink'\nname = 'x'\nstrategy = 'y'\n"
            "require = {b = 0.5}",
            r"requires group\(s\) \['b'\] that no land-use code belongs to",
        ),
        (
            "[groups]\n1 = ['a']\n[[patterns]]\nzone = 'primary sink'\nname = 'x'\nstrategy = 'y'\n"
            "require = {a = 50}",
            "requires shares outside 0..1",
        ),
        (
            "[groups]\nx = ['a']\n[[patterns]]\nzone = 'primary sink'\nname = 'x'\nstrategy = 'y'\n"
            "require = {a = 0.5}",
            "keys must be integer land-use codes",
        ),
        (
            "[groups]\n1 = ['a']\n[[patterns]]\nname = 'x'",
            "pattern 1 lacks zone, strategy, require",
        ),
    ],
)
def test_bad_rule_tables(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    with pytest.raises(TableError, match=message):
        load_strategy_rules(path)


def test_code_without_group() -> None:
    rules = load_strategy_rules()
    with pytest.raises(TableError, match=r"land-use code\(s\) \[99\] have no entry in \[groups\]"):
        rules.check_codes(np.array([1, 99]))
