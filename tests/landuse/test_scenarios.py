"""Scenarios as TOML: strict reading, presets transcribed from the studies, Markov effects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from landcarbon.classes import named_scheme
from landcarbon.errors import ConfigError, InputFileError, ParameterError
from landcarbon.groups import class_groups
from landcarbon.landuse.markov import TransitionProbabilities
from landcarbon.landuse.scenarios import (
    PRESETS,
    Scenario,
    apply_to_markov,
    load_scenario_source,
    load_scenarios,
    preset_path,
    scenario_demand,
    select_scenario,
)

CELL_HA = 0.09
CNLUCC = class_groups(named_scheme("cnlucc"))
"""The shipped presets' groups on CNLUCC first-level codes 1-6 (the studies' classes)."""
# from\to     1     2     3
P = np.array([[0.5, 0.3, 0.2], [0.1, 0.8, 0.1], [0.0, 0.4, 0.6]])


def _tp(matrix: np.ndarray = P) -> TransitionProbabilities:
    cells = np.array([10, 20, 30])
    return TransitionProbabilities((1, 2, 3), matrix, 10.0, 2020.0, cells, cells * CELL_HA)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenarios.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _problems(tmp_path: Path, text: str) -> str:
    """The message of the ConfigError that reading ``text`` raises."""
    with pytest.raises(ConfigError) as info:
        load_scenarios(_write(tmp_path, text))
    return str(info.value)


def test_reads_every_field(tmp_path):
    path = _write(
        tmp_path,
        """
[scenarios.grow]
description = "built-up grows"
transition_multipliers = [{ from = 1, to = 3, factor = 2 }, { from = 2, to = 3, factor = 0.5 }]
demand_overrides = { 3 = 1.5 }
forbidden = [[3, 1]]
protected_classes = [2]

[scenarios.plain]
""",
    )
    scenarios = load_scenarios(path)
    assert scenarios["grow"] == Scenario(
        "grow",
        "built-up grows",
        {(1, 3): 2.0, (2, 3): 0.5},
        {3: 1.5},
        frozenset({(3, 1)}),
        frozenset({2}),
    )
    assert scenarios["plain"] == Scenario("plain")


def test_arid_presets_transcribe_the_study_rules():
    arid = load_scenarios(preset_path("arid"), CNLUCC)
    assert list(arid) == [
        "natural_development",
        "economic_development",
        "ecological_protection",
        "cropland_protection",
    ]
    # 002 section 1.3.1 (2): trends continued -> no rule at all
    assert arid["natural_development"] == Scenario(
        "natural_development", arid["natural_development"].description
    )
    # every class except water (4) may become built-up (5)
    assert arid["economic_development"].forbidden == {(4, 5)}
    assert all(
        f > 1 and dst == 5
        for (_, dst), f in arid["economic_development"].transition_multipliers.items()
    )
    # forest (2), grassland (3), water (4) may not become built-up
    assert arid["ecological_protection"].forbidden == {(2, 5), (3, 5), (4, 5)}
    assert all(f < 1 for f in arid["ecological_protection"].transition_multipliers.values())
    # cropland may not convert to any other class
    assert arid["cropland_protection"].protected_classes == {1}


def test_redsoil_presets_transcribe_the_study_rules():
    red = load_scenarios(preset_path("redsoil"), CNLUCC)
    assert list(red) == ["business_as_usual", "ecological_restoration"]
    assert red["business_as_usual"].transition_multipliers == {}
    erp = red["ecological_restoration"]
    assert erp.protected_classes == {2}  # natural forest protected
    assert set(erp.transition_multipliers) == {(1, 2)}  # cropland returned to forest
    assert erp.transition_multipliers[(1, 2)] > 1


def test_unknown_keys_get_did_you_mean_and_all_problems_are_listed(tmp_path):
    message = _problems(
        tmp_path,
        """
