"""Carbon totals with intervals from a Monte Carlo land-use ensemble.

The storage of a land-use map is linear in its class areas,
``S = Σ_c A_c · d_c`` with ``A_c`` the true area of class ``c`` (ha) and ``d_c`` its
total density ``c_above + c_below + c_soil + c_dead`` (t C/ha): the sum that
:func:`landcarbon.carbon.storage.storage_totals` makes from a class bincount. The
emission-factor emissions are linear too, ``E = Σ_c A_c · δ_c`` (``δ_c`` in t C/ha/yr,
:mod:`landcarbon.carbon.emissions`). So the storage and emissions of every run of an
ensemble follow exactly (float64, to rounding) from the run's class areas, the runs
table of :func:`landcarbon.landuse.montecarlo.monte_carlo` (``runs_<scenario>.csv``),
without the run maps, which the ensemble does not keep. Regional energy emissions do
not depend on the allocation and are left out: they shift a total, not its spread.

Percentiles are numpy's linear interpolation between order statistics; with few runs
the 2.5 and 97.5 percentiles lie just inside the smallest and largest run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from landcarbon.carbon.emissions import FACTOR_COLUMN
from landcarbon.carbon.storage import pool_density
from landcarbon.errors import InputFileError, ParameterError, TableError
from landcarbon.tables import ClassTable

PERCENTILES = (2.5, 50.0, 97.5)
"""Percentiles (0..100) reported for each total: the median and a central 95 % interval."""

STORAGE = "storage_t_c"
"""Per-run column of the storage total (t C)."""

EMISSIONS = "emissions_t_c_yr"
"""Per-run column of the emission-factor (land-use) emissions (t C/yr, negative = sink)."""


@dataclass(frozen=True)
class RunAreas:
    """True class areas of each run of an ensemble.

    Attributes
    ----------
    run : numpy.ndarray
        Run numbers (int64), one per row of ``area_ha``.
    codes : numpy.ndarray
        Class codes (int64), one per column of ``area_ha``.
    area_ha : numpy.ndarray
        Area (ha, float64) of each class in each run, shape (runs, classes).
    source : str
        Where the areas came from, for messages.
    """

    run: np.ndarray
    codes: np.ndarray
    area_ha: np.ndarray
    source: str


def run_areas(
    table: pd.DataFrame, source: str = "the runs table", *, cell_area_ha: float | None = None
) -> RunAreas:
    """Class areas per run from a runs table (one row per run).

    Reads the columns ``area_ha_<code>`` (ha; true areas, also on geographic grids). With
    ``cell_area_ha`` (ha per cell, projected grids only) it reads ``cells_<code>`` instead
    and multiplies: exact cell counts x cell area, as ``storage_totals`` does. A ``run``
    column numbers the runs (default 0, 1, ...). Raises TableError when the columns are
    missing or hold a negative or non-finite value.
    """
    prefix = "area_ha_" if cell_area_ha is None else "cells_"
    columns = [c for c in table.columns if str(c).startswith(prefix)]
    codes = [str(c)[len(prefix) :] for c in columns]
    if not columns or not all(_is_code(c) for c in codes):
        raise TableError(
            f"{source}: needs one column {prefix}<code> per class (columns: "
            f"{', '.join(map(str, table.columns))}); use the runs table of a Monte Carlo "
            f"simulation (runs_<scenario>.csv)"
        )
    area = table[columns].to_numpy(np.float64)
    if cell_area_ha is not None:
        if not np.isfinite(cell_area_ha) or cell_area_ha <= 0:
            raise ParameterError(f"cell_area_ha = {cell_area_ha}: give a positive cell area (ha)")
        area = area * cell_area_ha
    bad = ~np.isfinite(area) | (area < 0)
    if bad.any():
        row, col = (int(i[0]) for i in np.nonzero(bad))
        raise TableError(
            f"{source}: column {columns[col]} row {row + 1} is {area[row, col]}; class areas "
            f"must be finite and non-negative"
        )
    run = table["run"].to_numpy(np.int64) if "run" in table else np.arange(len(table))
    return RunAreas(run, np.array([int(c) for c in codes], dtype=np.int64), area, source)


def _is_code(text: str) -> bool:
    return text.lstrip("-").isdigit()


def read_run_areas(path: str | Path, *, cell_area_ha: float | None = None) -> RunAreas:
    """:func:`run_areas` of a runs CSV (``runs_<scenario>.csv`` of ``write_simulation``)."""
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"{p}: no such runs table; run the simulation with runs > 1")
    return run_areas(pd.read_csv(p), str(p), cell_area_ha=cell_area_ha)


def class_values(areas: RunAreas, table: ClassTable, values: np.ndarray) -> np.ndarray:
    """``values`` (one per table row) aligned to ``areas.codes`` (float64).

    A class of the runs that the table lacks counts 0 when its area is 0 in every run;
    otherwise TableError names it with its largest area, as the map-based totals name
    codes missing from a table.
    """
    position = {int(c): i for i, c in enumerate(table.codes)}
    aligned = np.zeros(len(areas.codes), dtype=np.float64)
    missing = []
    for k, code in enumerate(areas.codes):
        if int(code) in position:
            aligned[k] = values[position[int(code)]]
        elif areas.area_ha[:, k].max(initial=0.0) > 0:
            missing.append(f"{code} (up to {areas.area_ha[:, k].max():,.6g} ha)")
    if missing:
        raise TableError(
            f"{table.source}: codes found in {areas.source} but missing from the table: "
            f"{', '.join(missing)}; add a row for each code"
        )
    return aligned


def run_totals(
    areas: RunAreas, pools: ClassTable, factors: ClassTable | None = None
) -> pd.DataFrame:
    """Totals of every run: ``run``, ``storage_t_c`` (t C) and, with an emission-factor
    table, ``emissions_t_c_yr`` (t C/yr, land-use emissions, negative = sink).

    ``storage_t_c = Σ_c area_ha[c] x total density[c]``, float64: equal to the storage of
    the run's map (linearity; see the module docstring).
    """
    frame = pd.DataFrame({"run": areas.run})
    density = class_values(areas, pools, pool_density(pools))
    frame[STORAGE] = (areas.area_ha * density).sum(axis=1)
    if factors is not None:
        factor = class_values(areas, factors, factors.column(FACTOR_COLUMN).to_numpy(np.float64))
        frame[EMISSIONS] = (areas.area_ha * factor).sum(axis=1)
    return frame


def percentile_name(q: float) -> str:
    """Column suffix of a percentile: 2.5 -> ``p2_5``, 50 -> ``p50``."""
    return "p" + f"{q:g}".replace(".", "_")


def interval_summary(
    totals: pd.DataFrame, percentiles: Sequence[float] = PERCENTILES
) -> dict[str, float]:
    """Spread of each total column of :func:`run_totals` across runs, flat for tables.

    Keys ``runs`` and, per column (``storage_t_c``, ``emissions_t_c_yr``), ``<col>_mean``,
    ``<col>_sd`` (sample sd, ddof=1; NaN for one run), ``<col>_min``, ``<col>_p<q>`` for
    each percentile (``storage_t_c_p2_5``...) and ``<col>_max``, in the column's units.
    """
    if len(totals) == 0:
        raise ParameterError("no runs to summarise; the runs table is empty")
    if any(not 0.0 <= q <= 100.0 for q in percentiles):
        raise ParameterError(f"percentiles {list(percentiles)} must lie in [0, 100]")
    out: dict[str, float] = {"runs": len(totals)}
    for column in (c for c in (STORAGE, EMISSIONS) if c in totals):
        values = totals[column].to_numpy(np.float64)
        out[f"{column}_mean"] = float(values.mean())
        out[f"{column}_sd"] = float(values.std(ddof=1)) if len(values) > 1 else float("nan")
        out[f"{column}_min"] = float(values.min())
        for q in percentiles:
            out[f"{column}_{percentile_name(q)}"] = float(np.percentile(values, q))
        out[f"{column}_max"] = float(values.max())
    return out
