"""``landcarbon warm-up``: compile and cache the numba kernels once, after install."""

from __future__ import annotations

import time

import typer

from landcarbon.cli.output import emit, say


def register(app: typer.Typer) -> None:
    app.command("warm-up")(warm_up)


def warm_up(
    example: list[str] = typer.Option(
        None, "--example", help="Warm up with these bundled examples only (default: all)."
    ),
) -> None:
    """Run the bundled examples on a tiny synthetic region so that numba compiles and caches
    every kernel a study uses; the first real study then starts without minutes of
    compilation. `make` runs it after installing; run it again after an upgrade."""
    from landcarbon._numba import cache_dir
    from landcarbon.study.examples import warm_up as run_warm_up

    started = time.perf_counter()
    names = run_warm_up(example or None, on_example=lambda name: say(f"warming up: {name}"))
    folder = cache_dir()
    where = str(folder) if folder is not None else "__pycache__ beside the kernels"
    seconds = time.perf_counter() - started
    emit({"examples": names, "numba_cache": where, "seconds": round(seconds, 1)})
    say(f"[green]done[/green]: {len(names)} example(s) in {seconds:.0f} s; numba cache: {where}")
