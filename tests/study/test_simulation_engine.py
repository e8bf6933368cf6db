"""``[simulation] engine = "synchronous"``, ``tiles`` and ``checkpoint_every`` in the study
file and on ``simulate``: the map of any tiling, and of a LocalCluster, is the one-tile
map; a killed allocation resumes from its checkpoint under --out; bad settings are one
error line."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from landcarbon.raster import read_raster
from landcarbon.study.examples import install_example
from landcarbon.study.run import run_study
from landcarbon.testing import one_error_line, run_cli

SCENARIO = "business_as_usual"
MAP = f"landuse/simulation/{SCENARIO}/lulc_{SCENARIO}_2040.tif"
STEP = f"simulation_{SCENARIO}"


def _study(folder: Path, settings: str) -> Path:
    """The erosion_climate example cut to its [simulation] chapter on a 100 x 100 grid,
    one target year, the synchronous engine with ``settings`` (more [simulation] lines)."""
    study = install_example("erosion_climate", folder)
    text = study.read_text().replace("shape = [400, 400]", "shape = [100, 100]")
    text = text[: text.index("[erosion]")]
    text = re.sub(r"target_years = \[[^\]]*\].*", f"target_year = 2040\n{settings}", text)
    study.write_text(text)
    return study


# a checkpoint every iteration: the allocation of this small region converges in 3-4
SYNCHRONOUS = 'engine = "synchronous"\nmax_iterations = 30\ncheckpoint_every = 1'


def _map(out: Path) -> np.ndarray:
    return np.asarray(read_raster(out / MAP, "categorical").values)


def _status(result, step: str) -> str:
    return next(r.status for r in result.records if r.name == step)


@pytest.fixture(scope="module")
def one_tile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The study run with one tile (the in-memory synchronous engine)."""
    tmp = tmp_path_factory.mktemp("engine")
    study = _study(tmp, SYNCHRONOUS)
    with pytest.warns(Warning):  # the FLUS ANN's lbfgs on a small sample
        run_study(study, tmp / "one", steps=[STEP])
    return study, tmp / "one"


def _rerun_from(one: Path, out: Path) -> None:
    """``out``: a copy of the one-tile run whose allocation step must run again."""
    shutil.copytree(one, out)
    (out / ".cache" / f"{STEP}.json").unlink()


def test_two_by_two_tiles_give_the_one_tile_map(one_tile: tuple[Path, Path], tmp_path: Path):
    study, one = one_tile
    shutil.copytree(one, tmp_path / "tiled")
    result = run_study(
        study, tmp_path / "tiled", steps=[STEP], settings={"simulation": {"tiles": (2, 2)}}
    )
    assert _status(result, STEP) == "ran"  # new tiles: the allocation runs again ...
    assert _status(result, "simulation_suitability") == "cached"  # ... the suitability not
    assert np.array_equal(_map(tmp_path / "tiled"), _map(one))
    t1 = read_raster(study.parent / "synthetic_data_400" / "landuse_2020.tif", "categorical")
    assert (_map(one) != np.asarray(t1.values)).sum() > 100  # the allocation changed cells
    # the checkpoints of a finished allocation are removed
    assert not [p for p in (tmp_path / "tiled" / ".cache").rglob("*.npz")]


