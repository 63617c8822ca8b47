"""Layer schemas and validation.

A schema says which columns a layer must have, what values they may hold and
what geometry it carries.  :func:`validate_layer` collects *every* problem of a
layer (it never stops at the first), each naming the layer, the record id, the
column and the bad value, and saying how to fix it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .doors import require

#: The region borderwatch models: (min lon, min lat, max lon, max lat) in EPSG:4326.
REGION_BOUNDS = (92.0, 5.0, 112.0, 27.0)
#: Slack (degrees) for polygon and line layers that were clipped to the region.
BOUNDS_SLACK_DEG = 1e-6
STORAGE_CRS = "EPSG:4326"


class GateClass(StrEnum):
    """Legal class of a Vietnamese border gate (an informal crossing is not a gate)."""

    INTERNATIONAL = "international"
    PRIMARY = "primary"
    SECONDARY = "secondary"


class Neighbour(StrEnum):
    """Vietnam's land neighbours, by ISO 3166 alpha-3 code."""

    LAO = "LAO"
    CHN = "CHN"
    KHM = "KHM"


GATE_CLASSES = tuple(c.value for c in GateClass)
NEIGHBOURS = tuple(n.value for n in Neighbour)


@dataclass(frozen=True)
class LayerSchema:
    """What a valid layer looks like.

    Attributes
    ----------
    name
        Layer name as used in :class:`~borderwatch.io.Region` and error messages.
    geometry
        Allowed geometry family: ``"point"``, ``"line"`` or ``"polygon"``.
    id_column
        Column whose values identify records (must be unique and non-empty);
        ``None`` for layers identified by position.
    columns
        Required columns and their kind: ``"str"``, ``"float"`` or ``"int"``.
    allowed
        For some columns, the set of allowed values.
    positive
        Numeric columns that must be > 0 where present (required or not).
    coords_optional
        Point layers whose records may lack coordinates (e.g. wharfs whose
        position no source gave); such records get an empty geometry.
    worldwide
        Records may lie anywhere on Earth, not only inside the region
        (the overseas destinations of export).
    """

    name: str
    geometry: str
    id_column: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    allowed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    positive: tuple[str, ...] = ()
    coords_optional: bool = False
    worldwide: bool = False


_POINT_PROVENANCE = {"source": "str", "coord_precision_m": "float"}

SCHEMAS: dict[str, LayerSchema] = {
    s.name: s
    for s in [
        LayerSchema("countries", "polygon", "iso_a3", {"iso_a3": "str", "source": "str"}),
        LayerSchema("countries_display", "polygon", "iso_a3", {"iso_a3": "str", "source": "str"}),
        LayerSchema("boundary_lines", "line", None, {"source": "str"}),
        LayerSchema("coastline", "line", None, {"source": "str"}),
        LayerSchema(
            "provinces",
            "polygon",
            "province_id",
            {"province_id": "str", "name": "str", "iso_a3": "str", "source": "str"},
        ),
        LayerSchema(
            "places",
            "point",
            "place_id",
            {"place_id": "str", "name": "str", "iso_a3": "str", **_POINT_PROVENANCE},
            positive=("coord_precision_m",),
        ),
        LayerSchema(
            "roads", "line", "road_id", {"road_id": "str", "country": "str", "road_class": "str", "source": "str"}
        ),
        LayerSchema("rivers", "line", "river_id", {"river_id": "str", "source": "str"}),
        LayerSchema("lakes", "polygon", None, {"source": "str"}),
        LayerSchema(
            "world_ports",
            "point",
            "port_id",
            {"port_id": "str", "name": "str", "country_code": "str", **_POINT_PROVENANCE},
            positive=("coord_precision_m",),
        ),
        LayerSchema(
            "ports_worldwide",
            "point",
            "port_id",
            {"port_id": "str", "name": "str", "country": "str", **_POINT_PROVENANCE},
            positive=("coord_precision_m",),
            worldwide=True,
        ),
        LayerSchema(
            "gates",
            "point",
            "id",
            {"id": "str", "name": "str", "class": "str", "border": "str", "coord_source": "str", **_POINT_PROVENANCE},
            allowed={"class": GATE_CLASSES, "border": NEIGHBOURS},
            positive=("coord_precision_m",),
        ),
        LayerSchema(
            "blos",
            "point",
            "id",
            {
                "id": "str",
                "name": "str",
                "border": "str",
                "associated_gate_id": "str",
                "coord_source": "str",
                **_POINT_PROVENANCE,
            },
            allowed={"border": NEIGHBOURS},
            positive=("coord_precision_m",),
            coords_optional=True,
        ),
        LayerSchema(
            "seaports",
            "point",
            "id",
            {"id": "str", "name": "str", "coord_source": "str", **_POINT_PROVENANCE},
            positive=("coord_precision_m",),
            coords_optional=True,
        ),
        LayerSchema(
            "wharfs",
            "point",
            "id",
            {"id": "str", "name": "str", "country": "str", "coord_source": "str"},
            positive=("coord_precision_m",),
            coords_optional=True,
        ),
        LayerSchema(
            "tripoints",
            "point",
            "id",
            {"id": "str", "name": "str", "countries": "str", "coord_source": "str"},
            positive=("coord_precision_m",),
            coords_optional=True,
        ),
    ]
}

