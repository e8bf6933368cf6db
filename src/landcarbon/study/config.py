"""The study file: strict TOML read into typed, frozen sections.

Unknown keys are errors with a "did you mean" hint; every problem is reported at
once with file, key and line; paths are resolved relative to the study file and
checked to exist (and rasters to be readable and aligned) before any work starts.

A study file has the core sections ``[study]``, ``[inputs]``, ``[rasters]``,
``[tables]`` and ``[compute]``; each chapter (``[carbon]``, ``[landuse]``,
``[drivers]``, ``[sinks]``, ``[erosion]``) is a section class registered with
:func:`chapter`, so a new chapter adds one dataclass and nothing else.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from landcarbon.errors import (
    ConfigError,
    InputFileError,
    LandcarbonError,
    OutputExistsError,
    RasterError,
    TableError,
)
from landcarbon.paths import name_problem
from landcarbon.study.schema import Problem, did_you_mean, doc, parse_section

if TYPE_CHECKING:
    from landcarbon.grid import Grid

T = TypeVar("T")

CHAPTERS: dict[str, type] = {}


def chapter(name: str) -> Callable[[type[T]], type[T]]:
    """Register a dataclass as the schema of the study-file section ``[name]``."""

    def register(cls: type[T]) -> type[T]:
        CHAPTERS[name] = cls
        return cls

    return register


@dataclass(frozen=True)
class StudySection:
    name: str = doc("Title of the study, shown in the report.")
    description: str = doc("One paragraph on what the study asks.", "")
    seed: int = doc("Seed of every stochastic step (children derived by SeedSequence).", 0, ge=0)


@dataclass(frozen=True)
class InputsSection:
    align: Literal["check", "resample"] = doc(
        "'check': misaligned rasters are an error; 'resample': warp them onto the grid of "
        "`reference` (nearest for categorical, bilinear for continuous).",
        "check",
    )
    reference: str = doc(
        "Name (in [rasters]) of the raster that defines the grid; default: the first one "
        "(with align = 'check', the grid most rasters share: the odd ones are named).",
        "",
    )
    categorical: tuple[str, ...] = doc(
        "Names of categorical rasters (land use, soil type, zones); others are continuous.",
        (),
        distinct=True,
    )
    crs: str = doc(
        "CRS of the rasters that carry none, e.g. 'EPSG:32651' (the CRS their coordinates "
        "are in): a run georeferences copies of them under --out (.cache/georeferenced); "
        "rasters with a CRS keep theirs. Without it a raster with no CRS is refused: its "
        "cell areas are unknown.",
        "",
    )
    classes: str = doc(
        "The class scheme of the land-use maps, used wherever a class is named (legends, "
        "GeoTIFF categories, .qml, transfer matrices, Sankey, tables, report) and to apply "
        "presets keyed by land-use group: a [tables] name of a class table (code, name, "
        "optional colour and group) or a named scheme (cnlucc, cnlucc2, clcd, worldcover, "
        "igbp, corine1, nlcd); none given: classes are 'class N' and no group-keyed preset "
        "can be applied.",
        "",
    )


@dataclass(frozen=True)
class ComputeSection:
    chunks: int = doc("Chunk size in cells for dask execution; 0 = in memory.", 0)
    scheduler: str = doc(
        "'threads', 'processes', 'synchronous' or a dask.distributed address 'tcp://host:port'.",
        "threads",
    )
    workers: int = doc("Worker count (threads/processes, or a LocalCluster's workers).", 1)
    memory_limit: str = doc("Memory limit per worker for a LocalCluster, e.g. '4GB'.", "")
    dashboard: str = doc(
        "host:port of a LocalCluster's dask dashboard (unauthenticated): '127.0.0.1:8787' "
        "serves this machine only; ':8787' opens it to the network; '' starts none.",
        "127.0.0.1:8787",
    )


@dataclass(frozen=True)
class ReportSection:
    language: Literal["en", "zh"] = doc(
        "Language of the report's fixed text (headings, labels, units, method names): 'en' "
        "or 'zh'; class, scenario and study names are shown as written.",
        "en",
    )


SYNTHETIC_MAX_CELLS = 400_000_000
"""Largest synthetic region (cells): 20 000 x 20 000, the scale benchmark's map (issue 17
runs the arid study at 10^8 cells). Its layers take up to :data:`SYNTHETIC_BYTES_PER_CELL`
on disk (~68 GB at the bound; 100 000 x 100 000 cells would be ~1.7 TB), so a region is
also refused, before anything is written, when they would not fit the free disk space."""

SYNTHETIC_BYTES_PER_CELL = 170
"""Disk bytes per cell of the synthetic region's 42 float32 bands, uncompressed (ZSTD
makes them ~120 at 3162 x 3162: 1.2 GB)."""


@dataclass(frozen=True)
class SyntheticSection:
    shape: tuple[int, ...] = doc(
        "(rows, cols) of the synthetic region.", (500, 500), length=2, ge=8
    )
    cell_size: float = doc("Cell size in metres.", 30.0, gt=0, le=100_000)
    seed: int = doc("Landscape seed.", 0, ge=0)
    folder: str = doc(
        "Folder (relative to the study file) the layers are written to on the "
        "first run; [rasters] paths may point into it.",
        "synthetic_data",
    )


@dataclass(frozen=True)
class Study:
    """A validated study: sections, resolved input paths and the study file's folder."""

    path: Path
    study: StudySection
    inputs: InputsSection
    rasters: dict[str, Path]
    tables: dict[str, Path]
    compute: ComputeSection
    chapters: dict[str, Any] = field(default_factory=dict)
    synthetic: SyntheticSection | None = None
    report: ReportSection = field(default_factory=ReportSection)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def raster_kind(self, name: str) -> Literal["continuous", "categorical"]:
        return "categorical" if name in self.inputs.categorical else "continuous"

    def prepare_inputs(self) -> bool:
        """Generate the synthetic region's layers when the study uses one; True when
        layers were written (the study's checks of its input files must then run again).

        The folder records the region's parameters (``region.json``); layers made with
        other parameters (shape, cell size, seed) are regenerated, never reused. Only a
        new or empty folder, or one the generator made before (its marker file), is
        written to: a folder of other files is refused, whatever ``--overwrite`` says.
        """
        if self.synthetic is None:
            return False
        import json

        from landcarbon.datasets.synthetic import MARKER, claim_folder, write_synthetic_region

        folder = self.folder / self.synthetic.folder
        shape = (int(self.synthetic.shape[0]), int(self.synthetic.shape[1]))
        params = {
            "shape": list(shape),
            "cell_size": self.synthetic.cell_size,
            "seed": self.synthetic.seed,
        }
        record = folder / "region.json"
        recorded = _read_record(record)
        if recorded is not None and set(recorded) == set(params):
            (folder / MARKER).touch()  # a folder made before the marker existed
        same = recorded == params
        layers = _synthetic_layers()
        missing = tuple(n for n in layers if not same or not (folder / f"{n}.tif").exists())
        if missing:  # before the folder is made or marked
            _require_disk_space(self.path, folder, shape)
        try:
            claim_folder(folder)
        except OutputExistsError as exc:
            raise ConfigError(
                f"{self.path}: synthetic.folder = {self.synthetic.folder!r}: {exc} (e.g. "
                f'folder = "synthetic_data") and point [rasters] into it'
            ) from exc
        if missing:
            write_synthetic_region(
                folder,
                shape,
                self.synthetic.cell_size,
                self.synthetic.seed,
                layers=missing,
                overwrite=True,
            )
            from landcarbon.writes import write_text

            write_text(json.dumps(params), record)
        return bool(missing)


