"""Build the shipped ``data/`` folder from the raw regional geodata.

Run by developers, not at run time::

    python scripts/build_data.py --raw ../shared/data-raw --out data

Every output is a plain copy or a documented, deterministic transformation of a
raw file (column selection and renaming, merging the Vietnamese, Lao and
Cambodian province layers, merging better gate positions).  The outputs are
committed; nothing in the package reads the raw folder.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd

EXTRA_POSITION_SKIP = "CORROBORATION ONLY"


def _write_geojson(gdf: gpd.GeoDataFrame, path: Path) -> None:
    path.unlink(missing_ok=True)
    gdf.to_file(path, driver="GeoJSON", COORDINATE_PRECISION=7)
    print(f"wrote {path} ({len(gdf)} features)")


def build_boundaries(raw: Path, out: Path) -> None:
    osm = gpd.read_file(raw / "osm_countries_land_100m_geomaps.geojson")
    osm["source"] = "OpenStreetMap via @geo-maps/countries-land-100m@0.6.0 (ODbL 1.0)"
    _write_geojson(osm[["iso_a3", "source", "geometry"]], out / "countries_osm100m.geojson")

    ne = gpd.read_file(raw / "ne10m_admin0_countries_worldatlas.geojson")
    ne["source"] = "Natural Earth 1:10m admin-0 v4.1.0 via world-atlas@2.0.2 (public domain)"
    _write_geojson(ne[["iso_a3", "name", "source", "geometry"]], out / "countries_ne10m.geojson")

    lines = gpd.read_file(raw / "ne10m_admin0_boundary_lines_land.geojson")
    lines["source"] = "Natural Earth 1:10m admin-0 boundary lines (land) v4.0.0 (public domain)"
    _write_geojson(
        lines[["name", "adm0_a3_l", "adm0_a3_r", "source", "geometry"]],
        out / "boundary_lines_ne10m.geojson",
    )

    coast = gpd.read_file(raw / "ne10m_coastline.geojson")
    coast["source"] = "Natural Earth 1:10m coastline v4.0.0 (public domain)"
    _write_geojson(coast[["scalerank", "source", "geometry"]], out / "coastline_ne10m.geojson")

    vnm = gpd.read_file(raw / "admin1_vnm_odm.geojson")
    vnm = vnm.assign(
        province_id="VNM-" + vnm["gid"].astype(int).astype(str).str.zfill(2),
        source="Open Development Mekong / Dept. of Survey and Mapping (CC BY-SA 4.0)",
    )
    lao = gpd.read_file(raw / "admin1_lao_geoboundaries.geojson")
    lao = lao.assign(
        province_id=lao["shapeISO"].fillna(lao["shapeID"]),
        name=lao["shapeName"],
        iso_a3="LAO",
        source="geoBoundaries gbOpen LAO ADM1, OpenStreetMap (ODbL 1.0)",
    )
    khm = gpd.read_file(raw / "admin1_khm_geoboundaries.geojson")
    khm = khm.assign(
        province_id=khm["shapeISO"].fillna(khm["shapeID"]),
        name=khm["shapeName"],
        iso_a3="KHM",
        source="geoBoundaries gbOpen KHM ADM1, OpenStreetMap (ODbL 1.0)",
    )
    cols = ["province_id", "name", "iso_a3", "source", "geometry"]
    prov = pd.concat([vnm[cols], lao[cols], khm[cols]], ignore_index=True)
    prov = gpd.GeoDataFrame(prov, geometry="geometry", crs="EPSG:4326")
    dup = prov["province_id"].duplicated(keep=False)
    prov.loc[dup, "province_id"] = (
        prov.loc[dup, "province_id"] + "-" + prov.loc[dup].groupby("province_id").cumcount().astype(str)
    )
    _write_geojson(prov, out / "provinces.geojson")

    places = gpd.read_file(raw / "ne10m_populated_places.geojson")
    places = gpd.GeoDataFrame(
        {
            "place_id": ["NE-" + str(i) for i in range(len(places))],
            "name": places["NAMEASCII"],
            "name_local": places["NAME"],
            "iso_a3": places["ADM0_A3"],
            "adm1": places["ADM1NAME"],
            "scalerank": places["SCALERANK"],
            "pop_max": places["POP_MAX"] if "POP_MAX" in places else None,
            "source": "Natural Earth 1:10m populated places v4.0.0 (public domain)",
            "coord_precision_m": 2000.0,
        },
        geometry=places.geometry,
        crs="EPSG:4326",
    )
    _write_geojson(places, out / "populated_places.geojson")


def build_roads(raw: Path, out: Path) -> None:
    lao = gpd.read_file(raw / "roads_lao_osm2014_primary_secondary.geojson")
    lao = gpd.GeoDataFrame(
        {
            "road_id": "LAO-OSM-" + lao["osm_id"].astype(str),
            "country": "LAO",
            "road_class": lao["highway"],
            "ref": lao["ref"],
            "name": lao["name_en"].fillna(lao["name"]),
            "source": "OpenStreetMap 2014 extract via syldor/syldor.github.io (ODbL 1.0)",
        },
        geometry=lao.geometry,
        crs="EPSG:4326",
    )
    vnm = gpd.read_file(raw / "roads_vnm_national_legocity.geojson")
    vn_class = {"Quốc Gia": "national", "Asean": "asean", "Cấp Tỉnh": "provincial", "Cấp Huyện": "district"}
    vnm = gpd.GeoDataFrame(
        {
            "road_id": "VNM-GT-" + vnm["gid"].astype(int).astype(str),
            "country": "VNM",
            "road_class": vnm["cap_duong"].map(vn_class),
            "ref": vnm["ma"],
            "name": vnm["ten"],
            "source": "CTU-SematX/LegoCity giaothong layer (CC BY-SA 4.0 stated; upstream unverified)",
        },
        geometry=vnm.geometry,
        crs="EPSG:4326",
    )
    detailed = gpd.GeoDataFrame(pd.concat([lao, vnm], ignore_index=True), geometry="geometry", crs="EPSG:4326")
    countries = gpd.read_file(raw / "osm_countries_land_100m_geomaps.geojson")
    ne = natural_earth_roads(raw, detailed, countries)
    roads = gpd.GeoDataFrame(pd.concat([detailed, ne], ignore_index=True), geometry="geometry", crs="EPSG:4326")
    dup = roads["road_id"].duplicated(keep=False)
    roads.loc[dup, "road_id"] = (
        roads.loc[dup, "road_id"] + "-" + roads.loc[dup].groupby("road_id").cumcount().astype(str)
    )
    _write_geojson(roads, out / "roads.geojson")


#: Natural Earth roads are kept whole in these countries (no detailed layer there) ...
NE_WHOLE = ("KHM", "THA", "MMR", "CHN")
#: ... and only where they fill a gap in these (no detailed road within NE_GAP_M).
NE_GAP_FILL = ("LAO", "VNM")
NE_GAP_M = 2000.0
#: A Natural Earth end this close to a detailed road (and not on another line) is joined to it.
NE_JOIN_M = 2500.0
NE_MIN_PIECE_M = 1000.0
NE_SOURCE = "Natural Earth 1:10m roads (public domain); vector tiles by Lukas Martinelli (naturalearthtiles, ODbL)"


def natural_earth_roads(raw: Path, detailed: gpd.GeoDataFrame, countries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Natural Earth trunk roads: whole in NE_WHOLE, gap-filling in NE_GAP_FILL, country from the OSM polygons.

    Each line is cut by the measuring country polygons and takes the country it lies in.
    A Lao or Vietnamese piece is kept only where it lies farther than NE_GAP_M from every
    detailed road (pieces shorter than NE_MIN_PIECE_M are dropped).  An end of a kept piece
    that touches no other line but lies within NE_JOIN_M of a detailed road is joined to the
    nearest point of that road by a straight segment, so the gap-filler is part of the network;
    ends short of another Natural Earth road are joined the same way (see _join_dangling_ends).
    """
    import numpy as np
    import shapely

    from borderwatch.geodesy import geodesic_length_m, to_degrees, to_metres

    ne = gpd.read_file(raw / "roads_ne10m_z7tiles.geojson").explode(index_parts=False, ignore_index=True)
    ne_m = to_metres(ne.geometry.values)
    detailed_m = shapely.union_all(to_metres(detailed.geometry.values))
    near_detailed = detailed_m.buffer(NE_GAP_M)
    pieces, classes, isos = [], [], []
    for iso in (*NE_WHOLE, *NE_GAP_FILL):
        poly = to_metres(shapely.union_all(countries.loc[countries["iso_a3"] == iso].geometry.values))
        for geom, kind in zip(shapely.intersection(ne_m, poly), ne["type"], strict=True):
            if iso in NE_GAP_FILL:
                geom = geom.difference(near_detailed)
            for part in shapely.get_parts(shapely.line_merge(geom) if not geom.is_empty else geom):
                if part.geom_type == "LineString" and part.length >= NE_MIN_PIECE_M:
                    pieces.append(part)
                    classes.append("trunk" if kind == "Major Highway" else "primary")
                    isos.append(iso)
    joined = _join_dangling_ends(pieces, detailed_m)
    out = gpd.GeoDataFrame(
        {
            "road_id": [f"NE-{iso}-{k:04d}" for k, iso in enumerate(isos)],
            "country": isos,
            "road_class": classes,
            "ref": None,
            "name": None,
            "source": NE_SOURCE,
        },
        geometry=list(to_degrees(np.asarray(pieces, dtype=object))),
        crs="EPSG:4326",
    )
    km = out.assign(km=[geodesic_length_m(g) / 1000.0 for g in out.geometry]).groupby("country")["km"].sum()
    print("Natural Earth roads added (km):", {c: round(v, 1) for c, v in km.items()}, f"total {km.sum():,.1f}")
    print(f"Natural Earth road ends joined to the nearest road within {NE_JOIN_M:.0f} m: {joined}")
    return out


