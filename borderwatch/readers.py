"""Read and validate borderwatch layers into a :class:`~borderwatch.region.Region`.

Every layer is stored and exchanged in EPSG:4326.  A layer can come from the
shipped ``data/`` folder or from a user file (GeoPackage, GeoJSON, shapefile, or
CSV with lat/lon columns; roads also an OSMnx GraphML file); either way it is
validated against its schema in :mod:`borderwatch.schema` and all problems are
reported together.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import rasterio.errors
import rasterio.features
import rasterio.warp

from .doors import PATH, require
from .errors import CRSError, DataFileError, ParameterError, ValidationError
from .region import Region, Terrain
from .schema import SCHEMAS, STORAGE_CRS, validate_layer

log = logging.getLogger(__name__)

#: Where each layer lives inside a data folder (the shipped ``data/`` layout).
LAYER_FILES: dict[str, str] = {
    "countries": "boundaries/countries_osm100m.geojson",
    "countries_display": "boundaries/countries_ne10m.geojson",
    "boundary_lines": "boundaries/boundary_lines_ne10m.geojson",
    "coastline": "boundaries/coastline_ne10m.geojson",
    "provinces": "boundaries/provinces.geojson",
    "places": "boundaries/populated_places.geojson",
    "roads": "roads/roads.geojson",
    "rivers": "rivers/rivers.geojson",
    "lakes": "rivers/lakes.geojson",
    "world_ports": "ports/world_ports.geojson",
    "ports_worldwide": "ports/world_ports_all.csv",
    "gates": "gates/border_gates.csv",
    "blos": "gates/blo_sites.csv",
    "seaports": "gates/seaports.csv",
    "wharfs": "gates/mekong_wharfs.csv",
    "tripoints": "gates/tripoints.csv",
}
DEM_FILE = "terrain/dem_etopo5_5arcmin.tif"
LAT_NAMES = ("lat", "latitude", "y")
LON_NAMES = ("lon", "lng", "longitude", "x")


def shipped_data_dir() -> Path:
    """Return the folder of the data shipped with borderwatch.

    The data are package data (``borderwatch/data``, also reached as ``data/``
    at the top of a source checkout), so a plain ``pip install`` has them.

    Returns
    -------
    Path
        ``$BORDERWATCH_DATA`` if set (a folder with the same layout), else the
        installed package's ``data`` folder.
    """
    env = os.environ.get("BORDERWATCH_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent / "data"


def _read_csv_points(path: Path, layer: str) -> gpd.GeoDataFrame:
    try:
        df = pd.read_csv(path, dtype={"id": str})
    except pd.errors.EmptyDataError as exc:
        raise DataFileError(
            f"layer {layer!r}: file {str(path)!r} is empty; give a CSV with a header and lat/lon columns"
        ) from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataFileError(
            f"layer {layer!r}: file {str(path)!r} is not a readable CSV ({exc}); save it as UTF-8 CSV"
        ) from exc
    lower = {c.lower(): c for c in df.columns}
    lat = next((lower[n] for n in LAT_NAMES if n in lower), None)
    lon = next((lower[n] for n in LON_NAMES if n in lower), None)
    if lat is None or lon is None:
        raise ValidationError(
            [
                f"layer {layer!r}: CSV {str(path)!r} has no lat/lon columns (looked for {'/'.join(LAT_NAMES)} and "
                f"{'/'.join(LON_NAMES)}); add them in degrees WGS84"
            ]
        )
    la = pd.to_numeric(df[lat], errors="coerce")
    lo = pd.to_numeric(df[lon], errors="coerce")
    geoms = gpd.points_from_xy(lo, la)
    has = la.notna() & lo.notna()
    geoms = [g if ok else None for g, ok in zip(geoms, has, strict=True)]
    return gpd.GeoDataFrame(df, geometry=geoms, crs=STORAGE_CRS)


def read_layer(path: str | Path, layer: str, *, validate: bool = True) -> gpd.GeoDataFrame:
    """Read one layer from a file, reproject it to EPSG:4326 and validate it.

    Parameters
    ----------
    path
        GeoPackage, GeoJSON, shapefile or CSV (with lat/lon columns, taken as WGS84).
    layer
        Layer name (a key of :data:`borderwatch.schema.SCHEMAS`).
    validate
        Raise :class:`ValidationError` listing every problem (default).

    Returns
    -------
    geopandas.GeoDataFrame
        The layer in EPSG:4326.

    Raises
    ------
    DataFileError
        The file is missing, empty or unreadable.
    CRSError
        The file has no CRS.
    ValidationError
        Records break the schema.
    ParameterError
        ``path`` is not a path, ``layer`` not a layer name, ``validate`` not a bool.
    """
    require(path, PATH, where="read_layer", name="path")
    require(layer, str, where="read_layer", name="layer", fix=f"give one of {', '.join(SCHEMAS)}")
    require(validate, bool, where="read_layer", name="validate")
    _check_layer_name(layer)
    path = Path(path)
    if not path.exists():
        raise DataFileError(f"layer {layer!r}: file {str(path)!r} does not exist; check the path or --data folder")
    if path.stat().st_size == 0:
        raise DataFileError(f"layer {layer!r}: file {str(path)!r} is empty; give a file with at least one feature")
    if path.suffix.lower() in (".csv", ".txt"):
        gdf = _read_csv_points(path, layer)
    elif path.suffix.lower() == ".graphml" and layer == "roads":
        from .network.graphio import read_osmnx_roads  # GraphML reading lives with the graph files

        gdf = read_osmnx_roads(path)
    else:
        try:
            gdf = gpd.read_file(path)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
            raise DataFileError(
                f"layer {layer!r}: cannot read {str(path)!r} ({exc}); give a GeoPackage, GeoJSON or CSV file"
            ) from exc
    if gdf.crs is None:
        raise CRSError(f"layer {layer!r}: file {str(path)!r} has no CRS; assign one (e.g. EPSG:4326) before loading")
    if not gdf.crs.equals(STORAGE_CRS):
        log.info("reprojecting layer %s from %s to %s", layer, gdf.crs.to_string(), STORAGE_CRS)
        gdf = gdf.to_crs(STORAGE_CRS)
    if validate:
        problems = validate_layer(gdf, SCHEMAS[layer])
        if problems:
            raise ValidationError([f"{p} [file {path.name}]" for p in problems])
    return gdf


def _check_layer_name(layer: object) -> None:
    if layer not in SCHEMAS:
        raise ParameterError(f"unknown layer {layer!r}; layers are: {', '.join(SCHEMAS)}")


def read_terrain(path: str | Path) -> Terrain:
    """Read a single-band DEM GeoTIFF, reprojecting it to EPSG:4326 if needed.

    Parameters
    ----------
    path
        A single-band GeoTIFF (any CRS; reprojected to EPSG:4326).

    Raises
    ------
    ParameterError
        ``path`` is not a path.
    DataFileError
        The file is missing or not a readable raster.
    CRSError
        The raster has no CRS.
    """
    path = Path(require(path, PATH, where="read_terrain", name="path", fix="give the DEM GeoTIFF"))
    if not path.exists():
        raise DataFileError(f"DEM file {str(path)!r} does not exist; check the path or --data folder")
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise CRSError(f"DEM {str(path)!r} has no CRS; set one (e.g. gdal_edit.py -a_srs EPSG:4326)")
            band = src.read(1, masked=True).astype("float64").filled(np.nan)
            transform, crs = src.transform, src.crs
    except rasterio.errors.RasterioIOError as exc:
        raise DataFileError(f"DEM {str(path)!r} is not a readable raster ({exc}); give a GeoTIFF") from exc
    if not crs.to_string() == STORAGE_CRS:
        log.info("reprojecting DEM from %s to %s", crs.to_string(), STORAGE_CRS)
        dst_transform, width, height = rasterio.warp.calculate_default_transform(
            crs,
            STORAGE_CRS,
            band.shape[1],
            band.shape[0],
            *rasterio.transform.array_bounds(band.shape[0], band.shape[1], transform),
        )
        out = np.full((height, width), np.nan)
        rasterio.warp.reproject(
            band,
            out,
            src_transform=transform,
            src_crs=crs,
            dst_transform=dst_transform,
            dst_crs=STORAGE_CRS,
            src_nodata=np.nan,
            dst_nodata=np.nan,
        )
        band, transform = out, dst_transform
    return Terrain(elevation_m=band, transform=transform, crs=STORAGE_CRS, path=path)


def load_region(
    data_dir: str | Path | None = None,
    *,
    dem: str | Path | None = None,
    **layer_overrides: str | Path | gpd.GeoDataFrame,
) -> Region:
    """Load and validate every layer of the region.

    Parameters
    ----------
    data_dir
        Folder with the ``data/`` layout; default: the shipped data.
    dem
        Replacement DEM GeoTIFF.
    **layer_overrides
        Replace any layer by name (``gates=``, ``roads=`` ...) with a file path
        or a GeoDataFrame.

    Returns
    -------
    Region

    Raises
    ------
    ParameterError
        ``data_dir`` or ``dem`` is not a path (or None).
    ValidationError
        With every problem of every layer, one per line.
    """
    require(data_dir, (*PATH, None), where="load_region", name="data_dir", fix="give the data folder")
    require(dem, (*PATH, None), where="load_region", name="dem", fix="give the DEM GeoTIFF")
    base = Path(data_dir) if data_dir is not None else shipped_data_dir()
    unknown = set(layer_overrides) - set(LAYER_FILES)
    if unknown:
        raise ValidationError(
            [f"unknown layer override {name!r}; layers are: {', '.join(LAYER_FILES)}" for name in sorted(unknown)]
        )
    layers: dict[str, gpd.GeoDataFrame] = {}
    sources: dict[str, Path] = {}
    problems: list[str] = []
    for name, rel in LAYER_FILES.items():
        given = layer_overrides.get(name)
        if given is not None and not isinstance(given, str | os.PathLike | gpd.GeoDataFrame):
            problems.append(
                f"layer override {name}= is a {type(given).__name__}; give a file path or a GeoDataFrame"
                + (
                    " (wrap a DataFrame with geopandas.GeoDataFrame(df, geometry=..., crs='EPSG:4326'))"
                    if isinstance(given, pd.DataFrame)
                    else ""
                )
            )
            continue
        try:
            if isinstance(given, gpd.GeoDataFrame):
                if given.crs is None:
                    raise CRSError(f"layer {name!r}: GeoDataFrame has no CRS; call .set_crs('EPSG:4326') first")
                gdf = given.to_crs(STORAGE_CRS)
                found = validate_layer(gdf, SCHEMAS[name])
                if found:
                    raise ValidationError(found)
            else:
                path = Path(given) if given is not None else base / rel
                gdf = read_layer(path, name)
                sources[name] = path
        except ValidationError as exc:
            problems.extend(exc.problems)
            continue
        except (DataFileError, CRSError) as exc:
            problems.append(str(exc))
            continue
        layers[name] = gdf
    try:
        terrain = read_terrain(Path(dem) if dem is not None else base / DEM_FILE)
    except (DataFileError, CRSError) as exc:
        problems.append(str(exc))
        terrain = None
    if problems:
        raise ValidationError(problems)
    region = Region(layers=layers, terrain=terrain, sources=sources)
    problems = cross_layer_problems(region)
    if problems:
        raise ValidationError(problems)
    return region


#: Countries the commands rely on: Vietnam and its neighbours (borderlines), Thailand and
#: Myanmar (the Golden Triangle tri-point).
REQUIRED_COUNTRIES = ("VNM", "LAO", "CHN", "KHM", "THA", "MMR")


def cross_layer_problems(region: Region) -> list[str]:
    """Problems that involve two layers, or a layer and the DEM.

    Everything ``info``, ``gates`` and ``build-network`` rely on beyond each
    layer's schema: the countries they need, BLO gate references, and a DEM
    with valid elevations on the region's land.

    Parameters
    ----------
    region
        A region whose layers each passed their schema.

    Returns
    -------
    list of str
        One line per problem.
    """
    problems = []
    present = set(region.countries["iso_a3"])
    for iso in REQUIRED_COUNTRIES:
        if iso not in present:
            problems.append(
                f"layer 'countries': no record with iso_a3 = {iso!r}; the layer must hold "
                f"{', '.join(REQUIRED_COUNTRIES)} (Vietnam, its neighbours, and Thailand and Myanmar for the "
                "Golden Triangle tri-point)"
            )
    gate_ids = set(region.gates["id"])
    for _, blo in region.blos.iterrows():
        gid = blo["associated_gate_id"]
        if isinstance(gid, str) and gid and gid not in gate_ids:
            problems.append(
                f"layer 'blos' record {blo['id']!r}: column 'associated_gate_id' = {gid!r} is not a gate id; use an "
                "id from layer 'gates'"
            )
    problems.extend(dem_problems(region))
    return problems


def dem_problems(region: Region) -> list[str]:
    """Whether the DEM has valid elevations where the region has land.

    Parameters
    ----------
    region
        The region.

    Returns
    -------
    list of str
        A problem when every cell is NaN/nodata or no land cell has a value.
        (NaN cells on land among valid ones are filled when the lattice is
        built, and reported there.)
    """
    dem = region.terrain
    valid = np.isfinite(dem.elevation_m)
    if not valid.any():
        return [
            f"DEM {str(dem.path)!r}: every cell is NaN or nodata; give a DEM with elevations (e.g. the shipped ETOPO5)"
        ]
    land = rasterio.features.geometry_mask(
        region.countries.geometry.values, out_shape=dem.shape, transform=dem.transform, invert=True
    )
    if land.any() and not (valid & land).any():
        return [
            f"DEM {str(dem.path)!r}: none of its {int(land.sum())} cells on land has an elevation (all NaN or nodata); "
            "give a DEM that covers the region"
        ]
    return []
