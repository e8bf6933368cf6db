"""Markov-chain land-use demand: transition probabilities, projection, adjustments.

``P[i, j] = n_ij / sum_j n_ij`` from the transfer matrix of two dates t0 < t1 (cell counts, as
PLUS's Markov tool and lulcc do); a class absent at t0 keeps its cells (identity row). Class
areas at t1 are projected as row vectors, ``a(t1 + m*dt) = a(t1) . P**m`` with
``dt = t1 - t0`` and ``m = (target - t1) / dt``; the total area is conserved.

Fractional steps (e.g. a 10-year matrix used for 15 years, m = 1.5)
--------------------------------------------------------------------
``method="matrix_power"`` (default) computes ``P**floor(m) . P**frac(m)``, the fractional part
with :func:`scipy.linalg.fractional_matrix_power` (Schur-Pade, principal root). Caveat: the
root of a stochastic matrix need not be stochastic (Higham & Lin 2011, *Linear Algebra
Appl.* 435:448-463): with a negative or complex eigenvalue it can be complex or have negative
entries. We keep the real part, clip negative entries to 0 and renormalise the rows, record
the largest entry change this caused in ``Demand.regularisation`` and warn
(:class:`~landcarbon.errors.LandcarbonWarning`) when it exceeds 1e-6; ``method="linear"``
instead interpolates the class areas linearly between the two whole steps around ``m``,
which is always a valid distribution (METHODS.md section 12, option c).

Demands are given in cells (integers that sum to the valid cells at t1, rounded by the
largest-remainder method so nothing is lost) and in hectares (the t1 class areas in true
hectares projected with the same matrix).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from landcarbon.errors import LandcarbonWarning, ParameterError
from landcarbon.landuse.change import TransferMatrix

ProjectionMethod = Literal["matrix_power", "linear"]

REGULARISATION_WARN = 1e-6
"""Largest entry change (clip + renormalise) of a fractional matrix power left silent."""


@dataclass(frozen=True)
class TransitionProbabilities:
    """A Markov transition probability matrix with the state it starts from.

    Attributes
    ----------
    codes : tuple of int
        Class codes in row/column order.
    matrix : float64 ndarray, shape (K, K)
        ``matrix[i, j]``: probability that a cell of ``codes[i]`` becomes ``codes[j]`` over
        one interval; rows sum to 1.
    interval_years : float
        Length of one step (t1 - t0), years.
    start_year : float
        t1: the year the projection starts from.
    start_cells : int64 ndarray, shape (K,)
        Cells of each class at t1.
    start_area_ha : float64 ndarray, shape (K,)
        True area of each class at t1, ha.
    """

    codes: tuple[int, ...]
    matrix: np.ndarray
    interval_years: float
    start_year: float
    start_cells: np.ndarray
    start_area_ha: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """The matrix as a DataFrame (index ``from``, columns ``to``)."""
        return pd.DataFrame(
            self.matrix,
            index=pd.Index(self.codes, name="from"),
            columns=pd.Index(self.codes, name="to"),
        )


@dataclass(frozen=True)
class Demand:
    """Class demand at a target year.

    Attributes
    ----------
    codes : tuple of int
        Class codes.
    year : float
        Target year.
    cells : int64 ndarray, shape (K,)
        Demanded cells per class; sums to the valid cells of the start map.
    area_ha : float64 ndarray, shape (K,)
        Demanded area per class, ha; sums to the area of the start map.
    source : tuple of str
        Per class ``"markov"`` or ``"override"`` (a user demand) or ``"rescaled"`` (Markov
        area rescaled to make room for user demands).
    regularisation : float
        Largest entry change made to a fractional matrix power (0 for whole steps).
    """

    codes: tuple[int, ...]
    year: float
    cells: np.ndarray
    area_ha: np.ndarray
    source: tuple[str, ...]
    regularisation: float = 0.0

    def cells_by_code(self) -> dict[int, int]:
        """``{code: cells}``, the form the allocation takes."""
        return {c: int(n) for c, n in zip(self.codes, self.cells, strict=True)}

    def summary(self) -> dict[str, Any]:
        """JSON-ready: ``year``, ``regularisation`` and one entry per class."""
        return {
            "year": self.year,
            "regularisation": self.regularisation,
            "classes": [
                {"code": int(c), "cells": int(n), "area_ha": float(a), "source": s}
                for c, n, a, s in zip(
                    self.codes, self.cells, self.area_ha, self.source, strict=True
                )
            ],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per class: ``cells``, ``area_ha``, ``source``."""
        return pd.DataFrame(
            {"cells": self.cells, "area_ha": self.area_ha, "source": list(self.source)},
            index=pd.Index(self.codes, name="code"),
        )


