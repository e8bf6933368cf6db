"""``landcarbon init``: a study file written from a user's own land-use maps.

:func:`init_study` reads the maps (and optional driver rasters), lists the class codes
of every map with their cell counts and areas, takes class names from the files when
they carry them (GDAL category names or a raster attribute table in the ``.aux.xml``
beside the file, or landcarbon's own ``class_names`` tag), and writes beside the study
file:

- ``study.toml``: a runnable study (transfer matrices of every pair of dates; with
  drivers and two or more dates, a Markov-trend simulation one step ahead), with the
  carbon chapter written out as comments to switch on once the tables are filled;
- ``classes.csv``: one row per code (``code, name, colour, group``), names and colours
  from the file (its colour table) or ``class N`` and blank, groups blank for the user;
- ``pools.csv`` and ``emission_factors.csv``: one row per code with empty values.

Nothing is guessed into an output: names the files do not carry stay ``class N``, and
no density, factor or group is filled in. Existing files are never replaced without
``overwrite``, and an input is never written.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from landcarbon.errors import InputFileError, OutputExistsError, ParameterError
from landcarbon.writes import write_text

POOL_COLUMNS = ("c_above", "c_below", "c_soil", "c_dead")
FACTOR_COLUMN = "factor_t_c_per_ha_yr"
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d|2100)(?!\d)")


@dataclass(frozen=True)
class MapSummary:
    """One land-use map as ``init`` saw it: year, cells and hectares per class code."""

    path: Path
    year: int
    cells: dict[int, int]
    area_ha: dict[int, float] | None  # None where the raster has no CRS
    names: dict[int, str]  # names the file itself carries
    colours: dict[int, str]  # colours of its colour table (#rrggbb), for its codes


@dataclass(frozen=True)
class InitResult:
    """What :func:`init_study` wrote and read."""

    study: Path
    tables: dict[str, Path]
    maps: list[MapSummary]
    drivers: dict[str, Path]
    notes: list[str]

    def summary(self) -> dict[str, object]:
        return {
            "study": str(self.study),
            "tables": {k: str(v) for k, v in self.tables.items()},
            "maps": [
                {
                    "path": str(m.path),
                    "year": m.year,
                    "classes": [
                        {
                            "code": c,
                            "cells": n,
                            "area_ha": None if m.area_ha is None else m.area_ha[c],
                            "name": m.names.get(c),
                        }
                        for c, n in m.cells.items()
                    ],
                }
                for m in self.maps
            ],
            "drivers": {k: str(v) for k, v in self.drivers.items()},
            "notes": self.notes,
        }


def year_from_name(path: Path) -> int | None:
    """The one four-digit year (1800-2100) in a file name, or None (none or several)."""
    found = set(_YEAR.findall(path.stem))
    return int(found.pop()) if len(found) == 1 else None


def category_names(path: Path) -> dict[int, str]:
    """Class names a raster file carries, code -> name (empty when it carries none).

    Read, in this order: GDAL category names or a raster attribute table with a name
    column in ``<file>.aux.xml`` (as ArcGIS and QGIS write them), then landcarbon's own
    ``class_names`` GeoTIFF tag.
    """
    names = _pam_names(Path(f"{path}.aux.xml"))
    if names:
        return names
    from landcarbon.raster import open_dataset

    with open_dataset(path) as ds:
        tag = ds.tags(1).get("class_names")
    if not tag:
        return {}
    try:
        return {int(k): str(v) for k, v in json.loads(tag).items()}
    except (ValueError, AttributeError):
        return {}


def _pam_names(aux: Path) -> dict[int, str]:
    """Names from a GDAL PAM ``.aux.xml``: band 1's CategoryNames (index = code) or its
    raster attribute table (a ``Value`` column and a name-like string column)."""
    if not aux.is_file():
        return {}
    try:
        root = ET.parse(aux).getroot()
    except ET.ParseError:
        return {}
    band = next(
        (b for b in root.iter("PAMRasterBand") if b.get("band", "1") == "1"),
        None,
    )
    if band is None:
        return {}
    categories = band.find("CategoryNames")
    if categories is not None:
        return {
            code: (c.text or "").strip()
            for code, c in enumerate(categories.findall("Category"))
            if (c.text or "").strip()
        }
    rat = band.find("GDALRasterAttributeTable")
    if rat is None:
        return {}
    fields = [(f.findtext("Name") or "").strip().lower() for f in rat.findall("FieldDefn")]
    value_col = next((i for i, f in enumerate(fields) if f in ("value", "code")), None)
    name_col = next(
        (i for i, f in enumerate(fields) if f in ("name", "class_name", "class", "label")), None
    )
    if value_col is None or name_col is None:
        return {}
    names = {}
    for row in rat.findall("Row"):
        cells = [f.text or "" for f in row.findall("F")]
        try:
            names[int(float(cells[value_col]))] = cells[name_col].strip()
        except (ValueError, IndexError):
            continue
    return {k: v for k, v in names.items() if v}


def summarise_map(path: Path, year: int) -> MapSummary:
    """Cells and hectares of each class code of a land-use map (true cell areas)."""
    from landcarbon.raster import read_grid, read_raster
    from landcarbon.tables import class_counts

    grid = read_grid(path)
    data = np.asarray(read_raster(path, "categorical").data)
    cells = dict(sorted(class_counts(data).items()))
    area = None
    if grid.crs is not None:
        row_area = grid.row_area_ha()
        area = {c: float(((data == c).sum(axis=1) * row_area).sum()) for c in cells}
    names = category_names(path)
    return MapSummary(path, year, cells, area, names, table_colours(path, cells, names))


def table_colours(path: Path, codes: Iterable[int], named: Mapping[int, str]) -> dict[int, str]:
    """``#rrggbb`` of ``codes`` in the file's colour table (empty without one): of the codes
    the file names, and of others unless black (0, 0, 0), GDAL's fill of unset entries."""
    from landcarbon.raster import open_dataset

    with open_dataset(path) as ds:
        try:
            table = ds.colormap(1)
        except ValueError:  # no colour table
            return {}
    return {
        c: "#{:02x}{:02x}{:02x}".format(*table[c][:3])
        for c in codes
        if c in table and (c in named or tuple(table[c][:3]) != (0, 0, 0))
    }


