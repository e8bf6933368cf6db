"""Accuracy of a simulated land-use map: OA, Kappa, disagreement, Figure of Merit.

Everything derives from one joint count table computed as a map-reduce (a bincount of the
per-cell joint class index per chunk, :func:`landcarbon.landuse.change.joint_counts`), on the
full grid (PLUS samples 10 % of cells for its Kappa, which makes it stochastic; we do not).

- Two maps (observed, simulated): confusion matrix ``n[i, j]`` (row = observed class,
  column = simulated class), overall accuracy ``OA = sum n_ii / N``, Cohen's Kappa
  ``(OA - p_e) / (1 - p_e)`` with ``p_e = sum n_i+ n_+i / N^2``, and quantity and allocation
  disagreement ``Q = 1/2 sum_g |p_g+ - p_+g|``, ``A = sum_g min(p_g+ - p_gg, p_+g - p_gg)``,
  ``1 - OA = Q + A`` (Pontius & Millones 2011, doi:10.1080/01431161.2011.552923).
- Three maps (initial, observed, simulated): Figure of Merit (Pontius et al. 2008,
  doi:10.1007/s10661-007-9761-3), overall and in the two published finer forms of Pontius,
  Peethambaram & Castella 2011 (Annals AAG 101(1): 45-62, doi:10.1080/00045608.2010.517742;
  the forms lulcc's ``FigureOfMerit`` computes). With ``i`` the initial, ``o`` the observed
  and ``s`` the simulated class of a cell:

  - A, misses: observed change simulated as persistence, ``o != i, s == i``;
  - B, hits: observed change simulated correctly, ``o != i, s == o``;
  - C, wrong hits: observed change simulated to the wrong class, ``o != i, s != i, s != o``;
  - D, false alarms: observed persistence simulated as change, ``o == i, s != i``.

  Overall (Eq. 9): ``FoM = B / (A + B + C + D)``, producer's accuracy ``B / (A + B + C)``,
  user's accuracy ``B / (B + C + D)``.

  Per initial class ``k`` (Eq. 10): the same counts over the cells with ``i = k`` (they sum
  to the overall ones).

  Per transition ``k -> j`` (Eq. 11): intersection over union of the observed and the
  simulated transition, ``hits / (observed + simulated - hits)`` with ``hits`` the cells
  ``i = k, o = s = j``, ``observed`` those with ``i = k, o = j`` and ``simulated`` those
  with ``i = k, s = j``; producer's accuracy ``hits / observed``, user's accuracy
  ``hits / simulated``.

  Per gaining class ``j`` (not a published form; kept because earlier versions reported it
  as "per class"): A, B, C count cells with ``o = j``, D cells with ``s = j``.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from landcarbon.arrays import categorical
from landcarbon.backend import chunked_bincount, map_cells
from landcarbon.errors import ParameterError
from landcarbon.landuse.change import check_same_grid, joint_counts
from landcarbon.raster import CLASS_NODATA

if TYPE_CHECKING:
    import xarray as xr

CHANGE_CATEGORIES = {
    0: "persistence simulated as persistence",
    1: "miss (observed change simulated as persistence)",
    2: "hit (observed change simulated correctly)",
    3: "wrong hit (observed change simulated to the wrong class)",
    4: "false alarm (observed persistence simulated as change)",
}
"""Codes of :func:`change_agreement_map`."""


# --------------------------------------------------------------------------- two maps
@dataclass(frozen=True)
class Agreement:
    """Agreement between an observed and a simulated map (cell based, full grid).

    Attributes
    ----------
    codes : tuple of int
        Class codes.
    confusion : int64 ndarray, shape (K, K)
        Cells by observed class (row) and simulated class (column).
    overall_accuracy, kappa, quantity_disagreement, allocation_disagreement : float
        As fractions (0..1); ``1 - overall_accuracy = quantity + allocation``.
    """

    codes: tuple[int, ...]
    confusion: np.ndarray
    overall_accuracy: float
    kappa: float
    quantity_disagreement: float
    allocation_disagreement: float

    def confusion_frame(self) -> pd.DataFrame:
        """The confusion matrix as a DataFrame (index ``observed``, columns ``simulated``)."""
        return pd.DataFrame(
            self.confusion,
            index=pd.Index(self.codes, name="observed"),
            columns=pd.Index(self.codes, name="simulated"),
        )

    def summary(self) -> dict[str, float]:
        """The four statistics as a dict."""
        return {
            "overall_accuracy": self.overall_accuracy,
            "kappa": self.kappa,
            "quantity_disagreement": self.quantity_disagreement,
            "allocation_disagreement": self.allocation_disagreement,
        }


def agreement_from_confusion(codes: tuple[int, ...], confusion: np.ndarray) -> Agreement:
    """OA, Kappa and quantity/allocation disagreement of a confusion matrix.

    Computed from the integer counts (Python integers, no overflow, no rounding until the
    final division), so a perfect match gives exactly ``kappa = 1`` and ``Q = A = 0``:
    ``kappa = (N sum n_ii - sum n_i+ n_+i) / (N^2 - sum n_i+ n_+i)``. Kappa is 1 when the
    maps agree everywhere, also with a single class (where the formula is 0/0).
    """
    n = [[int(v) for v in row] for row in np.asarray(confusion)]
    total = sum(map(sum, n))
    if total == 0:
        raise ParameterError("the maps share no valid cell; check their nodata and extent")
    k = len(n)
    rows = [sum(n[g]) for g in range(k)]
    cols = [sum(n[i][g] for i in range(k)) for g in range(k)]
    diag = [n[g][g] for g in range(k)]
    agree, chance = sum(diag), sum(r * c for r, c in zip(rows, cols, strict=True))
    oa = agree / total
    kappa = 1.0 if agree == total else (total * agree - chance) / (total * total - chance)
    quantity = sum(abs(r - c) for r, c in zip(rows, cols, strict=True)) / (2 * total)
    allocation = sum(min(r - d, c - d) for r, c, d in zip(rows, cols, diag, strict=True)) / total
    return Agreement(codes, confusion, oa, kappa, quantity, allocation)


def agreement(
    observed: xr.DataArray, simulated: xr.DataArray, *, codes: tuple[int, ...] | None = None
) -> Agreement:
    """Compare a simulated land-use map with the observed one, cell by cell.

    Cells that are nodata in either map are left out.

    Raises
    ------
    AlignmentError
        The maps are not on one grid.
    """
    observed, simulated = categorical(observed, "observed"), categorical(simulated, "simulated")
    joint = joint_counts([observed, simulated], ["observed map", "simulated map"], codes)
    return agreement_from_confusion(joint.codes, joint.cells)


def sampled_agreement(
    observed: xr.DataArray,
    simulated: xr.DataArray,
    *,
    sample_rate: float,
    seed: int | np.random.SeedSequence,
    codes: tuple[int, ...] | None = None,
) -> Agreement:
    """:func:`agreement` on a random sample of cells, like PLUS's Kappa tool.

    PLUS draws a "sampling rate" share of the cells (default 0.1) for its Kappa. Here a
    cell is in the sample when ``u < sample_rate``, with ``u`` a uniform number made from
    the cell's row-major index by SplitMix64 keyed by ``seed`` (through
    :class:`numpy.random.SeedSequence`): the same seed gives the same sample on numpy or
    dask, whatever the chunking.

    Raises
    ------
    ParameterError
        ``sample_rate`` is not in (0, 1], or the sample holds no valid cell.
    """
    import xarray as xr

    if not 0 < sample_rate <= 1:
        raise ParameterError(
            f"sample_rate = {sample_rate} (CLI --sample-rate {sample_rate}): must be in "
            f"(0, 1] (0.1 = 10 % of cells)"
        )
    joint = joint_counts([observed, simulated], ["observed map", "simulated map"], codes)
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    key = int(ss.generate_state(1, np.uint64)[0])
    index = joint.index
    rows = xr.DataArray(
        np.arange(index.shape[0], dtype=np.int64) * index.shape[1], dims=(index.dims[0],)
    )
    cols = xr.DataArray(np.arange(index.shape[1], dtype=np.int64), dims=(index.dims[1],))
    flat = (xr.zeros_like(index) + rows + cols).transpose(*index.dims)
    sampled = map_cells(_keep_sampled, index, flat, dtype=np.int64, key=key, rate=sample_rate)
    k = len(joint.codes)
    return agreement_from_confusion(joint.codes, chunked_bincount(sampled, k * k).reshape(k, k))


def splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 output for state ``x`` (uint64, wrapping arithmetic; Steele et al. 2014)."""
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))  # type: ignore[no-any-return]


