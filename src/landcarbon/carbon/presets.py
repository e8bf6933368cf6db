"""Carbon presets shipped in ``landcarbon/presets``: densities, emission and fuel factors.

Named presets (``carbon_<name>.toml`` pools tables, ``emissions_<name>.toml`` emission
factors) are keyed by land-use group and resolved onto a study's codes through its
class table (:func:`landcarbon.groups.read_class_values`); the fuel factors are keyed by
fuel code. Each file cites its source and says whether its values were checked against
the study text.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from landcarbon.errors import ParameterError
from landcarbon.groups import read_class_values
from landcarbon.tables import ClassTable

if TYPE_CHECKING:
    from landcarbon.classes import ClassScheme


def preset_names(prefix: str) -> list[str]:
    """Names of the shipped presets ``<prefix>_<name>.toml`` (e.g. ``emissions``)."""
    folder = resources.files("landcarbon") / "presets"
    return sorted(
        p.name[len(prefix) + 1 : -len(".toml")]
        for p in folder.iterdir()
        if p.name.startswith(f"{prefix}_") and p.name.endswith(".toml")
    )


def load_preset(
    prefix: str,
    name: str,
    required: Sequence[str],
    nonnegative: Sequence[str] = (),
    choices: Sequence[str] | None = None,
    classes: ClassScheme | None = None,
) -> ClassTable:
    """Read the preset ``<prefix>_<name>.toml`` as a validated class table.

    ``choices`` restricts the accepted names (default: every ``<prefix>_*.toml``). Land-use
    presets are keyed by group: they are resolved onto the codes of the class table
    ``classes`` through its ``group`` column (without ``classes`` a
    group-keyed table is refused); a class without a group, or whose group the preset lacks, is a
    TableError naming the codes.
    """
    names = list(choices) if choices is not None else preset_names(prefix)
    if name not in names:
        raise ParameterError(
            f"unknown {prefix} preset {name!r}; shipped presets: {', '.join(names)} "
            f"(or give your own table file)"
        )
    resource = resources.files("landcarbon") / "presets" / f"{prefix}_{name}.toml"
    with resources.as_file(resource) as path:
        return read_class_values(Path(path), classes, required=required, nonnegative=nonnegative)
