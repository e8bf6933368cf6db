"""Import of GeoSOS-FLUS CA configs and PLUS CARS / LEAS .tmp files.

The fixtures are written byte for byte as the sources write them:

* FLUS ``config_mp.log``: ``DynaSimulation::appendconfig`` of XunGST/flusver1.0
  (``dynasimulation.cpp``) writes each tag, then one value per line, matrix rows joined by
  ","; ``QIODevice::Text`` on Windows turns "\\n" into CRLF. The numbers are the 5-class
  FLUS sample of zhouning/paper58-geofm-world-model-rl
  (``tests/test_paper58_flus_native_admin.py``).
* PLUS ``PLUS_CARS.tmp`` / ``PLUS_LEAS.tmp``: the files of chencure02/PLUS_Agent
  (``plus-backend/``), written by its ``agent/tools/cars.py`` and ``leas.py``.
"""

from __future__ import annotations

import inspect
import tomllib
from pathlib import Path

import numpy as np
import pytest

from landcarbon.errors import InputFileError, LandcarbonWarning, ParameterError
from landcarbon.landuse.allocation import CarsParameters, FlusParameters
from landcarbon.landuse.conversion import read_conversion_matrix
from landcarbon.landuse.legacy_files import (
    landcarbon_toml,
    legacy_kind,
    read_legacy_file,
    read_parameters,
)
from landcarbon.landuse.suitability import leas

FUTURE = [80016, 54427, 43599, 42433, 28446]
COST = ["1,0,0,0,0", "0,1,0,0,0", "1,1,1,1,0", "1,0,1,1,0", "1,0,1,0,1"]
INTENSITY = ["1", "0.9", "0.5", "1", "0.1"]
COLORS = [
    "1,46989,Urban land,170,0,127",
    "2,54427,Water area,0,0,255",
    "3,59899,Cropland,0,255,0",
    "4,49516,Forest land,0,85,0",
    "5,38090,Orchard,255,255,0",
]


def flus_lines(
    future: list[str] | None = None, cost: list[str] | None = None, drop: str = ""
) -> list[str]:
    """config_mp.log as appendconfig writes it (tag, then its values), one tag droppable."""
    sections = [
        ("[Number of types]", ["5"]),
        ("[Future Pixels]", future or [str(v) for v in FUTURE]),
        ("[Cost Matrix]", cost or COST),
        ("[Intensity of neighborhood]", INTENSITY),
        ("[Maximum Number Of Iterations]", ["300"]),
        ("[Size of neighborhood]", ["3"]),
        ("[Accelerated factor]", ["0.1"]),
    ]
    return [line for tag, values in sections if tag != drop for line in (tag, *values)]


def write(path: Path, lines: list[str], newline: str = "\r\n", encoding: str = "utf-8") -> Path:
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path


@pytest.fixture
def flus(tmp_path: Path) -> Path:
    return write(tmp_path / "config_mp.log", flus_lines())


CARS_LINES = [
    "<Input classes>",
    "7",
    "<Input LULC>",
    "C:/Users/10421/Desktop/testdata/t4/wh2003_converted.tif",
    "<Input Probability Folder>",
    *(f"C:/Users/10421/Desktop/testdata/t4/potential_band_{i}.tif" for i in range(1, 8)),
    "<Output simulation>",
    "C:/Users/10421/Desktop/testdata/t4/simulation_output.tif",
    "<Input Policy>",
    "",
    "<Input Neighborhood>",
    "3",
    "<How many years>",
    "1",
    "<Input thread count>",
    "8",
    "<Patch generation>",
    "0.2",
    "<Expansion coefficient>",
    "0.2",
    "<Neighborhood Weight>",
    "0.2,0.2,0.2,0.2,0.2,0.2,0.2",
    "<Transition matrix>",
    *(["1,1,1,1,1,1,1"] * 7),
    "<Years and corresponding demands>",
    "1,1000,1000,1000,1000,1000,1000,1000",
    "<Percentage of seeds>",
    "0.1",
    "<Development type exist>",
    "0",
    "<Development type>",
    "0",
    "<Development weight>",
    "0.5",
]

