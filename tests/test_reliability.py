"""Every output right, every bad input a clear error before the work, nothing left behind.

One test (or a few) per defect found by trying about 110 bad inputs as a new user
would; CLI tests check the exit code, the message, that no traceback is shown
and that nothing is written.
"""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import rasterio
from click.testing import CliRunner

from borderwatch import CRSError, DataFileError, ParameterError, UnknownNameError, load_region, read_layer
from borderwatch.cli import main
from borderwatch.geodesy import distance_m
from borderwatch.network.cache import graph_key
from borderwatch.network.endpoints import check_destinations
from borderwatch.network.lattice import country_grid, fill_land_gaps
from borderwatch.network.profile import load_profile
from borderwatch.output import PART, write_table
from borderwatch.readers import DEM_FILE, LAYER_FILES

REPO = Path(__file__).resolve().parents[1]


def run(*args):
    return CliRunner().invoke(main, list(args))


def failed_cleanly(result, message: str) -> bool:
    return result.exit_code == 1 and message in result.output and "Traceback" not in result.output


# -- 1. gate outputs carry the position in use -----------------------------------------


def test_gates_out_has_snapped_lat_lon_and_keeps_the_original(tmp_path):
    out = tmp_path / "gates.csv"
    result = run("-q", "gates", "--out", str(out))
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    geometry = gpd.GeoSeries.from_wkt(table["geometry_wkt"])
    np.testing.assert_allclose(table["lon"], geometry.x)
    np.testing.assert_allclose(table["lat"], geometry.y)
    row = table.set_index("id").loc["VN-KHM-013"]
    assert row["orig_lat"] == pytest.approx(11.5937) and row["orig_lon"] == pytest.approx(106.2605)
    moved = distance_m(row["orig_lon"], row["orig_lat"], row["lon"], row["lat"])
    assert moved == pytest.approx(row["snap_distance_m"], rel=1e-6) and moved > 5000  # the table shows where it went
    assert row["coord_source"].startswith(f"borderwatch snap onto the KHM border ({row['snap_method']})")
    assert "GeoNames" in row["orig_coord_source"] or row["orig_coord_source"]


# -- 2. profile values (see also test_profile.py) ----------------------------------------


def test_nan_profile_fails_before_any_work(tmp_path):
    bad = tmp_path / "p.toml"
    bad.write_text("[informal_crossing]\ndelay_h = nan\n")
    result = run("routes", "--to", "Hanoi", "--profile", str(bad), "--data", str(tmp_path / "nowhere"))
    assert failed_cleanly(result, "p.toml: key 'informal_crossing.delay_h' must be a finite number, got nan")


# -- 3. DEM without elevations -------------------------------------------------------------


def write_dem(path: Path, values: np.ndarray, like: Path) -> None:
    with rasterio.open(like) as src:
        profile = src.profile | {"dtype": "float32", "nodata": np.nan}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values.astype("float32"), 1)


def test_all_nan_dem_is_invalid(data_dir, tmp_path):
    root = data_dir({DEM_FILE: None})
    with rasterio.open(REPO / "data" / DEM_FILE) as src:
        shape = src.shape
    write_dem(root / DEM_FILE, np.full(shape, np.nan), REPO / "data" / DEM_FILE)
    result = run("validate", "--data", str(root))
    assert failed_cleanly(result, "every cell is NaN or nodata; give a DEM with elevations")


