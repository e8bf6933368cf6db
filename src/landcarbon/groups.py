"""The land-use group vocabulary: the coarse classes presets are keyed by.

A study's class table may give each class a ``group`` (one of :data:`GROUPS`); presets
(carbon densities, emission factors, CSLE factors) are then resolved through it, so a
preset written for "forest" applies to every forest class of any classification.
"""

from __future__ import annotations

from landcarbon.errors import ParameterError

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
"""Land-use groups, lower case."""


def check_group(name: str) -> str:
    """The group ``name`` (trimmed, lower case); ParameterError with a did-you-mean hint
    and the list of groups when it is not one of :data:`GROUPS`."""
    from landcarbon.study.schema import did_you_mean

    group = str(name).strip().lower()
    if group not in GROUPS:
        raise ParameterError(
            f"group {name!r} is not a land-use group{did_you_mean(group, GROUPS)}; "
            f"use one of {', '.join(GROUPS)}"
        )
    return group
