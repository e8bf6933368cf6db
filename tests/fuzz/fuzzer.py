"""A seeded mutation fuzzer of the ``landcarbon`` command line (issue 13, item 20).

A case is a seed. The seed picks a command (a single command on tiny maps, or ``validate`` /
``run`` of an example study on a 40 x 50 synthetic region), one of its input files and a
mutation of that file (tables: missing/extra column, text, NaN, inf, negative, duplicate
code, BOM, ``;`` with decimal commas, empty, binary; rasters: float codes, all nodata, no
nodata, no CRS, another CRS / resolution / extent by one cell, 1 x 1, 0 bytes, truncated,
a PNG named .tif, huge and negative codes; study files: a key dropped, a value of the wrong
type or out of range). The inputs are copies of a base set built once per session.

The oracle (:func:`check`): exit 0 or 1; exit 1 gives exactly one stderr line starting with
``error:`` and no traceback; exit 0 leaves finite outputs under ``--out`` (no inf in a
raster, no NaN/inf token in a CSV, no ``NaN``/``Infinity`` in a JSON); no file appears
outside ``--out``; no input changes (hashes before and after); no case runs past its
timeout.

Cases run in process (``landcarbon.cli.main`` with ``sys.argv`` patched, stdout/stderr
captured, ``SystemExit`` caught): a subprocess costs 2-4 s of imports per case, in process
a case on tiny maps takes about 0.05-0.5 s, so a few hundred fit in CI. A traceback is an
exception escaping ``main``; it is caught here and reported with its origin (the innermost
frame in ``landcarbon``). The timeout is ``SIGALRM`` (main thread, Unix; a numba kernel is
interrupted when it returns to Python).

``python tests/fuzz/fuzzer.py --cases 2000 --seed 0`` (``make fuzz``) runs many cases and
prints the failures grouped by cause.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import signal
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "landcarbon" / "examples"
STUDY_SHAPE = (40, 50)
MAP_SHAPE = (40, 50)  # the study size: smaller windows of the region are all built-up
TIMEOUT_S = 60
STUDY_TIMEOUT_S = 300
LU_CODES = (1, 2, 3, 4, 5, 6)

# --------------------------------------------------------------------------- base inputs


def build_base(folder: Path) -> Path:
    """The inputs every case copies from: tiny maps and tables, and the example studies
    with ``[synthetic] shape = [40, 50]`` and their regions already written."""
    from landcarbon.datasets.synthetic import write_synthetic_region

    maps = folder / "maps"
    write_synthetic_region(
        maps,
        MAP_SHAPE,
        30.0,
        seed=3,  # all six classes, 264 cells changed 2010 -> 2020
        layers=(
            "landuse_2000",
            "landuse_2010",
            "landuse_2020",
            "npp",
            "monthly_temperature",
            "monthly_precipitation",
            "precipitation",
            "dem",
            "soil_texture",
            "vegetation",
            "soc_topsoil",
            "slope",
        ),
    )
    _write_tables(maps)
    studies = folder / "studies"
    shutil.copytree(EXAMPLES, studies)
    for toml in studies.glob("*.toml"):
        text = re.sub(
            r"(?m)^shape = \[\d+, \d+\]",
            f"shape = [{STUDY_SHAPE[0]}, {STUDY_SHAPE[1]}]",
            toml.read_text(),
        )
        toml.write_text(text)
        synthetic = _synthetic_section(text)
        region = studies / synthetic.get("folder", "synthetic_data")
        if region.is_dir():  # two studies share the folder (and its settings)
            continue
        write_synthetic_region(
            region,
            STUDY_SHAPE,
            float(synthetic.get("cell_size", 30.0)),
            seed=int(synthetic.get("seed", 0)),
        )
    return folder


def _synthetic_section(text: str) -> dict[str, Any]:
    import tomllib

    return dict(tomllib.loads(text).get("synthetic", {}))


def _write_tables(d: Path) -> None:
    rng = np.random.default_rng(0)
    pools = ["lucode,c_above,c_below,c_soil,c_dead"]
    pools += [f"{c},{10 * c},{2 * c},{30 + c},{c}" for c in LU_CODES]
    (d / "pools.csv").write_text("\n".join(pools) + "\n")
    factors = ["code,factor_t_c_per_ha_yr"]
    factors += [
        f"{c},{f}" for c, f in zip(LU_CODES, (0.42, -0.64, -0.02, 0, 1.82, 0.05), strict=True)
    ]
    (d / "factors.csv").write_text("\n".join(factors) + "\n")
    rows = ["y,a,b"] + [
        f"{rng.normal(10, 3):.3f},{rng.integers(1, 4)},{rng.integers(1, 5)}" for _ in range(60)
    ]
    (d / "gd.csv").write_text("\n".join(rows) + "\n")
    shutil.copy(EXAMPLES / "tables" / "vegetation_density.csv", d / "veg.csv")
    # a positive resistance surface and one source patch
    from landcarbon.raster import read_raster, write_raster

    dem = read_raster(d / "dem.tif", "continuous")
    write_raster(dem - float(np.nanmin(dem.values)) + 1.0, d / "resistance.tif")
    src = np.zeros(MAP_SHAPE, dtype=np.int32)
    src[2:4, 3:5] = 1
    write_raster(dem.copy(data=src), d / "sources.tif")


# --------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class Command:
    """A command line over input files (names under the case's ``in/``); ``{out}`` is
    replaced by the case's output folder; ``study`` commands copy the example studies."""

    name: str
    args: tuple[str, ...]
    study: bool = False
    timeout: int = TIMEOUT_S

    def inputs(self) -> list[str]:
        return [a.split("=")[-1] for a in self.args if re.search(r"\.(tif|csv|toml)$", a)]


def _commands() -> list[Command]:
    lu0, lu1, lu2 = "landuse_2000.tif", "landuse_2010.tif", "landuse_2020.tif"
    out = ("--out", "{out}")
    return [
        Command("carbon", ("carbon", "--lulc", lu2, "--pools", "pools.csv", *out)),
        Command(
            "carbon-future",
            ("carbon", "--lulc", lu1, "--lulc-future", lu2, "--pools", "pools.csv", *out),
        ),
        Command("change", ("change", lu1, lu2, "--years", "2010", "2020", *out)),
        Command(
            "markov", ("markov", lu1, lu2, "--years", "2010", "2020", "--target", "2030", *out)
        ),
        Command(
            "erosion",
            (
                "erosion",
                "--dem",
                "dem.tif",
                "--precip",
                "precipitation.tif",
                "--lulc",
                lu2,
                "--soil",
                "soil_texture.tif",
                "--tables",
                "redsoil",
                "--region",
                "south_red_soil",
                *out,
            ),
        ),
        Command(
            "nep",
            (
                "nep",
                "--npp",
                "npp.tif",
                "--temperature",
                "monthly_temperature.tif",
                "--precipitation",
                "monthly_precipitation.tif",
                *out,
            ),
        ),
        Command("emissions", ("emissions", "--lulc", lu2, "--factors", "factors.csv", *out)),
        Command(
            "sinks",
            (
                "sinks",
                "--nep",
                "npp.tif",
                "--veg-type",
                "vegetation.tif",
                "--veg-density",
                "veg.csv",
                "--soil-carbon",
                "soc_topsoil.tif",
                "--lulc",
                lu2,
                "--factor",
                "slope=slope.tif",
                "--factor",
                "elevation=dem.tif",
                "--cultivated",
                "1",
                "--min-area-ha",
                "0.1",
                "--potential",
                "quantile",
                "--resistance-levels",
                "wensu_county",
                "--strategies",
                "wensu_county",
                *out,
            ),
        ),
        Command("mcr", ("mcr", "--resistance", "resistance.tif", "--sources", "sources.tif", *out)),
        Command("breaks", ("breaks", "npp.tif", "--k", "4")),
        Command("breaks-table", ("breaks", "gd.csv", "--column", "y", "--k", "3")),
        Command(
            "geodetector",
            ("geodetector", "--table", "gd.csv", "--y", "y", "--x", "a", "--x", "b", *out),
        ),
        Command(
            "geodetector-raster",
            ("geodetector", "--raster-y", "npp.tif", "--raster-x", lu2, *out),
        ),
        Command("info", ("info", lu2, "--categorical")),
        Command("info-float", ("info", "dem.tif")),
        Command("accuracy", ("accuracy", lu2, lu1, "--initial", lu0, *out)),
        Command(
            "simulate",
            (
                "simulate",
                "--t0",
                lu1,
                "--t0-year",
                "2010",
                "--t1",
                lu2,
                "--t1-year",
                "2020",
                "--target-year",
                "2030",
                "--driver",
                "dem.tif",
                "--driver",
                "slope.tif",
                "--n-trees",
                "5",
                "--seed",
                "1",
                *out,
            ),
            timeout=120,
        ),
    ] + [
        Command(f"validate-{s}", ("validate", f"{s}.toml"), study=True)
        for s in ("province_balance", "county_sinks", "erosion_climate", "arid_budget_scenarios")
    ]


COMMANDS = _commands()
RUN = Command(
    "run-province_balance",
    ("run", "province_balance.toml", *("--out", "{out}")),
    study=True,
    timeout=STUDY_TIMEOUT_S,
)


# --------------------------------------------------------------------------- mutations
TABLE_MUTATIONS = (
    "drop_column",
    "extra_column",
    "text",
    "nan",
    "inf",
    "negative",
    "duplicate_code",
    "bom",
    "semicolon_decimal_comma",
    "empty",
    "binary",
    "header_only",
    "huge",
)
RASTER_MUTATIONS = (
    "float_codes",
    "all_nodata",
    "no_nodata",
    "no_crs",
    "other_crs",
    "other_resolution",
    "shift_one_cell",
    "one_by_one",
    "zero_bytes",
    "truncated",
    "png",
    "huge_codes",
    "negative_codes",
    "nan_cells",
    "inf_cells",
)
STUDY_MUTATIONS = (
    "drop_line",
    "wrong_type",
    "negative_number",
    "nan_number",
    "bad_path",
    "duplicate_key",
)


def mutate_table(path: Path, kind: str, rng: np.random.Generator) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    header, rows = lines[0].split(","), [r.split(",") for r in lines[1:]]
    numeric = [j for j in range(len(header)) if all(_is_number(r[j]) for r in rows)]
    col = numeric[int(rng.integers(0, len(numeric)))]  # text in a name column is fine
    row = int(rng.integers(0, len(rows)))
    if kind == "drop_column":
        header.pop(col)
        for r in rows:
            r.pop(col)
    elif kind == "extra_column":
        header.append("extra")
        for r in rows:
            r.append("1")
    elif kind in ("text", "nan", "inf", "negative", "huge"):
        value = {"text": "n/a", "nan": "nan", "inf": "inf", "negative": "-5", "huge": "1e308"}
        rows[row][col] = value[kind]
    elif kind == "duplicate_code":
        rows.append(list(rows[row]))
    elif kind == "header_only":
        rows = []
    text = "\n".join(",".join(r) for r in [header, *rows]) + "\n"
    if kind == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    elif kind == "semicolon_decimal_comma":
        path.write_text(text.replace(",", ";").replace(".", ","))
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "binary":
        path.write_bytes(rng.bytes(256))
    else:
        path.write_text(text)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def mutate_raster(path: Path, kind: str, rng: np.random.Generator) -> None:
    with warnings.catch_warnings():  # rasterio warns when it writes a file without a CRS
        warnings.simplefilter("ignore")
        _mutate_raster(path, kind, rng)


def _mutate_raster(path: Path, kind: str, rng: np.random.Generator) -> None:
    import rasterio
    from affine import Affine

    raw = path.read_bytes()
    if kind == "zero_bytes":
        path.write_bytes(b"")
        return
    if kind == "truncated":
        path.write_bytes(raw[: int(len(raw) * rng.uniform(0.2, 0.9))])
        return
    if kind == "png":
        with rasterio.open(path) as src:
            data = src.read(1)
        tmp = path.with_suffix(".png.tmp")
        with rasterio.open(
            tmp,
            "w",
            driver="PNG",
            width=data.shape[1],
            height=data.shape[0],
            count=1,
            dtype="uint8",
        ) as dst:
            dst.write(np.clip(np.nan_to_num(data), 0, 255).astype("uint8"), 1)
        os.replace(tmp, path)
        for aux in path.parent.glob(tmp.name + "*"):
            aux.unlink()
        return
    with rasterio.open(path) as src:
        profile = src.profile.copy()
        data = src.read()
        tags = src.tags()
    nodata = profile.get("nodata")
    valid = data != nodata if nodata is not None and not np.isnan(nodata) else np.isfinite(data)
    t = profile["transform"]
    cells = rng.random(data.shape) < 0.2
    if kind == "float_codes":
        data = data.astype("float32") + np.where(cells & valid, 0.5, 0).astype("float32")
        profile.update(dtype="float32")
    elif kind == "all_nodata":
        data[:] = nodata if nodata is not None else np.nan
        if nodata is None:
            profile.update(nodata=np.nan)
    elif kind == "no_nodata":
        profile.update(nodata=None)
    elif kind == "no_crs":
        profile.update(crs=None)
    elif kind == "other_crs":
        profile.update(crs="EPSG:4326" if rng.random() < 0.5 else "EPSG:32650")
    elif kind == "other_resolution":
        profile.update(transform=Affine(t.a * 2, 0, t.c, 0, t.e * 2, t.f))
    elif kind == "shift_one_cell":
        profile.update(transform=Affine(t.a, 0, t.c + t.a, 0, t.e, t.f))
    elif kind == "one_by_one":
        data = data[:, :1, :1]
        profile.update(width=1, height=1, blockxsize=16, blockysize=16, tiled=False)
    elif kind in ("huge_codes", "negative_codes"):
        big = np.iinfo("int32").max if kind == "huge_codes" else -7
        data = data.astype("int32")
        data[cells & valid] = big
        profile.update(dtype="int32")
        if nodata is not None and not float(nodata).is_integer():  # NaN: no int32 nodata
            profile.update(nodata=None)
    elif kind in ("nan_cells", "inf_cells"):
        data = data.astype("float32")
        data[cells] = np.nan if kind == "nan_cells" else np.inf
        profile.update(dtype="float32")
    tmp = path.with_suffix(".tif.tmp")
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(data)
        dst.update_tags(**tags)
    os.replace(tmp, path)


def mutate_study(path: Path, kind: str, rng: np.random.Generator) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    keyed = [i for i, line in enumerate(lines) if re.match(r"^\s*[\w\"-]+\s*=", line)]
    numbers = [i for i in keyed if re.search(r"=\s*-?\d", lines[i])]
    paths = [i for i in keyed if re.search(r"=\s*\"[^\"]+\.(tif|csv|toml)\"", lines[i])]
    pick = {"negative_number": numbers, "nan_number": numbers, "bad_path": paths}.get(kind, keyed)
    i = int(pick[int(rng.integers(0, len(pick)))]) if pick else keyed[0]
    key, _, value = lines[i].partition("=")
    if kind == "drop_line":
        lines.pop(i)
    elif kind == "wrong_type":
        lines[i] = key + ('= "text"' if re.search(r"\d", value) else "= 12")
    elif kind == "negative_number":
        lines[i] = f"{key}= " + re.sub(r"(?<![\w.])(\d)", r"-\1", value.strip(), count=1)
    elif kind == "nan_number":
        lines[i] = f"{key}= " + re.sub(r"-?\d+(\.\d+)?", "nan", value.strip(), count=1)
    elif kind == "bad_path":
        lines[i] = re.sub(r"\"([^\"]+)\.(tif|csv|toml)\"", r'"\1_missing.\2"', lines[i])
    elif kind == "duplicate_key":
        lines.insert(i + 1, lines[i])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- a case


@dataclass
class Case:
    seed: int
    command: str
    target: str
    mutation: str
    argv: list[str]
    folder: Path


@dataclass
class Outcome:
    case: Case
    code: int | None
    stderr: str
    problems: list[str] = field(default_factory=list)
    origin: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def make_case(seed: int, base: Path, root: Path, *, with_run: bool = False) -> Case:
    """The case of ``seed``: its inputs copied under ``root/seed/in`` and one mutated."""
    rng = np.random.default_rng(seed)
    pool = COMMANDS + ([RUN] if with_run else [])
    command = pool[int(rng.integers(0, len(pool)))]
    folder = root / str(seed)
    inputs = folder / "in"
    if command.study:
        shutil.copytree(base / "studies", inputs)
        study = inputs / command.args[1]
        candidates = [study, *_study_inputs(study)]
    else:
        inputs.mkdir(parents=True)
        for name in command.inputs():
            shutil.copy(base / "maps" / name, inputs / name)
        candidates = [inputs / n for n in command.inputs()]
    target = candidates[int(rng.integers(0, len(candidates)))]
    if rng.random() < 0.05:
        mutation = "none"
    elif target.suffix == ".tif":
        mutation = RASTER_MUTATIONS[int(rng.integers(0, len(RASTER_MUTATIONS)))]
        mutate_raster(target, mutation, rng)
    elif target.suffix == ".csv":
        mutation = TABLE_MUTATIONS[int(rng.integers(0, len(TABLE_MUTATIONS)))]
        mutate_table(target, mutation, rng)
    else:
        mutation = STUDY_MUTATIONS[int(rng.integers(0, len(STUDY_MUTATIONS)))]
        mutate_study(target, mutation, rng)
    argv = [a.replace("{out}", str(folder / "out")) for a in command.args]
    return Case(seed, command.name, str(target.relative_to(inputs)), mutation, argv, folder)


def _study_inputs(study: Path) -> list[Path]:
    """Raster and table files a study names (paths relative to the study file)."""
    names = re.findall(r"\"([^\"]+\.(?:tif|csv))\"", study.read_text())
    return [study.parent / n for n in dict.fromkeys(names) if (study.parent / n).is_file()]


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.blake2b(p.read_bytes(), digest_size=16).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


class _Timeout(Exception):
    pass


@contextlib.contextmanager
def _alarm(seconds: int) -> Iterator[None]:
    def fire(signum: int, frame: Any) -> None:
        raise _Timeout(f"no answer after {seconds} s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_in_process(argv: list[str], cwd: Path, timeout: int) -> tuple[int | None, str, str, str]:
    """``landcarbon ARGV`` in this process: (exit code or None, stdout, stderr, origin of an
    escaped exception or timeout, "" when none)."""
    from landcarbon.cli import main
    from landcarbon.cli.output import state

    out, err = io.StringIO(), io.StringIO()
    old_argv, old_cwd, old_show = sys.argv, os.getcwd(), warnings.showwarning
    code: int | None = 0
    origin = ""
    sys.argv = ["landcarbon", *argv]
    os.chdir(cwd)
    try:
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            _alarm(timeout),
        ):
            warnings.simplefilter("default")
            try:
                main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except _Timeout as exc:
                code, origin = None, f"timeout: {exc}"
            except BaseException as exc:
                code = None
                err.write("Traceback (most recent call last):\n" + traceback.format_exc())
                origin = _origin(exc)
    finally:
        sys.argv = old_argv
        os.chdir(old_cwd)
        warnings.showwarning = old_show
        state.quiet = state.json = state.debug = False
    return code, out.getvalue(), err.getvalue(), origin


def _origin(exc: BaseException) -> str:
    """``Type at file:line`` of the innermost frame inside landcarbon (else the last)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/landcarbon/" in f.filename] or frames
    f = ours[-1]
    where = f.filename.split("/src/")[-1] if "/src/" in f.filename else f.filename
    return f"{type(exc).__name__} at {where}:{f.lineno}"


CATEGORICAL = re.compile(r"landuse_\d+|soil_texture|vegetation|sources")
BROKEN = {"zero_bytes", "truncated", "empty", "binary", "header_only"}
"""Mutations no command can accept: the case must end in exit 1."""
MISALIGNED = {"other_crs", "other_resolution", "shift_one_cell", "one_by_one"}


def must_fail(case: Case) -> bool:
    """The mutation makes the input wrong for the command whatever it does: a broken file, a
    misaligned raster of a command that reads several, non-integer codes in a class map,
    text / NaN / inf / duplicate codes in a class table (NaN in the geodetector table is a
    missing value, dropped and counted)."""
    name, kind = Path(case.target).name, case.mutation
    several = sum(a.endswith(".tif") for a in case.argv) > 1 or case.command.startswith("validate")
    if kind in BROKEN or (kind in MISALIGNED and several):
        return True
    if CATEGORICAL.match(name) and kind in ("float_codes", "inf_cells"):
        return True
    class_table = name in ("pools.csv", "factors.csv", "veg.csv", "vegetation_density.csv")
    return class_table and kind in ("text", "nan", "inf", "duplicate_code")


def check(case: Case, code: int | None, stderr: str, origin: str) -> list[str]:
    """What is wrong with a finished case (empty: nothing)."""
    problems = []
    if code == 0 and must_fail(case):
        problems.append(f"accepted a bad input (exit 0 after {case.mutation} of {case.target})")
    if origin.startswith("timeout"):
        return [origin]
    if "Traceback" in stderr:
        problems.append(f"traceback: {origin}")
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    if code not in (0, 1):
        problems.append(f"exit code {code}")
    elif code == 1 and (
        len(errors) != 1 or any(line.startswith(("Usage", "Try")) for line in lines)
    ):
        problems.append(
            f"exit 1 without exactly one error: line ({len(errors)} of {len(lines)} lines)"
        )
    out = case.folder / "out"
    if code == 0 and out.is_dir():
        problems += _nonfinite_outputs(out)
    return problems


_BAD_TOKEN = re.compile(r"(^|[,;\s\"])(nan|NaN|-?inf|-?Inf|-?Infinity)($|[,;\s\"])", re.M)


def _nonfinite_outputs(out: Path) -> list[str]:
    found = []
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out)
        if path.suffix == ".json":
            text = path.read_text(errors="replace")
            if re.search(r"\bNaN\b|-?Infinity\b", text):
                found.append(f"NaN/Infinity in output JSON ({rel.name})")
        elif path.suffix == ".csv":
            if _BAD_TOKEN.search(path.read_text(errors="replace")):
                found.append(f"nan/inf in output CSV ({rel.name})")
        elif path.suffix == ".tif":
            import rasterio

            with rasterio.open(path) as src:
                data = src.read()
            if np.issubdtype(data.dtype, np.floating) and np.isinf(data).any():
                found.append(f"inf in output raster ({rel.name})")
    return found


def run_case(seed: int, base: Path, root: Path, *, with_run: bool = False) -> Outcome:
    """Build, run and check the case of ``seed``."""
    case = make_case(seed, base, root, with_run=with_run)
    inputs = case.folder / "in"
    before = _hashes(inputs)
    listing = {str(p.relative_to(root)) for p in root.rglob("*")}
    command = next(c for c in [*COMMANDS, RUN] if c.name == case.command)
    code, _, stderr, origin = run_in_process(case.argv, inputs, command.timeout)
    problems = check(case, code, stderr, origin)
    after = _hashes(inputs)
    changed = sorted(k for k in before if after.get(k) != before[k])
    if changed:
        problems.append(f"input changed: {changed}")
    new = {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if not p.is_relative_to(case.folder / "out")
    } - listing
    new_inputs = sorted(
        n for n in new if n not in {str((inputs / k).relative_to(root)) for k in after}
    )
    if new_inputs:
        problems.append(f"file outside --out: {new_inputs[:3]}")
    return Outcome(case, code, stderr, problems, origin)


def cause(outcome: Outcome) -> str:
    """A grouping key: the traceback origin, or the kind of problem."""
    if outcome.origin:
        return outcome.origin
    return re.sub(r"\(.*?\)|\[.*?\]", "", outcome.problems[0]).strip()


def fuzz(
    seeds: range,
    base: Path,
    root: Path,
    *,
    with_run: bool = False,
    progress: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    outcomes = []
    for seed in seeds:
        outcome = run_case(seed, base, root, with_run=with_run)
        if outcome.ok:
            shutil.rmtree(outcome.case.folder, ignore_errors=True)
        outcomes.append(outcome)
        if progress:
            progress(outcome)
    return outcomes


def report(outcomes: list[Outcome]) -> str:
    """Failures grouped by cause: count, commands, mutations, an example seed."""
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        if not o.ok:
            groups.setdefault(cause(o), []).append(o)
    bad = sum(len(g) for g in groups.values())
    lines = [
        f"{len(outcomes)} cases, {len(outcomes) - bad} fine, {bad} failing, {len(groups)} causes"
    ]
    for key, group in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        commands = sorted({o.case.command for o in group})
        mutations = sorted({f"{o.case.target}:{o.case.mutation}" for o in group})
        first = group[0]
        lines.append(
            f"- {key} | {len(group)} | {', '.join(commands)} | {', '.join(mutations[:6])} | "
            f"seed {first.case.seed}: landcarbon {' '.join(first.case.argv)} | "
            f"{first.problems[0][:160]} | "
            f"{first.stderr.strip().splitlines()[-1][:200] if first.stderr.strip() else ''}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description="Seeded mutation fuzzer of the landcarbon CLI")
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument("--with-run", action="store_true", help="also `run` studies (slow)")
    parser.add_argument("--keep", type=Path, help="folder for the failing cases (kept)")
    parser.add_argument("--json", type=Path, help="write every outcome here")
    args = parser.parse_args(argv)
    root = args.keep or Path(tempfile.mkdtemp(prefix="landcarbon-fuzz-"))
    base = build_base(root / "base")
    cases = root / "cases"
    cases.mkdir(exist_ok=True)

    def progress(o: Outcome) -> None:
        mark = "." if o.ok else "F"
        print(mark, end="" if o.case.seed % 80 != 79 else "\n", flush=True, file=sys.stderr)

    outcomes = fuzz(
        range(args.seed, args.seed + args.cases),
        base,
        cases,
        with_run=args.with_run,
        progress=progress,
    )
    print(file=sys.stderr)
    print(report(outcomes))
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "seed": o.case.seed,
                        "command": o.case.command,
                        "target": o.case.target,
                        "mutation": o.case.mutation,
                        "exit": o.code,
                        "problems": o.problems,
                        "origin": o.origin,
                        "stderr_tail": o.stderr.strip().splitlines()[-1:],
                    }
                    for o in outcomes
                ],
                indent=1,
            )
        )
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if any(not o.ok for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
