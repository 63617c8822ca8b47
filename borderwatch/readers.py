"""Read and validate borderwatch layers into a :class:`~borderwatch.region.Region`.

Every layer is stored and exchanged in EPSG:4326.  A layer can come from the
shipped ``data/`` folder or from a user file (GeoPackage, GeoJSON, shapefile, or
CSV with lat/lon columns; roads also an OSMnx GraphML file); either way it is
validated against its schema in :mod:`borderwatch.schema` and all problems are
reported together.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import rasterio.errors
import rasterio.warp

from .doors import PATH, require
from .errors import CRSError, DataFileError, ParameterError, ValidationError
from .preflight import cross_layer_problems
from .region import Region, Terrain
from .schema import SCHEMAS, STORAGE_CRS, record_label, validate_layer

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


def check_file(path: Path, what: str, *, missing_hint: str = "check the path") -> None:
    """Refuse a path that is not a file, saying what it is instead.

    Parameters
    ----------
    path
        The path.
    what
        How messages name it, e.g. ``"layer 'gates': file"``.
    missing_hint
        The fix a message for a missing file gives.

    Raises
    ------
    DataFileError
        The path does not exist, is a dangling or looping symbolic link, or a
        folder.
    """
    where = f"{what} {str(path)!r}"
    try:
        info = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DataFileError(
                f"{where} is a symbolic link loop (it leads back to itself); point the link at a real file"
            ) from None
        if path.is_symlink():
            raise DataFileError(
                f"{where} is a symbolic link to {os.readlink(path)!r}, which does not exist; fix or remove the link"
            ) from None
        if exc.errno == errno.ENOENT:
            raise DataFileError(f"{where} does not exist; {missing_hint}") from None
        raise DataFileError(f"{where} cannot be read ({exc.strerror}); check its permissions") from None
    if stat.S_ISDIR(info.st_mode):
        raise DataFileError(f"{where} is a folder, not a file; give the file itself")


def _coordinate_problems(df: pd.DataFrame, columns: tuple[str, str], layer: str) -> list[str]:
    """List each value of a lat/lon column that is neither empty nor a number (``abc``, ``20°50'12"N``)."""
    problems = []
    for col in columns:
        text = df[col].astype("string").str.strip()
        bad = text.notna() & (text != "") & pd.to_numeric(text, errors="coerce").isna()
        for pos in np.flatnonzero(bad.to_numpy()):
            value = df[col].iloc[pos]
            problems.append(
                f"layer {layer!r} {record_label(df, SCHEMAS[layer], pos)}: column {col!r} = {value!r} is not a "
                "number; give decimal degrees WGS84 (e.g. 20.8367, not 20°50'12\"N)"
            )
    return problems


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
    problems = _coordinate_problems(df, (lat, lon), layer)
    if problems:
        raise ValidationError(problems)
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
        A file with several layers is read from the one named ``layer``.
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
        The file is missing (or a dangling or looping link), a folder, empty or
        unreadable, or has several layers none of which is named ``layer``.
    CRSError
        The file has no CRS.
    ValidationError
        Records break the schema.
    ParameterError
        ``layer`` is not a layer name, ``path`` is not a path, or ``validate`` not a bool.
    """
    require(layer, str, where="read_layer", name="layer", fix=f"give one of {', '.join(SCHEMAS)}")
    require(validate, bool, where="read_layer", name="validate")
    _check_layer_name(layer)
    path = _as_path(path, "path", where="read_layer")
    check_file(path, f"layer {layer!r}: file", missing_hint="check the path or --data folder")
    if path.stat().st_size == 0:
        raise DataFileError(f"layer {layer!r}: file {str(path)!r} is empty; give a file with at least one feature")
    if path.suffix.lower() in (".csv", ".txt"):
        gdf = _read_csv_points(path, layer)
    elif path.suffix.lower() == ".graphml" and layer == "roads":
        from .network.graphio import read_osmnx_roads  # GraphML reading lives with the graph files

        gdf = read_osmnx_roads(path)
    else:
        try:
            gdf = gpd.read_file(path, layer=_file_layer(path, layer))
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


def _file_layer(path: Path, layer: str) -> str | None:
    """Return the layer of a multi-layer file (GeoPackage) to read: the one named ``layer``; ``None``: the only one."""
    if _single_layer_format(path):
        return None  # listing the layers of a GeoJSON file parses it all once more (0.4 s for the shipped data)
    try:
        names = [str(name) for name, _ in pyogrio.list_layers(path)]
    except pyogrio.errors.DataSourceError:
        return None  # read_file reports the unreadable file
    if len(names) <= 1 or layer in names:
        return layer if layer in names else None
    raise DataFileError(
        f"layer {layer!r}: file {str(path)!r} has {len(names)} layers: {', '.join(names)}; borderwatch reads the one "
        f"named {layer!r}: rename the layer you mean (e.g. ogr2ogr -nln {layer}) or save it alone in a file"
    )


#: How far GDAL looks into a JSON file to tell TopoJSON (several layers) from GeoJSON; we look further.
_JSON_SNIFF_BYTES = 1 << 16


def _single_layer_format(path: Path) -> bool:
    """Whether ``path`` is of a format that holds exactly one layer: a shapefile, or GeoJSON (not TopoJSON)."""
    suffix = path.suffix.lower()
    if suffix == ".shp":
        return True
    if suffix != ".geojson":
        return False
    with open(path, "rb") as fh:
        return b"Topology" not in fh.read(_JSON_SNIFF_BYTES)


def _as_path(value: object, name: str, *, where: str) -> Path:
    return Path(require(value, PATH, where=where, name=name, fix="give a file or folder path"))


def _check_layer_name(layer: object) -> None:
    if layer not in SCHEMAS:
        raise ParameterError(f"unknown layer {layer!r}; layers are: {', '.join(SCHEMAS)}")


def read_terrain(path: str | Path) -> Terrain:
    """Read a single-band DEM GeoTIFF, reprojecting it to EPSG:4326 if needed.

    Parameters
    ----------
    path
        A single-band GeoTIFF (any CRS; reprojected to EPSG:4326), its nodata
        value declared if it has one.

    Raises
    ------
    DataFileError
        The file is missing, a folder, not a readable raster, or has more than one band.
    CRSError
        The raster has no CRS.
    ParameterError
        ``path`` is not a path.
    """
    path = _as_path(path, "path", where="read_terrain")
    check_file(path, "DEM file", missing_hint="check the path or --data folder")
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise CRSError(f"DEM {str(path)!r} has no CRS; set one (e.g. gdal_edit.py -a_srs EPSG:4326)")
            if src.count != 1:
                raise DataFileError(
                    f"DEM {str(path)!r} has {src.count} bands; give a single-band DEM of elevations in metres "
                    "(e.g. gdal_translate -b 1 IN OUT)"
                )
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
    return Terrain(elevation_m=band, transform=transform, crs=STORAGE_CRS, path=path, source_crs=crs.to_string())


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
    ValidationError
        With every problem of every layer, one per line, and of the checks
        across layers and the DEM (:func:`borderwatch.preflight.cross_layer_problems`).
    DataFileError
        ``data_dir`` does not exist or is not a folder.
    ParameterError
        ``data_dir`` or ``dem`` is not a path.
    """
    base = _as_path(data_dir, "data_dir", where="load_region") if data_dir is not None else shipped_data_dir()
    dem_path = _as_path(dem, "dem", where="load_region") if dem is not None else base / DEM_FILE
    if not base.is_dir():
        what = "is not a folder" if base.exists() else "does not exist"
        raise DataFileError(f"data folder {str(base)!r} {what}; give a folder with the layout of the shipped data/")
    if not any((base / rel).exists() for rel in [*LAYER_FILES.values(), DEM_FILE]):
        raise DataFileError(
            f"data folder {str(base)!r} holds none of the layer files ({str(base / LAYER_FILES['countries'])!r} does "
            "not exist, nor any other); give a folder with the layout of the shipped data/"
        )
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
        terrain = read_terrain(dem_path)
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
