"""Steps with declared inputs and outputs, ordered by what they need, cached and resumable.

A :class:`Step` names the artifacts it reads (study inputs such as ``rasters.lulc_2020``
or other steps' outputs) and declares each output as data (:class:`Output`: file,
kind, units, doc). :func:`plan` orders steps by matching names; :func:`run_steps`
runs them, skipping a step whose cache key (content hashes of its inputs + its
parameters + the landcarbon version) is unchanged and whose outputs all still have the
size and digest its record saved. Outputs are written to temporary names, checked and
renamed, and the cache record is written last, so a run killed at any moment leaves
complete files or none, a failed write is never recorded as done, and a rerun resumes
after the last finished step.
:func:`output_lock` keeps a second run off the same output folder.
"""

from __future__ import annotations

import contextlib
import difflib
import gc
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from landcarbon import __version__
from landcarbon.digests import file_digest
from landcarbon.errors import ComputeError, ConfigError

Kind = Literal["raster", "table", "json", "html", "png", "figure"]


@dataclass(frozen=True)
class Output:
    """One declared output of a step: artifact name, file (relative to out), kind, units."""

    name: str
    path: str
    kind: Kind
    units: str = ""
    doc: str = ""


@dataclass
class Context:
    """What a running step sees: resolved input paths, its output paths, params, seed."""

    inputs: dict[str, Path]
    outputs: dict[str, Path]
    params: dict[str, Any]
    seed: int
    out_dir: Path
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """A unit of work: reads named artifacts, writes declared outputs."""

    name: str
    chapter: str
    inputs: tuple[str, ...]
    outputs: tuple[Output, ...]
    run: Callable[[Context], None]
    params: Mapping[str, Any] = field(default_factory=dict)
    doc: str = ""
    cite: tuple[str, ...] = ()


def plan(
    steps: Iterable[Step], available: Iterable[str], wanted: Iterable[str] | None = None
) -> list[Step]:
    """Order steps so each runs after the producers of its inputs.

    ``available`` are artifact names that exist before any step (study inputs).
    ``wanted`` restricts to those steps or chapters and everything they need.
    """
    steps = list(steps)
    producer = {o.name: s for s in steps for o in s.outputs}
    available = set(available)
    known = available | set(producer)
    problems = [
        f"step '{s.name}' needs '{i}', which no input or step provides"
        + _nearest(i, known, available)
        for s in steps
        for i in s.inputs
        if i not in known
    ]
    if problems:
        raise ConfigError("; ".join(problems))
    selected = steps
    if wanted is not None:
        wanted = set(wanted)
        names = {s.name for s in steps} | {s.chapter for s in steps}
        unknown = wanted - names
        if unknown:
            raise ConfigError(
                f"unknown step(s) {sorted(unknown)}; steps: {', '.join(s.name for s in steps)}"
            )
        need: dict[str, Step] = {}
        stack = [s for s in steps if s.name in wanted or s.chapter in wanted]
        while stack:
            s = stack.pop()
            if s.name in need:
                continue
            need[s.name] = s
            stack.extend(producer[i] for i in s.inputs if i in producer)
        selected = [s for s in steps if s.name in need]
    ordered: list[Step] = []
    done: set[str] = set(available)
    pending = list(selected)
    while pending:
        ready = [s for s in pending if all(i in done or i not in producer for i in s.inputs)]
        if not ready:
            raise ConfigError(
                f"steps depend on each other in a cycle: {', '.join(s.name for s in pending)}"
            )
        for s in ready:
            ordered.append(s)
            done.update(o.name for o in s.outputs)
            pending.remove(s)
    return ordered


def _nearest(name: str, known: set[str], inputs: set[str]) -> str:
    """The names a misspelt artifact name may have meant, else the study's inputs."""
    close = difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.6)
    if close:
        return f" (did you mean {' or '.join(repr(c) for c in close)}?)"
    return f" (the study's inputs: {', '.join(sorted(inputs)) or 'none'})"


def _cache_key(step: Step, inputs: Mapping[str, Path], seed: int) -> str:
    payload = {
        "step": step.name,
        "version": __version__,
        "seed": seed,
        "params": json.loads(json.dumps(dict(step.params), default=str, sort_keys=True)),
        "inputs": {n: file_digest(p) for n, p in sorted(inputs.items())},
    }
    return hashlib.blake2b(json.dumps(payload, sort_keys=True).encode(), digest_size=16).hexdigest()