def _keep_sampled(index: np.ndarray, flat: np.ndarray, key: int, rate: float) -> np.ndarray:
    bits = splitmix64(np.asarray(flat).astype(np.uint64) ^ np.uint64(key))
    uniform = (bits >> np.uint64(11)).astype(np.float64) * 2.0**-53
    return np.where(uniform < rate, index, -1)


# --------------------------------------------------------------------------- three maps
@dataclass(frozen=True)
class FigureOfMerit:
    """Three-map comparison (initial, observed, simulated).

    Attributes
    ----------
    codes : tuple of int
        Class codes.
    counts : int64 ndarray, shape (K, K, K)
        Cells by (initial, observed, simulated) class.
    overall : dict
        Pontius et al. 2011 Eq. 9: ``misses``, ``hits``, ``wrong_hits``, ``false_alarms``
        (cells), ``fom``, ``producer_accuracy``, ``user_accuracy`` (fractions; NaN when
        undefined).
    by_initial_class : pandas.DataFrame
        The same per initial class (Eq. 10; index ``code``).
    by_transition : pandas.DataFrame
        Per transition (Eq. 11; index ``from``, ``to``, every pair ``from != to``):
        ``hits``, ``observed``, ``simulated`` (cells), ``fom`` (intersection over union),
        ``producer_accuracy``, ``user_accuracy``.
    by_gaining_class : pandas.DataFrame
        Misses, hits, wrong hits and false alarms per gaining class (index ``code``): A, B,
        C by observed class, D by simulated class. Not a published form.
    """

    codes: tuple[int, ...]
    counts: np.ndarray
    overall: dict[str, float]
    by_initial_class: pd.DataFrame
    by_transition: pd.DataFrame
    by_gaining_class: pd.DataFrame

    @property
    def agreement(self) -> Agreement:
        """OA, Kappa and disagreement of observed vs simulated (same cells)."""
        return agreement_from_confusion(self.codes, self.counts.sum(axis=0))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary: the overall scores and the FoM by initial class and transition.

        ``fom``, ``producer_accuracy``, ``user_accuracy`` (Eq. 9), ``fom_counts`` (the four
        cell counts), ``fom_by_initial_class`` (Eq. 10, keys the class codes) and
        ``fom_by_transition`` (Eq. 11, keys ``"FROM->TO"``); undefined values are None.
        """
        o = self.overall
        by_transition = self.by_transition["fom"]
        return {
            "fom": _finite(o["fom"]),
            "producer_accuracy": _finite(o["producer_accuracy"]),
            "user_accuracy": _finite(o["user_accuracy"]),
            "fom_counts": {key: int(o[key]) for key in _COUNTS},
            "fom_by_initial_class": {
                str(code): _finite(v) for code, v in self.by_initial_class["fom"].items()
            },
            "fom_by_transition": {
                f"{src}->{dst}": _finite(v)
                for src, dst, v in zip(
                    by_transition.index.get_level_values("from"),
                    by_transition.index.get_level_values("to"),
                    by_transition.to_numpy(),
                    strict=True,
                )
            },
        }

    @classmethod
    def table_fields(cls) -> tuple[str, ...]:
        """Names of the fields that are tables (per class, per transition ...)."""
        hints = typing.get_type_hints(cls)
        return tuple(f.name for f in fields(cls) if hints[f.name] is pd.DataFrame)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table field (:meth:`table_fields`), by field name."""
        return {name: getattr(self, name) for name in self.table_fields()}