def test_a_local_cluster_gives_the_in_process_map(
    one_tile: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from landcarbon.landuse import tiled

    fleets: list[int] = []
    actor_fleet = tiled.ActorFleet

    def spy(client, arguments):  # the tiles went to the cluster's workers
        fleets.append(len(client.scheduler_info()["workers"]))
        return actor_fleet(client, arguments)

    monkeypatch.setattr(tiled, "ActorFleet", spy)
    study, one = one_tile
    _rerun_from(one, tmp_path / "cluster")
    result = run_study(
        study,
        tmp_path / "cluster",
        steps=[STEP],
        workers=2,
        settings={"simulation": {"tiles": (2, 1)}},
    )
    assert "LocalCluster of 2 workers" in result.summary()["compute"]
    assert fleets == [2]
    assert np.array_equal(_map(tmp_path / "cluster"), _map(one))


class Killed(Exception):
    """Stands for the kill of a run."""


def test_a_killed_allocation_resumes_from_its_checkpoint_under_out(
    one_tile: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from landcarbon.landuse import tiled

    save, resume = tiled._save, tiled._resume
    resumed: list[int] = []

    def save_then_die(checkpoint, fleet, n_tiles, schedule, run):
        save(checkpoint, fleet, n_tiles, schedule, run)
        if schedule.iteration == 2:
            raise Killed

    def spy_resume(*args):
        found = resume(*args)
        resumed.append(-1 if found is None else found[0].iteration)
        return found

    study, one = one_tile
    out = tmp_path / "killed"
    _rerun_from(one, out)
    monkeypatch.setattr(tiled, "_save", save_then_die)
    with pytest.raises(Killed):
        run_study(study, out, steps=[STEP], settings={"simulation": {"tiles": (1, 2)}})
    folder = out / ".cache" / "checkpoints" / SCENARIO / "2040"
    (saved,) = folder.iterdir()  # a folder per allocation, named by its fingerprint
    assert (saved / tiled.STATE_FILE).is_file()
    assert len(list(saved.glob("tile_*_000002.npz"))) == 2
    stale = folder / ("0" * 32)  # of an allocation of other inputs, killed
    stale.mkdir()
    (stale / tiled.STATE_FILE).write_bytes(b"")
    monkeypatch.setattr(tiled, "_save", save)
    monkeypatch.setattr(tiled, "_resume", spy_resume)
    run_study(study, out, steps=[STEP])  # another tiling resumes too
    assert resumed == [2]
    assert np.array_equal(_map(out), _map(one))
    assert not list(folder.iterdir())


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            f"{SYNCHRONOUS}\nneighborhood = 7\ntiles = [40, 1]",
            "[simulation] tiles: the tile of rows 0..1 is 2 rows wide, smaller than its "
            "halo of 3 (neighborhood = 7); tiles must be at least 3 rows and 3 columns: use "
            "at most 33 x 33 tiles here",
        ),
        (
            f"{SYNCHRONOUS}\ntransition_plan = true",
            "transition_plan = true walks the proposals in one global order: the synchronous "
            "engine cannot follow it; use engine = 'sequential' or transition_plan = false",
        ),
        (
            f"{SYNCHRONOUS}\nflus_compat = true",
            "flus_compat = true is the FLUS C++ sweep in raster order: the synchronous engine "
            "cannot follow it; use engine = 'sequential' or flus_compat = false",
        ),
        (
            "tiles = [2, 2]",
            "tiles: not used by engine = 'sequential'; remove it or choose the engine that uses it",
        ),
        (
            "checkpoint_every = 5\ntiles = [2, 2]",
            "tiles, checkpoint_every: not used by engine = 'sequential'; remove them",
        ),
        (f"{SYNCHRONOUS}\ntiles = [2]", "simulation.tiles: must be a list of 2 items"),
        (f"{SYNCHRONOUS}\ntiles = [0, 2]", "simulation.tiles[0]: 0 is out of range"),
        ('engine = "tiled"', "simulation.engine: 'tiled' is not allowed"),
    ],
)
def test_bad_engine_settings_are_one_error_line(tmp_path: Path, settings: str, message: str):
    study = _study(tmp_path, settings)
    proc = run_cli("simulate", str(study), "--out", str(tmp_path / "out"))
    error = one_error_line(proc)
    assert message in error, error
    assert str(study) in error or study.name in error
    assert not (tmp_path / "out" / ".cache").exists()  # refused before any step ran


def test_engine_and_tiles_on_the_command_line(tmp_path: Path):
    study = _study(tmp_path, "")
    proc = run_cli("simulate", str(study), "--tiles", "2", "2", "--out", str(tmp_path / "o"))
    assert "tiles: not used by engine = 'sequential'" in one_error_line(proc)
    for args, message in (
        ((str(study), "--engine", "tiled"), "'tiled': choose one of ('sequential', 'synchronous')"),
        (
            ("--t0", str(study), "--engine", "synchronous"),
            "--engine and --tiles apply to a study file's [simulation]",
        ),
    ):
        proc = run_cli("simulate", *args, "--out", str(tmp_path / "o"))
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert message in " ".join(proc.stderr.split()), proc.stderr
    assert not (tmp_path / "o").exists()


def test_the_validation_chapter_allocates_with_the_simulation_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from landcarbon.landuse import tiled

    calls: list[tuple[int, int]] = []
    run_synchronous = tiled.run_synchronous

    def spy(problem, parameters, key, tiles, client, checkpoint):
        calls.append(tiles)
        assert checkpoint.folder.parent == tmp_path / "out" / ".cache/checkpoints/validation"
        return run_synchronous(problem, parameters, key, tiles, client, checkpoint)

    monkeypatch.setattr(tiled, "run_synchronous", spy)
    study = _study(tmp_path, SYNCHRONOUS)
    text = study.read_text().replace(
        "[rasters]\n", '[rasters]\nlanduse_2000 = "synthetic_data_400/landuse_2000.tif"\n'
    )
    text = text.replace('categorical = ["', 'categorical = ["landuse_2000", "')
    text += (
        '[landuse]\nmaps = { "2000" = "landuse_2000", "2010" = "landuse_2010", '
        '"2020" = "landuse_2020" }\n\n[validation]\nyears = [2000, 2010, 2020]\n'
    )
    study.write_text(text)
    agreement = "validation/change_agreement.tif"
    maps = []
    for tiles in ((1, 1), (2, 2)):
        out = tmp_path / "out"
        shutil.rmtree(out, ignore_errors=True)
        with pytest.warns(Warning):  # the FLUS ANN's lbfgs on a small sample
            run_study(study, out, steps=["validation"], settings={"simulation": {"tiles": tiles}})
        maps.append(np.asarray(read_raster(out / agreement, "categorical").values))
    assert calls == [(1, 1), (2, 2)]
    assert np.array_equal(maps[0], maps[1])
