"""Scenario simulation: Markov demand + scenario rules + suitability + allocation.

:func:`simulate` is the composition the ``landcarbon simulate`` command and the study
pipeline call:

1. transfer matrix t0 -> t1 and Markov transition probabilities
   (:mod:`landcarbon.landuse.change`, :mod:`landcarbon.landuse.markov`);
2. the scenario's multipliers, forbidden transitions and demand overrides
   (:func:`landcarbon.landuse.scenarios.scenario_demand`) give the demand in cells at the
   target year;
3. the conversion matrix is the user's matrix AND the scenario's rules (forbidden pairs,
   protected classes);
4. PLUS CARS or FLUS allocation from the t1 map (:mod:`landcarbon.landuse.allocation`), once
   and, with ``runs > 1``, as a Monte Carlo ensemble (:mod:`landcarbon.landuse.montecarlo`).

The suitability stack is an input (from :func:`landcarbon.landuse.suitability.leas` or
``ann_probability``); a demanded class with no band gets probability 0 (it can keep or lose
cells, never gain).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from landcarbon.arrays import categorical
from landcarbon.errors import RasterError
from landcarbon.landuse.accuracy import Agreement, FigureOfMerit, figure_of_merit
from landcarbon.landuse.allocation import (
    AllocationParameters,
    AllocationResult,
    CarsParameters,
    Engine,
    finish,
    prepare,
    run_allocation,
)
from landcarbon.landuse.change import transfer_matrix
from landcarbon.landuse.markov import Demand, project_demand, transition_probabilities
from landcarbon.landuse.scenarios import Scenario, scenario_demand
from landcarbon.raster import write_raster
from landcarbon.writes import write_csv, write_json

if TYPE_CHECKING:  # a study's plan names the files: xarray, scipy and kernels load to simulate
    import xarray as xr

    from landcarbon.landuse.conversion import ConversionMatrix
    from landcarbon.landuse.montecarlo import MonteCarloResult


@dataclass(frozen=True)
class SimulationResult:
    """Outcome of :func:`simulate`.

    Attributes
    ----------
    scenario : str
        Scenario name ("markov" without a scenario).
    target_year : float
        Simulated year.
    demand : landcarbon.landuse.markov.Demand
        Demanded cells and hectares per class.
    conversion : ConversionMatrix
        Conversion matrix used (rows = from, columns = to).
    allocation : AllocationResult
        The map of the run seeded with ``seed``.
    ensemble : MonteCarloResult or None
        Per-cell class frequency and class-area table over ``runs`` runs (``runs > 1``).
    """

    scenario: str
    target_year: float
    demand: Demand
    conversion: ConversionMatrix
    allocation: AllocationResult
    ensemble: MonteCarloResult | None

    def unmet_demand(self, fix: str) -> str | None:
        """One line naming each class that missed its demand, why the run stopped and
        ``fix`` (what to change, in the caller's words: study keys or command options);
        None when every class met its demand."""
        alloc = self.allocation
        if alloc.converged:
            return None
        stop = "locked in" if alloc.locked_in else "iteration limit reached"
        missed = ", ".join(
            f"class {code} {abs(left)} cells {'short of' if left > 0 else 'over'} its demand"
            for code, left in alloc.residual_cells.items()
            if left
        )
        return (
            f"scenario {self.scenario!r} {self.target_year:g}: demand not met after "
            f"{alloc.iterations} iterations ({stop}): {missed}; the map is the allocation "
            f"where it stopped. Fix: {fix}"
        )

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary: demand, residual, iterations, ensemble areas."""
        out: dict[str, Any] = {
            "scenario": self.scenario,
            "target_year": self.target_year,
            "demand_cells": self.demand.cells_by_code(),
            "residual_cells": self.allocation.residual_cells,
            "iterations": self.allocation.iterations,
            "converged": self.allocation.converged,
            "locked_in": self.allocation.locked_in,
            "seed_entropy": str(self.allocation.seed.entropy),
        }
        if self.ensemble is not None:
            out["runs"] = len(self.ensemble.runs)
            out["area_ha"] = {
                str(code): row for code, row in self.ensemble.areas.to_dict("index").items()
            }
        return out


def markov_demand(
    t0: xr.DataArray,
    t1: xr.DataArray,
    *,
    years: tuple[float, float],
    target_year: float,
    scenario: Scenario | None = None,
) -> Demand:
    """Demand at ``target_year`` from the t0 -> t1 Markov chain, under ``scenario``."""
    tp = transition_probabilities(transfer_matrix(t0, t1, years=years))
    if scenario is None:
        return project_demand(tp, target_year)
    return scenario_demand(tp, scenario, target_year)


def scenario_conversion(
    codes: tuple[int, ...], scenario: Scenario | None, matrix: ConversionMatrix | None = None
) -> ConversionMatrix:
    """The user's matrix (default: all allowed) AND the scenario's forbidden/protected rules."""
    from landcarbon.landuse.conversion import ConversionMatrix

    base = (matrix or ConversionMatrix.all_allowed(codes)).reordered(codes, "conversion matrix")
    if scenario is None:
        return ConversionMatrix(codes, base)
    rules = ConversionMatrix.from_scenario(codes, scenario).allowed
    return ConversionMatrix(codes, base & rules)


def complete_stack(probability: xr.DataArray, codes: tuple[int, ...]) -> xr.DataArray:
    """Add a zero band for each demanded class the suitability stack lacks; order by ``codes``."""
    import xarray as xr

    have = [int(c) for c in probability["class"].values]
    missing = [c for c in codes if c not in have]
    if missing:
        zeros = xr.zeros_like(probability.isel({"class": [0]}))
        extra = [zeros.assign_coords({"class": [c]}) for c in missing]
        probability = xr.concat([probability, *extra], dim="class")
    order = [c for c in codes if c in set(have) | set(missing)]
    # a list selects by copying the stack: only when the bands are not already in order
    return probability if order == have else probability.sel({"class": order})


def simulate(
    t0: xr.DataArray,
    t1: xr.DataArray,
    probability: xr.DataArray,
    *,
    years: tuple[float, float],
    target_year: float,
    scenario: Scenario | None = None,
    conversion: ConversionMatrix | None = None,
    restriction: xr.DataArray | None = None,
    parameters: AllocationParameters | None = None,
    runs: int = 1,
    seed: int | None = None,
    start: xr.DataArray | None = None,
    engine: Engine = run_allocation,
) -> SimulationResult:
    """Simulate the land use of ``target_year`` from the t1 map (or from ``start``).

    Parameters
    ----------
    t0, t1 : xarray.DataArray
        Land-use maps of ``years`` (int32 codes, one grid); t1 is the start map.
    probability : xarray.DataArray
        Suitability (class, y, x) on the same grid, values in [0, 1].
    years : (float, float)
        Years of t0 and t1.
    target_year : float
        Year to simulate (>= t1's year; fractional Markov steps are handled by
        :func:`landcarbon.landuse.markov.project_demand`).
    scenario : Scenario, optional
        Markov multipliers, demand overrides (ha), forbidden transitions, protected classes.
    conversion : ConversionMatrix, optional
        Allowed conversions (rows = from, columns = to), combined with the scenario's rules.
    restriction : xarray.DataArray, optional
        Restricted raster: 0 no change, 1 convertible, 2 development zone.
    parameters : CarsParameters or FlusParameters, optional
        Allocation model and knobs (default PLUS CARS defaults).
    runs : int
        Number of allocations; with ``runs > 1`` a Monte Carlo ensemble is added, its seeds
        spawned from ``seed``.
    seed : int, optional
        Seed of the allocation (same seed -> same maps).
    start : xarray.DataArray, optional
        Map the allocation starts from (default t1), e.g. the simulated map of an earlier
        year when years are chained; the demand is still the t0 -> t1 Markov chain projected
        from t1 to ``target_year``, so it does not depend on ``start``.
    engine : callable
        Sweep of each allocation (:data:`landcarbon.landuse.allocation.Engine`): the
        sequential :func:`~landcarbon.landuse.allocation.run_allocation` (default) or the
        synchronous :func:`landcarbon.landuse.tiled.run_synchronous` (tiles, cluster and
        checkpoint bound with :func:`functools.partial`).
    """
    from landcarbon.landuse.montecarlo import monte_carlo

    parameters = parameters or CarsParameters()
    t0, t1 = categorical(t0, "t0"), categorical(t1, "t1")
    demand = markov_demand(t0, t1, years=years, target_year=target_year, scenario=scenario)
    matrix = scenario_conversion(demand.codes, scenario, conversion)
    stack = complete_stack(probability, demand.codes)
    cells = demand.cells_by_code()
    origin = t1 if start is None else categorical(start, "start")
    # one check of the inputs and of the demand's reachability for the run and the ensemble
    problem = prepare(
        origin, stack, cells, conversion=matrix, restriction=restriction, parameters=parameters
    )
    allocation = finish(origin, problem, parameters, seed, engine)
    ensemble = None
    if runs > 1:
        ensemble = monte_carlo(
            origin,
            stack,
            cells,
            runs=runs,
            seed=seed,
            conversion=matrix,
            restriction=restriction,
            parameters=parameters,
            prepared=problem,
            engine=engine,
        )
    name = scenario.name if scenario is not None else "markov"
    return SimulationResult(name, float(target_year), demand, matrix, allocation, ensemble)


def write_simulation(
    result: SimulationResult, out: Path, *, overwrite: bool = False
) -> dict[str, Path]:
    """Write the simulated map, demand, and the ensemble outputs into ``out``.

    Files: ``lulc_<scenario>_<year>.tif``, ``demand_<scenario>.csv``, ``summary.json`` and,
    with an ensemble, ``class_frequency_<scenario>.tif`` (one band per class),
    ``areas_<scenario>.csv`` and ``runs_<scenario>.csv``.
    """
    tag = f"{result.scenario}_{result.target_year:g}"
    files = {
        "lulc": write_raster(result.allocation.lulc, out / f"lulc_{tag}.tif", overwrite=overwrite),
    }
    demand = result.demand.to_frame()
    demand["allocated_cells"] = [
        demand.loc[c, "cells"] - result.allocation.residual_cells[c] for c in demand.index
    ]
    files["demand"] = write_csv(
        demand, out / f"demand_{result.scenario}.csv", index=True, overwrite=overwrite
    )
    if result.ensemble is not None:
        freq = result.ensemble.frequency
        files["frequency"] = write_raster(
            freq,
            out / f"class_frequency_{tag}.tif",
            overwrite=overwrite,
            description=[f"class {int(c)}" for c in freq["class"].values],
            units="share of runs",
        )
        areas = result.ensemble.areas
        files["areas"] = write_csv(
            areas, out / f"areas_{result.scenario}.csv", index=True, overwrite=overwrite
        )
        files["runs"] = write_csv(
            result.ensemble.runs, out / f"runs_{result.scenario}.csv", overwrite=overwrite
        )
    files["summary"] = write_json(result.summary(), out / "summary.json", overwrite=overwrite)
    return files


@dataclass(frozen=True)
class SimulationCheck:
    """Outcome of :func:`validate_simulation`: the simulated t2 scored against the real t2."""

    simulation: SimulationResult
    agreement: Agreement
    figure_of_merit: FigureOfMerit

    def summary(self) -> dict[str, Any]:
        """``kappa``, ``overall_accuracy``, the disagreement components and the Figure of
        Merit: overall with its counts, producer's and user's accuracy, by initial class and
        by transition (see :meth:`FigureOfMerit.as_dict`); and the simulation's residual
        demand (cells), iterations and whether it met its demand."""
        fom = self.figure_of_merit.overall
        published = self.figure_of_merit.as_dict()
        published.pop("fom_counts")
        return published | {
            "kappa": self.agreement.kappa,
            "overall_accuracy": self.agreement.overall_accuracy,
            "fom": fom["fom"],
            "quantity_disagreement": self.agreement.quantity_disagreement,
            "allocation_disagreement": self.agreement.allocation_disagreement,
            "hits": int(fom["hits"]),
            "misses": int(fom["misses"]),
            "wrong_hits": int(fom["wrong_hits"]),
            "false_alarms": int(fom["false_alarms"]),
            "residual_cells": self.simulation.allocation.residual_cells,
            "iterations": self.simulation.allocation.iterations,
            "converged": self.simulation.allocation.converged,
        }


def check_files(year: float) -> dict[str, str]:
    """File names :func:`write_check` writes, by key: the simulated map, the confusion
    matrix, a ``fom_<table>.csv`` per table of :class:`FigureOfMerit` (per class, per
    transition ...), the change agreement map and ``summary.json``."""
    tables = FigureOfMerit.table_fields()
    return {
        "simulated": f"lulc_simulated_{year:g}.tif",
        "confusion": "confusion.csv",
        **{f"fom_{name}": f"fom_{name}.csv" for name in tables},
        "change_agreement": "change_agreement.tif",
        "summary": "summary.json",
    }


CHANGE_COLOURS = ("#d9d9d9", "#e66101", "#1a9641", "#fdb863", "#5e3c99")
"""Colours of the change agreement categories 0-4 (persistence grey, miss orange, hit
green, wrong hit light orange, false alarm purple)."""


def write_check(
    check: SimulationCheck,
    initial: xr.DataArray,
    observed: xr.DataArray,
    out: Path,
    *,
    classes: Mapping[int, tuple[str, str]] | None = None,
    overwrite: bool = False,
) -> dict[str, Path]:
    """Write a validation (:func:`validate_simulation`) into ``out``: the files of
    :func:`check_files`, the simulated map with ``classes`` (code -> name, colour) as its
    legend, the change agreement map (:data:`landcarbon.landuse.accuracy.CHANGE_CATEGORIES`)
    with its own. Used by ``landcarbon validate-sim --out`` and the ``[validation]``
    chapter."""
    from landcarbon.landuse.accuracy import CHANGE_CATEGORIES, change_agreement_map

    names = check_files(check.simulation.target_year)
    files = {key: out / name for key, name in names.items()}
    simulated = check.simulation.allocation.lulc
    write_raster(simulated, files["simulated"], overwrite=overwrite, classes=classes)
    write_csv(
        check.agreement.confusion_frame(), files["confusion"], index=True, overwrite=overwrite
    )
    for name, frame in check.figure_of_merit.tables().items():
        write_csv(frame, files[f"fom_{name}"], index=True, overwrite=overwrite)
    legend = {c: (text, CHANGE_COLOURS[c]) for c, text in CHANGE_CATEGORIES.items()}
    write_raster(
        change_agreement_map(initial, observed, simulated),
        files["change_agreement"],
        overwrite=overwrite,
        classes=legend,
    )
    write_json(check.summary(), files["summary"], overwrite=overwrite)
    return files


def validate_simulation(
    t0: xr.DataArray,
    t1: xr.DataArray,
    t2: xr.DataArray,
    probability: xr.DataArray,
    *,
    years: tuple[float, float, float],
    **options: Any,
) -> SimulationCheck:
    """Train on t0 -> t1, simulate t2 from t1, and compare with the observed t2.

    Kappa and overall accuracy are computed on the full grid (every cell valid in the three
    maps), the Figure of Merit on the three maps t1, observed t2, simulated t2 (Pontius et
    al. 2008, doi:10.1007/s10661-007-9924-5). ``options`` go to :func:`simulate`
    (scenario, conversion, restriction, parameters, seed). A caller that hands its stack
    over (keeps no reference to it) has it freed before the scores are computed.
    """
    import gc

    result = simulate(t0, t1, probability, years=years[:2], target_year=years[2], **options)
    # the stack (4 bytes per cell and class) is freed before the scores, which hold maps of
    # their own; a cached ``.rio`` accessor is a reference cycle that keeps it until collected
    del probability
    gc.collect()
    fom = figure_of_merit(t1, t2, result.allocation.lulc)
    return SimulationCheck(result, fom.agreement, fom)


def band_label(code: int, name: str) -> str:
    """Description of a class's suitability band: ``class <code>: <name>`` (``class
    <code>`` when the class has no other name), read back by :func:`read_probability`."""
    plain = f"class {code}"
    return plain if name == plain else f"{plain}: {name}"


def read_probability(
    path: str | Path, codes: tuple[int, ...], nodata: float = math.nan
) -> xr.DataArray:
    """Read a suitability stack: one band per class, in the order of ``codes`` (ascending).

    Bands described ``class <code>`` or ``class <code>: <name>`` (as :func:`write_simulation`
    and the suitability step write them, :func:`band_label`) are matched by code instead.
    The stack is float32 for a float32 file (4 bytes per cell and band), float64 otherwise,
    ``nodata`` (NaN, or 0.0 as the allocation counts it) for nodata, read into one array
    whose rows of zeros take no memory (:func:`landcarbon.raster.read_bands`).
    """
    from landcarbon.raster import open_dataset, read_bands

    with open_dataset(path) as ds:
        count, described = ds.count, [d or "" for d in ds.descriptions]
    labels = [d.removeprefix("class ").partition(":")[0].strip() for d in described]
    if all(label.lstrip("-").isdigit() for label in labels):
        band_codes = [int(label) for label in labels]
    elif count == len(codes):
        band_codes = list(codes)
    else:
        raise RasterError(
            f"{path}: {count} band(s) for {len(codes)} classes {list(codes)}; "
            f"give one band per class in ascending code order or describe the "
            f"bands 'class <code>'"
        )
    stack = read_bands(path, nodata)
    return stack.rename({"band": "class"}).assign_coords({"class": band_codes})


def fit_suitability(
    t0: xr.DataArray,
    t1: xr.DataArray,
    drivers: Mapping[str, xr.DataArray],
    *,
    seed: int | None = None,
    **leas_options: Any,
) -> xr.DataArray:
    """PLUS LEAS development probability (class, y, x) trained on the t0 -> t1 expansion.

    ``leas_options`` go to :func:`landcarbon.landuse.suitability.leas` (``sample_rate``,
    ``n_trees``, ``mtry``, ``balance``, ``missing``: what to do with drivers that are NaN
    where land use is valid).
    """
    from landcarbon.landuse.suitability import leas

    return leas(t0, t1, drivers, seed=seed, **leas_options).probability
