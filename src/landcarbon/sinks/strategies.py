"""Restoration strategies: land-use composition of a sink patch → spatial pattern → strategy.

A rule table (``presets/sinks_strategies.toml``, the county study's eight patterns of
Table 10) maps land-use codes to groups (farmland, forest, grassland, gobi, ...) and
lists patterns per zone, each with the minimum group shares it requires. Every patch of
:func:`landcarbon.sinks.zoning.identify_sinks` gets the first pattern of its zone whose
requirements hold, and with it a named strategy (e.g. forest-grassland → high-carbon
reinforcement). A patch that matches none takes its zone's fallback pattern for its
dominant group (``[fallback.<zone>]``), so every sink patch gets a strategy; the table
says which way each was assigned.

References
----------
Zhang, Q., Yang, Y., Yuan, Y., Han, J., Li, D. (2024). Research on the territorial
ecological restoration of counties for the increase of carbon sinks: Wensu County.
*Landscape Architecture Frontiers*, Tables 6 and 10 (shared/studies/001).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from landcarbon.errors import TableError
from landcarbon.raster import CLASS_NODATA, like
from landcarbon.sinks.presets import read_rule_toml
from landcarbon.sinks.zoning import ZONE_NAMES

if TYPE_CHECKING:
    import xarray as xr

    from landcarbon.sinks.zoning import SinkZones

PRESET = "sinks_strategies.toml"
CNLUCC_SCHEMES = ("cnlucc", "cnlucc2")
"""Named class schemes whose codes the shipped strategy preset (CNLUCC codes) applies to."""
SINK_ZONES = tuple(v for k, v in ZONE_NAMES.items() if k)
"""Zone names a rule table must give patterns and a fallback for."""


@dataclass(frozen=True)
class Pattern:
    """One land-use spatial pattern of a zone and its restoration strategy."""

    zone: str
    name: str
    strategy: str
    require: dict[str, float]
    characteristic: str = ""
    approach: str = ""

    def matches(self, shares: Mapping[str, float]) -> bool:
        """True when every required group share (0-1) is reached."""
        return all(shares.get(g, 0.0) >= v for g, v in self.require.items())


@dataclass(frozen=True)
class StrategyRules:
    """Land-use code → groups, the ordered patterns and the fallback per zone."""

    groups: dict[int, tuple[str, ...]]
    patterns: tuple[Pattern, ...]
    source: str
    fallback: dict[str, dict[str, int]]
    """zone → group → 1-based pattern index, in the table's order (ties go to the first)."""

    def group_shares(self, composition: pd.DataFrame) -> dict[str, float]:
        """Share (0-1) of each group in one patch's composition rows (code, percent)."""
        shares: dict[str, float] = {}
        for code, percent in zip(composition["code"], composition["percent"], strict=True):
            for g in self.groups[int(code)]:
                shares[g] = shares.get(g, 0.0) + float(percent) / 100.0
        return shares

    def match(self, zone: str, shares: Mapping[str, float]) -> tuple[int, str]:
        """1-based index of the pattern of a patch of ``zone``, and how it was found.

        The first pattern of ``zone`` whose requirements hold ("rule"); otherwise the
        zone's fallback for the dominant group, the fallback group with the largest share
        ("fallback: <group> dominant").
        """
        for i, p in enumerate(self.patterns, start=1):
            if p.zone == zone and p.matches(shares):
                return i, "rule"
        table = self.fallback[zone]
        dominant = max(table, key=lambda g: shares.get(g, 0.0))
        return table[dominant], f"fallback: {dominant} dominant"

    def check_codes(self, codes: np.ndarray) -> None:
        """Raise TableError listing land-use codes that have no group."""
        missing = sorted({int(c) for c in codes} - set(self.groups))
        if missing:
            raise TableError(
                f"{self.source}: land-use code(s) {missing} have no entry in "
                f'[groups]; add e.g. `{missing[0]} = ["grassland"]`'
            )


def _pattern(i: int, spec: Mapping[str, Any], where: str) -> Pattern:
    lacking = [k for k in ("zone", "name", "strategy", "require") if k not in spec]
    if lacking:
        raise TableError(f"{where}: pattern {i} lacks {', '.join(lacking)}")
    if spec["zone"] not in SINK_ZONES:
        raise TableError(
            f"{where}: pattern {i} ({spec['name']}) has zone {spec['zone']!r}; "
            f"choose one of {sorted(SINK_ZONES)}"
        )
    require = {str(k): float(v) for k, v in dict(spec["require"]).items()}
    bad = {k: v for k, v in require.items() if not 0 <= v <= 1}
    if bad:
        raise TableError(
            f"{where}: pattern {i} ({spec['name']}) requires shares outside 0..1: {bad}"
        )
    return Pattern(
        spec["zone"],
        spec["name"],
        spec["strategy"],
        require,
        spec.get("characteristic", ""),
        spec.get("approach", ""),
    )


