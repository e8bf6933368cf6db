"""Suitability of each land-use class: PLUS LEAS development probability and FLUS ANN.

:func:`leas` is the land expansion analysis strategy of PLUS (Liang et al. 2021,
Comput. Environ. Urban Syst. 85:101569, doi:10.1016/j.compenvurbsys.2020.101569):

1. The expansion map ("Extract land expansion") keeps the t1 class of every cell that
   changed between t0 and t1; unchanged cells are empty (:func:`training_labels`).
2. A random sample of the non-empty cells of that map is drawn, each cell with
   probability ``sample_rate`` (a Bernoulli sample on counter-based keys)
   (``mode="single_date"``, the manual's choice for national extents, samples the t1 map).
3. For each class k a binary random forest learns d = 1 (the cell expanded into k) against
   d = 0 (every other sampled cell, i.e. expansion into another class) from the drivers;
   ``balance`` (PLUS "Is balance?") keeps as many d = 0 cells as there are d = 1 cells.
4. The development probability of k is the share of the ``n_trees`` trees voting d = 1,
   P^{d=1}_{i,k} = Σ_n I[h_n(x_i) = 1] / M (the paper's formula, hard votes).

The forests are scikit-learn's (bootstrap, Gini splits, ``max_features = mtry``, default
mtry = number of drivers as in PLUS). PLUS reports, per class, the training RMSE, the
out-of-bag RMSE and a driver contribution table (``contribution<k>.csv``). ALGLIB 3.9.2,
the forest library of PLUS, has no importance routine and PLUS does not document its
measure; the ``contribution`` table here is the mean decrease in Gini impurity of each
driver, normalised to sum to 1 per class (Breiman 2001, doi:10.1023/A:1010933404324).

:func:`ann_probability` is the probability of occurrence of GeoSOS-FLUS (Liu et al. 2017,
Landsc. Urban Plan. 168:94-116, doi:10.1016/j.landurbplan.2017.09.019): a three-layer
network with ``hidden`` sigmoid units and a softmax output (Σ_k sp = 1), trained on the land
use of one date from a uniform (same count per class) or random sample of cells.

Drivers are min-max normalised to [0, 1] over the usable cells (see
:mod:`landcarbon.landuse.sampling`; a random forest is unaffected, the network needs it).
Both models are deterministic by ``seed``: every random draw comes from children of
``np.random.SeedSequence(seed)``; the training sample is drawn from counter-based keys of
(seed, cell) (:func:`~landcarbon.landuse.sampling.cell_keys`), so it is the same for any
chunking of the maps, the forests' per-tree seeds do not depend on
``n_jobs``, and votes are integer counts summed over trees in any order.

Maps and drivers may be numpy or dask (chunked). Chunked, no step holds a map: the class
census, the driver statistics (:func:`~landcarbon.landuse.sampling.driver_stack`), the
sample and the gathering of its features
(:func:`~landcarbon.landuse.sampling.values_at`) are exact map-reduces over the chunks,
and the probability is lazy: one block of every class per chunk, its drivers read and
normalised once and each class predicted from them, so a writer
(:func:`~landcarbon.raster.write_raster`) computes and writes it block by block, reading
each chunk of the drivers once.
The training sample and the fitted models equal the in-memory ones bit for bit, whatever
the chunks, and so do the LEAS probabilities (the ANN's within 1e-12: a BLAS may sum a
chunk's rows in another order). In memory, prediction runs over row blocks of
``cells_per_block`` cells to bound memory.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr
from joblib import effective_n_jobs
from sklearn.ensemble import RandomForestClassifier
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from landcarbon.backend import is_dask
from landcarbon.errors import LandcarbonWarning, ParameterError
from landcarbon.landuse import PLUS_TREES
from landcarbon.landuse.allocation import SeedLike, seed_sequence
from landcarbon.landuse.sampling import (
    CELLS_PER_BLOCK,
    Drivers,
    DriverStack,
    Missing,
    capped_rate,
    driver_stack,
    normalised,
    on_chunks,
    random_cells,
    sample_seed,
    stratified_cells,
    values_at,
    with_planned,
)
from landcarbon.raster import CLASS_NODATA, atomic_path, read_raster, valid_mask, write_raster
from landcarbon.tables import class_counts

LeasMode = Literal["expansion", "single_date"]
Predict = Callable[[np.ndarray], np.ndarray]
"""A fitted model on a float32 feature matrix (cells, drivers)."""


@dataclass(frozen=True)
class LeasResult:
    """Output of :func:`leas`.

    ``probability``: development probability (``class``, ``y``, ``x``), 0..1, NaN where
    the t1 land use (or, with ``missing="exclude"``, a driver) has no data; lazy (dask)
    when the input is chunked.
    ``contribution``: class x driver, mean decrease in Gini impurity, each row sums to 1
    (NaN for a class with no expansion). ``fit``: per class the sampled cells, expansion
    cells in the sample, training RMSE and out-of-bag RMSE of the vote fraction (as PLUS
    reports). ``models``: the fitted forests; ``drivers``: the normalised driver stack;
    ``seed``: the SeedSequence every draw came from.
    """

    probability: xr.DataArray
    contribution: pd.DataFrame
    fit: pd.DataFrame
    models: dict[int, RandomForestClassifier]
    drivers: DriverStack
    seed: np.random.SeedSequence


@dataclass(frozen=True)
class AnnModel:
    """A fitted FLUS network, its driver stack and the class codes of its outputs."""

    model: MLPClassifier
    drivers: DriverStack
    classes: tuple[int, ...]


def _tree_seed(sequence: np.random.SeedSequence) -> int:
    return int(sequence.generate_state(1, dtype=np.uint32)[0])


def _class_cells(mask: np.ndarray | Any, *maps: np.ndarray | Any) -> list[dict[int, int]]:
    """Cells of each class code of every map on the ``mask`` cells (nodata left out); on
    dask maps a map-reduce per map (:func:`~landcarbon.tables.class_counts`, exact)."""
    return [class_counts(np.where(mask, m, CLASS_NODATA)) for m in maps]


def _classes(requested: Sequence[int] | None, *found: dict[int, int]) -> list[int]:
    present = sorted({c for cells in found for c in cells})
    if requested is None:
        return present
    missing = [int(c) for c in requested if int(c) not in present]
    if missing:
        raise ParameterError(
            f"classes {missing} are in neither land-use map (codes present: {present}); "
            f"leave them out of the classes to model (classes = [...])"
        )
    return sorted({int(c) for c in requested})


def _check_positive(name: str, value: int, default: str) -> None:
    if value < 1:
        raise ParameterError(f"{name}={value} must be at least 1 ({default})")


def leas(
    lulc_t0: xr.DataArray,
    lulc_t1: xr.DataArray,
    drivers: Drivers,
    *,
    classes: Sequence[int] | None = None,
    sample_rate: float = 0.01,
    max_samples: int | None = None,
    n_trees: int = PLUS_TREES,
    mtry: int | None = None,
    balance: bool = False,
    min_leaf: int = 1,
    mode: LeasMode = "expansion",
    seed: SeedLike = 0,
    n_jobs: int | None = None,
    missing: Missing = "raise",
    planned: Mapping[str, xr.DataArray] | None = None,
    cells_per_block: int = CELLS_PER_BLOCK,
) -> LeasResult:
    """PLUS land expansion analysis: development probability of each class from drivers.

    Parameters
    ----------
    lulc_t0, lulc_t1
        Categorical land-use maps (int32, ``CLASS_NODATA`` for nodata) on one grid.
    drivers
        Continuous driver rasters on the same grid (mapping name -> DataArray, or a list
        named by each DataArray's name).
    classes
        Class codes to model (default: every code of either map).
    sample_rate
        Share of the cells of the expansion map (the changed cells; with
        ``mode="single_date"`` all valid cells) drawn as training sample (PLUS "sampling
        rate", default 0.01).
    max_samples
        Cap on the training sample: where ``sample_rate`` would draw more than this many
        cells, the rate is lowered so that about ``max_samples`` are drawn
        (:func:`~landcarbon.landuse.sampling.capped_rate`). Default None: no cap, as PLUS.
    n_trees
        Trees per forest (PLUS "number of trees"; default 20, the PLUS GUI default).
    mtry
        Drivers tried at each split (PLUS "mTry"; default all drivers, as PLUS).
    balance
        Keep as many non-expansion as expansion cells in each class's sample (PLUS
        "Is balance?", default off).
    min_leaf
        Minimum sampled cells per leaf (1: fully grown trees, as ALGLIB in PLUS; larger
        values smooth the probability on noisy drivers).
    mode
        ``"expansion"`` (train on the t0 -> t1 expansion map, PLUS default) or
        ``"single_date"`` (train on the t1 map: probability of occurrence).
    seed
        Seed of the sample and of every tree (int, SeedSequence, or None for OS entropy).
    n_jobs
        Threads for training and prediction (None: 1, -1: all cores). Results do not
        depend on it.
    missing
        Handling of drivers with NaN where land use is valid: ``"raise"``, ``"exclude"``
        or ``"mean"`` (see :mod:`landcarbon.landuse.sampling`).
    planned
        Planned versions of some drivers (name -> DataArray) used at prediction time
        instead of the trained-on ones (PLUS ``devprob_Update``), scaled with the trained
        range.
    cells_per_block
        Cells predicted at once (memory bound of the prediction).

    Returns
    -------
    LeasResult
        ``probability`` (class, y, x) in [0, 1], ``contribution`` (class x driver) and the
        per-class ``fit`` table (RMSE, out-of-bag RMSE).

    A class with no expansion between the dates gets a probability of 0 on every valid cell
    and a :class:`~landcarbon.errors.LandcarbonWarning`.
    """
    stack = driver_stack({"t1": lulc_t1, "t0": lulc_t0}, drivers, valid_mask(lulc_t1), missing)
    t0, t1 = (on_chunks(m.data, stack.chunks) for m in (lulc_t0, lulc_t1))
    labels = training_labels(t0, t1, mode)
    in_t0, in_t1, expanded = _class_cells(stack.usable & valid_mask(t0), t0, t1, labels)
    if not expanded:
        raise ParameterError(
            "LEAS has no cell to train on: no cell changed class between the two land-use "
            "maps (are t0 and t1 the same map?); give maps of two different dates, or train "
            "on the t1 map alone (suitability --mode single_date; [simulation] suitability = "
            "'ann')"
            if mode == "expansion"
            else "LEAS has no cell to train on: no cell of the t1 map has land use and every "
            "driver; check the drivers' nodata and extent"
        )
    codes = _classes(classes, in_t0, in_t1)
    _check_positive("n_trees", n_trees, "PLUS default 20")
    _check_positive("min_leaf", min_leaf, "1 grows full trees as PLUS")
    mtry = len(stack.names) if mtry is None else mtry
    if not 1 <= mtry <= len(stack.names):
        raise ParameterError(
            f"mtry={mtry} must be between 1 and the number of drivers ({len(stack.names)})"
        )
    sequence = seed_sequence(seed)
    sample_seq, *class_seqs = sequence.spawn(1 + len(codes))
    candidates = stack.usable & (labels != CLASS_NODATA)
    rate = capped_rate(sample_rate, max_samples, sum(expanded.values()))
    sample = random_cells(candidates, rate, sample_seed(sample_seq))
    *columns, sampled = values_at(sample, *stack.arrays, labels)
    x_all = stack.features(columns)
    settings: dict[str, Any] = {
        "n_trees": n_trees,
        "mtry": mtry,
        "balance": balance,
        "min_leaf": min_leaf,
        "n_jobs": n_jobs,
    }
    models: dict[int, RandomForestClassifier] = {}
    rows = []
    for code, class_seq in zip(codes, class_seqs, strict=True):
        in_map = expanded.get(code, 0)
        if in_map == 0:
            where = "changed into it between the two maps" if mode == "expansion" else "has it"
            warnings.warn(
                f"class {code}: no cell {where}; its development probability is 0 everywhere",
                LandcarbonWarning,
                stacklevel=2,
            )
            rows.append({"class": code, "samples": sample.size, "expansion_samples": 0})
            continue
        y_all = (sampled == code).astype(np.int8)
        _require_both_labels(code, y_all, in_map, sum(expanded.values()), mode)
        models[code], row = _fit_forest(x_all, y_all, class_seq, **settings)
        rows.append({"class": code, **row})
    target = stack if not planned else with_planned(stack, {"t1": lulc_t1}, planned, missing)
    predictors = [
        partial(tree_votes, models[c], n_jobs=n_jobs) if c in models else _none for c in codes
    ]
    layers = _probability(target, partial(_each, predictors), len(codes), cells_per_block)
    probability = _stack_like(layers, codes, lulc_t1, "development_probability")
    nan_row = np.full(len(stack.names), np.nan)
    contribution = pd.DataFrame(
        [models[c].feature_importances_ if c in models else nan_row for c in codes],
        index=pd.Index(codes, name="class"),
        columns=list(stack.names),
        dtype=np.float64,
    )
    fit = pd.DataFrame(rows).set_index("class")
    return LeasResult(probability, contribution, fit, models, stack, sequence)


def training_labels(t0: np.ndarray, t1: np.ndarray, mode: LeasMode = "expansion") -> np.ndarray:
    """The map LEAS samples: its class codes are the labels, ``CLASS_NODATA`` is empty.

    ``"expansion"`` (PLUS "Extract land expansion"): the t1 class of every cell whose class
    changed between t0 and t1; unchanged cells are empty. ``"single_date"`` (the manual's
    choice for national extents): the t1 map itself.
    """
    valid = (t0 != CLASS_NODATA) & (t1 != CLASS_NODATA)
    if mode == "expansion":
        return np.where(valid & (t0 != t1), t1, CLASS_NODATA).astype(np.int32)
    if mode == "single_date":
        return np.where(valid, t1, CLASS_NODATA).astype(np.int32)
    raise ParameterError(f"mode={mode!r}; use 'expansion' (PLUS default) or 'single_date'")


def _require_both_labels(
    code: int, y: np.ndarray, in_map: int, candidates: int, mode: LeasMode
) -> None:
    if y.any() and not y.all():
        return
    if in_map == candidates:
        where = (
            "every cell that changed between the maps became it"
            if mode == "expansion"
            else "the t1 map holds no other class"
        )
        raise ParameterError(
            f"class {code}: all {candidates} cells LEAS samples from are of class {code} "
            f"({where}), so there is nothing to tell it apart from and no sampling rate "
            f"helps; leave class {code} out of the classes to model (classes = [...])"
            + (
                " or train on the t1 map alone (suitability --mode single_date; [simulation] "
                "suitability = 'ann')"
                if mode == "expansion"
                else ""
            )
        )
    raise ParameterError(
        f"class {code}: the training sample of {y.size} cells holds "
        f"{'no' if not y.any() else 'only'} cells of class {code} ({in_map} of the "
        f"{candidates} sampled-from cells are); raise the sampling rate (sample_rate; "
        f"CLI --sample-rate; {min(1.0, 20 / in_map):.3g} draws about 20 of them) or leave "
        f"class {code} out of the classes to model (classes = [...])"
    )


def _fit_forest(
    x: np.ndarray,
    y: np.ndarray,
    sequence: np.random.SeedSequence,
    *,
    n_trees: int,
    mtry: int,
    balance: bool,
    min_leaf: int,
    n_jobs: int | None,
) -> tuple[RandomForestClassifier, dict[str, Any]]:
    """One class's binary forest and its fit report (cells, RMSE, out-of-bag RMSE)."""
    if balance:
        keep = _balanced(y, np.random.default_rng(sequence))
        x, y = x[keep], y[keep]
    forest = RandomForestClassifier(
        n_estimators=n_trees,
        max_features=mtry,
        min_samples_leaf=min_leaf,
        bootstrap=True,
        oob_score=True,
        n_jobs=n_jobs,
        random_state=_tree_seed(sequence),
    )
    with warnings.catch_warnings():  # with few trees some cells are in every bootstrap
        warnings.filterwarnings("ignore", message="Some inputs do not have OOB scores")
        forest.fit(x, y)
    train_p = tree_votes(forest, x, n_jobs)
    oob = forest.oob_decision_function_[:, list(forest.classes_).index(1)]
    seen = ~np.isnan(oob)
    return forest, {
        "samples": int(y.size),
        "expansion_samples": int(y.sum()),
        "rmse": float(np.sqrt(np.mean((y - train_p) ** 2))),
        "oob_rmse": float(np.sqrt(np.mean((y[seen] - oob[seen]) ** 2))),
    }


def _balanced(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices of every d = 1 cell and as many random d = 0 cells (sorted)."""
    ones, zeros = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    take = rng.choice(zeros, size=min(ones.size, zeros.size), replace=False)
    return np.sort(np.concatenate([ones, take]))


def tree_votes(
    forest: RandomForestClassifier, x: np.ndarray, n_jobs: int | None = None
) -> np.ndarray:
    """Share of the forest's trees whose predicted class is 1, per row of ``x`` (float32).

    Each tree's leaf vote is the argmax of the leaf's class distribution (ties go to
    class 0, as ``DecisionTreeClassifier.predict``); votes are summed as integers, so the
    result does not depend on the number of threads.
    """
    positive = list(forest.classes_).index(1)
    x = np.ascontiguousarray(x, dtype=np.float32)

    def count(tree: Any) -> np.ndarray:
        leaf_vote = np.argmax(tree.tree_.value[:, 0, :], axis=1) == positive
        return leaf_vote[tree.tree_.apply(x)].astype(np.int32)

    threads = max(1, int(effective_n_jobs(n_jobs)))
    with ThreadPoolExecutor(threads) as pool:
        total = sum(pool.map(count, forest.estimators_), np.zeros(x.shape[0], np.int32))
    return total / len(forest.estimators_)


def _none(x: np.ndarray) -> np.ndarray:
    """The probability of a class that never expanded: 0 on every cell."""
    return np.zeros(x.shape[0])


def _probability(
    stack: DriverStack, predict: Predict, k: int, cells_per_block: int
) -> np.ndarray | Any:
    """The (class, y, x) float64 layers: the ``k`` columns of ``predict`` (one per class) on
    the usable cells' features, NaN elsewhere.

    In memory: row blocks of about ``cells_per_block`` cells. Chunked: lazy, one block of
    every class per chunk (``map_blocks``), in one chunk of classes: each chunk's drivers
    are read and normalised once and every class is predicted from them, and a writer
    (:func:`~landcarbon.raster.write_raster` writes every band of a strip in turn) computes
    each chunk once, never the whole stack.
    """
    scale = (stack.low, stack.high, stack.fill)
    if stack.chunks is None:
        out = np.full((k, *stack.shape), np.nan)
        for block in stack.row_blocks(cells_per_block):
            out[:, block] = _layers(
                stack.usable[block],
                *(a[block] for a in stack.arrays),
                scale=scale,
                predict=predict,
                k=k,
            )
        return out
    import dask
    import dask.array as da

    return da.map_blocks(
        _layers,
        stack.usable,
        *stack.arrays,
        new_axis=0,
        chunks=((k,), *stack.chunks),
        dtype=np.float64,
        meta=np.empty((0, 0, 0)),
        scale=scale,
        # the fitted models one key of the graph: sent once to each worker, not in every task
        predict=dask.delayed(predict, pure=True),
        k=k,
    )


def _each(predictors: Sequence[Predict], x: np.ndarray) -> np.ndarray:
    return np.column_stack([p(x) for p in predictors])


def _layers(
    usable: np.ndarray,
    *columns: np.ndarray,
    scale: tuple[np.ndarray, np.ndarray, np.ndarray],
    predict: Predict,
    k: int,
) -> np.ndarray:
    """``k`` layers of one block: ``predict`` (cells, k) on the usable cells, NaN elsewhere."""
    usable = np.asarray(usable, dtype=bool)
    out = np.full((k, *usable.shape), np.nan)
    if usable.any():
        x = normalised([np.asarray(c)[usable] for c in columns], *scale)
        out[:, usable] = np.asarray(predict(x)).reshape(x.shape[0], k).T
    return out


def _stack_like(data: Any, codes: list[int], like: xr.DataArray, name: str) -> xr.DataArray:
    out = xr.DataArray(
        data,
        dims=("class", "y", "x"),
        coords={"class": np.asarray(codes, dtype=np.int64), "y": like["y"], "x": like["x"]},
        name=name,
    )
    if like.rio.crs is not None:
        out = out.rio.write_crs(like.rio.crs)
    out = out.rio.write_transform(like.rio.transform())
    return out.rio.write_nodata(np.nan, encoded=False)


def fit_ann(
    lulc: xr.DataArray,
    drivers: Drivers,
    *,
    hidden: int = 12,
    sample_size: int | None = None,
    sample_rate: float = 0.02,
    max_samples: int | None = None,
    sampling: Literal["uniform", "random"] = "uniform",
    classes: Sequence[int] | None = None,
    seed: SeedLike = 0,
    max_iter: int = 500,
    missing: Missing = "raise",
) -> AnnModel:
    """Train the FLUS network on one land-use map.

    Parameters
    ----------
    lulc
        Categorical land-use map of one date (int32, ``CLASS_NODATA`` for nodata).
    drivers
        Continuous driver rasters on the same grid (mapping or list).
    hidden
        Hidden-layer units (FLUS "hidden layer").
    sample_size, sample_rate
        Training cells: ``sample_size`` cells, else ``sample_rate`` of the valid cells
        (FLUS gives a rate in per mille; 0.02 as the Python FLUS port).
    max_samples
        Cap on the training cells of ``sample_rate`` (default None: no cap).
    sampling
        ``"uniform"``: the same number of cells per class (a small class gives all its
        cells); ``"random"``: a simple random sample (classes in proportion to area).
    classes
        Class codes to model (default: every code of the map).
    seed
        Seed of the sample and of the network's initial weights.
    max_iter
        Maximum L-BFGS iterations (FLUS "training epochs").
    missing
        Handling of NaN drivers on valid land use (``"raise"``, ``"exclude"``, ``"mean"``).

    Returns
    -------
    AnnModel
        The fitted ``MLPClassifier``, the driver stack and the class codes of its outputs.
    """
    stack = driver_stack({"lulc": lulc}, drivers, valid_mask(lulc), missing)
    codes_map = on_chunks(lulc.data, stack.chunks)
    (cells,) = _class_cells(stack.usable, codes_map)
    codes = _classes(classes, cells)
    if len(codes) < 2:
        raise ParameterError(f"the land-use map holds one class {codes}; the ANN needs two or more")
    _check_positive("hidden", hidden, "FLUS hidden-layer units, e.g. 12")
    _check_positive("max_iter", max_iter, "training epochs, e.g. 500")
    usable = stack.usable & np.isin(codes_map, codes)
    n_usable = sum(cells.get(c, 0) for c in codes)
    rate = capped_rate(sample_rate, max_samples, n_usable)
    size = sample_size if sample_size is not None else round(rate * n_usable)
    _check_positive("sample_size", size, "cells sampled for training")
    sample_seq, net_seq = seed_sequence(seed).spawn(2)
    if sampling == "uniform":
        sample = stratified_cells(codes_map, usable, codes, size, sample_seed(sample_seq))
    elif sampling == "random":
        sample = random_cells(usable, min(1.0, size / n_usable), sample_seed(sample_seq))
    else:
        raise ParameterError(f"sampling={sampling!r}; use 'uniform' or 'random' (as in FLUS)")
    *columns, y = values_at(sample, *stack.arrays, codes_map)
    absent = sorted(set(codes) - {int(c) for c in np.unique(y)})
    if absent:
        raise ParameterError(
            f"classes {absent} have no cell in the training sample of {sample.size} cells; "
            f"raise sample_size / sample_rate (CLI --sample-size / --sample-rate) or use "
            f"sampling = 'uniform' (CLI --sampling uniform)"
        )
    model = MLPClassifier(
        hidden_layer_sizes=(hidden,),
        activation="logistic",
        solver="lbfgs",
        max_iter=max_iter,
        random_state=_tree_seed(net_seq),
    )
    with threadpool_limits(1, user_api="blas"):  # small matrices: threads only add overhead
        model.fit(stack.features(columns), y)
    return AnnModel(model, stack, tuple(codes))


def ann_probability(
    lulc: xr.DataArray,
    drivers: Drivers,
    *,
    cells_per_block: int = CELLS_PER_BLOCK,
    **options: Any,
) -> xr.DataArray:
    """FLUS probability of occurrence of each class from a sampled neural network.

    ``options`` are those of :func:`fit_ann`: ``hidden=12``, ``sample_size=None``,
    ``sample_rate=0.02``, ``max_samples=None``, ``sampling="uniform"``, ``classes=None``,
    ``seed=0``, ``max_iter=500``, ``missing="raise"``. ``cells_per_block`` cells are
    predicted at once.

    Returns
    -------
    xarray.DataArray
        Probability (``class``, ``y``, ``x``) in [0, 1], summing to 1 over classes on every
        usable cell; NaN where land use (or an excluded driver) has no data.
    """
    fitted = fit_ann(lulc, drivers, **options)
    every = partial(_ann_proba, fitted.model)
    layers = _probability(fitted.drivers, every, len(fitted.classes), cells_per_block)
    return _stack_like(layers, list(fitted.classes), lulc, "occurrence_probability")


def _ann_proba(model: MLPClassifier, x: np.ndarray) -> np.ndarray:
    """The network's probability of every class per row of ``x`` (cells, classes)."""
    with threadpool_limits(1, user_api="blas"):  # small matrices: threads only add overhead
        return model.predict_proba(x)  # type: ignore[no-any-return]


def write_suitability(
    probability: xr.DataArray,
    out: Path,
    *,
    tables: Mapping[str, pd.DataFrame] | None = None,
    overwrite: bool = False,
) -> dict[str, Path]:
    """Write a probability stack and its tables into the folder ``out``.

    Files: ``probability_<code>.tif`` per class (float32, NaN nodata),
    ``probability.tif`` with one band per class described ``class <code>`` (the input of
    ``landcarbon simulate --probability``) and ``<name>.csv`` for every table (e.g.
    ``contribution``, ``fit``).
    """
    values = probability.astype(np.float32)
    codes = [int(c) for c in values["class"].values]
    stack = write_raster(
        values,
        out / "probability.tif",
        overwrite=overwrite,
        description=[f"class {code}" for code in codes],
        units="probability",
    )
    files = {
        f"class {code}": write_raster(
            _class_layer(values, stack, i),
            out / f"probability_{code}.tif",
            overwrite=overwrite,
            description=f"class {code}",
            units="probability",
        )
        for i, code in enumerate(codes)
    }
    files["stack"] = stack
    for name, frame in (tables or {}).items():
        path = out / f"{name}.csv"
        with atomic_path(path, overwrite) as tmp:
            frame.to_csv(tmp)
        files[name] = path
    return files


def _class_layer(values: xr.DataArray, stack: Path, index: int) -> xr.DataArray:
    """The float32 layer ``index`` of the probability stack ``values``: in memory its slice;
    chunked, band ``index + 1`` of the written ``stack`` file read back in the same chunks
    (the same values: a class file costs a read of that file, not a second prediction)."""
    if not is_dask(values.data):
        return values[index]
    chunks = max(values.data.chunksize[1:])
    return read_raster(stack, band=index + 1, chunks=chunks).astype(np.float32)