def transition_probabilities(tm: TransferMatrix) -> TransitionProbabilities:
    """Row-normalise a transfer matrix's cell counts into Markov transition probabilities.

    A class with no cells at t0 gets an identity row (its cells at t1 stay put), with a
    :class:`~landcarbon.errors.LandcarbonWarning` naming it: no transition out of it was
    observed, so the projection never converts it. Needs ``tm.years``.
    """
    counts = tm.cells.astype(np.float64)
    rows = counts.sum(axis=1, keepdims=True)
    absent = {tm.codes[i]: int(tm.cells[:, i].sum()) for i in np.flatnonzero(rows[:, 0] == 0)}
    if absent:
        listed = ", ".join(f"{code} ({cells} cells at t1)" for code, cells in absent.items())
        warnings.warn(
            f"class(es) {listed} have no cells at t0: no transition out of them was observed, "
            f"so their Markov rows are set to 'stays' (the projection never converts them); "
            f"give a t0 map where they occur to estimate their transitions",
            LandcarbonWarning,
            stacklevel=2,
        )
    matrix = np.where(rows > 0, counts / np.where(rows > 0, rows, 1.0), np.eye(len(tm.codes)))
    span = tm.span_years  # raises the clear error when the years are unknown
    assert tm.years is not None
    return TransitionProbabilities(
        tm.codes,
        matrix,
        span,
        tm.years[1],
        tm.cells.sum(axis=0).astype(np.int64),
        tm.area_t1_ha,
    )


def matrix_power(matrix: np.ndarray, steps: float) -> tuple[np.ndarray, float]:
    """``matrix ** steps`` for a stochastic matrix and ``steps >= 0``, made stochastic.

    Returns the power and the largest entry change made by dropping the imaginary part,
    clipping negative entries and renormalising rows (0 for whole ``steps``).
    """
    whole = math.floor(steps)
    power = np.linalg.matrix_power(matrix, whole)
    fraction = steps - whole
    if fraction == 0:
        return power, 0.0
    from scipy.linalg import fractional_matrix_power  # scipy.linalg: ~0.3 s to import

    root = np.asarray(fractional_matrix_power(matrix, fraction))
    raw = power @ root
    cleaned = np.clip(raw.real, 0.0, None)
    cleaned /= cleaned.sum(axis=1, keepdims=True)
    return cleaned, float(np.max(np.abs(cleaned - raw)))


def steps_to(tp: TransitionProbabilities, target_year: float) -> float:
    """Number of Markov intervals from ``tp.start_year`` to ``target_year`` (>= 0)."""
    steps = (float(target_year) - tp.start_year) / tp.interval_years
    if not steps >= 0:
        raise ParameterError(
            f"target year {target_year} is before the start year {tp.start_year:g}; Markov "
            f"demand only projects forward: give a target year >= {tp.start_year:g}"
        )
    return steps


def project_demand(
    tp: TransitionProbabilities,
    target_year: float,
    *,
    method: ProjectionMethod = "matrix_power",
) -> Demand:
    """Project class cells and areas to ``target_year`` with the Markov chain.

    Parameters
    ----------
    tp : TransitionProbabilities
        From :func:`transition_probabilities` (possibly adjusted by a scenario).
    target_year : float
        Year of the demand; any year >= ``tp.start_year``.
    method : {"matrix_power", "linear"}
        How a non-integer number of intervals is handled (see the module docstring).

    Returns
    -------
    Demand
        Cells (largest-remainder integers summing to the start cells) and hectares.
    """
    steps = steps_to(tp, target_year)
    if method == "matrix_power":
        power, change = matrix_power(tp.matrix, steps)
        if change > REGULARISATION_WARN:
            warnings.warn(
                f"the Markov matrix raised to {steps:g} intervals is not stochastic (entries "
                f"changed by up to {change:.3g} when clipped and renormalised); consider a "
                f'target year a whole number of intervals away or method="linear"',
                LandcarbonWarning,
                stacklevel=2,
            )
    elif method == "linear":
        lower = np.linalg.matrix_power(tp.matrix, math.floor(steps))
        upper = lower @ tp.matrix
        fraction = steps - math.floor(steps)
        power, change = (1.0 - fraction) * lower + fraction * upper, 0.0
    else:
        raise ParameterError(f'method {method!r}: choose "matrix_power" or "linear"')
    cells = round_preserving_total(tp.start_cells @ power, int(tp.start_cells.sum()))
    area = tp.start_area_ha @ power
    return Demand(tp.codes, float(target_year), cells, area, ("markov",) * len(tp.codes), change)


