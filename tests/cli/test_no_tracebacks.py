"""Inputs that printed a Python traceback (issue 13, item 16), through the real entry point:
exit 1, one ``error:`` line naming the file or key and the fix, no traceback."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import rasterio

from landcarbon.datasets.synthetic import write_synthetic_region
from landcarbon.raster import write_raster
from landcarbon.testing import make_raster, run_cli

LAYERS = ("landuse_2010", "landuse_2020", "dem", "slope", "precipitation", "soil_texture")


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("region")
    return write_synthetic_region(folder, (40, 50), 30.0, 1, layers=LAYERS)


def _study(folder: Path, region: dict[str, Path], body: str, **replace: Path) -> Path:
    """A study file on the small region (CNLUCC codes; ``replace`` swaps a raster for
    another file)."""
    rasters = "\n".join(f'{n} = "{replace.get(n, p)}"' for n, p in region.items())
    text = (
        '[study]\nname = "x"\n\n[inputs]\ncategorical = ["landuse_2010", "landuse_2020", '
        f'"soil_texture"]\nclasses = "cnlucc"\n\n[rasters]\n{rasters}\n\n{body}'
    )
    path = folder / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _error(proc: subprocess.CompletedProcess[str], *patterns: str) -> str:
    """The one-line error of a refused command (after any one-line warnings), checked
    against ``patterns``."""
    *warnings, message = proc.stderr.strip().splitlines()
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert message.startswith("error: "), proc.stderr
    assert all(w.startswith("warning: ") for w in warnings), proc.stderr
    for pattern in patterns:
        assert re.search(pattern, message), message
    return message


CARBON = (
    '[carbon]\nmaps = { "2010" = "landuse_2010", "2020" = "landuse_2020" }\n'
    'pools = "henan_table1"\n'
)
EROSION = (
    '[erosion]\ndem = "dem"\nprecipitation = "precipitation"\nsoil = "soil_texture"\n'
    'landuse = "landuse_2020"\ntables = "redsoil"\nregion = "south_red_soil"\n\n'
    '[erosion.climate]\nssp245 = { "2030" = 1.02 }\n\n'
    '[erosion.maps]\nnow = "landuse_2020"\n'
)
SIMULATION = (
    '[simulation]\nt0 = "landuse_2020"\nt1 = "landuse_2020"\nyears = [2010, 2020]\n'
    'target_year = 2030\ndrivers = ["dem", "slope"]\n'
)


def test_non_utf8_study_file(tmp_path: Path) -> None:
    study = tmp_path / "study.toml"
    study.write_bytes(b'[study]\nname = "caf\xe9"\n')  # Latin-1, as an old editor saves it
    for command in ("validate", "run"):
        _error(
            run_cli(command, str(study)),
            re.escape(f"{study}:2: the study file is not UTF-8 text (byte 0xe9"),
            "save it as UTF-8",
        )


@pytest.mark.parametrize(
    ("body", "patterns"),
    [
        (
            '[carbon]\nmaps = {}\npools = "henan_table1"\n',
            [r"\[carbon\] maps is empty; give at least one label = land-use map"],
        ),
        (
            CARBON + 'baseline = "1990"\n',
            [r"\[carbon\] baseline = '1990' is not a label of maps; use one of '2010', '2020'"],
        ),
        (
            '[landuse]\nmaps = { "early" = "landuse_2010", "2020" = "landuse_2020" }\n',
            [r"\[landuse\] maps key 'early': not a year; key each map by its year"],
        ),
        (
            EROSION,
            [r"\[erosion\] maps key 'now': not SCENARIO_YEAR; name each map by its land-use"],
        ),
        (SIMULATION, [r"\[simulation\] t0 and t1 are both 'landuse_2020'.*set t0 to the earlier"]),
    ],
    ids=["empty carbon.maps", "unknown baseline", "landuse key", "erosion key", "t0 = t1"],
)
def test_chapter_keys_refused_by_validate_and_run(
    tmp_path: Path, region: dict[str, Path], body: str, patterns: list[str]
) -> None:
    study = _study(tmp_path, region, body)
    _error(run_cli("validate", str(study)), re.escape(str(study)), *patterns)
    _error(run_cli("run", str(study), "--out", str(tmp_path / "out")), *patterns)
    assert not (tmp_path / "out").exists()  # refused before any work


def _truncated(region: dict[str, Path], folder: Path) -> Path:
    """The DEM as a plain GeoTIFF (header first) cut in half, as an interrupted copy."""
    import rasterio.shutil

    full = folder / "full.tif"
    rasterio.shutil.copy(region["dem"], full, driver="GTiff", blockysize=8)  # 5 strips
    data = full.read_bytes()
    assert int.from_bytes(data[4:8], "little") < 64  # the header (IFD) is at the start
    cut = folder / "dem.tif"
    cut.write_bytes(data[: len(data) // 2])
    return cut


def test_truncated_geotiff_whose_header_reads(tmp_path: Path, region: dict[str, Path]) -> None:
    cut = _truncated(region, tmp_path)
    with rasterio.open(cut) as ds:
        assert ds.shape == (40, 50)  # the header reads
    study = _study(tmp_path, region, EROSION.split("\n\n[erosion.climate]")[0], dem=cut)
    fix = "the file is truncated or damaged; copy or export it again"
    _error(run_cli("validate", str(study)), r"rasters\.dem: " + re.escape(f"{cut}:"), fix)
    _error(run_cli("run", str(study), "--out", str(tmp_path / "out")), re.escape(str(cut)), fix)
    _error(run_cli("info", str(cut)), "^error: " + re.escape(f"{cut}: its pixel data"), fix)


def test_damaged_block_is_caught_where_the_raster_is_read(tmp_path: Path) -> None:
    """A damaged tile in the middle (the last block, probed at open, is sound): the read
    of the pixel data names the file."""
    path = tmp_path / "lu.tif"
    write_raster(make_raster(np.arange(512 * 512, dtype=np.int32).reshape(512, 512) % 6 + 1), path)
    with rasterio.open(path) as ds:
        assert ds.block_shapes[0] == (256, 256)
        offset = int(ds.get_tag_item("BLOCK_OFFSET_0_0", "TIFF", bidx=1))
    with path.open("r+b") as f:
        f.seek(offset)
        f.write(b"\xff" * 64)
    _error(
        run_cli("info", str(path), "--categorical"),
        "^error: " + re.escape(f"{path}: its pixel data cannot be read"),
        "truncated or damaged; copy or export it again",
    )


def _two_class_maps(folder: Path) -> dict[str, str]:
    """Two classes; between the dates only class 1 -> 2 happens (class 2 alone expands)."""
    t0 = np.ones((40, 50), np.int32)
    t0[:, 25:] = 2
    t1 = t0.copy()
    t1[10:20, 20:25] = 2
    yy, xx = np.mgrid[0:40, 0:50].astype(float)
    data = {"t0": t0, "t1": t1, "d1": xx + np.sin(yy), "d2": yy + np.cos(xx)}
    return {k: str(write_raster(make_raster(v), folder / f"{k}.tif")) for k, v in data.items()}


def _simulate(maps: dict[str, str], t0: str, out: Path) -> list[str]:
    return [
        "simulate", "--t0", maps[t0], "--t0-year", "2000", "--t1", maps["t1"], "--t1-year",
        "2010", "--target-year", "2020", "--driver", maps["d1"], "--driver", maps["d2"],
        "--sample-rate", "0.2", "--out", str(out),
    ]  # fmt: skip


def test_leas_with_t0_equal_t1(tmp_path: Path) -> None:
    maps = _two_class_maps(tmp_path)
    _error(
        run_cli(*_simulate(maps, "t1", tmp_path / "out")),
        r"LEAS has no cell to train on: no cell changed class between the two land-use maps",
        r"give maps of two different dates",
    )
    assert not (tmp_path / "out").exists()


def test_single_class_expansion_is_not_told_to_raise_the_sampling_rate(tmp_path: Path) -> None:
    maps = _two_class_maps(tmp_path)
    message = _error(
        run_cli(*_simulate(maps, "t0", tmp_path / "out")),
        r"class 2: all 50 cells LEAS samples from are of class 2 \(every cell that changed",
        r"no sampling rate helps; leave class 2 out",
    )
    assert "raise the sampling rate" not in message


def test_sinks_blames_the_misaligned_first_raster_alone(tmp_path: Path) -> None:
    ok = {"veg_type": np.ones((6, 5), np.int32), "soil_carbon": np.full((6, 5), 50.0)}
    paths = {k: str(write_raster(make_raster(v), tmp_path / f"{k}.tif")) for k, v in ok.items()}
    paths["lulc"] = str(write_raster(make_raster(np.ones((6, 5), np.int32)), tmp_path / "lu.tif"))
    shifted = make_raster(np.full((6, 5), 200.0), origin=(500_090.0, 4_000_000.0))
    nep = str(write_raster(shifted, tmp_path / "nep.tif"))
    (tmp_path / "veg.csv").write_text("code,name,density\n1,forest,10\n")
    args = ["sinks", "--nep", nep, "--veg-type", paths["veg_type"], "--veg-density"]
    args += [str(tmp_path / "veg.csv"), "--soil-carbon", paths["soil_carbon"]]
    args += ["--resistance-levels", "wensu_county", "--strategies", "wensu_county"]
    message = _error(
        run_cli(*args, "--lulc", paths["lulc"], "--out", str(tmp_path / "out")),
        r"rasters are not aligned with veg_type ",
        r"Fix: warp each onto the reference grid",
    )
    blamed = message.split(": ", 2)[2].split(". Fix:")[0]
    assert blamed.startswith(f"nep ({nep}): ") and ";" not in blamed, message


def _without_root_override() -> tuple[str, ...]:
    """Root writes into read-only folders: drop that capability for the command."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot make a folder read-only")
    return ("setpriv", "--bounding-set=-dac_override,-dac_read_search")


