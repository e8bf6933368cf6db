"""``landcarbon geodetector``: factor, interaction, risk and ecological detectors (+ OPGD).

Table input: ``--table T.csv --y COL --x A B C``; raster input: ``--raster-y Y.tif
--raster-x A.tif B.tif`` (factor names are the file names; integer rasters are strata).
``--x``/``--raster-x`` take several values after one flag (or the flag repeated).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import typer

from landcarbon.cli.options import OUT, OVERWRITE, SEED, number, prepare_out_dir
from landcarbon.cli.output import emit, say
from landcarbon.errors import InputFileError, ParameterError

if TYPE_CHECKING:  # pandas loads only when a table is read (`landcarbon --help` stays light)
    import pandas as pd

TABLE_SUFFIXES = (".csv", ".txt", ".parquet", ".pq")


def register(app: typer.Typer) -> None:
    app.command(
        "geodetector",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": False},
    )(geodetector)


def read_frame(path: Path) -> pd.DataFrame:
    """Read a CSV (UTF-8 or Latin-1, via the class-table reader) or Parquet table."""
    import pandas as pd

    from landcarbon.tables import read_frame

    if not path.is_file():
        raise InputFileError(f"{path}: table file not found")
    if path.stat().st_size == 0:
        raise InputFileError(f"{path}: the table file is empty")
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            return pd.read_parquet(path)
        except ImportError as exc:
            raise InputFileError(
                f"{path}: reading Parquet needs pyarrow (pip install pyarrow); or save the "
                f"table as CSV"
            ) from exc
    return read_frame(path)


def raster_kind(path: Path) -> str:
    """``categorical`` for integer rasters, ``continuous`` otherwise."""
    import numpy as np

    from landcarbon.raster import open_dataset

    with open_dataset(path) as ds:
        return "categorical" if np.issubdtype(np.dtype(ds.dtypes[0]), np.integer) else "continuous"


def _factor_list(given: list[str] | None, extra: list[str]) -> list[str]:
    return [*(given or []), *extra]


def geodetector(
    ctx: typer.Context,
    table: Path = typer.Option(None, "--table", help="CSV or Parquet table, one row per unit."),
    y: str = typer.Option(None, "--y", help="Response column of --table."),
    x: list[str] = typer.Option(None, "--x", help="Factor columns of --table (several)."),
    raster_y: Path = typer.Option(None, "--raster-y", help="Response raster (GeoTIFF)."),
    raster_x: list[Path] = typer.Option(None, "--raster-x", help="Factor rasters (several)."),
    discretize: str = typer.Option(
        None,
        "--discretize",
        help="'auto': OPGD search for every numeric factor with non-integer values or more "
        "than max(50, sqrt(rows)) distinct values (required for such factors).",
    ),
    sample: int = typer.Option(None, "--sample", min=1, help="Use N cells/rows drawn with --seed."),
    sample_method: str = typer.Option(
        "random", "--sample-method", help="random (seeded) or regular (every n-th valid cell)."
    ),
    noncentrality: str = typer.Option(
        "sample",
        "--noncentrality",
        help="Variance in the noncentral-F lambda: sample (geodetector R) or population (GD).",
    ),
    ecological_rule: str = typer.Option(
        "ssw_ratio", "--ecological-rule", help="ssw_ratio (Wang 2010, both orders) or q_ratio."
    ),
    permutations: int = typer.Option(
        0, "--permutations", min=0, help="Also a permutation p of q from N seeded shuffles of y."
    ),
    drop_singletons: bool = typer.Option(
        False, "--drop-singletons", help="Drop one-row strata (gdverse) instead of keeping them."
    ),
    discretize_methods: str = typer.Option(
        "sd,equal,geometric,quantile,natural",
        "--discretize-methods",
        help="OPGD search (--discretize auto): methods tried, comma-separated.",
    ),
    discretize_k: str = typer.Option(
        "3:15",
        "--discretize-k",
        help="OPGD search (--discretize auto): class counts FIRST:LAST tried.",
    ),
    alpha: float = number(
        0.05, "--alpha", gt=0, lt=1, help="Significance level (risk, ecological)."
    ),
    seed: int = SEED,
    out: Path = OUT,
    overwrite: bool = OVERWRITE,
) -> None:
    """GeoDetector q of each factor, pairwise interactions, risk and ecological detectors."""
    from landcarbon.stats.drivers import geodetector_rasters, geodetector_table

    if (table is None) == (raster_y is None):
        raise ParameterError("give either --table (with --y and --x) or --raster-y with --raster-x")
    if discretize not in (None, "auto"):
        raise ParameterError(f"--discretize {discretize}: the only method is 'auto' (OPGD)")
    opgd: Literal["auto"] | None = "auto" if discretize else None
    methods, ks = _search_space(discretize_methods, discretize_k)
    options: dict[str, Any] = {
        "methods": methods,
        "ks": ks,
        "noncentrality": noncentrality,
        "ecological_rule": ecological_rule,
        "permutations": permutations,
        "keep_singletons": not drop_singletons,
        "alpha": alpha,
    }
    if table is not None:
        factors = _factor_list(x, ctx.args)
        if y is None or not factors:
            raise ParameterError("--table needs --y COLUMN and --x COLUMN [COLUMN ...]")
        result = geodetector_table(
            read_frame(table),
            y,
            factors,
            discretize=opgd,
            sample=sample,
            source=str(table),
            seed=seed,
            **options,
        )
    else:
        from landcarbon.raster import read_stack

        paths = [Path(p) for p in _factor_list([str(p) for p in raster_x or []], ctx.args)]
        if not paths:
            raise ParameterError("--raster-y needs --raster-x FILE [FILE ...]")
        y_label = "--raster-y"  # messages name the file as "--raster-y (path)"
        named = {y_label: raster_y, **{p.stem: p for p in paths}}
        stack = read_stack(named, {k: raster_kind(Path(p)) for k, p in named.items()})
        ys = stack.pop(y_label)
        result = geodetector_rasters(
            ys,
            stack,
            sample=sample,
            how=sample_method,
            seed=seed,
            discretize=opgd,
            **options,
        )
    summary = strict_json(result.as_dict())
    if out is not None:
        _write_outputs(result, prepare_out_dir(out, overwrite), summary, alpha)
    emit(summary)
    _say_summary(summary)


def _search_space(methods: str, k_range: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    from landcarbon.stats.opgd import search_space

    first, colon, last = k_range.partition(":")
    if not (colon and first.strip().isdigit() and last.strip().isdigit()):
        raise ParameterError(
            f"--discretize-k {k_range}: give the first and last class count as FIRST:LAST, "
            f"e.g. --discretize-k 3:15"
        )
    names = [m.strip() for m in methods.split(",")]
    return search_space(names, (int(first), int(last)), "--discretize-methods/--discretize-k")


NOT_FINITE_NOTE = (
    "null stands for a number that is not finite: F (and its p) where q = 1 (no variance "
    "left within the strata, F infinite), or a statistic undefined for the data"
)


def strict_json(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, inf; numpy scalars and arrays too) as
    ``None``, so the JSON is strict (no ``NaN``/``Infinity``, which JSON does not allow);
    a dict with ``notes`` that held one gains `NOT_FINITE_NOTE`."""
    import math

    import numpy as np

    found = False

    def clean(v: Any) -> Any:
        nonlocal found
        if isinstance(v, np.ndarray):
            v = v.tolist()
        elif isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, float) and not math.isfinite(v):
            found = True
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [clean(x) for x in v]
        return v

    out = clean(value)
    if found and isinstance(out, dict) and isinstance(out.get("notes"), list):
        out["notes"] = [*out["notes"], NOT_FINITE_NOTE]
    return out


