"""Chunked (dask) execution gives the in-memory results (issue 9).

Every per-cell step of the package runs on numpy and on awkward 3 x 3 dask chunks of an
8 x 10 map (edge chunks of 2 rows and 1 column) through
:func:`landcarbon.testing.assert_backends_agree`: identical cells, lazy result, grid kept.
Map-reduce totals (transfer matrix, class and zone totals) equal the in-memory ones; a
dask array written window by window equals the in-memory write; global steps refuse dask
input; a chunk smaller than a focal halo and a full disk are clear errors.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import rasterio.io
import xarray as xr
from numpy.lib.stride_tricks import sliding_window_view

from landcarbon import backend
from landcarbon.carbon import (
    POOLS,
    Valuation,
    allocate_emissions,
    balance_index,
    balance_zones,
    emission_factor_preset,
    emission_map,
    emission_totals,
    heterotrophic_respiration,
    layered_soil_carbon,
    nep_t_c_per_cell,
    net_ecosystem_production,
    net_emissions,
    sequestration_map,
    soc_density,
    soc_profile_density,
    storage_map,
    storage_totals,
    supply_demand_quadrants,
    supply_demand_ratio,
    zone_totals,
)
from landcarbon.carbon.presets import load_preset
from landcarbon.classes import named_scheme
from landcarbon.erosion.carbon import carbon_fate, displaced_carbon
from landcarbon.erosion.cover import (
    b_factor,
    b_factor_from_cover,
    practice_factor,
    vegetation_fraction,
)
from landcarbon.erosion.csle import (
    intensity_grade,
    potential_soil_loss,
    soil_conservation,
    soil_loss,
    totals_by_class,
)
from landcarbon.erosion.presets import read_erosion_tables
from landcarbon.erosion.rainfall import r_factor_annual, r_factor_monthly
from landcarbon.erosion.soil import k_factor_epic, k_factor_from_table
from landcarbon.erosion.terrain import flow_routing, slope_deg
from landcarbon.errors import BackendError, ComputeError, ParameterError
from landcarbon.grid import Grid
from landcarbon.landuse.accuracy import change_agreement_map
from landcarbon.landuse.allocation import neighbourhood_effect
from landcarbon.landuse.change import transfer_matrix
from landcarbon.raster import CLASS_NODATA, Kind, read_raster, write_raster
from landcarbon.sinks.importance import normalise, weighted_overlay
from landcarbon.sinks.mcr import cost_distance
from landcarbon.sinks.resistance import load_level_tables, reclassify_factor
from landcarbon.sinks.vegetation import vegetation_carbon_density
from landcarbon.tables import class_counts, table_from_records
from landcarbon.testing import assert_backends_agree, make_raster

SHAPE = (8, 10)
"""3 x 3 chunks of this map leave edge chunks of 2 rows and of 1 column."""
CHUNKS = (3, 3)

CNLUCC = named_scheme("cnlucc")
"""The region's land use holds CNLUCC first-level codes 1-6; the presets resolve onto them."""
PRESET_POOLS = load_preset("carbon", "henan_table1", POOLS, POOLS, classes=CNLUCC)
FACTORS = emission_factor_preset("arid_muus", CNLUCC)
EROSION = read_erosion_tables(classes=CNLUCC)
LEVELS = load_level_tables(classes=CNLUCC)
VEGETATION = table_from_records(
    [{"code": 1, "density": 52.3}, {"code": 2, "density": 7.7}, {"code": 15, "density": 5.7}],
    "vegetation.csv",
    required=["density"],
)
VALUATION = Valuation(
    price_per_t_c=100.0,
    discount_rate_pct=7.0,
    price_change_pct=0.0,
    year_current=2000,
    year_future=2020,
)