def _fallback(
    doc: Mapping[str, Any],
    groups: Mapping[int, tuple[str, ...]],
    patterns: tuple[Pattern, ...],
    source: str,
) -> dict[str, dict[str, int]]:
    """Validate ``[fallback.<zone>]``: group → name of a pattern of that zone, and every
    land-use code in at least one listed group (so every patch has a dominant group)."""
    raw = doc.get("fallback", {})
    known = {g for gs in groups.values() for g in gs}
    out: dict[str, dict[str, int]] = {}
    for zone in SINK_ZONES:
        table = raw.get(zone)
        if not table:
            raise TableError(
                f'{source}: needs a [fallback."{zone}"] table mapping each dominant group '
                f'to a pattern of that zone, e.g. `grassland = "<pattern name>"`'
            )
        index = {p.name: i for i, p in enumerate(patterns, start=1) if p.zone == zone}
        bad = {g: n for g, n in table.items() if n not in index}
        if bad:
            raise TableError(
                f'{source}: [fallback."{zone}"] names {bad}, not patterns of the {zone}; '
                f"choose one of {sorted(index)}"
            )
        unknown = sorted(set(table) - known)
        if unknown:
            raise TableError(
                f'{source}: [fallback."{zone}"] lists group(s) {unknown} that no land-use '
                f"code belongs to; known groups: {sorted(known)}"
            )
        orphans = sorted(c for c, gs in groups.items() if not set(gs) & set(table))
        if orphans:
            raise TableError(
                f'{source}: land-use code(s) {orphans} belong to no group of [fallback."{zone}"]; '
                f"add one of their groups there so such patches get a strategy"
            )
        out[zone] = {g: index[n] for g, n in table.items()}
    return out


def load_strategy_rules(path: str | Path | None = None) -> StrategyRules:
    """Read a strategy rule table (default: the county-study preset) and validate it.

    Raises TableError for missing keys, unknown zones, shares outside 0..1, non-integer
    codes, a required group that no land-use code belongs to, or a missing or
    incomplete ``[fallback.<zone>]``.
    """
    doc, source = read_rule_toml(path, PRESET, "strategy rule table")
    raw_groups = doc.get("groups", {})
    try:
        groups = {int(k): tuple(v) for k, v in raw_groups.items()}
    except ValueError as exc:
        raise TableError(f"{source}: [groups] keys must be integer land-use codes ({exc})") from exc
    specs = doc.get("patterns", [])
    if not groups or not specs:
        raise TableError(f"{source}: needs a [groups] table and at least one [[patterns]]")
    patterns = tuple(_pattern(i, s, source) for i, s in enumerate(specs, start=1))
    known = {g for gs in groups.values() for g in gs}
    for pattern in patterns:
        unknown = sorted(set(pattern.require) - known)
        if unknown:
            raise TableError(
                f"{source}: pattern {pattern.name!r} requires group(s) {unknown} that no "
                f"land-use code belongs to; known groups: {sorted(known)}"
            )
    return StrategyRules(groups, patterns, source, _fallback(doc, groups, patterns, source))


@dataclass(frozen=True)
class Strategies:
    """Strategy map (pattern id per cell) and one table row per patch."""

    map: xr.DataArray
    """int32 pattern id (1..n in rule order); CLASS_NODATA outside patches."""
    table: pd.DataFrame
    legend: dict[int, str]


def assign_strategies(zones: SinkZones, rules: StrategyRules | None = None) -> Strategies:
    """Pattern and strategy of every sink patch, as a map and a table.

    The table has, per patch: patch, zone_name, area_ha, pattern id and name,
    strategy, approach, assigned_by ("rule" or "fallback: <group> dominant") and the
    shares (percent) of the groups the rules and fallbacks use.
    """
    rules = rules or load_strategy_rules()
    comp = zones.patch_composition
    rules.check_codes(comp["code"].to_numpy())
    used = sorted(
        {g for p in rules.patterns for g in p.require}
        | {g for table in rules.fallback.values() for g in table}
    )
    rows = []
    pattern_of = np.zeros(len(zones.patch_table) + 1, dtype=np.int32)
    for key, group in comp.groupby("patch", sort=True):
        patch = int(key)  # type: ignore[arg-type]
        zone = str(group["zone_name"].iloc[0])
        shares = rules.group_shares(group)
        idx, how = rules.match(zone, shares)
        pattern_of[patch] = idx
        p = rules.patterns[idx - 1]
        rows.append(
            {
                "patch": patch,
                "zone_name": zone,
                "area_ha": float(group["area_ha"].sum()),
                "pattern_id": idx,
                "pattern": p.name,
                "strategy": p.strategy,
                "approach": p.approach,
                "assigned_by": how,
                **{f"{g}_percent": 100.0 * shares.get(g, 0.0) for g in used},
            }
        )
    patch_map = np.asarray(zones.patches.data)
    inside = (patch_map != CLASS_NODATA) & (patch_map > 0)
    data = np.where(inside, pattern_of[np.where(inside, patch_map, 0)], CLASS_NODATA)
    out = like(zones.patches, data.astype(np.int32), name="strategy")
    out = out.rio.write_nodata(int(CLASS_NODATA), encoded=False)
    legend = {i: f"{p.name}: {p.strategy}" for i, p in enumerate(rules.patterns, start=1)}
    return Strategies(out, pd.DataFrame(rows), legend)