def test_nan_cells_on_land_are_filled_and_counted(region):
    terrain = region.terrain
    grid = country_grid(terrain, region.countries)
    holes = np.argwhere(grid.code >= 0)[::500]
    holey = terrain.elevation_m.copy()
    holey[holes[:, 0], holes[:, 1]] = np.nan
    filled, n = fill_land_gaps(type(terrain)(holey, terrain.transform, terrain.crs, terrain.path), grid)
    assert n == len(holes)
    assert np.isfinite(filled.elevation_m[grid.code >= 0]).all()
    # a filled cell takes a value from its neighbourhood, not sea level
    r, c = holes[len(holes) // 2]
    near = terrain.elevation_m[r - 1 : r + 2, c - 1 : c + 2]
    assert near.min() - 1 <= filled.elevation_m[r, c] <= near.max() + 1
    assert fill_land_gaps(terrain, grid) == (terrain, 0)


# -- 5 and 9. outputs checked before any work -----------------------------------------------


@pytest.mark.parametrize("name", ["routes.txt", "routes.shp", "routes"])
def test_unsupported_out_suffix_fails_before_loading_anything(tmp_path, name):
    result = run("routes", "--to", "Hanoi", "--out", str(tmp_path / name), "--data", str(tmp_path / "nowhere"))
    assert failed_cleanly(result, "cannot write")
    assert "use one of .csv, .geojson, .gpkg" in result.output
    assert not list(tmp_path.iterdir())


def test_unwritable_out_folder_fails_before_loading_anything(tmp_path):
    result = run("build-network", "--out", "/proc/borderwatch/graph.gpkg", "--data", str(tmp_path / "nowhere"))
    assert failed_cleanly(result, "--out '/proc/borderwatch/graph.gpkg': cannot write in folder '/proc'")
    result = run("gates", "--out", str(REPO / "README.md" / "gates.csv"))
    assert failed_cleanly(result, "is a file, not a folder")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_read_only_folder_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    result = run("gates", "--out", str(locked / "gates.csv"))
    assert failed_cleanly(result, "cannot write in folder")


# -- 6, 7, 8. files and arguments that used to give tracebacks ------------------------------


def test_graphml_with_invalid_wkt_is_a_message(tmp_path):
    G = nx.MultiDiGraph()
    G.add_edge("a", "b", cost=1.0, geometry="LINESTRING (1 2, oops)")
    path = tmp_path / "g.graphml"
    nx.write_graphml(G, path)
    result = run("routes", "--graph", str(path), "--origin", "a", "--to", "b")
    assert failed_cleanly(result, "edge 'a' -> 'b' has 'geometry' = 'LINESTRING (1 2, oops)', which is not valid WKT")


@pytest.mark.parametrize(
    ("crs", "message"), [("not-a-crs", "has crs = 'not-a-crs', which is not a CRS"), (None, "has no 'crs'")]
)
def test_osmnx_graphml_crs_must_be_given_and_valid(tmp_path, crs, message):
    G = nx.MultiDiGraph(**({"crs": crs} if crs else {}))
    G.add_node(1, x=105.8, y=21.0)
    G.add_node(2, x=105.82, y=21.0)
    G.add_edge(1, 2, osmid=1, highway="primary")
    path = tmp_path / "osmnx.graphml"
    nx.write_graphml(G, path)
    with pytest.raises(CRSError, match=message):
        read_layer(path, "roads")


def test_wrong_override_types_and_layer_names_are_messages(region):
    with pytest.raises(
        Exception, match=r"layer override gates= is a DataFrame; give a file path or a GeoDataFrame"
    ) as err:
        load_region(gates=pd.DataFrame(region.gates.drop(columns="geometry")))
    assert "geopandas.GeoDataFrame(df, geometry=" in str(err.value)
    with pytest.raises(Exception, match="layer override roads= is a int"):
        load_region(roads=5)
    with pytest.raises(ParameterError, match="unknown layer 'gatez'; layers are: countries"):
        read_layer(REPO / "data" / LAYER_FILES["gates"], "gatez")


# -- 10, 11. options that were checked late or silently ignored ------------------------------


def test_origin_without_graph_and_graph_with_build_options(tmp_path):
    result = run("routes", "--to", "Hanoi", "--origin", "x", "--data", str(tmp_path / "nowhere"))
    assert failed_cleanly(result, "--origin needs --graph")
    G = nx.MultiDiGraph()
    G.add_edge("a", "b", cost=1.0)
    path = tmp_path / "g.graphml"
    nx.write_graphml(G, path)
    for extra in (["--profile", "p.toml"], ["--data", "d"], ["--roads", "r.gpkg"], ["--no-cache"]):
        result = run("routes", "--graph", str(path), "--origin", "a", "--to", "b", *extra)
        assert failed_cleanly(result, f"--graph uses a saved graph, so {extra[0]} would be ignored")


def test_demand_city_that_is_no_place_fails_before_the_build(tmp_path, monkeypatch):
    # no build happened: building or reading the graph fails the test (a time bound failed on a busy machine)
    monkeypatch.setattr("borderwatch.scenario.Scenario.from_region", lambda *a, **k: pytest.fail("graph built"))
    bad = tmp_path / "p.toml"
    bad.write_text('[demand]\n"Atlantis" = 0.1\n')
    result = run("build-network", "--profile", str(bad))
    assert failed_cleanly(result, "key 'demand.Atlantis': 'Atlantis' is not a destination")


# -- 12. predictable names ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("hanoi ", "Hanoi"),
        ("HO   CHI minh city", "Ho Chi Minh City"),
        ("sp-16", "SP-16 Duong Dong (Phu Quoc)"),
        ("china BORDER", "China border"),
    ],
)
def test_names_match_whole_ignoring_case_and_spacing(region, typed, expected):
    ((display, _),) = check_destinations(region, load_profile(), [typed])
    assert display == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("ho", "unknown destination 'ho'; did you mean 'Ho Chi Minh City'"),
        ("Ho Chi Minh", "did you mean 'Ho Chi Minh City'? give the full name or id"),
        ("china", "did you mean 'China border'"),
        ("SP-03", "seaport SP-03 (VICT) exists but is not placed"),
        ("Atlantis", "unknown destination 'Atlantis'; valid names: Hanoi; Ho Chi Minh City"),
    ],
)
def test_partial_and_unplaced_names_are_explained(region, typed, message):
    with pytest.raises(UnknownNameError, match=message.replace("?", r"\?").replace("(", r"\(").replace(")", r"\)")):
        check_destinations(region, load_profile(), [typed])