@cache
def region() -> dict[str, xr.DataArray]:
    """A seeded 8 x 10 region: two land-use dates with nodata and continuous layers."""
    rng = np.random.default_rng(np.random.SeedSequence(9_2026))

    def uniform(lo: float, hi: float, nan_at: tuple[int, int] | None = (2, 4)) -> np.ndarray:
        values = rng.uniform(lo, hi, SHAPE)
        if nan_at is not None:
            values[nan_at] = np.nan
        return values

    lulc = rng.integers(1, 7, SHAPE).astype(np.int32)
    lulc[4, 7] = CLASS_NODATA
    later = np.where(rng.random(SHAPE) < 0.3, rng.integers(1, 7, SHAPE), lulc).astype(np.int32)
    sand = rng.uniform(10, 60, SHAPE)
    clay = rng.uniform(5, 100 - sand)
    layers: dict[str, np.ndarray] = {
        "lulc": lulc,
        "lulc_t1": later,
        "lulc_sim": np.where(rng.random(SHAPE) < 0.3, 3, later).astype(np.int32),
        "soil": rng.integers(1, 14, SHAPE).astype(np.int32),
        "vegetation": rng.choice([1, 2, 15], SHAPE).astype(np.int32),
        "sand": sand,
        "clay": clay,
        "silt": 100 - sand - clay,
        "oc_pct": uniform(0.2, 4.0, None),
        "bulk_density": uniform(1.1, 1.6),
        "gravel_pct": uniform(0, 30),
        "cover_pct": uniform(0, 100),
        "ndvi": uniform(-0.1, 0.9),
        "precip_mm": uniform(600, 2200),
        "slope": uniform(0, 60),
        "elevation": uniform(1000, 7000),
        "dem": np.cumsum(rng.normal(size=SHAPE), axis=1) * 10,
        **{name: uniform(0.01, 3.0) for name in ("r", "k", "ls", "b", "e", "t")},
        **{name: uniform(1.0, 50.0) for name in ("storage", "emissions", "supply", "demand")},
        "sequestration": uniform(-5.0, 5.0),
        "npp": uniform(100, 900),
        "rh": uniform(100, 700),
        "soc_g_per_kg": uniform(5, 30),
        **{f"temp_{m:02d}": uniform(-10, 30, None) for m in range(12)},
        **{f"prec_{m:02d}": uniform(0, 300, None) for m in range(12)},
    }
    out = {name: make_raster(values, name=name) for name, values in layers.items()}
    monthly = [out[f"prec_{m:02d}"] for m in range(12)]
    out["precip_monthly"] = xr.concat(monthly, "band")
    return out


MONTHS = tuple(f"temp_{m:02d}" for m in range(12)) + tuple(f"prec_{m:02d}" for m in range(12))

