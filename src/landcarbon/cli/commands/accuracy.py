"""``landcarbon accuracy OBSERVED SIMULATED [--initial MAP]``: Kappa, OA and Figure of Merit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from landcarbon.cli.options import (
    OUT,
    OVERWRITE,
    SEED,
    STRICT_NODATA,
    common_cells,
    number,
    prepare_out_dir,
)
from landcarbon.cli.output import emit, say
from landcarbon.limits import RATE


def register(app: typer.Typer) -> None:
    app.command("accuracy")(accuracy)


def accuracy(
    observed: Path = typer.Argument(..., help="Observed land-use map (GeoTIFF)."),
    simulated: Path = typer.Argument(..., help="Simulated land-use map of the same date and grid."),
    initial: Path = typer.Option(
        None, "--initial", help="Map the simulation started from: enables the Figure of Merit."
    ),
    sample_rate: float = number(
        None, "--sample-rate", **RATE, help="Kappa on this share of cells, as PLUS (needs --seed)."
    ),
    seed: int = SEED,
    strict_nodata: bool = STRICT_NODATA,
    out: Path = OUT,
    overwrite: bool = OVERWRITE,
) -> None:
    """Overall accuracy, Kappa (full grid, or a seeded sample with --sample-rate),
    quantity/allocation disagreement and, with --initial, the Figure of Merit (full grid):
    overall with producer's and user's accuracy (Pontius et al. 2011 Eq. 9), by initial
    class (Eq. 10) and by transition (Eq. 11, keys "FROM->TO"); with --out, CSV tables
    (also the FoM by gaining class) and the change agreement map."""
    from landcarbon.errors import ParameterError
    from landcarbon.landuse.accuracy import (
        FOM_KEYS,
        agreement,
        change_agreement_map,
        figure_of_merit,
        sampled_agreement,
    )
    from landcarbon.raster import read_stack, write_raster
    from landcarbon.writes import write_csv

    paths = {"observed": observed, "simulated": simulated}
    if initial is not None:
        paths = {"initial": initial, **paths}
    maps, dropped = common_cells(
        read_stack(paths, dict.fromkeys(paths, "categorical")), strict_nodata
    )
    fom = None
    if initial is not None:
        fom = figure_of_merit(maps["initial"], maps["observed"], maps["simulated"])
    if sample_rate is not None:
        if seed is None:
            raise ParameterError("--sample-rate draws a random sample: give --seed too")
        stats = sampled_agreement(
            maps["observed"], maps["simulated"], sample_rate=sample_rate, seed=seed
        )
    else:
        stats = agreement(maps["observed"], maps["simulated"]) if fom is None else fom.agreement
    summary: dict[str, Any] = {
        **stats.summary(),
        **(dict.fromkeys(FOM_KEYS) if fom is None else fom.as_dict()),
        "sample_rate": sample_rate,
        "codes": list(stats.codes),
        "confusion": stats.confusion.tolist(),
        "nodata_cells_dropped": dropped,
    }
    written = []
    if out is not None:
        folder = prepare_out_dir(out, overwrite)
        frames = {"confusion": stats.confusion_frame()}
        if fom is not None:
            frames |= {
                "fom_by_initial_class": fom.by_initial_class,
                "fom_by_transition": fom.by_transition,
                "fom_by_gaining_class": fom.by_gaining_class,
            }
            agreement_map = change_agreement_map(
                maps["initial"], maps["observed"], maps["simulated"]
            )
            written.append(str(write_raster(agreement_map, folder / "change_agreement.tif")))
        for stem, frame in frames.items():
            write_csv(frame, folder / f"{stem}.csv", index=True, overwrite=overwrite)
            written.append(str(folder / f"{stem}.csv"))
    emit({**summary, "files": written})
    say(
        f"overall accuracy {stats.overall_accuracy:.4f}, kappa {stats.kappa:.4f}, "
        f"quantity disagreement {stats.quantity_disagreement:.4f}, "
        f"allocation disagreement {stats.allocation_disagreement:.4f}"
    )
    if fom is not None:
        o = fom.overall
        say(
            f"figure of merit {o['fom']:.4f} (hits {o['hits']:.0f}, misses {o['misses']:.0f}, "
            f"wrong hits {o['wrong_hits']:.0f}, false alarms {o['false_alarms']:.0f})"
        )
    for path in written:
        say(f"wrote {path}")
