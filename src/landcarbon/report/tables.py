"""Tables as a reader of a results section wants them: labels with units, readable numbers.

Numbers get thousands separators and four significant digits (never ``1.091e+04``), years
stay years (``2035``, not ``2,035``), long text columns (a strategy paragraph repeated on
every row) are shown once in a legend table, and a step's summary (nested dicts, per class
dicts keyed by code) becomes tables with the study's class names.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from landcarbon.report.i18n import Language, label, message, note, note_label

SIGNIFICANT = 4
"""Significant digits of a shown number (integers and the digits before the point are
always all shown)."""
TINY = 1e-4
"""Below this magnitude a number is shown as ``1.23e-30`` (p-values): fixed notation would
print a row of zeros."""
LONG_TEXT = 40
"""Characters from which a text column that repeats is shown once, in a legend table."""
YEAR_KEYS = frozenset({"year", "map", "target_year", "base_year"})
"""Columns and keys whose integers are years (no thousands separator)."""


def is_year_key(key: object) -> bool:
    """True for ``year``, ``map``, ``target_year`` and keys ending in ``_year``."""
    name = str(key)
    return name in YEAR_KEYS or name.endswith("_year")


def format_number(value: Any, key: object = "") -> str:
    """``value`` for a page: ``10,910``, ``0.0516``, ``1.23e-30``, ``2035`` for a year
    ``key``; text as it is, missing values as an empty string."""
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    if isinstance(value, int | np.integer):
        return str(int(value)) if is_year_key(key) else f"{int(value):,d}"
    number = float(value)
    if math.isnan(number):
        return ""
    if math.isinf(number):
        return "∞" if number > 0 else "-∞"
    if is_year_key(key) and number.is_integer():
        return str(int(number))
    if number == 0:
        return "0"
    if abs(number) < TINY:
        return f"{number:.{SIGNIFICANT - 1}e}"
    magnitude = math.floor(math.log10(abs(number)))
    decimals = max(0, SIGNIFICANT - 1 - magnitude)
    text = f"{number:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass
class ShownTable:
    """A table ready for the page: labelled header, formatted cells, and the long texts
    moved to a legend (key -> text)."""

    title: str
    header: list[str]
    rows: list[list[str]]
    legend: list[tuple[str, str]] = field(default_factory=list)
    numeric: list[bool] = field(default_factory=list)


def show_frame(frame: pd.DataFrame, title: str, language: Language) -> ShownTable:
    """``frame`` formatted for the page: labels with units, numbers by :func:`format_number`
    (by column name, so a ``year`` column keeps its years) and each long repeated text
    column replaced by keys ``[1]``, ``[2]``, ... into one legend."""
    legend: dict[str, str] = {}
    columns = []
    for name in frame.columns:
        values = frame[name].tolist()
        texts = [v for v in values if isinstance(v, str)]
        if texts and max(map(len, texts)) >= LONG_TEXT and len(set(texts)) < len(texts):
            for text in dict.fromkeys(texts):  # in order of first appearance
                legend.setdefault(text, f"[{len(legend) + 1}]")
            columns.append([legend.get(v, "") if isinstance(v, str) else "" for v in values])
        else:
            columns.append([format_number(v, name) for v in values])
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    rows = [list(row) for row in zip(*columns, strict=True)] if columns else []
    return ShownTable(
        title,
        [label(c, language) for c in frame.columns],
        rows,
        [(key, text) for text, key in legend.items()],
        numeric,
    )


def summary_tables(
    summary: Mapping[str, Any], classes: Mapping[int, str], language: Language
) -> list[ShownTable]:
    """A step's summary as tables: its plain values as one (quantity, value) table, dicts
    keyed by class code as one table per level with the class names of ``classes``, dicts
    of dicts (one per year or scenario) as one row each, other dicts as (item, value)."""
    scalars = {k: v for k, v in summary.items() if not isinstance(v, dict)}
    nested = {k: v for k, v in summary.items() if isinstance(v, dict) and v}
    tables = []
    if scalars:
        rows = [[label(k, language), _plain(v, k)] for k, v in scalars.items()]
        header = [message("item", language), message("value", language)]
        tables.append(ShownTable("", header, rows, numeric=[False, True]))
    by_class = {k: v for k, v in nested.items() if _class_keyed(v, classes)}
    if by_class:
        tables.append(show_frame(_class_frame(by_class, classes, language), "", language))
    records = {  # one record per year or scenario: {"2030": {"iterations": 117, ...}}
        k: v for k, v in nested.items() if any(isinstance(x, dict) for x in v.values())
    }
    if records:
        tables.extend(_dict_of_dicts(message("item", language), records, classes, language))
    for key, value in nested.items():
        if key not in by_class and key not in records:
            header = [message("item", language), label(key, language)]
            rows = [[str(k), _plain(v, key)] for k, v in value.items()]
            tables.append(ShownTable(label(key, language), header, rows, numeric=[False, True]))
    return tables


METHOD_NOTES_KEY = "conventions"
"""Summary key whose value names the method's conventions in words (the ``[drivers]``
chapter's GeoDetector conventions): shown as a method-notes line, not as a table."""


