"""Demand-driven land-use allocation: PLUS CARS and FLUS cellular automata.

:func:`allocate` converts cells of the current map until every class holds its demanded
number of cells (within ``demand_tolerance``), following

* **PLUS CARS** (:class:`CarsParameters`): neighbourhood effect, adaptive driving
  coefficient D_k, multi-type random patch seeds, roulette competition and a decreasing
  threshold tau (Liang et al. 2021, Comput. Environ. Urban Syst. 85:101569,
  doi:10.1016/j.compenvurbsys.2020.101569);
* **FLUS** (:class:`FlusParameters`): self-adaptive inertia and roulette competition (Liu
  et al. 2017, Landsc. Urban Plan. 168:94-116, doi:10.1016/j.landurbplan.2017.07.003),
  either as published (``variant="paper"``) or as the released code behaves
  (``variant="released"``).

Both respect a conversion matrix (rows = from, columns = to), a restricted raster (0 = no
change, 1 = convertible, 2 = development zone) and never move a class above its demand. The
demand is checked for reachability (max-flow) before the first iteration; when direct
conversions cannot meet it but chains can (grassland -> cropland -> built-up), the relay
classes may give cells below their demand while the chain's cells arrive, as the released
FLUS code lets a net-growing class lose cells (docs/allocation.md). Random numbers
are counter-based (seed, iteration, cell), so a seed gives bit-identical maps on any number
of threads. The step is global: the whole map is held in memory (about
``K * 8 + 3`` bytes per cell).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from landcarbon._numba import sweep_threads
from landcarbon.backend import require_in_memory
from landcarbon.errors import AlignmentError, ParameterError
from landcarbon.grid import Grid
from landcarbon.raster import CLASS_NODATA, like

if TYPE_CHECKING:  # the parameters are checked at plan time: kernels, scipy, xarray load to run
    import xarray as xr

    from landcarbon.landuse.conversion import ConversionMatrix

SeedLike = int | np.random.SeedSequence | None

_GLOBAL_CELL = 1 << 62  # cell index of draws that belong to no cell (threshold noise)
_FIX = "load the inputs in memory (no `chunks`): allocation holds the whole map"


@dataclass(frozen=True)
class AllocationParameters:
    """Knobs shared by PLUS CARS and FLUS (PLUS GUI / FLUS config names in brackets).

    Attributes
    ----------
    neighborhood : int
        Window size n of the neighbourhood effect, odd, >= 3 [PLUS "Input Neighborhood",
        FLUS "[Size of neighborhood]"]; default 3.
    neighborhood_weights : mapping of class code to float, optional
        w_k in [0, 1] [PLUS "Neighborhood Weight", FLUS "[Intensity of neighborhood]"];
        classes not given get 1.
    development_class : int, optional
        Class promoted inside development zones (restricted value 2) [PLUS "Development
        type"].
    development_weight : float
        w of the development-zone rule [PLUS "weight"]; default 0.5.
    max_iterations : int
        Iteration limit [FLUS "[Maximum Number Of Iterations]"]; default 1000.
    demand_tolerance : int
        Cells by which each class may miss its demand when the run stops; default 0.
    lock_in_iterations : int
        Consecutive iterations without a single conversion after which the run is declared
        locked in and stops, reporting the residual demand; default 100.
    transition_plan : bool
        Lock-in fix: limit conversions to one transition plan (cells of each group of like
        cells that may become each class; among the plans that meet the demand, the one
        with the most likely conversions), so a flexible class cannot take the only
        conversions an inflexible one had and the demand is always reachable. Off by default
        (PLUS and FLUS have no such plan); see docs/allocation.md.
    """

    neighborhood: int = 3
    neighborhood_weights: Mapping[int, float] = field(default_factory=dict)
    development_class: int | None = None
    development_weight: float = 0.5
    max_iterations: int = 1000
    demand_tolerance: int = 0
    lock_in_iterations: int = 100
    transition_plan: bool = False

    def __post_init__(self) -> None:
        if self.neighborhood < 3 or self.neighborhood % 2 == 0:
            raise ParameterError(
                f"neighborhood = {self.neighborhood}: the window size must be "
                f"an odd number >= 3 (PLUS default 3)"
            )
        for code, w in self.neighborhood_weights.items():
            if not 0.0 <= w <= 1.0:
                raise ParameterError(f"neighborhood_weights[{code}] = {w}: weights are in [0, 1]")
        if not 0.0 < self.development_weight <= 1.0:
            raise ParameterError(
                f"development_weight = {self.development_weight}: must be in "
                f"(0, 1] (PLUS default 0.5)"
            )
        for name in ("max_iterations", "lock_in_iterations"):
            if getattr(self, name) < 1:
                raise ParameterError(f"{name} = {getattr(self, name)}: must be >= 1")
        if self.demand_tolerance < 0:
            raise ParameterError(f"demand_tolerance = {self.demand_tolerance}: must be >= 0 cells")


@dataclass(frozen=True)
class CarsParameters(AllocationParameters):
    """PLUS CARS knobs (see :class:`AllocationParameters` for the shared ones).

    Attributes
    ----------
    patch_generation_threshold : float
        Decay factor delta in (0, 1) of the threshold tau = delta**l * r1 [PLUS "Patch
        generation"]; higher is more conservative. Default 0.5 (value common in papers).
    expansion_coefficient : float or mapping of class code to float
        mu_k in [0, 1] of the patch-seed rule [PLUS "Expansion coefficient"]; default 0.1.
    percentage_of_seeds : float
        Most new patch seeds planted per iteration, as a share of the valid cells [PLUS
        "Percentage of seeds"]; default 0.0001 (the manual's example, 0.01 %).
    decay_step : int, optional
        "Step" of the threshold decay: when the total residual demand falls by less than
        this many cells in an iteration, l grows by one. Default (None):
        max(1, initial total residual / 200).
    """

    patch_generation_threshold: float = 0.5
    expansion_coefficient: float | Mapping[int, float] = 0.1
    percentage_of_seeds: float = 0.0001
    decay_step: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 < self.patch_generation_threshold < 1.0:
            raise ParameterError(
                f"patch_generation_threshold = "
                f"{self.patch_generation_threshold}: the decay factor must "
                f"be in (0, 1)"
            )
        mus = (
            self.expansion_coefficient.values()
            if isinstance(self.expansion_coefficient, Mapping)
            else [self.expansion_coefficient]
        )
        if any(not 0.0 <= m <= 1.0 for m in mus):
            raise ParameterError(
                f"expansion_coefficient = {self.expansion_coefficient}: values are in [0, 1]"
            )
        if not 0.0 <= self.percentage_of_seeds <= 1.0:
            raise ParameterError(
                f"percentage_of_seeds = {self.percentage_of_seeds}: a share "
                f"in [0, 1] (0.0001 = 0.01 % of the cells)"
            )
        if self.decay_step is not None and self.decay_step < 1:
            raise ParameterError(f"decay_step = {self.decay_step}: must be >= 1 cell")


@dataclass(frozen=True)
class FlusParameters(AllocationParameters):
    """FLUS CA knobs (see :class:`AllocationParameters` for the shared ones).

    Attributes
    ----------
    accelerated_factor : float
        a of the self-adaptive inertia update [FLUS "[Accelerated factor]"]; default 0.1.
    variant : {"released", "paper"}
        "released": inertia on the current class only, (w_k + 1e-9), acceptance test
        (r + 1/K)/(t + 1) < sp, inertia update with the accelerated factor, as the released
        FLUS code; "paper": TProb = sp * Omega * Inertia_k * TM with Inertia_k following the
        PLUS D_k rule.
    flus_compat : bool
        Follow the GeoSOS-FLUS C++ sweep instead of landcarbon's demand gates (with
        ``variant="released"`` only): cells visited in raster order, FLUS's demand gate (a
        class is stopped only when it stands at its demand; a growing class may give cells
        and a shrinking one receive them; a cell may convert again), the 5 % anti-reversal
        flags (:func:`flus_reversal_flags`) and the inertia of a class reset to 1 when it
        is drawn at its demand (:func:`landcarbon.landuse._kernels.flus_compat_sweep`). For
        reproducing FLUS runs; no development zones; off by default.
    """

    accelerated_factor: float = 0.1
    variant: Literal["released", "paper"] = "released"
    flus_compat: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 < self.accelerated_factor < 1.0:
            raise ParameterError(
                f"accelerated_factor = {self.accelerated_factor}: must be in "
                f"(0, 1) (FLUS default 0.1)"
            )
        if self.variant not in ("released", "paper"):
            raise ParameterError(f"variant = {self.variant!r}: use 'released' or 'paper'")
        if self.flus_compat and self.variant != "released":
            raise ParameterError(
                "flus_compat = true follows the released FLUS code: use it with "
                "variant = 'released' (model flus), not the paper rule"
            )
        if self.flus_compat and self.development_class is not None:
            raise ParameterError(
                "flus_compat = true reproduces the FLUS C++ sweep, which has no development "
                "zones: leave development_class unset (and no value 2 in the restriction)"
            )
        if self.flus_compat and self.transition_plan:
            raise ParameterError(
                "flus_compat = true reproduces FLUS, which has no transition plan: set "
                "transition_plan = false, or flus_compat = false to keep the plan"
            )


@dataclass(frozen=True)
class AllocationResult:
    """Outcome of :func:`allocate`.

    Attributes
    ----------
    lulc : xarray.DataArray
        Allocated map (int32 class codes, CLASS_NODATA outside the data).
    iterations : int
        Iterations run.
    converged : bool
        Every class is within ``demand_tolerance`` cells of its demand.
    locked_in : bool
        The run stopped because no cell converted for ``lock_in_iterations`` iterations.
    residual_cells : dict of int to int
        Demand minus allocated cells per class code (positive: still short).
    residual_history : ndarray
        Total absolute residual (cells) before each iteration and after the last.
    seed : numpy.random.SeedSequence
        Seed of the run: ``allocate(..., seed=result.seed)`` repeats it, also when no seed was
        given (its ``entropy`` and ``spawn_key`` are the record to keep).
    """

    lulc: xr.DataArray
    iterations: int
    converged: bool
    locked_in: bool
    residual_cells: dict[int, int]
    residual_history: np.ndarray
    seed: np.random.SeedSequence


def plus_drive(drive: np.ndarray, gap_previous: np.ndarray, gap_before: np.ndarray) -> np.ndarray:
    """PLUS adaptive driving coefficient D_k^t (also the FLUS paper's inertia).

    G = demand - allocated cells. With G^{t-1} = ``gap_previous`` and G^{t-2} =
    ``gap_before``: D stays when |G^{t-1}| <= |G^{t-2}|; D * G^{t-2}/G^{t-1} when
    G^{t-1} < G^{t-2} < 0; D * G^{t-1}/G^{t-2} when 0 < G^{t-2} < G^{t-1}
    (Liang et al. 2021, Eq. 7).
    """
    g1 = gap_previous.astype(np.float64)
    g2 = gap_before.astype(np.float64)
    out = drive.astype(np.float64).copy()
    moving_away = np.abs(g1) > np.abs(g2)
    shrink = moving_away & (g1 < g2) & (g2 < 0)
    grow = moving_away & (g2 > 0) & (g2 < g1)
    out[shrink] *= g2[shrink] / g1[shrink]
    out[grow] *= g1[grow] / g2[grow]
    return out


STALL_BOOST = 2.0
"""Factor on the drive of a class still short of its demand after an iteration without any
conversion, under a transition plan (:func:`stalled_drive`)."""
STALL_DRIVE_CAP = 1e6
"""Largest drive :func:`stalled_drive` gives (finite OP: no inf * 0 in the roulette)."""


def stalled_drive(drive: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """Drive after an iteration without any conversion, under a transition plan.

    D_k of every class still short of its demand (G_k > 0) is multiplied by
    :data:`STALL_BOOST`, up to :data:`STALL_DRIVE_CAP`. Eq. 7 leaves D unchanged while a gap
    stands still, so a planned conversion to a class with no cell in the window (a patch
    seed, OP = P (r mu) D) kept losing the roulette to the cell's own class: a tiny map
    could stall for thousands of iterations. With the boost the short class wins the
    roulette whenever its seed rule fires (r < P), so the run moves within about 1/P
    iterations. CARS and the FLUS paper rule (D scales OP of class k); the released FLUS
    inertia weighs the current class only and is left alone.
    """
    return np.where(gap > 0, np.minimum(drive * STALL_BOOST, STALL_DRIVE_CAP), drive)


def flus_inertia(
    inertia: np.ndarray,
    gap: np.ndarray,
    gap_initial: np.ndarray,
    dynamic: np.ndarray,
    accelerated_factor: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Self-adaptive inertia of the released FLUS code; returns (inertia, dynamic gap).

    adj = G / dyn. If 0 < adj < 1 the dynamic gap becomes G and, when adj > 1 - a, the
    inertia is multiplied (G0 > 0) or divided (G0 < 0) by adj + a; if adj > 1 it is
    multiplied or divided by adj**2. Start: dyn = 1.01 * G0, inertia = 1.
    """
    a = accelerated_factor
    g = gap.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        adj = np.where(dynamic != 0, g / dynamic, 0.0)
    out = inertia.astype(np.float64).copy()
    closing = (adj > 0) & (adj < 1)
    new_dynamic = np.where(closing, g, dynamic)
    slow = closing & (adj > 1 - a)
    factor = np.where(slow, adj + a, np.where(adj > 1, adj * adj, 1.0))
    out = np.where(gap_initial > 0, out * factor, np.where(gap_initial < 0, out / factor, out))
    return out, new_dynamic


REVERSAL_DRIFT = 0.05
"""FLUS anti-reversal rule: share of |G0| by which |G| may drift above its best."""


def flus_reversal_flags(
    gap: np.ndarray, gap_initial: np.ndarray, best: np.ndarray, flags: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The released FLUS code's anti-reversal flags; returns (best gap, flags).

    At the start of each iteration, per class: if |G| < |best| the best gap becomes G;
    otherwise, if (|G| - |best|) / |G0| > :data:`REVERSAL_DRIFT` the class is flagged, for
    the rest of the run (the C++ never clears it). A flagged class that had to grow may
    no longer lose cells, a flagged class that had to shrink may no longer gain
    (:func:`landcarbon.landuse._kernels.flus_compat_sweep`). Start: best = G0.
    """
    g = gap.astype(np.float64)
    closer = np.abs(best) > np.abs(g)
    with np.errstate(divide="ignore", invalid="ignore"):
        drift = (np.abs(g) - np.abs(best)) / np.abs(gap_initial.astype(np.float64))
    return np.where(closer, g, best), flags | (~closer & (drift > REVERSAL_DRIFT))


def decayed_threshold(delta: float, level: int, key: np.uint64) -> float:
    """tau = delta**level * r1, r1 ~ N(1, 1) truncated to [0, 2] (PLUS, Liang et al. 2021).

    r1 is drawn by rejection from the counter-based generator keyed by the decay level.
    """
    from landcarbon.landuse import _kernels

    attempt = 0
    while True:
        u1 = _kernels.uniform(key, level, _GLOBAL_CELL, 2 * attempt)
        u2 = _kernels.uniform(key, level, _GLOBAL_CELL, 2 * attempt + 1)
        r1 = 1.0 + math.sqrt(-2.0 * math.log1p(-u1)) * math.cos(2.0 * math.pi * u2)
        if 0.0 <= r1 <= 2.0:
            return float(delta**level * r1)
        attempt += 1


def seed_sequence(seed: SeedLike) -> np.random.SeedSequence:
    """The SeedSequence of a run (``None``: fresh OS entropy, recorded in the result)."""
    return seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)


def seed_key(seed: SeedLike) -> np.uint64:
    """64-bit key of the counter-based generator from an int or a SeedSequence."""
    return np.uint64(seed_sequence(seed).generate_state(1, dtype=np.uint64)[0])


@dataclass
class AllocationProblem:
    """Checked numpy inputs of one allocation (see :func:`prepare`).

    ``cls`` holds class indices (0..K-1 in the order of ``codes``, -1 nodata); ``prob`` the
    stack, float32 or float64 (:func:`stack_dtype`); ``allowed`` is the conversion matrix
    (rows = from); ``zone`` the restricted raster (0/1/2); ``plan`` a transition plan (cells
    of each cell group to become each class: the max-flow plan, or the likely plan with
    ``transition_plan``; used only then), ``cell_group`` the group of every cell (with
    ``transition_plan`` only; else empty) and ``floor`` the fewest cells each class may
    hold during the run (the demand, or less for a class relaying a chain of conversions;
    see :func:`landcarbon.landuse.conversion.donor_floor`).
    """

    codes: list[int]
    cls: np.ndarray
    prob: np.ndarray
    demand: np.ndarray
    allowed: np.ndarray
    zone: np.ndarray
    weights: np.ndarray
    expansion: np.ndarray
    zone_class: int
    cell_group: np.ndarray
    plan: np.ndarray
    floor: np.ndarray


@dataclass
class Schedule:
    """The global part of the iteration loop, shared by every sweep of the map.

    It holds the demand gaps G_k = demand_k - count_k of every iteration and from them
    drives the PLUS adaptive coefficients D_k (or the FLUS inertia), the FLUS anti-reversal
    flags, the CARS threshold decay tau and the stop rule (demand met within
    ``demand_tolerance``, ``max_iterations``, or ``lock_in_iterations`` iterations without a
    conversion). :func:`run_allocation` sweeps the map in memory;
    :mod:`landcarbon.landuse.tiled` sweeps tiles and feeds it the reduced class counts.
    Create it with :meth:`start`; per iteration call :meth:`proceed` (False: stop), sweep
    with ``drive``, ``tau`` and ``reversal``, then :meth:`record` the new counts.
    """

    parameters: AllocationParameters
    demand: np.ndarray
    key: np.uint64
    gaps: list[np.ndarray]
    history: list[int]
    drive: np.ndarray
    dynamic: np.ndarray
    tau: float
    step: int
    best: np.ndarray
    reversal: np.ndarray
    level: int = 0
    idle: int = 0
    iteration: int = 0

    @classmethod
    def start(
        cls,
        parameters: AllocationParameters,
        demand: np.ndarray,
        counts: np.ndarray,
        key: np.uint64,
    ) -> Schedule:
        """Schedule of a run from the class counts (cells) of the start map."""
        cars = parameters if isinstance(parameters, CarsParameters) else None
        gap = demand - counts
        residual = int(np.abs(gap).sum())
        return cls(
            parameters,
            demand,
            key,
            [gap],
            [residual],
            np.ones(len(demand)),
            1.01 * gap,
            decayed_threshold(cars.patch_generation_threshold, 0, key) if cars else 0.0,
            (cars.decay_step or max(1, residual // 200)) if cars else 0,
            gap.astype(np.float64),
            np.zeros(len(demand), dtype=np.bool_),
        )

    @property
    def converged(self) -> bool:
        """Every class is within ``demand_tolerance`` cells of its demand."""
        return bool(np.all(np.abs(self.gaps[-1]) <= self.parameters.demand_tolerance))

    @property
    def locked_in(self) -> bool:
        """The run stopped after ``lock_in_iterations`` iterations without a conversion."""
        return not self.converged and self.idle >= self.parameters.lock_in_iterations

    def proceed(self) -> bool:
        """False when the run stops; else update drive (and flags) for the next iteration."""
        parameters = self.parameters
        if (
            self.iteration >= parameters.max_iterations
            or self.converged
            or self.idle >= parameters.lock_in_iterations
        ):
            return False
        flus = parameters if isinstance(parameters, FlusParameters) else None
        if flus is not None and flus.flus_compat:
            self.best, self.reversal = flus_reversal_flags(
                self.gaps[-1], self.gaps[0], self.best, self.reversal
            )
        if flus is not None and flus.variant == "released":
            self.drive, self.dynamic = flus_inertia(
                self.drive, self.gaps[-1], self.gaps[0], self.dynamic, flus.accelerated_factor
            )
        elif len(self.gaps) >= 2:
            self.drive = plus_drive(self.drive, self.gaps[-1], self.gaps[-2])
        if parameters.transition_plan and self.idle and (flus is None or flus.variant == "paper"):
            self.drive = stalled_drive(self.drive, self.gaps[-1])
        return True

    def record(self, counts: np.ndarray, changed: int) -> None:
        """Close an iteration: class counts (cells) after it and the cells it changed."""
        self.iteration += 1
        self.gaps.append(self.demand - counts)
        self.history.append(int(np.abs(self.gaps[-1]).sum()))
        cars = self.parameters if isinstance(self.parameters, CarsParameters) else None
        if cars is not None and self.history[-2] - self.history[-1] < self.step:
            self.level += 1
            self.tau = decayed_threshold(cars.patch_generation_threshold, self.level, self.key)
        self.idle = self.idle + 1 if changed == 0 else 0

    def outcome(self) -> tuple[int, bool, bool, np.ndarray]:
        """``(iterations, converged, locked_in, residual_history)`` of the run."""
        history = np.asarray(self.history, dtype=np.int64)
        return self.iteration, self.converged, self.locked_in, history


def run_allocation(
    problem: AllocationProblem, parameters: AllocationParameters, key: np.uint64
) -> tuple[int, bool, bool, np.ndarray]:
    """Run the cellular automaton; ``problem.cls`` is changed in place.

    Returns ``(iterations, converged, locked_in, residual_history)``. The sweeps run on
    :func:`sweep_threads` threads (the map does not depend on their number).
    """
    import numba

    threads = numba.get_num_threads()
    numba.set_num_threads(sweep_threads(threads))
    try:
        return _run_allocation(problem, parameters, key)
    finally:
        numba.set_num_threads(threads)


def _run_allocation(
    problem: AllocationProblem, parameters: AllocationParameters, key: np.uint64
) -> tuple[int, bool, bool, np.ndarray]:
    """:func:`run_allocation` on the threads set."""
    from landcarbon.landuse import _kernels

    model = _model_code(parameters)
    cars = parameters if isinstance(parameters, CarsParameters) else None
    flus = parameters if isinstance(parameters, FlusParameters) else None
    cls = problem.cls
    n_classes = problem.prob.shape[0]
    counts = _kernels.class_index_counts(cls, n_classes)
    demand = problem.demand
    origin = cls.copy()  # a cell converts at most once
    quota = problem.plan.copy()
    schedule = Schedule.start(parameters, demand, counts, key)
    n_valid = int((cls >= 0).sum())
    seed_cap = max(1, round(cars.percentage_of_seeds * n_valid)) if cars else n_valid
    half = parameters.neighborhood // 2
    candidate = np.empty(cls.shape, dtype=np.int8)
    seeded = np.empty(cls.shape, dtype=np.bool_)
    compat = flus is not None and flus.flus_compat
    while schedule.proceed():
        iteration = schedule.iteration
        if compat:
            window = _kernels.neighbourhood_counts(cls, n_classes, half)
            changed = _kernels.flus_compat_sweep(
                cls,
                window,
                problem.prob,
                problem.weights,
                schedule.drive,
                problem.allowed,
                problem.zone,
                counts,
                demand,
                schedule.gaps[0],
                schedule.reversal,
                key,
                iteration,
                half,
            )
        else:
            _kernels.propose(
                cls,
                problem.prob,
                problem.weights,
                schedule.drive,
                problem.expansion,
                problem.allowed,
                problem.zone,
                counts > problem.floor,
                model,
                schedule.tau,
                problem.zone_class,
                parameters.development_weight,
                key,
                iteration,
                half,
                candidate,
                seeded,
            )
            changed = _kernels.apply_proposals(
                cls,
                candidate,
                seeded,
                counts,
                demand,
                problem.floor,
                origin,
                key,
                iteration,
                seed_cap,
                problem.cell_group,
                quota,
                parameters.transition_plan,
            )
        schedule.record(counts, changed)
    return schedule.outcome()


Engine = Callable[
    [AllocationProblem, AllocationParameters, np.uint64], tuple[int, bool, bool, np.ndarray]
]
"""An allocation engine: runs a prepared problem in place (see :func:`run_allocation`)."""


def _model_code(parameters: AllocationParameters) -> int:
    from landcarbon.landuse import _kernels

    if isinstance(parameters, CarsParameters):
        return _kernels.CARS
    if isinstance(parameters, FlusParameters):
        return _kernels.FLUS_PAPER if parameters.variant == "paper" else _kernels.FLUS_RELEASED
    raise ParameterError(
        f"parameters must be CarsParameters or FlusParameters, not {type(parameters).__name__}"
    )


def prepare(
    lulc: xr.DataArray,
    probability: xr.DataArray,
    demand: Mapping[int, int],
    *,
    conversion: ConversionMatrix | None = None,
    restriction: xr.DataArray | None = None,
    parameters: AllocationParameters | None = None,
) -> AllocationProblem:
    """Check the inputs of :func:`allocate` and turn them into an :class:`AllocationProblem`.

    Raises the errors listed under :func:`allocate`; the demand reachability check
    (max-flow) runs here, once, so Monte Carlo runs share it.
    """
    from landcarbon.landuse import _kernels
    from landcarbon.landuse.conversion import (
        ConversionMatrix,
        check_demand_reachable,
        donor_floor,
        likely_plan,
        movable_groups,
    )

    parameters = parameters or CarsParameters()
    _model_code(parameters)
    codes = _class_codes(probability)
    prob = _probability_array(probability, lulc)
    cls = _class_indices(lulc, codes)
    counts = _kernels.class_index_counts(cls, len(codes))
    zone = _zone_array(restriction, lulc, cls)
    demand_cells = _demand_array(demand, codes, int(counts.sum()))
    allowed = (conversion or ConversionMatrix.all_allowed(codes)).reordered(codes)
    zone_class = _zone_class(parameters, codes, zone)
    groups = movable_groups(cls, prob, allowed, zone)
    plan = check_demand_reachable(counts, demand_cells, groups, allowed, codes)
    floor = donor_floor(plan, groups, demand_cells)
    if parameters.transition_plan:
        plan = likely_plan(counts, demand_cells, groups, prob)
        floor = donor_floor(plan, groups, demand_cells)
    weights = _per_class(parameters.neighborhood_weights, codes, 1.0)
    mu = getattr(parameters, "expansion_coefficient", 0.0)
    expansion = (
        _per_class(mu, codes, 0.0) if isinstance(mu, Mapping) else np.full(len(codes), float(mu))
    )
    return AllocationProblem(
        codes,
        cls,
        prob,
        demand_cells,
        allowed,
        zone,
        weights,
        expansion,
        zone_class,
        # 4 bytes a cell, read only by the walk of a transition plan: not held otherwise
        groups.cell_group if parameters.transition_plan else np.empty((0, 0), np.int32),
        plan,
        floor,
    )


def allocate(
    lulc: xr.DataArray,
    probability: xr.DataArray,
    demand: Mapping[int, int],
    *,
    conversion: ConversionMatrix | None = None,
    restriction: xr.DataArray | None = None,
    parameters: AllocationParameters | None = None,
    seed: SeedLike = None,
) -> AllocationResult:
    """Allocate land use to the demanded number of cells per class.

    Parameters
    ----------
    lulc : xarray.DataArray
        Current land use (int class codes, CLASS_NODATA outside the data), dims (y, x).
    probability : xarray.DataArray
        Suitability per class, dims (class, y, x), ``class`` coordinate = class codes, values
        in [0, 1]: PLUS LEAS development probability (CARS) or FLUS ANN probability of
        occurrence. NaN counts as 0 (the cell can never become that class).
    demand : mapping of class code to int
        Cells demanded per class; must sum to the valid cells of ``lulc``.
    conversion : ConversionMatrix, optional
        Allowed conversions (rows = from, columns = to); default all allowed.
    restriction : xarray.DataArray, optional
        0 = no change, 1 = convertible, 2 = development zone of
        ``parameters.development_class`` (PLUS "Input Policy"); default all 1.
    parameters : CarsParameters or FlusParameters
        Model and knobs; default ``CarsParameters()``.
    seed : int or numpy.random.SeedSequence, optional
        Seed of the counter-based generator; same seed -> bit-identical map.

    Returns
    -------
    AllocationResult

    Raises
    ------
    AlignmentError
        Probability stack or restriction raster on another grid.
    ParameterError
        Classes missing or extra, demand not summing to the map, probabilities outside
        [0, 1], restriction values other than 0/1/2, or a demand that cannot be reached
        (the message names the class and why).
    """
    parameters = parameters or CarsParameters()
    problem = prepare(
        lulc,
        probability,
        demand,
        conversion=conversion,
        restriction=restriction,
        parameters=parameters,
    )
    return finish(lulc, problem, parameters, seed)


def finish(
    lulc: xr.DataArray,
    problem: AllocationProblem,
    parameters: AllocationParameters,
    seed: SeedLike,
    engine: Engine = run_allocation,
) -> AllocationResult:
    """Run one allocation of a prepared problem (its ``cls`` is left untouched).

    ``engine`` sweeps the map (default the sequential :func:`run_allocation`; the
    synchronous one is :func:`landcarbon.landuse.tiled.run_synchronous`).
    """
    from landcarbon.landuse import _kernels

    run = replace(problem, cls=problem.cls.copy())
    sequence = seed_sequence(seed)
    iterations, converged, locked_in, history = engine(run, parameters, seed_key(sequence))
    lookup = np.asarray(problem.codes, dtype=np.int32)
    out = lookup[np.maximum(run.cls, 0)]
    out[run.cls < 0] = CLASS_NODATA
    final = _kernels.class_index_counts(run.cls, len(problem.codes))
    residual = {c: int(problem.demand[i] - final[i]) for i, c in enumerate(problem.codes)}
    return AllocationResult(
        like(lulc, out, name="lulc_allocated"),
        iterations,
        converged,
        locked_in,
        residual,
        history,
        sequence,
    )


def _class_codes(probability: xr.DataArray) -> list[int]:
    if probability.dims != ("class", "y", "x") or "class" not in probability.coords:
        raise ParameterError(
            f"probability stack has dims {probability.dims}; expected "
            f"('class', 'y', 'x') with a `class` coordinate of class codes "
            f"(as landuse.suitability returns)"
        )
    codes = [int(c) for c in probability["class"].values]
    if len(codes) > 127:
        raise ParameterError(f"{len(codes)} classes: allocation supports at most 127")
    return codes


def _same_grid(da: xr.DataArray, lulc: xr.DataArray, what: str) -> None:
    diff = Grid.from_dataarray(da).difference(Grid.from_dataarray(lulc))
    if diff is not None:
        raise AlignmentError(
            f"{what} is not on the land-use map's grid ({diff}); resample it "
            f"onto the land-use grid (raster.read_stack align='resample')"
        )


def stack_dtype(dtype: np.dtype[Any] | type) -> type:
    """The dtype the allocation holds a stack of ``dtype`` in: float32 stays float32 (the
    suitability files are float32: 4 bytes per cell and class), anything else is float64.

    The kernels widen every probability to float64 before they compute with it (a float32
    times a float64 is a float64, exactly), so a float32 stack gives the map of the same
    values as float64, bit for bit.
    """
    return np.float32 if np.dtype(dtype) == np.float32 else np.float64


def _probability_array(probability: xr.DataArray, lulc: xr.DataArray) -> np.ndarray:
    """The stack as the kernels read it: float32 or float64 (:func:`stack_dtype`), NaN as
    0. Such a stack without NaN (:func:`allocation_stack`) is used as it is, not copied;
    the checks go band by band, so they hold one boolean map at a time."""
    _same_grid(probability.isel({"class": 0}), lulc, "probability stack")
    given = require_in_memory(probability, "allocation", _FIX)
    prob: np.ndarray = np.ascontiguousarray(given, dtype=stack_dtype(given.dtype))
    for k, band in enumerate(prob):
        bad = (band < 0) | (band > 1)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise ParameterError(
                f"probability of class {int(probability['class'][k])} is "
                f"{band[r, c]} at row {r}, column {c}; probabilities must lie "
                f"in [0, 1]"
            )
    if any(np.isnan(band).any() for band in prob):  # the caller's stack is left as it is
        return np.nan_to_num(prob, nan=0.0, copy=np.may_share_memory(prob, given))
    return prob


def allocation_stack(probability: xr.DataArray, dtype: type | None = None) -> xr.DataArray:
    """``probability`` (class, y, x) as :func:`prepare` holds it: one numpy array with NaN
    as 0 (the allocation counts NaN as 0), which :func:`prepare` then uses without a copy
    (4 or 8 bytes per cell and class, instead of the caller's stack and a copy).

    ``dtype`` is float32 or float64; default :func:`stack_dtype` of the stack's own. The
    caller hands its stack over: a numpy stack of that dtype has its NaN set to 0 in place;
    a lazy (dask) one is computed block by block into one preallocated array of zeros (no
    gathered blocks plus their concatenation), of which only the rows that are not 0 are
    written, so a band of zeros takes no memory; any other dtype is converted once
    (float32: rounded to nearest, as a float32 GeoTIFF of the stack would hold it).
    """
    from landcarbon.backend import is_dask, placed_blocks

    data = probability.data
    dtype = dtype or stack_dtype(data.dtype)
    if is_dask(data):  # zeros, then the rows of each block that are not 0: a band of zeros
        out = np.zeros(data.shape, dtype=dtype)  # takes no memory (its pages stay untouched)
        for at, block in placed_blocks(data):
            part: np.ndarray = np.nan_to_num(block.astype(dtype, copy=False), nan=0.0)
            written = (part != 0).any(axis=-1)
            out[at][written] = part[written]
    else:
        out = np.asarray(data, dtype=dtype)
    for band in out:  # band by band: one boolean map at a time
        np.copyto(band, 0.0, where=np.isnan(band))
    return probability.copy(data=out)


def _class_indices(lulc: xr.DataArray | np.ndarray, codes: list[int]) -> np.ndarray:
    """``int8`` class indices (position in ``codes``) of a map of codes, -1 for nodata;
    ParameterError for a code the stack lacks. 1 byte a cell: a chunked (dask) map is
    read block by block, never whole as its int32 codes.
    """
    import xarray as xr

    from landcarbon.backend import is_dask, placed_blocks
    from landcarbon.landuse import _kernels

    data: Any = lulc.data if isinstance(lulc, xr.DataArray) else lulc
    order = np.argsort(codes)
    ascending = np.asarray(codes, dtype=np.int64)[order]
    if is_dask(data):
        cls = np.empty(data.shape, dtype=np.int8)
        unknown = 0
        for at, block in placed_blocks(data):
            cls[at], found = _kernels.class_indices(block, ascending, int(CLASS_NODATA))
            unknown += found
    else:
        cls, unknown = _kernels.class_indices(np.asarray(data), ascending, int(CLASS_NODATA))
    if unknown:
        from landcarbon.tables import class_counts

        extra = sorted(set(class_counts(lulc)) - set(codes))  # the error's path: a recount
        raise ParameterError(
            f"land-use map has class code(s) {extra} that the probability "
            f"stack lacks (classes {codes}); add a probability band per class"
        )
    if not np.array_equal(order, np.arange(len(codes))):  # the stack's order, not ascending
        cls = np.where(cls >= 0, order.astype(np.int8)[cls], cls)
    return cls


def _zone_array(
    restriction: xr.DataArray | None, lulc: xr.DataArray, cls: np.ndarray
) -> np.ndarray:
    """The restricted raster as uint8 0/1/2 (0 outside the land use, ``cls`` < 0)."""
    if restriction is None:
        return np.ones(lulc.shape, dtype=np.uint8)
    _same_grid(restriction, lulc, "restricted-zone raster")
    values = np.asarray(require_in_memory(restriction, "allocation", _FIX))
    if not np.issubdtype(values.dtype, np.integer):  # integer zones are compared as they are
        values = values.astype(np.float64)
    land = cls >= 0
    bad = land & ~np.isin(values, (0, 1, 2))
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise ParameterError(
            f"restricted-zone raster has value {values[r, c]} at row {r}, "
            f"column {c} inside the land-use data; use 0 (no change), "
            f"1 (convertible) or 2 (development zone), no nodata"
        )
    return np.where(land, values, 0).astype(np.uint8)


def _demand_array(demand: Mapping[int, int], codes: list[int], n_valid: int) -> np.ndarray:
    missing = [c for c in codes if c not in demand]
    extra = sorted(set(demand) - set(codes))
    if missing or extra:
        raise ParameterError(
            f"demand must give one number of cells per class {codes}: "
            f"missing {missing}, unknown {extra}"
        )
    cells = np.asarray([demand[c] for c in codes], dtype=np.float64)
    if np.any(cells < 0) or np.any(cells != np.round(cells)):
        raise ParameterError(f"demand {dict(demand)}: cells must be whole numbers >= 0")
    if int(cells.sum()) != n_valid:
        raise ParameterError(
            f"demands sum to {int(cells.sum())} cells but the land-use map "
            f"has {n_valid} valid cells; give demands that add up to the valid cells of the "
            f"start map (areas rounded to whole cells by the largest remainder), and give "
            f"maps cut to the cells valid at every date"
        )
    return cells.astype(np.int64)


def _per_class(values: Mapping[int, float], codes: list[int], default: float) -> np.ndarray:
    extra = sorted(set(values) - set(codes))
    if extra:
        raise ParameterError(
            f"per-class parameter names class code(s) {extra} that are not "
            f"among the classes {codes}"
        )
    return np.asarray([float(values.get(c, default)) for c in codes])


def _zone_class(parameters: AllocationParameters, codes: list[int], zone: np.ndarray) -> int:
    if parameters.development_class is None:
        if np.any(zone == 2):
            raise ParameterError(
                "restricted-zone raster has development zones (value 2) but "
                "no development_class was given; name the class to promote"
            )
        return -1
    if parameters.development_class not in codes:
        raise ParameterError(
            f"development_class {parameters.development_class} is not among the classes {codes}"
        )
    return codes.index(parameters.development_class)


def demand_cells(area_ha: Mapping[int, float], cell_area_ha: float, n_valid: int) -> dict[int, int]:
    """Round class areas (ha) to whole cells summing to ``n_valid`` (largest remainder).

    The areas are first scaled to the region (``n_valid`` cells of ``cell_area_ha``), so a
    Markov projection that lost a fraction of a hectare to rounding still adds up.
    """
    codes = list(area_ha)
    raw = np.asarray([area_ha[c] for c in codes], dtype=np.float64)
    if np.any(raw < 0) or raw.sum() <= 0 or cell_area_ha <= 0:
        raise ParameterError(
            f"demand areas {dict(area_ha)} ha and cell area {cell_area_ha} ha "
            f"must be >= 0 with a positive total"
        )
    total_ha = n_valid * cell_area_ha
    if abs(raw.sum() - total_ha) > 0.01 * total_ha:
        raise ParameterError(
            f"demand areas sum to {raw.sum():.6g} ha but the region is "
            f"{total_ha:.6g} ha ({n_valid} cells); demands must add up to "
            f"the region"
        )
    exact = raw / raw.sum() * n_valid
    cells = np.floor(exact).astype(np.int64)
    short = n_valid - int(cells.sum())
    order = np.argsort(-(exact - cells), kind="stable")
    cells[order[:short]] += 1
    return {c: int(n) for c, n in zip(codes, cells, strict=True)}


MODELS = {"cars": CarsParameters, "flus": FlusParameters, "flus-paper": FlusParameters}
"""Model names of :func:`make_parameters` (``flus`` is the released-code variant)."""


def make_parameters(model: str = "cars", **knobs: Any) -> AllocationParameters:
    """Parameters of ``model`` ("cars", "flus" or "flus-paper") from keyword knobs.

    Knobs set to None take their defaults; an unknown knob raises ParameterError listing the
    valid names (the PLUS/FLUS names of docs/allocation.md).
    """
    if model not in MODELS:
        raise ParameterError(f"model {model!r} is not one of {sorted(MODELS)}")
    cls = MODELS[model]
    valid = [f.name for f in fields(cls)]
    unknown = sorted(set(knobs) - set(valid))
    if unknown:
        hints = [
            f"{u} (did you mean {m[0]}?)" if (m := get_close_matches(u, valid, 1)) else u
            for u in unknown
        ]
        raise ParameterError(
            f"unknown {model} parameter(s) {', '.join(hints)}; valid: {', '.join(valid)}"
        )
    given = {k: v for k, v in knobs.items() if v is not None}
    if "neighborhood_weights" in given:
        given["neighborhood_weights"] = {
            int(c): float(w) for c, w in given["neighborhood_weights"].items()
        }
    if isinstance(given.get("expansion_coefficient"), Mapping):
        given["expansion_coefficient"] = {
            int(c): float(m) for c, m in given["expansion_coefficient"].items()
        }
    if model == "flus-paper":
        given["variant"] = "paper"
    return cls(**given)


def neighbourhood_effect(
    lulc: xr.DataArray,
    codes: list[int],
    *,
    neighborhood: int = 3,
    neighborhood_weights: Mapping[int, float] | None = None,
) -> xr.DataArray:
    """PLUS/FLUS neighbourhood effect Omega_{i,k} = con_k / (n*n - 1) * w_k per class.

    con_k counts the cells of class k in the n x n window around cell i, the centre excluded;
    cells outside the map and nodata count for no class. Returns float64 (class, y, x), NaN
    outside the land-use data (Liang et al. 2021, doi:10.1016/j.compenvurbsys.2020.101569).
    """
    import xarray as xr

    from landcarbon.landuse import _kernels

    params = AllocationParameters(
        neighborhood=neighborhood, neighborhood_weights=neighborhood_weights or {}
    )
    cls = _class_indices(require_in_memory(lulc, "neighbourhood effect", _FIX), codes)
    counts = _kernels.neighbourhood_counts(cls, len(codes), params.neighborhood // 2)
    scale = _per_class(params.neighborhood_weights, codes, 1.0) / (neighborhood**2 - 1)
    omega = np.where(cls >= 0, counts * scale[:, None, None], np.nan)
    out = xr.DataArray(
        omega,
        dims=("class", "y", "x"),
        coords={"class": codes, "y": lulc["y"], "x": lulc["x"]},
        name="neighbourhood_effect",
    )
    return out.rio.write_crs(lulc.rio.crs) if lulc.rio.crs is not None else out


def allocate_stages(
    lulc: xr.DataArray,
    probability: xr.DataArray,
    demands: Sequence[Mapping[int, int]],
    *,
    conversion: ConversionMatrix | None = None,
    restriction: xr.DataArray | None = None,
    parameters: AllocationParameters | None = None,
    seed: SeedLike = None,
) -> list[AllocationResult]:
    """Allocate a sequence of demands (e.g. one per year), each stage from the previous map.

    This is PLUS's "Years and corresponding demands" and CLUE-S's yearly demand table: stage
    ``s`` starts from the map of stage ``s - 1`` and its seed is child ``s`` of
    ``SeedSequence(seed)``. Each stage's reachability is checked before it runs.
    """
    results: list[AllocationResult] = []
    current = lulc
    for demand, child in zip(demands, seed_sequence(seed).spawn(len(demands)), strict=True):
        result = allocate(
            current,
            probability,
            demand,
            conversion=conversion,
            restriction=restriction,
            parameters=parameters,
            seed=child,
        )
        results.append(result)
        current = result.lulc
    return results
