"""Through the real entry point: names that become files are safe, a run writes only
under --out and never onto an input or a user's file (issue 13, items 2, 3, 12)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from landcarbon.raster import write_raster
from landcarbon.testing import make_raster, one_error_line, run_cli

LU = np.array([[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 1, 1], [3, 3, 1, 1]], dtype=np.int32)


def _study(d: Path, text: str) -> Path:
    (d / "study.toml").write_text('[study]\nname = "x"\n' + text, encoding="utf-8")
    return d / "study.toml"


# ----------------------------------------------------------------- item 2: [synthetic] folder
SYNTHETIC = (
    '[synthetic]\nshape = [16, 16]\nfolder = "{folder}"\n[rasters]\ndem = "{folder}/dem.tif"\n'
)


@pytest.mark.parametrize("overwrite", [(), ("--overwrite",)])
def test_synthetic_folder_of_user_files_is_never_written(tmp_path: Path, overwrite: tuple[str]):
    users = tmp_path / "userdata"
    users.mkdir()
    write_raster(make_raster(LU.astype(float), cell_size=100.0), users / "dem.tif")
    before = (users / "dem.tif").read_bytes()
    study = _study(tmp_path, SYNTHETIC.format(folder="userdata"))
    line = one_error_line(run_cli("run", str(study), "--out", str(tmp_path / "out"), *overwrite))
    assert f"{study}: synthetic.folder = 'userdata'" in line
    assert "holds files landcarbon did not generate (dem.tif)" in line
    assert 'folder = "synthetic_data"' in line  # the fix
    assert (users / "dem.tif").read_bytes() == before
    assert sorted(p.name for p in users.iterdir()) == ["dem.tif"]  # nothing added either
    assert not (tmp_path / "out").exists()


def test_synthetic_folder_made_by_landcarbon_is_reused_and_regenerated(tmp_path: Path):
    study = _study(tmp_path, SYNTHETIC.format(folder="synthetic_data"))
    assert run_cli("run", str(study), "--out", str(tmp_path / "out")).returncode == 0
    folder = tmp_path / "synthetic_data"
    assert (folder / ".landcarbon-synthetic").is_file() and (folder / "dem.tif").is_file()
    (folder / "dem.tif").unlink()  # a missing layer of its own folder is made again
    assert run_cli("run", str(study), "--out", str(tmp_path / "out")).returncode == 0
    assert (folder / "dem.tif").is_file()


@pytest.mark.parametrize("folder", ["../elsewhere", "/tmp/landcarbon_abs", "."])
def test_synthetic_folder_outside_the_study_folder_is_a_problem(tmp_path: Path, folder: str):
    (tmp_path / "study").mkdir()
    study = _study(tmp_path / "study", SYNTHETIC.format(folder=folder))
    line = one_error_line(run_cli("validate", str(study)))
    assert f"{study}:5: synthetic.folder: {folder!r} is not a folder inside" in line
    assert not (tmp_path / "elsewhere").exists()


# ------------------------------------------------------------ item 3: inputs are never outputs
RESAMPLE = (
    '[inputs]\nalign = "resample"\ncategorical = ["a", "b"]\n'
    '[rasters]\na = "inputs/a.tif"\nb = "inputs/b.tif"\n'
    '[landuse]\nmaps = { "2000" = "a", "2020" = "b" }\n'
)


def _misaligned_inputs(d: Path) -> bytes:
    write_raster(make_raster(LU), d / "inputs" / "a.tif")
    fine = np.repeat(np.repeat(LU[::-1], 2, 0), 2, 1)  # 15 m: resampled onto a's 30 m grid
    write_raster(make_raster(fine, cell_size=15.0), d / "inputs" / "b.tif")
    return (d / "inputs" / "b.tif").read_bytes()


def test_resampled_input_never_replaces_the_input_with_out_dot(tmp_path: Path):
    before = _misaligned_inputs(tmp_path)
    _study(tmp_path, RESAMPLE)
    result = run_cli("run", "study.toml", "--out", ".", "--overwrite", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "inputs" / "b.tif").read_bytes() == before
    from landcarbon.raster import read_raster

    warped = read_raster(tmp_path / ".cache" / "resampled" / "b.tif", "categorical")
    np.testing.assert_array_equal(warped.values, LU[::-1])


def test_out_holding_an_input_where_the_run_writes_is_refused(tmp_path: Path):
    _misaligned_inputs(tmp_path)
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "index.html").write_text("my notes")
    study = _study(tmp_path, RESAMPLE + '[tables]\nnotes = "report/index.html"\n')
    line = one_error_line(run_cli("run", "study.toml", "--out", ".", "--overwrite", cwd=tmp_path))
    assert f"{study}: tables.notes ({tmp_path / 'report' / 'index.html'}) would be " in line
    assert "overwritten by the report of the run" in line
    assert f"choose another --out (e.g. {tmp_path / 'outputs'})" in line
    assert (tmp_path / "report" / "index.html").read_text() == "my notes"
    assert not (tmp_path / ".cache").exists()


# ------------------------------------------------------------ item 12: names become safe paths
def test_validate_lists_every_name_that_cannot_be_a_file_name(tmp_path: Path):
    write_raster(make_raster(LU), tmp_path / "lu.tif")
    study = _study(
        tmp_path,
        '[rasters]\nlu = "lu.tif"\n"../up" = "lu.tif"\n'
        '[carbon]\nmaps = { "../../../x" = "lu", "ok" = "lu" }\npools = "henan_table1"\n'
        '[landuse]\nmaps = { "2000" = "lu", ".." = "lu" }\n'
        '[inputs]\nclasses = "cnlucc"\n',
    )
    line = one_error_line(run_cli("validate", str(study)))
    assert "3 problem(s) in the study file" in line
    assert f"{study}:3: rasters: name '../up' contains '/', which cannot be part" in line
    assert f"{study}:7: carbon.maps: '../../../x' contains '/'" in line
    assert f"{study}:10: landuse.maps: '..' starts with '.'" in line
    assert "use letters (any script), digits, '_', '-' and '.'" in line
    assert not (tmp_path.parent / "x").exists()


def test_names_in_any_script_are_valid(tmp_path: Path):
    write_raster(make_raster(LU), tmp_path / "lu.tif")
    study = _study(
        tmp_path,
        '[inputs]\nclasses = "cnlucc"\n[rasters]\n"土地利用" = "lu.tif"\n'
        '[carbon]\nmaps = { "基线-2020.v1" = "土地利用" }\npools = "henan_table1"\n',
    )
    assert run_cli("validate", str(study)).returncode == 0
    result = run_cli("run", str(study), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "carbon" / "基线-2020.v1" / "c_storage_bas.tif").is_file()


def test_simulate_refuses_a_scenario_name_that_leaves_out(tmp_path: Path):
    line = one_error_line(
        run_cli("simulate", str(tmp_path / "study.toml"), "--scenario", "../../x", "-o", "o")
    )
    assert "error: --scenario: '../../x' contains '/', which cannot be part of a file" in line


def test_scenario_file_with_a_path_as_name_is_refused(tmp_path: Path):
    write_raster(make_raster(LU), tmp_path / "lu.tif")
    (tmp_path / "sc.toml").write_text('[scenarios."../../x"]\ndescription = "escape"\n')
    study = _study(
        tmp_path,
        '[inputs]\ncategorical = ["lu"]\n[rasters]\nlu = "lu.tif"\n[tables]\nsc = "sc.toml"\n'
        '[simulation]\nt0 = "lu"\nt1 = "lu"\nyears = [2000, 2010]\ndrivers = ["lu"]\n'
        'target_year = 2020\nscenarios = "sc"\n',
    )
    line = one_error_line(run_cli("validate", str(study)))
    assert f"{tmp_path / 'sc.toml'}: [scenarios.../../x]: scenario name '../../x' contains" in line


def test_dashboard_address_that_is_not_host_port_is_a_problem(tmp_path: Path):
    write_raster(make_raster(LU), tmp_path / "lu.tif")
    study = _study(tmp_path, '[rasters]\nlu = "lu.tif"\n[compute]\ndashboard = "8787"\n')
    line = one_error_line(run_cli("validate", str(study)))
    assert f"{study}:6: compute.dashboard: '8787' is not host:port; use '127.0.0.1:8787'" in line


def test_synthetic_region_that_would_not_fit_the_disk_is_refused_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The 170 bytes a cell of its layers are checked against the free disk space before
    the folder is made: a 10^8-cell region needs ~17 GB."""
    import shutil

    from landcarbon.errors import ConfigError
    from landcarbon.study.run import run_study

    text = SYNTHETIC.format(folder="synthetic_data").replace("[16, 16]", "[1000, 1000]")
    study = _study(tmp_path, text)
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage._replace(free=100_000_000))
    with pytest.raises(ConfigError) as refused:
        run_study(study, tmp_path / "out")
    assert str(refused.value) == (
        f"{study}: [synthetic] shape = [1000, 1000]: its layers take up to 170 MB on disk and "
        f"the disk of {tmp_path / 'synthetic_data'} has 100 MB free; give a smaller shape or "
        f"free disk space"
    )
    assert not (tmp_path / "synthetic_data").exists() and not (tmp_path / "out").exists()