LEAS_LINES = [
    "<Input LULC>",
    "C:/Users/10421/Desktop/testdata/t4/expansion_output_landuse_1to2.tif",
    "<Input Feature folder>",
    "C:/Users/10421/Desktop/testdata/drivingfactors",
    "<Output probability>",
    "C:/Users/10421/Desktop/testdata/t4/potential.tif",
    "<Is net exit?>",
    "0",
    "<Input sampling rate>",
    "0.01",
    "<mTry>",
    "16",
    "<Input the number of trees>",
    "20",
    "<Is balance?>",
    "0",
    "<Input thread count>",
    "8",
    "<High precision>",
    "0",
    "<Update Number>",
    "0",
    "<Update Variable>",
    "0",
]


def test_flus_sample_every_number(flus: Path) -> None:
    got = read_legacy_file(flus)
    assert got.kind == "flus" and got.encoding == "utf-8" and got.codes == (1, 2, 3, 4, 5)
    assert got.demands == {1: dict(zip((1, 2, 3, 4, 5), FUTURE, strict=True))}
    assert got.allocation == FlusParameters(
        neighborhood=3,
        neighborhood_weights={1: 1.0, 2: 0.9, 3: 0.5, 4: 1.0, 5: 0.1},
        max_iterations=300,
        accelerated_factor=0.1,
        variant="released",
    )
    assert got.paths == {} and got.ignored == {} and got.unknown_tags == ()
    assert legacy_kind(flus) == "flus"


def test_cost_matrix_orientation_is_the_flus_source(flus: Path) -> None:
    # simulationprocess.cpp (XunGST/flusver1.0) runloop2: oldType = pixel - 1 and
    #   probability[jj] = probability[jj] * t_filecost[oldType][jj]
    #   isConvert = (oldType != newType) && (t_filecost[oldType][newType] != 0)
    # with t_filecost[ii][jj] = value jj of line ii after [Cost Matrix]: line = FROM class.
    conversion = read_legacy_file(flus).conversion
    assert conversion is not None
    for old, line in enumerate(COST):
        for new, value in enumerate(line.split(",")):
            assert conversion.allowed[old, new] == (old == new or value != "0")
    # urban land (1) becomes nothing, cropland (3) may become urban but not the reverse
    assert not conversion.allowed[0, 1:].any()
    assert conversion.allowed[2, 0] and not conversion.allowed[0, 2]
    transposed = read_legacy_file(flus, orientation="to_rows").conversion
    assert transposed is not None
    np.testing.assert_array_equal(transposed.allowed, conversion.allowed.T)


def test_round_trip_through_landcarbon_toml(flus: Path, tmp_path: Path) -> None:
    for source in (flus, write(tmp_path / "PLUS_CARS.tmp", CARS_LINES, "\n")):
        got = read_legacy_file(source)
        toml = tmp_path / f"{source.stem}.toml"
        toml.write_text(landcarbon_toml(got), encoding="utf-8")
        assert legacy_kind(toml) is None
        assert read_parameters(toml) == got.allocation == read_parameters(source)
        matrix = read_conversion_matrix(toml)
        assert got.conversion is not None and matrix.codes == got.conversion.codes
        np.testing.assert_array_equal(matrix.allowed, got.conversion.allowed)
        imported = tomllib.loads(toml.read_text(encoding="utf-8"))["imported"]
        assert imported["demand_cells"] == {
            str(s): {str(c): v for c, v in d.items()} for s, d in got.demands.items()
        }
        assert imported["source"] == str(source) and imported["format"] == got.kind


