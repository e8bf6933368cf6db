"""Import of GeoSOS-FLUS and PLUS parameter files into landcarbon parameters.

Three file kinds are read (layouts and their sources: docs/parameter_import.md):

* **GeoSOS-FLUS CA config** (``FilesGenerate/config_mp.log``, or a console config that also
  holds the ``[Path of ...]`` tags): a ``[Tag]`` line, then its values, one per line;
  matrix rows comma-separated. Class i (1..n) is the i-th row of ``config_color.log``
  (read from the same folder when present), else code i: the FLUS CA indexes the class of
  pixel value v as v - 1.
* **PLUS CARS** ``.tmp`` (``PLUS_CARS.tmp``): a ``<Tag>`` line, then its values; per-class
  lists on one comma-separated line, the transition matrix one row per line, one demand row
  ``step,d_1,...,d_n`` per year. Class i is code i (PLUS needs codes 1..n).
* **PLUS LEAS** ``.tmp`` (``PLUS_LEAS.tmp``): ``<Tag>`` + one value; its knobs are keywords
  of :func:`landcarbon.landuse.suitability.leas`.

``codes=`` maps the file's class order to other codes (class i -> ``codes[i - 1]``). Text is
decoded as UTF-8 (with or without BOM), UTF-16 with BOM or GBK/GB18030 (Chinese Windows);
CRLF and blank lines are accepted, tags match case-insensitively (``Featrue`` = ``Feature``).
Paths in the files are reported in :attr:`LegacyParameters.paths`, never opened. Unknown tags
are kept and warned about. Layout errors raise :class:`InputFileError` and out-of-range values
:class:`ParameterError`, naming the file, the tag (and line) and the fix.

:func:`read_parameters` gives the allocation parameters of a FLUS config, a PLUS CARS file or
a landcarbon TOML ``[allocation]`` table (what :func:`landcarbon_toml` writes).
"""

from __future__ import annotations

import json
import tomllib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np

from landcarbon.errors import InputFileError, LandcarbonWarning, ParameterError
from landcarbon.landuse._tagfile import TagFile, decode, is_tag, norm
from landcarbon.landuse.allocation import AllocationParameters, FlusParameters, make_parameters
from landcarbon.landuse.conversion import ConversionMatrix, Orientation

LegacyKind = Literal["flus", "plus-cars", "plus-leas"]
T = TypeVar("T")

FLUS_TAGS = (
    "[Number of types]",
    "[Future Pixels]",
    "[Cost Matrix]",
    "[Intensity of neighborhood]",
    "[Maximum Number Of Iterations]",
    "[Size of neighborhood]",
    "[Accelerated factor]",
    "[Enclaves for land use type]",
    "[Path of land use data]",
    "[Path of probability data]",
    "[Path of simulation result]",
    "[Path of restricted area]",
)
"""Tags of the FLUS CA config (simulationprocess.cpp getUiparaMat / readImageData)."""

