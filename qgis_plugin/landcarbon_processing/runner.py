"""Run the ``landcarbon`` executable as a subprocess, as the GRASS and SAGA providers run
theirs: ``landcarbon --json --progress-json COMMAND ARGS``.

Its stderr carries JSON lines (``{"progress": percent, "message": text}``) that go to the
Processing feedback as they come, ``warning: ...`` lines, and, when it fails, one
``error: ...`` line; its stdout is the command's JSON summary. This module imports nothing
from QGIS (``feedback`` is any object with QgsProcessingFeedback's methods), so it is
tested without QGIS too.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import threading
from collections import deque
from pathlib import Path
from typing import Any

INSTALL = (
    "install landcarbon with `python3 -m pip install landcarbon` (or `pip install .` in a "
    "landcarbon checkout) and, unless it is on PATH, set its path under Settings > Options > "
    "Processing > Providers > landcarbon > landcarbon executable"
)


class LandcarbonRunError(Exception):
    """landcarbon could not run, or refused the inputs; the message is for the user."""


def find_executable(setting: str | None) -> str:
    """The landcarbon executable: ``setting`` when given (it must exist), else the one on
    PATH; an error naming the install command when there is none."""
    if setting:
        if not Path(setting).is_file():
            raise LandcarbonRunError(
                f"the landcarbon executable set in the Processing options, {setting}, does "
                f"not exist; {INSTALL}"
            )
        return setting
    found = shutil.which("landcarbon")
    if found is None:
        raise LandcarbonRunError(f"landcarbon was not found on PATH; {INSTALL}")
    return found


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text)[:3])


_checked: dict[str, str] = {}


def check_version(executable: str, minimum: str) -> str:
    """The version ``landcarbon --version`` prints (checked once per executable); an error
    naming the install command when it is older than ``minimum`` or cannot say."""
    if executable in _checked:
        return _checked[executable]
    try:
        proc = subprocess.run(
            [executable, "--version"], capture_output=True, text=True, timeout=120, check=False
        )
    except OSError as exc:
        raise LandcarbonRunError(f"{executable} could not be started ({exc}); {INSTALL}") from exc
    match = re.fullmatch(r"landcarbon (\S+)", proc.stdout.strip())
    if proc.returncode != 0 or match is None:
        raise LandcarbonRunError(
            f"{executable} is not landcarbon {minimum} or newer (`{executable} --version` "
            f"answered {(proc.stdout + proc.stderr).strip()[:200]!r}); {INSTALL}"
        )
    version = match.group(1)
    if _version_tuple(version) < _version_tuple(minimum):
        raise LandcarbonRunError(
            f"{executable} is landcarbon {version}; this plugin needs {minimum} or newer: "
            f"{INSTALL.replace('install landcarbon', 'upgrade landcarbon', 1)}"
        )
    _checked[executable] = version
    return version


def _read_lines(stream: Any, lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


def _forward(line: str, feedback: Any) -> None:
    """One stderr line to the feedback: progress percent and message, a warning, or text."""
    record = None
    if line.startswith("{"):
        try:
            record = json.loads(line)
        except ValueError:
            pass  # not one of landcarbon's JSON lines: shown as text below
    if isinstance(record, dict):
        if "progress" in record:
            feedback.setProgress(float(record["progress"]))
        if record.get("message"):
            feedback.pushInfo(str(record["message"]))
    elif line.startswith("warning: "):
        feedback.pushWarning(line)  # QGIS >= 3.20
    elif line.strip() and not line.startswith("error: "):
        feedback.pushConsoleInfo(line)


def run_landcarbon(
    executable: str, command: str, args: list[str], feedback: Any, poll_s: float = 0.1
) -> dict[str, Any]:
    """Run ``landcarbon --json --progress-json COMMAND ARGS``, forwarding its progress and
    messages to ``feedback``; returns its JSON summary (``{}`` when it prints none).

    Cancelling the feedback kills the process (and raises); a failure raises with
    landcarbon's own ``error: ...`` line, or its last lines of output without one.
    """
    argv = [executable, "--json", "--progress-json", command, *args]
    feedback.pushCommandInfo(shlex.join(argv))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=env,
        start_new_session=os.name == "posix",  # cancel stops its worker processes too
    )
    lines: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(proc.stderr, lines), daemon=True)
    reader.start()
    stdout: list[str] = []
    out_reader = threading.Thread(target=lambda: stdout.extend(proc.stdout or []), daemon=True)
    out_reader.start()
    errors: list[str] = []
    tail: deque[str] = deque(maxlen=20)  # the last lines, for a failure without error:
    finished = False
    while not finished:
        if feedback.isCanceled():
            _kill(proc)
            _finish(proc, reader, out_reader)
            raise LandcarbonRunError(f"landcarbon {command} cancelled; its process was stopped")
        try:
            line = lines.get(timeout=poll_s)
        except queue.Empty:
            continue
        if line is None:
            finished = True
            continue
        _forward(line, feedback)
        if line.startswith("error: "):
            errors.append(line)
        tail.append(line)
    _finish(proc, reader, out_reader)
    if proc.returncode != 0:
        if errors:
            raise LandcarbonRunError(errors[-1])
        raise LandcarbonRunError(
            f"landcarbon {command} failed (exit code {proc.returncode}): " + "\n".join(tail)
        )
    text = "".join(stdout).strip()
    return json.loads(text) if text else {}


def _kill(proc: subprocess.Popen[str]) -> None:
    """Stop landcarbon and, on POSIX, the processes it started (its session)."""
    if os.name == "posix":
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.kill()


def _finish(proc: subprocess.Popen[str], *readers: threading.Thread) -> None:
    """Wait for the process and its output readers, and close its pipes."""
    proc.wait()
    for reader in readers:
        reader.join()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
