"""Run a study: validate, prepare inputs, plan and run the chapters' steps, write the manifest."""

from __future__ import annotations

import contextlib
import platform
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from landcarbon import __version__
from landcarbon.digests import file_digest
from landcarbon.errors import ConfigError, ParameterError
from landcarbon.study.config import ComputeSection, Study, _check_compute, load_study
from landcarbon.study.memory import check_global_steps
from landcarbon.study.pipeline import (
    Step,
    StepRecord,
    output_lock,
    plan,
    run_steps,
    write_json_atomic,
)
from landcarbon.study.schema import Problem
from landcarbon.writes import write_json

if TYPE_CHECKING:
    from landcarbon.grid import Grid


@dataclass(frozen=True)
class RunResult:
    """Where a study run put things and what each step did."""

    out_dir: Path
    manifest: Path
    report: Path | None
    records: list[StepRecord]
    compute: str = ""

    def summary(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir),
            "compute": self.compute,
            "manifest": str(self.manifest),
            "report": str(self.report) if self.report else None,
            "steps": {
                r.name: {"status": r.status, "seconds": round(r.seconds, 3), **r.summary}
                for r in self.records
            },
        }


def build_steps(study: Study) -> list[Step]:
    """Every step of every chapter configured in the study."""
    from landcarbon.study.chapters import BUILDERS
    from landcarbon.study.chapters.landuse import class_scheme

    class_scheme(study)  # a bad class table or scheme name fails before any work
    steps: list[Step] = []
    for name, section in study.chapters.items():
        steps.extend(BUILDERS[name](study, section))
    return steps


def input_artifacts(study: Study) -> dict[str, Path]:
    """Study inputs as artifact names: ``rasters.NAME`` and ``tables.NAME``."""
    arts = {f"rasters.{k}": v for k, v in study.rasters.items()}
    arts.update({f"tables.{k}": v for k, v in study.tables.items()})
    return arts


def run_study(
    path: str | Path,
    out_dir: str | Path,
    *,
    steps: Iterable[str] | None = None,
    seed: int | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    on_step: Callable[[Step, str], None] | None = None,
    on_compute: Callable[[str], None] | None = None,
) -> RunResult:
    """Run the study file ``path`` into ``out_dir``; finished steps are reused on rerun.

    ``out_dir`` is created only once the steps are planned and the scheduler answers, so
    a run refused for bad input leaves no empty folder behind. The run holds a lock on
    ``out_dir`` (:func:`~landcarbon.study.pipeline.output_lock`): a second run there is
    refused with the PID of this one; under the lock, temporary files a killed run left
    are removed before any step starts.

    ``scheduler`` and ``workers`` override the study's ``[compute]`` section (``workers``
    alone starts a LocalCluster); ``on_compute`` is told which scheduler runs (with the
    dashboard address of a cluster). ``settings`` override keys of chapter sections,
    e.g. ``{"simulation": {"runs": 20}}`` (what ``simulate STUDY --runs 20`` passes).
    """
    study = load_study(path)
    if study.prepare_inputs():  # layers of the synthetic region written: check them too
        study = load_study(path)
    study = _with_settings(study, settings or {})
    out = Path(out_dir).resolve()
    run_seed = study.study.seed if seed is None else seed
    if workers is not None and workers > 1 and scheduler is None:
        scheduler = "processes"  # --workers N alone starts a LocalCluster of N processes
    compute = _overridden_compute(study, scheduler, workers)
    artifacts = input_artifacts(study)
    ordered = plan(build_steps(study), artifacts, steps)
    _check_out(study, out, ordered)
    if study.rasters:  # a global step whose map does not fit: refused before anything runs
        check_global_steps((s.chapter for s in ordered), _reference_grid(study).shape)
    started = time.time()
    from landcarbon.raster import remove_partials
    from landcarbon.study.compute import compute_context, local_scheduler, uses_client

    with contextlib.ExitStack() as locked:
        with contextlib.ExitStack() as client:
            runner: contextlib.AbstractContextManager[str] | None = None
            if uses_client(compute):  # it answers before anything is written
                compute_desc = client.enter_context(compute_context(compute))
            else:  # dask's local schedulers, set when a step runs: a cached run loads no dask
                compute_desc, runner = local_scheduler(compute), compute_context(compute)
            out.mkdir(parents=True, exist_ok=True)  # only once the plan and the scheduler stand
            locked.enter_context(output_lock(out))  # until the manifest is written
            remove_partials(out)  # left by a killed run: no other run writes here now
            artifacts.update(_georeferenced_inputs(study, out))
            if study.inputs.align == "resample":
                artifacts.update(_aligned_inputs(study, out, artifacts))
            if on_compute:
                on_compute(compute_desc)
            records = run_steps(ordered, artifacts, out, run_seed, on_step, runner)
        return _finish(study, ordered, out, run_seed, records, started, compute_desc)


