"""Carbon totals of a Monte Carlo ensemble from its per-run class areas."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from landcarbon.carbon import (
    interval_summary,
    read_run_areas,
    run_areas,
    run_totals,
    storage_totals,
)
from landcarbon.carbon.emissions import emission_totals
from landcarbon.errors import InputFileError, ParameterError, TableError
from landcarbon.landuse.allocation import allocate
from landcarbon.landuse.montecarlo import monte_carlo
from landcarbon.raster import CLASS_NODATA
from landcarbon.tables import table_from_records
from landcarbon.testing import make_raster

POOLS = table_from_records(
    [
        # total densities 10 + 2 + 50 + 1 = 63, 5 + 1 + 30 + 0 = 36, 0 + 0 + 10 + 0 = 10 t C/ha
        {"lucode": 1, "c_above": 10.0, "c_below": 2.0, "c_soil": 50.0, "c_dead": 1.0},
        {"lucode": 2, "c_above": 5.0, "c_below": 1.0, "c_soil": 30.0, "c_dead": 0.0},
        {"lucode": 3, "c_above": 0.0, "c_below": 0.0, "c_soil": 10.0, "c_dead": 0.0},
    ],
    "pools",
)
FACTORS = table_from_records(
    [
        {"code": 1, "factor_t_c_per_ha_yr": -0.5},
        {"code": 2, "factor_t_c_per_ha_yr": 0.4},
        {"code": 3, "factor_t_c_per_ha_yr": 2.0},
    ],
    "factors",
)
RUNS = pd.DataFrame(
    {
        "run": [0, 1],
        "area_ha_1": [100.0, 80.0],
        "area_ha_2": [50.0, 60.0],
        "area_ha_3": [25.0, 35.0],
    }
)


def test_hand_case_two_runs_three_classes():
    totals = run_totals(run_areas(RUNS), POOLS, FACTORS)
    # run 0: 100 x 63 + 50 x 36 + 25 x 10 = 6300 + 1800 + 250 = 8350 t C
    # run 1:  80 x 63 + 60 x 36 + 35 x 10 = 5040 + 2160 + 350 = 7550 t C
    assert totals["storage_t_c"].tolist() == [8350.0, 7550.0]
    # run 0: 100 x -0.5 + 50 x 0.4 + 25 x 2 = -50 + 20 + 50 = 20 t C/yr
    # run 1:  80 x -0.5 + 60 x 0.4 + 35 x 2 = -40 + 24 + 70 = 54 t C/yr
    np.testing.assert_allclose(totals["emissions_t_c_yr"], [20.0, 54.0], rtol=1e-15)
    summary = interval_summary(totals)
    assert summary["runs"] == 2
    assert summary["storage_t_c_mean"] == 7950.0
    # sample sd of two values: |a - b| / sqrt(2) = 800 / 1.41421 = 565.685
    assert summary["storage_t_c_sd"] == pytest.approx(800 / math.sqrt(2), rel=1e-15)
    # linear interpolation between the two order statistics: 7550 + q/100 x 800
    assert summary["storage_t_c_p2_5"] == pytest.approx(7570.0, rel=1e-15)
    assert summary["storage_t_c_p50"] == pytest.approx(7950.0, rel=1e-15)
    assert summary["storage_t_c_p97_5"] == pytest.approx(8330.0, rel=1e-15)
    assert (summary["storage_t_c_min"], summary["storage_t_c_max"]) == (7550.0, 8350.0)
    # emissions 20 and 54: p2.5 = 20 + 0.025 x 34 = 20.85
    assert summary["emissions_t_c_yr_p2_5"] == pytest.approx(20.85, rel=1e-14)
    assert summary["emissions_t_c_yr_mean"] == pytest.approx(37.0, rel=1e-15)


def test_cell_counts_times_the_cell_area(tmp_path: Path):
    # 30 m cells = 0.09 ha: 1000 cells of class 1 and 500 of class 2 = 90 x 63 + 45 x 36
    table = pd.DataFrame({"run": [0], "cells_1": [1000], "cells_2": [500], "cells_3": [0]})
    table.to_csv(tmp_path / "runs.csv", index=False)
    areas = read_run_areas(tmp_path / "runs.csv", cell_area_ha=0.09)
    totals = run_totals(areas, POOLS)
    assert totals["storage_t_c"].tolist() == pytest.approx([90 * 63 + 45 * 36], rel=1e-15)
    assert "emissions_t_c_yr" not in totals
    # one run: no sample sd, every percentile is that run
    summary = interval_summary(totals)
    assert math.isnan(summary["storage_t_c_sd"])
    assert summary["storage_t_c_p2_5"] == summary["storage_t_c_p97_5"] == 7290.0


def test_codes_the_table_lacks():
    runs = RUNS.assign(area_ha_4=[0.0, 0.0])
    # a class of the runs with no area in any run needs no row
    assert run_totals(run_areas(runs), POOLS)["storage_t_c"].tolist() == [8350.0, 7550.0]
    with pytest.raises(TableError, match=r"pools: codes found in runs\.csv .* 4 \(up to 7\.5 ha\)"):
        run_totals(run_areas(RUNS.assign(area_ha_4=[0.0, 7.5]), "runs.csv"), POOLS)


def test_bad_tables(tmp_path: Path):
    with pytest.raises(TableError, match="one column area_ha_<code> per class"):
        run_areas(pd.DataFrame({"run": [0], "area": [1.0]}))
    with pytest.raises(TableError, match=r"column area_ha_2 row 2 is -1\.0"):
        run_areas(RUNS.assign(area_ha_2=[1.0, -1.0]))
    with pytest.raises(ParameterError, match="cell_area_ha = 0"):
        run_areas(pd.DataFrame({"cells_1": [3]}), cell_area_ha=0)
    with pytest.raises(InputFileError, match="no such runs table"):
        read_run_areas(tmp_path / "absent.csv")
    with pytest.raises(ParameterError, match="runs table is empty"):
        interval_summary(run_totals(run_areas(RUNS.iloc[:0]), POOLS))


def test_equals_the_storage_of_the_run_maps():
    # storage is linear in class areas, so the totals from the runs table must equal the
    # map-based storage (and emissions) of each run's map, rebuilt from its spawned seed.
    # A geographic grid makes true class areas, hence totals, differ between runs.
    rng = np.random.default_rng(4)
    lu = rng.choice([1, 2, 3], size=(20, 25), p=[0.6, 0.3, 0.1]).astype(np.int32)
    lu[0, :4] = CLASS_NODATA
    lulc = make_raster(lu, crs="EPSG:4326", cell_size=0.5, origin=(100.0, 40.0))
    stack = xr.concat(
        [lulc.copy(data=p) for p in rng.uniform(0.1, 1.0, size=(3, 20, 25))], dim="class"
    ).assign_coords({"class": [1, 2, 3]})
    counts = {c: int((lu == c).sum()) for c in (1, 2, 3)}
    demand = {1: counts[1] - 40, 2: counts[2] + 30, 3: counts[3] + 10}
    mc = monte_carlo(lulc, stack, demand, runs=4, seed=11)
    totals = run_totals(run_areas(mc.runs), POOLS, FACTORS)
    for i in range(4):
        run_map = allocate(
            lulc, stack, demand, seed=np.random.SeedSequence(mc.entropy, spawn_key=(i,))
        ).lulc
        assert totals["storage_t_c"][i] == pytest.approx(
            storage_totals(run_map, POOLS).total_t_c, rel=1e-12
        )
        assert totals["emissions_t_c_yr"][i] == pytest.approx(
            emission_totals(run_map, FACTORS)["emissions_t_c_yr"].sum(), rel=1e-12
        )
    assert totals["storage_t_c"].nunique() == 4  # the runs really differ
