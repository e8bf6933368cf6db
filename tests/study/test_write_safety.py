"""Data safety of a study run's writes, through the real entry point: a write refused by
the machine is never renamed into place nor cached, a cached step whose outputs changed is
rerun, stale temporaries are removed, a second run on the same --out is refused, outputs
get the umask's mode, and the report is byte-stable across resumes and runs."""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import rasterio

from landcarbon.study.config import load_study
from landcarbon.study.run import run_study
from landcarbon.testing import run_cli

STUDY = """
[study]
name = "write safety"
seed = 3

[synthetic]
shape = [120, 140]

[inputs]
categorical = ["lu2000", "lu2020"]
classes = "cnlucc"

[rasters]
lu2000 = "synthetic_data/landuse_2000.tif"
lu2020 = "synthetic_data/landuse_2020.tif"
npp = "synthetic_data/npp.tif"
tmon = "synthetic_data/monthly_temperature.tif"
pmon = "synthetic_data/monthly_precipitation.tif"

[carbon]
maps = { "2000" = "lu2000", "2020" = "lu2020" }
pools = "henan_table1"
nep = { npp = "npp", temperature = "tmon", precipitation = "pmon" }
"""

NEP = Path("carbon") / "nep_g_c_per_m2_yr.tif"  # 128 kB: over a 40 kB file-size limit
RH = Path("carbon") / "rh_g_c_per_m2_yr.tif"  # 125 kB, written first by the same step


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """The study file, its synthetic inputs already generated (by this process)."""
    path = tmp_path / "study.toml"
    path.write_text(STUDY)
    load_study(path).prepare_inputs()
    return path


def _files(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.is_file())