PLUS_CARS_TAGS = (
    "<Input classes>",
    "<Input LULC>",
    "<Input Probability Folder>",
    "<Output simulation>",
    "<Input Policy>",
    "<Input Neighborhood>",
    "<How many years>",
    "<Input thread count>",
    "<Patch generation>",
    "<Expansion coefficient>",
    "<Neighborhood Weight>",
    "<Transition matrix>",
    "<Years and corresponding demands>",
    "<Percentage of seeds>",
    "<Development type exist>",
    "<Development type>",
    "<Development weight>",
)
PLUS_LEAS_TAGS = (
    "<Input LULC>",
    "<Input Feature folder>",
    "<Output probability>",
    "<Is net exit?>",
    "<Input sampling rate>",
    "<mTry>",
    "<Input the number of trees>",
    "<Is balance?>",
    "<Input thread count>",
    "<High precision>",
    "<Update Number>",
    "<Update Variable>",
)
_FLUS_PATHS = FLUS_TAGS[8:]
_CARS_PATHS = PLUS_CARS_TAGS[1:5]
_LEAS_PATHS = PLUS_LEAS_TAGS[:3]
_FLUS_KNOBS = {
    "neighborhood_weights": "[Intensity of neighborhood]",
    "max_iterations": "[Maximum Number Of Iterations]",
    "neighborhood": "[Size of neighborhood]",
    "accelerated_factor": "[Accelerated factor]",
}
_CARS_KNOBS = {
    "neighborhood_weights": "<Neighborhood Weight>",
    "neighborhood": "<Input Neighborhood>",
    "patch_generation_threshold": "<Patch generation>",
    "expansion_coefficient": "<Expansion coefficient>",
    "percentage_of_seeds": "<Percentage of seeds>",
    "development_weight": "<Development weight>",
}
"""Allocation knob -> tag it comes from (names the tag when a value is out of range)."""
_CARS_ONLY = set(PLUS_CARS_TAGS) - set(PLUS_LEAS_TAGS)
_LEAS_ONLY = set(PLUS_LEAS_TAGS) - set(PLUS_CARS_TAGS)
_COLOR_HEADER = "[Index, Count, Land Use Type, R, G, B]"
_NO_RESTRICTION = "no restrict data"
_MODELS: dict[LegacyKind, tuple[str, ...]] = {
    "flus": ("flus", "flus-paper"),
    "plus-cars": ("cars",),
    "plus-leas": (),
}
_KNOWN: dict[LegacyKind, tuple[str, ...]] = {
    "flus": FLUS_TAGS,
    "plus-cars": PLUS_CARS_TAGS,
    "plus-leas": PLUS_LEAS_TAGS,
}
_TITLE = {
    "flus": "GeoSOS-FLUS CA config",
    "plus-cars": "PLUS CARS .tmp",
    "plus-leas": "PLUS LEAS .tmp",
}


@dataclass(frozen=True)
class LegacyParameters:
    """What a FLUS config or PLUS ``.tmp`` file holds, in landcarbon terms.

    Attributes
    ----------
    source : Path
        The file read.
    kind : {"flus", "plus-cars", "plus-leas"}
    encoding : str
        Text encoding the file was decoded with.
    codes : tuple of int
        Class code of each class of the file, in the file's order (empty for LEAS).
    class_names : mapping of code to str
        Names from FLUS ``config_color.log`` (empty otherwise).
    allocation : AllocationParameters or None
        ``FlusParameters`` (FLUS) or ``CarsParameters`` (PLUS CARS).
    conversion : ConversionMatrix or None
        ``[Cost Matrix]`` / ``<Transition matrix>`` (nonzero = allowed).
    demands : mapping of step to {code: cells}
        ``[Future Pixels]`` (step 1) or the rows of ``<Years and corresponding demands>``.
    leas : mapping of str to value
        Keyword arguments of :func:`landcarbon.landuse.suitability.leas` (LEAS files).
    paths : mapping of tag to tuple of str
        Paths as written in the file (Windows paths kept verbatim; not opened).
    ignored : mapping of tag to str
        Known tags with no landcarbon counterpart (thread count of CARS, ...), raw value.
    unknown_tags : tuple of str
        Tags this reader does not know (warned about, not used).
    """

    source: Path
    kind: LegacyKind
    encoding: str
    codes: tuple[int, ...] = ()
    class_names: Mapping[int, str] = field(default_factory=dict)
    allocation: AllocationParameters | None = None
    conversion: ConversionMatrix | None = None
    demands: Mapping[int, Mapping[int, int]] = field(default_factory=dict)
    leas: Mapping[str, Any] = field(default_factory=dict)
    paths: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    ignored: Mapping[str, str] = field(default_factory=dict)
    unknown_tags: tuple[str, ...] = ()

    def allocation_parameters(self) -> AllocationParameters:
        """The allocation knobs; ParameterError for a LEAS file (it holds none)."""
        if self.allocation is None:
            raise ParameterError(
                f"{self.source}: a {_TITLE[self.kind]} file holds suitability knobs, not "
                f"allocation knobs; give a FLUS config_mp.log or a PLUS_CARS.tmp, or pass "
                f"its values to `landcarbon suitability` (see `landcarbon import-params`)"
            )
        return self.allocation


