"""Monte Carlo ensembles of the allocation: per-cell class frequency and class-area spread.

Run ``runs`` allocations of one prepared problem with seeds spawned from one
:class:`numpy.random.SeedSequence`. Run ``i`` is reproducible on its own:
``allocate(..., seed=np.random.SeedSequence(entropy, spawn_key=(i,)))`` gives the same map,
where ``entropy`` is recorded in the result. The inputs are checked (and the demand's
reachability solved) once for all runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from landcarbon.errors import ParameterError
from landcarbon.grid import Grid
from landcarbon.landuse.allocation import (
    AllocationParameters,
    AllocationProblem,
    CarsParameters,
    Engine,
    finish,
    prepare,
    run_allocation,
)
from landcarbon.landuse.conversion import ConversionMatrix


@dataclass(frozen=True)
class MonteCarloResult:
    """Outcome of :func:`monte_carlo`.

    Attributes
    ----------
    frequency : xarray.DataArray
        dims (class, y, x): share of runs (0..1) in which each cell ends as each class; NaN
        outside the land-use data.
    areas : pandas.DataFrame
        One row per class code: ``mean_ha``, ``sd_ha`` (sample sd, ddof=1), the requested
        percentiles ``p<q>_ha`` and ``mean_cells``.
    runs : pandas.DataFrame
        One row per run: ``run``, ``iterations``, ``converged``, ``locked_in`` and the area in
        ha of each class (columns ``area_ha_<code>``).
    entropy : int
        Entropy of the root SeedSequence (run i used spawn_key (i,)).
    """

    frequency: xr.DataArray
    areas: pd.DataFrame
    runs: pd.DataFrame
    entropy: int


def monte_carlo(
    lulc: xr.DataArray,
    probability: xr.DataArray,
    demand: Mapping[int, int],
    *,
    runs: int,
    seed: int | None = None,
    conversion: ConversionMatrix | None = None,
    restriction: xr.DataArray | None = None,
    parameters: AllocationParameters | None = None,
    percentiles: Sequence[float] = (2.5, 50.0, 97.5),
    prepared: AllocationProblem | None = None,
    engine: Engine = run_allocation,
) -> MonteCarloResult:
    """Run ``runs`` allocations with seeds spawned from ``seed``.

    Parameters are those of :func:`landcarbon.landuse.allocation.allocate`; ``percentiles``
    (0..100) are reported for each class area. Areas are true hectares from the grid
    (:meth:`Grid.cell_area_ha`), so they vary between runs on geographic grids even when the
    cell counts meet the demand. ``prepared`` is the problem :func:`prepare` made of these
    same arguments, when the caller already has it (``simulate`` shares its single run's):
    the inputs and the demand's reachability are then not checked again. ``engine``
    sweeps each run (:func:`landcarbon.landuse.allocation.finish`; default sequential).
    """
    if runs < 1:
        raise ParameterError(f"runs = {runs}: give at least 1 Monte Carlo run")
    if any(not 0.0 <= q <= 100.0 for q in percentiles):
        raise ParameterError(f"percentiles {list(percentiles)} must lie in [0, 100]")
    parameters = parameters or CarsParameters()
    problem = prepared or prepare(
        lulc,
        probability,
        demand,
        conversion=conversion,
        restriction=restriction,
        parameters=parameters,
    )
    root = np.random.SeedSequence(seed)
    codes = problem.codes
    n_classes = len(codes)
    cell_area = np.broadcast_to(Grid.from_dataarray(lulc).cell_area_ha(), lulc.shape)
    counts = np.zeros((n_classes, *lulc.shape), dtype=np.int32)
    records = []
    for i, child in enumerate(root.spawn(runs)):
        result = finish(lulc, problem, parameters, child, engine)
        out = result.lulc.values
        record: dict[str, object] = {
            "run": i,
            "iterations": result.iterations,
            "converged": result.converged,
            "locked_in": result.locked_in,
        }
        for k, code in enumerate(codes):
            mask = out == code
            counts[k] += mask
            record[f"area_ha_{code}"] = float(cell_area[mask].sum())
            record[f"cells_{code}"] = int(mask.sum())
        records.append(record)
    table = pd.DataFrame.from_records(records)
    frequency = np.where(problem.cls[None] >= 0, counts / runs, np.nan)
    freq_da = xr.DataArray(
        frequency,
        dims=("class", "y", "x"),
        coords={"class": codes, "y": lulc["y"], "x": lulc["x"]},
        name="class_frequency",
    )
    if lulc.rio.crs is not None:
        freq_da = freq_da.rio.write_crs(lulc.rio.crs)
    entropy = root.entropy
    assert isinstance(entropy, int)  # SeedSequence(seed) with an int or None seed
    return MonteCarloResult(freq_da, _area_table(table, codes, percentiles), table, entropy)


def _area_table(
    table: pd.DataFrame, codes: list[int], percentiles: Sequence[float]
) -> pd.DataFrame:
    rows = []
    for code in codes:
        area = table[f"area_ha_{code}"].to_numpy()
        row: dict[str, float] = {
            "code": code,
            "mean_ha": float(area.mean()),
            "sd_ha": float(area.std(ddof=1)) if len(area) > 1 else float("nan"),
        }
        for q in percentiles:
            row[f"p{q:g}_ha"] = float(np.percentile(area, q))
        row["mean_cells"] = float(table[f"cells_{code}"].mean())
        rows.append(row)
    return pd.DataFrame.from_records(rows).set_index("code")
