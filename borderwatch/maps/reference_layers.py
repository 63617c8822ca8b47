"""Reference layers for reading the map at working zoom: roads by class, towns and province names.

Drawn from the region's shipped layers (``roads``, ``places``,
``provinces``).  Roads are thin, take no clicks and are drawn on a canvas
(thousands of lines would otherwise be thousands of SVG paths); towns and
province names are labels that appear only from a zoom where they fit
(:func:`~borderwatch.maps.controls.label_style`); towns are in the search box.
"""

from __future__ import annotations

import folium
import shapely

from ..region import Region
from ..scenario import Scenario
from .base import DISPLAY_BOUNDS, explain, parts
from .controls import REFERENCE, in_group, label_style
from .layers import add_layer, feature
from .symbols import line_svg

#: Road classes drawn together: layer key -> (layer name, classes, style, simplification tolerance in degrees).
ROAD_GROUPS = {
    "main": (
        "Roads: national and trunk",
        ("trunk", "national", "asean"),
        {"color": "#c0504d", "weight": 1.5, "opacity": 0.6},
        0.001,
    ),
    "primary": (
        "Roads: primary",
        ("primary", "primary_link"),
        {"color": "#d9a27a", "weight": 1.0, "opacity": 0.5},
        0.0015,
    ),
    "minor": (
        "Roads: secondary, provincial and district",
        ("secondary", "secondary_link", "provincial", "district"),
        {"color": "#a89f91", "weight": 0.8, "opacity": 0.7},
        0.002,
    ),
}
#: A town's label appears from this zoom: (least population, zoom), largest first.
TOWN_ZOOMS = ((1_000_000, 5), (200_000, 7), (50_000, 8), (0, 9))
#: Province names appear from this zoom.
PROVINCE_ZOOM = 8


def roads_layer(m: folium.Map, scenario: Scenario | Region, which: str, *, show: bool = True) -> folium.FeatureGroup:
    """Add one class group of the region's roads (:data:`ROAD_GROUPS`): thin, no clicks, on a canvas.

    Parameters
    ----------
    m
        The map.
    scenario
        The scenario or region (its ``roads`` layer, ``road_class`` column).
    which
        ``main`` (national and trunk roads, Asian Highways), ``primary`` or
        ``minor`` (secondary, provincial and district roads).
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup

    Raises
    ------
    ParameterError
        An unknown ``which``.

    Examples
    --------
    >>> roads_layer(base_map(region), region, "main")  # doctest: +SKIP
    <folium.map.FeatureGroup object at ...>
    """
    from ..errors import ParameterError

    if which not in ROAD_GROUPS:
        raise ParameterError(f"roads_layer: which must be one of {', '.join(ROAD_GROUPS)}, got {which!r}")
    region, _ = parts(scenario, "roads_layer")
    name, classes, style, tolerance = ROAD_GROUPS[which]
    roads = region.layers.get("roads")
    feats = []
    if roads is not None and len(roads):
        chosen = roads[roads["road_class"].isin(classes)].clip(DISPLAY_BOUNDS)
        style = {**style, "interactive": False}
        feats = [feature(geom, style=style, tolerance_deg=tolerance) for geom in chosen.geometry]
    explain(
        m,
        "reference",
        "Reference data",
        [(line_svg(style["color"], width=style["weight"] + 0.6), name.replace("Roads: ", "road: "))],
        order=list(ROAD_GROUPS).index(which),
    )
    return add_layer(m, name, feats, show=show, canvas=True)


def towns_layer(m: folium.Map, scenario: Scenario | Region, *, show: bool = True) -> folium.FeatureGroup:
    """Add the region's towns: a dot and a name, larger towns from lower zooms (:data:`TOWN_ZOOMS`); searchable.

    Parameters
    ----------
    m
        The map.
    scenario
        The scenario or region (its ``places`` layer).
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup

    Examples
    --------
    >>> towns_layer(base_map(region), region)  # doctest: +SKIP
    <folium.map.FeatureGroup object at ...>
    """
    region, _ = parts(scenario, "towns_layer")
    places = region.layers.get("places")
    feats = []
    if places is not None and len(places):
        places = places.clip(DISPLAY_BOUNDS).sort_values("pop_max", ascending=False)
        for rec in places.to_dict("records"):
            pop = float(rec.get("pop_max") or 0.0)
            zoom = next(z for least, z in TOWN_ZOOMS if pop >= least)
            feats.append(
                feature(
                    rec["geometry"],
                    style=label_style(str(rec["name"]), kind="town", min_zoom=zoom, dot=True),
                    search=(rec["name"], rec.get("name_local")),
                    kind=f"town, {rec.get('iso_a3')}",
                )
            )
    explain(
        m,
        "reference",
        "Reference data",
        [('<span class="bw-legend-dot"></span>', "town (names appear as you zoom in)")],
        order=5,
    )
    return add_layer(m, "Towns", feats, show=show)


def province_names_layer(m: folium.Map, scenario: Scenario | Region, *, show: bool = True) -> folium.FeatureGroup:
    """Add the province names (from zoom :data:`PROVINCE_ZOOM`), searchable.

    Parameters
    ----------
    m
        The map.
    scenario
        The scenario or region (its ``provinces`` layer).
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup

    Examples
    --------
    >>> province_names_layer(base_map(region), region)  # doctest: +SKIP
    <folium.map.FeatureGroup object at ...>
    """
    region, _ = parts(scenario, "province_names_layer")
    provinces = region.layers.get("provinces")
    feats = []
    if provinces is not None and len(provinces):
        for rec in provinces.clip(DISPLAY_BOUNDS).to_dict("records"):
            geom = rec["geometry"]
            if geom is None or geom.is_empty:
                continue
            feats.append(
                feature(
                    shapely.point_on_surface(geom),
                    style=label_style(str(rec["name"]), kind="province", min_zoom=PROVINCE_ZOOM),
                    search=(rec["name"],),
                    kind=f"province, {rec.get('iso_a3')}",
                )
            )
    return add_layer(m, "Province names", feats, show=show)


def add_reference_layers(m: folium.Map, scenario: Scenario | Region) -> None:
    """Add the reference layers, and put them and the basemap under "Reference data": roads, towns, province names.

    Parameters
    ----------
    m
        A :func:`~borderwatch.maps.base_map`.
    scenario
        The scenario or region.
    """
    for layer in m._children.values():
        if isinstance(layer, folium.FeatureGroup) and layer.layer_name in ("Countries", "Provinces"):
            in_group(layer, REFERENCE)
    in_group(roads_layer(m, scenario, "main"), REFERENCE)
    in_group(roads_layer(m, scenario, "primary"), REFERENCE)
    in_group(roads_layer(m, scenario, "minor", show=False), REFERENCE)
    in_group(towns_layer(m, scenario), REFERENCE)
    in_group(province_names_layer(m, scenario), REFERENCE)