def test_model_override(flus: Path, tmp_path: Path) -> None:
    paper = read_parameters(flus, "flus-paper")
    assert isinstance(paper, FlusParameters) and paper.variant == "paper"
    with pytest.raises(ParameterError, match="model 'cars' does not fit a GeoSOS-FLUS"):
        read_parameters(flus, "cars")
    cars = write(tmp_path / "PLUS_CARS.tmp", CARS_LINES)
    with pytest.raises(ParameterError, match=r"use one of \['cars'\]"):
        read_parameters(cars, "flus")


def test_class_codes_from_config_color_or_argument(flus: Path) -> None:
    write(flus.with_name("config_color.log"), ["[Index, Count, Land Use Type, R, G, B]", *COLORS])
    got = read_legacy_file(flus)
    assert got.codes == (1, 2, 3, 4, 5)
    assert got.class_names == {
        1: "Urban land",
        2: "Water area",
        3: "Cropland",
        4: "Forest land",
        5: "Orchard",
    }
    mapped = read_legacy_file(flus, codes=[10, 20, 30, 40, 50])  # the argument wins
    assert mapped.demands[1] == {10: 80016, 20: 54427, 30: 43599, 40: 42433, 50: 28446}
    assert mapped.allocation is not None
    assert mapped.allocation.neighborhood_weights[50] == 0.1
    assert mapped.conversion is not None and mapped.conversion.codes == (10, 20, 30, 40, 50)
    with pytest.raises(ParameterError, match="the file has 5 classes but 4 codes"):
        read_legacy_file(flus, codes=[1, 2, 3, 4])
    shifted = [f"{10 * int(r[0])}{r[1:]}" for r in COLORS]
    write(flus.with_name("config_color.log"), ["[Index, Count, Land Use Type, R, G, B]", *shifted])
    with pytest.warns(LandcarbonWarning, match=r"codes \[10, 20, 30, 40, 50\] are not 1..5"):
        assert read_legacy_file(flus).codes == (10, 20, 30, 40, 50)


def test_encodings_line_ends_blank_lines_and_paths(tmp_path: Path) -> None:
    # console config: the readImageData path tags and the parameters in one file, GBK text
    paths = [
        "[Path of land use data]",
        r"D:\数据\土地利用2015.tif",
        "[Path of probability data]",
        r"D:\数据\概率.tif",
        "[Path of simulation result]",
        r"D:\结果\模拟2030.tif",
        "[Path of restricted area]",
        "No restrict data",
    ]
    lines = [*paths, "", *flus_lines(), ""]
    variants = {
        "gb18030": write(tmp_path / "gbk.txt", lines, "\r\n", "gbk"),
        "utf-8-sig": write(tmp_path / "bom.txt", ["\ufeff" + lines[0], *lines[1:]], "\n"),
        "utf-16": write(tmp_path / "u16.txt", lines, "\r\n", "utf-16"),
        "utf-8": write(tmp_path / "cr.txt", lines, "\r"),
    }
    reference = read_legacy_file(tmp_path / "gbk.txt")
    assert reference.paths == {
        "[Path of land use data]": (r"D:\数据\土地利用2015.tif",),
        "[Path of probability data]": (r"D:\数据\概率.tif",),
        "[Path of simulation result]": (r"D:\结果\模拟2030.tif",),
    }
    for encoding, path in variants.items():
        got = read_legacy_file(path)
        assert got.encoding == encoding
        assert (got.allocation, got.demands, got.paths) == (
            reference.allocation,
            reference.demands,
            reference.paths,
        )


def test_plus_cars_every_number(tmp_path: Path) -> None:
    got = read_legacy_file(write(tmp_path / "PLUS_CARS.tmp", CARS_LINES, "\n"))
    codes = tuple(range(1, 8))
    assert got.kind == "plus-cars" and got.codes == codes
    assert got.allocation == CarsParameters(
        neighborhood=3,
        neighborhood_weights=dict.fromkeys(codes, 0.2),
        patch_generation_threshold=0.2,
        expansion_coefficient=0.2,
        percentage_of_seeds=0.1,
    )
    assert got.conversion is not None and got.conversion.allowed.all()
    assert got.demands == {1: dict.fromkeys(codes, 1000)}
    assert got.paths["<Input Probability Folder>"][6].endswith("potential_band_7.tif")
    assert "<Input Policy>" not in got.paths  # empty line: no restriction raster
    assert got.ignored == {
        "<Input thread count>": "8",
        "<How many years>": "1",
        "<Development type>": "0",
        "<Development weight>": "0.5",
    }


