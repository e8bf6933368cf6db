"""The whole sink chapter on the synthetic region: composition of the steps, outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import landcarbon
from landcarbon.classes import named_scheme
from landcarbon.datasets.synthetic import synthetic_region
from landcarbon.errors import OutputExistsError, TableError
from landcarbon.raster import read_raster
from landcarbon.sinks.chapter import SinksParams, SinksResult, run_sinks, write_sinks
from landcarbon.sinks.importance import importance_index
from landcarbon.sinks.resistance import load_level_tables
from landcarbon.sinks.vegetation import vegetation_carbon_density
from landcarbon.tables import read_table

# the shipped example table (Table 2 densities of the synthetic region's vegetation types)
VEG = read_table(
    Path(landcarbon.__file__).parent / "examples" / "tables" / "vegetation_density.csv",
    required=["density"],
)


@pytest.fixture(scope="module")
def chapter() -> tuple[dict[str, Any], SinksResult]:
    ds = synthetic_region((60, 70), 30.0, seed=3)
    cnlucc = named_scheme("cnlucc")  # the synthetic region's land-use codes
    inputs: dict[str, Any] = {
        "nep": ds["npp"].rename("nep"),
        "veg_type": ds["vegetation"].astype(np.int32),
        "veg_densities": VEG,
        "soil_carbon": (ds["soc_topsoil"] + ds["sic_topsoil"]),
        "lulc": ds["landuse_2020"].astype(np.int32),
        "factors": {
            "slope": ds["slope"],
            "elevation": ds["dem"],
            "precipitation": ds["precipitation"],
            "population": ds["population"],
        },
        # the preset's land-use levels are keyed by group: resolved through the classes
        "level_tables": load_level_tables(classes=cnlucc),
        "lulc_names": cnlucc.names(),
    }
    params = SinksParams(min_area_ha=5.0, cultivated_codes=(1,), potential="quantile")
    return inputs, run_sinks(**inputs, params=params)


def test_steps_compose(chapter: tuple) -> None:
    inputs, result = chapter
    veg = vegetation_carbon_density(inputs["veg_type"], VEG)
    expected = importance_index(
        {"nep": inputs["nep"], "vegetation": veg, "soil": inputs["soil_carbon"]}
    )
    np.testing.assert_array_equal(result.importance.values, expected.values)
    assert set(result.resistance.weights) == {
        "slope",
        "elevation",
        "precipitation",
        "population",
        "landuse",
    }  # landuse from lulc
    assert sum(result.resistance.weights.values()) == pytest.approx(1.0)
    table = result.zones.patch_table
    assert list(result.strategies.table["patch"]) == list(table["patch"])
    # sources of the MCR are the primary and secondary patches: cost 0 exactly there
    sinks = np.isin(result.zones.zones.values, [1, 2])
    assert sinks.any() and np.all(result.zones.cost.cost.values[sinks] == 0)
    summary = result.summary()
    assert summary["vegetation_storage_t_c"] == pytest.approx(
        float(np.nansum(veg.values)) * 0.09
    )  # 30 m cells are 0.09 ha


def test_write_sinks(chapter: tuple, tmp_path: Path) -> None:
    _, result = chapter
    paths = write_sinks(result, tmp_path)
    assert {
        "importance_level",
        "sink_zones",
        "strategies",
        "zone_composition",
        "resistance_weights",
        "summary",
    } <= set(paths)
    zones = read_raster(paths["sink_zones"], "categorical").values
    np.testing.assert_array_equal(zones, result.zones.zones.values)
    mcr = read_raster(paths["mcr"]).values
    np.testing.assert_array_equal(mcr, result.zones.cost.cost.values)
    with pytest.raises(OutputExistsError, match="pass --overwrite"):
        write_sinks(result, tmp_path)


def test_composition_names_the_classes(chapter: tuple) -> None:
    inputs, result = chapter
    names = set(result.zones.zone_composition["land_use"])
    assert names and names <= set(inputs["lulc_names"].values())  # no "class N"


def test_preset_levels_need_classes(chapter: tuple) -> None:
    inputs, _ = chapter
    bare = {k: v for k, v in inputs.items() if k not in ("level_tables", "lulc_names")}
    params = SinksParams(min_area_ha=5.0, cultivated_codes=(1,), potential="quantile")
    with pytest.raises(TableError, match=r"\[factors.landuse\] is keyed by land-use group"):
        run_sinks(**bare, params=params)
