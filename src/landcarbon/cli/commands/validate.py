"""``landcarbon validate STUDY.toml``: run only the study-file checks."""

from __future__ import annotations

from pathlib import Path

import typer

from landcarbon.cli.output import emit, say


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)


def validate(study: Path = typer.Argument(..., help="The study file (TOML).")) -> None:
    """Check a study file: keys, types, paths, rasters readable and aligned; exit 1 on a problem."""
    from landcarbon.study.config import load_study
    from landcarbon.study.pipeline import plan
    from landcarbon.study.run import build_steps, input_artifacts

    loaded = load_study(study)
    plan(build_steps(loaded), input_artifacts(loaded))  # every reference resolves
    emit(
        {
            "valid": True,
            "study": loaded.study.name,
            "rasters": len(loaded.rasters),
            "tables": len(loaded.tables),
            "chapters": sorted(loaded.chapters),
        }
    )
    say(
        f"[green]ok[/green] {study}: {len(loaded.rasters)} rasters, {len(loaded.tables)} "
        f"tables, chapters: {', '.join(sorted(loaded.chapters)) or 'none'}"
    )
