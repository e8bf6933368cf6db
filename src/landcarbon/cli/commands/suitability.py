"""``landcarbon suitability``: PLUS LEAS development probability or FLUS ANN occurrence.

Writes one float32 probability GeoTIFF per class, a stack ``probability.tif`` (the input of
``landcarbon simulate --probability``) and, for LEAS, the driver contribution and fit
tables as CSV.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from landcarbon.cli.options import OUT, OVERWRITE, SEED, number, output_folder
from landcarbon.cli.output import emit, say
from landcarbon.landuse import PLUS_TREES
from landcarbon.limits import RATE


def register(app: typer.Typer) -> None:
    app.command("suitability")(suitability)


def suitability(
    t1: Path = typer.Option(..., "--t1", help="Land-use map of the later date (GeoTIFF)."),
    drivers: list[Path] = typer.Option(
        ..., "--driver", help="Driver raster on the land-use grid (repeat, one file each)."
    ),
    out: Path = OUT,
    t0: Path | None = typer.Option(
        None, "--t0", help="Land-use map of the earlier date (LEAS; not used by the ANN)."
    ),
    method: str = typer.Option("leas", "--method", help="leas (PLUS) or ann (GeoSOS-FLUS)."),
    sample_rate: float = number(
        None, "--sample-rate", **RATE, help="Share of cells sampled (LEAS default 0.01, ANN 0.02)."
    ),
    max_samples: int | None = typer.Option(
        None,
        "--max-samples",
        min=1,
        help="Cap on the training cells: a lower rate where --sample-rate draws more.",
    ),
    trees: int = typer.Option(PLUS_TREES, "--trees", "--n-trees", help="LEAS trees per class."),
    mtry: int | None = typer.Option(
        None, "--mtry", help="LEAS drivers tried per split (default: all)."
    ),
    balance: bool = typer.Option(False, "--balance", help="LEAS balanced sample (PLUS)."),
    mode: str = typer.Option(
        "expansion", "--mode", help="LEAS sample: expansion (t0->t1) or single_date (t1)."
    ),
    hidden: int = typer.Option(12, "--hidden", help="ANN hidden-layer units."),
    sampling: str = typer.Option("uniform", "--sampling", help="ANN sampling: uniform or random."),
    sample_size: int | None = typer.Option(
        None, "--sample-size", help="ANN training cells (instead of --sample-rate)."
    ),
    missing: str = typer.Option(
        "raise", "--missing", help="Drivers NaN on valid land use: raise, exclude or mean."
    ),
    threads: int | None = typer.Option(
        None, "--threads", help="LEAS threads (-1: all cores); results do not depend on it."
    ),
    chunks: int | None = typer.Option(
        None, "--chunks", help="Read rasters in chunks of this many cells (large maps)."
    ),
    seed: int | None = SEED,
    overwrite: bool = OVERWRITE,
) -> None:
    """Per-class suitability from drivers: PLUS LEAS (random forest on the t0->t1
    expansion) or FLUS ANN (neural network on the t1 land use). With --chunks the maps are
    read, sampled, predicted and written chunk by chunk: the same probabilities."""
    from landcarbon.errors import ParameterError
    from landcarbon.landuse.suitability import ann_probability, leas, write_suitability
    from landcarbon.raster import read_stack

    if out is None:
        raise typer.BadParameter("give an output folder", param_hint="--out")
    if method not in ("leas", "ann"):
        raise typer.BadParameter(f"{method!r}: use leas or ann", param_hint="--method")
    if method == "leas" and t0 is None:
        raise typer.BadParameter("LEAS trains on two dates; give --t0", param_hint="--t0")
    if chunks is not None and chunks < 1:
        raise ParameterError(
            f"--chunks {chunks}: a chunk must be at least 1 cell a side; give cells per chunk "
            f"side (e.g. --chunks 2048), or leave --chunks out to read the maps whole"
        )
    maps = {"t1": t1} | ({"t0": t0} if t0 is not None and method == "leas" else {})
    stack = read_stack(
        maps | {p.stem: p for p in drivers},
        dict.fromkeys(maps, "categorical"),
        reference="t1",
        chunks=chunks,
    )
    layers = {p.stem: stack[p.stem] for p in drivers}
    seed_value = 0 if seed is None else seed
    summary: dict[str, Any] = {"method": method, "seed": seed_value}
    tables = {}
    if method == "leas":
        result = leas(
            stack["t0"],
            stack["t1"],
            layers,
            sample_rate=0.01 if sample_rate is None else sample_rate,
            max_samples=max_samples,
            n_trees=trees,
            mtry=mtry,
            balance=balance,
            mode=mode,  # type: ignore[arg-type]
            seed=seed_value,
            n_jobs=threads,
            missing=missing,  # type: ignore[arg-type]
        )
        probability = result.probability
        tables = {"contribution": result.contribution, "fit": result.fit}
        summary["contribution"] = _records(result.contribution)
        summary["fit"] = _records(result.fit)
    else:
        probability = ann_probability(
            stack["t1"],
            layers,
            hidden=hidden,
            sample_size=sample_size,
            sample_rate=0.02 if sample_rate is None else sample_rate,
            max_samples=max_samples,
            sampling=sampling,  # type: ignore[arg-type]
            seed=seed_value,
            missing=missing,  # type: ignore[arg-type]
        )
    with output_folder(out, overwrite) as folder:
        files = write_suitability(probability, folder, tables=tables, overwrite=overwrite)
    summary["classes"] = [int(c) for c in probability["class"].values]
    summary["files"] = {k: str(v) for k, v in files.items()}
    emit(summary)
    say(
        f"[bold]{method.upper()} suitability[/bold] classes {summary['classes']}, seed {seed_value}"
    )
    for name, frame in tables.items():
        say(f"{name}:\n{frame.round(4).to_string()}")
    for path in files.values():
        say(f"wrote {path}")


def _records(frame: Any) -> dict[str, dict[str, float | None]]:
    """``{class: {column: value}}`` with NaN as null (JSON has no NaN)."""
    return {
        str(code): {str(k): (None if v != v else float(v)) for k, v in row.items()}
        for code, row in frame.iterrows()
    }
