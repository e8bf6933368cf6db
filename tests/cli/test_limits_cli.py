"""Never a silently wrong number: study keys, table values, CLI numbers and categorical
rasters out of their physical range (or not finite) are refused through the real entry
point with exit 1 (2 for a usage error), one ``error:`` line naming the key and the fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from landcarbon.study.examples import install_example
from landcarbon.testing import run_cli


def _one_error(result: object) -> str:
    """The single ``error:`` line of a failed run (no traceback)."""
    stderr = result.stderr  # type: ignore[attr-defined]
    assert result.returncode == 1, stderr  # type: ignore[attr-defined]
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize(
    ("example", "old", "new", "expected"),
    [
        # item 6: three years were accepted and the first two used
        (
            "arid_budget_scenarios",
            "years = [2010, 2020]",
            "years = [2000, 2010, 2020]",
            "simulation.years: must be a list of 2 items, got [2000.0, 2010.0, 2020.0]",
        ),
        (
            "arid_budget_scenarios",
            "years = [2010, 2020]",
            "years = [2020, 2010]",
            "simulation.years: must increase strictly, got [2020.0, 2010.0]",
        ),
        (
            "arid_budget_scenarios",
            "years = [2010, 2020]",
            "years = [10, 2020]",
            "simulation.years[0]: 10.0 is out of range: must be >= 1000",
        ),
        # item 10
        (
            "arid_budget_scenarios",
            "years = [2010, 2020]",
            "years = [2010, 2020]\nruns = 0",
            "simulation.runs: 0 is out of range: must be >= 1",
        ),
        (
            "arid_budget_scenarios",
            'x = ["dem", "slope",',
            'x = ["dem", "dem", "slope",',
            "drivers.x: lists dem more than once; give each once",
        ),
        (
            "arid_budget_scenarios",
            "energy_t_c = 25000.0",
            "energy_t_c = -25000.0",
            "carbon.energy_t_c: -25000.0 is out of range: must be >= 0",
        ),
        (
            "county_sinks",
            "min_area_ha = 50.0",
            "min_area_ha = -50.0",
            "sinks.min_area_ha: -50.0 is out of range: must be >= 0",
        ),
        # item 8: TOML's inf and nan
        (
            "arid_budget_scenarios",
            "energy_t_c = 25000.0",
            "energy_t_c = inf",
            "carbon.energy_t_c: must be a finite number, got inf",
        ),
        (
            "county_sinks",
            "min_area_ha = 50.0",
            "min_area_ha = nan",
            "sinks.min_area_ha: must be a finite number, got nan",
        ),
        # item 10: 100000 x 100000 passed and then wrote gigabytes
        (
            "arid_budget_scenarios",
            "shape = [500, 500]",
            "shape = [100000, 100000]",
            "synthetic.shape: 100000 x 100000 = 10,000,000,000 cells is more than the "
            "16,000,000 a synthetic region may have",
        ),
    ],
)
def test_study_keys_out_of_range_are_refused_by_validate(
    tmp_path: Path, example: str, old: str, new: str, expected: str
):
    study = install_example(example, tmp_path)
    text = study.read_text()
    assert old in text
    study.write_text(text.replace(old, new, 1))
    line = _one_error(run_cli("validate", str(study)))
    assert re.search(rf"{re.escape(str(study))}:\d+: {re.escape(expected)}", line), line
    # the synthetic region was not generated
    assert not (tmp_path / "synthetic_data").exists()