def legacy_kind(path: str | Path) -> LegacyKind | None:
    """The kind of a FLUS / PLUS parameter file from its content, None for anything else
    (a TOML file, for instance: ``[allocation]`` is no FLUS tag)."""
    try:
        text, _ = decode(Path(path))
    except InputFileError:
        return None
    tags = {norm(line) for line in text.splitlines() if is_tag(line.strip())}
    if tags & {norm(t) for t in FLUS_TAGS}:
        return "flus"
    if tags & {norm(t) for t in _CARS_ONLY}:
        return "plus-cars"
    if tags & {norm(t) for t in _LEAS_ONLY}:
        return "plus-leas"
    return None


def read_legacy_file(
    path: str | Path,
    *,
    codes: Sequence[int] | None = None,
    orientation: Orientation = "from_rows",
    model: str | None = None,
) -> LegacyParameters:
    """Read a GeoSOS-FLUS CA config or a PLUS CARS / LEAS ``.tmp`` file (kind by content).

    Parameters
    ----------
    path
        The file.
    codes
        Class code of each class of the file, in its order (default: FLUS
        ``config_color.log`` beside the file, else 1..n).
    orientation
        Of the matrix in the file: ``"from_rows"`` (rows = current class; what the FLUS CA
        does with ``[Cost Matrix]``, and what the PLUS sample data need) or ``"to_rows"``.
    model
        ``"flus-paper"`` for the paper variant of FLUS; otherwise the file's model.
    """
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"{p}: parameter file not found")
    kind = legacy_kind(p)
    if kind is None:
        raise InputFileError(
            f"{p}: no FLUS [Tag] or PLUS <Tag> line found (e.g. [Number of types], "
            f"<Input classes>, <mTry>); give a FLUS config_mp.log or a PLUS_CARS.tmp / "
            f"PLUS_LEAS.tmp, or a landcarbon TOML file"
        )
    if model is not None and model not in _MODELS[kind]:
        fits = f"use one of {list(_MODELS[kind])} or" if _MODELS[kind] else "it holds LEAS knobs:"
        raise ParameterError(
            f"{p}: model {model!r} does not fit a {_TITLE[kind]} file; {fits} leave the model out"
        )
    text, encoding = decode(p)
    tags = TagFile(p, text, _KNOWN[kind])
    if tags.unknown:
        warnings.warn(
            f"{p}: unknown tag(s) {', '.join(tags.unknown)} ignored (kept in unknown_tags)",
            LandcarbonWarning,
            stacklevel=2,
        )
    common: dict[str, Any] = {
        "source": p,
        "kind": kind,
        "encoding": encoding,
        "unknown_tags": tags.unknown,
    }
    if kind == "plus-leas":
        return LegacyParameters(**common, **_leas(tags))
    reader = _flus if kind == "flus" else _cars
    return LegacyParameters(**common, **reader(tags, codes, orientation, model))


def read_parameters(
    path: str | Path, model: str | None = None, *, codes: Sequence[int] | None = None
) -> AllocationParameters:
    """Allocation parameters from a TOML file, a FLUS CA config or a PLUS CARS ``.tmp``.

    The TOML file holds an ``[allocation]`` table: ``model = "cars" | "flus" | "flus-paper"``
    and any knob of :class:`~landcarbon.landuse.allocation.CarsParameters` /
    :class:`~landcarbon.landuse.allocation.FlusParameters`; per-class tables are
    keyed by class code, e.g. ``neighborhood_weights = {"1" = 0.3, "2" = 1.0}``. ``model``
    given here overrides the file's. A GeoSOS-FLUS ``config_mp.log`` or a ``PLUS_CARS.tmp``
    (recognised by its tags) is imported by :func:`read_legacy_file`, its class i taking code
    ``codes[i - 1]`` (default: FLUS ``config_color.log`` beside the file, else i); see
    docs/parameter_import.md.
    """
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"{p}: allocation parameter file not found")
    if legacy_kind(p) is not None:
        return read_legacy_file(p, codes=codes, model=model).allocation_parameters()
    try:
        with p.open("rb") as fh:
            table = dict(tomllib.load(fh).get("allocation", {}))
    except tomllib.TOMLDecodeError as exc:
        raise InputFileError(f"{p}: not valid TOML ({exc})") from exc
    chosen = model or table.pop("model", "cars")
    table.pop("model", None)
    try:
        return make_parameters(chosen, **table)
    except ParameterError as exc:
        raise ParameterError(f"{p} [allocation]: {exc}") from exc