Step = Callable[..., xr.DataArray]
PER_CELL_STEPS: list[tuple[str, Step, tuple[str, ...]]] = [
    ("tables.reclassify", lambda lu: PRESET_POOLS.reclassify(lu, "c_soil"), ("lulc",)),
    ("carbon.storage_map", lambda lu: storage_map(lu, PRESET_POOLS), ("lulc",)),
    (
        "carbon.storage_map per cell, one pool",
        lambda lu: storage_map(lu, PRESET_POOLS, "c_dead", per_cell_units=True),
        ("lulc",),
    ),
    (
        "carbon.sequestration_map",
        lambda a, b: sequestration_map(a, b, PRESET_POOLS),
        ("lulc", "lulc_t1"),
    ),
    (
        "carbon.emission_map per cell",
        lambda lu: emission_map(lu, FACTORS, per_cell_units=True),
        ("lulc",),
    ),
    ("carbon.value_map", VALUATION.value_map, ("sequestration",)),
    ("carbon.net_emissions", net_emissions, ("emissions", "sequestration")),
    ("carbon.balance_index", balance_index, ("storage", "emissions")),
    ("carbon.supply_demand_ratio", supply_demand_ratio, ("supply", "demand")),
    (
        "carbon.balance_zones",
        lambda s, d: balance_zones(supply_demand_ratio(s, d)),
        ("supply", "demand"),
    ),
    ("carbon.supply_demand_quadrants", supply_demand_quadrants, ("supply", "demand")),
    (
        "carbon.heterotrophic_respiration",
        lambda *m: heterotrophic_respiration(list(m[:12]), list(m[12:])),
        MONTHS,
    ),
    ("carbon.net_ecosystem_production", net_ecosystem_production, ("npp", "rh")),
    ("carbon.nep_t_c_per_cell", nep_t_c_per_cell, ("npp",)),
    ("carbon.layered_soil_carbon", layered_soil_carbon, ("oc_pct", "soc_g_per_kg")),
    (
        "carbon.soc_density",
        lambda oc, bd, g: soc_density(oc, bd, 30.0, g),
        ("oc_pct", "bulk_density", "gravel_pct"),
    ),
    (
        "carbon.soc_profile_density",
        lambda oc, bd, g: soc_profile_density((oc, bd, g), (oc, bd, None)),
        ("oc_pct", "bulk_density", "gravel_pct"),
    ),
    ("erosion.r_factor_annual", r_factor_annual, ("precip_mm",)),
    ("erosion.r_factor_monthly", r_factor_monthly, ("precip_monthly",)),
    ("erosion.k_factor_epic", k_factor_epic, ("sand", "silt", "clay", "oc_pct")),
    (
        "erosion.k_factor_from_table",
        lambda s: k_factor_from_table(s, EROSION.soil),
        ("soil",),
    ),
    ("erosion.b_factor_from_cover", b_factor_from_cover, ("cover_pct",)),
    (
        "erosion.vegetation_fraction",
        lambda v: vegetation_fraction(v, 0.05, 0.85),
        ("ndvi",),
    ),
    (
        "erosion.b_factor",
        lambda lu, c: b_factor(lu, EROSION.land_use, c),
        ("lulc", "cover_pct"),
    ),
    (
        "erosion.practice_factor",
        lambda lu: practice_factor(lu, EROSION.land_use, "t"),
        ("lulc",),
    ),
    ("erosion.soil_loss", soil_loss, ("r", "k", "ls", "b", "e", "t")),
    ("erosion.potential_soil_loss", potential_soil_loss, ("r", "k", "ls")),
    ("erosion.soil_conservation", soil_conservation, ("r", "k")),
    ("erosion.intensity_grade", intensity_grade, ("r",)),
    ("erosion.displaced_carbon", displaced_carbon, ("r", "soc_g_per_kg")),
    ("erosion.carbon_fate", lambda d: carbon_fate(d).net, ("r",)),
    ("sinks.normalise", normalise, ("npp",)),
    (
        "sinks.weighted_overlay",
        lambda a, b: weighted_overlay({"a": a, "b": b}, {"a": 0.6, "b": 0.4}, "index"),
        ("npp", "cover_pct"),
    ),
    (
        "sinks.reclassify_factor",
        lambda s: reclassify_factor(s, LEVELS["slope"]),
        ("slope",),
    ),
    (
        "sinks.vegetation_carbon_density",
        lambda v: vegetation_carbon_density(v, VEGETATION),
        ("vegetation",),
    ),
    ("landuse.change_agreement_map", change_agreement_map, ("lulc", "lulc_t1", "lulc_sim")),
    ("erosion.slope_deg (focal, halo 1)", slope_deg, ("dem",)),
]


@pytest.mark.parametrize(
    ("step", "inputs"),
    [pytest.param(step, inputs, id=name) for name, step, inputs in PER_CELL_STEPS],
)
def test_per_cell_step_is_identical_on_awkward_chunks(step: Step, inputs: tuple[str, ...]):
    layers = region()
    got = assert_backends_agree(step, *(layers[name] for name in inputs), chunks=CHUNKS)
    assert got.shape[-2:] == SHAPE


def _chunked(*names: str) -> list[xr.DataArray]:
    return [region()[n].chunk({"y": CHUNKS[0], "x": CHUNKS[1]}) for n in names]