def _finish(
    study: Study,
    ordered: list[Step],
    out: Path,
    run_seed: int,
    records: list[StepRecord],
    started: float,
    compute_desc: str,
) -> RunResult:
    """Write the report and the manifest of a run whose steps are done."""
    report = None
    if ordered:
        from landcarbon.study.chapters.landuse import class_scheme

        chapter_rank = {name: i for i, name in enumerate(study.chapters)}
        scheme = class_scheme(study)
        classes = scheme.legend() if scheme is not None else None
        observed = _observed_maps(study) if study.inputs.align == "check" else None
        key = _report_key(study, ordered, records, classes, observed)
        report = out / "report" / "index.html"
        key_file = out / "report" / ".key.json"
        if not _report_intact(key_file, key):
            from landcarbon.report.html import build_report

            report = build_report(
                study.study.name,
                study.study.description,
                sorted(ordered, key=lambda s: chapter_rank.get(s.chapter, len(chapter_rank))),
                out,
                {r.name: r.summary for r in records},
                classes=classes,
                observed=observed,
                language=study.report.language,
            )
            write_json({"key": key, "files": _report_files(report.parent)}, key_file)
    manifest = out / "manifest.json"
    write_json_atomic(manifest, _manifest(study, run_seed, records, started))
    return RunResult(out, manifest, report, records, compute_desc)


