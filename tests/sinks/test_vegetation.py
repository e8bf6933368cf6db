"""Vegetation carbon: the county study's Table 2 reproduced from a map of its areas."""

from __future__ import annotations

import numpy as np
import pytest

from landcarbon.errors import TableError
from landcarbon.raster import CLASS_NODATA
from landcarbon.sinks.vegetation import vegetation_carbon_density, vegetation_storage_table
from landcarbon.tables import ClassTable, table_from_records
from landcarbon.testing import assert_backends_agree, make_raster

# Zhang et al. (Wensu County), Table 2: density (t/hm2), area (10^4 hm2), storage (10^4 t)
TABLE2 = [
    (
        "Coniferous forest",
        "Cool temperate and temperate montane coniferous forest",
        52.3,
        1.09,
        57.007,
    ),
    ("Scrub", "Subalpine deciduous broad-leaved scrub", 7.7, 0.22, 1.694),
    ("Desert", "Temperate shrub desert", 1.0, 27.67, 27.670),
    ("Desert", "Temperate steppe shrub desert", 1.0, 0.80, 0.800),
    ("Desert", "Temperate subshrub and dwarf subshrub desert", 1.0, 13.49, 13.490),
    ("Desert", "Temperate succulent halophyte dwarf subshrub desert", 1.0, 4.16, 4.160),
    ("Steppe", "Temperate bunch grass typical steppe", 2.1, 9.05, 19.005),
    ("Steppe", "Temperate grass and forb meadow steppe", 2.1, 2.11, 4.431),
    ("Steppe", "Temperate bunch short grass and dwarf subshrub desert steppe", 2.1, 4.57, 9.597),
    ("Meadow", "Temperate grass and forb halophyte meadow", 3.7, 24.07, 89.059),
    ("Meadow", "Temperate grass, sedge, and forb marsh meadow", 3.9, 0.07, 0.273),
    ("Meadow", "Alpine Kobresia and forb meadow", 1.8, 3.50, 6.300),
    ("Alpine vegetation", "Alpine cushion-like vegetation", 3.3, 0.65, 2.145),
    ("Alpine vegetation", "Alpine talus vegetation", 3.3, 18.20, 60.060),
    ("Cultivated vegetation", "Dry farming and deciduous orchard", 5.7, 11.46, 65.322),
    ("Non-vegetation area", "Non-vegetation area", 0.0, 21.04, 0.000),
]


def _table() -> ClassTable:
    return table_from_records(
        [
            {"code": i + 1, "formation": g, "name": n, "density": d}
            for i, (g, n, d, _, _) in enumerate(TABLE2)
        ],
        "table2",
        required=["density"],
        nonnegative=["density"],
    )


def test_table2_from_a_1km_map() -> None:
    # 1 km cells are 100 ha, so a type of A x 10^4 ha has 100 A cells: 14 215 cells in all
    cells = np.concatenate(
        [np.full(round(a * 100), i + 1) for i, (*_, a, _) in enumerate(TABLE2)]
    ).astype(np.int32)
    veg = make_raster(cells.reshape(5, 2843), cell_size=1000.0, name="veg")
    table = vegetation_storage_table(veg, _table())
    body, total = table.iloc[:-1], table.iloc[-1]
    np.testing.assert_allclose(body["area_ha"] / 1e4, [r[3] for r in TABLE2], rtol=1e-12)
    np.testing.assert_allclose(body["storage_t_c"] / 1e4, [r[4] for r in TABLE2], atol=1e-9)
    assert total["area_ha"] / 1e4 == pytest.approx(142.15, rel=1e-12)
    assert total["storage_t_c"] / 1e4 == pytest.approx(361.013, rel=1e-12)
    assert list(body["formation"][:2]) == ["Coniferous forest", "Scrub"]


def test_density_map_lazy_and_nodata() -> None:
    veg = make_raster(np.array([[1, 2, 16], [CLASS_NODATA, 15, 1]], dtype=np.int32))
    table = _table()
    got = assert_backends_agree(lambda v: vegetation_carbon_density(v, table), veg)
    np.testing.assert_array_equal(got.values, [[52.3, 7.7, 0.0], [np.nan, 5.7, 52.3]])
    assert got.attrs["units"] == "t C/ha"


def test_missing_type_code_is_named() -> None:
    veg = make_raster(np.array([[1, 99, 99]], dtype=np.int32), name="vegmap")
    with pytest.raises(
        TableError,
        match=r"table2: codes found in vegmap but missing from the "
        r"table: 99 \(2 cells\)",
    ):
        vegetation_carbon_density(veg, _table())


def test_storage_table_on_dask_equals_numpy() -> None:
    veg = make_raster(np.array([[1, 2, 16, 2], [CLASS_NODATA, 15, 1, 1]], dtype=np.int32))
    table = _table()
    eager = vegetation_storage_table(veg, table)
    lazy = vegetation_storage_table(veg.chunk({"y": 1, "x": 3}), table)
    np.testing.assert_array_equal(eager["area_ha"], lazy["area_ha"])
    # 30 m cells = 0.09 ha: coniferous 3 cells -> 0.27 ha x 52.3 = 14.121 t C
    assert eager.loc[0, "storage_t_c"] == pytest.approx(3 * 0.09 * 52.3, rel=1e-12)