_GEOM_FAMILY = {
    "point": {"Point", "MultiPoint"},
    "line": {"LineString", "MultiLineString"},
    "polygon": {"Polygon", "MultiPolygon"},
}


def record_label(gdf: pd.DataFrame, schema: LayerSchema, pos: int) -> str:
    """How messages name record ``pos``: ``record 'ID'`` by its id, else ``row N`` (1-based)."""
    if schema.id_column and schema.id_column in gdf.columns:
        value = gdf[schema.id_column].iloc[pos]
        if isinstance(value, str) and value:
            return f"record {value!r}"
    return f"row {pos + 1}"


def _is_missing(value: object) -> bool:
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or value is pd.NA
        or (isinstance(value, str) and not value.strip())
    )


def _number_problem(value: object, *, positive: bool) -> str | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "is not a number; give a number"
    if positive and not number > 0:
        return "must be > 0"
    if positive and number == float("inf"):
        return "must be a finite number (metres, km ...); give the value or leave the cell empty"
    return None


def validate_layer(gdf: gpd.GeoDataFrame, schema: LayerSchema) -> list[str]:
    """Return every schema problem of ``gdf`` (an empty list when it is valid).

    Parameters
    ----------
    gdf
        The layer, as read (any CRS; a missing CRS is itself a problem).
    schema
        Its schema, usually ``SCHEMAS[name]``.

    Returns
    -------
    list of str
        One line per problem, naming layer, record, column and value.

    Raises
    ------
    ParameterError
        ``gdf`` is not a GeoDataFrame or ``schema`` not a :class:`LayerSchema` (a wrong argument, not a
        problem of the layer).
    """
    require(gdf, gpd.GeoDataFrame, where="validate_layer", name="gdf", fix="wrap a table with geopandas.GeoDataFrame")
    require(schema, LayerSchema, where="validate_layer", name="schema", fix="give SCHEMAS[layer name]")
    layer = schema.name
    problems: list[str] = []
    if len(gdf) == 0:
        return [f"layer {layer!r}: has no records; give a file with at least one feature"]
    if gdf.crs is None:
        problems.append(
            f"layer {layer!r}: has no CRS; set one (borderwatch stores EPSG:4326), e.g. gdf.set_crs('EPSG:4326')"
        )
    missing = [c for c in schema.columns if c not in gdf.columns]
    for col in missing:
        problems.append(
            f"layer {layer!r}: missing required column {col!r}; add it (required: {', '.join(schema.columns)})"
        )

    for col, kind in schema.columns.items():
        if col in missing:
            continue
        values = gdf[col]
        for pos, value in enumerate(values):
            if _is_missing(value):
                if col == "coord_precision_m" and schema.coords_optional and gdf.geometry.iloc[pos] is None:
                    continue
                problems.append(
                    f"layer {layer!r} {record_label(gdf, schema, pos)}: column {col!r} is empty; give a value"
                )
                continue
            if kind in ("float", "int"):
                problem = _number_problem(value, positive=col in schema.positive)
                if problem:
                    problems.append(
                        f"layer {layer!r} {record_label(gdf, schema, pos)}: column {col!r} = {value!r} {problem}"
                    )
                    continue
            allowed = schema.allowed.get(col)
            if allowed is not None and value not in allowed:
                problems.append(
                    f"layer {layer!r} {record_label(gdf, schema, pos)}: column {col!r} = {value!r} is not one of "
                    f"{', '.join(allowed)}; use one of them"
                )

    # columns that must be > 0 where present, whether required or optional (e.g. a wharf's precision)
    for col in schema.positive:
        if col in schema.columns or col not in gdf.columns:
            continue  # required columns were checked above
        for pos, value in enumerate(gdf[col]):
            problem = None if _is_missing(value) else _number_problem(value, positive=True)
            if problem:
                problems.append(
                    f"layer {layer!r} {record_label(gdf, schema, pos)}: column {col!r} = {value!r} {problem}"
                )

    idc = schema.id_column
    if idc and idc in gdf.columns:
        dup = gdf[idc][gdf[idc].duplicated() & gdf[idc].notna()]
        for value in dict.fromkeys(dup):
            problems.append(f"layer {layer!r}: duplicate id {value!r} in column {idc!r}; ids must be unique")

    problems.extend(_geometry_problems(gdf, schema))
    return problems


