"""Group-keyed tables: presets keyed by land-use group, resolved onto a study's codes.

A study's class table gives each class a ``group`` (one of
:data:`landcarbon.group_names.GROUPS`; a named
scheme such as CNLUCC does it for you). Shipped presets (carbon densities, emission
factors, scenario rules, CSLE factors, resistance levels) are keyed by group, never by
raw code, and are resolved onto a study's codes through that column, so a preset
written for "forest" applies to every forest class of any classification.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from landcarbon.errors import TableError
from landcarbon.group_names import GROUPS, check_group
from landcarbon.tables import (
    CODE_ALIASES,
    ClassTable,
    read_records,
    table_from_frame,
)

if TYPE_CHECKING:
    from landcarbon.classes import ClassScheme


def classes_option(value: str) -> ClassScheme:
    """The classes of a CLI ``--classes``: a class table file (code, name, optional colour
    and group) or a named scheme (``cnlucc``, ``clcd``, ``worldcover``, ...)."""
    from landcarbon.classes import SCHEMES, named_scheme, scheme_from_table

    if value.strip().lower() in SCHEMES or not (Path(value).suffix or Path(value).exists()):
        return named_scheme(value)  # an unknown name gets a did-you-mean
    return scheme_from_table(value)


def class_groups(classes: ClassScheme | None) -> dict[int, str | None]:
    """Code -> land-use group of each class (None for a class without one); empty when the
    study names no classes (then no group-keyed table can be applied)."""
    if classes is None:
        return {}
    return {int(c): classes.groups.get(c) for c in classes.classes}


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
    if not groups:
        raise TableError(
            f"{source} is keyed by land-use group, but no class table maps the map's codes "
            f"to groups; name the classes with their groups: in a study [inputs] classes = "
            f"a class table (code, name, group) or a scheme ({', '.join(_scheme_names())}), "
            f"on the command line --classes; or use a table keyed by your codes"
        )
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


def _scheme_names() -> list[str]:
    from landcarbon.classes import SCHEMES

    return list(SCHEMES)


def read_class_values(
    path: str | Path,
    classes: ClassScheme | None,
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
    classes: ClassScheme | None,
    source: str,
    *,
    required: Sequence[str] = (),
    nonnegative: Sequence[str] = (),
) -> ClassTable:
    """A validated table keyed by class code, or by ``group`` resolved onto ``classes``.

    Rows with a code column (``lucode``, ``code``...) are taken as is; rows with a
    ``group`` column and no code column are resolved through the class table's groups
    (:func:`resolve_groups`; with ``classes=None`` such a table is refused).
    """
    columns = {str(c).strip().lower() for c in frame.columns}
    if "group" in columns and not columns & (set(CODE_ALIASES) - set(required)):
        origin = "the study's classes" if classes is None else classes.source
        frame = resolve_groups(frame, class_groups(classes), source, origin)
        if classes is not None:  # each class by its own name, not its group row's
            frame = frame.drop(columns=["name"], errors="ignore")
            names = classes.names()
            frame.insert(1, "name", [names[int(c)] for c in frame["code"]])
    return table_from_frame(frame, source, required=required, nonnegative=nonnegative)