def test_plus_cars_zone_years_and_per_class_mu(tmp_path: Path) -> None:
    lines = list(CARS_LINES)

    def put(tag: str, *values: str) -> None:
        at = lines.index(tag) + 1
        end = next((i for i in range(at, len(lines)) if lines[i].startswith("<")), len(lines))
        lines[at:end] = values

    put("<How many years>", "2")
    put("<Years and corresponding demands>", "1," + ",".join(["900"] * 7), "2,1,2,3,4,5,6,6979")
    put("<Expansion coefficient>", "0.1,0.2,0.3,0.4,0.5,0.6,0.7")
    put("<Development type exist>", "1")
    put("<Development type>", "3")
    put("<Development weight>", "0.4")
    put("<Transition matrix>", "1,0,1,1,1,1,1", *(["1,1,1,1,1,1,1"] * 6))
    got = read_legacy_file(write(tmp_path / "CARSparameters.tmp", lines), codes=range(11, 18))
    assert got.allocation is not None
    assert isinstance(got.allocation, CarsParameters)
    assert got.allocation.development_class == 13 and got.allocation.development_weight == 0.4
    assert got.allocation.expansion_coefficient == {11 + i: (i + 1) / 10 for i in range(7)}
    assert got.demands[2] == dict(zip(range(11, 18), (1, 2, 3, 4, 5, 6, 6979), strict=True))
    assert got.conversion is not None and not got.conversion.allowed[0, 1]
    assert got.conversion.allowed[1, 0]  # row 1 = from class 11
    put("<How many years>", "3")
    with pytest.raises(InputFileError, match="says 3 but <Years and corresponding demands> has 2"):
        read_legacy_file(write(tmp_path / "CARS3.tmp", lines))


def test_plus_leas_knobs_are_leas_keywords(tmp_path: Path) -> None:
    got = read_legacy_file(write(tmp_path / "PLUS_LEAS.tmp", LEAS_LINES, "\n"))
    assert got.kind == "plus-leas" and got.allocation is None and got.conversion is None
    assert got.leas == {
        "sample_rate": 0.01,
        "n_trees": 20,
        "balance": False,
        "mtry": 16,
        "n_jobs": 8,
    }
    assert set(got.leas) <= set(inspect.signature(leas).parameters)
    assert got.paths["<Input Feature folder>"] == (
        "C:/Users/10421/Desktop/testdata/drivingfactors",
    )
    assert tomllib.loads(landcarbon_toml(got))["leas"] == got.leas
    # the wrappers' spellings of the same tag (chencure02/PLUS_Agent leas.py and a Java one)
    for spelling in ("<Input Featrue folder>", "<InPut Featrue folder>"):
        lines = [spelling if line == "<Input Feature folder>" else line for line in LEAS_LINES]
        assert read_legacy_file(write(tmp_path / "x.tmp", lines)).paths == got.paths
    with pytest.raises(ParameterError, match="holds suitability knobs, not allocation knobs"):
        read_parameters(tmp_path / "PLUS_LEAS.tmp")


def test_truncated_matrix(tmp_path: Path) -> None:
    path = write(tmp_path / "config_mp.log", flus_lines(cost=COST[:4]))
    with pytest.raises(InputFileError) as err:
        read_legacy_file(path)
    assert str(err.value) == (
        f"{path} [Cost Matrix]: 4 row(s), expected 5 (one per class); write 5 lines of 5 "
        f"comma-separated value(s) (0 (forbidden) or 1 (allowed) per class)"
    )
    short = write(tmp_path / "short.log", flus_lines(cost=[*COST[:2], "1,1,1", *COST[3:]]))
    with pytest.raises(InputFileError, match=r"\[Cost Matrix\] \(line 12\): 3 value\(s\), "):
        read_legacy_file(short)


