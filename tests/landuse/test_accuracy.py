"""OA, Kappa, disagreement and Figure of Merit: hand cases, sklearn, Plum Island, properties."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import cohen_kappa_score, confusion_matrix

from landcarbon.errors import AlignmentError, ParameterError
from landcarbon.landuse.accuracy import (
    agreement,
    change_agreement_map,
    figure_of_merit,
    sampled_agreement,
    splitmix64,
)
from landcarbon.raster import CLASS_NODATA, read_raster
from landcarbon.testing import assert_backends_agree, make_raster

N = CLASS_NODATA
OBSERVED = np.array([[1, 1, 2], [2, 3, 3]], dtype=np.int32)
SIMULATED = np.array([[1, 2, 2], [2, 3, 1]], dtype=np.int32)

# three-map hand case, one cell per column (i = initial, o = observed, s = simulated)
INITIAL3 = np.array([[1, 1, 1, 1, 2, 2, 2, 2]], dtype=np.int32)
OBSERVED3 = np.array([[2, 2, 3, 1, 2, 2, 1, 3]], dtype=np.int32)
SIMULATED3 = np.array([[2, 1, 2, 2, 2, 1, 1, 2]], dtype=np.int32)
# cell: 0 (1,2,2) hit   1 (1,2,1) miss   2 (1,3,2) wrong hit   3 (1,1,2) false alarm
#       4 (2,2,2) persistence  5 (2,2,1) false alarm  6 (2,1,1) hit  7 (2,3,2) miss


def test_two_map_hand_case():
    ag = agreement(make_raster(OBSERVED), make_raster(SIMULATED))
    # pairs (obs, sim): (1,1) (1,2) (2,2) (2,2) (3,3) (3,1)
    np.testing.assert_array_equal(ag.confusion, [[1, 1, 0], [0, 2, 0], [1, 0, 1]])
    # OA = 4 / 6; p_e = (2*2 + 2*3 + 2*1) / 36 = 1/3; kappa = (2/3 - 1/3) / (2/3) = 0.5
    assert ag.overall_accuracy == pytest.approx(4 / 6, rel=1e-15)
    assert ag.kappa == pytest.approx(0.5, rel=1e-15)
    # Q = 1/2 (|2-2| + |2-3| + |2-1|) / 6 = 1/6; A = (min(1,1) + min(0,1) + min(1,0)) / 6 = 1/6
    assert ag.quantity_disagreement == pytest.approx(1 / 6, rel=1e-15)
    assert ag.allocation_disagreement == pytest.approx(1 / 6, rel=1e-15)
    # side by side with scikit-learn
    assert ag.kappa == pytest.approx(
        cohen_kappa_score(OBSERVED.ravel(), SIMULATED.ravel()), abs=1e-15
    )
    np.testing.assert_array_equal(
        ag.confusion, confusion_matrix(OBSERVED.ravel(), SIMULATED.ravel())
    )
    assert ag.confusion_frame().loc[3, 1] == 1


def test_nodata_cells_are_left_out():
    sim = SIMULATED.copy()
    sim[1, 2] = N  # drop the (3, 1) cell: 4 of 5 agree
    ag = agreement(make_raster(OBSERVED), make_raster(sim))
    assert ag.confusion.sum() == 5
    assert ag.overall_accuracy == pytest.approx(0.8)


def test_figure_of_merit_hand_case():
    fom = figure_of_merit(make_raster(INITIAL3), make_raster(OBSERVED3), make_raster(SIMULATED3))
    o = fom.overall
    # A misses = cells 1, 7; B hits = 0, 6; C wrong hits = 2; D false alarms = 3, 5
    assert (o["misses"], o["hits"], o["wrong_hits"], o["false_alarms"]) == (2, 2, 1, 2)
    assert o["fom"] == pytest.approx(2 / 7)  # B / (A + B + C + D)
    assert o["producer_accuracy"] == pytest.approx(2 / 5)  # B / (A + B + C)
    assert o["user_accuracy"] == pytest.approx(2 / 5)  # B / (B + C + D)
    # Eq. 10, by initial class. Class 1 (cells 0-3): hit 0, miss 1, wrong hit 2, false alarm
    # 3 -> 1/4; class 2 (cells 4-7): persistence 4, false alarm 5, hit 6, miss 7 -> 1/3
    bi = fom.by_initial_class
    assert bi.loc[1, ["misses", "hits", "wrong_hits", "false_alarms"]].tolist() == [1, 1, 1, 1]
    assert bi.loc[2, ["misses", "hits", "wrong_hits", "false_alarms"]].tolist() == [1, 1, 0, 1]
    np.testing.assert_allclose(bi["fom"].iloc[:2], [1 / 4, 1 / 3])
    np.testing.assert_allclose(bi["producer_accuracy"].iloc[:2], [1 / 3, 1 / 2])
    assert np.isnan(bi.loc[3, "fom"])  # no cell starts as class 3
    # Eq. 11, by transition, intersection over union of observed and simulated k -> j:
    # 1->2 observed cells 0, 1; simulated 0, 2, 3; hit 0 -> 1 / 4 (the gaining-class count
    # left cell 2, a wrong hit of 1->3, out of the union: 1/3)
    bt = fom.by_transition
    assert bt.loc[(1, 2), ["hits", "observed", "simulated"]].tolist() == [1, 2, 3]
    assert bt.loc[(1, 2), "fom"] == pytest.approx(1 / 4)
    assert bt.loc[(1, 2), "producer_accuracy"] == pytest.approx(1 / 2)
    assert bt.loc[(1, 2), "user_accuracy"] == pytest.approx(1 / 3)
    # 1->3: observed cell 2, never simulated; 2->1: observed 6, simulated 5, 6 -> 1/2
    assert bt.loc[(1, 3), ["hits", "observed", "simulated", "fom"]].tolist() == [0, 1, 0, 0.0]
    assert bt.loc[(2, 1), "fom"] == pytest.approx(1 / 2)
    assert np.isnan(bt.loc[(3, 1), "fom"])
    # the gaining-class form, under its own name
    pc = fom.by_gaining_class
    # class 1: hit cell 6, false alarm cell 5 -> 1/2; class 2: miss 1, hit 0, false alarm 3 -> 1/3
    # class 3: miss 7, wrong hit 2 -> 0
    assert pc.loc[1, ["misses", "hits", "wrong_hits", "false_alarms"]].tolist() == [0, 1, 0, 1]
    assert pc.loc[2, ["misses", "hits", "wrong_hits", "false_alarms"]].tolist() == [1, 1, 0, 1]
    assert pc.loc[3, ["misses", "hits", "wrong_hits", "false_alarms"]].tolist() == [1, 0, 1, 0]
    np.testing.assert_allclose(pc["fom"], [1 / 2, 1 / 3, 0.0])
    d = fom.as_dict()
    assert d["fom_by_initial_class"] == {"1": 0.25, "2": pytest.approx(1 / 3), "3": None}
    assert d["fom_by_transition"]["1->2"] == 0.25 and d["fom_by_transition"]["3->1"] is None
    assert d["fom_counts"] == {"misses": 2, "hits": 2, "wrong_hits": 1, "false_alarms": 2}
    # the agreement of observed vs simulated comes from the same counts
    assert fom.agreement.overall_accuracy == pytest.approx(3 / 8)  # cells 0, 4, 6


def test_change_agreement_map_hand_case_and_backends():
    maps = [make_raster(a) for a in (INITIAL3, OBSERVED3, SIMULATED3)]
    out = assert_backends_agree(change_agreement_map, *maps, chunks=(1, 3))
    np.testing.assert_array_equal(out.values, [[2, 1, 3, 4, 0, 4, 2, 1]])
    init = INITIAL3.copy()
    init[0, 0] = N
    assert change_agreement_map(make_raster(init), maps[1], maps[2]).values[0, 0] == N


def test_dask_agrees_with_numpy():
    rng = np.random.default_rng(3)
    a, b, c = (rng.integers(1, 4, size=(11, 13)).astype(np.int32) for _ in range(3))
    eager = figure_of_merit(make_raster(a), make_raster(b), make_raster(c))
    lazy = figure_of_merit(*(make_raster(x, "dask", (4, 5)) for x in (a, b, c)))
    np.testing.assert_array_equal(lazy.counts, eager.counts)
    assert lazy.overall == eager.overall


def test_plum_island_against_sklearn_and_published_counts(shared_data):
    folder = shared_data / "lulcc_plum_island"
    derived = json.loads((folder / "expected.json").read_text())["derived_check"]
    lu = {y: read_raster(folder / f"lu_pie_{y}.tif", "categorical") for y in (1985, 1991, 1999)}
    # the null model: 1991 used as the "simulation" of 1999
    ag = agreement(lu[1999], lu[1991])
    rows = derived["transfer_matrix_1991_to_1999"]
    cross = np.array([rows[k] for k in ("Forest", "Built", "Other")])
    np.testing.assert_array_equal(ag.confusion, cross.T)  # rows = observed 1999
    valid = lu[1999].values != N
    expected = cohen_kappa_score(lu[1999].values[valid], lu[1991].values[valid])
    assert ag.kappa == pytest.approx(expected, abs=1e-14)
    assert 1 - ag.overall_accuracy == pytest.approx(
        ag.quantity_disagreement + ag.allocation_disagreement, abs=1e-14
    )
    fom = figure_of_merit(lu[1985], lu[1999], lu[1991])
    # the 1985 -> 1999 change the null model misses entirely: cells that changed 85->99 but
    # not 85->91 (misses) plus those it gets right (hits) add up to the observed change
    change_85_99 = sum(sum(r) for r in derived["transfer_matrix_1985_to_1999"].values()) - (
        44107 + 36957 + 23921
    )
    o = fom.overall
    assert o["misses"] + o["hits"] + o["wrong_hits"] == change_85_99
    for table in (fom.by_initial_class, fom.by_gaining_class):
        assert table[["misses", "hits", "wrong_hits", "false_alarms"]].sum().tolist() == [
            o["misses"],
            o["hits"],
            o["wrong_hits"],
            o["false_alarms"],
        ]


def test_splitmix64_reference_vector():
    # first outputs of SplitMix64 seeded with 0 (Vigna's reference splitmix64.c): the state
    # advances by the golden gamma, so state k gives output k+1
    gamma = 0x9E3779B97F4A7C15
    states = np.array([0, gamma, (2 * gamma) % 2**64], dtype=np.uint64)
    assert [hex(int(v)) for v in splitmix64(states)] == [
        "0xe220a8397b1dcdaf",
        "0x6e789e6aa1b965f4",
        "0x6c45d188009454f",
    ]


def test_sampled_kappa_is_deterministic_and_chunking_free():
    rng = np.random.default_rng(5)
    obs = rng.integers(1, 4, size=(60, 70)).astype(np.int32)
    sim = np.where(rng.random((60, 70)) < 0.7, obs, rng.integers(1, 4, size=(60, 70))).astype(
        np.int32
    )
    a, b = make_raster(obs), make_raster(sim)
    sampled = sampled_agreement(a, b, sample_rate=0.1, seed=7)
    # about 10 % of 4200 cells (binomial sd ~19)
    assert 320 < sampled.confusion.sum() < 520
    again = sampled_agreement(
        a.chunk({"y": 7, "x": 9}), b.chunk({"y": 7, "x": 9}), sample_rate=0.1, seed=7
    )
    np.testing.assert_array_equal(again.confusion, sampled.confusion)
    other = sampled_agreement(a, b, sample_rate=0.1, seed=8)
    assert not np.array_equal(other.confusion, sampled.confusion)
    full = sampled_agreement(a, b, sample_rate=1.0, seed=7)
    np.testing.assert_array_equal(full.confusion, agreement(a, b).confusion)
    with pytest.raises(
        ParameterError, match=r"sample_rate = 0 \(CLI --sample-rate 0\): must be in \(0, 1\]"
    ):
        sampled_agreement(a, b, sample_rate=0, seed=7)


def test_maps_of_different_grids_are_refused():
    with pytest.raises(AlignmentError, match="simulated map is not on the grid of observed map"):
        agreement(make_raster(OBSERVED), make_raster(SIMULATED, cell_size=10.0))
    with pytest.raises(AlignmentError, match="initial map"):
        change_agreement_map(
            make_raster(INITIAL3, crs="EPSG:32651"), make_raster(OBSERVED3), make_raster(SIMULATED3)
        )


def test_maps_without_shared_cells_are_refused():
    a = np.array([[1, N]], dtype=np.int32)
    b = np.array([[N, 1]], dtype=np.int32)
    with pytest.raises(ParameterError, match="share no valid cell"):
        agreement(make_raster(a), make_raster(b))


map_strategy = st.integers(1, 6).flatmap(
    lambda rows: arrays(np.int32, (rows, 4), elements=st.sampled_from([1, 2, 3, 7]))
)


@settings(max_examples=40, deadline=None)
@given(map_strategy)
def test_kappa_of_a_map_with_itself_is_one(values):
    ag = agreement(make_raster(values), make_raster(values))
    assert ag.kappa == 1.0
    assert ag.overall_accuracy == 1.0
    assert ag.quantity_disagreement == 0.0 and ag.allocation_disagreement == 0.0


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_disagreement_budget_and_fom_sums(seed):
    rng = np.random.default_rng(seed)
    a, b, c = (rng.integers(1, 5, size=(5, 6)).astype(np.int32) for _ in range(3))
    fom = figure_of_merit(make_raster(a), make_raster(b), make_raster(c))
    ag = fom.agreement
    assert 1 - ag.overall_accuracy == pytest.approx(
        ag.quantity_disagreement + ag.allocation_disagreement, abs=1e-12
    )
    if len(np.unique(np.concatenate([b.ravel(), c.ravel()]))) > 1:
        assert ag.kappa == pytest.approx(cohen_kappa_score(b.ravel(), c.ravel()), abs=1e-12)
    keys = ["misses", "hits", "wrong_hits", "false_alarms"]
    overall = [fom.overall[k] for k in keys]
    assert fom.by_initial_class[keys].sum().tolist() == overall
    assert fom.by_gaining_class[keys].sum().tolist() == overall
    assert fom.by_transition["hits"].sum() == fom.overall["hits"]
    assert sum(overall) + fom.counts[np.arange(4), np.arange(4), np.arange(4)].sum() == 30


def _lulcc_fom(initial: np.ndarray, observed: np.ndarray, simulated: np.ndarray, k: int):
    """lulcc's ``.figureOfMerit`` (R, Pontius et al. 2011 Eqs. 9-11) transcribed at resolution 1.

    lulcc keeps a ((K+1)^2, K+1) table of cell fractions: row ``i + j (K+1)`` (0-based) is
    initial class i within the block of observed class j, row ``K + j (K+1)`` the block's
    total over i, column k the simulated class and column K the row's total.
    """
    n = initial.size
    tab = np.zeros(((k + 1) * (k + 1), k + 1))
    cells = zip(initial.ravel() - 1, observed.ravel() - 1, simulated.ravel() - 1, strict=True)
    for a, b, c in cells:
        tab[a + b * (k + 1), c] += 1 / n
    for j in range(k):  # block totals
        tab[k + j * (k + 1), :k] = tab[j * (k + 1) : j * (k + 1) + k, :k].sum(axis=0)
    tab[:, k] = tab[:, :k].sum(axis=1)
    a = sum(tab[k + j * (k + 1), j] for j in range(k))
    b = sum(tab[j + j * (k + 1), j] for j in range(k))
    overall = (a - b) / (1 - b)  # Eq. 9
    eq10 = []
    for i in range(k):
        a = sum(tab[i + j * (k + 1), j] for j in range(k))
        b = sum(tab[i + j * (k + 1), k] for j in range(k))
        c = tab[i + i * (k + 1), i]
        eq10.append((a - c) / (b - c))  # Eq. 10
    eq11 = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            a = tab[i + j * (k + 1), j]
            b = tab[i + j * (k + 1), k]
            c = sum(tab[i + m * (k + 1), j] for m in range(k))
            eq11[i, j] = a / (b + c - a)  # Eq. 11
    return overall, eq10, eq11


def test_fom_forms_match_lulcc_transcription():
    # three correlated random maps, every class present initially
    rng = np.random.default_rng(11)
    k = 4
    init = rng.integers(1, k + 1, size=(30, 40)).astype(np.int32)
    obs = np.where(rng.random(init.shape) < 0.3, rng.integers(1, k + 1, init.shape), init)
    sim = np.where(rng.random(init.shape) < 0.5, obs, init)
    sim = np.where(rng.random(init.shape) < 0.1, rng.integers(1, k + 1, init.shape), sim)
    maps = [make_raster(a.astype(np.int32)) for a in (init, obs, sim)]
    fom = figure_of_merit(*maps)
    overall, eq10, eq11 = _lulcc_fom(init, obs, sim, k)
    assert fom.overall["fom"] == pytest.approx(overall, abs=1e-12)
    np.testing.assert_allclose(fom.by_initial_class["fom"], eq10, atol=1e-12)
    for (src, dst), value in fom.by_transition["fom"].items():
        assert value == pytest.approx(eq11[src - 1, dst - 1], abs=1e-12), (src, dst)
    # the gaining-class form is a different number: it is not Eq. 10
    assert np.abs(fom.by_gaining_class["fom"].to_numpy() - eq10).max() > 0.01
