"""``landcarbon import-params``: a FLUS config or PLUS ``.tmp`` file as landcarbon TOML."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from landcarbon.cli.options import OVERWRITE
from landcarbon.cli.output import emit, say, state

CODES = typer.Option(
    None,
    "--codes",
    help="Class code of each class of the file, in its order, comma-separated "
    "(default: FLUS config_color.log beside the file, else 1..n).",
)
ORIENTATION = typer.Option(
    "from_rows",
    "--orientation",
    help="Matrix of the file: from_rows (rows = current class, as FLUS uses it) or to_rows.",
)
MODEL = typer.Option(None, "--model", help="flus-paper: the paper variant of FLUS.")


def register(app: typer.Typer) -> None:
    app.command("import-params")(import_params_command)


def import_params_command(
    source: Path = typer.Argument(
        ..., help="GeoSOS-FLUS config_mp.log or a PLUS_CARS.tmp / PLUS_LEAS.tmp file."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="TOML file to write (default: print it).", dir_okay=False
    ),
    codes: str | None = CODES,
    orientation: str = ORIENTATION,
    model: str | None = MODEL,
    overwrite: bool = OVERWRITE,
) -> None:
    """Convert a FLUS/PLUS parameter file to landcarbon TOML (--parameters, --conversion)."""
    from landcarbon.landuse.legacy_files import landcarbon_toml, read_legacy_file
    from landcarbon.writes import write_text

    if orientation not in ("from_rows", "to_rows"):
        raise typer.BadParameter("use from_rows or to_rows", param_hint="--orientation")
    legacy = read_legacy_file(
        source,
        codes=_codes(codes),
        orientation=orientation,  # type: ignore[arg-type]
        model=model,
    )
    text = landcarbon_toml(legacy)
    if out is not None:
        write_text(text, out, overwrite=overwrite)
    elif not state.json:
        sys.stdout.write(text)
    emit(
        {
            "source": str(source),
            "format": legacy.kind,
            "codes": list(legacy.codes),
            "unknown_tags": list(legacy.unknown_tags),
            "paths": {t: list(v) for t, v in legacy.paths.items()},
            "out": str(out) if out else None,
            "toml": text,
        }
    )
    if out is not None:
        uses = f"--parameters {out}" if legacy.allocation is not None else "its [leas] table"
        if legacy.conversion is not None:
            uses += f" --conversion {out}"
        say(f"[bold]import-params[/bold] {legacy.kind} -> {out}: use {uses}")
    if legacy.leas:
        options = {"sample_rate": "--sample-rate", "n_trees": "--trees", "mtry": "--mtry"}
        line = " ".join(f"{o} {legacy.leas[k]}" for k, o in options.items() if k in legacy.leas)
        say(f"landcarbon suitability {line}" + (" --balance" if legacy.leas["balance"] else ""))


def _codes(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(c) for c in text.split(",") if c.strip()]
    except ValueError as exc:
        raise typer.BadParameter(
            f"{text!r}: give integer codes, comma-separated", param_hint="--codes"
        ) from exc
