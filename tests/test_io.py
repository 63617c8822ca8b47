"""Loading the region: shipped data, user replacements, and every kind of bad file."""

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from borderwatch import CRSError, DataFileError, ValidationError, load_region, read_layer, read_terrain
from borderwatch.errors import OutputExistsError
from borderwatch.output import atomic_path
from borderwatch.readers import DEM_FILE, LAYER_FILES, shipped_data_dir


def test_shipped_region_has_every_layer_in_epsg4326(region):
    assert set(region.layers) == set(LAYER_FILES)
    for name, gdf in region.layers.items():
        assert gdf.crs.to_epsg() == 4326, name
    assert len(region.gates) == 87
    assert region.terrain.shape == (265, 241)
    assert region.terrain.crs == "EPSG:4326"


def test_gate_positions_keep_source_and_precision(region):
    gates = region.gates.set_index("id")
    merged = gates[gates["position_source"] == "gate_positions_extra.csv"]
    assert len(merged) == 48
    # Nam Lanh had no coordinate in the gate table; GeoNames gives one
    assert np.isnan(gates.at["VN-LAO-007", "table_lat"]) and gates.at["VN-LAO-007", "geometry"] is not None
    # the table's own coordinate is kept beside the better one
    assert (
        gates.at["VN-CHN-002", "table_coord_precision_m"] == 25000
        and gates.at["VN-CHN-002", "coord_precision_m"] == 7000
    )
    assert merged["source_record_id"].str.startswith("geonames:").all()
    assert (gates["coord_precision_m"] > 0).all()


def test_manifest_hashes_every_input(region):
    manifest = region.manifest()
    assert set(manifest) == {*LAYER_FILES, "dem"}
    assert all(len(v["sha256"]) == 64 for v in manifest.values())


def test_override_layer_with_csv_geojson_and_gpkg(tmp_path, region):
    small = region.gates
    csv = tmp_path / "gates.csv"
    small.drop(columns="geometry").assign(lat=small.geometry.y, lon=small.geometry.x).to_csv(csv, index=False)
    gpkg = tmp_path / "gates.gpkg"
    small.to_file(gpkg, driver="GPKG")
    for path in (csv, gpkg):
        loaded = load_region(gates=path)
        assert list(loaded.gates["id"]) == list(small["id"]), path
    loaded = load_region(gates=small)
    assert len(loaded.gates) == 87


def test_blo_naming_a_missing_gate_is_a_cross_layer_problem(region):
    with pytest.raises(
        ValidationError,
        match=r"layer 'blos' record 'BLO-01': column 'associated_gate_id' = 'VN-CHN-001' is not a gate id",
    ):
        load_region(gates=region.gates.iloc[1:])


def test_layer_in_other_crs_is_reprojected(tmp_path, region):
    path = tmp_path / "ports.gpkg"
    region.world_ports.to_crs("EPSG:32648").to_file(path, driver="GPKG")
    ports = read_layer(path, "world_ports")
    assert ports.crs.to_epsg() == 4326
    assert np.allclose(ports.geometry.x, region.world_ports.geometry.x, atol=1e-7)


def test_layer_without_crs_is_a_crs_error(tmp_path, region):
    path = tmp_path / "ports.geojson"
    path.write_text(region.world_ports.iloc[:2].to_json().replace('"crs"', '"_crs"'))
    frame = gpd.read_file(path).set_crs(None, allow_override=True)
    shp = tmp_path / "ports.shp"
    frame.to_file(shp)
    with pytest.raises(CRSError, match=r"layer 'world_ports': file .*ports.shp' has no CRS; assign one"):
        read_layer(shp, "world_ports")


def test_empty_and_malformed_files(tmp_path):
    empty = tmp_path / "gates.csv"
    empty.write_text("")
    with pytest.raises(DataFileError, match="is empty"):
        read_layer(empty, "gates")
    bad = tmp_path / "roads.geojson"
    bad.write_text("{ not json")
    with pytest.raises(DataFileError, match=r"layer 'roads': cannot read"):
        read_layer(bad, "roads")
    nocoords = tmp_path / "g.csv"
    nocoords.write_text("id,name\nA,b\n")
    with pytest.raises(ValidationError, match="has no lat/lon columns"):
        read_layer(nocoords, "gates")


def test_load_region_reports_problems_of_all_layers_together(data_dir, gates_csv):
    broken_gates = gates_csv.replace("VN-CHN-002,Hoanh Mo,Hoành Mô,primary", "VN-CHN-002,Hoanh Mo,Hoành Mô,tertiary", 1)
    root = data_dir({LAYER_FILES["gates"]: broken_gates, LAYER_FILES["tripoints"]: ""})
    with pytest.raises(ValidationError) as err:
        load_region(root)
    text = str(err.value)
    assert "record 'VN-CHN-002': column 'class' = 'tertiary'" in text
    assert "layer 'tripoints'" in text and "is empty" in text
    assert text.startswith("2 validation problems:")


def test_unreadable_dem(data_dir):
    root = data_dir({DEM_FILE: b"this is not a tiff"})
    with pytest.raises(ValidationError, match=r"DEM .* is not a readable raster"):
        load_region(root)
    with pytest.raises(DataFileError, match="does not exist"):
        read_terrain(root / "nope.tif")


def test_dem_in_another_crs_is_reprojected(tmp_path):
    path = tmp_path / "dem_utm.tif"
    data = np.arange(100, dtype="float32").reshape(10, 10)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=10,
        height=10,
        count=1,
        dtype="float32",
        crs="EPSG:32648",
        transform=from_origin(500000, 2000000, 1000, 1000),
    ) as dst:
        dst.write(data, 1)
    terrain = read_terrain(path)
    assert terrain.crs == "EPSG:4326"
    lon, lat = terrain.cell_centres()
    assert 104.9 < np.nanmean(lon) < 105.1 and 18.0 < np.nanmean(lat) < 18.1
    assert np.nanmax(terrain.elevation_m) <= 99


def test_dem_without_crs(tmp_path):
    path = tmp_path / "dem.tif"
    with rasterio.open(
        path, "w", driver="GTiff", width=2, height=2, count=1, dtype="int16", transform=from_origin(100, 20, 1, 1)
    ) as dst:
        dst.write(np.zeros((2, 2), dtype="int16"), 1)
    with pytest.raises(CRSError, match="has no CRS"):
        read_terrain(path)


def test_unknown_layer_override():
    with pytest.raises(ValidationError, match="unknown layer override 'gate'"):
        load_region(gate="x.csv")


def test_atomic_path_writes_nothing_on_failure_and_refuses_overwrite(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert not target.exists() and list(tmp_path.iterdir()) == []
    with atomic_path(target) as tmp:
        tmp.write_text("done")
    assert target.read_text() == "done"
    with pytest.raises(OutputExistsError, match="--overwrite"), atomic_path(target):
        pass


def test_shipped_data_dir_is_inside_the_repository():
    assert (shipped_data_dir() / "README.md").exists()
