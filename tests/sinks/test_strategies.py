"""Restoration strategies: one hand case per Table 10 pattern, the dominant-group
fallback of each zone, the county example's region (every patch gets a strategy), and
bad fallback tables."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import landcarbon
from landcarbon.carbon.nep import heterotrophic_respiration, net_ecosystem_production
from landcarbon.carbon.soil import layered_soil_carbon
from landcarbon.classes import named_scheme
from landcarbon.datasets.synthetic import synthetic_region
from landcarbon.errors import TableError
from landcarbon.raster import CLASS_NODATA
from landcarbon.sinks.chapter import SinksParams, run_sinks
from landcarbon.sinks.resistance import load_level_tables
from landcarbon.sinks.strategies import load_strategy_rules
from landcarbon.tables import read_table

EXAMPLES = Path(landcarbon.__file__).parent / "examples"


def _match(zone: str, rows: list[tuple[int, float]]) -> tuple[str, str]:
    rules = load_strategy_rules()
    shares = rules.group_shares(pd.DataFrame(rows, columns=["code", "percent"]))
    idx, how = rules.match(zone, shares)
    return rules.patterns[idx - 1].name, how


# (zone, composition as CNLUCC code and percent, pattern); each composition is built so
# that it meets its pattern's `require` and fails every earlier pattern of its zone
RULE_CASES = [
    # grassland 0.6 >= 0.5, forest 0.1 >= 0.01
    ("primary sink", [(31, 60), (21, 10), (66, 30)], "Forest-grassland"),
    # gobi 0.5 >= 0.3, farmland 0.2, grassland 0.2 >= 0.05
    ("secondary sink", [(62, 50), (12, 20), (31, 20), (46, 10)], "Gobi-farmland-grassland"),
    # gobi 0 < 0.3; farmland 0.9 >= 0.5, forest 0.05, development 0.05 >= 0.005
    ("secondary sink", [(12, 90), (24, 5), (52, 5)], "Farmland-forest land-rural settlement"),
    # floodplain 0.4, saline-alkali 0.4 >= 0.1
    ("potential sink", [(46, 40), (63, 40), (33, 20)], "Floodplain-saline-alkali land"),
    # floodplain 0; forest 0.4, farmland 0.4 >= 0.1, water 0.1 >= 0.02
    ("potential sink", [(22, 40), (12, 40), (41, 10), (53, 10)], "Forest-farmland-water area"),
    # forest 0; grassland 0.5 >= 0.3, road 0.05 >= 0.01
    ("potential sink", [(33, 50), (53, 5), (66, 45)], "Grassland-highway"),
    # road 0; bare rock 0.6 >= 0.3, grassland 0.4 >= 0.1
    ("potential sink", [(66, 60), (33, 40)], "Bare rock or gravel-grassland"),
    # bare rock 0; grassland 0.9 >= 0.5, bare soil 0.1 >= 0.01
    ("potential sink", [(33, 90), (65, 10)], "Grassland-bare soil"),
]


@pytest.mark.parametrize(("zone", "rows", "pattern"), RULE_CASES)
def test_each_pattern_by_its_rule(zone: str, rows: list, pattern: str) -> None:
    assert _match(zone, rows) == (pattern, "rule")


def test_rule_cases_cover_the_eight_patterns() -> None:
    assert sorted(p for _, _, p in RULE_CASES) == sorted(
        p.name for p in load_strategy_rules().patterns
    )


@pytest.mark.parametrize(
    ("zone", "rows", "pattern", "dominant"),
    [
        # first-level codes only (the synthetic region): no rule can see Gobi, bare rock...
        ("primary sink", [(2, 100)], "Forest-grassland", "forest"),
        ("secondary sink", [(1, 100)], "Farmland-forest land-rural settlement", "farmland"),
        # the 500 x 500 example's secondary sink: no settlement, so the rule fails
        (
            "secondary sink",
            [(1, 57.4), (2, 32.6), (3, 10.0)],
            "Farmland-forest land-rural settlement",
            "farmland",
        ),
        ("secondary sink", [(3, 60), (1, 40)], "Gobi-farmland-grassland", "grassland"),
        ("potential sink", [(3, 100)], "Grassland-bare soil", "grassland"),
        ("potential sink", [(2, 60), (3, 40)], "Forest-farmland-water area", "forest"),
        ("potential sink", [(1, 100)], "Forest-farmland-water area", "farmland"),
        ("potential sink", [(4, 100)], "Floodplain-saline-alkali land", "water"),
        ("potential sink", [(6, 70), (3, 30)], "Bare rock or gravel-grassland", "unused"),
        ("potential sink", [(5, 100)], "Grassland-highway", "development"),
        # a tie goes to the group listed first in [fallback."potential sink"] (grassland)
        ("potential sink", [(1, 50), (3, 50)], "Grassland-bare soil", "grassland"),
        # second-level codes count toward their first-level group: Gobi 62 is unused
        ("potential sink", [(62, 80), (12, 20)], "Bare rock or gravel-grassland", "unused"),
    ],
)
def test_fallback_by_dominant_group(zone: str, rows: list, pattern: str, dominant: str) -> None:
    assert _match(zone, rows) == (pattern, f"fallback: {dominant} dominant")


def test_county_example_region_every_patch_has_a_strategy() -> None:
    # the county example (examples/county_sinks.toml) on a 300 x 300 synthetic region
    # (its features keep their ground size at any region size, issue 17): its seed, cell
    # size, factors and min_area_ha, NEP and soil carbon as its carbon chapter computes
    # them; before the fallback every patch was "unclassified"
    study = tomllib.loads((EXAMPLES / "county_sinks.toml").read_text("utf-8"))
    syn = study["synthetic"]
    ds = synthetic_region((300, 300), syn["cell_size"], seed=syn["seed"])
    rh = heterotrophic_respiration(ds["monthly_temperature"], ds["monthly_precipitation"])
    result = run_sinks(
        nep=net_ecosystem_production(ds["npp"], rh),
        veg_type=ds["vegetation"].astype(np.int32),
        veg_densities=read_table(EXAMPLES / "tables" / "vegetation_density.csv"),
        soil_carbon=layered_soil_carbon(
            ds["soc_topsoil"], ds["soc_subsoil"], ds["sic_topsoil"], ds["sic_subsoil"]
        ),
        lulc=ds["landuse_2020"].astype(np.int32),
        factors={k: ds[v] for k, v in study["sinks"]["factors"].items()},
        level_tables=load_level_tables(classes=named_scheme("cnlucc")),
        params=SinksParams(min_area_ha=study["sinks"]["min_area_ha"], cultivated_codes=(1,)),
    )
    table = result.strategies.table
    names = {p.name for p in load_strategy_rules().patterns}
    assert len(table) == len(result.zones.patch_table) > 10
    assert set(table["pattern"]) <= names and table["strategy"].str.len().min() > 0
    assert table["assigned_by"].str.match(r"^(rule|fallback: \w+ dominant)$").all()
    # every sink cell carries a pattern id 1..8 and nothing else does
    patches = result.zones.patches.values
    inside = (patches > 0) & (patches != CLASS_NODATA)
    ids = result.strategies.map.values
    assert np.all((ids[inside] >= 1) & (ids[inside] <= 8))
    assert np.all(ids[~inside] == CLASS_NODATA)
    # the primary patches (4) are all forest (code 2): high-carbon reinforcement
    primary = table[table["zone_name"] == "primary sink"]
    assert len(primary) == 4
    assert set(primary["strategy"]) == {"High-carbon reinforcement"}
    assert set(primary["assigned_by"]) == {"fallback: forest dominant"}
    assert result.summary()["strategies"].get("", 0) == 0


def _table(fallback: str) -> str:
    head = "[groups]\n1 = ['a']\n2 = ['b']\n"
    patterns = "".join(
        f"[[patterns]]\nzone = '{z}'\nname = '{z[:3]}'\nstrategy = 's'\nrequire = {{a = 0.5}}\n"
        for z in ("primary sink", "secondary sink", "potential sink")
    )
    return head + patterns + fallback


GOOD = {
    z: f"[fallback.'{z}']\na = '{z[:3]}'\nb = '{z[:3]}'\n"
    for z in ("primary sink", "secondary sink", "potential sink")
}


@pytest.mark.parametrize(
    ("fallback", "message"),
    [
        (GOOD["primary sink"] + GOOD["secondary sink"], r'needs a \[fallback."potential sink"\]'),
        (
            GOOD["primary sink"]
            + GOOD["secondary sink"]
            + "[fallback.'potential sink']\na = 'pri'\n",
            r"names \{'a': 'pri'\}, not patterns of the potential sink; choose one of \['pot'\]",
        ),
        (
            GOOD["primary sink"]
            + GOOD["secondary sink"]
            + "[fallback.'potential sink']\nc = 'pot'\n",
            r"lists group\(s\) \['c'\] that no land-use code belongs to",
        ),
        (
            GOOD["primary sink"]
            + GOOD["secondary sink"]
            + "[fallback.'potential sink']\na = 'pot'\n",
            r'land-use code\(s\) \[2\] belong to no group of \[fallback."potential sink"\]',
        ),
    ],
)
def test_bad_fallback_tables(tmp_path: Path, fallback: str, message: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(_table(fallback))
    with pytest.raises(TableError, match=message):
        load_strategy_rules(path)
    path.write_text(_table("".join(GOOD.values())))
    assert load_strategy_rules(path).fallback["potential sink"] == {"a": 3, "b": 3}
