"""Refuse, before a run starts, a global step whose map would not fit in memory.

Flow routing (the erosion chapter's LS factor) and cost distance (the sinks chapter's
MCR) hold the whole map at once whatever ``[compute] chunks`` says. Each chapter's peak is
estimated in bytes per cell (``docs/scaling.md``, "Which steps scale, and how") and
compared with the memory available now: ``MemAvailable`` of ``/proc/meminfo`` (psutil
where there is no ``/proc``), or the :data:`LIMIT_ENV` environment variable where it is
set (a job's memory limit, or a test's). Above it the run stops with what to do instead:
one run per river basin, or per region.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from landcarbon.errors import ComputeError, ParameterError

LIMIT_ENV = "LANDCARBON_MEMORY_LIMIT"
"""Environment variable: the memory (bytes, or e.g. ``8GB``) a global step may use."""


@dataclass(frozen=True)
class GlobalStep:
    """A chapter whose step holds the whole map: its peak and how to split it."""

    what: str
    bytes_per_cell: int
    advice: str


GLOBAL_STEPS: dict[str, GlobalStep] = {
    "erosion": GlobalStep(
        "flow routing (depression filling, D8, flow accumulation for the LS factor)",
        100,  # the DEM and priority-flood's copies, queues and routing (~56 B) + CSLE layers
        "run the erosion chapter per river basin: clip the inputs to each basin (no flow "
        "crosses a divide, so basins are exact tiles), one study per basin, and add up "
        "their totals",
    ),
    "sinks": GlobalStep(
        "MCR cost distance (and the sink zoning's connected components)",
        40,  # float64 resistance and cost, the heap and the source mask
        "run the sinks chapter per region (e.g. per county): clip the inputs to each "
        "region widened by the corridor distance, so sources across its border are seen, "
        "and keep each region's own cells",
    ),
}
"""Chapter → its global step (bytes per cell at the peak, measured or documented)."""


def available_bytes() -> int | None:
    """Memory a step may use now (bytes): :data:`LIMIT_ENV` where set, else the system's
    available memory; None where neither can be read (no refusal then)."""
    given = os.environ.get(LIMIT_ENV, "").strip()
    if given:
        from dask.utils import parse_bytes

        try:
            limit = int(parse_bytes(given))
        except (ValueError, TypeError):
            limit = -1
        if limit <= 0:
            raise ParameterError(
                f"environment variable {LIMIT_ENV}={given!r} is not a memory size; give bytes "
                f"or a size such as 8GB, or unset it to use the system's available memory"
            )
        return limit
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024  # kB
    try:
        import psutil
    except ImportError:
        return None
    return int(psutil.virtual_memory().available)


def check_global_steps(chapters: Iterable[str], shape: tuple[int, int]) -> None:
    """Refuse (ComputeError) when a global step of ``chapters`` needs more memory for a
    map of ``shape`` (rows, cols) than is available, naming the step, both sizes and
    the per-basin / per-region way to run it."""
    needed = {c: GLOBAL_STEPS[c] for c in dict.fromkeys(chapters) if c in GLOBAL_STEPS}
    if not needed:
        return
    have = available_bytes()
    if have is None:
        return
    cells = shape[0] * shape[1]
    for chapter, step in needed.items():
        need = cells * step.bytes_per_cell
        if need > have:
            raise ComputeError(
                f"[{chapter}]: {step.what} holds the whole map in memory: "
                f"{shape[0]} x {shape[1]} cells x ~{step.bytes_per_cell} bytes = {_gb(need)}, "
                f"more than the {_gb(have)} available ({_source()}); {step.advice} "
                f"(docs/scaling.md, 'Global steps per basin or region')"
            )


def _source() -> str:
    return f"{LIMIT_ENV}" if os.environ.get(LIMIT_ENV, "").strip() else "free memory now"


def _gb(n_bytes: float) -> str:
    return f"{n_bytes / 1e9:.3g} GB"
