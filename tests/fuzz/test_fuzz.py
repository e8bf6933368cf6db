"""The seeded fuzz suite (see fuzzer.py): a few hundred cases through the real entry point.

``LANDCARBON_FUZZ_CASES`` sets the number of cases (default 300, about 2-3 minutes on two
cores); ``make fuzz`` runs thousands and prints the failures grouped by cause.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import fuzzer

CASES = int(os.environ.get("LANDCARBON_FUZZ_CASES", "300"))


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fuzzer.build_base(tmp_path_factory.mktemp("fuzz-base"))


def test_every_case_exits_cleanly(base: Path, tmp_path: Path) -> None:
    outcomes = fuzzer.fuzz(range(CASES), base, tmp_path)
    assert all(o.ok for o in outcomes), fuzzer.report(outcomes)


def _case(tmp_path: Path, mutation: str = "text", target: str = "pools.csv") -> fuzzer.Case:
    argv = ["carbon", "--lulc", "landuse_2020.tif", "--pools", target]
    return fuzzer.Case(0, "carbon", target, mutation, argv, tmp_path)


def test_oracle_accepts_one_error_line(tmp_path: Path) -> None:
    assert fuzzer.check(_case(tmp_path), 1, "error: pools.csv: row 3: 'n/a'; fix it\n", "") == []


@pytest.mark.parametrize(
    ("code", "stderr", "origin", "expected"),
    [
        (
            None,
            "Traceback (most recent call last):\n  ...\nKeyError: 3\n",
            "KeyError at x.py:1",
            "traceback: KeyError at x.py:1",
        ),
        (
            1,
            "error: one\nerror: two\n",
            "",
            "exit 1 without exactly one error: line (2 of 2 lines)",
        ),
        (1, "Usage: landcarbon carbon\nerror: bad\n", "", "exit 1 without exactly one error:"),
        (2, "Usage: landcarbon\n", "", "exit code 2"),
        (None, "", "timeout: no answer after 60 s", "timeout: no answer after 60 s"),
        (0, "", "", "accepted a bad input (exit 0 after text of pools.csv)"),
    ],
)
def test_oracle_flags_bad_endings(tmp_path, code, stderr, origin, expected) -> None:
    problems = fuzzer.check(_case(tmp_path), code, stderr, origin)
    assert any(p.startswith(expected) for p in problems), problems


def test_oracle_flags_nonfinite_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.json").write_text('{"total": NaN}')
    (out / "b.csv").write_text("code,total\n1,inf\n")
    (out / "c.csv").write_text("code,name\n1,infantry\n")  # a word, not a number
    problems = fuzzer.check(_case(tmp_path, "none"), 0, "", "")
    assert problems == ["NaN/Infinity in output JSON (a.json)", "nan/inf in output CSV (b.csv)"]


def test_a_case_is_a_function_of_its_seed(base: Path, tmp_path: Path) -> None:
    a = fuzzer.make_case(7, base, tmp_path / "a")
    b = fuzzer.make_case(7, base, tmp_path / "b")
    assert (a.command, a.target, a.mutation) == (b.command, b.target, b.mutation)
    assert fuzzer._hashes(a.folder / "in") == fuzzer._hashes(b.folder / "in")
    assert fuzzer._hashes(a.folder / "in") != fuzzer._hashes(base / "maps") or a.mutation == "none"


def test_changed_input_and_stray_file_are_caught(base: Path, tmp_path: Path, monkeypatch) -> None:
    def vandal(argv, cwd, timeout):
        (cwd / "landuse_2020.tif").write_bytes(b"")
        (cwd.parent / "stray.txt").write_text("x")
        return 0, "", "", ""

    monkeypatch.setattr(fuzzer, "run_in_process", vandal)
    probe = (fuzzer.make_case(s, base, tmp_path / "probe") for s in range(200))
    seed = next(c.seed for c in probe if c.command == "change" and c.mutation != "zero_bytes")
    outcome = fuzzer.run_case(seed, base, tmp_path / "cases")
    assert any(p.startswith("input changed: ['landuse_2020.tif']") for p in outcome.problems)
    assert any(
        p.startswith("file outside --out: ['") and "stray.txt" in p for p in outcome.problems
    )
