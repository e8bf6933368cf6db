"""``validate`` refuses what ``run`` would refuse on input, before any work (issue 13,
item 17): each case passed ``validate`` before and failed only mid-run (or with a
traceback). Through the real entry point: exit 1, one ``error:`` line naming the study
file, the key and the fix; ``run`` refuses it too and leaves no output folder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from landcarbon.datasets.synthetic import write_synthetic_region
from landcarbon.testing import run_cli

LAYERS = (
    "landuse_2010",
    "landuse_2020",
    "dem",
    "slope",
    "precipitation",
    "soil_texture",
    "population",
    "npp",
    "monthly_temperature",
    "monthly_precipitation",
    "soc_topsoil",
    "soc_subsoil",
    "vegetation",
)
CATEGORICAL = ("landuse_2010", "landuse_2020", "soil_texture", "vegetation")


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("region")
    return write_synthetic_region(folder, (40, 50), 30.0, 1, layers=LAYERS)


CARBON_MAPS = '[carbon]\nmaps = { "2010" = "landuse_2010", "2020" = "landuse_2020" }\n'
CARBON = CARBON_MAPS + 'pools = "henan_table1"\n'
FACTORS = 'emission_factors = "arid_muus"\n'  # energy emissions add to land-use emissions
NEP = 'npp = "npp", temperature = "monthly_temperature", precipitation = "monthly_precipitation"'
EROSION = (
    '[erosion]\ndem = "dem"\nprecipitation = "precipitation"\nsoil = "soil_texture"\n'
    'landuse = "landuse_2020"\ntables = "redsoil"\nregion = "south_red_soil"\n'
)
SIMULATION = (
    '[simulation]\nt0 = "landuse_2010"\nt1 = "landuse_2020"\nyears = [2010, 2020]\n'
    'target_year = 2030\ndrivers = ["dem", "slope"]\nscenarios = "arid"\n'
)
SINKS = (
    f"{CARBON}nep = {{ {NEP} }}\n"
    'soil = { topsoil_organic = "soc_topsoil", subsoil_organic = "soc_subsoil" }\n\n'
    '[sinks]\nnep = "carbon.nep"\nsoil_carbon = "carbon.soil"\nvegetation = "vegetation"\n'
    'vegetation_density = "vegetation_density"\nlanduse = "landuse_2020"\n'
    'levels = "wensu_county"\nstrategies = "wensu_county"\n'
)

CASES = {
    "unknown pools preset": (
        CARBON_MAPS + 'pools = "henan_tabel1"\n',
        r"\[carbon\] pools = 'henan_tabel1': not a \[tables\] name, and unknown carbon preset "
        r"'henan_tabel1'; shipped presets: henan_table1",
    ),
    "unknown emission factors": (
        CARBON + 'emission_factors = "muus"\n',
        r"\[carbon\] emission_factors = 'muus': not a \[tables\] name, and unknown emissions "
        r"preset 'muus'; shipped presets: arid_muus, sun2015",
    ),
    "unknown fuel": (
        CARBON + FACTORS + 'energy_weights = "population"\nfuels = { "brown coal" = 5.0 }\n',
        r"\[carbon\] fuels: .*unknown fuel\(s\) brown coal; known: raw coal",
    ),
    "energy without weights": (
        CARBON + FACTORS + "energy_t_c = 25000.0\n",
        r"\[carbon\] energy emissions \(energy_t_c or fuels\) are given without "
        r"energy_weights, so no map would hold them; set energy_weights",
    ),
    "nep input missing": (
        CARBON + 'nep = { npp = "npp" }\n',
        r"\[carbon\] nep: 'temperature' is missing; 'precipitation' is missing; give npp, "
        r"temperature, precipitation",
    ),
    "soil input misnamed": (
        CARBON + 'soil = { topsoil = "soc_topsoil", subsoil_organic = "soc_subsoil" }\n',
        r"\[carbon\] soil: 'topsoil_organic' is missing; 'topsoil' is not an input \(did you "
        r"mean 'topsoil_organic'\?\); give topsoil_organic, subsoil_organic \(and optionally",
    ),
    "unknown scenario name": (
        SIMULATION + 'names = ["natural_developement"]\n',
        r"\[simulation\] names 'natural_developement' \(did you mean 'natural_development'\?\): "
        r"not scenarios of arid \(it holds \['natural_development', .*\]\); use those names",
    ),
    "unknown resistance factor": (
        SINKS + 'factors = { slope = "slope", elevaton = "dem" }\n',
        r"\[sinks\] factors: 'elevaton' unknown \(did you mean 'elevation'\?\); use slope, ",
    ),
    "unknown importance layer": (
        SINKS + "importance_weights = { nep = 0.5, veg = 0.5 }\n",
        r"\[sinks\] importance_weights: 'veg' unknown; use nep, vegetation, soil",
    ),
    "sinks potential": (
        SINKS + 'potential = "quantil"\n',
        r":\d+: sinks\.potential: 'quantil' is not allowed \(did you mean 'quantile'\?\); "
        r"choose one of 'breaks', 'quantile'",
    ),
    "sinks connectivity": (
        SINKS + "connectivity = 6\n",
        r":\d+: sinks\.connectivity: 6 is not allowed; choose one of 4, 8",
    ),
    "erosion maps key without year": (
        EROSION + '[erosion.climate]\nssp245 = { "2030" = 1.02 }\n\n[erosion.maps]\n'
        'now = "landuse_2020"\n',
        r"\[erosion\] maps key 'now': not SCENARIO_YEAR; name each map by its land-use "
        r"scenario and year, e\.g\. bau_2040",
    ),
    "erosion climate missing a map year": (
        EROSION + '[erosion.climate]\nssp245 = { "2030" = 1.02 }\n\n[erosion.maps]\n'
        'bau_2030 = "landuse_2020"\nbau_2040 = "landuse_2020"\n',
        r"\[erosion\] climate\.ssp245: no multiplier for 2040; give one precipitation "
        r"multiplier per map year",
    ),
    "erosion maps without climate": (
        EROSION + '[erosion.maps]\nbau_2030 = "landuse_2020"\n',
        r"\[erosion\] maps is given without climate: the scenario table crosses land-use maps "
        r"with climate scenarios; give both",
    ),
    "chunks against the map's shape": (
        CARBON + "\n[compute]\nchunks = 4\n",
        r":\d+: compute\.chunks: 4 cells per chunk side splits the 40 x 50 map into 130 "
        r"chunks, whose scheduling costs far more than their work; use chunks >= 256",
    ),
}


def _study(folder: Path, region: dict[str, Path], body: str) -> Path:
    """A study file on the synthetic region (CNLUCC codes: [inputs] classes = "cnlucc")."""
    rasters = "\n".join(f'{n} = "{p}"' for n, p in region.items())
    table = folder / "vegetation_density.csv"
    table.write_text("code,name,density\n1,forest,10\n2,shrub,5\n3,grass,2\n")
    text = (
        f'[study]\nname = "x"\n\n[inputs]\ncategorical = {json.dumps(CATEGORICAL)}\n'
        'classes = "cnlucc"\n\n'
        f'[rasters]\n{rasters}\n\n[tables]\nvegetation_density = "{table}"\n\n{body}'
    )
    path = folder / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", list(CASES))
def test_validate_refuses_what_run_refuses(
    tmp_path: Path, region: dict[str, Path], case: str
) -> None:
    body, pattern = CASES[case]
    study = _study(tmp_path, region, body)
    out = tmp_path / "out"
    for proc in (run_cli("validate", str(study)), run_cli("run", str(study), "--out", str(out))):
        message = proc.stderr.strip()
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in message and "\n" not in message, message
        assert message.startswith(f"error: {study}"), message
        assert re.search(pattern, message), message
    assert not out.exists()


def test_the_valid_form_of_each_case_passes(tmp_path: Path, region: dict[str, Path]) -> None:
    """The checks refuse only the bad key: the study with the right keys validates."""
    energy = FACTORS + 'energy_weights = "population"\nfuels = { "raw coal" = 5.0 }\n'
    body = (
        SINKS.replace("\n[sinks]", energy + "\n[sinks]")
        + 'factors = { slope = "slope", elevation = "dem" }\npotential = "quantile"\n\n'
        + EROSION
        + '[erosion.climate]\nssp245 = { "2030" = 1.02, "2040" = 1.03 }\n\n[erosion.maps]\n'
        + 'bau_2030 = "landuse_2020"\nbau_2040 = "landuse_2020"\n\n'
        + SIMULATION
        + 'names = ["natural_development"]\n'
    )
    proc = run_cli("--json", "validate", str(_study(tmp_path, region, body)))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["chapters"] == ["carbon", "erosion", "simulation", "sinks"]


def test_validate_names_the_misaligned_first_raster_alone(
    tmp_path: Path, region: dict[str, Path]
) -> None:
    """The first raster on another grid: it alone is named, not every raster that agrees
    with the others."""
    import rasterio.shutil

    odd = tmp_path / "landuse_2010.tif"
    rasterio.shutil.copy(region["landuse_2010"], odd)
    with rasterio.open(odd, "r+") as ds:
        ds.transform = ds.transform @ ds.transform.translation(2, 0)  # 2 cells east
    moved = {"landuse_2010": odd, **{k: v for k, v in region.items() if k != "landuse_2010"}}
    study = _study(tmp_path, moved, CARBON)
    proc = run_cli("validate", str(study))
    message = proc.stderr.strip()
    assert proc.returncode == 1 and "\n" not in message, proc.stderr
    assert re.search(
        r":\d+: rasters\.landuse_2010: not aligned with landuse_2020 \(landuse_2020\.tif\): "
        r"origin .* is shifted by \(2, -?0\) cells",
        message,
    ), message
    assert "problem(s)" not in message  # one problem: the other 12 rasters are not blamed
