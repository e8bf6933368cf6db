"""GeoDetector: factor, interaction, risk and ecological detectors (Wang et al. 2010).

Every detector works from per-stratum sufficient statistics (count, sum and sum of
squares of ``y``), computed in one numba pass for numpy input or as a map-reduce of
``np.bincount`` per chunk (:func:`landcarbon.backend.chunked_bincount`) for dask input,
so a chunked raster is never gathered whole. Strata are integer codes ``0..L-1`` with
``-1`` for a missing value (:func:`encode_strata`).

Conventions (see ``docs/drivers.md``; ../shared/docs/REFERENCE_DATA.md section 2):

* ``q = 1 - SSW/SST``; strata with a single member are kept (they add 0 to SSW), as in
  the classic R package geodetector; ``keep_singletons=False`` drops them as gdverse does.
* p-value of q: ``F = (N - L)/(L - 1) q/(1 - q)`` against the noncentral
  ``F(L - 1, N - L, lambda)`` with ``lambda = [sum_h m_h^2 - (sum_h sqrt(N_h) m_h)^2 / N]
  / sigma^2``. ``noncentrality="sample"`` (default, geodetector R 1.0-5 by the method's
  authors) divides by the sample variance of y, ``"population"`` (GD, gdverse) by the
  population variance. The central-F p and an optional seeded permutation p are also
  given: the noncentral test is very conservative for strong effects.
* Interaction types compare ``q12`` with ``q1``, ``q2`` (ties within ``INTERACTION_TOL``):
  independent if ``q12 = q1 + q2``; nonlinear-enhance if ``q12 > q1 + q2``; bi-variable
  enhance if ``q12 > max``; uni-variable weaken if ``min <= q12 <= max``; nonlinear-weaken
  if ``q12 < min``.
* Risk detector: Welch t-test between every pair of strata, two-sided at ``alpha``,
  exact Welch-Satterthwaite df (``round_df=True`` rounds it, as geodetector R does).
* Ecological detector, two named rules: ``"ssw_ratio"`` (Wang et al. 2010; gdverse):
  ``F = SSW_a/SSW_b`` with df ``(N - 1, N - 1)``, one-sided ``p < alpha``, reported for both
  orders of every pair so the answer does not depend on the order of the factors;
  ``"q_ratio"`` (geodetector R): ``q_b/q_a`` or its inverse above ``qf(0.9, N - 1, N - 1)``.
  A ratio with a zero side (``q = 1`` under ``"ssw_ratio"``, ``q = 0`` under ``"q_ratio"``,
  within ``ECOLOGICAL_TOL``) takes its limit: ``0/0 = 1`` (alike), ``x/0 = inf``.

References
----------
Wang, J.-F., Li, X.-H., Christakos, G., et al. (2010). Geographical detectors-based health
risk assessment and its application in the neural tube defects study of the Heshun
region, China. *IJGIS* 24(1), 107-127. https://doi.org/10.1080/13658810802443457
Wang, J.-F., Zhang, T.-L., Fu, B.-J. (2016). A measure of spatial stratified
heterogeneity. *Ecological Indicators* 67, 250-256.
https://doi.org/10.1016/j.ecolind.2016.02.052
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import betainc, fdtrc, fdtri, gammaln, stdtr

from landcarbon._numba import read_only
from landcarbon.backend import CLASS_NODATA, chunked_bincount, is_dask
from landcarbon.errors import ParameterError
from landcarbon.stats import _kernels

Noncentrality = Literal["sample", "population"]
DEFAULT_NONCENTRALITY: Noncentrality = "sample"
EcologicalRule = Literal["ssw_ratio", "q_ratio"]
INTERACTION_TOL = 1e-12
"""Absolute tolerance for the equalities of the interaction types."""

ECOLOGICAL_TOL = 1e-12
"""``1 - q`` (``"ssw_ratio"``) or ``q`` (``"q_ratio"``) at most this counts as 0 in the
ecological F (:func:`ecological_ratio`)."""

INTERACTION_TYPES = (
    "nonlinear-weaken",
    "uni-variable weaken",
    "bi-variable enhance",
    "independent",
    "nonlinear-enhance",
)
R_INTERACTION_LABELS = {
    "nonlinear-weaken": "Weaken, nonlinear-",
    "uni-variable weaken": "Weaken, uni-",
    "bi-variable enhance": "Enhance, bi-",
    "independent": "Independent",
    "nonlinear-enhance": "Enhance, nonlinear-",
}
"""The labels geodetector (R) prints for each interaction type."""

_DENSE_PAIR_LIMIT = 1 << 22
RISK_STRATA_LIMIT = 2000
"""Most strata a risk matrix is built for: each of its ~8 float64 L x L arrays takes 32 MB at
2000 strata (and its JSON ~100 MB); 12 000 strata would take over 9 GB. Above this the
factor's risk detector is skipped with a note in :attr:`GeoDetectorResult.notes`."""
TAIL_SWITCH = 1e-6
"""Below this p the noncentral-F tail is taken from Boost rather than R's AS 226 series."""
INT_NODATA = int(CLASS_NODATA)
"""Nodata of integer class rasters (the value of ``landcarbon.raster.CLASS_NODATA``; stats
sits below the raster layer and does not import it)."""