def _join_dangling_ends(pieces: list, detailed_m) -> int:
    """Join each Natural Earth end that touches no line to the nearest other road within NE_JOIN_M.

    Natural Earth 1:10m roads stop short of the roads they meet (about 0.5-2 km gaps at
    junctions, from generalisation); a straight segment to the nearest point of the nearest
    other road (detailed or Natural Earth) closes the gap.  Returns how many ends were joined.
    """
    import shapely
    import shapely.ops

    tree = shapely.STRtree(pieces)
    joined = 0
    for k, line in enumerate(pieces):
        coords = list(line.coords)
        for at in (0, -1):
            end = shapely.Point(coords[at])
            near = [j for j in tree.query(end, predicate="dwithin", distance=NE_JOIN_M) if j != k]
            if any(pieces[j].distance(end) < 50.0 for j in near) or detailed_m.distance(end) < 50.0:
                continue  # already on the network
            candidates = [pieces[j] for j in near]
            if detailed_m.distance(end) <= NE_JOIN_M:
                candidates.append(detailed_m)
            if not candidates:
                continue  # a real dead end
            other = min(candidates, key=lambda g: g.distance(end))
            # not other.interpolate(other.project(end)): on the union of the detailed roads (a MultiLineString)
            # that walked to a point far away (seven ends joined 9.7 to 1,302 km off, phantom straight roads)
            target = shapely.ops.nearest_points(other, end)[0]
            if target.distance(end) > NE_JOIN_M + 1.0:
                raise RuntimeError(f"Natural Earth end {end} would join {target.distance(end):.0f} m away")
            coords = [(target.x, target.y), *coords] if at == 0 else [*coords, (target.x, target.y)]
            joined += 1
        pieces[k] = shapely.LineString(coords)
    return joined


