"""``landcarbon run STUDY.toml``: run a study (or some of its steps), resuming finished ones."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from landcarbon.cli import options
from landcarbon.cli.output import emit, progress, say, step_progress

if TYPE_CHECKING:
    from landcarbon.study.pipeline import Step


def register(app: typer.Typer) -> None:
    app.command("run")(run)


def run(
    study: Path = typer.Argument(..., help="The study file (TOML)."),
    out: Path = options.OUT,
    overwrite: bool = options.OVERWRITE,
    seed: int = options.SEED,
    steps: str = typer.Option(
        None,
        "--steps",
        help="Comma-separated steps or chapters to run (with what they need), e.g. carbon,sinks.",
    ),
    scheduler: str = typer.Option(
        None,
        "--scheduler",
        help="dask.distributed address tcp://host:port (overrides [compute] scheduler).",
    ),
    workers: int = typer.Option(
        None,
        "--workers",
        min=1,
        help="Start a LocalCluster of N worker processes (overrides [compute] workers).",
    ),
) -> None:
    """Run a study end to end; a rerun skips steps whose inputs and parameters are unchanged."""
    from landcarbon.study.run import run_study

    out_dir = options.study_out_dir(out or study.parent / "outputs", overwrite)
    with progress() as bar:
        task = bar.add_task("validating", total=None)

        def show(step: Step, position: str) -> None:
            bar.update(task, description=f"[{position}] {step.name}")
            step_progress(position, step.name)

        result = run_study(
            study,
            out_dir,
            steps=steps.split(",") if steps else None,
            seed=seed,
            scheduler=scheduler,
            workers=workers,
            on_step=show,
            on_compute=lambda desc: say(f"compute: {desc}"),
        )
    emit(result.summary())
    ran = sum(r.status == "ran" for r in result.records)
    say(
        f"[green]done[/green]: {ran} step(s) ran, {len(result.records) - ran} reused; "
        f"outputs in {result.out_dir}"
    )
    if result.report:
        say(f"report: {result.report}")
