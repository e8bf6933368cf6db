"""Synchronous sweep + quota allocation: the quota cut by hand, tilings bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from landcarbon.errors import ComputeError, InputFileError, ParameterError
from landcarbon.landuse.allocation import (
    AllocationParameters,
    CarsParameters,
    FlusParameters,
    allocate,
    prepare,
    seed_key,
)
from landcarbon.landuse.conversion import ConversionMatrix
from landcarbon.landuse.tiled import (
    STATE_FILE,
    Checkpoint,
    Tile,
    admitted,
    allocate_synchronous,
    cutoffs,
    fingerprint,
    quotas,
    run_synchronous,
)
from landcarbon.raster import CLASS_NODATA
from landcarbon.testing import make_raster

CODES = [10, 20, 30, 40]


def test_quotas_hand_case() -> None:
    proposed = np.zeros((2, 3, 3), dtype=np.int64)
    proposed[0, 0, 1] = 10  # 0 -> 1, near a cell of class 1
    proposed[0, 2, 1] = 30
    proposed[1, 0, 2] = 4  # new patch seeds of class 2
    proposed[1, 1, 2] = 4
    q = quotas(proposed, np.array([0, 20, 100]), np.array([1, 100, 100]), seed_cap=3)
    # round 1: seeds 4, 4 -> 2, 1 (the tie of remainders to the lower index); class 1's
    # 20 cells -> 5 and 15; class 0 may lose 1 of its 5 + 2 -> 1 and 0.
    # round 2: class 1 takes 4 more from class 2; the last 2 seeds go to 1 -> 2.
    expected = np.zeros_like(proposed)
    expected[0, 0, 1] = 1
    expected[0, 2, 1] = 19
    expected[1, 1, 2] = 3
    np.testing.assert_array_equal(q, expected)


def test_quotas_never_pass_a_cap() -> None:
    rng = np.random.default_rng(5)
    for _ in range(50):
        proposed = rng.integers(0, 40, size=(2, 4, 4)) * (1 - np.eye(4, dtype=np.int64))
        gain, loss = rng.integers(0, 60, 4), rng.integers(0, 60, 4)
        seed_cap = int(rng.integers(0, 30))
        q = quotas(proposed, gain, loss, seed_cap=seed_cap)
        assert (q <= proposed).all() and (q >= 0).all()
        assert (q.sum(axis=(0, 1)) <= gain).all() and (q.sum(axis=(0, 2)) <= loss).all()
        # as large as the caps allow: every category left out has a spent cap
        spent_gain = q.sum(axis=(0, 1)) == gain
        spent_loss = q.sum(axis=(0, 2)) == loss
        short = (q < proposed).nonzero()
        for s, old, new in zip(*short, strict=True):
            assert spent_gain[new] or spent_loss[old] or (s == 1 and q[1].sum() == seed_cap)


def test_cutoffs_take_the_smallest_keys_ties_by_cell() -> None:
    category = np.array([0, 0, 0, 1, 1, 2])
    order = np.array([5, 3, 3, 7, 1, 9], dtype=np.uint64)
    cell = np.array([10, 12, 4, 0, 9, 2])
    quota = np.array([2, 0, 5])
    cut_order, cut_cell = cutoffs(category, order, cell, quota)
    np.testing.assert_array_equal(cut_order, [3, 0, 9])
    np.testing.assert_array_equal(cut_cell, [12, -1, 2])
    ok = admitted(category, order, cell, cut_order, cut_cell)
    np.testing.assert_array_equal(ok, [False, True, True, False, False, True])


def _problem(seed: int, shape: tuple[int, int] = (23, 29)):
    """A random 4-class map with nodata, a conversion matrix, a zone and a demand."""
    rng = np.random.default_rng(seed)
    lu = np.asarray(CODES)[rng.integers(0, 4, size=shape)]
    lu[rng.random(shape) < 0.08] = CLASS_NODATA
    prob = rng.uniform(0.01, 1.0, size=(4, *shape))
    allowed = np.ones((4, 4), dtype=bool)
    allowed[3, 0] = False
    zone = np.where(rng.random(shape) < 0.1, 0, 1)
    zone[5:9, 5:12] = 2
    valid = lu != CLASS_NODATA
    counts = np.array([(lu == c).sum() for c in CODES])
    shift = np.array([-60, 25, 45, -10]) * shape[0] * shape[1] // 667
    demand = dict(zip(CODES, (counts + shift).tolist(), strict=True))
    assert sum(demand.values()) == valid.sum()
    layers = [make_raster(p) for p in prob]
    stack = xr.concat(layers, dim="class").assign_coords({"class": CODES})
    return (
        make_raster(lu.astype(np.int32)),
        stack,
        demand,
        ConversionMatrix(tuple(CODES), allowed),
        make_raster(zone),
    )


PARAMETERS = [
    CarsParameters(development_class=30),
    CarsParameters(neighborhood=5, expansion_coefficient=0.3, percentage_of_seeds=0.001),
    FlusParameters(),
    FlusParameters(variant="paper", neighborhood=5),
]
IDS = ["cars-zone", "cars-5x5", "flus-released", "flus-paper-5x5"]


@pytest.mark.parametrize("parameters", PARAMETERS, ids=IDS)
def test_any_tiling_gives_the_same_map(parameters: AllocationParameters) -> None:
    lulc, prob, demand, conversion, zone = _problem(1)
    if parameters.development_class is None:
        zone = zone.where(zone != 2, 1)
    maps = {}
    for tiles in [(1, 1), (2, 2), (3, 3), ([0, 2, 15, 23], [0, 11, 13, 29]), (1, 4)]:
        result = allocate_synchronous(
            lulc,
            prob,
            demand,
            conversion=conversion,
            restriction=zone,
            parameters=parameters,
            seed=11,
            tiles=tiles,
        )
        assert result.converged, (tiles, result.residual_cells)
        maps[str(tiles)] = result.lulc.values
    first = maps.pop("(1, 1)")
    values = first[first != CLASS_NODATA]
    assert {c: int((values == c).sum()) for c in CODES} == demand
    start = lulc.values
    changed = first != start
    assert changed.sum() >= 70  # the demand moves 70 cells
    assert not changed[zone.values == 0].any()  # no change where the zone forbids it
    assert not (changed & (start == 40) & (first == 10)).any()  # the forbidden 40 -> 10
    for tiles, other in maps.items():
        np.testing.assert_array_equal(first, other, err_msg=tiles)


def test_one_tile_is_the_in_memory_synchronous_engine() -> None:
    lulc, prob, demand, conversion, zone = _problem(2)
    zone = zone.where(zone != 2, 1)
    parameters = CarsParameters()
    result = allocate_synchronous(
        lulc, prob, demand, conversion=conversion, restriction=zone, seed=4, tiles=(2, 3)
    )
    problem = prepare(
        lulc, prob, demand, conversion=conversion, restriction=zone, parameters=parameters
    )
    iterations, converged, _, history = run_synchronous(problem, parameters, seed_key(4))
    lookup = np.asarray(CODES)
    in_memory = np.where(problem.cls >= 0, lookup[np.maximum(problem.cls, 0)], CLASS_NODATA)
    np.testing.assert_array_equal(result.lulc.values, in_memory)
    assert iterations == result.iterations and converged
    np.testing.assert_array_equal(history, result.residual_history)


def test_no_class_passes_its_demand_in_any_iteration() -> None:
    lulc, prob, demand, conversion, _ = _problem(3)
    parameters = CarsParameters(max_iterations=1)
    goal = np.array([demand[c] for c in CODES])
    start = np.array([(lulc.values == c).sum() for c in CODES])
    growing = goal > start
    current = lulc
    for i in range(6):  # one iteration at a time: every intermediate map
        result = allocate_synchronous(
            current, prob, demand, conversion=conversion, parameters=parameters, seed=i
        )
        current = result.lulc
        counts = np.array([(current.values == c).sum() for c in CODES])
        assert (counts[growing] <= goal[growing]).all()
        assert (counts[~growing] >= goal[~growing]).all()


def test_tiles_smaller_than_the_halo_are_refused() -> None:
    lulc, prob, demand, *_ = _problem(4)
    with pytest.raises(ParameterError, match=r"rows 0\.\.0 is 1 rows wide.*halo of 2.*at least 2"):
        allocate_synchronous(
            lulc, prob, demand, parameters=CarsParameters(neighborhood=5), tiles=([0, 1, 23], 2)
        )
    with pytest.raises(ParameterError, match=r"columns edges \[0, 5, 28\] must rise from 0"):
        allocate_synchronous(lulc, prob, demand, tiles=(2, [0, 5, 28]))


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        (CarsParameters(transition_plan=True), "transition_plan = true walks"),
        (FlusParameters(flus_compat=True), "flus_compat = true is the FLUS C"),
    ],
)
def test_sequential_walks_are_refused(parameters: AllocationParameters, message: str) -> None:
    lulc, prob, demand, *_ = _problem(5)
    with pytest.raises(ParameterError, match=message):
        allocate_synchronous(lulc, prob, demand, parameters=parameters)


@pytest.mark.parametrize(
    ("workers", "processes"), [(1, False), (2, False), (2, True)], ids=["1", "2", "2-processes"]
)
def test_dask_workers_give_the_in_memory_map(workers: int, processes: bool) -> None:
    from distributed import Client, LocalCluster

    lulc, prob, demand, conversion, zone = _problem(1)
    zone = zone.where(zone != 2, 1)
    kwargs = {"conversion": conversion, "restriction": zone, "seed": 11}
    in_memory = allocate_synchronous(lulc, prob, demand, **kwargs)
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=processes, dashboard_address=None
    )
    with cluster, Client(cluster) as client:
        spread = allocate_synchronous(lulc, prob, demand, tiles=(3, 2), client=client, **kwargs)
        placed = client.run(lambda dask_worker: len(dask_worker.state.actors))
    assert sorted(placed.values()) == [6 // workers] * workers  # the tiles are on the workers
    assert spread.iterations == in_memory.iterations > 3
    np.testing.assert_array_equal(spread.lulc.values, in_memory.lulc.values)


class _Killed(Exception):
    """Stands for the process dying in the middle of an iteration."""


def _die_at_accept(monkeypatch, call: int) -> None:
    """Make the ``call``-th call of Tile.accept (counted from 1) raise _Killed."""
    accept = Tile.accept
    calls = []

    def dying_accept(self, *args):
        calls.append(1)
        if len(calls) == call:
            raise _Killed
        return accept(self, *args)

    monkeypatch.setattr(Tile, "accept", dying_accept)


def test_a_killed_run_resumes_from_its_checkpoint_and_gives_the_same_map(
    tmp_path, monkeypatch
) -> None:
    lulc, prob, demand, conversion, zone = _problem(1)
    zone = zone.where(zone != 2, 1)
    kwargs = {"conversion": conversion, "restriction": zone, "seed": 11}
    whole = allocate_synchronous(lulc, prob, demand, **kwargs)
    assert whole.iterations > 6
    folder = tmp_path / "out" / "checkpoint"
    with monkeypatch.context() as m:
        _die_at_accept(m, 5 * 4 + 3)  # tile 2 of 4 dies in iteration 5, after the save at 4
        with pytest.raises(_Killed):
            allocate_synchronous(
                lulc, prob, demand, tiles=(2, 2), checkpoint=Checkpoint(folder, every=2), **kwargs
            )
    saved = sorted(p.name for p in folder.iterdir())
    assert saved == [STATE_FILE] + [f"tile_{i:05d}_000004.npz" for i in range(4)]
    propose = Tile.propose
    iterations = []

    def recording_propose(self, step, strips):
        iterations.append(step.iteration)
        return propose(self, step, strips)

    monkeypatch.setattr(Tile, "propose", recording_propose)
    resumed = allocate_synchronous(
        lulc, prob, demand, tiles=(1, 3), checkpoint=Checkpoint(folder, every=2), **kwargs
    )
    assert iterations[0] == 4  # it started from the save, with another tiling
    np.testing.assert_array_equal(resumed.lulc.values, whole.lulc.values)
    assert resumed.iterations == whole.iterations
    np.testing.assert_array_equal(resumed.residual_history, whole.residual_history)
    assert list(folder.iterdir()) == []  # the run ended: its checkpoint is removed


def test_a_checkpoint_of_another_run_is_refused(tmp_path, monkeypatch) -> None:
    lulc, prob, demand, *_ = _problem(7)
    checkpoint = Checkpoint(tmp_path / "checkpoint", every=1)
    with monkeypatch.context() as m:
        _die_at_accept(m, 2)  # after the save of iteration 1
        with pytest.raises(_Killed):
            allocate_synchronous(lulc, prob, demand, seed=1, checkpoint=checkpoint)
    with pytest.raises(ParameterError, match=r"allocation_state.npz: checkpoint of another"):
        allocate_synchronous(lulc, prob, demand, seed=2, checkpoint=checkpoint)
    (tmp_path / "checkpoint" / "tile_00000_000001.npz").unlink()
    with pytest.raises(InputFileError, match=r"iteration 1 has 0 of its 1 tile files; remove"):
        allocate_synchronous(lulc, prob, demand, seed=1, checkpoint=checkpoint)


def test_a_lost_worker_is_survived_from_the_checkpoint(tmp_path, monkeypatch) -> None:
    import os
    import signal

    from distributed import Client, LocalCluster

    from landcarbon.landuse import tiled

    lulc, prob, demand, conversion, zone = _problem(1)
    zone = zone.where(zone != 2, 1)
    kwargs = {"conversion": conversion, "restriction": zone, "seed": 11, "tiles": (2, 2)}
    in_memory = allocate_synchronous(lulc, prob, demand, **kwargs)
    assert in_memory.iterations > 6
    quotas, resume = tiled.quotas, tiled._resume
    calls, resumed_at = [], []

    def resume_recorded(*args):
        out = resume(*args)
        resumed_at.append(None if out is None else out[0].iteration)
        return out

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0")
    with cluster, Client(cluster) as client:

        def holder(dask_worker):
            return os.getpid() if dask_worker.state.actors else None

        def quotas_then_kill(*args):  # a worker process dies in iteration 5 (counted from 0)
            calls.append(1)
            if len(calls) == 6:  # one that holds tiles
                os.kill(next(p for p in client.run(holder).values() if p), signal.SIGKILL)
            return quotas(*args)

        monkeypatch.setattr(tiled, "quotas", quotas_then_kill)
        monkeypatch.setattr(tiled, "_resume", resume_recorded)
        checkpoint = Checkpoint(tmp_path / "checkpoint", every=2)
        result = allocate_synchronous(
            lulc, prob, demand, client=client, checkpoint=checkpoint, **kwargs
        )
        calls.clear()
        client.wait_for_workers(2)
        with pytest.raises(ComputeError, match=r"worker holding tile \d was lost.*give a checkp"):
            allocate_synchronous(lulc, prob, demand, client=client, **kwargs)
    assert resumed_at == [None, 4]  # started afresh, then resumed from the save at 4
    np.testing.assert_array_equal(result.lulc.values, in_memory.lulc.values)
    assert result.iterations == in_memory.iterations


def test_tile_files_left_by_an_attempt_killed_before_its_state_do_not_break_a_resume(
    tmp_path, monkeypatch
) -> None:
    lulc, prob, demand, *_ = _problem(7)
    whole = allocate_synchronous(lulc, prob, demand, seed=1)
    checkpoint = Checkpoint(tmp_path / "checkpoint", every=1)
    checkpoint.folder.mkdir()
    (checkpoint.folder / "tile_00003_000001.npz").write_bytes(b"of a 4-tile attempt")
    with monkeypatch.context() as m:
        _die_at_accept(m, 2)  # after the save of iteration 1, on one tile
        with pytest.raises(_Killed):
            allocate_synchronous(lulc, prob, demand, seed=1, checkpoint=checkpoint)
    assert sorted(p.name for p in checkpoint.folder.iterdir()) == [
        STATE_FILE,
        "tile_00000_000001.npz",
    ]
    resumed = allocate_synchronous(lulc, prob, demand, seed=1, checkpoint=checkpoint)
    np.testing.assert_array_equal(resumed.lulc.values, whole.lulc.values)


def test_the_checkpoint_fingerprint_hashes_the_stack_without_copying_it() -> None:
    """The fingerprint reads each array's buffer: no bytes copy of the probability stack
    (8 bytes per cell and class) on top of the allocation's maps."""
    import tracemalloc

    rng = np.random.default_rng(4)
    lulc = make_raster(rng.choice([1, 2], size=(200, 200)).astype(np.int32))
    prob = xr.concat(
        [lulc.copy(data=p) for p in rng.random((2, 200, 200))], dim="class"
    ).assign_coords({"class": [1, 2]})
    demand = {1: int((lulc == 1).sum()), 2: int((lulc == 2).sum())}
    problem = prepare(lulc, prob, demand)
    expected = fingerprint(problem, CarsParameters(), 1)
    tracemalloc.start()
    try:
        assert fingerprint(problem, CarsParameters(), 1) == expected
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < problem.prob.nbytes / 4, f"{peak} bytes held while hashing"


