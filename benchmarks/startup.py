"""Benchmark of start-up (issue 18, item 4), whole processes, on the shared harness.

What a user waits for before any work, interleaved (benchmarks/harness.py: medians,
min-max of the paired ratios, load before and after):

- ``floor``: ``python -c "import numpy, rasterio"``, the imports no landcarbon command
  that reads a raster can do without;
- ``help``: ``landcarbon --help``;
- ``info``: ``landcarbon info`` of the Willamette land-use map (1889 x 1325 cells, the
  InVEST sample data in ``../shared/data``; a synthetic map of that size and its classes
  where the data is absent);
- ``cached run``: ``landcarbon -q run`` of an example study whose every step is up to
  date (run once beforehand, outside the timings, into the folder every timed run
  reuses): the plan, its checks, the digests and the manifest, and no step.

Targets: ``help`` and ``info`` under 0.5 s wall (aim: 0.35 s), the cached run under 1 s
CPU. Every process may write its bytecode (``PYTHONDONTWRITEBYTECODE`` unset for them) and
the untimed round writes it, as an installed package has it; ``--shape`` is the side of
the example's synthetic region (the scenarios example needs 128 or more).

Usage: ``python benchmarks/startup.py [--example arid_budget_scenarios] [--shape 128]
[--pairs 9]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import harness
from cold_start import study_copy

WILLAMETTE = "invest_willamette_carbon/lulc_samp_cur.tif"
SHARED_DATA = Path(
    os.environ.get("LANDCARBON_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared/data")
)


def land_use_map(folder: Path) -> tuple[Path, str]:
    """The Willamette map, else a synthetic one of its size, and a line saying which."""
    path = SHARED_DATA / WILLAMETTE
    if path.is_file():
        return path, f"info reads {path} (1889 x 1325 cells, uint8)."
    import numpy as np

    from landcarbon.testing import write_gtiff

    rng = np.random.default_rng(0)
    codes = rng.choice(np.array([1, 2, 3, 11, 21, 53, 54, 67, 255], np.uint8), (1889, 1325))
    target = write_gtiff(folder / "landuse.tif", codes, nodata=255)
    return target, f"info reads a synthetic 1889 x 1325 uint8 map ({path} not found)."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="arid_budget_scenarios")
    parser.add_argument("--shape", type=int, default=128, help="side of the synthetic region")
    parser.add_argument("--pairs", type=int, default=9)
    opts = parser.parse_args()
    landcarbon = [sys.executable, "-c", "from landcarbon.cli import main; main()"]
    bytecode = {"PYTHONDONTWRITEBYTECODE": ""}  # empty: unset for Python
    with tempfile.TemporaryDirectory(prefix="lc_startup_") as tmp:
        folder = Path(tmp)
        land_use, source = land_use_map(folder)
        study = study_copy(opts.example, opts.shape, folder)
        out = folder / "out"
        first = subprocess.run(
            [*landcarbon, "-q", "run", str(study), "--out", str(out)],
            capture_output=True,
            text=True,
            env={**os.environ, **bytecode},
        )
        if first.returncode:
            raise SystemExit(f"the first run of {study} failed:\n{first.stderr[-2000:]}")
        tools = {
            "floor": [sys.executable, "-c", "import numpy, rasterio"],
            "help": [*landcarbon, "--help"],
            "info": [*landcarbon, "info", str(land_use)],
            "cached run": [*landcarbon, "-q", "run", str(study), "--out", str(out)],
        }
        result = harness.interleaved(
            {
                name: harness.process(lambda i, args=args: args, bytecode)
                for name, args in tools.items()
            },
            opts.pairs,
        )
    cached = result.median("cached run", "cpu")
    harness.report(
        "Start-up: `landcarbon --help`, `info`, a fully cached `run`, whole processes",
        [
            harness.machine(),
            "",
            f"{source} The cached run is `landcarbon -q run` of {opts.example} "
            f"({opts.shape}^2) with every step up to date.",
            "",
            *result.table(),
            "",
            result.ratio_text("help", "floor"),
            result.ratio_text("info", "floor"),
            f"help {result.median('help'):.3f} s and info {result.median('info'):.3f} s wall "
            "(target: < 0.5 s, aim 0.35 s); cached run "
            f"{cached:.3f} s CPU (target: < 1 s, aim 0.7 s).",
            result.load_text(),
        ],
    )


if __name__ == "__main__":
    main()