def _read_record(path: Path) -> dict[str, Any] | None:
    """The synthetic region's parameters recorded in ``path``; None if absent or not ours."""
    import json

    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _synthetic_layers() -> tuple[str, ...]:
    from landcarbon.datasets.synthetic import LAYERS

    return tuple(LAYERS)


TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")
"""[tables] files whose rows ``validate`` reads (TOML files may hold rules, not rows)."""

MOVED_KEYS = {"landuse.classes": "[inputs] classes"}
"""Keys of older study files that moved, and where to."""

CORE_SECTIONS = ("study", "inputs", "rasters", "tables", "compute", "synthetic", "report")


def load_study(path: str | Path, *, check_files: bool = True) -> Study:
    """Read, validate and resolve a study file; raise ConfigError listing every problem."""
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"{p}: study file not found")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{p}:{line}: the study file is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} "
            f"at offset {exc.start}); save it as UTF-8 (TOML files must be UTF-8)"
        ) from exc
    if not text.strip():
        raise ConfigError(f"{p}: the study file is empty; start from examples/*.toml")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: TOML syntax error: {exc}") from exc
    from landcarbon.study import chapters

    chapters.load_all()
    problems: list[Problem] = []
    study = _parse(p, data, problems, check_files)
    if problems:
        raise ConfigError(format_problems(p, text, problems))
    assert study is not None
    return study


