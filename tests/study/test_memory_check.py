"""Issue 17 item 3: a study whose global step (flow routing, MCR) would not fit in memory
is refused before it starts, with the per-basin / per-region way to run it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from landcarbon.errors import ComputeError, ParameterError
from landcarbon.study.examples import install_example
from landcarbon.study.memory import LIMIT_ENV, available_bytes, check_global_steps
from landcarbon.testing import one_error_line, run_cli


@pytest.mark.parametrize(
    ("example", "shape", "chapter", "needed", "advice"),
    [
        ("erosion_climate", "[400, 400]", "erosion", "0.004 GB", "per river basin"),
        ("county_sinks", "[500, 500]", "sinks", "0.0016 GB", "per region"),
    ],
)
def test_a_global_step_over_the_memory_limit_is_refused_before_the_run(
    tmp_path: Path, monkeypatch, example, shape, chapter, needed, advice
):
    study = install_example(example, tmp_path)
    study.write_text(study.read_text().replace(f"shape = {shape}", "shape = [200, 200]"))
    monkeypatch.setenv(LIMIT_ENV, "1MB")
    out = tmp_path / "out"
    line = one_error_line(run_cli("-q", "run", str(study), "--out", str(out)))
    assert line.startswith(f"error: [{chapter}]: ")
    assert f"200 x 200 cells x ~{100 if chapter == 'erosion' else 40} bytes = {needed}" in line
    assert f"more than the 0.001 GB available ({LIMIT_ENV})" in line
    assert advice in line and "docs/scaling.md" in line
    assert not out.exists()  # refused before anything was written


def test_the_check_passes_under_the_limit_and_ignores_other_chapters(monkeypatch):
    monkeypatch.setenv(LIMIT_ENV, "4MB")
    check_global_steps(["erosion"], (200, 200))  # 4.0 MB needed: fits
    check_global_steps(["landuse", "carbon"], (10**5, 10**5))  # no global step
    with pytest.raises(ComputeError, match=re.escape("200 x 201 cells x ~100 bytes")):
        check_global_steps(["carbon", "erosion"], (200, 201))


def test_the_limit_reads_sizes_and_refuses_nonsense(monkeypatch):
    monkeypatch.setenv(LIMIT_ENV, "2GB")
    assert available_bytes() == 2_000_000_000
    monkeypatch.setenv(LIMIT_ENV, "lots")
    with pytest.raises(ParameterError, match=f"{LIMIT_ENV}='lots' is not a memory size"):
        available_bytes()
    monkeypatch.delenv(LIMIT_ENV)
    have = available_bytes()
    assert have is not None and have > 10**7  # the machine's available memory
