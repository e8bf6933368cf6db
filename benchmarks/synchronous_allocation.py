"""Synchronous sweep + quota vs sequential allocation (issue 17): Kappa, FoM, demand error.

Two validation cases, each trained on t0 -> t1 (PLUS LEAS, :func:`fit_suitability`), with
the Markov demand of t2 from the t0 -> t1 matrix, allocated from t1 and scored against the
real t2 (:func:`landcarbon.landuse.accuracy.figure_of_merit`):

* Plum Island (lulcc, 1985 / 1991 / 1999, three drivers; ``../shared/data``);
* the synthetic region (2000 / 2010 / 2020, 400 x 400 cells, seven drivers).

For PLUS CARS and FLUS (released) and allocation seeds 0..9 it runs the sequential engine
(:func:`landcarbon.landuse.allocation.allocate`) and the synchronous one
(:func:`landcarbon.landuse.tiled.allocate_synchronous`) and prints mean +- sd of Kappa, FoM,
the demand error (sum of |demand - allocated| cells), iterations and seconds, the paired
difference (synchronous - sequential) with its 95 % interval, and the Kappa between the two
engines' maps of one seed beside the Kappa between two seeds of the sequential engine.

With ``--speed SIDE`` it instead times CARS to full demand on the synthetic problem of
``benchmarks/allocation.py`` (SIDE x SIDE cells, 5 % of them changing): the sequential
engine, the synchronous one on 1 and 2 x 2 tiles in process, and 2 x 2 tiles on a
``LocalCluster`` of 2 workers (threads), checking that the synchronous maps are identical.

Usage: ``python benchmarks/synchronous_allocation.py [--data ../shared/data] [--seeds 10]
[--speed SIDE]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import xarray as xr
from scipy import stats

from landcarbon.datasets.synthetic import synthetic_region
from landcarbon.landuse.accuracy import agreement, figure_of_merit
from landcarbon.landuse.allocation import CarsParameters, FlusParameters, allocate
from landcarbon.landuse.simulate import (
    complete_stack,
    fit_suitability,
    markov_demand,
    scenario_conversion,
)
from landcarbon.landuse.tiled import allocate_synchronous
from landcarbon.raster import read_raster

MODELS = {"CARS": CarsParameters(), "FLUS (released)": FlusParameters()}
ENGINES = {"sequential": allocate, "synchronous": allocate_synchronous}


def plum_island(data: Path) -> tuple[xr.DataArray, ...]:
    folder = data / "lulcc_plum_island"
    maps = [read_raster(folder / f"lu_pie_{y}.tif", "categorical") for y in (1985, 1991, 1999)]
    drivers = {f"ef_00{i}": read_raster(folder / f"ef_00{i}.tif") for i in (1, 2, 3)}
    return (*maps, drivers, (1985, 1991, 1999))  # type: ignore[return-value]


def synthetic() -> tuple[xr.DataArray, ...]:
    ds = synthetic_region((400, 400), seed=0)
    maps = [ds[f"landuse_{y}"] for y in (2000, 2010, 2020)]
    names = ["dem", "slope", "temperature", "precipitation", "population"]
    drivers = {n: ds[n] for n in [*names, "dist_roads", "dist_towns"]}
    return (*maps, drivers, (2000, 2010, 2020))  # type: ignore[return-value]


def case(t0, t1, t2, drivers, years, seeds: int) -> None:
    prob = fit_suitability(t0, t1, drivers, seed=1, sample_rate=0.1, n_trees=50)
    demand = markov_demand(t0, t1, years=years[:2], target_year=years[2])
    stack = complete_stack(prob, demand.codes)
    cells = demand.cells_by_code()
    conversion = scenario_conversion(demand.codes, None, None)
    print(f"{int((t1.values >= 0).sum())} cells, demand {cells}")
    for model, parameters in MODELS.items():
        rows: dict[str, list[tuple[float, ...]]] = {e: [] for e in ENGINES}
        maps: dict[str, list[xr.DataArray]] = {e: [] for e in ENGINES}
        for seed in range(seeds):
            for engine, run in ENGINES.items():
                start = time.perf_counter()
                result = run(
                    t1, stack, cells, conversion=conversion, parameters=parameters, seed=seed
                )
                seconds = time.perf_counter() - start
                fom = figure_of_merit(t1, t2, result.lulc)
                error = sum(abs(v) for v in result.residual_cells.values())
                overall = fom.overall["fom"]
                kappa = fom.agreement.kappa
                rows[engine].append((kappa, overall, error, result.iterations, seconds))
                maps[engine].append(result.lulc)
        print(f"\n{model}: mean +- sd over {seeds} seeds")
        print("engine | Kappa | FoM | demand error (cells) | iterations | seconds")
        for engine, values in rows.items():
            a = np.asarray(values)
            cols = [f"{m:.4f} +- {s:.4f}" for m, s in zip(a.mean(0), a.std(0, ddof=1), strict=True)]
            print(engine, "|", " | ".join(cols))
        diff = np.asarray(rows["synchronous"]) - np.asarray(rows["sequential"])
        half = stats.t.ppf(0.975, seeds - 1) * diff.std(0, ddof=1) / np.sqrt(seeds)
        for i, name in enumerate(["Kappa", "FoM"]):
            print(f"paired difference {name}: {diff[:, i].mean():+.4f} +- {half[i]:.4f} (95 %)")
        between = [
            agreement(s, y).kappa
            for s, y in zip(maps["sequential"], maps["synchronous"], strict=True)
        ]
        seeds_apart = [
            agreement(a, b).kappa
            for a, b in zip(*(maps["sequential"][i::2] for i in (0, 1)), strict=True)
        ]
        print(
            f"Kappa synchronous vs sequential, same seed: {np.mean(between):.4f}; "
            f"sequential seed vs seed: {np.mean(seeds_apart):.4f}"
        )


def speed(side: int) -> None:
    from allocation import N_CLASSES, synthetic  # benchmarks/allocation.py
    from distributed import Client, LocalCluster

    from landcarbon.landuse.allocation import AllocationProblem, run_allocation, seed_key
    from landcarbon.landuse.conversion import check_demand_reachable, donor_floor, movable_groups
    from landcarbon.landuse.tiled import run_synchronous

    cls, prob, demand = synthetic(side)
    allowed = np.ones((N_CLASSES, N_CLASSES), dtype=bool)
    zone = np.ones(cls.shape, dtype=np.uint8)
    groups = movable_groups(cls, prob, allowed, zone)
    counts = np.bincount(cls.ravel(), minlength=N_CLASSES)
    plan = check_demand_reachable(counts, demand, groups, allowed, list(range(N_CLASSES)))
    floor = donor_floor(plan, groups, demand)
    ones, mu = np.ones(N_CLASSES), np.full(N_CLASSES, 0.1)
    codes = list(range(N_CLASSES))

    def problem() -> AllocationProblem:
        fields = (prob, demand, allowed, zone, ones, mu, -1, groups.cell_group, plan, floor)
        return AllocationProblem(codes, cls.copy(), *fields)

    runs = {
        "sequential": lambda p: run_allocation(p, CarsParameters(), seed_key(1)),
        "synchronous, 1 tile": lambda p: run_synchronous(p, CarsParameters(), seed_key(1)),
        "synchronous, 2 x 2 tiles": lambda p: run_synchronous(
            p, CarsParameters(), seed_key(1), (2, 2)
        ),
    }
    maps = {}
    for name, run in runs.items():
        p = problem()
        start = time.perf_counter()
        iterations, converged, _, _ = run(p)
        print(f"{name}: {time.perf_counter() - start:.2f} s, {iterations} iterations, {converged=}")
        maps[name] = p.cls
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False) as cluster:
        with Client(cluster) as client:
            p = problem()
            start = time.perf_counter()
            iterations, *_ = run_synchronous(p, CarsParameters(), seed_key(1), (2, 2), client)
            seconds = time.perf_counter() - start
    print(f"synchronous, 2 x 2 tiles on 2 dask workers: {seconds:.2f} s, {iterations} iterations")
    same = all(np.array_equal(maps["synchronous, 1 tile"], m) for m in [*maps.values(), p.cls][2:])
    print(f"synchronous maps identical: {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--speed", type=int, default=0, help="time SIDE x SIDE cells")
    args = parser.parse_args()
    if args.speed:
        speed(args.speed)
        return
    print("== Plum Island")
    case(*plum_island(args.data), seeds=args.seeds)
    print("\n== synthetic region 400 x 400")
    case(*synthetic(), seeds=args.seeds)


if __name__ == "__main__":
    main()