def test_read_only_out_is_refused_before_any_work(tmp_path: Path, region: dict[str, Path]) -> None:
    study = _study(tmp_path, region, CARBON)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        for out in (locked, locked / "out"):
            proc = run_cli("run", str(study), "--out", str(out), under=_without_root_override())
            _error(
                proc,
                "^error: " + re.escape(f"{out}: cannot write there ({locked} is read-only"),
                "choose another --out or make",
            )
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


def test_out_under_a_file_is_refused(tmp_path: Path, region: dict[str, Path]) -> None:
    study = _study(tmp_path, region, CARBON)
    out = study / "out"
    _error(
        run_cli("run", str(study), "--out", str(out)),
        "^error: " + re.escape(f"{out}: {study} is a file, not a folder; choose another --out"),
    )


def test_workers_with_the_loopback_interface_down(tmp_path: Path, region: dict[str, Path]) -> None:
    """``unshare -n`` runs the command in a network namespace whose loopback is down."""
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("cannot create a network namespace here (unshare -n)")
    study = _study(tmp_path, region, CARBON)
    out = tmp_path / "out"
    proc = run_cli("run", str(study), "--out", str(out), "--workers", "2", under=("unshare", "-n"))
    _error(
        proc,
        r"a LocalCluster of 2 workers did not start \(OSError: .*Network is unreachable\)",
        r"check the loopback interface is up .*or run without --workers",
    )
    assert not out.exists()


def test_negative_seed_option_is_a_usage_error(tmp_path: Path, region: dict[str, Path]) -> None:
    """``--seed -1`` passed to SeedSequence deep in a step (ValueError traceback)."""
    study = _study(tmp_path, region, CARBON)
    proc = run_cli("run", str(study), "--out", str(tmp_path / "out"), "--seed", "-1")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "Invalid value for '--seed': Input should be greater than or equal to 0" in proc.stderr
    assert not (tmp_path / "out").exists()
