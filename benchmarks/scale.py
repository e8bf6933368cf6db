"""Benchmark: a national-scale land-use map on dask, chunk by chunk (issue 9).

Builds a synthetic 30 m land-use map of ``size x size`` cells (default 20000 x 20000 =
4 x 10^8 cells; six CNLUCC classes in smooth patches, ~8 % nodata outside a ragged
"border") and a second date with ~5 % of the valid cells changed in patches. Both are
written block by block (rasterio windows, never whole) as tiled DEFLATE uint8 GeoTIFFs in
a temporary folder, while the exact joint class counts of the two dates are tallied from
the generated blocks: an independent full-size reference.

Then, reading the files in ``--chunks`` x ``--chunks`` dask chunks, on a
``distributed.LocalCluster`` of 1 and of 2 single-threaded worker processes:

* carbon storage: totals (t C) and the per-cell storage map (t C/ha, float32) written to
  disk window by window, both by ``carbon.write_carbon_outputs`` (densities of the Henan
  Table 1 preset);
* emission-factor emissions (t C/yr, ``carbon.emission_totals``, arid Mu Us factors);
* the transfer matrix against the second date (``landuse.change.transfer_matrix``).

On the shared harness (``benchmarks/harness.py``): the two cluster sizes run interleaved
(1 2 1 2 ..., ``--pairs``), each on a fresh cluster whose every worker first runs the study
on one chunk (imports and numba caches are not timed). For each step: wall time, CPU time
of all processes, throughput (cells/s) and peak resident memory of this process plus every
child (the cluster's workers and nannies), sampled every 50 ms in a thread; then the
median and min-max of the paired 1-worker / 2-worker ratios for the whole study and for
every step, the load before and after, and the machine. Checks: the full-size transfer
matrix equals the generation-time counts cell for cell and the storage/emission totals
equal count x density x cell area (to 1e-9 relative), in every run; on a cropped window
that straddles chunk borders, every result (and the written storage map) equals the
in-memory (numpy) path. Peak memory must stay under 2 GB.

A worker process runs one dask thread, but numba starts one thread per core for its
parallel kernels (the storage lookups, the class counts) whatever dask's thread count
(distributed's nanny caps OpenMP and BLAS threads, not numba's), so "1 worker" used to
mean one task at a time on up to every core. ``--worker-numba-threads`` (default 1) sets
``NUMBA_NUM_THREADS`` in the workers, so one worker uses one core; ``0`` keeps numba's
default (the figures before this option).

GDAL's block cache defaults to 5 % of the machine's RAM per process and fills up during
a chunked read (every tile is read once, so it buys nothing); ``--gdal-cache-mb`` (default
64) sets ``GDAL_CACHEMAX`` for this process and the workers.

Chunks default to 2048 x 2048: a worker then peaks at 0.46-0.56 GB (measured at 10^8 and
4 x 10^8 cells; the transfer matrix's joint index is one numba pass) and this process at
0.40-0.44 GB: it only appends the storage map's tiles, which the workers compress (the
chunks are multiples of the 256-cell tile; it used to gather each row of chunks, 0.45-0.65
GB), so two workers and this process stay under 2 GB.

Disk: at full size the two maps take 14 + 16 MB and the float32 storage map 30-54 MB (the
patches compress well); 0.2 GB free is plenty. Everything is deleted at the end unless
``--keep DIR``.

Figures and the load they were measured at: ``docs/scaling.md`` ("Measured throughput").
A 2-worker run can only be faster than a 1-worker run when two cores are free: compare the
CPU seconds with the wall seconds (CPU ~ wall means the processes shared one core).

Run: ``.venv/bin/python benchmarks/scale.py [--size 20000] [--chunks 2048] [--workers 1 2]
[--pairs 2] [--crop 2000] [--seed 0] [--keep DIR] [--gdal-cache-mb 64]
[--worker-numba-threads 1]``; ``--size 5000``
for a quick check.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import harness
import numpy as np
import pandas as pd
import psutil
import rasterio
import xarray as xr
from affine import Affine
from rasterio.crs import CRS
from rasterio.windows import Window

from landcarbon.carbon import (
    POOLS,
    emission_factor_preset,
    emission_totals,
    write_carbon_outputs,
)
from landcarbon.carbon.presets import load_preset
from landcarbon.classes import named_scheme
from landcarbon.landuse.change import transfer_matrix
from landcarbon.raster import read_raster
from landcarbon.tables import ClassTable

CODES = np.arange(1, 7)
CNLUCC = named_scheme("cnlucc")  # the codes 1-6 and their land-use groups (the presets' keys)
"""CNLUCC first-level classes: cropland, forest, grassland, water, built-up, unused land."""
SHARES = np.array([0.30, 0.25, 0.20, 0.05, 0.08, 0.12])
"""Target share of each class among valid cells (patch noise is cut at these quantiles)."""
NEXT_CLASS = np.array([0, 5, 1, 1, 3, 1, 3], dtype=np.uint8)
"""Class a changed cell takes (index = old code): never itself, so every change counts."""
CHANGE_SHARE = 0.05
NODATA_SHARE = 0.08
NODATA = 255
CELL_M = 30.0
BLOCK = 4096
"""Rows/columns of a generation window (a multiple of the 256-cell GeoTIFF tile)."""
GB = 1e9
STORAGE_TIF = "c_storage_bas.tif"
"""The storage map ``carbon.write_carbon_outputs`` writes (t C/ha, float32)."""


# ------------------------------------------------------------------ synthetic maps
def _weights(coords: np.ndarray, scale: float, n: int) -> tuple[slice, np.ndarray]:
    """Linear-interpolation weights of fine ``coords`` on a coarse axis of ``n`` nodes.

    A fine cell ``i`` sits at coarse coordinate ``(i + 0.5) / scale - 0.5``; only the
    coarse nodes the window touches are returned (the slice), so the matrix stays small.
    """
    u = np.clip((coords + 0.5) / scale - 0.5, 0, n - 1)
    lo = np.minimum(np.floor(u).astype(np.int64), n - 2)
    first, last = int(lo.min()), int(lo.max()) + 2
    w = np.zeros((coords.size, last - first), dtype=np.float32)
    rows = np.arange(coords.size)
    frac = (u - lo).astype(np.float32)
    w[rows, lo - first] = 1.0 - frac
    w[rows, lo - first + 1] = frac
    return slice(first, last), w


@dataclass(frozen=True)
class SmoothField:
    """Gaussian noise on a coarse lattice, bilinearly upsampled: seamless across windows."""

    coarse: np.ndarray
    scale: float

    @classmethod
    def new(cls, rng: np.random.Generator, size: int, scale: float) -> SmoothField:
        n = int(np.ceil(size / scale)) + 2
        return cls(rng.standard_normal((n, n)).astype(np.float32), scale)

    def at(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Field values on the outer product of fine ``rows`` x ``cols`` (float32)."""
        n = self.coarse.shape[0]
        rs, wr = _weights(rows, self.scale, n)
        cs, wc = _weights(cols, self.scale, n)
        return wr @ self.coarse[rs, cs] @ wc.T  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Landscape:
    """The fields behind both dates and the thresholds that turn them into classes."""

    broad: SmoothField
    detail: SmoothField
    change: SmoothField
    border: SmoothField
    class_cuts: np.ndarray = field(default_factory=lambda: np.empty(0))
    change_cut: float = 0.0
    border_cut: float = 0.0

    @classmethod
    def new(cls, size: int, seed: int) -> Landscape:
        broad, detail, change, border = (
            np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)
        )
        fields = cls(
            SmoothField.new(broad, size, 600.0),
            SmoothField.new(detail, size, 40.0),
            SmoothField.new(change, size, 50.0),
            SmoothField.new(border, size, max(size / 6, 50.0)),
        )
        lattice = np.arange(0, size, max(size // 1500, 1))  # quantiles on a coarse lattice
        cover = fields.cover(lattice, lattice).ravel()
        return cls(
            fields.broad,
            fields.detail,
            fields.change,
            fields.border,
            np.quantile(cover, np.cumsum(SHARES)[:-1]),
            float(np.quantile(fields.change.at(lattice, lattice), 1 - CHANGE_SHARE)),
            float(np.quantile(fields.border.at(lattice, lattice), NODATA_SHARE)),
        )

    def cover(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return 0.8 * self.broad.at(rows, cols) + 0.45 * self.detail.at(rows, cols)

    def dates(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """uint8 class codes at both dates for one window (``NODATA`` outside the border)."""
        before = (np.searchsorted(self.class_cuts, self.cover(rows, cols)) + 1).astype(np.uint8)
        after = np.where(self.change.at(rows, cols) > self.change_cut, NEXT_CLASS[before], before)
        outside = self.border.at(rows, cols) < self.border_cut
        before[outside] = NODATA
        after[outside] = NODATA
        return before, after


def windows(size: int, step: int) -> Iterator[Window]:
    for r in range(0, size, step):
        for c in range(0, size, step):
            yield Window(c, r, min(step, size - c), min(step, size - r))


def write_dates(folder: Path, size: int, seed: int) -> tuple[Path, Path, np.ndarray]:
    """Write both dates window by window; return their paths and the exact joint counts.

    ``counts[i, j]``: cells of ``CODES[i]`` at date 1 and ``CODES[j]`` at date 2 (nodata
    excluded), tallied with ``np.bincount`` from the generated windows.
    """
    land = Landscape.new(size, seed)
    transform = Affine(CELL_M, 0, 300_000.0, 0, -CELL_M, 4_700_000.0)
    profile = {
        "driver": "GTiff",
        "height": size,
        "width": size,
        "count": 1,
        "dtype": "uint8",
        "crs": CRS.from_epsg(32650),
        "transform": transform,
        "nodata": NODATA,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "predictor": 2,
        "BIGTIFF": "IF_SAFER",
    }
    paths = folder / "lulc_t0.tif", folder / "lulc_t1.tif"
    k = len(CODES) + 1  # last bin: nodata
    counts = np.zeros(k * k, dtype=np.int64)
    with (
        rasterio.open(paths[0], "w", **profile) as d0,
        rasterio.open(paths[1], "w", **profile) as d1,
    ):
        for win in windows(size, BLOCK):
            rows = np.arange(win.row_off, win.row_off + win.height)
            cols = np.arange(win.col_off, win.col_off + win.width)
            before, after = land.dates(rows, cols)
            d0.write(before, 1, window=win)
            d1.write(after, 1, window=win)
            i0 = np.minimum(before, k).astype(np.int64) - 1  # codes 1..6 -> 0..5, 255 -> 6
            i1 = np.minimum(after, k).astype(np.int64) - 1
            counts += np.bincount((i0 * k + i1).ravel(), minlength=k * k)
    return paths[0], paths[1], counts.reshape(k, k)[:-1, :-1]


# ------------------------------------------------------------------ measurement
class PeakMemory:
    """Peak resident memory (bytes) of this process plus all its children, sampled;
    ``parts`` is the per-process split at the peak (this process first)."""

    def __init__(self, interval_s: float = 0.05) -> None:
        self.interval_s = interval_s
        self.parts: list[int] = [0]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    @property
    def peak(self) -> int:
        return sum(self.parts)

    def _update(self) -> None:
        me = psutil.Process()
        parts = [me.memory_info().rss]
        for child in me.children(recursive=True):
            try:
                parts.append(child.memory_info().rss)
            except psutil.NoSuchProcess:
                continue
        if sum(parts) > self.peak:
            self.parts = parts

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._update()
            self._stop.wait(self.interval_s)

    def __enter__(self) -> PeakMemory:
        self._update()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._update()


def tree_cpu() -> float:
    """CPU seconds (user + system) so far of this process and its live children (the
    cluster's nannies and workers, which live through every timed step)."""
    total = 0.0
    me = psutil.Process()
    for proc in [me, *me.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


@dataclass
class Step:
    """One timed step: wall and CPU seconds (all processes), peak RSS split per process."""

    step: str
    seconds: float
    cpu: float
    peak_parts: list[int]
    cells: int

    @property
    def peak_bytes(self) -> int:
        return sum(self.peak_parts)

    @property
    def split(self) -> str:
        """Peak per process in GB: this process, then each child (nanny, worker...)."""
        return " + ".join(f"{p / GB:.2f}" for p in self.peak_parts)

    @property
    def cells_per_s(self) -> float:
        return self.cells / self.seconds

    @property
    def timing(self) -> harness.Timing:
        return harness.Timing(self.seconds, self.cpu)


def timed(step: str, cells: int, func: Callable[[], Any]) -> tuple[Step, Any]:
    with PeakMemory() as mem:
        cpu = tree_cpu()
        start = time.perf_counter()
        result = func()
        seconds = time.perf_counter() - start
        cpu = tree_cpu() - cpu
    return Step(step, seconds, cpu, mem.parts, cells), result


def _sorts(_: int = 0) -> float:
    """Seconds for a fixed CPU-bound numpy job (8 sorts of 10^6 floats)."""
    values = np.random.default_rng(0).random(1_000_000)
    start = time.perf_counter()
    for _ in range(8):
        np.sort(values)
    return time.perf_counter() - start


def free_speedup() -> float:
    """The speed-up two concurrent processes get over one on this machine now (2: two free
    cores; 1: the other jobs leave one): the most 2 workers can gain over 1 at this load."""
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_sorts, [0, 0]))  # both processes started and warm
        start = time.perf_counter()
        pool.submit(_sorts).result()
        one = time.perf_counter() - start
        start = time.perf_counter()
        list(pool.map(_sorts, [0, 0]))
        return 2 * one / (time.perf_counter() - start)


# ------------------------------------------------------------------ the study
@dataclass(frozen=True)
class Results:
    storage_t_c: float
    emissions_t_c_yr: float
    transfer_cells: np.ndarray
    transfer_area_ha: np.ndarray


def run_study(t0: xr.DataArray, t1: xr.DataArray, out_dir: Path) -> Callable[..., Results]:
    """The study's steps on maps of either backend; ``run(record)`` runs each via ``record``."""
    pools = load_preset("carbon", "henan_table1", POOLS, POOLS, classes=CNLUCC)
    factors = emission_factor_preset("arid_muus", CNLUCC)
    steps: list[tuple[str, Callable[[], Any]]] = [
        (
            "storage + map",
            lambda: write_carbon_outputs(out_dir, t0, pools, overwrite=True)[0].current.total_t_c,
        ),
        ("emission totals", lambda: float(emission_totals(t0, factors)["emissions_t_c_yr"].sum())),
        ("transfer matrix", lambda: transfer_matrix(t0, t1, codes=CODES.tolist())),
    ]

    def run(record: Callable[[str, Callable[[], Any]], Any]) -> Results:
        out = {name: record(name, thunk) for name, thunk in steps}
        tm = out["transfer matrix"]
        return Results(out["storage + map"], out["emission totals"], tm.cells, tm.area_ha)

    return run


def run_untimed(t0: xr.DataArray, t1: xr.DataArray, out_dir: Path) -> Results:
    return run_study(t0, t1, out_dir)(lambda _name, thunk: thunk())


def expected_from_counts(counts: np.ndarray) -> Results:
    """Totals from the generation-time counts: cells x density x 0.09 ha (30 m cells)."""
    pools = load_preset("carbon", "henan_table1", POOLS, POOLS, classes=CNLUCC)
    factors = emission_factor_preset("arid_muus", CNLUCC)
    cell_ha = CELL_M * CELL_M / 10_000.0
    area_t0 = counts.sum(axis=1) * cell_ha

    def per_code(table: ClassTable, columns: Sequence[str]) -> np.ndarray:
        frame = pd.DataFrame({c: table.column(c).to_numpy(float) for c in columns})
        return frame.sum(axis=1).set_axis(table.codes).loc[CODES.tolist()].to_numpy()

    density = per_code(pools, POOLS)
    factor = per_code(factors, ["factor_t_c_per_ha_yr"])
    return Results(float(area_t0 @ density), float(area_t0 @ factor), counts, counts * cell_ha)


def compare(got: Results, want: Results, what: str) -> None:
    np.testing.assert_allclose(got.storage_t_c, want.storage_t_c, rtol=1e-9, err_msg=what)
    np.testing.assert_allclose(got.emissions_t_c_yr, want.emissions_t_c_yr, rtol=1e-9, err_msg=what)
    np.testing.assert_array_equal(got.transfer_cells, want.transfer_cells, err_msg=what)
    np.testing.assert_array_equal(got.transfer_area_ha, want.transfer_area_ha, err_msg=what)


def read_map(path: Path, window: Window | None = None) -> np.ndarray:
    """A written storage map (float32, NaN for nodata), whole or one window."""
    with rasterio.open(path) as ds:
        return ds.read(1, window=window, masked=True).filled(np.nan)


def check_crop(t0_path: Path, t1_path: Path, full_dir: Path, chunks: int, crop: int) -> str:
    """Chunked vs in-memory on a crop that straddles chunk borders: identical results, and
    the full-size storage map's window equals the in-memory crop's map."""
    size = rasterio.open(t0_path).width
    crop = min(crop, size)
    off = max(0, min(chunks - crop // 3, size - crop))
    window = {"y": slice(off, off + crop), "x": slice(off, off + crop)}
    lazy = [read_raster(p, "categorical", chunks=chunks).isel(window) for p in (t0_path, t1_path)]
    eager = [da.compute() for da in lazy]
    chunked = run_untimed(lazy[0], lazy[1], full_dir / "crop_chunked")
    in_memory = run_untimed(eager[0], eager[1], full_dir / "crop_in_memory")
    compare(chunked, in_memory, "chunked vs in-memory crop")
    expected = read_map(full_dir / "crop_in_memory" / STORAGE_TIF)
    np.testing.assert_array_equal(read_map(full_dir / "crop_chunked" / STORAGE_TIF), expected)
    got = read_map(full_dir / STORAGE_TIF, Window(off, off, crop, crop))
    np.testing.assert_array_equal(got, expected)
    return f"crop {crop}x{crop} at ({off}, {off}) across chunk borders: identical to in-memory"


def warm_up(t0_path: Path, t1_path: Path, chunks: int, out_dir: Path) -> None:
    """Run the study on the first chunk in this process with dask's synchronous scheduler
    (``client.run`` calls it on every worker), so worker start-up and numba cache loads
    are not timed."""
    import dask

    first = {"y": slice(0, chunks), "x": slice(0, chunks)}
    t0, t1 = (read_raster(p, "categorical", chunks=chunks).isel(first) for p in (t0_path, t1_path))
    with dask.config.set(scheduler="synchronous"):
        run_untimed(t0, t1, out_dir / f"warm_up_{os.getpid()}")


def on_cluster(
    workers: int, t0_path: Path, t1_path: Path, chunks: int, folder: Path, numba_threads: int
) -> tuple[list[Step], Results]:
    """Run the timed study on a fresh LocalCluster of ``workers`` single-threaded processes,
    each running its numba kernels on ``numba_threads`` threads (0: numba's default, one
    per core)."""
    from distributed import Client, LocalCluster

    timings: list[Step] = []
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            env={"NUMBA_NUM_THREADS": str(numba_threads)} if numba_threads else {},
        ) as cluster,
        Client(cluster) as client,
    ):
        t0 = read_raster(t0_path, "categorical", chunks=chunks)
        t1 = read_raster(t1_path, "categorical", chunks=chunks)
        warm_up(t0_path, t1_path, chunks, folder)  # this process: imports, the writer
        client.run(warm_up, t0_path, t1_path, chunks, folder)  # every worker: numba caches

        def record(name: str, thunk: Callable[[], Any]) -> Any:
            timing, value = timed(name, int(t0.size), thunk)
            timings.append(timing)
            return value

        results = run_study(t0, t1, folder)(record)
    return timings, results


def run_line(label: str, steps: list[Step]) -> str:
    """One run's figures in one line: seconds per step, total, peak, load."""
    total = sum(t.seconds for t in steps)
    peak = max(steps, key=lambda t: t.peak_bytes)
    parts = ", ".join(f"{t.step} {t.seconds:.1f} s" for t in steps)
    return (
        f"- {label}: {parts}; whole {total:.1f} s ({steps[0].cells / total / 1e6:.2f} M map "
        f"cells/s); peak {peak.peak_bytes / GB:.2f} GB in {peak.step} ({peak.split}); load "
        f"average {os.getloadavg()[0]:.2f}"
    )


def scaling_lines(runs: dict[str, list[list[Step]]], timed: harness.Comparison) -> list[str]:
    """Whole study and every step: paired ratios of the interleaved runs; peak memory."""
    one, more = runs
    lines = [*timed.table(), "", f"- whole study, {timed.ratio_text(one, more)}"]
    for k, step in enumerate(s.step for s in runs[one][0]):
        per_step = harness.Comparison(
            {label: [r[k].timing for r in done] for label, done in runs.items()},
            timed.load_before,
            timed.load_after,
        )
        lines.append(f"- {step}, {per_step.ratio_text(one, more)}")
    for label, done in runs.items():
        peaks = [max(t.peak_bytes for t in r) / GB for r in done]
        lines.append(
            f"- peak RSS, all processes, {label}: median {np.median(peaks):.2f} GB "
            f"({min(peaks):.2f}-{max(peaks):.2f}); "
            f"{'under' if max(peaks) < 2 else 'OVER'} the 2 GB limit"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000, help="map side in cells")
    parser.add_argument("--chunks", type=int, default=2048, help="dask chunk side in cells")
    parser.add_argument(
        "--workers", type=int, nargs=2, default=[1, 2], help="the two cluster sizes compared"
    )
    parser.add_argument("--pairs", type=int, default=2, help="interleaved runs of each")
    parser.add_argument("--crop", type=int, default=2000, help="side of the in-memory check")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="keep the files in this folder")
    parser.add_argument(
        "--gdal-cache-mb",
        type=int,
        default=64,
        help="GDAL block cache per process (GDAL_CACHEMAX); GDAL's default is 5 %% of RAM",
    )
    parser.add_argument(
        "--worker-numba-threads",
        type=int,
        default=1,
        help="numba threads per worker process (0: numba's default, one per core)",
    )
    args = parser.parse_args()
    # inherited by the LocalCluster's worker processes; chunked reads and window writes
    # touch every tile once, so a large block cache only holds memory
    os.environ["GDAL_CACHEMAX"] = str(args.gdal_cache_mb)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="landcarbon-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    cells = args.size * args.size
    try:
        gen, (t0_path, t1_path, counts) = timed(
            "generate", cells, lambda: write_dates(folder, args.size, args.seed)
        )
        changed = int(counts.sum() - np.trace(counts))
        lines = [
            f"Machine: {harness.machine()}",
            "",
            f"Map {args.size} x {args.size} = {cells:.3g} cells, {counts.sum() / cells:.1%} "
            f"valid, {changed / counts.sum():.2%} changed; written in {gen.seconds:.1f} s; "
            f"files {t0_path.stat().st_size / 1e6:.0f} + {t1_path.stat().st_size / 1e6:.0f} MB; "
            f"chunks {args.chunks} x {args.chunks}, single-threaded worker processes "
            f"({args.worker_numba_threads or 'default'} numba thread(s) each), "
            f"GDAL cache {args.gdal_cache_mb} MB.",
            "",
        ]
        print("\n".join(lines), flush=True)
        want = expected_from_counts(counts)
        labels = {n: f"{n} worker{'s' if n > 1 else ''}" for n in args.workers}
        runs: dict[str, list[list[Step]]] = {label: [] for label in labels.values()}

        def tool(n: int) -> harness.Tool:
            def run(i: int) -> harness.Timing:
                steps, got = on_cluster(
                    n, t0_path, t1_path, args.chunks, folder, args.worker_numba_threads
                )
                compare(got, want, f"{n} worker(s) vs generation counts")
                runs[labels[n]].append(steps)
                lines.append(run_line(f"run {i + 1}, {labels[n]}", steps))
                print(lines[-1], flush=True)
                return harness.Timing(sum(t.seconds for t in steps), sum(t.cpu for t in steps))

            return run

        free_before = free_speedup()
        timed_runs = harness.interleaved(
            {labels[n]: tool(n) for n in args.workers}, args.pairs, warmup=False
        )
        lines += [
            "",
            f"Interleaved ({args.pairs} pairs), the three timed steps summed; "
            f"{timed_runs.load_text()}:",
            "",
            *scaling_lines(runs, timed_runs),
            f"- two CPU-bound processes ran x{free_before:.2f} (before) and "
            f"x{free_speedup():.2f} (after) as fast as one on this machine: the most "
            f"{labels[args.workers[1]]} can gain here at this load",
            f"- checks: storage {want.storage_t_c / 1e6:.4f} Mt C, emissions "
            f"{want.emissions_t_c_yr / 1e6:.4f} Mt C/yr and the transfer matrix ({changed} "
            f"cells changed) equal the generation counts in every run (matrix exact, totals "
            f"to 1e-9); {check_crop(t0_path, t1_path, folder, args.chunks, args.crop)}",
        ]
        harness.report(f"scale: chunked study on a LocalCluster, {args.size}^2 cells", lines)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
