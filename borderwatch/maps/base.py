"""The base map every other layer is drawn on, and what the layer builders share.

:func:`base_map` makes the offline page (inlined Leaflet, a vector basemap of
countries and provinces, a legend, a scale bar and a title box); every layer
builder (:mod:`.data_layers`, :mod:`.analysis_layers`, :mod:`.compare_map`)
adds one toggleable :class:`folium.FeatureGroup` to a map and returns it, in
the style of ``GeoDataFrame.explore(m=...)``, and explains what it draws in
the map's legend.  :func:`save_map` writes any map atomically.
"""

from __future__ import annotations

import html
import weakref
from datetime import date
from pathlib import Path
from typing import Any

import folium
import pandas as pd
import shapely
from branca.element import Element

from ..doors import PATH, require
from ..errors import ParameterError
from ..region import Region
from ..scenario import Scenario
from .assets import OfflineMap
from .layers import add_layer, feature
from .symbols import COLOURS, STYLE, Legend, TitleBox

#: Simplification tolerances for display (degrees; 0.002 is about 200 m).
BASEMAP_TOLERANCE_DEG = 0.004
LINE_TOLERANCE_DEG = 0.001
#: The basemap is clipped to this box (lon/lat) around the routes' region.
DISPLAY_BOUNDS = (95.0, 4.0, 115.0, 27.0)
#: Country names written on the basemap.
COUNTRY_LABELS = {
    "VNM": "Vietnam",
    "LAO": "Laos",
    "KHM": "Cambodia",
    "CHN": "China",
    "THA": "Thailand",
    "MMR": "Myanmar",
}
#: Online tile layers offered by ``tiles=`` (the page then needs the network).
ONLINE_TILES = ("OpenStreetMap", "CartoDB positron")
#: The title of the region map.
DEFAULT_TITLE = "borderwatch: trafficking routes into Vietnam"


def base_map(
    scenario: Scenario | Region,
    *,
    tiles: str | None = None,
    title: str = DEFAULT_TITLE,
    note: str | None = None,
) -> folium.Map:
    """Start an offline map of the region: basemap, legend, scale bar and title, with no data layers yet.

    The page inlines Leaflet and loads nothing from the network (unless
    ``tiles`` asks for an online background).  Add layers with the layer
    builders (:func:`~borderwatch.maps.gates_layer`, :func:`~borderwatch.maps.routes_layer`
    ...), or with ``GeoDataFrame.explore(m=m)``; each builder explains what
    it draws in the legend.  The layer control is added when the page is
    rendered, after every layer.

    Parameters
    ----------
    scenario
        A :class:`~borderwatch.Scenario` with its region, or a
        :class:`~borderwatch.Region` (the data only).
    tiles
        None (default): no tile layer, the page loads nothing from the network.
        Or one of :data:`ONLINE_TILES`, added as an optional background that
        needs the internet.
    title
        The title shown on the map.
    note
        The line under the title (default: today's date, where the data came
        from and the scenario's name when it has edits).

    Returns
    -------
    folium.Map
        With two layers, ``Countries`` and ``Provinces``.

    Raises
    ------
    ParameterError
        An unknown ``tiles`` name, or a scenario without a region.

    Examples
    --------
    >>> import borderwatch as bw
    >>> from borderwatch.maps import base_map, gates_layer, save_map
    >>> region = bw.load_region()  # doctest: +SKIP
    >>> m = base_map(region, title="Border gates")  # doctest: +SKIP
    >>> gates_layer(m, region)  # doctest: +SKIP
    <folium.map.FeatureGroup object at ...>
    >>> save_map(m, "gates.html")  # doctest: +SKIP
    """
    if tiles is not None and tiles not in ONLINE_TILES:
        raise ParameterError(f"tiles must be None (offline) or one of {', '.join(ONLINE_TILES)}, got {tiles!r}")
    region, sc = parts(scenario, "base_map")
    m = OfflineMap(location=[16.0, 105.5], zoom_start=6, tiles=None, control_scale=True, prefer_canvas=False)
    m.get_root().header.add_child(Element(STYLE), name="bw_style")
    if tiles is not None:
        folium.TileLayer(tiles, name=f"{tiles} (online)", show=False).add_to(m)
    _basemap(m, region)
    m.add_child(Legend())
    if note is None:
        from ..report import data_origin

        note = f"{date.today().isoformat()} · {data_origin(region)}"
        if sc is not None and sc.edits:
            note += f" · scenario: {sc.name}"
    m.add_child(TitleBox(title, note))
    bounds = region.countries.loc[region.countries["iso_a3"] == "VNM"].total_bounds
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    return m


