"""Resistance surface: factors graded by level tables, weighted by entropy, overlaid.

Each factor (slope, elevation, land use, accumulated temperature, precipitation,
population density in the county study) is reclassified by its level table into a
resistance value (Table 5: 1..10), the factors are weighted by the entropy weight
method (Table 4; :mod:`landcarbon.stats.entropy`) or by user weights, and summed:
``R = sum_j w_j R_j``. The surface feeds :func:`landcarbon.sinks.mcr.cost_distance`.

Level tables are TOML (``presets/sinks_resistance.toml`` holds the study's): interval
levels ``{lower, upper, value}`` are ``[lower, upper)``; class levels ``{code, value}``
map category codes, and ``{group, value}`` land-use groups, resolved onto the codes of
the study's class table through its ``group`` column (:mod:`landcarbon.groups`). A
value outside every level is an error naming the value, its cell count, the factor and
the table. A cell where any factor is nodata gets NaN
resistance, which the cost distance treats as a barrier.

References
----------
Zhang, Q., Yang, Y., Yuan, Y., Han, J., Li, D. (2024). Research on the territorial
ecological restoration of counties for the increase of carbon sinks: Wensu County.
*Landscape Architecture Frontiers*, Tables 4-5 (shared/studies/001).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from landcarbon.backend import chunked_bincount, map_cells
from landcarbon.errors import ParameterError, TableError
from landcarbon.groups import class_values
from landcarbon.sinks.importance import check_weights, weighted_overlay
from landcarbon.sinks.presets import read_rule_toml
from landcarbon.stats.entropy import weights_from_columns
from landcarbon.tables import table_from_records

if TYPE_CHECKING:
    import xarray as xr

    from landcarbon.classes import ClassScheme
    from landcarbon.stats.entropy import EntropyWeights

PRESET = "sinks_resistance.toml"


@dataclass(frozen=True)
class LevelTable:
    """Levels of one resistance factor: ``[lower, upper)`` intervals or class codes."""

    factor: str
    source: str
    values: np.ndarray
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    codes: np.ndarray | None = None
    units: str = ""
    published_weight: float | None = None

    @property
    def where(self) -> str:
        return f"the '{self.factor}' level table ({self.source})"

    def describe(self) -> str:
        """The levels in words, for error messages."""
        if self.codes is not None:
            return "codes " + ", ".join(str(int(c)) for c in self.codes)
        assert self.lower is not None and self.upper is not None
        return ", ".join(f"[{lo:g}, {hi:g})" for lo, hi in zip(self.lower, self.upper, strict=True))


def level_table(
    factor: str,
    spec: Mapping[str, Any],
    source: str,
    classes: ClassScheme | None = None,
) -> LevelTable:
    """Validate one ``[factors.NAME]`` section into a :class:`LevelTable`.

    Class levels keyed by ``group`` are resolved onto the codes of ``classes`` (the
    study's class scheme; without it such levels are refused).

    Raises TableError for missing levels, mixed interval/class levels, lower >= upper,
    overlapping intervals, duplicate codes, or values that are not > 0 and finite; and
    for group levels on classes without a group or whose group has no level.
    """
    where = f"{source} [factors.{factor}]"
    levels = spec.get("levels")
    if not isinstance(levels, list) or not levels:
        raise TableError(
            f"{where}: no levels; add `levels = [{{lower = ..., upper = ..., "
            f"value = ...}}, ...]` or `[{{code = ..., value = ...}}, ...]`"
        )
    kinds = {"class" if "code" in lv or "group" in lv else "interval" for lv in levels}
    by_group = {"group" in lv for lv in levels} == {True}
    if len(kinds) > 1:
        raise TableError(
            f"{where}: mixes interval levels (lower/upper) and class levels "
            f"(code or group); use one kind per factor"
        )
    keys: tuple[str, ...] = ("lower", "upper", "value")
    if kinds == {"class"}:
        keys = ("group", "value") if by_group else ("code", "value")
    for i, lv in enumerate(levels, start=1):
        missing = [k for k in keys if k not in lv]
        if missing:
            raise TableError(f"{where}: level {i} lacks {', '.join(missing)}")
    values = np.array([lv["value"] for lv in levels], dtype=np.float64)
    if not np.all(np.isfinite(values) & (values > 0)):
        raise TableError(
            f"{where}: resistance values must be > 0 and finite, got {values.tolist()}"
        )
    common: dict[str, Any] = {
        "factor": factor,
        "source": source,
        "units": str(spec.get("units", "")),
        "published_weight": spec.get("published_weight"),
    }
    if kinds == {"class"}:
        key = keys[0]
        table = class_values(
            pd.DataFrame([{key: lv[key], "value": lv["value"]} for lv in levels]),
            classes,
            where,
            required=["value"],
        )
        return LevelTable(
            codes=table.codes, values=table.column("value").to_numpy(np.float64), **common
        )
    lower = np.array([lv["lower"] for lv in levels], dtype=np.float64)
    upper = np.array([lv["upper"] for lv in levels], dtype=np.float64)
    order = np.argsort(lower)
    lower, upper, values = lower[order], upper[order], values[order]
    if np.any(lower >= upper):
        i = int(np.argmax(lower >= upper))
        raise TableError(
            f"{where}: level [{lower[i]:g}, {upper[i]:g}) is empty; lower must be < upper"
        )
    if np.any(upper[:-1] > lower[1:]):
        i = int(np.argmax(upper[:-1] > lower[1:]))
        raise TableError(
            f"{where}: levels [{lower[i]:g}, {upper[i]:g}) and "
            f"[{lower[i + 1]:g}, {upper[i + 1]:g}) overlap"
        )
    return LevelTable(lower=lower, upper=upper, values=values, **common)


def _check_factors(names: Iterable[str], known: Iterable[str]) -> None:
    """ParameterError naming the factors of ``names`` that have no level table."""
    known = list(known)
    missing = [f for f in names if f not in known]
    if missing:
        raise ParameterError(
            f"no level table for factor(s) {missing}; level tables exist for {', '.join(known)}"
        )


def load_level_tables(
    path: str | Path | None = None,
    classes: ClassScheme | None = None,
    factors: Iterable[str] | None = None,
) -> dict[str, LevelTable]:
    """Level tables of every factor in a TOML file (default: the county-study preset);
    class levels keyed by group resolve onto the codes of ``classes`` (the study's scheme).

    ``factors`` keeps only those factors' tables (so a surface without land use needs no
    classes); a name the file has no table for is a ParameterError listing the factors it has.
    """
    doc, source = read_rule_toml(path, PRESET, "resistance level table")
    specs = doc.get("factors")
    if not isinstance(specs, dict) or not specs:
        raise TableError(f"{source}: no [factors.NAME] sections")
    if factors is not None:
        wanted = list(factors)
        _check_factors(wanted, specs)
        specs = {name: spec for name, spec in specs.items() if name in wanted}
    return {name: level_table(name, spec, source, classes) for name, spec in specs.items()}


def _interval_index(block: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Level index of each value, -1 for NaN, -2 for a value outside every level."""
    idx = np.searchsorted(lower, block, side="right") - 1
    safe = np.clip(idx, 0, len(lower) - 1)
    hit = (idx >= 0) & (block < upper[safe])
    return np.where(np.isnan(block), -1, np.where(hit, safe, -2))


def _interval_lookup(
    block: np.ndarray, lower: np.ndarray, upper: np.ndarray, values: np.ndarray
) -> np.ndarray:
    idx = _interval_index(block, lower, upper)
    return np.where(idx >= 0, values[np.clip(idx, 0, None)], np.nan)


def _outside(block: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    return _interval_index(block, lower, upper) == -2


def reclassify_factor(values: xr.DataArray, table: LevelTable) -> xr.DataArray:
    """Resistance value of every cell of one factor (float64 level value, dimensionless; NaN on
    nodata).

    Raises ParameterError naming the first value outside every level, how many cells
    are outside, the factor and its table (class factors: TableError listing each code
    missing from the table with its cell count). Lazy on dask input (the range check
    is a chunked reduction).
    """
    name = f"resistance_{table.factor}"
    if table.codes is not None:
        classes = table_from_records(
            [{"code": int(c), "value": v} for c, v in zip(table.codes, table.values, strict=True)],
            table.where,
            required=["value"],
        )
        return classes.reclassify(values, "value", name=name, map_name=f"the {table.factor} map")
    assert table.lower is not None and table.upper is not None
    data = values.astype(np.float64)
    outside = map_cells(_outside, data, dtype=bool, lower=table.lower, upper=table.upper)
    n_out = int(outside.sum())
    if n_out:
        first = float(np.asarray(data.data)[np.asarray(outside.data)][0])
        raise ParameterError(
            f"{table.factor} value {first:g} ({n_out} cell(s) outside every level) is not "
            f"covered by {table.where}, whose levels are {table.describe()}; add a level "
            f"covering it (lower = -inf / upper = inf close the ends)"
        )
    return map_cells(
        _interval_lookup, data, lower=table.lower, upper=table.upper, values=table.values, name=name
    )


@dataclass(frozen=True)
class Resistance:
    """Resistance surface, the reclassified factors and the weights used."""

    surface: xr.DataArray
    factors: dict[str, xr.DataArray]
    weights: dict[str, float]
    entropy: EntropyWeights | None = None

    def weight_table(self) -> pd.DataFrame:
        """e, d, w per factor (Table 4 layout) when entropy weights were used, else w."""
        if self.entropy is not None:
            return self.entropy.table()
        return pd.DataFrame(
            {
                "factor": list(self.weights),
                "weight_w": list(self.weights.values()),
                "weight_percent": [100 * w for w in self.weights.values()],
            }
        )


def _complete_index(*blocks: np.ndarray, j: int, levels: np.ndarray) -> np.ndarray:
    """Index of factor ``j``'s value among its ``levels``; -1 where any factor is NaN."""
    complete = np.ones(blocks[0].shape, dtype=bool)
    for b in blocks:
        complete &= ~np.isnan(b)
    pos = np.clip(np.searchsorted(levels, blocks[j]), 0, len(levels) - 1)
    return np.where(complete, pos, -1)


def factor_entropy_weights(
    factors: Mapping[str, xr.DataArray], tables: Mapping[str, LevelTable]
) -> EntropyWeights:
    """Entropy weights of reclassified factors over the cells where all are valid.

    Each factor is summarised by the cell counts of its table's resistance values (a
    chunked bincount), which gives exactly the weights of the full cell × factor
    matrix without building it.
    """
    arrays = list(factors.values())
    columns = {}
    for j, name in enumerate(factors):
        levels = np.unique(tables[name].values)
        index = map_cells(_complete_index, *arrays, dtype=np.int64, j=j, levels=levels)
        columns[name] = (levels, chunked_bincount(index, len(levels)))
    return weights_from_columns(columns)


def resistance_surface(
    factors: Mapping[str, xr.DataArray],
    tables: Mapping[str, LevelTable] | None = None,
    weights: Mapping[str, float] | Literal["entropy", "published"] = "entropy",
    *,
    classes: ClassScheme | None = None,
) -> Resistance:
    """Weighted resistance surface ``R = sum_j w_j R_j`` (dimensionless) from raw factor maps.

    Parameters
    ----------
    factors : factor name → DataArray of raw values (slope in degrees, elevation in m,
        land-use codes, ...) on one grid; each name needs a level table.
    tables : factor name → :class:`LevelTable` (default: the county-study preset's tables
        of the given factors).
    weights : ``"entropy"`` (entropy weight method on the reclassified factors),
        ``"published"`` (the table's ``published_weight``, e.g. the study's Table 4), or a
        mapping factor → weight (normalised with a warning if it does not sum to 1).
    classes : the study's class scheme, onto whose codes the preset's land-use levels
        (keyed by group) resolve; needed only for a ``landuse`` factor and default tables.

    Returns
    -------
    Resistance with the surface (NaN where any factor is nodata: a barrier), the
    reclassified factors, the weights and, for entropy, the e, d, w table.
    """
    if not factors:
        raise ParameterError("the resistance surface needs at least one factor")
    if tables is None:
        tables = load_level_tables(classes=classes, factors=factors)
    _check_factors(factors, tables)
    graded = {f: reclassify_factor(v, tables[f]) for f, v in factors.items()}
    entropy = None
    if weights == "entropy":
        entropy = factor_entropy_weights(graded, tables)
        chosen = entropy.as_dict()
    elif weights == "published":
        chosen = {f: tables[f].published_weight for f in factors}  # type: ignore[misc]
        lacking = [f for f, w in chosen.items() if w is None]
        if lacking:
            raise ParameterError(
                f"no published_weight for factor(s) {lacking} in their level "
                f"tables; use weights='entropy' or give the weights"
            )
    elif isinstance(weights, Mapping):
        chosen = dict(weights)
    else:
        raise ParameterError(f"weights {weights!r}: give 'entropy', 'published' or a mapping")
    final = check_weights(chosen, graded)
    surface = weighted_overlay(graded, final, "resistance")
    surface.attrs["units"] = "1"
    return Resistance(surface, graded, final, entropy)