def build_rivers(raw: Path, out: Path) -> None:
    rivers = gpd.read_file(raw / "ne10m_rivers_lake_centerlines.geojson")
    rivers = gpd.GeoDataFrame(
        {
            "river_id": ["NE-RIV-" + str(i) for i in range(len(rivers))],
            "name": rivers["name"],
            "featurecla": rivers["featurecla"],
            "scalerank": rivers["scalerank"],
            "source": "Natural Earth 1:10m rivers and lake centerlines v4.0.0 (public domain)",
        },
        geometry=rivers.geometry,
        crs="EPSG:4326",
    )
    _write_geojson(rivers, out / "rivers.geojson")
    lakes = gpd.read_file(raw / "ne10m_lakes.geojson")
    lakes["source"] = "Natural Earth 1:10m lakes v4.0.0 (public domain)"
    _write_geojson(lakes[["name", "source", "geometry"]], out / "lakes.geojson")


def build_ports(raw: Path, out: Path) -> None:
    wpi = gpd.read_file(raw / "wpi_ports_nga_pub150.geojson")
    wpi = wpi.assign(
        port_id="WPI-" + wpi["world_port_index_number"].astype(int).astype(str),
        name=wpi["main_port_name"],
        source="NGA World Port Index (Pub. 150), public domain",
        coord_precision_m=2000.0,
    )
    cols = [
        "port_id",
        "name",
        "country_code",
        "un_locode",
        "harbor_size",
        "harbor_type",
        "source",
        "coord_precision_m",
        "geometry",
    ]
    _write_geojson(wpi[cols], out / "world_ports.geojson")
    world = pd.read_csv(raw / "wpi_ports_world_nga_pub150.csv", dtype={"wpi_number": int})
    world = pd.DataFrame(
        {
            "port_id": "WPI-" + world["wpi_number"].astype(str),
            "name": world["main_port_name"],
            "alternate_name": world["alternate_port_name"],
            "country": world["country"],
            "unlocode": world["unlocode"],
            "harbor_size": world["harbor_size"],
            "lat": world["latitude"].round(6),
            "lon": world["longitude"].round(6),
            "coord_source": "NGA World Port Index (Pub. 150), 1 arc-minute",
            "coord_precision_m": 2000.0,
            "source": "NGA World Port Index (Pub. 150), public domain",
        }
    )
    repeat = world.groupby("port_id").cumcount()  # four WPI numbers appear twice in the source
    world.loc[repeat > 0, "port_id"] += "-" + repeat[repeat > 0].astype(str)
    world.to_csv(out / "world_ports_all.csv", index=False)
    print(f"wrote {out / 'world_ports_all.csv'} ({len(world)} ports)")