def test_transfer_matrix_map_reduce_equals_in_memory_and_a_hand_count():
    lulc, later = region()["lulc"], region()["lulc_t1"]
    eager = transfer_matrix(lulc, later)
    lazy = transfer_matrix(*_chunked("lulc", "lulc_t1"))
    np.testing.assert_array_equal(lazy.cells, eager.cells)
    np.testing.assert_array_equal(lazy.area_ha, eager.area_ha)
    # independent count: pairs of codes over the cells valid at both dates
    a, b = lulc.values.ravel(), later.values.ravel()
    ok = (a != CLASS_NODATA) & (b != CLASS_NODATA)
    codes = np.array(eager.codes)
    pairs = np.zeros((codes.size, codes.size), dtype=np.int64)
    np.add.at(pairs, (np.searchsorted(codes, a[ok]), np.searchsorted(codes, b[ok])), 1)
    np.testing.assert_array_equal(lazy.cells, pairs)
    np.testing.assert_array_equal(lazy.area_ha, pairs * 0.09)  # 30 m cells: 0.09 ha


def test_transfer_matrix_on_a_geographic_grid_weights_rows_by_true_area():
    data = [region()[n].values for n in ("lulc", "lulc_t1")]
    maps = [make_raster(d, crs="EPSG:4326", cell_size=0.25, origin=(100.0, 40.0)) for d in data]
    eager = transfer_matrix(*maps)
    lazy = transfer_matrix(*(m.chunk({"y": 3, "x": 3}) for m in maps))
    np.testing.assert_array_equal(lazy.cells, eager.cells)
    # per-chunk partial sums are added in another order: equal to float64 rounding
    np.testing.assert_allclose(lazy.area_ha, eager.area_ha, rtol=1e-13, atol=0)
    # the rows' true areas differ, so the area is the weighted map-reduce, not cells x area
    assert np.unique(Grid.from_dataarray(maps[0]).row_area_ha()).size == SHAPE[0]


def test_class_and_zone_totals_map_reduce_equal_in_memory():
    layers = region()
    (lazy_lulc, lazy_soil, lazy_r, lazy_k) = _chunked("lulc", "soil", "r", "k")
    lulc = layers["lulc"]
    assert class_counts(lazy_lulc) == class_counts(lulc)
    np.testing.assert_array_equal(
        storage_totals(lazy_lulc, PRESET_POOLS).by_class["total_t_c"],
        storage_totals(lulc, PRESET_POOLS).by_class["total_t_c"],
    )
    np.testing.assert_array_equal(
        emission_totals(lazy_lulc, FACTORS)["emissions_t_c_yr"],
        emission_totals(lulc, FACTORS)["emissions_t_c_yr"],
    )
    per_ha = storage_map(lulc, PRESET_POOLS)
    lazy_zones = zone_totals(storage_map(lazy_lulc, PRESET_POOLS), lazy_soil, "total_t_c")
    eager_zones = zone_totals(per_ha, layers["soil"], "total_t_c")
    np.testing.assert_allclose(lazy_zones["total_t_c"], eager_zones["total_t_c"], rtol=1e-13)
    # hand check of one zone: sum of its cells' densities x 0.09 ha
    zone = int(eager_zones["zone"].iloc[0])
    in_zone = (layers["soil"].values == zone) & ~np.isnan(per_ha.values)
    expected = per_ha.values[in_zone].sum() * 0.09
    assert eager_zones["total_t_c"].iloc[0] == pytest.approx(expected, rel=1e-13)
    lazy_by_class = totals_by_class({"r": lazy_r, "k": lazy_k}, lazy_lulc)
    eager_by_class = totals_by_class({"r": layers["r"], "k": layers["k"]}, lulc)
    np.testing.assert_allclose(lazy_by_class.to_numpy(float), eager_by_class.to_numpy(float))


def test_allocated_emissions_chunked_equal_in_memory_to_rounding():
    weights = region()["storage"]
    eager = allocate_emissions(12.0, weights)
    lazy = allocate_emissions(12.0, _chunked("storage")[0])
    assert backend.is_dask(lazy)
    # the weight sum is a map-reduce (per-chunk partial sums): equal to float64 rounding,
    # not bit for bit, unlike the pure per-cell steps
    np.testing.assert_allclose(lazy.values, eager.values, rtol=1e-14, atol=0)
    assert np.nansum(lazy.values) == pytest.approx(12.0, rel=1e-14)