@pytest.mark.parametrize("engine", ["sequential", "synchronous"])
@pytest.mark.parametrize(
    "parameters",
    [*PARAMETERS, FlusParameters(flus_compat=True)],
    ids=[*IDS, "flus-compat"],
)
def test_a_float32_stack_gives_the_map_of_its_values_as_float64(
    parameters: AllocationParameters, engine: str
) -> None:
    """A float32 stack (the suitability files' dtype) is held as float32, 4 bytes per cell
    and class, and gives bit for bit the map, iterations and residual history of the same
    values widened to float64: the kernels widen each probability before computing."""
    if engine == "synchronous" and getattr(parameters, "flus_compat", False):
        pytest.skip("flus_compat is a sequential walk")
    lulc, prob, demand, conversion, zone = _problem(5)
    if parameters.development_class is None:
        zone = zone.where(zone != 2, 1)
    single = prob.astype(np.float32)
    single.values[2, 3:6, 4:9] = np.nan  # counts as 0, as in float64
    problem = prepare(
        lulc, single, demand, conversion=conversion, restriction=zone, parameters=parameters
    )
    assert problem.prob.dtype == np.float32
    results = []
    for stack in (single, single.astype(np.float64)):
        options = {"conversion": conversion, "restriction": zone, "parameters": parameters}
        if engine == "sequential":
            results.append(allocate(lulc, stack, demand, seed=8, **options))
        else:
            results.append(
                allocate_synchronous(lulc, stack, demand, seed=8, tiles=(2, 2), **options)
            )
    first, second = results
    assert first.lulc.values.tolist() == second.lulc.values.tolist()
    assert (first.lulc.values != lulc.values).sum() >= 70
    assert first.iterations == second.iterations
    np.testing.assert_array_equal(first.residual_history, second.residual_history)