def landcarbon_toml(legacy: LegacyParameters) -> str:
    """landcarbon TOML of an imported file.

    The text holds the conversion matrix as top-level ``codes`` / ``allowed`` /
    ``orientation`` (read by ``read_conversion_matrix``, ``--conversion``), an
    ``[allocation]`` table (``read_parameters``, ``--parameters``) or a ``[leas]`` table of
    :func:`~landcarbon.landuse.suitability.leas` keywords, and an ``[imported]`` table
    recording the source, class codes, demands, paths and ignored tags (read by nothing).
    """
    lines = [f"# imported from {legacy.source} ({_TITLE[legacy.kind]}) by landcarbon"]
    if legacy.conversion is not None:
        lines += [
            "# conversion matrix: rows = from class, columns = to class (--conversion FILE)",
            f"codes = {_toml(list(legacy.conversion.codes))}",
            'orientation = "from_rows"',
            "allowed = [",
            *(f"  {_toml(row.astype(int).tolist())}," for row in legacy.conversion.allowed),
            "]",
        ]
    if legacy.allocation is not None:
        lines += ["", "[allocation]", *_toml_table(_knobs(legacy.allocation))]
    if legacy.leas:
        lines += ["", "[leas]", *_toml_table(legacy.leas)]
    imported = {
        "source": str(legacy.source),
        "format": legacy.kind,
        "encoding": legacy.encoding,
        "codes": list(legacy.codes),
        "class_names": {str(c): n for c, n in legacy.class_names.items()},
        "demand_cells": {
            str(s): {str(c): v for c, v in d.items()} for s, d in legacy.demands.items()
        },
        "paths": {t: list(v) for t, v in legacy.paths.items()},
        "ignored": dict(legacy.ignored),
        "unknown_tags": list(legacy.unknown_tags),
    }
    lines += ["", "[imported]", *_toml_table(imported)]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- readers


def _flus(
    f: TagFile, codes: Sequence[int] | None, orientation: Orientation, model: str | None
) -> dict[str, Any]:
    n = f.count("[Number of types]", "the number of land-use classes (5 in the FLUS sample)")
    codes, names = _flus_codes(f.path, n, codes)
    weights = f.per_line("[Intensity of neighborhood]", n)
    tag = _FLUS_KNOBS
    knobs = {
        "neighborhood_weights": _per_class(codes, weights),
        "max_iterations": f.integer(tag["max_iterations"], "GUI default 300"),
        "neighborhood": f.integer(tag["neighborhood"], "GUI default 3"),
        "accelerated_factor": f.number(tag["accelerated_factor"], "GUI default 0.1"),
    }
    demand = [_whole(f, "[Future Pixels]", v) for v in f.per_line("[Future Pixels]", n)]
    paths = {t: tuple(v for v in f.texts(t) if v.lower() != _NO_RESTRICTION) for t in _FLUS_PATHS}
    return {
        "codes": tuple(codes),
        "class_names": names,
        "allocation": _parameters(f, model or "flus", knobs, _FLUS_KNOBS),
        "conversion": _conversion(f, "[Cost Matrix]", codes, orientation),
        "demands": {1: _per_class(codes, demand)},
        "paths": {t: v for t, v in paths.items() if v},
        "ignored": f.raw("[Enclaves for land use type]"),
    }


