"""Land-use scenarios as data: Markov multipliers, demands, forbidden conversions, protection.

A scenario file is TOML with one table per scenario::

    [scenarios.economic_development]
    description = "growth of built-up land"
    transition_multipliers = [{ from = 1, to = 5, factor = 1.2 }]
    demand_overrides = { 5 = 52000.0 }     # class code = area in ha
    forbidden = [[4, 5]]                   # (from, to) conversions not allowed
    protected_classes = [1]                # classes whose cells never change

A class in ``transition_multipliers``, ``forbidden`` and ``protected_classes`` is a code
or a land-use group (``"cropland"``, ``"built-up"``: :data:`landcarbon.group_names.GROUPS`),
which stands for every code of that group in the study's class table (``groups``); the
shipped presets are keyed by group.

Reading is strict: every problem of the file (unknown keys, with the closest valid key
suggested, wrong types, duplicates) is reported at once. Presets ship in
``landcarbon/presets/scenarios_arid.toml`` and ``scenarios_redsoil.toml``
(:func:`preset_path`).

:func:`apply_to_markov` turns a scenario into an adjusted Markov matrix (multipliers with
rows renormalised, forbidden transitions and moves out of protected classes set to 0) and
:func:`scenario_demand` projects it to a target year with the user's demands overriding.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from landcarbon.errors import ConfigError, InputFileError, ParameterError, TableError
from landcarbon.group_names import check_group
from landcarbon.landuse.markov import (
    Demand,
    ProjectionMethod,
    TransitionProbabilities,
    adjust_transitions,
    override_demand,
    project_demand,
)
from landcarbon.paths import name_problem

PRESETS = ("arid", "redsoil")
"""Shipped scenario sets: the arid-region carbon budget and the red-soil erosion studies."""


@dataclass(frozen=True)
class Scenario:
    """Rules of one land-use scenario (class codes as in the land-use maps)."""

    name: str
    description: str = ""
    transition_multipliers: Mapping[tuple[int, int], float] = field(default_factory=dict)
    """(from_code, to_code) -> factor applied to the Markov probability; rows renormalised."""
    demand_overrides: Mapping[int, float] = field(default_factory=dict)
    """class code -> target area in ha; overrides Markov."""
    forbidden: frozenset[tuple[int, int]] = frozenset()
    """(from_code, to_code) conversions not allowed."""
    protected_classes: frozenset[int] = frozenset()
    """Classes whose cells may not change at all (e.g. ecological land, basic cropland)."""

    def class_codes(self) -> frozenset[int]:
        """Every class code the scenario names."""
        codes = {c for pair in self.transition_multipliers for c in pair}
        codes |= {c for pair in self.forbidden for c in pair}
        return frozenset(codes | set(self.demand_overrides) | set(self.protected_classes))

    def check_codes(self, codes: tuple[int, ...]) -> None:
        """ParameterError when the scenario names a class that is not in ``codes``."""
        absent = sorted(self.class_codes() - set(codes))
        if absent:
            raise ParameterError(
                f"scenario {self.name!r} names class code(s) {absent}, absent from the land-use "
                f"maps (classes {list(codes)}); fix the codes in the scenario file or use the "
                f"maps' coding"
            )


# --------------------------------------------------------------------------- reading
SCENARIO_KEYS = (
    "description",
    "transition_multipliers",
    "demand_overrides",
    "forbidden",
    "protected_classes",
)
MULTIPLIER_KEYS = ("from", "to", "factor")


def preset_path(name: str) -> Path:
    """Path of a shipped scenario file: ``"arid"`` or ``"redsoil"``."""
    if name not in PRESETS:
        raise ParameterError(f"scenario preset {name!r}: choose one of {list(PRESETS)}")
    return Path(str(resources.files("landcarbon") / "presets" / f"scenarios_{name}.toml"))


def load_scenarios(
    path: str | Path, groups: Mapping[int, str | None] | None = None
) -> dict[str, Scenario]:
    """Read every scenario of a TOML file, strictly.

    ``groups`` (code -> land-use group, :func:`landcarbon.groups.class_groups`) resolves
    the classes named by group; without it a rule naming a group is refused.

    Raises
    ------
    InputFileError
        The file is missing.
    ConfigError
        Invalid TOML, or any problem in the scenarios; the message lists them all, each with
        its ``[scenarios.NAME]`` key, and suggests the closest valid key (or group) for a
        typo; a group given to classes without a group names those codes.
    """
    codes_of = _group_codes(groups or {})
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"{p}: scenario file not found; check the path")
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML ({exc}); fix the syntax") from exc
    problems: list[str] = []
    for key in doc:
        if key != "scenarios":
            problems.append(f"unknown top-level key {key!r}{_did_you_mean(key, ('scenarios',))}")
    tables = doc.get("scenarios", {})
    if not isinstance(tables, dict) or not tables:
        problems.append("no [scenarios.NAME] tables; add at least one scenario")
        tables = {}
    scenarios = {}
    for name, table in tables.items():
        where = f"[scenarios.{name}]"
        if not isinstance(table, dict):
            problems.append(f"{where}: must be a table")
            continue
        bad_name = name_problem(name)  # a scenario's outputs are files named after it
        if bad_name:
            problems.append(f"{where}: scenario name {bad_name}")
            continue
        before = len(problems)
        scenario = _parse_scenario(name, table, where, problems, codes_of)
        if len(problems) == before:
            scenarios[name] = scenario
    if problems:
        raise ConfigError(f"{p}: " + "; ".join(problems))
    return scenarios


def _did_you_mean(key: str, valid: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, valid, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{hint}; valid keys: {', '.join(valid)}"


def _group_codes(groups: Mapping[int, str | None]) -> dict[str, list[int]]:
    """Group -> its codes (sorted); key ``""`` lists the codes without a group."""
    out: dict[str, list[int]] = {}
    for code, group in sorted(groups.items()):
        out.setdefault(group or "", []).append(code)
    return out


def _classes(
    value: Any, key: str, codes_of: dict[str, list[int]], problems: list[str]
) -> list[int]:
    """The codes a class reference stands for: an integer code, or every code of a group."""
    if _is_code(value):
        return [value]
    if not isinstance(value, str):
        problems.append(f"{key}: {value!r} is neither an integer class code nor a land-use group")
        return []
    try:
        group = check_group(value, key)
    except TableError as exc:
        problems.append(str(exc))
        return []
    if not codes_of:
        problems.append(
            f"{key}: group {group!r} given but no class table maps codes to groups; give "
            f"--classes FILE (code, name, group) or --classes cnlucc (or use codes here)"
        )
        return []
    if codes_of.get(""):
        problems.append(
            f"{key}: group {group!r} given but class code(s) {codes_of['']} have no group; give "
            f"each class a group in the class table's 'group' column (or use codes here)"
        )
        return []
    if group not in codes_of:
        problems.append(
            f"{key}: no class of the study has group {group!r} (groups: "
            f"{', '.join(g for g in codes_of if g)}); drop the rule or use your own scenario file"
        )
        return []
    return codes_of[group]


def _parse_scenario(
    name: str,
    table: dict[str, Any],
    where: str,
    problems: list[str],
    codes_of: dict[str, list[int]],
) -> Scenario:
    for key in table:
        if key not in SCENARIO_KEYS:
            problems.append(f"{where}: unknown key {key!r}{_did_you_mean(key, SCENARIO_KEYS)}")
    description = table.get("description", "")
    if not isinstance(description, str):
        problems.append(f"{where}: description must be a string")
    return Scenario(
        name=name,
        description=str(description),
        transition_multipliers=_multipliers(
            table.get("transition_multipliers", []), where, problems, codes_of
        ),
        demand_overrides=_overrides(table.get("demand_overrides", {}), where, problems),
        forbidden=frozenset(_pairs(table.get("forbidden", []), where, problems, codes_of)),
        protected_classes=frozenset(
            _codes(table.get("protected_classes", []), where, problems, codes_of)
        ),
    )


def _is_code(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return ok and math.isfinite(value) and value >= 0


def _multipliers(
    items: Any, where: str, problems: list[str], codes_of: dict[str, list[int]]
) -> dict[tuple[int, int], float]:
    key = f"{where} transition_multipliers"
    if not isinstance(items, list):
        problems.append(f"{key}: must be a list of {{ from = CLASS, to = CLASS, factor = X }}")
        return {}
    out: dict[tuple[int, int], float] = {}
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            problems.append(f"{key} item {n}: must be {{ from = CLASS, to = CLASS, factor = X }}")
            continue
        unknown = [k for k in item if k not in MULTIPLIER_KEYS]
        for k in unknown:
            problems.append(f"{key} item {n}: unknown key {k!r}{_did_you_mean(k, MULTIPLIER_KEYS)}")
        factor: Any = item.get("factor")
        if "from" not in item or "to" not in item or not _is_number(factor):
            problems.append(
                f"{key} item {n}: needs integer class codes 'from' and 'to' and a factor >= 0 "
                f"(a land-use group may stand for codes), got {item}"
            )
            continue
        before = len(problems)
        srcs = _classes(item["from"], f"{key} item {n} 'from'", codes_of, problems)
        dsts = _classes(item["to"], f"{key} item {n} 'to'", codes_of, problems)
        if len(problems) > before or unknown:
            continue
        for src, dst in ((a, b) for a in srcs for b in dsts):
            if (src, dst) in out:
                problems.append(f"{key} item {n}: transition ({src}, {dst}) is given twice")
            else:
                out[(src, dst)] = float(factor)
    return out


def _overrides(items: Any, where: str, problems: list[str]) -> dict[int, float]:
    key = f"{where} demand_overrides"
    if not isinstance(items, dict):
        problems.append(f"{key}: must be a table {{ CODE = AREA_HA, ... }}")
        return {}
    out: dict[int, float] = {}
    for code, area in items.items():
        if not (code.lstrip("-").isdigit() and _is_number(area)):
            problems.append(
                f"{key}: {code} = {area!r}: needs an integer class code = area in ha >= 0"
            )
        else:
            out[int(code)] = float(area)
    return out


def _pairs(
    items: Any, where: str, problems: list[str], codes_of: dict[str, list[int]]
) -> list[tuple[int, int]]:
    key = f"{where} forbidden"
    if not isinstance(items, list) or not all(isinstance(p, list) and len(p) == 2 for p in items):
        problems.append(f"{key}: must be a list of [from_code, to_code] pairs (or land-use groups)")
        return []
    pairs = []
    for n, (src, dst) in enumerate(items, 1):
        srcs = _classes(src, f"{key} pair {n}", codes_of, problems)
        dsts = _classes(dst, f"{key} pair {n}", codes_of, problems)
        pairs += [(a, b) for a in srcs for b in dsts]
    return pairs


def _codes(
    items: Any, where: str, problems: list[str], codes_of: dict[str, list[int]]
) -> list[int]:
    key = f"{where} protected_classes"
    if not isinstance(items, list):
        problems.append(f"{key}: must be a list of class codes or land-use groups")
        return []
    return [c for item in items for c in _classes(item, key, codes_of, problems)]


def select_scenario(scenarios: Mapping[str, Scenario], name: str | None, source: str) -> Scenario:
    """The scenario called ``name`` (or the only one when ``name`` is None).

    ParameterError naming the valid scenarios (with the closest match) otherwise.
    """
    names = tuple(scenarios)
    if name is None:
        if len(names) == 1:
            return scenarios[names[0]]
        raise ParameterError(f"{source} holds scenarios {list(names)}; choose one with --name")
    if name not in scenarios:
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ParameterError(f"{source}: no scenario {name!r}{hint}; it holds {list(names)}")
    return scenarios[name]


def load_scenario_source(
    source: str, name: str | None, groups: Mapping[int, str | None] | None = None
) -> Scenario:
    """One scenario from a TOML file or a preset name (``"arid"``, ``"redsoil"``); classes
    named by group resolve through ``groups`` (see :func:`load_scenarios`)."""
    path = preset_path(source) if source in PRESETS and not Path(source).exists() else Path(source)
    return select_scenario(load_scenarios(path, groups), name, str(path))


# --------------------------------------------------------------------------- applying
def apply_to_markov(tp: TransitionProbabilities, scenario: Scenario) -> TransitionProbabilities:
    """Adjust a Markov matrix by a scenario's rules.

    In order: the transition multipliers (rows renormalised, see
    :func:`~landcarbon.landuse.markov.adjust_transitions`); then every forbidden ``(i, j)``
    and every move out of a protected class gets probability 0, its row renormalised (a
    protected class's row becomes the identity), so the demand never counts on a conversion
    the allocation may not make.

    Raises
    ------
    ParameterError
        The scenario names a class absent from the maps, or leaves a row with no transition.
    """
    scenario.check_codes(tp.codes)
    label = f"scenario {scenario.name!r}"
    adjusted = adjust_transitions(tp, scenario.transition_multipliers, label=label)
    index = {c: i for i, c in enumerate(tp.codes)}
    keep = np.ones_like(adjusted.matrix, dtype=bool)
    for src, dst in scenario.forbidden:
        if src != dst:
            keep[index[src], index[dst]] = False
    for code in scenario.protected_classes:
        i = index[code]
        keep[i, :] = False
        keep[i, i] = True
    if keep.all():
        return adjusted
    matrix = np.where(keep, adjusted.matrix, 0.0)
    # rows left empty (a protected class that never persisted, P_ii = 0) become the identity
    matrix[matrix.sum(axis=1) == 0] = np.eye(len(tp.codes))[matrix.sum(axis=1) == 0]
    return replace(adjusted, matrix=matrix / matrix.sum(axis=1, keepdims=True))


def scenario_demand(
    tp: TransitionProbabilities,
    scenario: Scenario,
    target_year: float,
    *,
    method: ProjectionMethod = "matrix_power",
) -> Demand:
    """Demand at ``target_year`` under ``scenario``: adjusted Markov, then user overrides."""
    demand = project_demand(apply_to_markov(tp, scenario), target_year, method=method)
    if not scenario.demand_overrides:
        return demand
    label = f"scenario {scenario.name!r} demand_overrides"
    return override_demand(demand, scenario.demand_overrides, label=label)