def missing_mask(values: Any) -> Any:
    """True where a value is missing: NaN for floats, :data:`INT_NODATA` for integers."""
    if values.dtype.kind == "f":
        if is_dask(values):
            import dask.array as da

            return da.isnan(values)
        return np.isnan(values)
    return values == INT_NODATA


# --------------------------------------------------------------------------- strata
@dataclass(frozen=True)
class Strata:
    """A stratification: codes ``0..L-1`` per row (``-1`` missing) and the label of each code."""

    name: str
    codes: Any
    """int64 numpy or dask array, any shape (aligned with y)."""
    labels: np.ndarray

    @property
    def size(self) -> int:
        return int(self.labels.size)


def encode_strata(values: Any, name: str) -> Strata:
    """Encode a factor (numbers or text, numpy/pandas/dask) as sorted dense codes.

    Missing values (NaN, None, and for integer rasters :data:`INT_NODATA`) get code -1.
    """
    if is_dask(values):
        import dask.array as da

        arr = values
        missing = missing_mask(arr)
        labels = np.asarray(da.unique(arr[~missing]).compute())
        codes = da.map_blocks(_lookup, arr, missing, labels=labels, dtype=np.int64)
        return Strata(name, codes, labels)
    arr = np.asarray(values)
    if arr.dtype.kind in "iu" and arr.size and arr.dtype != np.uint64:
        flat = np.ascontiguousarray(arr.ravel())
        codes, labels, ok = _kernels.dense_integer_codes(flat, INT_NODATA, 4 * flat.size + 1024)
        if ok:
            return Strata(name, codes.reshape(arr.shape), labels.astype(arr.dtype))
    series = pd.Series(arr.ravel())
    if series.dtype.kind in "iu":
        series = series.where(series != INT_NODATA)
    codes, uniques = pd.factorize(series, sort=True, use_na_sentinel=True)
    return Strata(name, codes.astype(np.int64).reshape(arr.shape), np.asarray(uniques))


