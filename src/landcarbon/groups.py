"""The land-use group vocabulary: the coarse classes presets are keyed by.

A study's class table gives each class a ``group`` (one of :data:`GROUPS`; a named
scheme such as CNLUCC does it for you). Shipped presets (carbon densities, emission
factors, scenario rules, CSLE factors, resistance levels) are keyed by group, never by
raw code, and are resolved onto a study's codes through that column, so a preset
written for "forest" applies to every forest class of any classification.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from landcarbon.errors import TableError
from landcarbon.tables import (
    CODE_ALIASES,
    ClassTable,
    read_records,
    read_table,
    table_from_frame,
)

GROUPS = (
    "cropland",
    "forest",
    "shrubland",
    "grassland",
    "wetland",
    "water",
    "built-up",
    "barren",
    "snow/ice",
)
"""Land-use groups (canonical names, lower case)."""

SYNONYMS = {
    "farmland": "cropland",
    "arable land": "cropland",
    "cultivated land": "cropland",
    "forestland": "forest",
    "forest land": "forest",
    "woodland": "forest",
    "shrub": "shrubland",
    "shrub land": "shrubland",
    "grass": "grassland",
    "marsh": "wetland",
    "waters": "water",
    "water area": "water",
    "water body": "water",
    "built up": "built-up",
    "development land": "built-up",
    "development": "built-up",
    "impervious": "built-up",
    "urban": "built-up",
    "unused": "barren",
    "unused land": "barren",
    "bare": "barren",
    "snow": "snow/ice",
    "ice": "snow/ice",
    "snow ice": "snow/ice",
}
"""Other names accepted for a group (after lower-casing, ``_`` and ``-`` read as spaces)."""


def _key(name: str) -> str:
    """``name`` trimmed, lower case, with ``_`` and ``-`` as single spaces."""
    return " ".join(str(name).strip().lower().replace("_", " ").replace("-", " ").split())


_LOOKUP = {_key(g): g for g in GROUPS} | {_key(k): v for k, v in SYNONYMS.items()}


def check_group(name: str, where: str = "") -> str:
    """The canonical group of ``name`` (a group of :data:`GROUPS` or a synonym).

    Raises
    ------
    TableError
        ``name`` is no group; the message says ``where`` (file, key), has a
        did-you-mean hint and lists the groups.
    """
    group = _LOOKUP.get(_key(name))
    if group is not None:
        return group
    close = difflib.get_close_matches(_key(name), list(_LOOKUP), n=1, cutoff=0.6)
    hint = f" (did you mean '{_LOOKUP[close[0]]}'?)" if close else ""
    at = f"{where}: " if where else ""
    raise TableError(f"{at}{name!r} is not a land-use group{hint}; use one of {', '.join(GROUPS)}")


CNLUCC_LEVEL1 = {1: "cropland", 2: "forest", 3: "grassland", 4: "water", 5: "built-up", 6: "barren"}
"""Groups of the CNLUCC (RESDC, CAS) first-level codes, the coding of the four studies."""

CNLUCC_SOURCE = "the CNLUCC first-level classes (codes 1-6)"

CNLUCC_LEVEL2 = {
    **{c: "cropland" for c in (11, 12)},
    **{c: "forest" for c in (21, 22, 23, 24)},  # shrub land 22 is forest land in CNLUCC
    **{c: "grassland" for c in (31, 32, 33)},
    **{c: "water" for c in (41, 42, 43, 44, 45, 46)},  # glacier 44, tidal flat 45 included
    **{c: "built-up" for c in (51, 52, 53)},
    **{c: "barren" for c in (61, 62, 63, 64, 65, 66, 67)},  # marsh 64 is unused land
}
"""Second-level CNLUCC codes -> the group of their first-level class (the CNLUCC hierarchy)."""


def classes_option(value: str) -> ClassTable:
    """The class table of a CLI ``--classes``: a file (code, name, group), or ``cnlucc``
    for the CNLUCC first-level classes 1-6 (:data:`CNLUCC_LEVEL1`)."""
    if value.strip().lower() == "cnlucc":
        return table_from_frame(
            pd.DataFrame({"code": list(CNLUCC_LEVEL1), "group": list(CNLUCC_LEVEL1.values())}),
            CNLUCC_SOURCE,
        )
    return read_table(value)


def class_groups(classes: ClassTable | None) -> dict[int, str | None]:
    """Code -> canonical group of a class table's ``group`` column (None: no group given).

    ``None`` stands for :data:`CNLUCC_LEVEL1`, the coding of the shipped studies.
    """
    if classes is None:
        return dict(CNLUCC_LEVEL1)
    if "group" not in classes.frame:
        return {int(c): None for c in classes.codes}
    return {
        int(code): None
        if pd.isna(value) or not str(value).strip()
        else check_group(str(value), f"{classes.source}: code {code}, column 'group'")
        for code, value in zip(classes.codes, classes.frame["group"], strict=True)
    }


def resolve_groups(
    frame: pd.DataFrame,
    groups: Mapping[int, str | None],
    source: str,
    classes_source: str,
) -> pd.DataFrame:
    """Rows of a group-keyed table ``frame`` (a ``group`` column) as rows per class code.

    Every class of ``groups`` (code -> group, from :func:`class_groups`) gets the row of
    its group, in a ``code`` column before the others.

    Raises
    ------
    TableError
        A row names no group or an unknown one, a group has two rows, a class has no
        group, or a class's group has no row; the message names the codes and the fix.
    """
    frame = frame.copy()
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if "group" not in frame:
        raise TableError(f"{source}: no 'group' column; key each row by land-use group")
    keys = [
        check_group(str(g), f"{source}: row {i + 2}, column 'group'")
        for i, g in enumerate(frame["group"])
    ]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise TableError(f"{source}: group(s) {', '.join(dup)} have more than one row; keep one")
    frame["group"] = keys
    by_group = frame.set_index("group", drop=False)
    ungrouped = sorted(c for c, g in groups.items() if g is None)
    if ungrouped:
        raise TableError(
            f"{source} is keyed by land-use group but class code(s) {ungrouped} of "
            f"{classes_source} have no group; give each class a group ({', '.join(GROUPS)}) "
            f"in the class table's 'group' column, or use a table keyed by your codes"
        )
    absent = {c: g for c, g in groups.items() if g not in by_group.index}
    if absent:
        listed = ", ".join(f"{c} ({g})" for c, g in sorted(absent.items()))
        raise TableError(
            f"{source} has no row for the group of class code(s) {listed} of {classes_source}; "
            f"use a table with a row for that group (or keyed by your codes)"
        )
    codes = sorted(groups)
    out = by_group.loc[[groups[c] for c in codes]].reset_index(drop=True)
    out.insert(0, "code", codes)
    return out


def read_class_values(
    path: str | Path,
    classes: ClassTable | None,
    *,
    required: Sequence[str] = (),
    nonnegative: Sequence[str] = (),
) -> ClassTable:
    """A table file keyed by class code, or by group (see :func:`class_values`)."""
    return class_values(
        read_records(path), classes, str(path), required=required, nonnegative=nonnegative
    )


def class_values(
    frame: pd.DataFrame,
    classes: ClassTable | None,
    source: str,
    *,
    required: Sequence[str] = (),
    nonnegative: Sequence[str] = (),
) -> ClassTable:
    """A validated table keyed by class code, or by ``group`` resolved onto ``classes``.

    Rows with a code column (``lucode``, ``code``...) are taken as is; rows with a
    ``group`` column and no code column are resolved through the class table's groups
    (:func:`resolve_groups`; ``classes=None``: the CNLUCC first-level codes 1-6).
    """
    columns = {str(c).strip().lower() for c in frame.columns}
    if "group" in columns and not columns & (set(CODE_ALIASES) - set(required)):
        origin = CNLUCC_SOURCE if classes is None else f"the class table {classes.source}"
        frame = resolve_groups(frame, class_groups(classes), source, origin)
    return table_from_frame(frame, source, required=required, nonnegative=nonnegative)