def init_study(
    maps: Sequence[str | Path],
    study_path: str | Path,
    *,
    drivers: Sequence[str | Path] = (),
    years: Sequence[int] | None = None,
    name: str | None = None,
    overwrite: bool = False,
) -> InitResult:
    """Write a runnable study file and class, pools and emission-factor tables for ``maps``.

    ``years`` gives each map's year; by default it is read from the file names (one
    four-digit year each). The tables go beside ``study_path``; existing files are
    refused unless ``overwrite``, and a path that is one of the inputs is always refused.
    """
    map_paths = [Path(m).resolve() for m in maps]
    driver_paths = [Path(d).resolve() for d in drivers]
    if not map_paths:
        raise ParameterError("give at least one land-use map")
    for p in (*map_paths, *driver_paths):
        if not p.is_file():
            raise InputFileError(f"{p}: file not found; check the path")
    map_years = _years(map_paths, years)
    study = Path(study_path).resolve()
    folder = study.parent
    targets = {
        "study": study,
        "classes": folder / "classes.csv",
        "pools": folder / "pools.csv",
        "emission_factors": folder / "emission_factors.csv",
    }
    _check_targets(targets, {*map_paths, *driver_paths}, overwrite)
    summaries = [summarise_map(p, y) for p, y in zip(map_paths, map_years, strict=True)]
    summaries.sort(key=lambda m: m.year)
    notes = _check_grids([m.path for m in summaries], driver_paths)
    if any(m.area_ha is None for m in summaries):
        notes.append(
            "a map has no CRS, so its areas are unknown and landcarbon will refuse it; assign "
            "one (gdal_edit.py -a_srs EPSG:XXXX file.tif) before running the study"
        )
    codes = sorted({c for m in summaries for c in m.cells})
    names = _class_names(summaries, codes, notes)
    driver_names = _raster_names([p.stem for p in driver_paths], taken=_map_names(summaries))
    folder.mkdir(parents=True, exist_ok=True)
    colours = {c: m.colours[c] for m in reversed(summaries) for c in m.colours}
    _write_tables(targets, codes, names, colours)
    text = study_text(
        summaries,
        dict(zip(driver_names, driver_paths, strict=True)),
        folder,
        name or f"Land use and carbon, {summaries[0].year}-{summaries[-1].year}",
        notes,
    )
    write_text(text, targets["study"])
    return InitResult(
        study,
        {k: v for k, v in targets.items() if k != "study"},
        summaries,
        dict(zip(driver_names, driver_paths, strict=True)),
        notes,
    )


