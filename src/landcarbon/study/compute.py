"""The dask scheduler a study runs under: threads, processes, or a distributed cluster."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import Any

from landcarbon.errors import ComputeError

GDAL_CACHEMAX_MB = "64"
"""GDAL's block cache (MB) of the processes a study runs in: the command line and its
LocalCluster workers. GDAL's default is 5 % of RAM per process (1.2 GiB of 24 GiB), which
a whole-map read fills and keeps; the map and chunked reads read each block once."""

NO_LINEAR_FUSION = {"optimization.fuse.active": False}
"""dask config under a ``distributed`` client: no low-level (linear) task fusion.

Linear fusion names a fused chain after its last key, so two graphs of one study can send
the scheduler the same key for different tasks (``open_rasterio-original-getitem-...``
fused in one compute, not in the next). The scheduler takes a key for one task and fails
in ``update_graph`` with a KeyError on such a key (dask/dask#9888); measured: chunked PLUS
suitability at 3162 x 3162 cells (chunks 1024, 2 workers) failed in 1 of 3 runs with
fusion, 0 of 5 without. Blockwise (high-level) fusion stays on."""


def _numba_share(compute: Any) -> str:
    """Numba threads per LocalCluster worker: the machine's cores shared among the workers
    (numba otherwise starts one thread per core in every worker, so two single-threaded
    workers would run their kernels on twice the cores there are)."""
    return str(max(1, (os.cpu_count() or 1) // compute.workers))


@contextlib.contextmanager
def compute_context(compute: Any, timeout_s: float = 10.0) -> Iterator[str]:
    """Configure dask for the block: yields a description of the scheduler in use.

    ``tcp://host:port`` connects to a running ``dask.distributed`` scheduler (a clear
    ComputeError after ``timeout_s`` if it does not answer); ``workers > 1`` with
    ``scheduler = "processes"`` starts a LocalCluster (its dashboard on
    ``compute.dashboard``, loopback by default, and its address in the description; ``""``
    starts none); otherwise dask's local
    threaded/synchronous/process schedulers with ``workers`` threads.
    """
    import dask

    if compute.scheduler.startswith("tcp://"):
        from distributed import Client

        try:
            with no_client_left_on_failure():
                client = Client(compute.scheduler, timeout=f"{timeout_s}s")
        except (OSError, TimeoutError) as exc:
            raise ComputeError(
                f"dask scheduler {compute.scheduler} did not answer within {timeout_s:g} s "
                f"({exc.__class__.__name__}); start it (`dask scheduler`) or fix "
                f"[compute] scheduler"
            ) from exc
        except Exception as exc:  # an endpoint that answers but does not speak dask's protocol
            raise ComputeError(
                f"{compute.scheduler} answered but is not a dask scheduler "
                f"({exc.__class__.__name__}: {exc}); point [compute] scheduler or --scheduler "
                f"at the address `dask scheduler` prints (tcp://host:8786 by default)"
            ) from exc
        with (
            tracebacks_dropped_from_distributed_logs(),  # the client's close logs too
            client,
            dask.config.set(NO_LINEAR_FUSION),
            scheduler_loss(client, compute.scheduler),
        ):
            yield f"distributed {compute.scheduler} ({client.dashboard_link})"
        return
    if uses_client(compute):  # a LocalCluster
        from distributed import Client, LocalCluster

        kwargs = {"memory_limit": compute.memory_limit} if compute.memory_limit else {}
        with contextlib.ExitStack() as stack:
            try:
                _require_loopback()
                cluster = stack.enter_context(
                    LocalCluster(
                        n_workers=compute.workers,
                        threads_per_worker=1,
                        processes=True,
                        host="127.0.0.1",
                        dashboard_address=compute.dashboard or None,
                        env={
                            "GDAL_CACHEMAX": GDAL_CACHEMAX_MB,
                            "NUMBA_NUM_THREADS": _numba_share(compute),
                        },
                        **kwargs,
                    )
                )
                with no_client_left_on_failure():
                    stack.enter_context(Client(cluster))
                stack.enter_context(dask.config.set(NO_LINEAR_FUSION))
            except (OSError, RuntimeError, TimeoutError) as exc:  # the start only, not the run
                raise ComputeError(
                    f"a LocalCluster of {compute.workers} workers did not start "
                    f"({exc.__class__.__name__}: {str(exc)[:160]}); its scheduler and workers "
                    f"talk over 127.0.0.1, so check the loopback interface is up (`ip link set "
                    f"lo up`), or run without --workers ([compute] scheduler = 'threads')"
                ) from exc
            board = f"dashboard {_dashboard(cluster)}" if compute.dashboard else "no dashboard"
            yield f"LocalCluster of {compute.workers} workers ({board})"
        return
    with dask.config.set(scheduler=compute.scheduler, num_workers=compute.workers):
        yield local_scheduler(compute)


class _NoTraceback(logging.Filter):
    """Keep a log record's line and drop its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


