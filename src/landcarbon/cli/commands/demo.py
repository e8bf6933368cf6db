"""``landcarbon demo``: write the synthetic region and an example study, then run it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from landcarbon.cli import options
from landcarbon.cli.output import Bar, emit, progress, say, step_progress

if TYPE_CHECKING:
    from landcarbon.study.pipeline import Step


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    out: Path = options.OUT,
    overwrite: bool = options.OVERWRITE,
    seed: int = options.SEED,
    example: str = typer.Option(
        "arid_budget_scenarios", "--example", help="Which bundled example study to run."
    ),
    all_examples: bool = typer.Option(False, "--all", help="Run every bundled example."),
) -> None:
    """Run a bundled example study on the synthetic region, end to end."""
    from landcarbon.study.examples import example_names, install_example
    from landcarbon.study.run import run_study

    out_dir = options.prepare_out_dir(out or Path("landcarbon_demo"), overwrite, resumable=True)
    names = example_names() if all_examples else [example]
    summaries = {}
    for name in names:
        study_file = install_example(name, out_dir / name)
        say(f"[bold]{name}[/bold]: study file {study_file}")
        with progress() as bar:
            task = bar.add_task("preparing the synthetic region", total=None)

            def show(step: Step, position: str, bar: Bar = bar, task: object = task) -> None:
                bar.update(task, description=f"[{position}] {step.name}")
                step_progress(position, step.name)

            result = run_study(study_file, out_dir / name / "outputs", seed=seed, on_step=show)
        summaries[name] = result.summary()
        say(f"  outputs: {result.out_dir}")
        say(f"  report:  {result.report}" if result.report else "  (no report)")
    emit(summaries)