def _lookup(block: np.ndarray, missing: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return np.where(missing, -1, np.searchsorted(labels, block)).astype(np.int64)


# --------------------------------------------------------------------------- moments
@dataclass(frozen=True)
class Moments:
    """Per-stratum count ``n``, sum ``s1`` and sum of squares ``s2`` of ``y - centre``."""

    n: np.ndarray
    s1: np.ndarray
    s2: np.ndarray
    centre: float

    def kept(self, keep_singletons: bool) -> Moments:
        """Only non-empty strata (and, unless ``keep_singletons``, of two or more rows)."""
        keep = self.n >= (1 if keep_singletons else 2)
        return Moments(self.n[keep], self.s1[keep], self.s2[keep], self.centre)

    @property
    def total(self) -> int:
        return int(self.n.sum())

    @property
    def means(self) -> np.ndarray:
        """Stratum means of y (units of y)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.s1 / self.n + self.centre

    @property
    def ss_within(self) -> np.ndarray:
        """Within-stratum sums of squares ``(N_h - 1) s_h^2``."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.maximum(self.s2 - np.where(self.n > 0, self.s1**2 / self.n, 0.0), 0.0)

    @property
    def ss_total(self) -> float:
        return float(self.s2.sum() - self.s1.sum() ** 2 / self.total)


def stratum_moments(y: Any, codes: Any, size: int, centre: float) -> Moments:
    """Moments of ``y`` per stratum; numba pass for numpy, bincount map-reduce for dask."""
    if is_dask(y) or is_dask(codes):
        d = y - centre
        n = chunked_bincount(codes, size).astype(np.int64)
        s1 = chunked_bincount(codes, size, weights=d)
        s2 = chunked_bincount(codes, size, weights=d * d)
        return Moments(n, s1, s2, centre)
    flat_codes = read_only(np.ascontiguousarray(np.asarray(codes, dtype=np.int64).ravel()))
    flat_y = read_only(np.ascontiguousarray(np.asarray(y, dtype=np.float64).ravel()))
    n, s1, s2 = _kernels.stratum_moments(flat_codes, flat_y, float(centre), int(size))
    return Moments(n, s1, s2, centre)


def q_from_moments(m: Moments) -> float:
    """``q = 1 - SSW/SST`` of the strata in ``m``."""
    sst = m.ss_total
    if not sst > 0:
        raise ParameterError("y is constant over the rows used (SST = 0); q is undefined")
    return float(1.0 - m.ss_within.sum() / sst)


# --------------------------------------------------------------------------- factor
@dataclass(frozen=True)
class FactorResult:
    """Factor detector result for one factor."""

    name: str
    q: float
    p: float
    """Noncentral-F p-value under ``noncentrality``."""
    p_central: float
    f: float
    noncentrality: float
    """lambda of the noncentral F."""
    n: int
    strata: int
    convention: str
    p_permutation: float | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {
            "q": self.q,
            "p": self.p,
            "p_central": self.p_central,
            "F": self.f,
            "lambda": self.noncentrality,
            "n": self.n,
            "strata": self.strata,
            "noncentrality_variance": self.convention,
        }
        if self.p_permutation is not None:
            out["p_permutation"] = self.p_permutation
        return out


def factor_from_moments(
    name: str,
    moments: Moments,
    noncentrality: Noncentrality = DEFAULT_NONCENTRALITY,
    keep_singletons: bool = True,
) -> FactorResult:
    """q, F, lambda and the noncentral/central F p-values from stratum moments."""
    if noncentrality not in ("sample", "population"):
        raise ParameterError(
            f"noncentrality={noncentrality!r}: use 'sample' (geodetector R) or "
            f"'population' (GD, gdverse)"
        )
    m = moments.kept(keep_singletons)
    big_n, strata = m.total, int(m.n.size)
    if strata < 2:
        raise ParameterError(
            f"factor '{name}' has {strata} stratum over the {big_n} rows used; a factor needs "
            f"at least 2 strata (drop it or discretise it differently)"
        )
    if big_n <= strata:
        raise ParameterError(
            f"factor '{name}' has {strata} strata but only {big_n} rows; GeoDetector needs "
            f"more samples than strata (use fewer classes, discretise it, or give more samples)"
        )
    q = q_from_moments(m)
    df1, df2 = strata - 1, big_n - strata
    with np.errstate(divide="ignore"):
        f = df2 / df1 * q / (1.0 - q) if q < 1 else np.inf
    variance = m.ss_total / (big_n - 1 if noncentrality == "sample" else big_n)
    means = m.means
    lam = (np.sum(means**2) - np.sum(np.sqrt(m.n) * means) ** 2 / big_n) / variance
    p = noncentral_f_sf(f, df1, df2, max(lam, 0.0))
    p_central = f_sf(f, df1, df2)
    return FactorResult(name, q, p, p_central, float(f), float(lam), big_n, strata, noncentrality)


def noncentral_f_sf(
    f: float, df1: float, df2: float, ncp: float, errmax: float = 1e-9, max_terms: int = 10_000
) -> float:
    """Upper tail ``P(F' > f)`` of the noncentral F by the Poisson-weighted beta series.

    Algorithm AS 226 (Lenth 1987) with Frick's (1990) AS R84 start at the Poisson mode,
    stopped at an absolute error bound ``errmax`` = 1e-9 and returned as ``1 - lower``:
    the same series and stopping rule as R's ``pf(ncp=)``, so the published GeoDetector
    p-values (R) are reproduced to their printed digits. Below ``TAIL_SWITCH`` (1e-6) that
    absolute error would dominate (R prints noise near 1e-10 there), so the upper tail
    comes from :func:`scipy.stats.ncf.sf` (Boost, relative accuracy) instead; for
    ``ncp = 0`` from the central F.

    References
    ----------
    Lenth, R. V. (1987). Algorithm AS 226: computing noncentral beta probabilities.
    *Applied Statistics* 36(2), 241-244. https://doi.org/10.2307/2347558
    Frick, H. (1990). Algorithm AS R84: a remark on AS 226. *Applied Statistics* 39(2),
    311-312. https://doi.org/10.2307/2347780
    """
    if not np.isfinite(f):
        return 0.0
    if f <= 0:
        return 1.0
    ratio = df1 / df2 * f
    x, o_x = ratio / (1.0 + ratio), 1.0 / (1.0 + ratio)
    a, b, c = df1 / 2.0, df2 / 2.0, ncp / 2.0
    x0 = np.floor(max(c - 7.0 * np.sqrt(c), 0.0))
    a0 = a + x0
    lbeta = gammaln(a0) + gammaln(b) - gammaln(a0 + b)
    term = float(betainc(a0, b, x))
    gx = np.exp(
        a0 * np.log(x) + b * (np.log1p(-x) if x < 0.5 else np.log(o_x)) - lbeta - np.log(a0)
    )
    q = np.exp(-c + x0 * np.log(c) - gammaln(x0 + 1.0)) if a0 > a else np.exp(-c)
    sumq = 1.0 - q
    lower = q * term
    j = x0
    while True:
        j += 1.0
        term -= gx
        gx *= x * (a + b + j - 1.0) / (a + j)
        q *= c / j
        sumq -= q
        lower += term * q
        if (term - gx) * sumq <= errmax or j >= max_terms + x0:
            break
    upper = max(1.0 - min(lower, 1.0), 0.0)
    if upper >= TAIL_SWITCH:
        return float(upper)
    if not ncp > 0:
        return f_sf(f, df1, df2)
    from scipy.stats import ncf  # loads every distribution (0.4 s): only for this tail

    return float(ncf.sf(f, df1, df2, ncp))


def f_sf(f: float, df1: float, df2: float) -> float:
    """Upper tail ``P(F > f)`` of the central ``F(df1, df2)``, 1 for ``f <= 0``.

    :func:`scipy.special.fdtrc` is what :func:`scipy.stats.f.sf` computes, without loading
    ``scipy.stats`` (0.4 s of imports); the clip to 0 gives ``f.sf``'s 1 below the support,
    where ``fdtrc`` is NaN.
    """
    return float(fdtrc(df1, df2, np.maximum(f, 0.0)))


def permutation_p(
    y: np.ndarray,
    codes: np.ndarray,
    size: int,
    q: float,
    permutations: int,
    seed: int | np.random.SeedSequence | None,
) -> float:
    """Permutation p of q: ``(1 + #{q_perm >= q}) / (1 + permutations)``, y shuffled by seed."""
    rng = np.random.default_rng(seed)
    ok = np.asarray(codes) >= 0
    yv, cv = np.asarray(y, dtype=np.float64)[ok], np.asarray(codes)[ok]
    centre = float(yv.mean())
    hits = 0
    for _ in range(permutations):
        q_perm = q_from_moments(stratum_moments(rng.permutation(yv), cv, size, centre))
        hits += q_perm >= q - INTERACTION_TOL
    return (1 + hits) / (1 + permutations)


# --------------------------------------------------------------------------- interaction
def interaction_type(q1: float, q2: float, q12: float, tol: float = INTERACTION_TOL) -> str:
    """One of :data:`INTERACTION_TYPES` (see the module docstring for the order of tests)."""
    lo, hi = min(q1, q2), max(q1, q2)
    if abs(q12 - (q1 + q2)) <= tol:
        return "independent"
    if q12 > q1 + q2:
        return "nonlinear-enhance"
    if q12 > hi + tol:
        return "bi-variable enhance"
    if q12 >= lo - tol:
        return "uni-variable weaken"
    return "nonlinear-weaken"


def overlay(a: Strata, b: Strata) -> Strata:
    """The intersection stratification ``a ∩ b`` (empty combinations dropped for numpy)."""
    name = f"{a.name}:{b.name}"
    if is_dask(a.codes) or is_dask(b.codes):
        import dask.array as da

        size = a.size * b.size
        if size > _DENSE_PAIR_LIMIT:
            raise ParameterError(
                f"{name}: {a.size} x {b.size} combined strata are too many for chunked "
                f"input; sample the rasters (sample=N) instead"
            )
        codes = da.where((a.codes >= 0) & (b.codes >= 0), a.codes * b.size + b.codes, -1)
        return Strata(name, codes, np.arange(size))
    flat = _kernels.pair_codes(
        np.ascontiguousarray(a.codes.ravel()), np.ascontiguousarray(b.codes.ravel()), b.size
    )
    if a.size * b.size <= _DENSE_PAIR_LIMIT:
        return Strata(name, flat.reshape(a.codes.shape), np.arange(a.size * b.size))
    used, inverse = np.unique(flat, return_inverse=True)
    codes = inverse - (1 if used[0] < 0 else 0)
    return Strata(name, codes.reshape(a.codes.shape), used[used >= 0])


@dataclass(frozen=True)
class InteractionResult:
    """q of two factors, of their overlay, and the interaction type."""

    a: str
    b: str
    q_a: float
    q_b: float
    q: float
    type: str

    def as_dict(self) -> dict[str, Any]:
        return {"q": self.q, "type": self.type, "q_a": self.q_a, "q_b": self.q_b}


# --------------------------------------------------------------------------- risk
@dataclass(frozen=True)
class RiskResult:
    """Risk detector for one factor: stratum means and the Welch t-test matrices."""

    name: str
    labels: np.ndarray
    n: np.ndarray
    mean: np.ndarray
    t: np.ndarray
    df: np.ndarray
    p: np.ndarray
    significant: np.ndarray
    alpha: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "strata": [_plain(v) for v in self.labels],
            "n": self.n.tolist(),
            "mean": self.mean.tolist(),
            "p": [[None if np.isnan(v) else float(v) for v in row] for row in self.p],
            "significant": self.significant.tolist(),
            "alpha": self.alpha,
        }