@contextlib.contextmanager
def tracebacks_dropped_from_distributed_logs() -> Iterator[None]:
    """While the block runs, distributed's log lines print without their tracebacks.

    When the scheduler goes away, the client logs each failed reconnection with the
    traceback of the refused connection before the run's own error
    (:func:`scheduler_loss`) says what happened and what to do; the lines stay, the
    tracebacks go. The filter sits on the handlers distributed installs on its loggers.
    """
    handlers = {
        h
        for name in ("distributed", "distributed.client")
        for h in logging.getLogger(name).handlers
    }
    quiet = _NoTraceback()
    for handler in handlers:
        handler.addFilter(quiet)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(quiet)


@contextlib.contextmanager
def scheduler_loss(client: Any, address: str) -> Iterator[None]:
    """Turn a failure of the block caused by losing the scheduler into a ComputeError.

    When a ``dask.distributed`` scheduler goes away mid-run, the client cancels what it
    waits for (``FutureCancelledError``, "scheduler-connection-lost") or is no longer
    running. The step that was computing leaves nothing under its final name (outputs are
    written to a temporary file and renamed only once whole) and is not marked done, so a
    rerun against a scheduler that answers resumes there; the error says so. Other
    failures pass through unchanged.
    """
    try:
        yield
    except Exception as exc:
        if client.status == "running" and "scheduler-connection-lost" not in str(exc):
            raise
        raise ComputeError(
            f"the dask scheduler {address} was lost during the run "
            f"({exc.__class__.__name__}); the steps that finished are kept and the step that "
            f"was running wrote nothing under its final name; start the scheduler and its "
            f"workers again (`dask scheduler`, `dask worker {address}`) and rerun the study: "
            f"it resumes after the steps that finished"
        ) from exc


@contextlib.contextmanager
def no_client_left_on_failure() -> Iterator[None]:
    """Leave no half-started ``distributed.Client`` behind when the block fails.

    A Client registers itself as the process's default client and sets dask's
    ``scheduler`` to ``"dask.distributed"`` as it starts, and leaves both so when its start
    fails (a scheduler that does not answer, or an endpoint that is not one): every later
    compute of the process, under any scheduler, then goes to that dead client and waits
    forever. On failure the block's new default client is closed (which undoes both) and
    the ``scheduler`` setting is put back as it was.
    """
    import dask
    from distributed import default_client

    def current() -> Any:
        try:
            return default_client()
        except ValueError:  # none
            return None

    unset = object()
    before, setting = current(), dask.config.config.get("scheduler", unset)
    try:
        yield
    except BaseException:
        left = current()
        if left is not None and left is not before:
            left.close()
        if setting is unset:
            dask.config.config.pop("scheduler", None)
        else:
            dask.config.config["scheduler"] = setting
        raise


def uses_client(compute: Any) -> bool:
    """Whether ``compute`` runs on a ``dask.distributed`` client (a ``tcp://`` scheduler or a
    LocalCluster), which must answer before a run writes anything; otherwise dask's local
    schedulers run it, which only need setting when a step computes."""
    return bool(
        compute.scheduler.startswith("tcp://")
        or (compute.scheduler == "processes" and compute.workers > 1)
    )


def local_scheduler(compute: Any) -> str:
    """How :func:`compute_context` describes dask's local scheduler of ``compute``
    (``dask threads x2``)."""
    return f"dask {compute.scheduler} x{compute.workers}"


def active_client() -> Any:
    """The ``dask.distributed`` client of the :func:`compute_context` in force (a
    LocalCluster or a ``tcp://`` scheduler), or None under dask's local schedulers."""
    from distributed import default_client

    try:
        return default_client()
    except ValueError:  # no client: threads, processes x1 or synchronous
        return None


def _dashboard(cluster: Any) -> str:
    """Where the cluster's dashboard listens, as bound (``http://127.0.0.1:8787/status``;
    ``http://0.0.0.0:8787/status`` when opened to every interface)."""
    host, port = next(iter(cluster.scheduler.http_server._sockets.values())).getsockname()[:2]
    return f"http://{host}:{port}/status"


def _require_loopback() -> None:
    """Connect to a listener on 127.0.0.1: fails at once (OSError) where the loopback
    interface is down, where a LocalCluster would wait for its workers for a minute."""
    import socket

    with socket.create_server(("127.0.0.1", 0)) as server:
        socket.create_connection(server.getsockname()[:2], timeout=5).close()