def save_map(m: folium.Map, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a map as one self-contained HTML file, atomically.

    Parameters
    ----------
    m
        From :func:`~borderwatch.maps.region_map`, :func:`base_map` or
        :func:`~borderwatch.maps.comparison_map`.
    path
        The ``.html`` file.
    overwrite
        Replace an existing file.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ParameterError
        ``m`` is not a map, ``path`` not a path, ``overwrite`` not a bool; not an ``.html`` name.
    OutputError
        The file exists (without ``overwrite``) or cannot be written.

    Examples
    --------
    >>> save_map(region_map(region), "map.html", overwrite=True)  # doctest: +SKIP
    PosixPath('map.html')
    """
    from ..output import write_atomic

    require(m, folium.Map, where="save_map", name="m", fix="give the map region_map() or comparison_map() made")
    require(overwrite, bool, where="save_map", name="overwrite")
    path = Path(require(path, PATH, where="save_map", name="path"))
    if path.suffix.lower() not in (".html", ".htm"):
        raise ParameterError(f"map file {str(path)!r}: give an .html file name")
    page = m.get_root().render()
    write_atomic(path, lambda tmp: tmp.write_text(page, encoding="utf-8"), overwrite=overwrite)
    return path


# ---------------------------------------------------------------------------- shared by the builders


def parts(source: Any, what: str) -> tuple[Region, Scenario | None]:
    """Return the region and (if given) the scenario a layer draws from.

    Parameters
    ----------
    source
        A :class:`~borderwatch.Scenario` with a region, or a :class:`~borderwatch.Region`.
    what
        The builder (for messages).

    Returns
    -------
    region, scenario or None

    Raises
    ------
    ParameterError
        Neither, or a scenario without a region.
    """
    if isinstance(source, Scenario):
        if source.region is None:
            raise ParameterError(
                f"{what} needs the region of the scenario; build it with Scenario.from_region(...) or "
                "Scenario.from_graph(G, region=...)"
            )
        return source.region, source
    if isinstance(source, Region):
        return source, None
    raise ParameterError(f"{what} takes a borderwatch.Scenario or Region, got {type(source).__name__}")


def need_scenario(source: Any, what: str) -> Scenario:
    """Return the scenario a layer needs (its graph, segments or gates), or raise a clear error.

    Parameters
    ----------
    source
        A :class:`~borderwatch.Scenario`.
    what
        The builder (for messages).

    Returns
    -------
    Scenario
    """
    if not isinstance(source, Scenario):
        raise ParameterError(
            f"{what} needs the borderwatch.Scenario the result was computed on (for its graph and border "
            f"segments), got {type(source).__name__}"
        )
    return source


def placed_gates(source: Scenario | Region) -> pd.DataFrame:
    """Return the placed gate table with ``closed`` and ``inspected`` (false for a region without edits).

    Parameters
    ----------
    source
        A scenario or a region.

    Returns
    -------
    pandas.DataFrame
    """
    region, sc = parts(source, "the gates")
    if sc is not None:
        return sc.gates
    from ..gates import place_gates

    return place_gates(region).assign(closed=False, inspected=False)


def explain(m: folium.Map, key: str, heading: str, entries: list[tuple[str, str]], *, order: int = 0) -> None:
    """Add entries to the map's legend (a map without a borderwatch legend gets none).

    Parameters
    ----------
    m
        The map.
    key, heading, entries, order
        As :meth:`Legend.add <borderwatch.maps.symbols.Legend.add>`.
    """
    legend = next((child for child in m._children.values() if isinstance(child, Legend)), None)
    if legend is not None:
        legend.add(key, heading, entries, order=order)


def finite(*values: Any) -> bool:
    """Whether every value is a finite number (positions read from data may be missing)."""
    try:
        return all(float(v) == float(v) and abs(float(v)) != float("inf") for v in values)
    except (TypeError, ValueError):
        return False


#: Display features of the basemap, by the identity of the layers drawn (simplifying them takes seconds).
_BASEMAP_CACHE: dict[tuple[int, int], tuple[Any, Any, list, list]] = {}


def _basemap_features(region: Region) -> tuple[list, list]:
    """Return the countries' and provinces' display features, computed once per pair of layer tables."""
    countries, provinces = region.countries, region.provinces
    key = (id(countries), id(provinces))
    hit = _BASEMAP_CACHE.get(key)
    if hit is not None and hit[0]() is countries and hit[1]() is provinces:
        return hit[2], hit[3]
    clipped = countries.clip(DISPLAY_BOUNDS)
    clipped = clipped.set_geometry(clipped.geometry.apply(_without_specks))
    country_feats = []
    for iso, geom in zip(clipped["iso_a3"], clipped.geometry, strict=True):
        fill = COLOURS["vietnam"] if iso == "VNM" else COLOURS["neighbour"]
        style = {"color": "#8c8c8c", "weight": 1, "fillColor": fill, "fillOpacity": 1.0, "interactive": False}
        country_feats.append(feature(geom, style=style, tolerance_deg=BASEMAP_TOLERANCE_DEG))
    for iso, geom in zip(clipped["iso_a3"], clipped.geometry, strict=True):
        if iso in COUNTRY_LABELS and not geom.is_empty:
            label = COUNTRY_LABELS[iso]
            icon = {"icon": html.escape(label), "size": 0, "className": "bw-label", "title": "", "interactive": False}
            country_feats.append(feature(shapely.point_on_surface(shapely.simplify(geom, 0.05)), style=icon))
    style = {"color": COLOURS["province"], "weight": 0.5, "opacity": 0.6, "fill": False, "interactive": False}
    province_feats = [feature(geom, style=style, tolerance_deg=BASEMAP_TOLERANCE_DEG) for geom in provinces.geometry]
    for stale in [k for k, v in _BASEMAP_CACHE.items() if v[0]() is None or v[1]() is None]:
        del _BASEMAP_CACHE[stale]
    _BASEMAP_CACHE[key] = (weakref.ref(countries), weakref.ref(provinces), country_feats, province_feats)
    return country_feats, province_feats


#: Holes in a country smaller than this (square degrees, about 10 km²) are not drawn (specks at any zoom).
SPECK_DEG2 = 0.001


def _without_specks(geom: shapely.Geometry) -> shapely.Geometry:
    """Drop a polygon's (or multipolygon's) tiny holes."""
    if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        return geom
    polygons = [
        shapely.Polygon(p.exterior, [r for r in p.interiors if shapely.Polygon(r).area >= SPECK_DEG2])
        for p in getattr(geom, "geoms", [geom])
    ]
    return polygons[0] if geom.geom_type == "Polygon" else shapely.MultiPolygon(polygons)


def _basemap(m: folium.Map, region: Region) -> None:
    country_feats, province_feats = _basemap_features(region)
    add_layer(m, "Countries", country_feats, below=True)
    add_layer(m, "Provinces", province_feats, below=True)