def risk_from_moments(
    name: str, labels: np.ndarray, m: Moments, alpha: float = 0.05, round_df: bool = False
) -> RiskResult:
    """Welch t, df, two-sided p and significance between every pair of non-empty strata.

    Pairs with a stratum of fewer than 2 rows are undefined: NaN, not significant. More than
    :data:`RISK_STRATA_LIMIT` non-empty strata are refused (the matrices would not fit).
    """
    keep = m.n > 0
    n = m.n[keep]
    if n.size > RISK_STRATA_LIMIT:
        raise ParameterError(
            f"risk detector for factor '{name}': {n.size} strata (limit {RISK_STRATA_LIMIT}) "
            f"would need {n.size} x {n.size} matrices; discretise the factor into fewer classes"
        )
    mean = m.means[keep]
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(n > 1, m.ss_within[keep] / (n - 1), np.nan)
        se2 = var / n
        pair = se2[:, None] + se2[None, :]
        t = (mean[:, None] - mean[None, :]) / np.sqrt(pair)
        df = pair**2 / (se2[:, None] ** 2 / (n[:, None] - 1) + se2[None, :] ** 2 / (n[None, :] - 1))
        if round_df:
            df = np.round(df)
        p = 2.0 * stdtr(df, -np.abs(t))  # t.sf(|t|, df), without loading scipy.stats
    np.fill_diagonal(p, np.nan)
    significant = np.nan_to_num(p, nan=1.0) < alpha
    return RiskResult(name, labels[keep], n, mean, t, df, p, significant, alpha)