def _read_back(path: Path) -> tuple[np.ndarray, dict[str, Any], dict[str, str]]:
    with rasterio.open(path) as ds:
        profile = {k: ds.profile[k] for k in ("dtype", "crs", "transform", "tiled")}
        profile["nodata"] = repr(ds.nodata)  # NaN compares unequal to itself
        return ds.read(1), profile, ds.tags(1)


@pytest.mark.parametrize("kind", ["continuous", "categorical"])
def test_chunked_write_equals_in_memory_write(tmp_path: Path, kind: Kind):
    lulc = region()["lulc"]
    da = storage_map(lulc, PRESET_POOLS) if kind == "continuous" else lulc
    eager = write_raster(da, tmp_path / "eager.tif", units="t C/ha")
    lazy = write_raster(da.chunk({"y": 3, "x": 3}), tmp_path / "lazy.tif", units="t C/ha")
    (a, profile_a, tags_a), (b, profile_b, tags_b) = _read_back(eager), _read_back(lazy)
    np.testing.assert_array_equal(b, a)
    assert profile_b == profile_a and tags_b == tags_a
    back = read_raster(lazy, kind)
    np.testing.assert_array_equal(back.values, da.values)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eager.tif", "lazy.tif"]


@pytest.mark.parametrize(
    ("step", "name"),
    [
        (lambda dem: flow_routing(dem), "flow accumulation"),
        (lambda dem: cost_distance(dem, dem > 500), "cost distance"),
        (lambda dem: neighbourhood_effect(dem.astype(np.int32), [1, 2]), "neighbourhood effect"),
    ],
    ids=["flow_routing", "cost_distance", "neighbourhood_effect"],
)
def test_global_steps_refuse_chunked_input_and_say_why(step: Step, name: str):
    dem = _chunked("elevation")[0]
    with pytest.raises(BackendError, match=rf"^{name} is a global step and holds the whole map"):
        step(dem)


def test_chunk_smaller_than_the_focal_halo_is_refused():
    dem = region()["dem"]

    def mean_5x5(block: np.ndarray) -> np.ndarray:
        padded = np.pad(block, 2, mode="edge")
        return sliding_window_view(padded, (5, 5)).mean(axis=(-2, -1))  # type: ignore[no-any-return]

    # a 5 x 5 window needs a halo of 2 cells: 4 x 4 chunks of the 8 x 10 map (edge chunk
    # of 2 columns) are enough; 3 x 3 chunks leave an edge chunk of 1 column
    fine = backend.map_focal(mean_5x5, dem.chunk({"y": 4, "x": 4}), depth=2)
    interior = (slice(2, -2), slice(2, -2))  # the map edge sees NaN padding on dask
    np.testing.assert_array_equal(fine.values[interior], mean_5x5(dem.values)[interior])
    with pytest.raises(
        ParameterError,
        match=r"chunk size 1 is smaller than the focal window halo \(2 cells\); "
        r"use \[compute\] chunks >= 2",
    ):
        backend.map_focal(mean_5x5, dem.chunk({"y": 3, "x": 3}), depth=2)
    # the package's focal step (Horn slope) has a halo of 1: even 1 x 1 chunks agree
    assert_backends_agree(slope_deg, dem, chunks=(1, 1))


def test_disk_full_while_writing_removes_the_partial_file_and_says_the_space_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    def write(self: Any, *args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(rasterio.io.DatasetWriter, "write", write)
    lazy = storage_map(region()["lulc"], PRESET_POOLS).chunk({"y": 3, "x": 3})
    target = tmp_path / "storage.tif"
    # 8 x 10 float64 cells, one band: 640 bytes before compression
    with pytest.raises(
        ComputeError,
        match=rf"^{re.escape(str(target))}: no space left on the device; the raster needs up "
        rf"to 640 bytes \(uncompressed\), .* free in {re.escape(str(tmp_path))}; free some "
        rf"space or write elsewhere",
    ):
        write_raster(lazy, target)
    assert list(tmp_path.iterdir()) == []