def _parse(
    p: Path, data: dict[str, Any], problems: list[Problem], check_files: bool
) -> Study | None:
    known = (*CORE_SECTIONS, *CHAPTERS)
    for key in data:
        if key not in known:
            problems.append(
                Problem(
                    key, f"unknown section{did_you_mean(key, known)}; sections: {', '.join(known)}"
                )
            )
    if "study" not in data:
        problems.append(Problem("study", "required section [study] is missing"))
    study_sec = parse_section(StudySection, data.get("study", {}), "study", problems)
    inputs = parse_section(InputsSection, data.get("inputs", {}), "inputs", problems)
    compute = parse_section(ComputeSection, data.get("compute", {}), "compute", problems)
    report = parse_section(ReportSection, data.get("report", {}), "report", problems)
    rasters = _paths(p, data.get("rasters", {}), "rasters", problems)
    tables = _paths(p, data.get("tables", {}), "tables", problems)
    for old, new in MOVED_KEYS.items():
        where, _, key = old.partition(".")
        if isinstance(data.get(where), dict) and key in data[where]:
            del data[where][key]  # one problem for it, not also "unknown key"
            problems.append(Problem(old, f"moved: the key is {new} now; move it there"))
    chapters = {  # in the order the study file gives them: the report follows it
        name: parse_section(CHAPTERS[name], data[name], name, problems)
        for name in data
        if name in CHAPTERS
    }
    for name, section in chapters.items():
        if section is not None:
            _check_names(section, name, problems)
    if inputs is not None:
        for i, name in enumerate(inputs.categorical):
            if name not in rasters:
                problems.append(
                    Problem(
                        f"inputs.categorical[{i}]",
                        f"'{name}' is not in [rasters]{did_you_mean(name, rasters)}",
                    )
                )
        if inputs.reference and inputs.reference not in rasters:
            problems.append(
                Problem(
                    "inputs.reference",
                    f"'{inputs.reference}' is not in "
                    f"[rasters]{did_you_mean(inputs.reference, rasters)}",
                )
            )
        if inputs.crs:
            from landcarbon.grid import parse_crs

            try:
                parse_crs(inputs.crs)
            except LandcarbonError as exc:
                problems.append(Problem("inputs.crs", str(exc)))
    synthetic = None
    generated: set[Path] = set()
    if "synthetic" in data:
        synthetic = parse_section(SyntheticSection, data["synthetic"], "synthetic", problems)
        if synthetic is not None:
            rows, cols = synthetic.shape
            if rows * cols > SYNTHETIC_MAX_CELLS:
                problems.append(
                    Problem(
                        "synthetic.shape",
                        f"{rows} x {cols} = {rows * cols:,} cells is more than the "
                        f"{SYNTHETIC_MAX_CELLS:,} a synthetic region may have (its layers take up "
                        f"~{SYNTHETIC_BYTES_PER_CELL} bytes a cell on disk); give a smaller "
                        f"[rows, cols]",
                    )
                )
            folder = (p.parent / synthetic.folder).resolve()
            if folder == p.parent.resolve() or not folder.is_relative_to(p.parent.resolve()):
                problems.append(
                    Problem(
                        "synthetic.folder",
                        f"{synthetic.folder!r} is not a folder inside the study's folder "
                        f"{p.parent}; give a relative path of a new folder beside the study "
                        f'file, e.g. "synthetic_data"',
                    )
                )
            generated = {folder / f"{n}.tif" for n in _synthetic_layers()}
    if check_files:
        _check_inputs(rasters, tables, inputs or InputsSection(), problems, generated)
    if compute is not None:  # chunks against the map's shape, as run checks them
        shape = _reference_shape(rasters, inputs) if check_files and not problems else None
        _check_compute(compute, problems, shape)
    if problems or study_sec is None or inputs is None or compute is None or report is None:
        return None
    return Study(
        p.resolve(),
        study_sec,
        inputs,
        rasters,
        tables,
        compute,
        {k: v for k, v in chapters.items() if v is not None},
        synthetic,
        report,
    )


def _require_disk_space(study: Path, folder: Path, shape: tuple[int, int]) -> None:
    """A ConfigError when the synthetic region's layers (:data:`SYNTHETIC_BYTES_PER_CELL`)
    would not fit the free space of the disk holding ``folder``."""
    import shutil

    need = shape[0] * shape[1] * SYNTHETIC_BYTES_PER_CELL
    free = shutil.disk_usage(next(p for p in (folder, *folder.parents) if p.exists())).free
    if need > free:
        raise ConfigError(
            f"{study}: [synthetic] shape = [{shape[0]}, {shape[1]}]: its layers take up to "
            f"{need / 1e6:,.0f} MB on disk and the disk of {folder} has {free / 1e6:,.0f} MB "
            f"free; give a smaller shape or free disk space"
        )