def round_preserving_total(values: np.ndarray, total: int) -> np.ndarray:
    """Round non-negative ``values`` to integers summing to ``total`` (largest remainder).

    ``values`` are first scaled to sum to ``total`` exactly (a no-op up to rounding for
    values that already do). Ties go to the lower index, so the result is deterministic.
    """
    scaled = np.asarray(values, dtype=np.float64)
    if scaled.sum() > 0:  # shares first: total / sum overflows for subnormal values
        scaled = scaled / scaled.sum() * total
    floors = np.floor(scaled).astype(np.int64)
    short = int(total - floors.sum())
    order = np.argsort(-(scaled - floors), kind="stable")
    floors[order[:short]] += 1
    return floors


def adjust_transitions(
    tp: TransitionProbabilities,
    multipliers: Mapping[tuple[int, int], float],
    *,
    label: str = "multipliers",
) -> TransitionProbabilities:
    """Multiply named transition probabilities and renormalise their rows.

    ``P'[i, j] = P[i, j] * f_ij`` for every ``(from, to): f`` in ``multipliers``, then each
    changed row is divided by its sum, so the relative weights of the other transitions of
    that row are kept (the common scenario practice, e.g. Cao et al. 2024, J. Geogr. Sci.
    34:1415).

    Raises
    ------
    ParameterError
        A code is not a class of the matrix, a factor is negative or not finite, or a row
        would lose every transition; ``label`` names the source (scenario) in the message.
    """
    index = {c: i for i, c in enumerate(tp.codes)}
    matrix = tp.matrix.copy()
    for (src, dst), factor in sorted(multipliers.items()):
        for code in (src, dst):
            if code not in index:
                raise ParameterError(
                    f"{label}: transition ({src}, {dst}) names class {code}, which is absent "
                    f"from the land-use maps (classes {list(tp.codes)}); remove it or fix the code"
                )
        if not (math.isfinite(factor) and factor >= 0):
            raise ParameterError(
                f"{label}: transition ({src}, {dst}) factor {factor}: must be finite and >= 0"
            )
        matrix[index[src], index[dst]] *= factor
    sums = matrix.sum(axis=1, keepdims=True)
    empty = [tp.codes[i] for i in np.flatnonzero(sums[:, 0] <= 0)]
    if empty:
        raise ParameterError(
            f"{label}: every transition out of class(es) {empty} has probability 0 after the "
            f"multipliers; keep at least one (e.g. do not zero the persistence P_ii)"
        )
    return replace(tp, matrix=matrix / sums)


def override_demand(
    demand: Demand,
    overrides_ha: Mapping[int, float],
    *,
    label: str = "demand overrides",
) -> Demand:
    """Replace the Markov demand of some classes by user areas (ha).

    Classes not overridden share the remaining area in proportion to their Markov areas
    (``source = "rescaled"``), so the total stays the region's area. When every class is
    overridden, the areas must sum to the region's area within half a cell. Cells are
    ``area * cells_total / area_total`` rounded by largest remainder.

    Raises
    ------
    ParameterError
        An unknown class code, a negative area, overrides that exceed the region, or
        complete overrides that do not sum to it; ``label`` names the source.
    """
    index = {c: i for i, c in enumerate(demand.codes)}
    total_ha = float(demand.area_ha.sum())
    total_cells = int(demand.cells.sum())
    ha_per_cell = total_ha / total_cells
    area = demand.area_ha.copy()
    fixed = np.zeros(len(area), dtype=bool)
    for code, value in sorted(overrides_ha.items()):
        if code not in index:
            raise ParameterError(
                f"{label}: class {code} is absent from the land-use maps (classes "
                f"{list(demand.codes)}); remove it or fix the code"
            )
        if not (math.isfinite(value) and value >= 0):
            raise ParameterError(f"{label}: class {code} area {value} ha: must be >= 0")
        area[index[code]] = value
        fixed[index[code]] = True
    fixed_ha = float(area[fixed].sum())
    free_ha = float(demand.area_ha[~fixed].sum())
    tolerance = 0.5 * ha_per_cell
    summary = (
        f"{label}: the demands sum to {fixed_ha:.6g} ha but the region (valid cells of the start "
        f"map) is {total_ha:.6g} ha"
    )
    if fixed.all() and abs(fixed_ha - total_ha) > tolerance:
        raise ParameterError(f"{summary}; demands for every class must sum to the region's area")
    if not fixed.all() and (fixed_ha > total_ha + tolerance or free_ha <= 0 < total_ha - fixed_ha):
        raise ParameterError(
            f"{summary}; the classes not given {np.asarray(demand.codes)[~fixed].tolist()} "
            f"cannot take up the difference: give demands that leave room for them"
        )
    if not fixed.all():
        area[~fixed] *= max(total_ha - fixed_ha, 0.0) / free_ha if free_ha > 0 else 0.0
    source = tuple(
        "override" if f else ("rescaled" if s == "markov" and fixed.any() else s)
        for f, s in zip(fixed, demand.source, strict=True)
    )
    cells = round_preserving_total(area / ha_per_cell, total_cells)
    return replace(demand, cells=cells, area_ha=area, source=source)