def _write_outputs(result: Any, folder: Path, summary: dict[str, Any], alpha: float) -> None:
    """geodetector.json, factor_q.png and (with 2+ factors) interaction_q.png in ``folder``."""
    import json

    from landcarbon.report.drivers_plots import interaction_heatmap, q_bar_chart
    from landcarbon.writes import write_text

    text = json.dumps(summary, indent=2, default=str, allow_nan=False)
    write_text(text + "\n", folder / "geodetector.json")
    q_bar_chart(result, folder / "factor_q.png", alpha=alpha)
    if result.interaction:
        interaction_heatmap(result, folder / "interaction_q.png")


def _say_summary(summary: dict[str, Any]) -> None:
    say(f"[bold]geodetector[/bold] {summary['n']} rows used, {summary['dropped_rows']} dropped")

    def num(value: float | None, spec: str) -> str:
        return "n/a" if value is None else format(value, spec)  # None: not finite

    factors = summary["factor"].items()
    for name, row in sorted(factors, key=lambda kv: -(kv[1]["q"] or 0.0)):
        chosen = summary["discretization"].get(name)
        how = f"  ({chosen['method']}, k={chosen['k']})" if chosen else ""
        say(f"  {name:<20} q = {num(row['q'], '.6f')}  p = {num(row['p'], '.4g')}{how}")
    for pair, row in summary["interaction"].items():
        say(f"  {pair:<30} q = {num(row['q'], '.6f')}  {row['type']}")
    for note in summary["notes"]:
        say(f"  note: {note}")