MIN_CHUNK = 256
"""Smallest chunk side (cells) for a map of more than :data:`MAX_SMALL_CHUNKS` chunks."""
MAX_SMALL_CHUNKS = 64
"""Chunks a map may be split into by chunks below :data:`MIN_CHUNK`: beyond that, dask's
per-task overhead (about 0.1 s per chunk and step) outweighs the work of each chunk."""


def _check_compute(
    compute: ComputeSection, problems: list[Problem], shape: tuple[int, int] | None = None
) -> None:
    """Check ``[compute]``; with the map's ``shape`` (rows, cols) also that ``chunks`` does
    not split it into many tiny chunks (chunks = 1 on 12 000 cells ran 14 min, not 7.5 s)."""
    if compute.chunks < 0:
        problems.append(Problem("compute.chunks", "must be >= 0 (0 = in memory)"))
    elif shape is not None and 0 < compute.chunks < MIN_CHUNK:
        n = -(-shape[0] // compute.chunks) * -(-shape[1] // compute.chunks)
        if n > MAX_SMALL_CHUNKS:
            problems.append(
                Problem(
                    "compute.chunks",
                    f"{compute.chunks} cells per chunk side splits the {shape[0]} x {shape[1]} "
                    f"map into {n} chunks, whose scheduling costs far more than their work; "
                    f"use chunks >= {MIN_CHUNK} (2048 suits most maps) or 0 for in memory",
                )
            )
    if compute.workers < 1:
        problems.append(Problem("compute.workers", "must be >= 1"))
    host, colon, port = compute.dashboard.rpartition(":")
    if compute.dashboard and not (colon and port.isdigit() and "/" not in host):
        problems.append(
            Problem(
                "compute.dashboard",
                f"{compute.dashboard!r} is not host:port; use '127.0.0.1:8787' (this machine "
                f"only), ':8787' (every network interface) or '' (no dashboard)",
            )
        )
    allowed = ("threads", "processes", "synchronous")
    if compute.scheduler not in allowed and not compute.scheduler.startswith("tcp://"):
        problems.append(
            Problem(
                "compute.scheduler",
                f"{compute.scheduler!r} is not a scheduler"
                f"{did_you_mean(compute.scheduler, allowed)}; use one of "
                f"{', '.join(allowed)} or 'tcp://host:port'",
            )
        )


def _reference_shape(
    rasters: dict[str, Path], inputs: InputsSection | None
) -> tuple[int, int] | None:
    """(rows, cols) of the reference raster (default the first); None before the synthetic
    region has generated it."""
    from landcarbon.raster import read_grid

    ref = inputs.reference if inputs is not None and inputs.reference else next(iter(rasters), "")
    return read_grid(rasters[ref]).shape if ref and rasters[ref].exists() else None


def _paths(p: Path, data: Any, section: str, problems: list[Problem]) -> dict[str, Path]:
    if not isinstance(data, dict):
        problems.append(Problem(section, 'must be a table of name = "path"'))
        return {}
    out = {}
    for name, value in data.items():
        problem = name_problem(name)
        if problem:  # rasters become files named after their key (resampled inputs)
            problems.append(Problem(section, f"name {problem}"))
            continue
        if not isinstance(value, str) or not value:
            problems.append(
                Problem(f"{section}.{name}", f"must be a file path string, got {value!r}")
            )
            continue
        out[name] = (p.parent / value).resolve()
    return out


def _check_names(section: Any, prefix: str, problems: list[Problem]) -> None:
    """Names of a section that become file names (fields marked ``doc(..., names=True)``:
    a table's keys or a list's items) must be safe names."""
    for f in dataclasses.fields(section):
        if not f.metadata.get("names"):
            continue
        value = getattr(section, f.name)
        for name in value if isinstance(value, dict | tuple | list) else (value,):
            problem = name_problem(name)
            if problem:
                problems.append(Problem(f"{prefix}.{f.name}", problem))


def input_grid(path: Path, inputs: InputsSection) -> Grid:
    """The grid of an input raster, with ``[inputs] crs`` where the file has no CRS;
    RasterError naming the file and both fixes when it has none and the study gives none."""
    from landcarbon.grid import parse_crs
    from landcarbon.raster import read_grid

    grid = read_grid(path)
    if grid.crs is not None:
        return grid
    if not inputs.crs:
        raise RasterError(
            f"{path}: the raster has no CRS, so its cell areas are unknown; give the CRS its "
            f'coordinates are in as [inputs] crs = "EPSG:XXXX", or assign it to the file '
            f"(gdal_edit.py -a_srs EPSG:XXXX {path.name})"
        )
    return replace(grid, crs=parse_crs(inputs.crs))


def _check_inputs(
    rasters: dict[str, Path],
    tables: dict[str, Path],
    inputs: InputsSection,
    problems: list[Problem],
    generated: set[Path],
) -> None:
    """Check files exist, are non-empty, are rasters, and are aligned.

    Files the study's synthetic region will generate are not checked before they exist.
    """
    from landcarbon.grid import most_shared
    from landcarbon.tables import read_records, split_sheet

    grids = {}
    before = len(problems)
    for section, paths in (("rasters", rasters), ("tables", tables)):
        for name, given in paths.items():
            path = split_sheet(given)[0] if section == "tables" else given
            if path in generated and not path.exists():
                continue
            if not path.exists():
                problems.append(Problem(f"{section}.{name}", f"file not found: {path}"))
            elif path.stat().st_size == 0:
                problems.append(Problem(f"{section}.{name}", f"file is empty: {path}"))
            elif section == "rasters":
                try:
                    grids[f"{name} ({path.name})"] = input_grid(path, inputs)
                    if name in inputs.categorical:
                        _check_class_codes(path)
                except LandcarbonError as exc:
                    problems.append(Problem(f"{section}.{name}", str(exc)))
            elif path.suffix.lower() in TABLE_SUFFIXES:  # TOML may be rules, not a table
                try:
                    if read_records(given).empty:
                        raise TableError(f"{path}: the table has no rows; add one row per class")
                except LandcarbonError as exc:
                    problems.append(Problem(f"{section}.{name}", str(exc)))
    if len(grids) > 1 and inputs.align == "check" and len(problems) == before:
        ref = inputs.reference
        ref_label = f"{ref} ({rasters[ref].name})" if ref in rasters else most_shared(grids)
        if ref_label not in grids:
            return  # the synthetic region generates the reference on the first run
        for label, grid in grids.items():
            diff = grids[ref_label].difference(grid) if label != ref_label else None
            if diff:
                problems.append(
                    Problem(
                        f"rasters.{label.split(' ')[0]}",
                        f"not aligned with {ref_label}: {diff}; warp it onto "
                        f"the reference grid or set [inputs] align = "
                        f'"resample"',
                    )
                )


CODE_SAFE_DTYPES = ("uint8", "int8", "uint16", "int16")
"""Raster types whose every value is a valid class code; others (float, int32 and wider,
complex) are read through once by :func:`_check_class_codes`."""


def _check_class_codes(path: Path) -> None:
    """Raise RasterError when a categorical raster holds values that are not class codes
    (fractions, codes beyond int32 or equal to the nodata code), reading it chunk by chunk."""
    from landcarbon.raster import open_dataset, read_raster

    with open_dataset(path) as ds:
        if ds.dtypes[0] in CODE_SAFE_DTYPES:
            return
    read_raster(path, "categorical", chunks=2048).data.min().compute()


# --------------------------------------------------------------------------- messages
_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGN = re.compile(r"^\s*([A-Za-z0-9_\-\"']+)\s*=")


def key_lines(text: str) -> dict[str, int]:
    """Map each dotted key (and section) of a TOML text to its 1-based line number."""
    lines: dict[str, int] = {}
    section = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            section = header.group(1).replace('"', "").replace("'", "")
            lines.setdefault(section, number)
            continue
        assign = _ASSIGN.match(line)
        if assign:
            key = assign.group(1).strip("\"'")
            lines.setdefault(f"{section}.{key}" if section else key, number)
    return lines


def format_problems(path: Path, text: str, problems: list[Problem]) -> str:
    """One message listing every problem as ``file:line: key: message``."""
    lines = key_lines(text)

    def where(key: str) -> str:
        probe = re.sub(r"\[\d+\]", "", key)
        while probe and probe not in lines:
            probe = probe.rpartition(".")[0]
        return f"{path}:{lines[probe]}" if probe else str(path)

    items = [f"{where(pr.key)}: {pr.key}: {pr.message}" for pr in problems]
    head = f"{len(problems)} problem(s) in the study file" if len(problems) > 1 else ""
    return (head + ": " if head else "") + " | ".join(items)