def _cars(
    f: TagFile, codes: Sequence[int] | None, orientation: Orientation, model: str | None
) -> dict[str, Any]:
    n = f.count("<Input classes>", "the number of land-use classes (bands of LEAS)")
    codes = _given_codes(f.path, n, codes)
    mu = f.flat("<Expansion coefficient>")
    if len(mu) not in (1, n):
        raise f.error(
            "<Expansion coefficient>",
            f"{len(mu)} values for {n} classes",
            "give one value (all classes) or one per class, comma-separated",
        )
    tag = _CARS_KNOBS
    knobs: dict[str, Any] = {
        "neighborhood": f.integer(tag["neighborhood"], "PLUS default 3"),
        "patch_generation_threshold": f.number(tag["patch_generation_threshold"], "e.g. 0.5"),
        "expansion_coefficient": mu[0] if len(mu) == 1 else _per_class(codes, mu),
        "percentage_of_seeds": f.number(tag["percentage_of_seeds"], "manual example 0.0001"),
        "neighborhood_weights": _per_class(codes, f.one_row(tag["neighborhood_weights"], n)),
    }
    ignored = f.raw("<Input thread count>", "<How many years>")
    if f.integer("<Development type exist>", "0 or 1", default=0):
        kind = f.integer("<Development type>", "the class promoted in zones, 1..n")
        if not 1 <= kind <= n:
            raise f.error("<Development type>", f"{kind} is no class 1..{n}", "give 1..n")
        knobs["development_class"] = codes[kind - 1]
        knobs["development_weight"] = f.number(tag["development_weight"], "PLUS default 0.5")
    else:
        ignored |= f.raw("<Development type>", "<Development weight>")
    return {
        "codes": tuple(codes),
        "allocation": _parameters(f, model or "cars", knobs, _CARS_KNOBS),
        "conversion": _conversion(f, "<Transition matrix>", codes, orientation),
        "demands": _cars_demands(f, codes),
        "paths": {t: f.texts(t) for t in _CARS_PATHS if f.texts(t)},
        "ignored": ignored,
    }


def _cars_demands(f: TagFile, codes: Sequence[int]) -> dict[int, dict[int, int]]:
    tag = "<Years and corresponding demands>"
    rows = f.rows(tag, len(codes) + 1, "step,cells of class 1,...,cells of class n")
    demands = {}
    for row in rows:
        step, *cells = (_whole(f, tag, v) for v in row)
        demands[step] = _per_class(codes, cells)
    years = f.integer("<How many years>", "rows of demands", default=len(rows))
    if years != len(rows):
        raise f.error(
            "<How many years>",
            f"says {years} but {tag} has {len(rows)} row(s)",
            "give one demand row per year",
        )
    return demands


def _leas(f: TagFile) -> dict[str, Any]:
    leas: dict[str, Any] = {
        "sample_rate": f.number("<Input sampling rate>", "PLUS default 0.01"),
        "n_trees": f.integer("<Input the number of trees>", "PLUS GUI default 20"),
        "balance": bool(f.integer("<Is balance?>", "0 or 1", default=0)),
    }
    if f.has("<mTry>"):
        leas["mtry"] = f.integer("<mTry>", "drivers tried per split")
    if f.has("<Input thread count>"):
        leas["n_jobs"] = f.integer("<Input thread count>", "threads")
    if not 0 < leas["sample_rate"] <= 1:
        raise ParameterError(
            f"{f.path} <Input sampling rate>: {leas['sample_rate']} is not a share in (0, 1]"
        )
    for key, tag in (("n_trees", "<Input the number of trees>"), ("mtry", "<mTry>")):
        if leas.get(key, 1) < 1:
            raise ParameterError(f"{f.path} {tag}: {leas[key]} must be >= 1")
    ignored = f.raw("<Is net exit?>", "<High precision>", "<Update Number>", "<Update Variable>")
    if f.integer("<Update Number>", "planned drivers", default=0):
        warnings.warn(
            f"{f.path}: <Update Number> names planned drivers; pass them to leas(planned=...) "
            f"as rasters (not imported)",
            LandcarbonWarning,
            stacklevel=3,
        )
    paths = {t: f.texts(t) for t in _LEAS_PATHS if f.texts(t)}
    return {"leas": leas, "paths": paths, "ignored": ignored}