def _years(paths: Sequence[Path], years: Sequence[int] | None) -> list[int]:
    if years is not None:
        if len(years) != len(paths):
            raise ParameterError(
                f"--year was given {len(years)} time(s) for {len(paths)} map(s); give one "
                f"year per map, in the order of the maps"
            )
        found = [int(y) for y in years]
    else:
        found = []
        for p in paths:
            year = year_from_name(p)
            if year is None:
                raise ParameterError(
                    f"{p}: no single four-digit year in the file name; give each map's year "
                    f"with --year (once per map, in order)"
                )
            found.append(year)
    if len(set(found)) != len(found):
        raise ParameterError(
            f"two maps have the same year ({', '.join(map(str, found))}); give one map per date"
        )
    return found


def _check_targets(targets: Mapping[str, Path], inputs: set[Path], overwrite: bool) -> None:
    for target in targets.values():
        if target in inputs:
            raise OutputExistsError(
                f"{target}: is one of the input files; write the study elsewhere (--out)"
            )
        if target.exists() and not overwrite:
            raise OutputExistsError(
                f"{target}: exists; pass --overwrite to replace it or write the study "
                f"into another folder"
            )


def _check_grids(maps: Sequence[Path], drivers: Sequence[Path]) -> list[str]:
    """Notes for rasters not on the first map's grid (the study will need align = resample)."""
    from landcarbon.raster import read_grid

    ref = read_grid(maps[0])
    notes = []
    for p in (*maps[1:], *drivers):
        diff = ref.difference(read_grid(p))
        if diff:
            notes.append(
                f"{p.name} is not on the grid of {maps[0].name} ({diff}); the study sets "
                f'[inputs] align = "resample" to warp it'
            )
    return notes


def _class_names(summaries: Sequence[MapSummary], codes: Sequence[int], notes: list[str]) -> dict:
    names: dict[int, str] = {}
    for m in summaries:
        for code, label in m.names.items():
            if code in names and names[code] != label:
                notes.append(
                    f"code {code} is named {names[code]!r} in one map and {label!r} in "
                    f"{m.path.name}; classes.csv keeps the first"
                )
            names.setdefault(code, label)
    return {c: names.get(c, f"class {c}") for c in codes}


def _map_names(summaries: Sequence[MapSummary]) -> list[str]:
    return [f"landuse_{m.year}" for m in summaries]


def _raster_names(stems: Sequence[str], taken: Sequence[str]) -> list[str]:
    """Study-file keys for driver files: the file stem as a lower-case identifier, unique."""
    used = set(taken)
    out = []
    for stem in stems:
        base = re.sub(r"\W+", "_", stem.lower()).strip("_") or "driver"
        key, i = base, 2
        while key in used:
            key, i = f"{base}_{i}", i + 1
        used.add(key)
        out.append(key)
    return out


