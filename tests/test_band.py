"""The border band: a finer terrain lattice along Vietnam's land border, stitched to the coarse lattice."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.csgraph
import shapely
from affine import Affine
from shapely.geometry import LineString, box

from borderwatch.errors import ProfileError
from borderwatch.geodesy import distance_m, lonlat_to_metres, to_metres
from borderwatch.network import build as build_module
from borderwatch.network import estimate as estimate_module
from borderwatch.network.estimate import band_estimate, check_band
from borderwatch.network.lattice import (
    border_band,
    build_lattice,
    country_grid,
    grid_adjacency,
    informal_crossings,
    refine_terrain,
)
from borderwatch.network.profile import load_profile
from borderwatch.region import Terrain

#: Synthetic DEM: 12 x 12 cells of 0.1 degree, Vietnam west of lon 100.6, Laos east of it.
CELL = 0.1
WEST, NORTH = 100.0, 11.2
SPLIT = 100.6


def _toy(*, km: float = 20.0, factor: int = 3, refine: int = 1):
    elevation = 100.0 + 50.0 * np.arange(12)[None, :] + 10.0 * np.arange(12)[:, None]  # a plane: bilinear is exact
    terrain = Terrain(
        elevation_m=elevation.astype(float),
        transform=Affine(CELL, 0.0, WEST, 0.0, -CELL, NORTH),
        crs="EPSG:4326",
        path="toy",
    )
    countries = gpd.GeoDataFrame(
        {"iso_a3": ["VNM", "LAO"]},
        geometry=[box(WEST, NORTH - 1.2, SPLIT, NORTH), box(SPLIT, NORTH - 1.2, WEST + 1.2, NORTH)],
        crs="EPSG:4326",
    )
    lattice_terrain = refine_terrain(terrain, refine)
    grid = country_grid(lattice_terrain, countries)
    border = LineString([(SPLIT, NORTH - 1.2), (SPLIT, NORTH)])
    band = border_band(terrain, lattice_terrain, grid, countries, border, km=km, factor=factor)
    return lattice_terrain, grid, border, band, build_lattice(lattice_terrain, grid, band=band)


def _border_distance_m(lon: np.ndarray, lat: np.ndarray, border) -> np.ndarray:
    """Distance (m, region CRS) from each point to the nearest straight piece of the border lines."""
    coords, part = shapely.get_coordinates(shapely.get_parts(to_metres(border)), return_index=True)
    same = part[1:] == part[:-1]
    pieces = shapely.linestrings(np.stack([coords[:-1][same], coords[1:][same]], axis=1))
    points = shapely.points(lonlat_to_metres(lon, lat))
    (at, _), d = shapely.STRtree(pieces).query_nearest(points, return_distance=True, all_matches=False)
    out = np.empty(len(points))
    out[at] = d
    return out


def test_band_replaces_the_cells_near_the_border_with_finer_ones():
    _, _, border, band, lat = _toy(km=20.0, factor=3)
    # centres at 5.5 and 16.4 km from the line on each side are inside 20 km; 27 km is not
    assert band.block.sum(axis=1).tolist() == [4] * 12
    d = _border_distance_m(lat.lon, lat.lat, border)
    half_diagonal = float(distance_m(WEST, NORTH, WEST + CELL, NORTH - CELL)) / 2
    assert (d[lat.fine] <= 20000.0 + half_diagonal).all()
    assert (d[~lat.fine] > 20000.0).all()  # no coarse cell is left inside the band
    assert lat.fine.sum() == 12 * 4 * 9 and (~lat.fine).sum() == 144 - 48


def test_band_cells_have_the_configured_spacing_and_interpolated_elevations():
    _, _, _, _, lat = _toy(factor=3)
    both = lat.fine[lat.src] & lat.fine[lat.dst]
    straight = both & (lat.lat[lat.src] == lat.lat[lat.dst])
    assert np.allclose(np.abs(lat.lon[lat.dst] - lat.lon[lat.src])[straight], CELL / 3)
    # the toy DEM is a plane, so the bilinear band elevations lie on it (away from the grid edge)
    col = (lat.lon - WEST) / CELL - 0.5
    row = (NORTH - lat.lat) / CELL - 0.5
    inner = lat.fine & (row > 0) & (row < 11)
    assert np.allclose(lat.elevation_m[inner], (100.0 + 50.0 * col + 10.0 * row)[inner])


def test_band_cells_divide_the_refined_lattice_cells():
    terrain, _, _, band, lat = _toy(factor=2, refine=2)
    assert terrain.shape == (24, 24) and band.terrain.shape == (48, 48)
    both = lat.fine[lat.src] & lat.fine[lat.dst]
    straight = both & (lat.lat[lat.src] == lat.lat[lat.dst])
    assert np.allclose(np.abs(lat.lon[lat.dst] - lat.lon[lat.src])[straight], CELL / 4)
    n = len(lat.ids)
    graph = scipy.sparse.csr_matrix((np.ones(len(lat.src)), (lat.src, lat.dst)), shape=(n, n))
    assert scipy.sparse.csgraph.connected_components(graph, directed=False)[0] == 1


def test_band_is_stitched_seamlessly_to_the_coarse_lattice():
    _, _, _, _, lat = _toy()
    n = len(lat.ids)
    assert len(set(lat.ids)) == n  # unique ids
    pairs = set(zip(lat.src.tolist(), lat.dst.tolist(), strict=True))
    assert len(pairs) == len(lat.src)  # no pair twice
    assert all((b, a) in pairs for a, b in pairs)  # both directions
    graph = scipy.sparse.csr_matrix((np.ones(len(lat.src)), (lat.src, lat.dst)), shape=(n, n))
    assert scipy.sparse.csgraph.connected_components(graph, directed=False)[0] == 1  # every band cell reachable
    # a coarse cell beside the band joins the band cells touching its footprint: 3 on the side, 2 on the corners
    coarse = lat.ids.tolist().index("cell:13")  # row 1, col 1: two columns west of the band
    edge_cell = lat.ids.tolist().index("cell:15")  # row 1, col 3: beside the band's west edge
    fine_of = lat.dst[(lat.src == edge_cell) & lat.fine[lat.dst]]
    assert len(fine_of) == 5 and not lat.fine[lat.dst[lat.src == coarse]].any()
    # their lengths are the geodesic distance between the two centres
    sel = (lat.src == edge_cell) & lat.fine[lat.dst]
    expect = distance_m(lat.lon[edge_cell], lat.lat[edge_cell], lat.lon[lat.dst[sel]], lat.lat[lat.dst[sel]])
    assert np.allclose(lat.length_m[sel], expect)


def test_informal_crossings_run_along_the_border_at_band_spacing():
    _, _, _, _, lat = _toy(factor=3)
    crossing = informal_crossings(lat.iso[lat.src], lat.iso[lat.dst])
    assert lat.fine[lat.src[crossing]].all() and lat.fine[lat.dst[crossing]].all()
    vnm_side = np.unique(lat.src[crossing & (lat.iso[lat.src] == "VNM")])
    assert len(vnm_side) == 12 * 3  # every band row of the 36 along the line crosses


def test_band_ids_are_deterministic():
    first, second = _toy()[4], _toy()[4]
    assert first.ids.tolist() == second.ids.tolist()
    assert np.array_equal(first.src, second.src) and np.array_equal(first.dst, second.dst)
    assert "cell:15" in first.ids and "cell:16:0" in first.ids  # coarse cell 15 kept, cell 16's block refined


@pytest.mark.parametrize("km, factor", [(0.0, 4), (15.0, 0)])
def test_band_off_is_todays_lattice(km, factor):
    terrain, grid, _, band, lat = _toy(km=km, factor=factor)
    assert band is None
    src, dst, length = grid_adjacency(terrain, grid.code >= 0)
    assert lat.ids.tolist() == [f"cell:{f}" for f in range(144)]
    assert np.array_equal(lat.src, src) and np.array_equal(lat.dst, dst) and np.array_equal(lat.length_m, length)


@pytest.mark.parametrize(
    "lattice, message",
    [
        ({"band_refine": 1}, "'lattice.band_refine' is 1"),
        ({"band_refine": 9}, "'lattice.band_refine' must be <= 8"),
        ({"band_refine": -2}, "'lattice.band_refine' must be >= 0"),
        ({"band_refine": 2.5}, "'lattice.band_refine' must be an integer"),
        ({"band_km": -1.0}, "'lattice.band_km' must be >= 0"),
        ({"band_km": float("nan")}, "'lattice.band_km' must be a finite number"),
        ({"band_km": 80.0}, "'lattice.band_km' must be <= 50"),
    ],
)
def test_bad_band_values_are_refused(lattice, message):
    with pytest.raises(ProfileError, match=message):
        load_profile(lattice=lattice)


def test_too_fine_a_band_is_refused_with_an_estimate_before_building(region, monkeypatch):
    monkeypatch.setattr(estimate_module, "available_bytes", lambda: 2**30)

    def built(*args, **kwargs):
        raise AssertionError("the graph was being built")

    monkeypatch.setattr(build_module, "place_gates", built)
    with pytest.raises(ProfileError, match=r"band_refine' = 8 .*: the border band would have about [\d,]+ cells.*GB"):
        build_module.build_route_graph(region, profile=load_profile(lattice={"band_km": 30.0, "band_refine": 8}))


def test_no_band_is_never_refused(monkeypatch):
    monkeypatch.setattr(estimate_module, "available_bytes", lambda: 0)
    terrain = _toy()[0]
    for km, factor in ((0.0, 4), (15.0, 0)):
        check_band(terrain, 4600.0, {"refine": 1, "band_km": km, "band_refine": factor})
    with pytest.raises(ProfileError, match=r"lattice\.band_km' = 15"):
        check_band(terrain, 4600.0, {"refine": 1, "band_km": 15.0, "band_refine": 2})


def test_band_estimate_is_close_to_the_band_built(region, scenario):
    lattice = scenario.profile["lattice"]
    if not lattice["band_refine"] or not lattice["band_km"]:
        pytest.skip("the default profile has no border band")
    built = scenario.meta.build["band_cells"]
    est = band_estimate(
        region.terrain,
        float(scenario.lines["length_km"].sum()),
        refine=lattice["refine"],
        km=lattice["band_km"],
        factor=lattice["band_refine"],
    )
    assert 0.7 < est["band_cells"] / built < 1.5
    a = scenario.arrays
    lattice_edges = np.count_nonzero((a.node_kind[a.edge_u] == "cell") & (a.node_kind[a.edge_v] == "cell"))
    assert 0.7 < est["edges"] / lattice_edges < 1.5


@pytest.fixture(scope="module")
def shipped_band(scenario):
    """Lattice cells of the shipped graph: ids, whether a band cell, lon, lat; and the [lattice] table."""
    lattice = scenario.profile["lattice"]
    if not lattice["band_refine"] or not lattice["band_km"]:
        pytest.skip("the default profile has no border band")
    a = scenario.arrays
    cell = np.flatnonzero(a.node_kind == "cell")
    ids = np.array(a.nodes, dtype=object)[cell]
    fine = np.array([n.count(":") == 2 for n in ids])
    return ids, fine, a.node_x[cell], a.node_y[cell], lattice


def test_shipped_band_lies_along_the_border(scenario, shipped_band):
    _, fine, lon, lat, lattice = shipped_band
    d = _border_distance_m(lon, lat, shapely.union_all(scenario.lines.geometry.to_numpy()))
    dem = scenario.region.terrain
    half_diagonal = float(distance_m(105.0, 16.0, 105.0 + dem.transform.a, 16.0 + dem.transform.e)) / 2
    km = lattice["band_km"] * 1000.0
    assert fine.sum() == scenario.meta.build["band_cells"] > 0
    assert (d[fine] <= km + half_diagonal).all()
    assert (d[~fine] > km).all()


def test_shipped_band_cells_are_reachable_and_cross_at_band_spacing(scenario, shipped_band):
    ids, fine, _, _, lattice = shipped_band
    a = scenario.arrays
    dist = a.dijkstra([scenario.origin])[0][0]
    unreached = {n for n in ids[fine] if not np.isfinite(dist[a.row(n)])}
    # only band cells on islets off the coast (their lattice neighbours: band cells of the islet) are out of reach
    assert len(unreached) < 20
    neighbours = {m for n in unreached for m in scenario.G.successors(n)}
    assert all(m.count(":") == 2 and m in unreached for m in neighbours if m.startswith("cell:"))
    # every informal crossing of the lattice runs between two band cells (band_km > one DEM-cell diagonal) ...
    nodes = np.array(a.nodes, dtype=object)
    banded = np.array([isinstance(n, str) and n.count(":") == 2 for n in nodes])
    informal = (a.crossing == "informal") & (a.mode == "offroad") & (a.node_kind[a.edge_v] == "cell")
    assert informal.sum() > 0 and (banded[a.edge_u[informal]] & banded[a.edge_v[informal]]).all()
    # ... and along the Laos border one starts from about every band cell on the line
    band_cell_km = float(distance_m(105.0, 16.0, 105.0, 16.0 + abs(scenario.region.terrain.transform.e))) / 1000.0
    band_cell_km /= lattice["refine"] * lattice["band_refine"]
    lao = informal & (a.border == "LAO") & (a.node_country[a.edge_u] == "VNM")
    border_km = float(scenario.lines.loc["LAO", "length_km"])
    assert len(set(a.edge_u[lao])) * band_cell_km > 0.9 * border_km
    detour = scenario.profile["offroad"]["detour_factor"]
    assert np.median(a.length_m[lao]) / detour < 1.5 * band_cell_km * 1000.0