def merge_gate_positions(gates: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    """Use the better GeoNames positions, keeping the table's own coordinate beside them."""
    gates = gates.copy()
    gates["table_lat"] = gates["lat"]
    gates["table_lon"] = gates["lon"]
    gates["table_coord_source"] = gates["coord_source"]
    gates["table_coord_precision_m"] = gates["coord_precision_m"]
    gates["position_source"] = "border_gates.csv"
    gates["source_record_id"] = ""
    usable = extra[~extra["notes"].fillna("").str.contains(EXTRA_POSITION_SKIP)]
    idx = gates.set_index("id").index
    missing = set(usable["id"]) - set(idx)
    if missing:
        raise SystemExit(f"gate_positions_extra.csv names unknown gate ids {sorted(missing)}")
    for _, row in usable.iterrows():
        i = gates.index[gates["id"] == row["id"]][0]
        gates.loc[i, ["lat", "lon"]] = [row["lat"], row["lon"]]
        gates.loc[i, "coord_source"] = f"{row['source']}; {row['notes']}"
        gates.loc[i, "coord_precision_m"] = row["coord_precision_m"]
        gates.loc[i, "position_source"] = "gate_positions_extra.csv"
        gates.loc[i, "source_record_id"] = row["source_record_id"]
    print(f"merged {len(usable)} better gate positions ({len(extra) - len(usable)} corroboration-only rows kept out)")
    return gates


def build_gates(raw: Path, out: Path) -> None:
    gates = pd.read_csv(raw / "gates" / "border_gates.csv")
    extra = pd.read_csv(raw / "gates" / "gate_positions_extra.csv")
    gates = merge_gate_positions(gates, extra)
    gates["source"] = "borderwatch raw gate tables (see data/gates/README.md; class_source codes)"
    gates.to_csv(out / "border_gates.csv", index=False)
    print(f"wrote {out / 'border_gates.csv'} ({len(gates)} rows)")
    for name in ["blo_sites.csv", "seaports.csv", "mekong_wharfs.csv", "tripoints.csv"]:
        table = pd.read_csv(raw / "gates" / name)
        if "source" not in table.columns:
            table["source"] = table["coord_source"]
        table.to_csv(out / name, index=False)
        print(f"wrote {out / name} ({len(table)} rows)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared" / "data-raw")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "data")
    args = parser.parse_args()
    raw, out = args.raw.resolve(), args.out.resolve()
    for sub in ["boundaries", "gates", "roads", "rivers", "terrain", "ports"]:
        (out / sub).mkdir(parents=True, exist_ok=True)
    build_boundaries(raw, out / "boundaries")
    build_roads(raw, out / "roads")
    build_rivers(raw, out / "rivers")
    build_ports(raw, out / "ports")
    build_gates(raw, out / "gates")
    shutil.copyfile(raw / "dem_etopo5_5arcmin.tif", out / "terrain" / "dem_etopo5_5arcmin.tif")
    print(f"wrote {out / 'terrain' / 'dem_etopo5_5arcmin.tif'}")


if __name__ == "__main__":
    main()