# -- 13. validate runs the cross-layer checks the other commands rely on ----------------------


def test_validate_needs_every_country_the_commands_use(data_dir, region):
    no_thailand = region.countries[region.countries["iso_a3"] != "THA"]
    result = run("validate", "--data", str(data_dir({LAYER_FILES["countries"]: no_thailand.to_json()})))
    assert failed_cleanly(result, "layer 'countries': no record with iso_a3 = 'THA'")


# -- 14, 15. nothing left behind; GIS-friendly layer names ------------------------------------


def test_stale_temporaries_of_a_killed_writer_are_removed(tmp_path, region):
    out = tmp_path / "gates.gpkg"
    stale = tmp_path / f".gates.gpkg.999999999{PART}.gpkg"
    stale.write_bytes(b"half a file")
    (tmp_path / f"{stale.name}-journal").write_bytes(b"journal")
    write_table(region.gates.iloc[:3], out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gates.gpkg"]


def test_geojson_layer_is_named_after_the_file(tmp_path, region):
    out = write_table(region.gates.iloc[:2], tmp_path / "my_gates.geojson")
    assert json.loads(out.read_text())["name"] == "my_gates"


# (SIGTERM, SIGINT and SIGHUP: tests/test_safety.py)


# -- 16. data never drives the terminal ---------------------------------------------------------


def test_escape_sequences_in_data_are_shown_escaped(data_dir, gates_csv):
    evil = gates_csv.replace("VN-CHN-005,Co Sau,", "VN-CHN-005,Co \x1b]0;pwned\x07Sau\x1b[31m,", 1)
    root = data_dir({LAYER_FILES["gates"]: evil})
    proc = subprocess.run(
        [sys.executable, "-m", "borderwatch", "-v", "gates", "--data", str(root)],  # -v: each placement note logged
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stderr + proc.stdout and "\x07" not in proc.stderr
    assert "gate VN-CHN-005 (Co \\x1b]0;pwned\\x07Sau\\x1b[31m)" in proc.stderr


# -- 17. a plain (non-editable) install has the data ---------------------------------------------


@pytest.mark.slow
def test_wheel_ships_the_data_and_works_when_installed(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", str(tmp_path)], check=True
    )
    (wheel,) = tmp_path.glob("borderwatch-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for rel in [*LAYER_FILES.values(), DEM_FILE]:
        assert f"borderwatch/data/{rel}" in names, rel
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)], check=True
    )
    env = os.environ | {"PYTHONPATH": str(target)}
    env.pop("BORDERWATCH_DATA", None)
    proc = subprocess.run(
        [sys.executable, "-m", "borderwatch", "validate"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("valid: 16 layers")
    where = subprocess.run(
        [sys.executable, "-c", "import borderwatch; print(borderwatch.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    assert where.stdout.startswith(str(target))


# -- 18. the graph cache ---------------------------------------------------------------------------


# (reuse and keys of the cache: tests/test_safety.py)


def test_region_with_in_memory_layers_is_not_cached(region):
    from borderwatch.region import Region

    memory = Region(layers=region.layers, terrain=region.terrain, sources={})
    assert graph_key(memory, load_profile()) is None


# -- 19. help: fast imports, complete text, a way to list names -------------------------------------


def test_help_lists_every_command_whole_with_examples_and_exit_codes():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("build-network", "compare", "gates", "info", "list", "routes", "sweep", "validate"):
        assert f"  {command} " in result.output
    commands = result.output.split("Commands:")[1].split("Examples:")[0]
    assert "..." not in commands  # no help text cut mid-sentence
    assert "Exit codes: 0 success; 1 bad input" in result.output and "Examples:" in result.output
    routes_help = run("routes", "--help").output
    assert "Golden Triangle" in routes_help and "Ho Chi Minh City" in routes_help and "export" in routes_help
    assert "[default: 1; 1<=x<=25]" in routes_help


def test_cli_import_does_not_load_the_heavy_stack():
    heavy = "('geopandas', 'scipy', 'shapely', 'rasterio')"
    code = f"import sys, borderwatch.cli; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_list_destinations_gates_and_seaports():
    result = run("list", "destinations")
    assert result.exit_code == 0 and "Ho Chi Minh City" in result.output and "port:SP-16" in result.output
    gates = json.loads(run("list", "gates", "--json").stdout)
    assert len(gates) == 87 and {"id", "name", "class", "border"} <= set(gates[0])
    ports = run("list", "seaports").output
    assert "SP-03  VICT" in ports and "False" in ports
    assert run("list", "rivers").exit_code == 2


def test_reading_a_missing_graph_is_a_data_file_error(tmp_path):
    from borderwatch import load_graph

    with pytest.raises(DataFileError, match="does not exist"):
        load_graph(tmp_path / "none.graphml")
