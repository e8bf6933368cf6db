"""``landcarbon breaks VALUES --k 5 --method natural``: class edges of a column or raster."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from landcarbon.cli.commands.geodetector import TABLE_SUFFIXES, read_frame
from landcarbon.cli.output import emit, say
from landcarbon.errors import ParameterError, TableError

if TYPE_CHECKING:  # numpy and pandas load only when the command runs (`landcarbon --help`)
    import numpy as np


def register(app: typer.Typer) -> None:
    app.command("breaks")(breaks)


def _values(path: Path, column: str | None) -> np.ndarray:
    """The numeric values of a table column or of a raster (nodata left out)."""
    import numpy as np
    import pandas as pd

    if path.suffix.lower() not in TABLE_SUFFIXES:
        from landcarbon.raster import read_raster

        return np.asarray(read_raster(path, "continuous").data).ravel()
    frame = read_frame(path)
    numeric = [str(c) for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    if column is None and len(numeric) == 1:
        column = numeric[0]
    if column is None or column not in frame.columns:
        what = "give --column" if column is None else f"column {column!r} not found"
        raise TableError(f"{path}: {what}; available columns: {', '.join(map(str, frame.columns))}")
    if column not in numeric:
        raise TableError(f"{path}: column {column!r} is not numeric; choose a numeric column")
    return frame[column].to_numpy(dtype=np.float64)


def breaks(
    values: Path = typer.Argument(..., help="CSV/Parquet table (with --column) or a raster."),
    k: int = typer.Option(5, "--k", help="Number of classes."),
    method: str = typer.Option(
        "natural", "--method", help="natural, equal, quantile, geometric or sd."
    ),
    column: str = typer.Option(
        None, "--column", help="Column of a table (default: the only numeric one)."
    ),
    closed: str = typer.Option(
        "right", "--closed", help="Which side of a class includes its edge: right or left."
    ),
) -> None:
    """Class edges (k + 1, min..max) and class counts; NaN/nodata ignored."""
    import numpy as np

    from landcarbon.stats.classify import assign_classes
    from landcarbon.stats.classify import breaks as class_edges

    data = _values(values, column)
    try:
        edges = class_edges(data, k, method)
    except ParameterError as err:  # the data's own limit (k > distinct values, ...): name them
        raise ParameterError(f"{values}: {err}") from None
    classes = assign_classes(data, edges, closed)  # type: ignore[arg-type]
    counts = np.bincount(classes[classes > 0], minlength=len(edges))[1:]
    summary = {
        "source": str(values),
        "method": method,
        "k": k,
        "closed": closed,
        "n": int(counts.sum()),
        "edges": edges.tolist(),
        "counts": counts.tolist(),
    }
    emit(summary)
    say(f"[bold]breaks[/bold] {method}, k = {k}, {summary['n']} values, {closed}-closed")
    for i, count in enumerate(counts):
        say(f"  class {i + 1}: {edges[i]:.6g} .. {edges[i + 1]:.6g}  ({count} values)")
