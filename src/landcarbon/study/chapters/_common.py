"""Helpers every chapter uses: naming artifacts, reading them, writing tables atomically."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from landcarbon.raster import read_raster
from landcarbon.report.figures import FIGURES
from landcarbon.study.config import Study
from landcarbon.study.pipeline import Context, Output, Step
from landcarbon.writes import write_csv, write_json

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "artifact",
    "drawing",
    "export_outputs",
    "exports_of",
    "kind_of",
    "read",
    "write_csv",
    "write_json",
]


def artifact(study: Study, name: str) -> str:
    """Artifact name of a chapter reference: a [rasters]/[tables] entry or a step output."""
    if name in study.rasters:
        return f"rasters.{name}"
    if name in study.tables:
        return f"tables.{name}"
    return name


def kind_of(study: Study, name: str) -> Literal["continuous", "categorical"]:
    """Categorical for rasters listed in [inputs] categorical and for class-map outputs."""
    if name in study.rasters:
        return study.raster_kind(name)
    return "continuous"


def read(
    path: Path, kind: Literal["continuous", "categorical"] = "continuous", chunks: int = 0
) -> xr.DataArray:
    """Read a study artifact raster: in memory, or lazily in ``chunks`` x ``chunks`` blocks
    (the study's ``[compute] chunks``) for per-cell and map-reduce steps."""
    return read_raster(path, kind, chunks=chunks or None)


def export_outputs(name: str, stem: str, doc: str) -> tuple[Output, ...]:
    """The declared exports of figure ``name``: ``<name>.print`` (300 dpi PNG) and
    ``<name>.svg`` as ``report/figures/<stem>.png`` / ``.svg`` (kind ``figure``)."""
    return tuple(
        Output(f"{name}.{key}", f"{FIGURES}/{stem}{suffix}", "figure", "", f"{doc} ({what})")
        for key, suffix, what in (("print", ".png", "PNG 300 dpi"), ("svg", ".svg", "SVG"))
    )


def exports_of(outputs: dict[str, Path], name: str) -> list[Path]:
    """The export paths of figure ``name`` among a step's ``outputs`` (see
    :func:`export_outputs`)."""
    return [outputs[f"{name}.print"], outputs[f"{name}.svg"]]


def drawing(study: Study, step: Step) -> Step:
    """``step``, drawing its figures' fixed text (axis labels, titles, map notes) in the
    study's ``[report] language``; the language is one of its parameters, so a study
    whose language changes draws its figures again."""
    from landcarbon.report.figures import language

    lang = study.report.language
    run = step.run

    def run_in_language(ctx: Context) -> None:
        with language(lang):
            run(ctx)

    return dataclasses.replace(step, run=run_in_language, params={**step.params, "language": lang})
