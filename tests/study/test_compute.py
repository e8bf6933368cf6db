"""The compute backends: threads, a real 2-process LocalCluster, unreachable schedulers."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
import time

import dask
import dask.array as da
import numpy as np
import pytest

from landcarbon.errors import ComputeError
from landcarbon.study.compute import compute_context
from landcarbon.study.config import ComputeSection
from landcarbon.tables import class_counts, table_from_records
from landcarbon.testing import make_raster

TABLE = table_from_records([{"code": 1, "v": 0.5}, {"code": 2, "v": 2.0}], "t", required=["v"])


def _numba_threads() -> int:
    import numba

    return int(numba.config.NUMBA_NUM_THREADS)


def _data() -> np.ndarray:
    return np.random.default_rng(3).integers(1, 3, (40, 50)).astype(np.int32)


def test_threads_scheduler_gives_in_memory_result():
    data = _data()
    with compute_context(ComputeSection(scheduler="threads", workers=2)) as desc:
        lazy = TABLE.reclassify(make_raster(data, backend="dask", chunks=(7, 9)), "v")
        got = lazy.sum().compute().item()
    assert desc == "dask threads x2"
    assert got == pytest.approx(np.where(data == 1, 0.5, 2.0).sum(), rel=0, abs=0)


@pytest.mark.slow
def test_local_cluster_of_two_processes_on_loopback():
    data = _data()
    compute = ComputeSection(scheduler="processes", workers=2, memory_limit="1GB")
    with compute_context(compute) as desc:
        lazy = TABLE.reclassify(make_raster(data, backend="dask", chunks=(7, 9)), "v")
        values = lazy.compute().values
        counts = class_counts(make_raster(data, backend="dask", chunks=(11, 13)))
        from distributed import default_client

        numba_threads = set(default_client().run(_numba_threads).values())
    assert desc.startswith("LocalCluster of 2 workers")
    assert numba_threads == {max(1, (os.cpu_count() or 1) // 2)}  # the cores, shared
    np.testing.assert_array_equal(values, np.where(data == 1, 0.5, 2.0))
    assert counts == {1: int((data == 1).sum()), 2: int((data == 2).sum())}


def test_unreachable_scheduler_is_a_clear_error_within_the_timeout():
    start = time.perf_counter()
    with pytest.raises(ComputeError, match=r"tcp://127.0.0.1:9 did not answer within 2 s"):
        with compute_context(ComputeSection(scheduler="tcp://127.0.0.1:9"), timeout_s=2):
            pass
    assert time.perf_counter() - start < 20


def test_endpoint_that_is_not_dask_is_a_clear_error():
    # a plain TCP server on loopback that accepts and writes garbage (an HTTP reply):
    # dask reads its frame-length header as a huge size (MemoryError before this check)
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def answer() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = server.accept()
                with conn:
                    conn.sendall(b"HTTP/1.1 200 OK\r\n\r\n" + b"\xff" * 4096)
                    time.sleep(0.2)

    threading.Thread(target=answer, daemon=True).start()
    before = dask.config.get("scheduler", None)
    try:
        with pytest.raises(
            ComputeError, match=rf"tcp://127.0.0.1:{port} answered but is not a dask scheduler"
        ):
            with compute_context(ComputeSection(scheduler=f"tcp://127.0.0.1:{port}"), timeout_s=3):
                pass
    finally:
        server.close()
    # the failed client leaves no default client nor "dask.distributed" scheduler behind:
    # a later compute runs (it used to wait forever on the dead client)
    assert dask.config.get("scheduler", None) == before
    assert int(da.ones(4, chunks=2).sum().compute(timeout=30)) == 4


@pytest.mark.slow
def test_local_cluster_dashboard_listens_on_loopback_and_is_named():
    """Issue 13 item 14: the unauthenticated dashboard is not opened to the network."""
    from distributed import get_client

    with compute_context(ComputeSection(scheduler="processes", workers=2)) as desc:
        http = get_client().cluster.scheduler.http_server
        hosts = {s.getsockname()[0] for s in http._sockets.values()}
    assert hosts == {"127.0.0.1"}
    assert re.fullmatch(
        r"LocalCluster of 2 workers \(dashboard http://127\.0\.0\.1:\d+/status\)", desc
    )


@pytest.mark.slow
def test_local_cluster_turns_off_linear_fusion_for_its_run_only():
    """Linear fusion can send the scheduler one key for two different tasks in successive
    graphs (dask/dask#9888): chunked suitability at 3162^2 failed with a KeyError on
    ``open_rasterio-original-getitem-...``. Under a client the study computes without it."""
    import dask

    before = dask.config.get("optimization.fuse.active", None)
    with compute_context(ComputeSection(scheduler="processes", workers=2)):
        assert dask.config.get("optimization.fuse.active") is False
    assert dask.config.get("optimization.fuse.active", None) == before
