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

With ``--kernels``, no timings: the study runs once in this process on an empty numba
cache and every kernel numba compiles is listed with its signatures and its compile CPU
seconds (its callees apart), which is where the cold run's extra time goes.

Usage: ``python benchmarks/cold_start.py [--example arid_budget_scenarios]
[--shape 128] [--pairs 3] [--kernels]``
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from collections import defaultdict
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


def compiled_kernels(study: Path, out: Path) -> list[str]:
    """Run ``study`` in this process on an empty numba cache (the caller set
    ``NUMBA_CACHE_DIR`` before numba loaded) and list, as markdown rows, every landcarbon
    kernel compiled: signatures compiled, compile CPU seconds without its callees', parallel;
    numba's own helpers (``np.empty``, sorts, ...) in one row; then the total."""
    from numba.core import event

    from landcarbon.study.run import run_study

    stack: list[list[float]] = []
    seconds: dict[str, float] = defaultdict(float)
    signatures: dict[str, list[str]] = defaultdict(list)
    parallel: set[str] = set()

    class Compiles(event.Listener):
        def on_start(self, event: event.Event) -> None:
            stack.append([time.thread_time(), 0.0])

        def on_end(self, event: event.Event) -> None:
            started, callees = stack.pop()
            spent = time.thread_time() - started
            if stack:
                stack[-1][1] += spent
            func = event.data["dispatcher"].py_func
            name = f"{func.__module__}.{func.__qualname__}"
            if not name.startswith("landcarbon."):
                name = "numba's own helpers"
            elif event.data["dispatcher"].targetoptions.get("parallel"):
                parallel.add(name)
            seconds[name] += spent - callees
            signatures[name].append(str(event.data["args"]))

    event.register("numba:compile", Compiles())
    run_study(study, out)
    rows = ["| kernel | signatures compiled | compile CPU s | parallel |", "|---|---|---|---|"]
    for name in sorted(seconds, key=seconds.__getitem__, reverse=True):
        shown = name.removeprefix("landcarbon.")
        flag = "yes" if name in parallel else ""
        rows.append(f"| {shown} | {len(signatures[name])} | {seconds[name]:.2f} | {flag} |")
    many = sum(len(signatures[n]) > 1 for n in seconds if n.startswith("landcarbon."))
    rows += [
        "",
        f"Total compile CPU: {sum(seconds.values()):.1f} s over "
        f"{sum(map(len, signatures.values()))} compilations; {many} landcarbon kernel(s) "
        "compiled for more than one signature.",
    ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="arid_budget_scenarios")
    parser.add_argument("--shape", type=int, default=128, help="side of the synthetic region")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument(
        "--kernels", action="store_true", help="list the kernels a cold run compiles, no timings"
    )
    opts = parser.parse_args()
    if opts.kernels:
        with tempfile.TemporaryDirectory(prefix="lc_cold_") as tmp:
            os.environ["NUMBA_CACHE_DIR"] = str(Path(tmp) / "numba")  # before numba loads
            study = study_copy(opts.example, opts.shape, Path(tmp))
            rows = compiled_kernels(study, Path(tmp) / "out")
        harness.report(
            f"Cold start: kernels compiled by `landcarbon run` of {opts.example} ({opts.shape}^2)",
            [harness.machine(), "", *rows],
        )
        return
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