def _write_tables(
    targets: Mapping[str, Path], codes: Sequence[int], names: dict, colours: dict
) -> None:
    rows = {"code": list(codes), "name": [names[c] for c in codes]}
    frames = {
        "classes": pd.DataFrame(
            {**rows, "colour": [colours.get(c, "") for c in codes], "group": [""] * len(codes)}
        ),
        "pools": pd.DataFrame({**rows, **{c: [""] * len(codes) for c in POOL_COLUMNS}}),
        "emission_factors": pd.DataFrame({**rows, FACTOR_COLUMN: [""] * len(codes)}),
    }
    for key, frame in frames.items():
        write_text(frame.to_csv(index=False, lineterminator="\n"), targets[key])


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _rel(path: Path, folder: Path) -> str:
    """``path`` relative to the study folder when it lies inside it, else absolute."""
    return path.relative_to(folder).as_posix() if path.is_relative_to(folder) else str(path)


def study_text(
    maps: Sequence[MapSummary],
    drivers: Mapping[str, Path],
    folder: Path,
    name: str,
    notes: Sequence[str],
) -> str:
    """The study file ``init`` writes (paths relative to ``folder``)."""
    keyed = dict(zip(_map_names(maps), maps, strict=True))
    lines = [
        "# Written by `landcarbon init` from your maps. Check it, fill the tables, then",
        "#   landcarbon validate study.toml && landcarbon run study.toml --out results",
        *(f"# note: {n}" for n in notes),
        "",
        "[study]",
        f"name = {_toml_str(name)}",
        "seed = 0",
        "",
        "[inputs]",
        f"categorical = [{', '.join(_toml_str(n) for n in keyed)}]",
        'classes = "classes"   # the names and groups of your classes: classes.csv',
    ]
    if any("align" in n for n in notes):
        lines.append('align = "resample"')
    lines += ["", "[rasters]"]
    lines += [f"{k} = {_toml_str(_rel(m.path, folder))}" for k, m in keyed.items()]
    lines += [f"{k} = {_toml_str(_rel(p, folder))}" for k, p in drivers.items()]
    lines += [
        "",
        "[tables]",
        'classes = "classes.csv"   # code, name, group (give groups to use presets by group)',
        '# pools = "pools.csv"                        # t C/ha per class: fill, then uncomment',
        '# emission_factors = "emission_factors.csv"  # t C/ha/yr per class: fill, uncomment',
        "",
        "[landuse]",
        "maps = { " + ", ".join(f'"{m.year}" = {_toml_str(k)}' for k, m in keyed.items()) + " }",
    ]
    if drivers and len(maps) >= 2:
        (ka, a), (kb, b) = list(keyed.items())[-2:]
        lines += [
            "",
            "# Markov trend from the last two dates, one step ahead (no scenario is applied",
            '# unless you give one: scenarios = "<[tables] name of your scenario file>")',
            "[simulation]",
            f"t0 = {_toml_str(ka)}",
            f"t1 = {_toml_str(kb)}",
            f"years = [{a.year}, {b.year}]",
            f"target_year = {2 * b.year - a.year}",
            f"drivers = [{', '.join(_toml_str(k) for k in drivers)}]",
            'model = "plus"',
        ]
    if drivers and len(maps) >= 3:
        last = [m.year for m in list(keyed.values())[-3:]]
        lines += [
            "",
            "# Validation: simulate the last date from the two before it with the settings",
            "# above and compare with its map (Kappa, Figure of Merit, agreement map)",
            "# [validation]",
            f"# years = [{', '.join(str(y) for y in last)}]",
        ]
    lines += [
        "",
        "# Carbon storage (InVEST 4 pools) and emissions: fill pools.csv and",
        "# emission_factors.csv, uncomment their [tables] lines, then uncomment this.",
        "# [carbon]",
        '# pools = "pools"',
        '# emission_factors = "emission_factors"',
        "# [carbon.maps]",
        *(f'# "{m.year}" = {_toml_str(k)}' for k, m in keyed.items()),
        "",
    ]
    return "\n".join(lines)