def _report_key(
    study: Study,
    ordered: list[Step],
    records: list[StepRecord],
    classes: Any,
    observed: Mapping[str, Path] | None,
) -> str:
    """What the report is built from: the steps and their declared outputs, each step's
    cache key and summary (a cached step's outputs are checked against its record), the
    study's name, description, classes and language, the observed maps (path, size, time)
    and this version. A rerun with the same key keeps ``report/index.html`` as it is."""
    import hashlib
    import json

    def stat(path: Path) -> list[Any]:
        info = path.stat()
        return [str(path), info.st_size, info.st_mtime_ns]

    payload = {
        "version": __version__,
        "study": [study.study.name, study.study.description, study.report.language],
        "classes": repr(classes),
        "observed": {label: stat(path) for label, path in (observed or {}).items()},
        "steps": [
            [s.name, s.chapter, [[o.name, o.path, o.kind, o.doc, o.units] for o in s.outputs]]
            for s in ordered
        ],
        "records": [[r.name, r.key, r.summary] for r in records],
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _report_files(folder: Path) -> dict[str, int]:
    """Size (bytes) of every file of the report folder, by path relative to it."""
    return {
        str(path.relative_to(folder)): path.stat().st_size
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != ".key.json"
    }


def _report_intact(key_file: Path, key: str) -> bool:
    """Whether the report was built from ``key`` and every file it wrote is still there
    with its size (a deleted or truncated image or page makes the run rebuild it)."""
    import json

    try:
        record = json.loads(key_file.read_text())
        files = record["files"]
        return bool(
            record["key"] == key
            and "index.html" in files
            and all((key_file.parent / name).stat().st_size == size for name, size in files.items())
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _observed_maps(study: Study) -> dict[str, Path]:
    """The study's own land-use maps (label -> file) for the report's viewer: those of
    [landuse] and [carbon] maps by their year labels, then [simulation] t0/t1 by their
    years and [erosion] landuse by its name; each raster once."""
    labelled: dict[str, str] = {}
    for section in ("landuse", "carbon"):
        labelled.update(getattr(study.chapters.get(section), "maps", {}))
    simulation = study.chapters.get("simulation")
    if simulation is not None:
        for year, name in zip(simulation.years, (simulation.t0, simulation.t1), strict=False):
            labelled.setdefault(f"{year:g}", name)
    erosion = study.chapters.get("erosion")
    if erosion is not None:
        labelled.setdefault(erosion.landuse, erosion.landuse)
    maps: dict[str, Path] = {}
    for label, name in labelled.items():
        if name in study.rasters and study.rasters[name] not in maps.values():
            maps[label] = study.rasters[name]
    return maps


def _overridden_compute(study: Study, scheduler: str | None, workers: int | None) -> ComputeSection:
    """The study's ``[compute]`` with the ``--scheduler``/``--workers`` overrides applied,
    checked as the study file's section is, and its chunks against the map's shape (a bad
    override is a ParameterError naming the option, a bad key a ConfigError naming it)."""
    overrides: dict[str, Any] = {"scheduler": scheduler, "workers": workers}
    given = {k: v for k, v in overrides.items() if v is not None}
    compute = replace(study.compute, **given)
    problems: list[Problem] = []
    _check_compute(compute, problems, _reference_grid(study).shape if study.rasters else None)
    bad = {pr.key.removeprefix("compute."): pr.message for pr in problems}
    if bad.keys() & given.keys():
        raise ParameterError(
            "; ".join(f"--{key} {given[key]!r}: {bad[key]}" for key in bad.keys() & given.keys())
        )
    if bad:
        raise ConfigError("; ".join(f"{study.path}: compute.{k}: {m}" for k, m in bad.items()))
    return compute


def _reference_grid(study: Study) -> Grid:
    """The grid of ``[inputs] reference`` (default: the first raster), with ``[inputs] crs``
    where the file has none."""
    from landcarbon.study.config import input_grid

    ref = study.inputs.reference or next(iter(study.rasters))
    return input_grid(study.rasters[ref], study.inputs)


def _with_settings(study: Study, settings: Mapping[str, Mapping[str, Any]]) -> Study:
    """``study`` with chapter keys replaced; a chapter the file lacks is refused."""
    chapters = dict(study.chapters)
    for name, values in settings.items():
        if name not in chapters:
            raise ConfigError(f"{study.path}: no [{name}] section to apply {dict(values)} to")
        chapters[name] = replace(chapters[name], **values)
    return replace(study, chapters=chapters)


RESAMPLED = ".cache/resampled"
"""Folder (in ``--out``) of the inputs warped onto the reference grid."""
GEOREFERENCED = ".cache/georeferenced"
"""Folder (in ``--out``) of the copies of inputs without a CRS, with ``[inputs] crs``."""
OWN = (".cache", "report", "manifest.json")
"""What a run writes in ``--out`` besides its steps' outputs."""


def _check_out(study: Study, out: Path, steps: Iterable[Step]) -> None:
    """Refuse an ``--out`` where the run would write outside it (a name climbing out) or
    onto one of the study's inputs (``--out`` holding them): ``--overwrite`` replaces
    outputs only, never an input. Checked before anything is written."""
    from landcarbon.paths import inside

    written = {(out / name).resolve(): f"{name} of the run" for name in OWN}
    for step in steps:
        inside(out, f".cache/{step.name}.json", f"step {step.name}")
        for o in step.outputs:
            written[inside(out, o.path, f"output {o.name}").resolve()] = f"output {o.name}"
    inputs = {**input_artifacts(study), "study file": study.path}
    for name, path in inputs.items():
        path = path.resolve()
        clash = written.get(path) or next(
            (what for p, what in written.items() if p.is_dir() and path.is_relative_to(p)), None
        )
        if clash:
            raise ConfigError(
                f"{study.path}: {name} ({path}) would be overwritten by the {clash}: --out "
                f"{out} holds the study's inputs where the run writes; choose another --out "
                f"(e.g. {study.folder / 'outputs'})"
            )


def _aligned_inputs(study: Study, out: Path, artifacts: Mapping[str, Path]) -> dict[str, Path]:
    """Warp rasters that differ from the reference grid into ``out/.cache/resampled/``
    (nearest for categorical, bilinear for continuous), as ``[inputs] align = "resample"``
    asks; :func:`_check_out` made sure no input lies there. Rasters are read from
    ``artifacts`` (a georeferenced copy where the study gave the CRS)."""
    from landcarbon.paths import inside
    from landcarbon.raster import read_grid, read_raster, resample_to, write_raster

    grid = _reference_grid(study)
    warped = {}
    for name in study.rasters:
        source = artifacts[f"rasters.{name}"]
        if grid.difference(read_grid(source)) is None:
            continue
        kind = study.raster_kind(name)
        target = inside(out, f"{RESAMPLED}/{name}.tif", f"rasters.{name}")
        write_raster(resample_to(read_raster(source, kind), grid, kind), target, overwrite=True)
        warped[f"rasters.{name}"] = target
    return warped


def _georeferenced_inputs(study: Study, out: Path) -> dict[str, Path]:
    """Copies of the rasters without a CRS, with ``[inputs] crs``, in
    ``out/.cache/georeferenced/`` (values, grid and nodata unchanged; the input file is
    never written)."""
    from landcarbon.grid import parse_crs
    from landcarbon.paths import inside
    from landcarbon.raster import read_grid, read_raster, write_raster

    copies = {}
    for name, path in study.rasters.items():
        if not study.inputs.crs or read_grid(path).crs is not None:
            continue
        kind = study.raster_kind(name)
        da = read_raster(path, kind).rio.write_crs(parse_crs(study.inputs.crs))
        target = inside(out, f"{GEOREFERENCED}/{name}.tif", f"rasters.{name}")
        write_raster(da, target, overwrite=True)
        copies[f"rasters.{name}"] = target
    return copies


def _manifest(study: Study, seed: int, records: list[StepRecord], started: float) -> dict[str, Any]:
    import numpy
    import rasterio

    return {
        "study": {
            "file": str(study.path),
            "name": study.study.name,
            "description": study.study.description,
        },
        "seed": seed,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "inputs": {
            name: {"path": str(p), "blake2b": file_digest(p)}
            for name, p in input_artifacts(study).items()
        },
        "parameters": {name: _plain(section) for name, section in study.chapters.items()},
        "compute": asdict(study.compute),
        "versions": {
            "landcarbon": __version__,
            "python": platform.python_version(),
            "numpy": numpy.__version__,
            "rasterio": rasterio.__version__,
            "gdal": rasterio.__gdal_version__,
        },
        "steps": [
            {
                "name": r.name,
                "status": r.status,
                "seconds": round(r.seconds, 3),
                "key": r.key,
                "outputs": r.outputs,
                "summary": r.summary,
                "cite": list(r.cite),
            }
            for r in records
        ],
        "citations": sorted({c for r in records for c in r.cite}),
    }


def _plain(section: Any) -> Any:
    from dataclasses import is_dataclass

    if is_dataclass(section) and not isinstance(section, type):
        return {k: _plain(v) for k, v in asdict(section).items()}
    if isinstance(section, Path):
        return str(section)
    if isinstance(section, tuple | list):
        return [_plain(v) for v in section]
    if isinstance(section, dict):
        return {str(k): _plain(v) for k, v in section.items()}
    return section