def method_notes(notes: Mapping[str, Any], language: Language) -> list[tuple[str, str]]:
    """The (label, text) pairs of a method-notes line from a summary's
    :data:`METHOD_NOTES_KEY` value: each convention labelled (``singleton strata``) and
    its words in ``language`` (:func:`~landcarbon.report.i18n.note`); a nested dict (the
    discretisation search space) as ``methods: sd, equal; class counts k: 3-15``, a run of
    consecutive integers as its first and last."""
    return [
        (note_label(key, language), _note_text(value, language)) for key, value in notes.items()
    ]


def _note_text(value: Any, language: Language) -> str:
    if isinstance(value, dict):
        colon, separator = message("note_colon", language), message("note_separator", language)
        return separator.join(
            f"{note_label(k, language)}{colon}{_note_text(v, language)}" for k, v in value.items()
        )
    if isinstance(value, list):
        if len(value) > 2 and all(isinstance(v, int) for v in value):
            if value == list(range(value[0], value[0] + len(value))):
                return f"{value[0]}-{value[-1]}"
        return message("note_list", language).join(_note_text(v, language) for v in value)
    return note(value, language) if isinstance(value, str) else format_number(value)


def _plain(value: Any, key: str) -> str:
    """A summary value as text: a list or dict inline, a number by :func:`format_number`."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v, str(k))}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(format_number(v, key) for v in value)
    return format_number(value, key)


FIRST_YEAR = 1800
"""Integer keys from here on are years (``{"2010": ...}``), not class codes, unless the
class scheme has them."""


def _class_keyed(value: Mapping[str, Any], classes: Mapping[int, str]) -> bool:
    """A flat dict keyed by class codes (``{"1": 2556, "2": 21769}``)."""
    return all(
        str(k).isdigit() and (int(k) in classes or int(k) < FIRST_YEAR) and not isinstance(v, dict)
        for k, v in value.items()
    )


def _class_frame(
    dicts: Mapping[str, Mapping[str, Any]], classes: Mapping[int, str], language: Language
) -> pd.DataFrame:
    """One row per class code (its name from ``classes``), one column per dict."""
    codes = sorted({int(c) for d in dicts.values() for c in d})
    frame = pd.DataFrame(
        {
            message("code", language): codes,
            message("class", language): [classes.get(c, f"class {c}") for c in codes],
        }
    )
    for key, values in dicts.items():
        by_code = {int(c): v for c, v in values.items()}
        frame[key] = [by_code.get(c) for c in codes]
    return frame


def _dict_of_dicts(
    key: str,
    value: Mapping[str, Mapping[str, Any]],
    classes: Mapping[int, str],
    language: Language,
) -> list[ShownTable]:
    """One row per outer key (a year, a scenario) of the inner plain values, then one
    table per inner dict keyed by class code: classes down, outer keys across."""
    plain = {
        outer: {k: v for k, v in inner.items() if not isinstance(v, dict)}
        for outer, inner in value.items()
    }
    frame = pd.DataFrame.from_dict(plain, orient="index")
    frame.insert(0, key, list(plain))
    tables = [show_frame(frame, label(key, language), language)]
    inner_keys = dict.fromkeys(
        k for inner in value.values() for k, v in inner.items() if isinstance(v, dict)
    )
    for inner_key in inner_keys:
        dicts = {o: d[inner_key] for o, d in value.items() if isinstance(d.get(inner_key), dict)}
        if all(_class_keyed(d, classes) for d in dicts.values()):
            title = label(inner_key, language)
            tables.append(show_frame(_class_frame(dicts, classes, language), title, language))
    return tables