def test_non_numeric_value(tmp_path: Path) -> None:
    path = write(
        tmp_path / "config_mp.log",
        flus_lines(future=["80016", "54427", "43,599a", "42433", "28446"]),
    )
    with pytest.raises(InputFileError) as err:
        read_legacy_file(path)
    assert str(err.value) == (
        f"{path} [Future Pixels] (line 6): '599a' is not a number; write digits only (e.g. 0.5)"
    )


def test_missing_mandatory_tag(tmp_path: Path) -> None:
    path = write(tmp_path / "config_mp.log", flus_lines(drop="[Accelerated factor]"))
    with pytest.raises(InputFileError) as err:
        read_legacy_file(path)
    assert str(err.value) == (
        f"{path} [Accelerated factor]: mandatory tag missing; add it and its value "
        f"(GUI default 0.1)"
    )
    paths_only = write(tmp_path / "logFileSimulation.log", ["[Path of land use data]", "a.tif"])
    with pytest.raises(InputFileError, match=r"\[Number of types\]: mandatory tag missing"):
        read_legacy_file(paths_only)


def test_other_layout_and_value_errors(flus: Path, tmp_path: Path) -> None:
    counts = write(tmp_path / "n.log", flus_lines(future=["1"] * 4))
    with pytest.raises(InputFileError, match=r"\[Future Pixels\]: 4 row\(s\), expected 5"):
        read_legacy_file(counts)
    window = flus.read_text().replace("[Size of neighborhood]\n3", "[Size of neighborhood]\n1")
    (tmp_path / "w.log").write_text(window)
    with pytest.raises(ParameterError, match=r"w.log \[Size of neighborhood\]: neighborhood = 1"):
        read_parameters(tmp_path / "w.log")
    twice = write(tmp_path / "t.log", [*flus_lines(), "[Accelerated factor]", "0.2"])
    with pytest.raises(InputFileError, match=r"appears twice \(lines 25, 27\); keep one"):
        read_legacy_file(twice)
    early = write(tmp_path / "e.log", ["5", *flus_lines()])
    with pytest.raises(InputFileError, match="line 1: '5' comes before the first tag"):
        read_legacy_file(early)
    weights = [line.replace("0.2,0.2,", "0.2,", 1) for line in CARS_LINES]
    with pytest.raises(InputFileError, match="<Neighborhood Weight>: 6 values for 7 classes"):
        read_legacy_file(write(tmp_path / "c.tmp", weights))
    with pytest.raises(InputFileError, match=r"no FLUS \[Tag\] or PLUS <Tag> line found"):
        read_legacy_file(write(tmp_path / "knobs.toml", ["[allocation]", "neighborhood = 3"]))


def test_unknown_tags_warn_and_weights_are_kept(tmp_path: Path) -> None:
    cost = ["1,0,0,0,0", "0,1,0,0,0", "1,0.5,1,1,0", "1,0,1,1,0", "1,0,1,0,1"]
    lines = [*flus_lines(cost=cost), "[Enclaves for land use type]", "2", "[Seed]", "42"]
    with pytest.warns(LandcarbonWarning) as caught:
        got = read_legacy_file(write(tmp_path / "config_mp.log", lines))
    messages = " | ".join(str(w.message) for w in caught)
    assert "unknown tag(s) [Seed] ignored" in messages
    assert "values other than 0 and 1" in messages
    assert got.unknown_tags == ("[Seed]",)
    assert got.ignored == {"[Enclaves for land use type]": "2"}
    assert got.conversion is not None and got.conversion.allowed[2, 1]  # 0.5: allowed