# --------------------------------------------------------------------------- ecological
@dataclass(frozen=True)
class EcologicalPair:
    """Ecological detector for a pair (a, b): does a differ significantly from b?"""

    a: str
    b: str
    f: float
    threshold_or_p: float
    significant: bool

    def as_dict(self, rule: str) -> dict[str, Any]:
        key = "p" if rule == "ssw_ratio" else "critical_F"
        return {"F": self.f, key: self.threshold_or_p, "significant": self.significant}


def ecological_ratio(num: float, den: float, tol: float = ECOLOGICAL_TOL) -> float:
    """``num/den`` of the ecological F, both non-negative, with its limits where a side is 0.

    A side within ``tol`` of 0 counts as 0 (``1 - q`` of a factor that explains y fully is
    round-off): ``0/0 = 1`` (the two factors alike, not significant), ``x/0 = inf``.
    """
    num, den = (0.0 if abs(v) <= tol else v for v in (num, den))
    if den == 0.0:
        return 1.0 if num == 0.0 else float(np.inf)
    return float(num / den)


def ecological_detector(
    q: Mapping[str, float], n: int, rule: EcologicalRule = "ssw_ratio", alpha: float = 0.05
) -> list[EcologicalPair]:
    """Compare the q of factors pairwise (same rows, ``n`` of them).

    ``"ssw_ratio"``: for every ordered pair ``F = SSW_a/SSW_b = (1 - q_a)/(1 - q_b)``,
    significant when the upper-tail ``p`` of ``F(n - 1, n - 1)`` is below ``alpha``; both
    orders are returned. ``"q_ratio"``: one entry per unordered pair, ``F = q_b/q_a``,
    significant when ``F`` or ``1/F`` exceeds ``qf(1 - 2 alpha, n - 1, n - 1)`` (0.9 at the
    default alpha, as geodetector R). A zero side gives the limits of
    :func:`ecological_ratio` (two factors with q = 1: F = 1, not significant).
    """
    names = list(q)
    out: list[EcologicalPair] = []
    if rule == "ssw_ratio":
        for a, b in ((a, b) for a in names for b in names if a != b):
            f = ecological_ratio(1.0 - q[a], 1.0 - q[b])
            p = f_sf(f, n - 1, n - 1)
            out.append(EcologicalPair(a, b, f, p, p < alpha))
    elif rule == "q_ratio":
        critical = float(fdtri(n - 1, n - 1, 1.0 - 2.0 * alpha))  # f.ppf
        for a, b in combinations(names, 2):
            f, inverse = ecological_ratio(q[b], q[a]), ecological_ratio(q[a], q[b])
            out.append(EcologicalPair(a, b, f, critical, f > critical or inverse > critical))
    else:
        raise ParameterError(f"ecological rule {rule!r}: use 'ssw_ratio' or 'q_ratio'")
    return out


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