def _geometry_problems(gdf: gpd.GeoDataFrame, schema: LayerSchema) -> list[str]:
    layer = schema.name
    problems: list[str] = []
    family = _GEOM_FAMILY[schema.geometry]
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    minx, miny, maxx, maxy = REGION_BOUNDS
    slack = BOUNDS_SLACK_DEG
    check_bounds = gdf.crs is not None and gdf.crs.to_epsg() == 4326 and not schema.worldwide
    # vectorised first pass; only records that fail a test are looked at one by one
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    present = ~missing
    types = np.full(len(geoms), "", dtype=object)
    types[present] = shapely.get_type_id(geoms[present])
    type_names = np.array(
        [
            "Point",
            "LineString",
            "LinearRing",
            "Polygon",
            "MultiPoint",
            "MultiLineString",
            "MultiPolygon",
            "GeometryCollection",
        ]
    )
    names = np.full(len(geoms), "", dtype=object)
    names[present] = type_names[types[present].astype(int)]
    bounds = np.full((len(geoms), 4), np.nan)
    bounds[present] = shapely.bounds(geoms[present])
    finite = np.isfinite(bounds).all(axis=1)
    valid = np.ones(len(geoms), dtype=bool)
    valid[present] = shapely.is_valid(geoms[present])
    outside = check_bounds & (
        (bounds[:, 0] < minx - slack)
        | (bounds[:, 1] < miny - slack)
        | (bounds[:, 2] > maxx + slack)
        | (bounds[:, 3] > maxy + slack)
    )
    suspects = np.flatnonzero(missing | present & (~np.isin(names, list(family)) | ~finite | ~valid | outside))
    for pos in suspects:
        geom = geoms[pos]
        label = record_label(gdf, schema, pos)
        if missing[pos]:
            if not schema.coords_optional:
                what = "coordinates (lat/lon are empty or NaN)" if schema.geometry == "point" else "geometry"
                problems.append(f"layer {layer!r} {label}: has no {what}; give a valid {schema.geometry}")
            continue
        if names[pos] not in family:
            problems.append(f"layer {layer!r} {label}: geometry type {names[pos]!r} is not a {schema.geometry}")
            continue
        if not finite[pos] or not np.isfinite(shapely.get_coordinates(geom)).all():
            problems.append(f"layer {layer!r} {label}: coordinates contain NaN or infinity; fix lat/lon")
            continue
        if not valid[pos]:
            reason = shapely.is_valid_reason(geom)
            problems.append(
                f"layer {layer!r} {label}: invalid {schema.geometry} ({reason}); repair it, e.g. shapely.make_valid"
            )
        if outside[pos]:
            coords = shapely.get_coordinates(geom)
            where = (
                f"lon {float(coords[0, 0])!r}, lat {float(coords[0, 1])!r}"
                if schema.geometry == "point"
                else f"bounds {tuple(round(b, 4) for b in geom.bounds)!r}"
            )
            problems.append(
                f"layer {layer!r} {label}: {where} is outside the region lon {minx}-{maxx} E, lat {miny}-{maxy} "
                "N; check the coordinates (lat/lon swapped?)"
            )
    return problems