@dataclass
class StepRecord:
    """What happened to one step in a run (for the manifest)."""

    name: str
    status: Literal["ran", "cached"]
    seconds: float
    key: str
    outputs: dict[str, str]
    summary: dict[str, Any]
    cite: tuple[str, ...]


def run_steps(
    steps: list[Step],
    artifacts: dict[str, Path],
    out_dir: Path,
    seed: int,
    on_step: Callable[[Step, str], None] | None = None,
    runner: contextlib.AbstractContextManager[Any] | None = None,
) -> list[StepRecord]:
    """Run planned steps in order, resuming from cached results.

    ``artifacts`` maps available names (study inputs) to files; it is extended with each
    step's outputs. A step's cache record lives in ``out_dir/.cache/STEP.json``.
    ``runner`` (the study's dask scheduler settings) is entered just before the first step
    that runs and left after the last: a run whose steps are all reused never enters it.
    """
    cache_dir = out_dir / ".cache"
    cache_dir.mkdir(parents=True, exist_ok=True)
    records = []
    with contextlib.ExitStack() as running:
        for index, step in enumerate(steps):
            step_seed = _child_seed(seed, step.name)
            inputs = {n: artifacts[n] for n in step.inputs}
            outputs = {o.name: out_dir / o.path for o in step.outputs}
            key = _cache_key(step, inputs, step_seed)
            record_path = cache_dir / f"{step.name}.json"
            cached = _read_record(record_path)
            start = time.perf_counter()
            if cached.get("key") == key and cached.get("outputs") == _written(outputs):
                status: Literal["ran", "cached"] = "cached"
                summary = cached.get("summary", {})
            else:
                if runner is not None:
                    running.enter_context(runner)
                    runner = None
                if on_step:
                    on_step(step, f"{index + 1}/{len(steps)}")
                for p in outputs.values():
                    p.parent.mkdir(parents=True, exist_ok=True)
                ctx = Context(inputs, outputs, dict(step.params), step_seed, out_dir)
                step.run(ctx)
                # its maps go before the next step's: one held by a reference cycle (a
                # DataArray's cached ``.rio`` accessor) is otherwise freed only when the
                # collector next runs, e.g. a scenario's stack during the next allocation
                gc.collect()
                missing = [str(p) for p in outputs.values() if not p.exists()]
                if missing:
                    raise RuntimeError(f"step {step.name} did not write {missing}")
                # as a rerun reads it back from the record: same types, same key order
                summary = json.loads(json.dumps(ctx.summary, default=str))
                status = "ran"
                write_json_atomic(
                    record_path,
                    {"key": key, "outputs": _written(outputs), "summary": summary},
                    sort_keys=False,
                )
            artifacts.update(outputs)
            records.append(
                StepRecord(
                    step.name,
                    status,
                    time.perf_counter() - start,
                    key,
                    {n: str(p.relative_to(out_dir)) for n, p in outputs.items()},
                    summary,
                    step.cite,
                )
            )
    return records


def _written(outputs: Mapping[str, Path]) -> dict[str, dict[str, Any]] | None:
    """Size (bytes) and digest of each output file; None if one is missing. A step is
    reused only while its outputs still match what its record says it wrote."""
    if not all(p.is_file() for p in outputs.values()):
        return None
    return {n: {"bytes": p.stat().st_size, "blake2b": file_digest(p)} for n, p in outputs.items()}


@contextlib.contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold an advisory lock on ``out_dir/.lock`` (``fcntl.flock``, this process's PID
    written in it) for a run's lifetime; a second run on the same folder is refused at
    once with a ComputeError naming the holder's PID. The lock ends with the process,
    however it ends (a kill included); the ``.lock`` file stays."""
    import fcntl

    lock = out_dir / ".lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise ComputeError(
                f"{out_dir}: another landcarbon run (PID {holder}) is writing to this folder "
                f"(lock {lock}); wait for it to finish, or give another --out"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def _child_seed(seed: int, name: str) -> int:
    """A seed for one step, derived from the study seed and the step name (stable)."""
    import numpy as np

    entropy = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")
    return int(np.random.SeedSequence([seed, entropy]).generate_state(1)[0])


def _read_record(path: Path) -> dict[str, Any]:
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        return {}


def write_json_atomic(path: Path, data: Any, *, sort_keys: bool = True) -> None:
    """Write JSON to ``path`` through a temporary file and a rename (keys sorted unless
    ``sort_keys=False``, which keeps the dicts' own order for reading back)."""
    from landcarbon.writes import write_text

    write_text(json.dumps(data, indent=2, default=str, sort_keys=sort_keys), path)
