"""``landcarbon steps [STUDY.toml]``: the steps a study would run, with inputs and outputs."""

from __future__ import annotations

from pathlib import Path

import typer

from landcarbon.cli.output import emit, say


def register(app: typer.Typer) -> None:
    app.command("steps")(steps)


def steps(study: Path = typer.Argument(..., help="The study file (TOML).")) -> None:
    """List the study's steps in run order with what each reads and writes."""
    from landcarbon.study.config import load_study
    from landcarbon.study.pipeline import plan
    from landcarbon.study.run import build_steps, input_artifacts

    loaded = load_study(study)
    ordered = plan(build_steps(loaded), input_artifacts(loaded))
    emit(
        {
            "steps": [
                {
                    "name": s.name,
                    "chapter": s.chapter,
                    "inputs": list(s.inputs),
                    "outputs": [
                        {
                            "name": o.name,
                            "path": o.path,
                            "kind": o.kind,
                            "units": o.units,
                            "doc": o.doc,
                        }
                        for o in s.outputs
                    ],
                }
                for s in ordered
            ]
        }
    )
    for s in ordered:
        say(f"[bold]{s.name}[/bold] ({s.chapter}): {s.doc}")
        say(f"  reads  {', '.join(s.inputs) or '-'}")
        for o in s.outputs:
            say(f"  writes {o.path} [{o.kind}{', ' + o.units if o.units else ''}] {o.doc}")
