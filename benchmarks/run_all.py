"""``make bench``: run every benchmark and write ``benchmarks/results.md``.

Benchmarks on the shared harness (``benchmarks/harness.py``: whole work, interleaved runs,
paired ratios, load) append their own sections; the others' printed output is kept
verbatim under their name, marked as not yet on the harness (their figures are best-of or
in-process timings: read them as such). Each benchmark runs under the interpreter given
(``.venv-invest/bin/python`` for the carbon one when it exists, so InVEST is compared). The
file is written under a temporary name and renamed at the end, so a failed run never
leaves a half results.md. Sizes come from the Makefile's variables (``make bench
BENCH_CARBON_SIZE=20000``).

The file starts with the date, git commit, load, machine and sizes, and ends with the
seconds each benchmark took.

Run: ``python benchmarks/run_all.py --python .venv/bin/python [--invest-python PY]
[--carbon-size 4000] [--pairs 3] [--only carbon allocation] [--study-sizes 500 1000]``;
``study_scale`` (the arid study end to end) runs only when ``--study-sizes`` is given
(``make bench BENCH_STUDY_SIZES="500 1000"``): it takes 10 minutes to hours.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

import harness

HERE = Path(__file__).resolve().parent
ON_HARNESS = (
    "carbon",
    "codec",
    "allocation",
    "natural_breaks",
    "sinks",
    "geodetector",
    "erosion",
    "suitability",
    "scale",
    "study_scale",
    "cold_start",
    "startup",
)


def plan(opts: argparse.Namespace) -> list[tuple[str, str, list[str]]]:
    """(name, interpreter, arguments) of every benchmark, in the order they run."""
    invest = opts.invest_python if Path(opts.invest_python).exists() else opts.python
    pairs = ["--pairs", str(opts.pairs)]
    return [
        ("carbon", invest, ["--size", str(opts.carbon_size), *pairs]),
        ("codec", opts.python, ["--size", str(opts.carbon_size), *pairs]),
        ("allocation", opts.python, ["--side", str(opts.allocation_side), *pairs]),
        ("natural_breaks", opts.python, ["--skip-jenkspy-1e5", *pairs]),
        ("sinks", opts.python, ["--no-chapter", *pairs]),
        ("geodetector", opts.python, ["--rows", str(opts.geodetector_rows), *pairs]),
        ("erosion", opts.python, ["--side", str(opts.erosion_side), *pairs]),
        ("suitability", opts.python, ["--side", str(opts.suitability_side), *pairs]),
        ("scale", opts.python, ["--size", str(opts.scale_size), *pairs]),
        ("cold_start", opts.python, pairs),
        # processes of 0.1-1.5 s: three times the pairs for medians that hold
        ("startup", opts.python, ["--pairs", str(3 * opts.pairs)]),
    ] + (
        # the whole arid study at several sizes: ~10 min or (much) more, so only on request
        [("study_scale", opts.python, ["--sizes", *map(str, opts.study_sizes)])]
        if opts.study_sizes
        else []
    )


def sizes(opts: argparse.Namespace) -> str:
    """The sizes of this pass, as the Makefile's variables name them."""
    return (
        f"BENCH_CARBON_SIZE={opts.carbon_size} BENCH_ALLOCATION_SIDE={opts.allocation_side} "
        f"BENCH_EROSION_SIDE={opts.erosion_side} BENCH_GEODETECTOR_ROWS={opts.geodetector_rows} "
        f"BENCH_SUITABILITY_SIDE={opts.suitability_side} BENCH_SCALE_SIZE={opts.scale_size} "
        f"BENCH_PAIRS={opts.pairs} BENCH_STUDY_SIZES={' '.join(map(str, opts.study_sizes))}"
    )


def commit() -> str:
    """The checkout's git commit, marked when files differ from it."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=HERE)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown (not a git checkout)"
    return head + (" with uncommitted changes" if git("status", "--porcelain") else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--invest-python", default=str(HERE.parent / ".venv-invest/bin/python"))
    parser.add_argument("--carbon-size", type=int, default=4000)
    parser.add_argument("--allocation-side", type=int, default=3162)
    parser.add_argument("--erosion-side", type=int, default=2000)
    parser.add_argument("--geodetector-rows", type=int, default=1_000_000)
    parser.add_argument("--suitability-side", type=int, default=1000)
    parser.add_argument("--scale-size", type=int, default=10_000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument(
        "--study-sizes",
        type=int,
        nargs="*",
        default=[],
        help="also run study_scale (the arid study end to end) at these map sides; not by "
        "default: it takes 10 min (500 1000) to hours (1000 3162 10000)",
    )
    parser.add_argument("--only", nargs="+", help="run only these benchmarks")
    parser.add_argument("--out", type=Path, default=HERE / "results.md")
    opts = parser.parse_args()
    partial = opts.out.with_name(f".{opts.out.name}.partial")
    start = datetime.datetime.now(datetime.UTC)
    partial.write_text(
        "# Benchmark results\n\n"
        f"Written by `make bench` ({start:%Y-%m-%d %H:%M} UTC) at git commit {commit()}; load "
        f"average (1 min) at the start {os.getloadavg()[0]:.2f}. Every figure below names the "
        f"load it was measured at: on a shared or busy machine rerun at low load before "
        f"quoting it.\n\nMachine: {harness.machine()}\n\nSizes: {sizes(opts)}\n\n",
        encoding="utf-8",
    )
    env = {**os.environ, "BENCH_RESULTS": str(partial)}
    durations = ["| benchmark | seconds | load average (1 min) at the end |", "|---|---|---|"]
    try:
        for name, python, args in plan(opts):
            if opts.only and name not in opts.only:
                continue
            began = time.perf_counter()
            print(f"== {name}", flush=True)
            done = subprocess.run(
                [python, str(HERE / f"{name}.py"), *args], capture_output=True, text=True, env=env
            )
            print(done.stdout[-3000:], done.stderr[-3000:], sep="\n", flush=True)
            spent = time.perf_counter() - began
            durations.append(f"| {name} | {spent:.0f} | {os.getloadavg()[0]:.2f} |")
            with partial.open("a", encoding="utf-8") as fh:
                if done.returncode:
                    fh.write(
                        f"## {name}: FAILED (exit {done.returncode})\n\n"
                        f"```\n{done.stderr[-3000:]}\n```\n\n"
                    )
                elif name not in ON_HARNESS:
                    fh.write(
                        f"## {name} (not yet on the harness: its own timings, {spent:.0f} s, "
                        f"load at the end {os.getloadavg()[0]:.2f})\n\n"
                        f"```\n{done.stdout.strip()}\n```\n\n"
                    )
        skipped = [name for name, _, _ in plan(opts) if opts.only and name not in opts.only]
        total = (datetime.datetime.now(datetime.UTC) - start).total_seconds()
        with partial.open("a", encoding="utf-8") as fh:
            fh.write(f"## Time per benchmark ({total / 60:.1f} min in all)\n\n")
            fh.write("\n".join(durations) + "\n")
            if skipped:
                fh.write(f"\nNot run in this pass (`--only`): {', '.join(skipped)}.\n")
        os.replace(partial, opts.out)
    finally:
        partial.unlink(missing_ok=True)
    print(f"wrote {opts.out}")


if __name__ == "__main__":
    main()