def _error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_write_over_the_file_size_limit_is_refused_not_renamed_nor_cached(
    study: Path, tmp_path: Path
):
    out = tmp_path / "out"
    limit = 40 * 1024
    code = (
        "import resource, signal; "
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "  # EFBIG instead of being killed
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit})); "
        "from landcarbon.cli import main; main()"
    )
    limited = subprocess.run(
        [sys.executable, "-c", code, "run", str(study), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    line = _error_line(limited)
    assert re.fullmatch(
        rf"error: {re.escape(str(out / RH))}: file too large for this process's file-size "
        r"limit \(40\.0 KiB, see `ulimit -f`\); raise the limit \(`ulimit -f unlimited`\) "
        r"and rerun",
        line,
    ), line
    # GDAL only logged the failure: the truncated file was neither renamed nor cached
    assert not (out / RH).exists() and not (out / NEP).exists()
    assert not (out / ".cache" / "carbon_nep.json").exists()
    assert not [p for p in _files(out) if ".partial" in p.name]
    assert all(p.stat().st_size < limit for p in _files(out))
    result = run_study(study, out)
    status = {r.name: r.status for r in result.records}
    assert status["carbon_nep"] == "ran"
    for path in (RH, NEP):
        with rasterio.open(out / path) as ds:
            assert ds.read(1).shape == (120, 140)


def test_cached_step_whose_output_changed_or_vanished_is_rerun(study: Path, tmp_path: Path):
    out = tmp_path / "out"
    run_study(study, out)
    nep, table = out / NEP, out / "carbon" / "comparison.csv"
    good_nep, good_table = nep.read_bytes(), table.read_bytes()
    broken = bytearray(good_nep)
    broken[-100] ^= 0xFF  # same size, other content
    nep.write_bytes(bytes(broken))
    table.unlink()
    status = {r.name: r.status for r in run_study(study, out).records}
    assert status == {
        "carbon_2000": "cached",
        "carbon_2020": "cached",
        "carbon_nep": "ran",
        "carbon_comparison": "ran",
    }
    assert nep.read_bytes() == good_nep and table.read_bytes() == good_table
    nep.write_bytes(good_nep[: len(good_nep) // 2])  # truncated
    assert {r.name: r.status for r in run_study(study, out).records}["carbon_nep"] == "ran"
    assert nep.read_bytes() == good_nep


def test_run_removes_the_temporaries_a_killed_run_left(study: Path, tmp_path: Path):
    out = tmp_path / "out"
    stale = [
        out / "carbon" / ".nep_g_c_per_m2_yr.k3_x9qzt.partial.tif",  # tempfile's old names
        out / "carbon" / ".nep_g_c_per_m2_yr.0a1b2c3d.partial.tif",
        out / ".cache" / ".carbon_nep.77e0f1aa.partial.json",
        out / "report" / ".index.5d4c3b2a.partial.html",
    ]
    not_ours = [out / "carbon" / "notes.partial.txt", out / "carbon" / ".x.partial.tif"]
    for p in stale + not_ours:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"half")
    assert run_cli("-q", "run", str(study), "--out", str(out)).returncode == 0
    assert [p for p in stale if p.exists()] == []
    assert all(p.read_bytes() == b"half" for p in not_ours)


def test_second_run_on_the_same_out_is_refused_with_the_holders_pid(study: Path, tmp_path: Path):
    out = tmp_path / "out"
    (out / ".cache").mkdir(parents=True)  # a run under way: its folder is a resumable one
    with (out / ".lock").open("w") as lock:  # and it holds the lock
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        line = _error_line(run_cli("run", str(study), "--out", str(out)))
    assert line == (
        f"error: {out}: another landcarbon run (PID {os.getpid()}) is writing to this folder "
        f"(lock {out / '.lock'}); wait for it to finish, or give another --out"
    )
    assert [p.name for p in _files(out)] == [".lock"]  # it wrote nothing
    # the lock died with its holder: the next run goes ahead and records its own PID
    assert run_cli("-q", "run", str(study), "--out", str(out)).returncode == 0
    assert (out / "manifest.json").exists()


def test_outputs_get_the_mode_of_the_umask(study: Path, tmp_path: Path):
    out = tmp_path / "out"
    old = os.umask(0o027)
    try:
        assert run_cli("-q", "run", str(study), "--out", str(out)).returncode == 0
    finally:
        os.umask(old)
    modes = {p.relative_to(out).as_posix(): oct(p.stat().st_mode & 0o777) for p in _files(out)}
    kinds = {Path(name).suffix for name in modes}
    assert {".tif", ".csv", ".json", ".png", ".xlsx", ".html"} <= kinds
    assert {name: mode for name, mode in modes.items() if mode != "0o640"} == {}


def test_report_is_byte_stable_across_a_resume_and_a_fresh_run(study: Path, tmp_path: Path):
    first, second = tmp_path / "first", tmp_path / "second"
    report = Path("report")
    run_study(study, first)
    fresh = {n: (first / report / n).read_bytes() for n in ("index.html", "tables.xlsx")}
    run_study(study, first)  # every step reused: summaries read back from .cache
    assert (first / report / "index.html").read_bytes() == fresh["index.html"]
    run_study(study, second)  # seconds later: the workbook's time stamps do not move
    for name, content in fresh.items():
        assert (second / report / name).read_bytes() == content, name


def test_a_cached_rerun_keeps_the_report_and_a_damaged_report_is_rebuilt(
    study: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import landcarbon.report.html as report_html

    out = tmp_path / "out"
    run_study(study, out)
    page = out / "report" / "index.html"
    before = page.read_bytes()
    built: list[str] = []
    real = report_html.build_report

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(report_html, "build_report", spy)
    run_study(study, out)  # every step cached, nothing the report reads changed
    assert built == [] and page.read_bytes() == before
    image = sorted((out / "report" / "img").glob("*.png"))[0]
    image.unlink()  # a file of the report lost: the next run rebuilds it
    run_study(study, out)
    assert built == ["write safety"] and image.exists() and page.read_bytes() == before
    study.write_text(STUDY.replace("seed = 3", 'seed = 3\ndescription = "other words"'))
    run_study(study, out)  # the study's description changed: the page must say so
    assert len(built) == 2 and "other words" in page.read_text()
