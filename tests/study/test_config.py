"""The study file: strict keys, every problem at once with file:line, paths checked up front."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from landcarbon.errors import ConfigError, InputFileError
from landcarbon.raster import read_grid, write_raster
from landcarbon.study.config import key_lines, load_study
from landcarbon.testing import make_raster


def _study(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "study.toml"
    p.write_text(text)
    return p


def _raster(path: Path, **kwargs) -> Path:
    return write_raster(make_raster(np.ones((4, 4), dtype=np.int32), **kwargs), path)


def test_valid_study_resolves_paths_relative_to_the_file(tmp_path: Path):
    (tmp_path / "data").mkdir()
    _raster(tmp_path / "data" / "lu.tif")
    study = load_study(
        _study(
            tmp_path,
            '[study]\nname = "x"\n[rasters]\nlu = "data/lu.tif"\n[inputs]\ncategorical = ["lu"]\n',
        )
    )
    assert study.rasters["lu"] == (tmp_path / "data" / "lu.tif").resolve()
    assert study.raster_kind("lu") == "categorical" and study.study.seed == 0


def test_every_problem_reported_at_once_with_lines(tmp_path: Path):
    p = _study(
        tmp_path,
        '[study]\nname = "x"\nsed = 3\n\n[compute]\nchunks = "big"\n'
        'schedular = "threads"\n[rasters]\nlu = "missing.tif"\n[carbn]\n',
    )
    with pytest.raises(ConfigError) as err:
        load_study(p)
    msg = str(err.value)
    assert msg.startswith("5 problem(s) in the study file")
    assert f"{p}:3: study.sed: unknown key (did you mean 'seed'?)" in msg
    assert f"{p}:6: compute.chunks: must be an integer, got 'big'" in msg
    assert f"{p}:7: compute.schedular: unknown key (did you mean 'scheduler'?)" in msg
    assert f"{p}:9: rasters.lu: file not found" in msg
    assert "carbn: unknown section" in msg


def test_toml_syntax_error_has_line(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"TOML syntax error: .*\(at line 3"):
        load_study(_study(tmp_path, '[study]\nname = "x"\n[rasters\n'))


def test_empty_and_missing_study_files(tmp_path: Path):
    with pytest.raises(ConfigError, match="empty"):
        load_study(_study(tmp_path, "  \n"))
    with pytest.raises(InputFileError, match="study file not found"):
        load_study(tmp_path / "nope.toml")


def test_choice_with_hint(tmp_path: Path):
    with pytest.raises(
        ConfigError,
        match=r"inputs.align: 'resampel' is not allowed \(did you "
        r"mean 'resample'\?\)",
    ):
        load_study(_study(tmp_path, '[study]\nname = "x"\n[inputs]\nalign = "resampel"\n'))


def test_misaligned_rasters_are_found_before_any_work(tmp_path: Path):
    _raster(tmp_path / "a.tif")
    _raster(tmp_path / "b.tif", crs="EPSG:32649")
    with pytest.raises(
        ConfigError,
        match=r"rasters.b: not aligned with a \(a.tif\): CRS "
        r"EPSG:32649 differs",
    ):
        load_study(_study(tmp_path, '[study]\nname = "x"\n[rasters]\na = "a.tif"\nb = "b.tif"\n'))
    # with align = "resample" the same study is valid
    load_study(
        _study(
            tmp_path,
            '[study]\nname = "x"\n[inputs]\nalign = "resample"\n'
            '[rasters]\na = "a.tif"\nb = "b.tif"\n',
        )
    )


def test_not_a_raster_and_empty_file(tmp_path: Path):
    (tmp_path / "t.tif").write_text("text")
    (tmp_path / "e.tif").write_bytes(b"")
    with pytest.raises(ConfigError) as err:
        load_study(_study(tmp_path, '[study]\nname = "x"\n[rasters]\nt = "t.tif"\ne = "e.tif"\n'))
    assert "rasters.t: " in str(err.value) and "not a raster" in str(err.value)
    assert "rasters.e: file is empty" in str(err.value)


def test_synthetic_layers_are_not_required_before_generation(tmp_path: Path):
    study = load_study(
        _study(
            tmp_path,
            '[study]\nname = "x"\n[synthetic]\nshape = [16, 16]\n'
            '[rasters]\ndem = "synthetic_data/dem.tif"\n',
        )
    )
    study.prepare_inputs()
    assert (tmp_path / "synthetic_data" / "dem.tif").exists()


def test_a_rerun_on_generated_layers_checks_the_study_once(tmp_path: Path, monkeypatch):
    # the layers a first run generated are checked there; a rerun that generates nothing
    # has checked them (they exist) in its one load, so it loads the study once
    import landcarbon.study.run as study_run

    path = _study(
        tmp_path,
        '[study]\nname = "x"\n[synthetic]\nshape = [16, 16]\n'
        '[rasters]\ndem = "synthetic_data/dem.tif"\n',
    )
    loads: list[Path] = []
    monkeypatch.setattr(study_run, "load_study", lambda p: loads.append(p) or load_study(p))
    study_run.run_study(path, tmp_path / "out")
    assert loads == [path, path]  # the layers generated, then checked
    assert load_study(path).prepare_inputs() is False  # all there, same parameters
    study_run.run_study(path, tmp_path / "out")
    assert loads == [path, path, path]
    (tmp_path / "synthetic_data" / "dem.tif").write_bytes(b"")  # a layer spoilt
    with pytest.raises(ConfigError, match=r"rasters\.dem: file is empty"):
        study_run.run_study(path, tmp_path / "out")  # refused before it is regenerated


def test_key_lines():
    text = '[a]\nx = 1\n[b.c]\n"y" = 2\n'
    assert key_lines(text) == {"a": 1, "a.x": 2, "b.c": 3, "b.c.y": 4}


def test_synthetic_layers_of_other_parameters_are_regenerated(tmp_path: Path):
    text = (
        '[study]\nname = "x"\n[synthetic]\nshape = [16, 16]\ncell_size = {size}\n'
        '[rasters]\ndem = "synthetic_data/dem.tif"\n'
    )
    load_study(_study(tmp_path, text.format(size=30.0))).prepare_inputs()
    load_study(_study(tmp_path, text.format(size=1000.0))).prepare_inputs()
    assert read_grid(tmp_path / "synthetic_data" / "dem.tif").transform.a == 1000.0


def test_resample_study_runs_on_the_reference_grid(tmp_path: Path):
    from landcarbon.grid import Grid
    from landcarbon.raster import read_raster
    from landcarbon.study.run import run_study

    # 30 m land use on the reference grid; the 2020 map comes at 15 m over the same extent
    base = np.array([[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 1, 1], [3, 3, 1, 1]], dtype=np.int32)
    write_raster(make_raster(base), tmp_path / "a.tif")
    fine = np.repeat(np.repeat(base[::-1], 2, 0), 2, 1)  # a changed map, twice as fine
    write_raster(make_raster(fine, cell_size=15.0), tmp_path / "b.tif")
    text = (
        '[study]\nname = "x"\n[inputs]\nalign = "resample"\ncategorical = ["a", "b"]\n'
        '[rasters]\na = "a.tif"\nb = "b.tif"\n'
        '[landuse]\nmaps = { "2000" = "a", "2020" = "b" }\n'
    )
    result = run_study(_study(tmp_path, text), tmp_path / "out")
    warped = read_raster(tmp_path / "out" / ".cache" / "resampled" / "b.tif", "categorical")
    assert Grid.from_dataarray(warped).difference(read_grid(tmp_path / "a.tif")) is None
    np.testing.assert_array_equal(warped.values, base[::-1])
    transfer = next(r for r in result.records if r.name == "transfer_2000_2020")
    assert transfer.summary["changed_area_ha"] > 0


def test_chapters_keep_the_study_file_order():
    """The report follows the study: chapters in the order the file gives them."""
    path = Path(__file__).parents[2] / "examples" / "arid_budget_scenarios.toml"
    study = load_study(path)
    headings = [line.strip("[]\n") for line in path.read_text().splitlines()]
    assert list(study.chapters) == [h for h in headings if h in study.chapters]
    assert list(study.chapters)[:2] == ["landuse", "simulation"]


def test_tiny_chunks_on_a_large_map_are_refused_before_any_work(tmp_path: Path):
    from landcarbon.study.run import run_study

    write_raster(make_raster(np.ones((110, 110), dtype=np.int32)), tmp_path / "lu.tif")
    text = '[study]\nname = "x"\n[rasters]\nlu = "lu.tif"\n[compute]\nchunks = {}\n'
    # 1-cell chunks of 110 x 110 cells: 110 * 110 = 12100 chunks
    with pytest.raises(ConfigError, match=r"compute.chunks: 1 cells .* into 12100 chunks.*>= 256"):
        run_study(_study(tmp_path, text.format(1)), tmp_path / "a")
    # 16-cell chunks: ceil(110 / 16) = 7 per side, 49 chunks: a small map may be split finely
    run_study(_study(tmp_path, text.format(16)), tmp_path / "b")


def test_chunk_count_rule_by_hand():
    from landcarbon.study.config import ComputeSection, _check_compute
    from landcarbon.study.schema import Problem

    def problems(chunks: int, shape: tuple[int, int] | None) -> list[Problem]:
        found: list[Problem] = []
        _check_compute(ComputeSection(chunks=chunks), found, shape)
        return found

    assert problems(15, (120, 120)) == []  # ceil(120 / 15) = 8 per side: 64 chunks, the limit
    assert problems(14, (120, 120))[0].key == "compute.chunks"  # 9 x 9 = 81 chunks
    assert problems(256, (100_000, 100_000)) == []  # large chunks are never refused
    assert problems(1, None) == []  # without the map's shape only the sign is checked
    assert problems(0, (100_000, 100_000)) == []  # in memory


def test_landuse_classes_of_an_older_study_file_says_where_it_moved(tmp_path: Path):
    from landcarbon.errors import ConfigError

    study = tmp_path / "s.toml"
    study.write_text(
        '[study]\nname = "old"\n[landuse]\nmaps = { "2000" = "a" }\nclasses = "cnlucc"\n'
    )
    with pytest.raises(ConfigError) as err:
        load_study(study, check_files=False)
    assert f"{study}:5: landuse.classes: moved: the key is [inputs] classes now" in str(err.value)
    assert "unknown key" not in str(err.value)