_COUNTS = ("misses", "hits", "wrong_hits", "false_alarms")
FOM_KEYS = (
    "fom",
    "producer_accuracy",
    "user_accuracy",
    "fom_counts",
    "fom_by_initial_class",
    "fom_by_transition",
)
"""Keys of :meth:`FigureOfMerit.as_dict`."""


def _finite(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _ratios(hits: np.ndarray, *denominators: np.ndarray) -> list[np.ndarray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        return [hits / d for d in denominators]


def _scores(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> dict[str, np.ndarray]:
    fom, producer, user = _ratios(b, a + b + c + d, a + b + c, b + c + d)
    return {
        "misses": a,
        "hits": b,
        "wrong_hits": c,
        "false_alarms": d,
        "fom": fom,
        "producer_accuracy": producer,
        "user_accuracy": user,
    }


def fom_from_counts(codes: tuple[int, ...], counts: np.ndarray) -> FigureOfMerit:
    """Figure of Merit (overall, by initial class, by transition) from the (K, K, K) counts."""
    k = len(codes)
    t = counts.astype(np.int64)
    i, o, s = np.indices((k, k, k))
    changed = o != i
    kinds = (
        changed & (s == i),  # misses
        changed & (s == o),  # hits
        changed & (s != i) & (s != o),  # wrong hits
        ~changed & (s != i),  # false alarms
    )
    overall = _scores(*(t[m].sum() for m in kinds))
    # Eq. 10: every count over the cells of one initial class (axis 0)
    by_initial = _scores(*((t * m).sum(axis=(1, 2)) for m in kinds))
    # Eq. 11, transition k -> j: hits (k, j, j), observed (k, j, .), simulated (k, ., j)
    hits = np.einsum("kjj->kj", t)
    observed, simulated = t.sum(axis=2), t.sum(axis=1)
    fom, producer, user = _ratios(hits, observed + simulated - hits, observed, simulated)
    by_pair = {
        "hits": hits,
        "observed": observed,
        "simulated": simulated,
        "fom": fom,
        "producer_accuracy": producer,
        "user_accuracy": user,
    }
    # gaining class j: A, B, C counted by observed class (axis 1), D by simulated class (axis 2)
    miss, hit, wrong, false = kinds
    by_gain = _scores(
        (t * miss).sum(axis=(0, 2)),
        (t * hit).sum(axis=(0, 2)),
        (t * wrong).sum(axis=(0, 2)),
        (t * false).sum(axis=(0, 1)),
    )
    src, dst = np.nonzero(~np.eye(k, dtype=bool))
    code_arr = np.asarray(codes)
    index = pd.Index(codes, name="code")
    return FigureOfMerit(
        codes,
        t,
        {key: float(v) for key, v in overall.items()},
        pd.DataFrame(by_initial, index=index),
        pd.DataFrame(
            {key: v[src, dst] for key, v in by_pair.items()},
            index=pd.MultiIndex.from_arrays([code_arr[src], code_arr[dst]], names=["from", "to"]),
        ),
        pd.DataFrame(by_gain, index=index),
    )


def figure_of_merit(
    initial: xr.DataArray,
    observed: xr.DataArray,
    simulated: xr.DataArray,
    *,
    codes: tuple[int, ...] | None = None,
) -> FigureOfMerit:
    """Figure of Merit of a simulation from ``initial`` against the ``observed`` map.

    Cells that are nodata in any of the three maps are left out.

    Raises
    ------
    AlignmentError
        The maps are not on one grid.
    """
    labels = ["initial map", "observed map", "simulated map"]
    given = (initial, observed, simulated)
    maps = [categorical(m, label) for m, label in zip(given, labels, strict=True)]
    joint = joint_counts(maps, labels, codes)
    return fom_from_counts(joint.codes, joint.cells)


def _change_categories(init: np.ndarray, obs: np.ndarray, sim: np.ndarray) -> np.ndarray:
    changed, simulated_change = obs != init, sim != init
    out = np.where(
        changed,
        np.where(~simulated_change, 1, np.where(sim == obs, 2, 3)),
        np.where(simulated_change, 4, 0),
    ).astype(np.int32)
    nodata = (init == CLASS_NODATA) | (obs == CLASS_NODATA) | (sim == CLASS_NODATA)
    out[nodata] = CLASS_NODATA
    return out


def change_agreement_map(
    initial: xr.DataArray, observed: xr.DataArray, simulated: xr.DataArray
) -> xr.DataArray:
    """Per-cell three-map category (codes in :data:`CHANGE_CATEGORIES`), int32.

    0 persistence simulated as persistence, 1 miss, 2 hit, 3 wrong hit, 4 false alarm;
    ``CLASS_NODATA`` where any map is nodata. Lazy on dask.
    """
    check_same_grid(
        [initial, observed, simulated], ["initial map", "observed map", "simulated map"]
    )
    return map_cells(
        _change_categories, initial, observed, simulated, dtype=np.int32, name="change_agreement"
    )
