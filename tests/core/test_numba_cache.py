"""Cold start (issue 18, item 3): where numba caches the kernels, and the warm-up that fills
that cache before a user's first study."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from landcarbon import _numba
from landcarbon.testing import one_error_line, run_cli


def test_in_tree_cache_when_the_package_is_writable(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    assert _numba.cache_dir(tmp_path) is None  # numba's own __pycache__ beside the source


def test_user_cache_folder_when_the_package_is_read_only(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(_numba.os, "access", lambda path, mode: False)  # root writes anywhere
    expected = tmp_path / "xdg" / "landcarbon" / "numba"
    if sys.platform.startswith("linux"):
        assert _numba.cache_dir(tmp_path) == expected
    assert _numba.cache_dir(tmp_path) == _numba.user_cache_dir() / "numba"


def test_numba_cache_dir_set_by_the_user_is_kept(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setattr(_numba.os, "access", lambda path, mode: False)
    assert _numba.cache_dir(tmp_path) == tmp_path / "mine"


def test_read_only_install_sends_numba_to_the_user_cache_even_after_numba_loaded(tmp_path):
    """In a fresh interpreter that imported numba first, with a read-only package folder
    (simulated: os.access says no), importing landcarbon points numba's live config at the
    user cache, and a cached kernel is written there."""
    probe = (
        "import os, numba\n"
        "os.access = lambda path, mode: False\n"
        "import landcarbon\n"
        "from landcarbon.stats._kernels import pair_codes\n"
        "import numpy as np\n"
        "pair_codes(np.zeros(3, np.int64), np.zeros(3, np.int64), 2)\n"
        "print(numba.core.config.CACHE_DIR)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    folder = tmp_path / "landcarbon" / "numba"
    assert proc.stdout.strip() == str(folder)
    assert any(p.name.startswith("_kernels.pair_codes") for p in folder.rglob("*.nbi"))


def test_warm_up_refuses_an_unknown_example():
    proc = run_cli("warm-up", "--example", "arid_budget")
    line = one_error_line(proc)
    assert "no example study 'arid_budget'" in line
    assert "arid_budget_scenarios" in line  # the fix: the names there are


@pytest.mark.slow
def test_warm_up_fills_the_cache_that_a_study_then_loads(tmp_path):
    """After `landcarbon warm-up --example county_sinks` into an empty numba cache, the
    same study on a region of another size and shape compiles nothing: no new cache entry
    (the kernels' argument types do not depend on the map size)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}

    def entries() -> set[Path]:
        return set((tmp_path / "numba").rglob("*.nbc"))

    def run(*args: str) -> None:
        subprocess.run([sys.executable, *args], env=env, cwd=tmp_path, check=True)

    run("-c", "from landcarbon.cli import main; main()", "warm-up", "--example", "county_sinks")
    warmed = entries()
    assert len(warmed) >= 5
    run(
        "-c",
        "from landcarbon.study.examples import warm_up; "
        "warm_up(['county_sinks'], shape=(120, 140))",
    )
    assert entries() == warmed


def _compiled_signatures(code: str, env: dict[str, str] | None = None) -> dict[str, tuple]:
    """Run ``code`` in a fresh interpreter, then list every landcarbon numba kernel that has
    a compiled (or cache-loaded) signature: ``{module.name: (signatures, parallel)}``."""
    probe = code + (
        "\nimport sys\n"
        "from numba.core.dispatcher import Dispatcher\n"
        "for mod in [m for n, m in list(sys.modules.items()) if n.startswith('landcarbon')]:\n"
        "    for name, f in vars(mod).items():\n"
        "        if isinstance(f, Dispatcher) and f.signatures and f.__module__ == mod.__name__:\n"
        "            parallel = bool(f.targetoptions.get('parallel'))\n"
        "            print(f'{mod.__name__}.{name}', len(f.signatures), parallel, sep='|')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=True,
    )
    rows = [line.split("|") for line in proc.stdout.splitlines() if line.count("|") == 2]
    return {name: (int(n), parallel == "True") for name, n, parallel in rows}


def test_a_small_map_compiles_one_proposal_signature_and_no_parallel_kernel():
    """The proposal sweep of a map below PARALLEL_MIN_CELLS compiles no parallel kernel
    (seconds of compilation a small study never uses), and the allocation's call, a tile's
    call (window of a larger map) and scalars of other Python/numpy types share one
    compiled signature (the old kernel compiled one per set of argument types)."""
    code = (
        "import numpy as np\n"
        "from landcarbon.landuse import _kernels as K\n"
        "rng = np.random.default_rng(0)\n"
        "cls = rng.integers(-1, 4, (40, 50)).astype(np.int8)\n"
        "prob = rng.random((4, 40, 50))\n"
        "allowed = rng.random((4, 4)) < 0.7\n"
        "zone = np.ones((40, 50), np.uint8)\n"
        "out = np.empty((40, 50), np.int8), np.empty((40, 50), np.bool_)\n"
        "ones = np.ones(4)\n"
        "K.propose(cls, prob, ones, ones, ones, allowed, zone, ones > 0, K.CARS, 0.5, -1,"
        " 1.0, np.uint64(1), 0, 1, *out)\n"
        "K.propose(cls, prob, ones, ones, ones, allowed, zone, ones > 0, np.int64(K.CARS), 1,"
        " 2, 1, np.uint64(1), np.int32(3), 1, *out, 60, 100)\n"
    )
    compiled = _compiled_signatures(code)
    kernels = {name.rsplit(".", 1)[1]: found for name, found in compiled.items()}
    assert "_propose_block" in kernels
    assert {name: n for name, (n, _) in kernels.items() if n != 1} == {}
    assert [name for name, (_, parallel) in kernels.items() if parallel] == []


@pytest.mark.slow
def test_warm_up_covers_the_arid_example_with_one_signature_per_kernel(tmp_path):
    """After ``landcarbon warm-up --example arid_budget_scenarios`` into an empty numba
    cache (its region large enough for the parallel sweep), the example on a small region
    (128 x 128: the serial sweep) compiles nothing, and each kernel it runs has one
    signature. (The old code compiled the stratum moments for read-only and for writable
    y, and the carbon lookup for float32 and float64 maps; in-memory lookups are numpy
    now.)"""
    cache = tmp_path / "numba"
    env = {"NUMBA_CACHE_DIR": str(cache)}
    cli = [sys.executable, "-c", "from landcarbon.cli import main; main()"]
    subprocess.run(
        [*cli, "-q", "warm-up", "--example", "arid_budget_scenarios"],
        env={**os.environ, **env},
        cwd=tmp_path,
        check=True,
    )
    warmed = set(cache.rglob("*.nbc"))
    compiled = _compiled_signatures(
        "import warnings\n"
        "warnings.simplefilter('ignore')\n"
        "from landcarbon.study.examples import warm_up\n"
        "warm_up(['arid_budget_scenarios'], shape=(128, 128))\n",
        env,
    )
    assert set(cache.rglob("*.nbc")) == warmed
    assert "landcarbon.landuse._kernels._propose_block" in compiled
    several = {name: n for name, (n, _) in compiled.items() if n != 1}
    # the natural-breaks rows on one thread (the study) and on threads (the warm-up's own
    # _compile_threaded_breaks, for large maps): two on purpose
    assert several == {"landcarbon.stats._kernels._fill_table": 2}


def test_natural_breaks_and_opgd_share_one_signature_of_every_breaks_kernel(tmp_path):
    """``natural_breaks`` (threads for its rows) and the OPGD search (weighted distinct
    values, one thread) compile the Fisher-Jenks kernels once between them: no second
    version for a literal ``True`` unit-weights flag, a literal ``0`` class start or an
    omitted ``parts`` (each was seconds of a cold start); and, one thread being given as
    None, no parallel row kernel compiled."""
    compiled = _compiled_signatures(
        "import numpy as np\n"
        "from landcarbon.stats.classify import natural_breaks\n"
        "from landcarbon.stats.opgd import optimal_discretization\n"
        "rng = np.random.default_rng(0)\n"
        "natural_breaks(rng.random(2000), 5)\n"
        "x = np.round(rng.random(2000), 2)\n"
        "optimal_discretization(x + rng.random(2000), x, methods=['natural'], ks=[3, 4])\n",
        {"NUMBA_CACHE_DIR": str(tmp_path / "numba")},
    )
    breaks = {n: c for n, (c, _) in compiled.items() if n.startswith("landcarbon.stats._k")}
    assert "landcarbon.stats._kernels._fill_row" in breaks
    assert {n: c for n, c in breaks.items() if c != 1} == {}
    # small data on one thread: the parallel row kernel (seconds) is not compiled at all
    assert [n for n, (_, parallel) in compiled.items() if parallel] == []


def test_random_stream_helpers_and_column_counts_compile_one_signature(tmp_path):
    """On an empty cache, a CARS sweep with a development zone, the walk of its candidates
    and the tiled gather compile each random-stream helper and the column counts once:
    the stream numbers and the column signs are int64, not literal ints (the old code
    compiled ``pair_hash`` four times, ``half_uniform``, ``stream_uniform`` and
    ``_column_add`` twice each), and the sweep's steps are not compiled apart from it.
    The numbers themselves are checked against the numpy reference in
    tests/landuse/test_kernels.py."""
    compiled = _compiled_signatures(
        "import numpy as np\n"
        "from landcarbon.landuse import _kernels as K\n"
        "from landcarbon.landuse._tiled_kernels import gather_proposals\n"
        "rng = np.random.default_rng(0)\n"
        "cls = rng.integers(0, 3, (30, 40)).astype(np.int8)\n"
        "prob = rng.random((3, 30, 40))\n"
        "zone = rng.integers(1, 3, (30, 40)).astype(np.uint8)\n"
        "cand, seeded = np.empty((30, 40), np.int8), np.empty((30, 40), np.bool_)\n"
        "ones = np.ones(3)\n"
        "K.propose(cls, prob, ones, ones, ones, np.ones((3, 3), bool), zone, ones > 0,"
        " K.CARS, 0.1, 1, 0.5, np.uint64(5), 2, 1, cand, seeded)\n"
        "assert (cand >= 0).any()\n"
        "counts = np.bincount(cls.ravel(), minlength=3).astype(np.int64)\n"
        "K.apply_proposals(cls.copy(), cand, seeded, counts, counts + 50, counts - 50,"
        " cls.copy(), np.uint64(5), 2, 10, np.zeros((1, 1), np.int32),"
        " np.zeros((1, 1), np.int64), False)\n"
        "gather_proposals(cls, cand, seeded, cls.copy(), 3, np.uint64(5), 2, 0, 40)\n",
        {"NUMBA_CACHE_DIR": str(tmp_path / "numba")},
    )
    kernels = {name.rsplit(".", 1)[1]: n for name, (n, _) in compiled.items()}
    for name in ("pair_hash", "half_uniform", "stream_uniform", "_column_add"):
        assert kernels.get(name) == 1, (name, kernels.get(name))
    # the sweep's per-row and per-tile steps are compiled inside _propose_block only
    assert kernels.get("_propose_block") == 1
    steps = {"_buffers", "_row_active", "_tile_op", "_tile_zone", "_tile_roulette", "_tile_decide"}
    assert steps & set(kernels) == set()


def test_serial_and_parallel_rows_give_identical_breaks():
    """Natural-breaks rows on this thread (``parts=None``: the serial row, no parallel
    kernel) and on 1, 2 or 3 threads: the same edges for every k, with unit weights and
    with repeated values."""
    from landcarbon.stats._kernels import fisher_jenks_edges, sorted_unique_counts

    rng = np.random.default_rng(7)
    for values in (rng.gamma(2.0, 3.0, 4000), np.round(rng.normal(0.0, 1.0, 6000), 2)):
        unique, counts = sorted_unique_counts(np.sort(values))
        serial = fisher_jenks_edges(unique, counts, 12, None)
        assert np.isfinite(serial[11]).all()
        for parts in (1, 2, 3):
            np.testing.assert_array_equal(fisher_jenks_edges(unique, counts, 12, parts), serial)


def test_warm_up_compiles_the_threaded_natural_breaks_rows(tmp_path):
    """The examples' small regions run natural breaks on one thread; the warm-up compiles
    the threaded rows (and the merge of two sorted halves) as well, so natural breaks of
    2**16 distinct values or more on two threads (a user's large map) then loads every
    breaks kernel: no new cache entry."""
    cache = tmp_path / "numba"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}

    def entries() -> set[str]:
        names = ("_kernels._fill_table", "_kernels.merged_unique_counts")
        return {p.name for p in cache.rglob("*.nbc") if p.name.startswith(names)}

    def run(code: str) -> None:
        subprocess.run([sys.executable, "-c", code], env=env, check=True)

    run("from landcarbon.study.examples import _compile_threaded_breaks as c; c()")
    warmed = entries()
    assert len(warmed) == 2
    run(
        "import numpy as np\n"
        "import landcarbon._numba\n"
        "landcarbon._numba.sweep_threads = lambda limit: 2  # as on an idle machine\n"
        "from landcarbon.stats.classify import natural_breaks\n"
        "natural_breaks(np.random.default_rng(1).random(70000), 5)\n"
    )
    assert entries() == warmed
    assert any(p.name.startswith("_kernels._fill_row_parallel") for p in cache.rglob("*.nbc"))
