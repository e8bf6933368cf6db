"""Typed, strict reading of TOML tables into frozen dataclasses.

A section of the study file is a frozen dataclass whose fields carry a doc line
(and units) and their limits (``doc(..., ge=0)``) in their metadata. :func:`parse_section`
turns a TOML table into one, collecting *every* problem (unknown key with a "did you mean"
hint, wrong type, a number that is not finite or out of its range, a list of the wrong
length or with repeats, value out of its choices, missing required key) instead of
stopping at the first.
Problems carry the key path so :mod:`landcarbon.study.config` can add file and line.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
import typing
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from landcarbon.limits import out_of_range

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """One problem in the study file: dotted key path and message."""

    key: str
    message: str


LIMITS = ("ge", "gt", "le", "lt", "length", "distinct", "increasing")
"""Limit keywords of :func:`doc`: bounds of a number (of each item of a list or table),
the length of a list, no repeated items, strictly increasing items."""


def doc(
    text: str, default: Any = dataclasses.MISSING, *, names: bool = False, **kwargs: Any
) -> Any:
    """A dataclass field with a doc line (shown by ``landcarbon steps`` and the docs).

    ``names=True`` marks a field whose names (a table's keys, a list's items) become
    file names: the study file's check requires them to be safe names
    (:func:`landcarbon.paths.name_problem`). Limits (see :data:`LIMITS`) are checked by
    :func:`parse_section`, e.g. ``doc("Share of cells.", 0.5, ge=0, le=1)`` or
    ``doc("Years.", length=2, increasing=True)``.
    """
    metadata = {
        "doc": text,
        "names": names,
        **{k: kwargs.pop(k) for k in LIMITS if k in kwargs},
    }
    if default is dataclasses.MISSING and "default_factory" not in kwargs:
        return field(metadata=metadata)
    if default is dataclasses.MISSING:
        return field(metadata=metadata, **kwargs)
    return field(default=default, metadata=metadata, **kwargs)


def did_you_mean(word: str, choices: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def parse_section(cls: type[T], data: Any, prefix: str, problems: list[Problem]) -> T | None:
    """Build dataclass ``cls`` from a TOML table, appending problems; None if any."""
    if not isinstance(data, dict):
        problems.append(Problem(prefix, f"must be a table, got {type(data).__name__}"))
        return None
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    before = len(problems)
    for key in data:
        if key not in fields:
            problems.append(
                Problem(
                    _join(prefix, key),
                    f"unknown key{did_you_mean(key, fields)}; valid keys: "
                    f"{', '.join(sorted(fields))}",
                )
            )
    values: dict[str, Any] = {}
    for name, f in fields.items():
        path = _join(prefix, name)
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                what = f.metadata.get("doc", "")
                problems.append(
                    Problem(path, "required key is missing" + (f": {what}" if what else ""))
                )
            continue
        mark = len(problems)
        values[name] = _convert(hints[name], data[name], path, problems)
        if len(problems) == mark:
            _check_limits(f.metadata, values[name], path, problems)
    if len(problems) > before:
        return None
    return cls(**values)


def _check_limits(
    limits: typing.Mapping[str, Any], value: Any, path: str, problems: list[Problem]
) -> None:
    """Check a converted value against the limits of its field (numbers item by item)."""
    if isinstance(value, tuple):
        length = limits.get("length")
        if length is not None and len(value) != length:
            problems.append(Problem(path, f"must be a list of {length} items, got {list(value)}"))
        repeated = sorted({str(v) for v in value if value.count(v) > 1})
        if limits.get("distinct") and repeated:
            problems.append(
                Problem(path, f"lists {', '.join(repeated)} more than once; give each once")
            )
        if limits.get("increasing") and any(b <= a for a, b in pairwise(value)):
            problems.append(Problem(path, f"must increase strictly, got {list(value)}"))
        items = {f"{path}[{i}]": v for i, v in enumerate(value)}
    elif isinstance(value, dict):
        items = {_join(path, k): v for k, v in value.items()}
    else:
        items = {path: value}
    for where, v in items.items():
        problem = isinstance(v, int | float) and not isinstance(v, bool) and out_of_range(v, limits)
        if problem:
            problems.append(Problem(where, problem))


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp).replace("typing.", ""))


def _convert(tp: Any, value: Any, path: str, problems: list[Problem]) -> Any:
    origin = get_origin(tp)
    args = get_args(tp)
    if origin in (Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            return _convert(options[0], value, path, problems)
        for option in options:
            trial: list[Problem] = []
            out = _convert(option, value, path, trial)
            if not trial:
                return out
        problems.append(
            Problem(
                path,
                f"{value!r} is not one of the accepted types "
                f"({', '.join(_type_name(o) for o in options)})",
            )
        )
        return None
    if origin is Literal:
        if value not in args:
            choices = ", ".join(repr(a) for a in args)
            hint = did_you_mean(str(value), [str(a) for a in args])
            problems.append(
                Problem(path, f"{value!r} is not allowed{hint}; choose one of {choices}")
            )
        return value
    if origin in (list, tuple):
        if not isinstance(value, list):
            problems.append(Problem(path, f"must be a list, got {value!r}"))
            return None
        inner = args[0] if args else Any
        return tuple(_convert(inner, v, f"{path}[{i}]", problems) for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            problems.append(Problem(path, f"must be a table, got {value!r}"))
            return None
        vt = args[1] if len(args) > 1 else Any
        return {k: _convert(vt, v, _join(path, k), problems) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        return parse_section(tp, value, path, problems)  # type: ignore[arg-type]
    if tp is Any:
        return value
    if tp is bool:
        if not isinstance(value, bool):
            problems.append(Problem(path, f"must be true or false, got {value!r}"))
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(Problem(path, f"must be an integer, got {value!r}"))
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(Problem(path, f"must be a number, got {value!r}"))
            return value
        if not math.isfinite(value):
            problems.append(Problem(path, f"must be a finite number, got {value!r}"))
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            problems.append(Problem(path, f"must be a string, got {value!r}"))
        return value
    if tp is Path:
        if not isinstance(value, str):
            problems.append(Problem(path, f"must be a file path string, got {value!r}"))
            return value
        return Path(value)
    raise TypeError(f"unsupported schema type {tp!r} at {path}")
