"""Shared timing harness of the benchmarks: whole work, interleaved runs, paired ratios, load.

Every benchmark times what a user waits for: a whole process (:func:`process`, e.g. the
``landcarbon`` CLI against another tool's script, imports and reading included) or a
function that goes from reading the inputs to the written outputs (:func:`call`). The tools
of a comparison run interleaved (A B A B ...: :func:`interleaved`), so a change in the
machine's load hits both alike; the result is the median and the min-max of the paired
ratios, wall and CPU, with the 1-minute load average before and after, on the machine
:func:`machine` describes. Best-of timings are never reported.

A benchmark prints its lines and, when ``BENCH_RESULTS`` names a file (``make bench``
does), appends them there as one markdown section (:func:`report`).
"""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Timing:
    """One run: wall-clock and CPU seconds (user + system, child processes included)."""

    wall: float
    cpu: float


Tool = Callable[[int], Timing]
"""A tool to time: called with the run number, returns its :class:`Timing`."""


def _cpu_now() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def call(func: Callable[[int], object]) -> Tool:
    """A Python function as a tool (its CPU includes every thread of this process)."""

    def run(i: int) -> Timing:
        cpu, start = _cpu_now(), time.perf_counter()
        func(i)
        return Timing(time.perf_counter() - start, _cpu_now() - cpu)

    return run


def process(command: Callable[[int], Sequence[str]], env: Mapping[str, str] | None = None) -> Tool:
    """A whole process as a tool: ``command(i)`` is its argument list (a fresh output folder
    per run); a failure stops the benchmark with the process's stderr."""

    def run(i: int) -> Timing:
        args = list(command(i))
        cpu, start = _cpu_now(), time.perf_counter()
        done = subprocess.run(
            args, capture_output=True, text=True, env={**os.environ, **(env or {})}
        )
        timing = Timing(time.perf_counter() - start, _cpu_now() - cpu)
        if done.returncode:
            raise SystemExit(f"{' '.join(args[:4])} ... failed:\n{done.stderr[-2000:]}")
        return timing

    return run


@dataclass
class Comparison:
    """Interleaved timings of several tools; ratios are paired run by run."""

    times: dict[str, list[Timing]]
    load_before: float
    load_after: float
    notes: list[str] = field(default_factory=list)

    def median(self, tool: str, what: str = "wall") -> float:
        return float(np.median([getattr(t, what) for t in self.times[tool]]))

    def ratios(self, slow: str, fast: str, what: str = "wall") -> np.ndarray:
        """``slow / fast`` run by run (pair i: the i-th run of each)."""
        a = np.array([getattr(t, what) for t in self.times[slow]])
        b = np.array([getattr(t, what) for t in self.times[fast]])
        return a / b

    def ratio_text(self, slow: str, fast: str) -> str:
        """``slow`` / ``fast``: median and min-max of the paired ratios, wall and CPU."""
        parts = []
        for what in ("wall", "cpu"):
            r = self.ratios(slow, fast, what)
            parts.append(f"{what} {np.median(r):.2f}x ({r.min():.2f}-{r.max():.2f})")
        return f"{slow} / {fast}: " + ", ".join(parts)

    def table(self) -> list[str]:
        """Markdown rows: tool, runs, median and min-max wall and CPU seconds."""
        rows = [
            "| tool | runs | wall s, median (min-max) | CPU s, median (min-max) |",
            "|---|---|---|---|",
        ]
        for tool, runs in self.times.items():
            wall = [t.wall for t in runs]
            cpu = [t.cpu for t in runs]
            rows.append(
                f"| {tool} | {len(runs)} | {np.median(wall):.3f} ({min(wall):.3f}-{max(wall):.3f}) "
                f"| {np.median(cpu):.3f} ({min(cpu):.3f}-{max(cpu):.3f}) |"
            )
        return rows

    def load_text(self) -> str:
        return f"load average (1 min) {self.load_before:.2f} before, {self.load_after:.2f} after"


def interleaved(tools: Mapping[str, Tool], pairs: int, warmup: bool = True) -> Comparison:
    """Run the tools in turn, ``pairs`` rounds (A B A B ...), after one untimed round when
    ``warmup`` (numba caches, file caches): every tool gets the same conditions."""
    if warmup:
        for tool in tools.values():
            tool(-1)
    before = os.getloadavg()[0]
    times: dict[str, list[Timing]] = {name: [] for name in tools}
    for i in range(pairs):
        for name, tool in tools.items():
            times[name].append(tool(i))
    return Comparison(times, before, os.getloadavg()[0])


def machine() -> str:
    """The machine in one line: CPU model, cores, memory, OS, Python and library versions."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            ln.split(":", 1)[1].strip()
            for ln in cpuinfo.read_text().splitlines()
            if ln.startswith("model name")
        ]
        model = names[0] if names else model
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = []
    for name in ("numpy", "numba", "rasterio"):
        module = sys.modules.get(name)
        if module is not None:
            versions.append(f"{name} {module.__version__}")
    return (
        f"{model}, {cores} cores available, {memory:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
        + (", " + ", ".join(versions) if versions else "")
    )


def report(title: str, lines: Sequence[str]) -> None:
    """Print a section and append it to ``$BENCH_RESULTS`` (markdown) when set."""
    text = f"## {title}\n\n" + "\n".join(lines) + "\n\n"
    print(text, flush=True)
    target = os.environ.get("BENCH_RESULTS")
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(text)
