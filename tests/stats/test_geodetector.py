"""GeoDetector: NTD Heshun published numbers (q, both p conventions, interaction, risk,
ecological), hand cases, scipy side by side, hypothesis properties, bad inputs."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from landcarbon.errors import ParameterError, TableError
from landcarbon.stats.drivers import geodetector_table
from landcarbon.stats.geodetector import (
    R_INTERACTION_LABELS,
    RISK_STRATA_LIMIT,
    detect,
    ecological_ratio,
    encode_strata,
    interaction_type,
    risk_from_moments,
    stratum_moments,
)

FACTORS = ["watershed", "soiltype", "elevation"]


@pytest.fixture(scope="module")
def ntd(request):
    shared = request.getfixturevalue("shared_data") / "geodetector_ntd_heshun"
    return pd.read_csv(shared / "CollectData.csv"), json.loads(
        (shared / "expected.json").read_text()
    )


def _run(frame, factors=FACTORS, **kw):
    return geodetector_table(frame, "incidence", factors, source="CollectData.csv", **kw)


# ------------------------------------------------------------------ NTD published numbers
def test_ntd_factor_q_published(ntd):
    frame, expected = ntd
    result = _run(frame)
    for name in FACTORS:
        assert result.factor[name].q == pytest.approx(
            expected["factor_detector"]["q"][name], abs=1e-7
        )
        full = expected["factor_detector"]["q_full_precision_from_interaction_table"][name]
        assert result.factor[name].q == pytest.approx(full, abs=1e-12)


@pytest.mark.parametrize(
    "convention, column",
    [("sample", "p_value_geodetector_R_1.0-5"), ("population", "p_value_GD_10.x_and_gdverse")],
)
def test_ntd_noncentral_p_both_conventions(ntd, convention, column):
    frame, expected = ntd
    result = _run(frame, noncentrality=convention)
    for name in FACTORS:
        assert result.factor[name].p == pytest.approx(
            expected["factor_detector"][column][name], rel=1e-6
        )


def test_ntd_default_convention_is_geodetector_sample_variance(ntd):
    frame, _ = ntd
    result = _run(frame)
    assert result.factor["watershed"].convention == "sample"
    assert result.factor["watershed"].p == pytest.approx(0.0001169914, rel=1e-6)


def test_ntd_interaction_q_and_type(ntd):
    frame, expected = ntd
    result = _run(frame)
    for key, q in expected["interaction_detector"]["q"].items():
        a, b = key.split("|")
        got = result.interaction.get(f"{a}:{b}") or result.interaction[f"{b}:{a}"]
        assert got.q == pytest.approx(q, abs=1e-12)
        assert R_INTERACTION_LABELS[got.type] == expected["interaction_detector"]["type"][key]


@pytest.mark.parametrize("round_df", [False, True])
def test_ntd_risk_means_and_matrices(ntd, round_df):
    frame, expected = ntd
    result = _run(frame, round_df=round_df)
    risk = expected["risk_detector"]
    for name in FACTORS:
        r = result.risk[name]
        means = risk["mean_incidence_by_stratum"][name]
        assert [str(v) for v in r.labels] == list(means)
        np.testing.assert_allclose(r.mean, list(means.values()), atol=5e-7)  # 6 decimals
        np.testing.assert_array_equal(r.significant, risk["significant_pairs_alpha_0.05"][name])


def test_ntd_ecological_q_ratio_rule(ntd):
    frame, expected = ntd
    result = _run(frame, ecological_rule="q_ratio")
    got = {frozenset((e.a, e.b)): e.significant for e in result.ecological}
    for key, value in expected["ecological_detector"]["geodetector_R_1.0-5"].items():
        if not key.startswith("_"):
            assert got[frozenset(key.split("|"))] is value
    # critical value qf(0.9, 184, 184)
    assert result.ecological[0].threshold_or_p == pytest.approx(sps.f.ppf(0.9, 184, 184))


def test_ntd_ecological_ssw_ratio_rule_both_orders(ntd):
    frame, expected = ntd
    result = _run(frame)  # default rule: ssw_ratio
    got = {(e.a, e.b): e for e in result.ecological}
    for key, value in expected["ecological_detector"]["gdverse_1.x"].items():
        if not key.startswith("_"):
            assert got[tuple(key.split("|"))].significant is value
    # the reversed order (derived_check in expected.json): F = 1.6959, p = 0.00019
    reverse = got[("soiltype", "watershed")]
    assert reverse.f == pytest.approx(1.6959, abs=5e-5)
    assert reverse.threshold_or_p == pytest.approx(0.00019, abs=5e-6)
    assert reverse.significant
    # order of the factors does not change the answer
    shuffled = _run(frame, ["elevation", "soiltype", "watershed"])
    assert {(e.a, e.b): e.significant for e in shuffled.ecological} == {
        k: e.significant for k, e in got.items()
    }


def test_ntd_permutation_p_is_small_where_noncentral_is_not(ntd):
    frame, _ = ntd
    result = _run(frame, ["soiltype"], permutations=4999, seed=7)
    r = result.factor["soiltype"]
    assert r.p > 0.3  # the noncentral F test is very conservative here
    assert r.p_central < 1e-10
    assert r.p_permutation == pytest.approx(1 / 5000)  # no permutation reached q
    again = _run(frame, ["soiltype"], permutations=200, seed=7)
    assert (
        again.factor["soiltype"].p_permutation
        == _run(frame, ["soiltype"], permutations=200, seed=7).factor["soiltype"].p_permutation
    )


# ------------------------------------------------------------------ p-values without scipy.stats
@pytest.mark.parametrize("round_df", [False, True])
def test_ntd_p_values_identical_to_scipy_stats(ntd, round_df):
    # scipy.special's fdtrc / stdtr / fdtri are what f.sf / t.sf / f.ppf compute: equal bits
    frame, _ = ntd
    result = _run(frame, round_df=round_df)
    for name in FACTORS:
        r = result.factor[name]
        assert r.p_central == sps.f.sf(r.f, r.strata - 1, r.n - r.strata)
        risk = result.risk[name]
        expected = 2.0 * sps.t.sf(np.abs(risk.t), risk.df)
        np.fill_diagonal(expected, np.nan)
        np.testing.assert_array_equal(risk.p, expected)
        assert np.isfinite(risk.p).sum() > 0
    n = result.factor[FACTORS[0]].n
    for e in result.ecological:
        assert e.threshold_or_p == sps.f.sf(e.f, n - 1, n - 1)
    (first, *_) = _run(frame, ecological_rule="q_ratio").ecological
    assert first.threshold_or_p == sps.f.ppf(0.9, n - 1, n - 1)


@pytest.mark.parametrize("f", [-1e-12, 0.0, 1e-300, 0.7, 54.0, 1e6, np.inf])
def test_central_f_sf_equals_scipy_stats_also_below_the_support(f):
    from landcarbon.stats.geodetector import f_sf

    assert f_sf(f, 3, 17) == sps.f.sf(f, 3, 17)


def test_importing_geodetector_loads_no_scipy_stats():
    # scipy.stats loads every distribution (~0.4 s); only the far noncentral tail needs it
    probe = (
        "import json, sys; import landcarbon.stats.geodetector; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('scipy.stats'))))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


# ------------------------------------------------------------------ hand cases
def test_factor_detector_hand_case():
    # y = 1 2 3 | 7 8 9; stratum means 2 and 8; SSW = 2 + 2 = 4;
    # grand mean 5, SST = 16 + 9 + 4 + 4 + 9 + 16 = 58; q = 1 - 4/58 = 27/29
    y = np.array([1.0, 2, 3, 7, 8, 9])
    r = detect(y, [encode_strata(np.array(list("aaabbb")), "x")]).factor["x"]
    assert r.q == pytest.approx(27 / 29, abs=1e-15)
    # F = (N - L)/(L - 1) q/(1 - q) = 4/1 * (27/29)/(2/29) = 54
    assert r.f == pytest.approx(54.0)
    # lambda = [2^2 + 8^2 - (sqrt3*2 + sqrt3*8)^2/6] / s^2 = (68 - 50)/(58/5) = 1.5517...
    assert r.noncentrality == pytest.approx(18 / 11.6)
    assert r.p == pytest.approx(sps.ncf.sf(54.0, 1, 4, 18 / 11.6))
    assert r.p_central == pytest.approx(sps.f.sf(54.0, 1, 4))
    pop = detect(y, [encode_strata(np.array(list("aaabbb")), "x")], noncentrality="population")
    assert pop.factor["x"].noncentrality == pytest.approx(18 / (58 / 6))


def test_one_member_strata_are_kept():
    # y = 1 3 | 10 | 20: SSW = 2 (only the pair); mean 8.5,
    # SST = 56.25 + 30.25 + 2.25 + 132.25 = 221; q = 1 - 2/221
    y = np.array([1.0, 3.0, 10.0, 20.0])
    x = encode_strata(np.array([1, 1, 2, 3]), "x")
    assert detect(y, [x]).factor["x"].q == pytest.approx(1 - 2 / 221)
    # gdverse drops them: only 1, 3 are left -> one stratum
    with pytest.raises(ParameterError, match="has 1 stratum"):
        detect(y, [x], keep_singletons=False)


@pytest.mark.parametrize(
    "q1, q2, q12, expected",
    [
        (0.3, 0.4, 0.2, "nonlinear-weaken"),
        (0.3, 0.4, 0.35, "uni-variable weaken"),
        (0.3, 0.4, 0.4, "uni-variable weaken"),
        (0.3, 0.4, 0.5, "bi-variable enhance"),
        (0.3, 0.4, 0.7, "independent"),
        (0.3, 0.4, 0.7 + 1e-13, "independent"),
        (0.3, 0.4, 0.8, "nonlinear-enhance"),
    ],
)
def test_interaction_types(q1, q2, q12, expected):
    assert interaction_type(q1, q2, q12) == expected


def test_risk_matches_scipy_welch():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 4, 200)
    y = rng.normal(x * 0.3, 1 + x)
    r = detect(y, [encode_strata(x, "x")]).risk["x"]
    for i in range(4):
        for j in range(4):
            if i != j:
                ref = sps.ttest_ind(y[x == i], y[x == j], equal_var=False)
                assert r.t[i, j] == pytest.approx(ref.statistic, rel=1e-10)
                assert r.p[i, j] == pytest.approx(ref.pvalue, rel=1e-8)


def test_risk_matrix_above_the_limit_is_skipped_with_a_note():
    # 2001 strata of 2 rows each: y = stratum code + (0, 1), so SSW = 2001 * 0.5 and q is
    # 1 - SSW/SST with SST = sum (y - mean)^2 (computed below by numpy)
    size = RISK_STRATA_LIMIT + 1
    codes = np.repeat(np.arange(size), 2)
    y = codes + np.tile([0.0, 1.0], size)
    result = detect(y, [encode_strata(codes, "dem")], interactions=False)
    assert result.factor["dem"].q == pytest.approx(1 - size * 0.5 / np.sum((y - y.mean()) ** 2))
    assert result.risk == {}
    assert result.notes == [
        "risk detector skipped for factor 'dem': 2001 strata (limit 2000) would need "
        "2001 x 2001 matrices; discretise the factor into fewer classes"
    ]
    assert result.as_dict()["notes"] == result.notes
    moments = stratum_moments(y, codes, size, 0.0)
    with pytest.raises(ParameterError, match="risk detector for factor 'dem': 2001 strata"):
        risk_from_moments("dem", np.arange(size), moments)


def test_q_matches_plain_pandas_reference():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {
            "y": rng.gamma(2, 3, 5000) + 1e6,
            "a": rng.integers(0, 40, 5000),
            "b": rng.choice(list("pqrs"), 5000),
        }
    )
    result = geodetector_table(frame, "y", ["a", "b"])
    for cols, key in ((["a"], "a"), (["b"], "b")):
        g = frame.groupby(cols)["y"]
        ref = 1 - (g.var(ddof=0) * g.count()).sum() / (frame.y.var(ddof=0) * len(frame))
        assert result.factor[key].q == pytest.approx(ref, abs=1e-10)
    g = frame.groupby(["a", "b"])["y"]
    ref = 1 - (g.var(ddof=0) * g.count()).sum() / (frame.y.var(ddof=0) * len(frame))
    assert result.interaction["a:b"].q == pytest.approx(ref, abs=1e-10)


# ------------------------------------------------------------------ properties
labels_and_y = st.integers(6, 60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 4), min_size=n, max_size=n),
        st.lists(st.integers(0, 3), min_size=n, max_size=n),
        st.lists(st.floats(-100, 100, allow_nan=False), min_size=n, max_size=n),
    )
)


def _usable(y, *xs):
    return np.ptp(y) > 1e-6 and all(2 <= np.unique(x).size < len(y) for x in xs)


@settings(max_examples=60, deadline=None)
@given(labels_and_y)
# both factors explain y fully (q = 1): the ecological F was 0/0 (ZeroDivisionError)
@example(([0, 0, 0, 1, 1, 1], [1, 1, 1, 2, 2, 2], [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]))
# one factor with q = 1, the other not: F = x/0
@example(([0, 0, 0, 1, 1, 1], [0, 1, 0, 1, 1, 1], [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]))
def test_properties(data):
    a, b, y = (np.asarray(v) for v in data)
    if not _usable(y, a, b) or np.unique(a * 4 + b).size >= len(y):
        return
    result = detect(y, [encode_strata(a, "a"), encode_strata(b, "b")])
    qa, qb, q12 = result.factor["a"].q, result.factor["b"].q, result.interaction["a:b"].q
    assert -1e-12 <= qa <= 1 + 1e-12 and -1e-12 <= qb <= 1 + 1e-12
    assert q12 >= max(qa, qb) - 1e-12
    # ecological F: never NaN; the two orders of a pair are reciprocal; equal q, F = 1
    f = {(e.a, e.b): e.f for e in result.ecological}
    assert f[("a", "b")] >= 0 and f[("b", "a")] >= 0
    assert f[("a", "b")] * f[("b", "a")] == pytest.approx(1.0) or 0.0 in f.values()
    if abs(qa - qb) <= 1e-12:
        assert f[("a", "b")] == pytest.approx(1.0)
    # relabelling the strata (any one-to-one map) does not change q
    relabelled = detect(y, [encode_strata(np.array([f"s{9 - v}" for v in a]), "a")])
    assert relabelled.factor["a"].q == pytest.approx(qa, abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=4, max_size=40))
def test_q_is_one_when_strata_are_y(values):
    y = np.asarray(values, dtype=float)
    if not 2 <= np.unique(y).size < y.size:
        return
    assert detect(y, [encode_strata(y, "y")]).factor["y"].q == pytest.approx(1.0, abs=1e-12)


def test_ecological_detector_factors_with_q_one():
    # a and b explain y fully, c half: SSW_a = SSW_b = 0
    y = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    a, c = np.array([0, 0, 0, 1, 1, 1]), np.array([0, 1, 0, 1, 1, 1])
    strata = [encode_strata(a, "a"), encode_strata(a + 5, "b"), encode_strata(c, "c")]
    ssw = {(e.a, e.b): e for e in detect(y, strata).ecological}
    assert ssw[("a", "b")].f == 1.0 and not ssw[("a", "b")].significant
    assert ssw[("a", "b")].threshold_or_p == pytest.approx(sps.f.sf(1.0, 5, 5))
    assert ssw[("c", "a")].f == np.inf and ssw[("c", "a")].threshold_or_p == 0.0
    assert ssw[("c", "a")].significant
    assert ssw[("a", "c")].f == 0.0 and not ssw[("a", "c")].significant
    ratio = {(e.a, e.b): e for e in detect(y, strata, ecological_rule="q_ratio").ecological}
    assert ratio[("a", "b")].f == 1.0 and not ratio[("a", "b")].significant
    assert ratio[("a", "c")].f == pytest.approx(0.5)


def test_ecological_ratio_limits():
    assert ecological_ratio(0.0, 0.0) == 1.0
    assert ecological_ratio(1e-17, 0.0) == 1.0  # round-off of a q = 1 counts as 0
    assert ecological_ratio(0.25, 0.0) == np.inf
    assert ecological_ratio(0.0, 0.5) == 0.0
    assert ecological_ratio(0.25, 0.5) == 0.5


# ------------------------------------------------------------------ bad input
def test_nan_in_y_dropped_with_count():
    frame = pd.DataFrame({"y": [1.0, np.nan, 3.0, 7.0, 8.0, 9.0, np.nan], "x": list("aaabbbb")})
    result = geodetector_table(frame, "y", ["x"])
    assert result.dropped_rows == 2 and result.n == 5


def test_y_all_nan():
    frame = pd.DataFrame({"y": [np.nan, np.nan], "x": [1, 2]})
    with pytest.raises(TableError, match=r"t\.csv: column 'y' \(y\) has no values"):
        geodetector_table(frame, "y", ["x"], source="t.csv")


def test_strings_in_y():
    frame = pd.DataFrame({"y": ["1.5", "n/a", "3"], "x": [1, 2, 2]})
    with pytest.raises(TableError, match="column 'y' \\(y\\) must be numeric; row 3 holds 'n/a'"):
        geodetector_table(frame, "y", ["x"], source="t.csv")


def test_factor_with_one_stratum():
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0], "x": [5, 5, 5]})
    with pytest.raises(ParameterError, match="factor 'x' has 1 stratum over the 3 rows used"):
        geodetector_table(frame, "y", ["x"])


def test_fewer_samples_than_strata():
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0], "x": [1, 2, 3]})
    with pytest.raises(ParameterError, match="factor 'x' has 3 strata but only 3 rows"):
        geodetector_table(frame, "y", ["x"])


def test_missing_columns_listed():
    frame = pd.DataFrame({"y": [1.0], "a": [1]})
    with pytest.raises(TableError, match="column\\(s\\) 'b' not found; available columns: y, a"):
        geodetector_table(frame, "y", ["a", "b"], source="t.csv")


def test_bad_options():
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "x": [1, 1, 2, 2]})
    with pytest.raises(ParameterError, match="noncentrality='both'"):
        geodetector_table(frame, "y", ["x"], noncentrality="both")
    with pytest.raises(ParameterError, match="ecological rule 'x'"):
        geodetector_table(frame, "y", ["x"], ecological_rule="x")
    with pytest.raises(ParameterError, match="discretize='yes'"):
        geodetector_table(frame, "y", ["x"], discretize="yes")


@pytest.mark.parametrize(
    "f, df1, df2, ncp",
    [
        (54.0, 1, 4, 1.55),
        (3.2, 8, 176, 12.0),
        (1.7, 4, 180, 40.0),
        (0.5, 2, 30, 0.3),
        (25, 12, 5000, 180),
    ],
)
def test_noncentral_f_sf_matches_scipy(f, df1, df2, ncp):
    from landcarbon.stats.geodetector import noncentral_f_sf

    assert noncentral_f_sf(f, df1, df2, ncp) == pytest.approx(
        sps.ncf.sf(f, df1, df2, ncp), abs=1e-9
    )


def test_noncentral_f_sf_with_zero_ncp_is_central_f():
    from landcarbon.stats.geodetector import noncentral_f_sf

    # lambda = 0 (all stratum means equal) must give the central F tail
    assert noncentral_f_sf(1.0, 3, 50, 0.0) == pytest.approx(sps.f.sf(1.0, 3, 50), rel=1e-12)


def test_far_tail_p_keeps_relative_accuracy():
    from landcarbon.stats.geodetector import noncentral_f_sf

    # R's series (absolute error 1e-9) would give ~1e-10 noise here; Boost is exact
    p = noncentral_f_sf(397.96, 13, 699, 14.43)
    assert p == pytest.approx(sps.ncf.sf(397.96, 13, 699, 14.43), rel=1e-9)
    assert p < 1e-250


def test_encode_strata_integers_text_and_nodata():
    nodata = np.iinfo(np.int32).min
    s = encode_strata(np.array([[5, -3], [nodata, 100]], dtype=np.int32), "lu")
    np.testing.assert_array_equal(s.codes, [[1, 0], [-1, 2]])
    np.testing.assert_array_equal(s.labels, [-3, 5, 100])
    wide = encode_strata(np.array([0, 10**12, 0]), "wide")  # range too wide for a lookup table
    np.testing.assert_array_equal(wide.codes, [0, 1, 0])
    text = encode_strata(np.array(["b", None, "a"], dtype=object), "t")
    np.testing.assert_array_equal(text.codes, [1, -1, 0])
