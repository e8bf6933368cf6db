"""Benchmark of the cold start (issue 18, item 3), whole process, on the shared harness.

The first ``landcarbon run`` after an install compiles the numba kernels the study uses
unless ``landcarbon warm-up`` (or an earlier run) filled the numba cache. Times,
interleaved (benchmarks/harness.py: medians, min-max of the paired ratios, load before
and after), of the whole ``landcarbon run`` process of an example study (its synthetic
region generated once beforehand, outside the timings), every run into a fresh ``--out``:

- ``cold``: a fresh, empty ``NUMBA_CACHE_DIR`` per run (a new install);
- ``warm``: one ``NUMBA_CACHE_DIR`` shared by the warm runs, filled by the untimed round.

Target: cold <= 1.5x warm (wall). ``--shape`` shrinks the example's synthetic region so
that the compilation, not the work, is what the ratio shows (the scenarios example needs
128 or more: at 64 its training sample holds too few cells of a class and the run stops).

Usage: ``python benchmarks/cold_start.py [--example arid_budget_scenarios]
[--shape 128] [--pairs 3]``
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

import harness

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def study_copy(example: str, side: int, folder: Path) -> Path:
    """The example study in ``folder`` (its tables beside it), its region ``side`` x ``side``."""
    source = EXAMPLES / f"{example}.toml"
    text, count = re.subn(
        r"(?m)^shape = \[\d+, \d+\]", f"shape = [{side}, {side}]", source.read_text()
    )
    if count != 1:
        raise SystemExit(f"{source}: no single [synthetic] shape = [rows, cols] to resize")
    shutil.copytree(EXAMPLES / "tables", folder / "tables")
    study = folder / source.name
    study.write_text(text)
    return study


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="arid_budget_scenarios")
    parser.add_argument("--shape", type=int, default=128, help="side of the synthetic region")
    parser.add_argument("--pairs", type=int, default=3)
    opts = parser.parse_args()
    landcarbon = [sys.executable, "-c", "from landcarbon.cli import main; main()"]
    with tempfile.TemporaryDirectory(prefix="lc_cold_") as tmp:
        folder = Path(tmp)
        study = study_copy(opts.example, opts.shape, folder)
        warm_cache = folder / "numba_warm"

        def run(label: str, i: int) -> list[str]:
            return [*landcarbon, "-q", "run", str(study), "--out", str(folder / f"{label}{i}")]

        def cold(i: int) -> harness.Timing:
            cache = Path(tempfile.mkdtemp(prefix="numba_cold_", dir=folder))
            return harness.process(lambda i: run("cold", i), {"NUMBA_CACHE_DIR": str(cache)})(i)

        warm = harness.process(lambda i: run("warm", i), {"NUMBA_CACHE_DIR": str(warm_cache)})
        result = harness.interleaved({"cold": cold, "warm": warm}, opts.pairs)
    harness.report(
        f"Cold start: `landcarbon run` of {opts.example} ({opts.shape}^2), whole process",
        [
            harness.machine(),
            "",
            *result.table(),
            "",
            result.ratio_text("cold", "warm") + " (target: wall <= 1.5x)",
            result.load_text(),
        ],
    )


if __name__ == "__main__":
    main()
