"""A dask scheduler that disappears in the middle of a study run: a one-line ComputeError,
nothing half-written, and a rerun against a scheduler that answers resumes to the outputs
of an uninterrupted run, byte for byte."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.study.test_examples import STUDY, _digests

from landcarbon.study.examples import install_example
from landcarbon.study.run import run_study

CHUNKED = STUDY + "\n[compute]\nchunks = 40\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _cluster(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A real ``dask scheduler`` and one ``dask worker``, as separate processes on
    loopback; yields the scheduler's process once the worker has joined."""
    from distributed import Client

    dask = str(Path(sys.executable).parent / "dask")
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], **quiet
    )
    worker = subprocess.Popen(
        [dask, "worker", address, "--nthreads", "1", "--no-dashboard"], **quiet
    )
    try:
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(1, timeout=60)
        yield scheduler
    finally:
        for proc in (worker, scheduler):
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_a_scheduler_lost_mid_run_is_a_clear_error_and_the_rerun_resumes(tmp_path: Path):
    study = install_example("county_sinks", tmp_path)  # for its tables/ folder
    study.write_text(CHUNKED)
    run_study(study, tmp_path / "whole")  # chunked, on dask's threads
    expected = _digests(tmp_path / "whole")
    out = tmp_path / "lost"
    port = _free_port()
    with _cluster(port) as scheduler:
        cmd = [sys.executable, "-c", "from landcarbon.cli import main; main()", "-q", "run"]
        cli = subprocess.Popen(
            [*cmd, str(study), "--out", str(out), "--scheduler", f"tcp://127.0.0.1:{port}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.time() + 120
        while time.time() < deadline and cli.poll() is None:
            if len(list((out / ".cache").glob("*.json"))) >= 2:  # some steps done, not all
                break
            time.sleep(0.02)
        scheduler.send_signal(signal.SIGKILL)
        _, stderr = cli.communicate(timeout=120)
    finished = len(list((out / ".cache").glob("*.json")))
    assert cli.returncode == 1, stderr
    assert f"error: the dask scheduler tcp://127.0.0.1:{port} was lost during the run" in stderr
    assert "it resumes after the steps that finished" in stderr
    assert "Traceback" not in stderr
    assert not list(out.rglob("*.partial*"))  # nothing half-written
    done = set(_digests(out))
    assert done < set(expected)  # it really was cut off, and wrote only whole files
    port = _free_port()
    with _cluster(port):
        result = run_study(study, out, scheduler=f"tcp://127.0.0.1:{port}")
    assert [r.status for r in result.records].count("cached") == finished
    assert _digests(out) == expected
