"""The names of the land-use groups: the vocabulary presets are keyed by.

:data:`GROUPS` are the canonical names, :data:`SYNONYMS` other names accepted for them,
and :func:`check_group` turns a user's name into its group or refuses it. This module
knows no tables, so the table readers (``landcarbon.tables``) can check a class table's
``group`` column with it; :mod:`landcarbon.groups` resolves group-keyed presets.
"""

from __future__ import annotations

import difflib

from landcarbon.errors import TableError

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
