"""Willamette sample maps (InVEST 3.0): totals, sequestration and value from the method,
checked against an independent per-cell float64 computation (rasterio + csv + numpy).

InVEST 3.0's published figures are held out (REFERENCE_DATA.md, section 2 item 6);
they summed float32 rasters and so sit ~1e-6..3e-6 above these exact values.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import rasterio

from landcarbon.carbon import Valuation, read_pools
from landcarbon.carbon.outputs import carbon_account
from landcarbon.raster import read_raster


def _independent_total(lulc_path: Path, pools_path: Path) -> np.ndarray:
    """Per-cell t C/ha by a dict lookup over np.unique's inverse (no landcarbon code)."""
    with open(pools_path, encoding="utf-8") as f:
        rows = {int(r["LULC"]): r for r in csv.DictReader(f)}
    dens = {
        k: sum(float(r[c]) for c in ("C_above", "C_below", "C_soil", "C_dead"))
        for k, r in rows.items()
    }
    with rasterio.open(lulc_path) as ds:
        data = ds.read(1)
        nodata = ds.nodata
    values, inverse = np.unique(data, return_inverse=True)
    table = np.array([np.nan if v == nodata else dens[int(v)] for v in values])
    return table[inverse].reshape(data.shape)


def test_willamette_totals_sequestration_value(shared_data: Path):
    folder = shared_data / "invest_willamette_carbon"
    pools = read_pools(folder / "carbon_pools_samp.csv")
    cur = read_raster(folder / "lulc_samp_cur.tif", "categorical")
    fut = read_raster(folder / "lulc_samp_fut.tif", "categorical")
    val = Valuation(43.0, 7.0, 0.0, 2000, 2030)  # InVEST 3.0 sample run: V=43, r=7 %, c=0
    acc = carbon_account(cur, pools, fut, val)
    c_ref = _independent_total(folder / "lulc_samp_cur.tif", folder / "carbon_pools_samp.csv")
    f_ref = _independent_total(folder / "lulc_samp_fut.tif", folder / "carbon_pools_samp.csv")
    cell_ha = 30.0 * 30.0 / 10_000  # EPSG:26910, 30 m cells
    assert acc.current.total_t_c == pytest.approx(np.nansum(c_ref) * cell_ha, rel=1e-12)
    assert acc.future is not None
    assert acc.future.total_t_c == pytest.approx(np.nansum(f_ref) * cell_ha, rel=1e-12)
    seq_ref = np.nansum(f_ref - c_ref) * cell_ha
    assert acc.sequestration_t_c == pytest.approx(seq_ref, rel=1e-12)
    const = 43.0 / 30 * sum(1.07**-t for t in range(30))  # the sum, not the closed form
    assert acc.value == pytest.approx(seq_ref * const, rel=1e-12)
    assert int(acc.current.by_class["cells"].sum()) == 1_641_621  # valid cells (SOURCE.md)


@pytest.mark.parametrize("per_cell", [False, True])
def test_willamette_in_memory_files_equal_the_dataarray_path(
    shared_data: Path, tmp_path: Path, per_cell: bool
):
    """``landcarbon carbon`` on maps read whole writes its files through numpy and rasterio
    alone (write_storage_outputs); they are the bytes the xarray path (write_carbon_outputs
    on read_raster) writes, in t C/ha and in t C per cell: the five storage maps, the
    future map, the change and its value, carbon_by_class.csv and summary.json."""
    from landcarbon.carbon.outputs import write_carbon_outputs, write_storage_outputs
    from landcarbon.raster import read_codes

    folder = shared_data / "invest_willamette_carbon"
    cur_path, fut_path = folder / "lulc_samp_cur.tif", folder / "lulc_samp_fut.tif"
    pools = read_pools(folder / "carbon_pools_samp.csv")
    val = Valuation(43.0, 7.0, 0.0, 2000, 2030)
    opts = {"per_cell_units": per_cell, "all_pools": True, "co2": True}
    for name, future in (("storage", False), ("change", True)):
        (cur, grid), (fut, _) = read_codes(cur_path), read_codes(fut_path)
        labels = (str(cur_path), str(fut_path))
        valuation = val if future else None
        _, ours = write_storage_outputs(
            tmp_path / f"np_{name}",
            cur,
            grid,
            pools,
            labels,
            fut if future else None,
            valuation,
            **opts,
        )
        _, theirs = write_carbon_outputs(
            tmp_path / f"xr_{name}",
            read_raster(cur_path, "categorical"),
            pools,
            read_raster(fut_path, "categorical") if future else None,
            valuation,
            **opts,
        )
        assert [p.name for p in ours] == [p.name for p in theirs]
        assert len(ours) == (10 if future else 7)
        for a, b in zip(ours, theirs, strict=True):
            assert a.read_bytes() == b.read_bytes(), a.name
    with rasterio.open(tmp_path / "np_change" / "c_storage_bas.tif") as ds:
        assert ds.descriptions == ("c_storage_bas",)
        assert ds.tags(1)["units"] == ("t C per cell" if per_cell else "t C/ha")
        values = ds.read(1)
    with rasterio.open(tmp_path / "np_change" / "c_change_bas_alt.tif") as ds:
        change = ds.read(1)
    with rasterio.open(tmp_path / "np_change" / "npv_alt.tif") as ds:
        assert ds.tags(1)["units"] == ("value per cell" if per_cell else "value/ha")
    scale = 0.09 if per_cell else 1.0
    ref = _independent_total(cur_path, folder / "carbon_pools_samp.csv")
    fut_ref = _independent_total(fut_path, folder / "carbon_pools_samp.csv")
    np.testing.assert_array_equal(values, (ref * scale).astype(np.float32))
    np.testing.assert_array_equal(change, ((fut_ref - ref) * scale).astype(np.float32))
