"""Physical limits of numbers, shared by tables, the study file and the command line.

A limit table holds any of ``ge``, ``gt``, ``le``, ``lt`` (as ``x >= ge`` ...);
:func:`out_of_range` says what is wrong with a number under one. NaN and infinities are
never in range: no input number may silently become ``Infinity`` or ``NaN`` in an output.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from typing import Any

Limits = dict[str, Any]
"""A limit table, e.g. ``{"ge": 0, "le": 1}``."""

YEARS: Limits = {"ge": 1000, "le": 3000}
"""A plausible calendar year."""
PRECIPITATION_MM: Limits = {"ge": 0, "le": 15000}
"""A mean annual precipitation (mm; the wettest places on Earth get ~12 000)."""
TEMPERATURE_C: Limits = {"ge": -90, "le": 60}
"""A mean air temperature (°C; the extremes ever measured)."""
SHARE: Limits = {"ge": 0, "le": 1}
"""A share or probability."""
RATE: Limits = {"gt": 0, "le": 1}
"""A sampling rate (some cells, at most all)."""

BOUNDS = (
    ("ge", operator.lt, ">="),
    ("gt", operator.le, ">"),
    ("le", operator.gt, "<="),
    ("lt", operator.ge, "<"),
)
"""Each limit keyword, the comparison a number fails it by, and how a message states it."""


def out_of_range(value: float, limits: Mapping[str, Any]) -> str | None:
    """What is wrong with ``value`` under ``limits``, or None when it is in range."""
    if not math.isfinite(value):
        return f"{value!r} is not a finite number; give a finite number"
    for key, fails, words in BOUNDS:
        bound = limits.get(key)
        if bound is not None and fails(value, bound):
            return f"{value!r} is out of range: must be {words} {bound}"
    return None