[scenario.x]
[scenarios.eco]
forbiden = [[1, 2]]
transition_multipliers = [{ from = 1, to = 2, fator = 2.0 }]
protected_classes = ["forrest"]
""",
    )
    assert "unknown top-level key 'scenario' (did you mean 'scenarios'?)" in message
    assert "[scenarios.eco]: unknown key 'forbiden' (did you mean 'forbidden'?)" in message
    assert "transition_multipliers item 1: unknown key 'fator' (did you mean 'factor'?)" in message
    assert (
        "[scenarios.eco] protected_classes: 'forrest' is not a land-use group (did you mean "
        "'forest'?); use one of cropland, forest" in message
    )


def test_bad_values_are_reported(tmp_path):
    message = _problems(
        tmp_path,
        """
[scenarios.bad]
transition_multipliers = [
    { from = 1, to = 2, factor = -1 },
    { from = 1, to = 2, factor = 2 },
    { from = 1, to = 2, factor = 3 },
]
demand_overrides = { cropland = 5.0 }
forbidden = [[1, 2, 3]]
""",
    )
    assert "item 1: needs integer class codes 'from' and 'to' and a factor >= 0" in message
    assert "item 3: transition (1, 2) is given twice" in message
    assert "demand_overrides: cropland = 5.0: needs an integer class code" in message
    assert "forbidden: must be a list of [from_code, to_code] pairs" in message


def test_missing_file_bad_toml_and_empty_file(tmp_path):
    with pytest.raises(InputFileError, match="scenario file not found"):
        load_scenarios(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_scenarios(_write(tmp_path, "[scenarios.a\n"))
    with pytest.raises(ConfigError, match=r"no \[scenarios.NAME\] tables"):
        load_scenarios(_write(tmp_path, "# nothing\n"))


def test_select_scenario_and_sources(tmp_path):
    arid = load_scenarios(preset_path("arid"), CNLUCC)
    with pytest.raises(
        ParameterError, match=r"no scenario 'cropland' \(did you mean 'cropland_protection'\?\)"
    ):
        select_scenario(arid, "cropland", "arid")
    with pytest.raises(ParameterError, match="choose one with --name"):
        select_scenario(arid, None, "arid")
    assert load_scenario_source("redsoil", "business_as_usual", CNLUCC).name == "business_as_usual"
    one = _write(tmp_path, "[scenarios.only]\n")
    assert load_scenario_source(str(one), None).name == "only"
    with pytest.raises(
        ParameterError, match=r"scenario preset 'wet': choose one of \['arid', 'redsoil'\]"
    ):
        preset_path("wet")
    assert PRESETS == ("arid", "redsoil")


def test_apply_to_markov_by_hand():
    scenario = Scenario(
        "s",
        transition_multipliers={(1, 2): 2.0},
        forbidden=frozenset({(1, 3)}),
        protected_classes=frozenset({3}),
    )
    m = apply_to_markov(_tp(), scenario).matrix
    # row 1: [0.5, 0.6, 0.2] / 1.3 after the multiplier, then (1,3) forbidden: [0.5, 0.6, 0] / 1.1
    np.testing.assert_allclose(m[0], [0.5 / 1.1, 0.6 / 1.1, 0.0], rtol=1e-15)
    np.testing.assert_allclose(m[1], P[1], rtol=1e-15)  # untouched
    np.testing.assert_array_equal(m[2], [0, 0, 1])  # protected: identity row


def test_protected_class_that_never_persisted_becomes_identity():
    matrix = np.array([[0.0, 1.0], [0.5, 0.5]])
    tp = TransitionProbabilities((1, 2), matrix, 1.0, 0.0, np.array([1, 1]), np.array([1.0, 1.0]))
    adjusted = apply_to_markov(tp, Scenario("p", protected_classes=frozenset({1})))
    np.testing.assert_array_equal(adjusted.matrix, [[1.0, 0.0], [0.5, 0.5]])


def test_scenario_demand_with_overrides():
    base = scenario_demand(_tp(), Scenario("plain"), 2030)
    # [10, 20, 30] . P = [5 + 2, 3 + 16 + 12, 2 + 2 + 18] = [7, 31, 22] cells
    np.testing.assert_array_equal(base.cells, [7, 31, 22])
    over = scenario_demand(_tp(), Scenario("o", demand_overrides={3: 30 * CELL_HA}), 2030)
    # class 3 fixed at 30 cells; 1 and 2 share the other 30 in the ratio 7:31
    np.testing.assert_allclose(over.area_ha[:2], 30 * CELL_HA * np.array([7, 31]) / 38, rtol=1e-12)
    np.testing.assert_array_equal(over.cells, [6, 24, 30])  # 5.53 -> 6, 24.47 -> 24


def test_scenario_naming_a_class_absent_from_the_map_is_refused():
    for scenario in (
        Scenario("eco", forbidden=frozenset({(2, 5)})),
        Scenario("eco", protected_classes=frozenset({5})),
        Scenario("eco", demand_overrides={5: 1.0}),
        Scenario("eco", transition_multipliers={(5, 1): 2.0}),
    ):
        with pytest.raises(
            ParameterError,
            match=r"scenario 'eco' names class code\(s\) \[5\], absent from the land-use maps "
            r"\(classes \[1, 2, 3\]\)",
        ):
            apply_to_markov(_tp(), scenario)


@settings(max_examples=50, deadline=None)
@given(
    arrays(np.float64, (3, 3), elements=st.floats(0.01, 1.0)),
    st.dictionaries(
        st.tuples(st.integers(1, 3), st.integers(1, 3)), st.floats(0.0, 5.0), max_size=4
    ),
    st.frozensets(st.tuples(st.integers(1, 3), st.integers(1, 3)), max_size=3),
    st.frozensets(st.integers(1, 3), max_size=2),
)
def test_adjusted_rows_stay_stochastic(raw, multipliers, forbidden, protected):
    matrix = raw / raw.sum(axis=1, keepdims=True)
    scenario = Scenario("h", "", multipliers, {}, forbidden, protected)
    try:
        m = apply_to_markov(_tp(matrix), scenario).matrix
    except ParameterError as exc:
        assert "has probability 0 after the multipliers" in str(exc)
        return
    np.testing.assert_allclose(m.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(m >= 0)
    for src, dst in forbidden:
        if src != dst and src not in protected:
            assert m[src - 1, dst - 1] == 0
    for code in protected:
        np.testing.assert_array_equal(m[code - 1], np.eye(3)[code - 1])


def test_preset_groups_resolve_onto_the_studys_codes():
    # codes 10, 11 cropland, 20 forest, 40 water, 50 built-up: the arid rules by group
    groups = {10: "cropland", 11: "cropland", 20: "forest", 40: "water", 50: "built-up"}
    with pytest.raises(ConfigError, match=r"no class of the study has group 'grassland'"):
        load_scenarios(preset_path("arid"), groups)
    arid = load_scenarios(preset_path("arid"), {**groups, 30: "grassland", 60: "barren"})
    economic = arid["economic_development"]
    assert economic.transition_multipliers == {
        (10, 50): 1.2,
        (11, 50): 1.2,
        (20, 50): 1.1,
        (30, 50): 1.1,
    }
    assert economic.forbidden == {(40, 50)}
    assert arid["cropland_protection"].protected_classes == {10, 11}


def test_a_group_keyed_preset_without_classes_is_refused():
    # no CNLUCC fallback: the groups of the preset's rules need the study's classes
    with pytest.raises(
        ConfigError,
        match=r"protected_classes: group 'forest' given but no class table maps codes to "
        r"groups; give --classes FILE \(code, name, group\) or --classes cnlucc",
    ):
        load_scenarios(preset_path("redsoil"))


def test_a_group_rule_on_ungrouped_classes_names_the_codes(tmp_path):
    with pytest.raises(
        ConfigError,
        match=r"group 'forest' given but class code\(s\) \[7, 8\] "
        r"have no group; give each class a group",
    ):
        load_scenarios(preset_path("redsoil"), {1: "cropland", 2: "forest", 7: None, 8: None})
