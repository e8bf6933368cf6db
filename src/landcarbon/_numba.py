"""Where numba keeps landcarbon's compiled kernels; set before numba is imported.

Every kernel is ``@njit(cache=True)``: compiled once per signature, then loaded from a
cache (milliseconds instead of seconds per kernel; the arid example compiles for minutes
on a fresh install). numba keeps that cache in ``__pycache__`` beside the source, which
a read-only install (a system or shared site-packages) cannot write. There the cache goes
to the user's cache folder, :func:`user_cache_dir` ``/numba``, so that
``landcarbon warm-up`` and every later run use one place. ``NUMBA_CACHE_DIR``, when set,
is always respected. Nothing here imports numba (``landcarbon --help`` stays light).
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

PACKAGE_DIR = Path(__file__).resolve().parent


def user_cache_dir() -> Path:
    """landcarbon's per-user cache folder (as platformdirs' ``user_cache_dir``):
    ``$XDG_CACHE_HOME/landcarbon`` or ``~/.cache/landcarbon`` on Linux,
    ``~/Library/Caches/landcarbon`` on macOS, ``%LOCALAPPDATA%\\landcarbon\\Cache`` on
    Windows."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "landcarbon" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "landcarbon"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "landcarbon"


def cache_dir(package_dir: Path = PACKAGE_DIR) -> Path | None:
    """The folder numba should cache in, or None for numba's own ``__pycache__`` beside
    the source (the package folder is writable and ``NUMBA_CACHE_DIR`` is not set)."""
    given = os.environ.get("NUMBA_CACHE_DIR")
    if given:
        return Path(given)
    if os.access(package_dir, os.W_OK):
        return None
    return user_cache_dir() / "numba"


def configure(package_dir: Path = PACKAGE_DIR) -> Path | None:
    """Point numba at :func:`cache_dir` (environment, so that dask workers follow, and
    numba's config when numba is already imported); returns the folder (None: in-tree)."""
    folder = cache_dir(package_dir)
    if folder is not None:
        os.environ["NUMBA_CACHE_DIR"] = str(folder)
        numba_config = sys.modules.get("numba.core.config")
        if numba_config is not None:  # numba was imported first: it has read its settings
            numba_config.CACHE_DIR = str(folder)  # type: ignore[attr-defined]
    return folder


def sweep_threads(limit: int) -> int:
    """Numba threads for a parallel kernel (the allocation's proposal sweeps, the cost
    distance's row sweeps): at most ``limit`` (the threads numba is set to, by default one
    per core), and no more than the cores that other processes leave idle by the 1-minute
    load average (this process's own share excluded); at least 1.

    On a loaded machine a second thread only waits for a core (measured at 10^6 cells, 2
    cores, load 7.6: allocation sweeps on 2 threads took 1.57x the time of 1; cost distance
    4000^2 at load 3-4: 1.25x), so it is not started.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    busy = max(os.getloadavg()[0] - 1.0, 0.0) if hasattr(os, "getloadavg") else 0.0
    return max(1, min(limit, math.floor((cores or 1) - busy + 0.5)))


def read_only(array: np.ndarray) -> np.ndarray:
    """A read-only view of ``array`` (no copy), for a kernel argument that arrives either way.

    numba types a read-only array apart from a writable one, so a kernel given both (a map
    read from a file, a sample computed in memory) compiles twice; a caller that passes
    this view always gets the one signature that the warm-up compiled.
    """
    view = array.view()
    view.flags.writeable = False
    return view
