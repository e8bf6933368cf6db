"""Write ``landcarbon_processing/cli_spec.json``: the commands the QGIS plugin offers, with
each option's flags, help text, default, number of values and numeric limits, read from the
``landcarbon`` command line itself (run with the Python that has landcarbon installed).

The plugin builds its Processing parameters from this file, so the dialogs show the CLI's
own help and defaults; ``tests/qgis/test_plugin_spec.py`` fails when the file is stale.
``make qgis-plugin`` (``qgis_plugin/build.py``) rewrites it; ``python qgis_plugin/cli_spec.py``
prints it.
"""

from __future__ import annotations

import json
import sys
import typing
from pathlib import Path
from typing import Any

COMMANDS = (
    "carbon emissions nep change markov suitability simulate accuracy erosion sinks mcr "
    "breaks geodetector run init"
).split()
"""The CLI commands that make sense in a GIS (``demo``, ``info``, ``validate`` ... do not)."""

SPEC = Path(__file__).with_name("landcarbon_processing") / "cli_spec.json"


def _value_type(annotation: Any) -> str:
    """``path``, ``float``, ``int``, ``bool`` or ``str``: the type of one value of a
    parameter annotated ``annotation`` (``X | None``, ``tuple[X, X]`` and ``list[X]``
    unwrapped)."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    return _value_type(args[0]) if args else annotation.__name__.lower()


def _limits(param: Any) -> dict[str, Any]:
    """Numeric limits of an option: typer's ``min``/``max`` or those that
    :func:`landcarbon.cli.options.number` keeps in its range check (one table per value)."""
    bounds = {k: v for k, v in (("ge", param.min), ("le", param.max)) if v is not None}
    if bounds:
        return bounds
    cells = _closure(param.callback)
    while "callback" in cells:  # typer wraps the callback it was given
        cells = _closure(cells["callback"].cell_contents)
    if "limits" not in cells:
        return {}
    items, limits = cells["items"].cell_contents, cells["limits"].cell_contents
    return {"items": [dict(i) for i in items]} if items else dict(limits)


def _closure(function: Any) -> dict[str, Any]:
    """The variables a function closes over, by name (none for ``None``)."""
    code = getattr(function, "__code__", None)
    if code is None or not function.__closure__:
        return {}
    return dict(zip(code.co_freevars, function.__closure__, strict=True))


def _param(param: Any) -> dict[str, Any]:
    default = param.default
    return {
        "name": param.name,
        "flag": None if param.param_type_name == "argument" else max(param.opts, key=len),
        "help": getattr(param, "help", None) or "",
        "type": _value_type(param.type_descriptor.annotation),
        "nargs": param.nargs,
        "multiple": bool(param.multiple),
        "required": bool(param.required),
        "default": str(default) if isinstance(default, Path) else default,
        **_limits(param),
    }


def cli_spec() -> dict[str, Any]:
    """The commands of :data:`COMMANDS`: their help and parameters, and the version."""
    import typer

    from landcarbon import __version__
    from landcarbon.cli import app

    group = typer.main.get_command(app)
    commands = {}
    for name in COMMANDS:
        command = group.commands[name]  # type: ignore[attr-defined]
        commands[name] = {
            "help": (command.help or "").strip(),
            "params": [_param(p) for p in command.params if p.name != "help"],
        }
    return {"version": __version__, "commands": commands}


def spec_text() -> str:
    """:func:`cli_spec` as the JSON text of ``cli_spec.json``."""
    return json.dumps(cli_spec(), indent=1, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(spec_text())