# --------------------------------------------------------------------------- all detectors
@dataclass
class GeoDetectorResult:
    """Results of every detector; :meth:`as_dict` gives the CLI's JSON shape."""

    factor: dict[str, FactorResult]
    interaction: dict[str, InteractionResult]
    risk: dict[str, RiskResult]
    ecological: list[EcologicalPair]
    ecological_rule: str
    n: int
    dropped_rows: int
    discretization: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """Detectors skipped and why (e.g. a risk matrix above :data:`RISK_STRATA_LIMIT`)."""
    conventions: dict[str, Any] = field(default_factory=dict)
    """The conventions used, named (:func:`describe_conventions`; the OPGD search space is
    added by :func:`landcarbon.stats.drivers.geodetector_table`)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "conventions": self.conventions,
            "factor": {k: v.as_dict() for k, v in self.factor.items()},
            "interaction": {k: v.as_dict() for k, v in self.interaction.items()},
            "risk": {k: v.as_dict() for k, v in self.risk.items()},
            "ecological": {
                "rule": self.ecological_rule,
                "pairs": {f"{e.a}:{e.b}": e.as_dict(self.ecological_rule) for e in self.ecological},
            },
            "discretization": self.discretization,
            "n": self.n,
            "dropped_rows": self.dropped_rows,
            "notes": self.notes,
        }


def describe_conventions(
    noncentrality: Noncentrality, ecological_rule: EcologicalRule, keep_singletons: bool
) -> dict[str, str]:
    """The GeoDetector conventions in words, for a report's method notes and summary.json.

    Keys ``singletons``, ``p_value`` and ``ecological_rule``; each value names the
    convention and the package that follows it (see the module docstring).
    """
    return {
        "singletons": (
            "kept (one-row strata add 0 to SSW; classic geodetector R)"
            if keep_singletons
            else "dropped (one-row strata left out of q; gdverse)"
        ),
        "p_value": (
            "noncentral F, lambda over the sample variance of y (geodetector R 1.0-5)"
            if noncentrality == "sample"
            else "noncentral F, lambda over the population variance of y (GD, gdverse)"
        ),
        "ecological_rule": (
            "ssw_ratio: F = SSW_a/SSW_b, df (N-1, N-1), both orders (Wang et al. 2010; gdverse)"
            if ecological_rule == "ssw_ratio"
            else "q_ratio: q_b/q_a against qf(0.9, N-1, N-1) (geodetector R)"
        ),
    }


def detect(
    y: Any,
    strata: Sequence[Strata],
    *,
    noncentrality: Noncentrality = DEFAULT_NONCENTRALITY,
    interactions: bool = True,
    ecological_rule: EcologicalRule = "ssw_ratio",
    alpha: float = 0.05,
    round_df: bool = False,
    permutations: int = 0,
    seed: int | np.random.SeedSequence | None = None,
    keep_singletons: bool = True,
) -> GeoDetectorResult:
    """Run the four detectors on ``y`` (float, NaN missing) and encoded ``strata``.

    Rows where y or any factor is missing are dropped (their count is reported).
    numpy or dask arrays of one shape; dask input is reduced chunk by chunk. A factor with
    more than :data:`RISK_STRATA_LIMIT` strata gets no risk detector (a note says so).

    Raises
    ------
    ParameterError
        No factor, no usable row, or ``y`` holds ``inf``/``-inf`` (variances would be
        infinite and q NaN).
    """
    if not strata:
        raise ParameterError("GeoDetector needs at least one explanatory factor")
    infinite = _isinf(y).sum()
    infinite = int(infinite.compute() if is_dask(infinite) else infinite)
    if infinite:
        raise ParameterError(
            f"y holds {infinite} infinite value(s) (inf or -inf); GeoDetector needs finite "
            f"numbers: set them to nodata / leave them empty (dropped as missing) or fix them"
        )
    valid = ~_isnan(y)
    for s in strata:
        valid = valid & (s.codes >= 0)
    total = int(np.prod(np.shape(y)))
    used = int(valid.sum().compute() if is_dask(valid) else valid.sum())
    if used == 0:
        raise ParameterError(
            "no row has y and every factor present (y all NaN or factors all missing)"
        )
    centre = float(_masked_mean(y, valid))
    everything = not is_dask(valid) and bool(np.all(valid))
    masked = [s if everything else Strata(s.name, _where(valid, s.codes), s.labels) for s in strata]
    moments = {s.name: stratum_moments(y, s.codes, s.size, centre) for s in masked}
    factor = {
        name: factor_from_moments(name, m, noncentrality, keep_singletons)
        for name, m in moments.items()
    }
    if permutations:
        root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        seeds = root.spawn(len(masked))
        for s, child in zip(masked, seeds, strict=True):
            r = factor[s.name]
            p_perm = permutation_p(_compute(y), _compute(s.codes), s.size, r.q, permutations, child)
            factor[s.name] = FactorResult(**{**r.__dict__, "p_permutation": p_perm})
    interaction: dict[str, InteractionResult] = {}
    if interactions:
        for a, b in combinations(masked, 2):
            both = overlay(a, b)
            q12 = q_from_moments(
                stratum_moments(y, both.codes, both.size, centre).kept(keep_singletons)
            )
            qa, qb = factor[a.name].q, factor[b.name].q
            interaction[both.name] = InteractionResult(
                a.name, b.name, qa, qb, q12, interaction_type(qa, qb, q12)
            )
    risk: dict[str, RiskResult] = {}
    notes: list[str] = []
    for s in masked:
        size = int(np.count_nonzero(moments[s.name].n))
        if size > RISK_STRATA_LIMIT:
            notes.append(
                f"risk detector skipped for factor '{s.name}': {size} strata (limit "
                f"{RISK_STRATA_LIMIT}) would need {size} x {size} matrices; discretise the "
                f"factor into fewer classes"
            )
            continue
        risk[s.name] = risk_from_moments(s.name, s.labels, moments[s.name], alpha, round_df)
    q = {name: r.q for name, r in factor.items()}
    return GeoDetectorResult(
        factor,
        interaction,
        risk,
        ecological_detector(q, used, ecological_rule, alpha),
        ecological_rule,
        used,
        total - used,
        notes=notes,
        conventions=describe_conventions(noncentrality, ecological_rule, keep_singletons),
    )


def _isinf(y: Any) -> Any:
    if is_dask(y):
        import dask.array as da

        return da.isinf(y)
    return np.isinf(np.asarray(y, dtype=np.float64))


def _isnan(y: Any) -> Any:
    if is_dask(y):
        import dask.array as da

        return da.isnan(y)
    return np.isnan(np.asarray(y, dtype=np.float64))


def _where(valid: Any, codes: Any) -> Any:
    if is_dask(valid) or is_dask(codes):
        import dask.array as da

        return da.where(valid, codes, -1)
    return np.where(valid, codes, -1)


def _masked_mean(y: Any, valid: Any) -> float:
    if is_dask(y) or is_dask(valid):
        import dask.array as da

        yy = da.where(valid, y, 0.0)
        total, count = da.compute(yy.sum(), valid.sum())
        return float(total) / int(count)
    return float(np.asarray(y, dtype=np.float64)[valid].mean())


def _compute(arr: Any) -> np.ndarray:
    return np.asarray(arr.compute() if is_dask(arr) else arr).ravel()
