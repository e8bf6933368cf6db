"""Options shared by every command, with one meaning everywhere (as rasterio's rio)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import typer

from landcarbon.errors import OutputExistsError
from landcarbon.limits import BOUNDS, YEARS, out_of_range

OUT = typer.Option(None, "--out", "-o", help="Output folder.", file_okay=False)
OVERWRITE = typer.Option(False, "--overwrite", help="Replace existing outputs.")
CLASSES = typer.Option(
    None,
    "--classes",
    help="Classes of the land-use map: a class table (CSV/TOML/xlsx: code, name, group) or "
    "a scheme (cnlucc, cnlucc2, clcd, worldcover, igbp, corine1, nlcd): presets keyed by "
    "land-use group apply through its groups.",
)
SEED = typer.Option(
    None, "--seed", min=0, help="Seed for every stochastic step (overrides the study)."
)
STRICT_NODATA = typer.Option(
    False,
    "--strict-nodata",
    help="Refuse land-use maps whose nodata masks differ (default: work on the cells valid "
    "in every map and report the cells dropped from each).",
)


def common_cells(
    maps: dict[str, Any], strict_nodata: bool
) -> tuple[dict[str, Any], dict[str, int]]:
    """Land-use maps cut to the cells valid in all (``--strict-nodata``: equal masks or an
    error), with a line saying how many cells each map lost when any did."""
    from landcarbon.cli.output import say
    from landcarbon.landuse.change import common_mask

    masked, dropped = common_mask(maps, strict=strict_nodata, strict_option="--strict-nodata")
    if any(dropped.values()):
        say(
            "nodata masks differ: working on the cells valid in every map, dropped "
            + ", ".join(f"{n} cells of {name}" for name, n in dropped.items())
        )
    return masked, dropped


def number(
    default: Any, *flags: str, items: tuple[Mapping[str, Any], ...] = (), **kwargs: Any
) -> Any:
    """A float option that must be finite and within its limits (``ge``, ``gt``, ``le``,
    ``lt``, see :mod:`landcarbon.limits`); a tuple option takes one limit table per item
    in ``items`` (else the same limits for each). NaN, infinities and numbers out of range
    are usage errors naming the option and the range."""
    limits = {key: kwargs.pop(key) for key, _, _ in BOUNDS if key in kwargs}
    return typer.Option(default, *flags, callback=_checked(limits, items), **kwargs)


def year(default: Any, *flags: str, **kwargs: Any) -> Any:
    """A :func:`number` option holding a calendar year (or a tuple of years)."""
    return number(default, *flags, **YEARS, **kwargs)


def _checked(
    limits: Mapping[str, Any], items: tuple[Mapping[str, Any], ...]
) -> Callable[[typer.CallbackParam, Any], Any]:
    def check(param: typer.CallbackParam, value: Any) -> Any:
        values = value if isinstance(value, tuple | list) else (value,)
        for i, v in enumerate(values):
            problem = None if v is None else out_of_range(v, items[i] if items else limits)
            if problem:
                raise typer.BadParameter(problem, param=cast(Any, param))
        return value

    return check


def prepare_out_dir(out: Path, overwrite: bool, resumable: bool = False) -> Path:
    """Create ``out``; refuse a non-empty existing folder unless ``overwrite``.

    With ``resumable`` a folder holding an earlier run of landcarbon (a ``.cache``
    folder) is reused without ``--overwrite``: its finished steps are resumed.
    """
    require_writable(out)
    if resumable and (out / ".cache").is_dir():
        return out
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out}: exists and is not a folder; choose another --out")
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise OutputExistsError(
            f"{out}: output folder exists and is not empty; pass --overwrite to reuse it "
            f"(finished steps are kept and resumed) or choose another --out"
        )
    out.mkdir(parents=True, exist_ok=True)
    return out


def study_out_dir(out: Path, overwrite: bool) -> Path:
    """Check a study's output folder now (refuse one of other files) without creating a
    missing one: :func:`landcarbon.study.run.run_study` creates it once the study plans and
    its scheduler answers, so a run that cannot start leaves nothing behind."""
    if out.exists():
        return prepare_out_dir(out, overwrite, resumable=True)
    require_writable(out)
    return out


def require_writable(out: Path) -> None:
    """Refuse an ``--out`` this process cannot write into (a read-only folder or file
    system, another user's folder) before any work: its nearest existing folder decides."""
    import os

    from landcarbon.errors import ComputeError

    folder = next(p for p in (out, *out.parents) if p.exists())
    if not folder.is_dir():
        raise OutputExistsError(f"{out}: {folder} is a file, not a folder; choose another --out")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ComputeError(
            f"{out}: cannot write there ({folder} is read-only or not writable by this user); "
            f"choose another --out or make {folder} writable"
        )


@contextmanager
def output_folder(out: Path, overwrite: bool) -> Iterator[Path]:
    """:func:`prepare_out_dir` for a command that writes: should the command fail, the
    folders this call created are removed again while they are still empty (a failed run
    leaves no empty ``--out`` behind; files it did write are kept)."""
    created = [p for p in (out, *out.parents) if not p.exists()]  # innermost first
    folder = prepare_out_dir(out, overwrite)
    try:
        yield folder
    except BaseException:
        for path in created:
            try:
                path.rmdir()  # refuses a folder that is not empty
            except OSError:
                break
        raise


def run_study_steps(
    study: Path,
    steps: list[str],
    out: Path | None,
    overwrite: bool,
    seed: int | None,
    settings: dict[str, dict[str, Any]] | None = None,
) -> None:
    """The study-file form of a method command: run ``steps`` of ``study`` (and what they
    need) into ``out`` (default: ``outputs`` beside the study), then report as ``run`` does.
    ``settings`` override chapter keys of the study file (e.g. the simulation's runs)."""
    from landcarbon.cli.output import emit, say, step_progress
    from landcarbon.study.run import run_study

    out_dir = study_out_dir(out or study.parent / "outputs", overwrite)
    result = run_study(
        study,
        out_dir,
        steps=steps,
        seed=seed,
        settings=settings,
        on_step=lambda s, i: step_progress(i, s.name, echo=True),
    )
    emit(result.summary())
    say(f"outputs in {result.out_dir}" + (f"; report: {result.report}" if result.report else ""))


def require(**given: object) -> None:
    """Refuse a call that lacks options the explicit-argument form needs."""
    missing = [name for name, value in given.items() if value is None]
    if missing:
        raise typer.BadParameter(
            "give a study file, or every one of " + ", ".join(missing),
            param_hint=", ".join(missing),
        )