def _parameters(
    f: TagFile, model: str, knobs: dict[str, Any], origin: Mapping[str, str]
) -> AllocationParameters:
    try:
        return make_parameters(model, **knobs)
    except ParameterError as exc:
        names = sorted(origin, key=len, reverse=True)
        tag = next((origin[k] for k in names if str(exc).startswith(k)), "")
        raise ParameterError(f"{f.path} {tag}: {exc}") from exc


def _conversion(
    f: TagFile, tag: str, codes: Sequence[int], orientation: Orientation
) -> ConversionMatrix:
    values = f.rows(tag, len(codes), "0 (forbidden) or 1 (allowed) per class", n_rows=len(codes))
    matrix = np.asarray(values, dtype=np.float64)
    if np.any(matrix < 0):
        raise f.error(tag, "has negative values", "write 0 (forbidden) or 1 (allowed)")
    if np.any((matrix != 0) & (matrix != 1)):
        warnings.warn(
            f"{f.path} {tag}: values other than 0 and 1 (FLUS multiplies the probability by "
            f"them); landcarbon keeps only nonzero = allowed",
            LandcarbonWarning,
            stacklevel=4,
        )
    allowed = matrix != 0
    return ConversionMatrix(tuple(codes), allowed if orientation == "from_rows" else allowed.T)


def _given_codes(path: Path, n: int, codes: Sequence[int] | None) -> list[int]:
    if codes is None:
        return list(range(1, n + 1))
    if len(codes) != n:
        raise ParameterError(
            f"{path}: the file has {n} classes but {len(codes)} codes were given "
            f"({list(codes)}); give one code per class, in the file's class order"
        )
    return [int(c) for c in codes]


def _flus_codes(
    path: Path, n: int, codes: Sequence[int] | None
) -> tuple[list[int], dict[int, str]]:
    colors = path.with_name("config_color.log")
    if codes is not None or not colors.is_file():
        return _given_codes(path, n, codes), {}
    text, _ = decode(colors)
    rows = [line.split(",") for line in text.splitlines()[1:] if line.strip()]
    try:
        found = [int(r[0]) for r in rows]
        names = {int(r[0]): r[2].strip() for r in rows}
    except (ValueError, IndexError) as exc:
        raise InputFileError(
            f"{colors}: rows must read 'index,count,name,R,G,B' under {_COLOR_HEADER} ({exc}); "
            f"fix the file or pass the codes explicitly"
        ) from exc
    if len(found) != n:
        raise InputFileError(
            f"{colors}: {len(found)} classes but {path} [Number of types] says {n}; "
            f"use the config_color.log of the same run or pass the codes explicitly"
        )
    if found != list(range(1, n + 1)):
        warnings.warn(
            f"{colors}: codes {found} are not 1..{n}; the FLUS CA treats pixel value v as "
            f"class v, so check the codes",
            LandcarbonWarning,
            stacklevel=4,
        )
    return found, names


def _per_class(codes: Sequence[int], values: Sequence[T]) -> dict[int, T]:
    return dict(zip(codes, values, strict=True))


def _whole(f: TagFile, tag: str, value: float) -> int:
    if value != int(value) or value < 0:
        raise f.error(tag, f"{value} is not a whole number of cells >= 0", "write whole cells")
    return int(value)


# ----------------------------------------------------------------------------- TOML


def _knobs(parameters: AllocationParameters) -> dict[str, Any]:
    model = "cars"
    if isinstance(parameters, FlusParameters):
        model = "flus-paper" if parameters.variant == "paper" else "flus"
    knobs: dict[str, Any] = {"model": model}
    for f in fields(parameters):
        value = getattr(parameters, f.name)
        if f.name != "variant" and value is not None:
            knobs[f.name] = value
    return knobs


def _toml_table(table: Mapping[str, Any]) -> list[str]:
    return [f"{_key(k)} = {_toml(v)}" for k, v in table.items()]


def _key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key, ensure_ascii=False)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_key(str(k))} = {_toml(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    return "[" + ", ".join(_toml(v) for v in value) + "]"
