"""A GeoJSON layer with a style, a popup and a tooltip per feature, all computed in Python.

folium's own GeoJSON popups and tooltips insert property values into the
page as HTML.  Here every popup and tooltip is built by :mod:`.popups`, which
escapes all text that comes from data, and the layer only binds the finished
HTML; styles and marker symbols come from :mod:`.symbols`.  Geometries are
simplified and rounded for display (:func:`display_geometry`) so the page
stays small.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from typing import Any

import folium
import numpy as np
import shapely
from branca.element import Element, MacroElement
from folium.template import Template

#: Decimal places kept in displayed coordinates (1e-4 degree is about 11 m).
COORD_DECIMALS = 4


def display_geometry(geom: shapely.Geometry | None, *, tolerance_deg: float = 0.0) -> dict[str, Any] | None:
    """Return a geometry as a GeoJSON mapping, simplified and rounded for display.

    Parameters
    ----------
    geom
        A shapely geometry in EPSG:4326 (None or empty gives None).
    tolerance_deg
        Douglas-Peucker tolerance (degrees; 0 keeps every vertex).

    Returns
    -------
    dict or None
    """
    if geom is None or geom.is_empty:
        return None
    if tolerance_deg > 0:
        geom = shapely.simplify(geom, tolerance_deg, preserve_topology=True)
    geom = shapely.transform(geom, lambda xy: np.round(xy, COORD_DECIMALS))
    return shapely.geometry.mapping(geom)


def feature(
    geom: shapely.Geometry | None,
    *,
    style: dict[str, Any],
    popup: str | None = None,
    tooltip: str | None = None,
    tolerance_deg: float = 0.0,
    search: tuple[Any, ...] = (),
    kind: str = "",
) -> dict[str, Any] | None:
    """Build one display feature (None when it has no geometry).

    Parameters
    ----------
    geom
        Its geometry (EPSG:4326).
    style
        Leaflet path options (``color``, ``weight``, ``fillColor``...), or
        for points either circle-marker options (``radius``...) or a symbol
        (``icon``: SVG markup, ``size``: px, ``className``, ``title``);
        ``interactive: False`` for a feature that takes no clicks (a road, a label).
    popup, tooltip
        Finished, escaped HTML (:mod:`.popups`).
    tolerance_deg
        Simplification tolerance (degrees).
    search
        Names the page's search box finds it by (the first is shown; missing
        and empty ones skipped; shown as text, never parsed as HTML).
    kind
        What it is, shown beside it in the search results (``gate``, ``town``...).

    Returns
    -------
    dict or None
    """
    shape = display_geometry(geom, tolerance_deg=tolerance_deg)
    if shape is None:
        return None
    props: dict[str, Any] = {"s": style}
    if popup:
        props["p"] = popup
    if tooltip:
        props["t"] = tooltip
    keys = search_keys(search)
    if keys:
        props["q"], props["k"] = keys, kind
    return {"type": "Feature", "geometry": shape, "properties": props}


def search_keys(values: Iterable[Any]) -> list[str]:
    """Return the distinct, non-empty names of a feature for the search box (missing values skipped)."""
    kept: list[str] = []
    for value in values:
        if value is None or (isinstance(value, float) and value != value):
            continue
        name = str(value).strip()
        if name and name.lower() != "nan" and name not in kept:
            kept.append(name)
    return kept


def script_json(value: Any) -> str:
    """Return JSON to write inside a ``<script>``: no ``</`` may end the element early, no U+2028/9 a JS line."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


class GeoLayer(MacroElement):
    """Display features added to a parent layer (a :class:`folium.FeatureGroup`).

    Parameters
    ----------
    features
        From :func:`feature` (None entries are skipped).
    canvas
        Draw the lines and areas on a canvas instead of one SVG path each
        (for many non-interactive lines, such as roads).
    below
        Draw the lines and areas in a pane under every other layer's (the
        basemap), so lines on a canvas show above them.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {%- if this.below %}
        if (!{{ this.map_name }}.getPane("bwBelow")) { {{ this.map_name }}.createPane("bwBelow").style.zIndex = 350; }
        {%- endif %}
        L.geoJSON({{ this.data }}, {
            {%- if this.canvas %}
            renderer: L.canvas({padding: 0.5}),
            {%- endif %}
            {%- if this.below %}
            pane: "bwBelow",
            {%- endif %}
            style: function (f) { return f.properties.s; },
            pointToLayer: function (f, latlng) {
                var s = f.properties.s;
                if (s.icon) {
                    return L.marker(latlng, {
                        icon: L.divIcon({html: s.icon, className: s.className, iconSize: [s.size, s.size]}),
                        title: s.title || "", keyboard: false, riseOnHover: true, interactive: s.interactive !== false
                    });
                }
                return L.circleMarker(latlng, s);
            },
            onEachFeature: function (f, layer) {
                if (f.properties.q) {
                    window.bwIndex = window.bwIndex || [];
                    window.bwIndex.push({keys: f.properties.q, kind: f.properties.k, layer: layer,
                                         group: {{ this._parent.get_name() }}, map: {{ this.map_name }}});
                }
                if (f.properties.p) { layer.bindPopup(f.properties.p, {maxWidth: 380}); }
                if (f.properties.t) { layer.bindTooltip(f.properties.t, {sticky: true}); }
                if (f.properties.p && f.properties.t) {  // the open popup says more: no tooltip over it
                    layer.on("popupopen", function () { layer.closeTooltip(); layer.unbindTooltip(); });
                    layer.on("popupclose", function () { layer.bindTooltip(f.properties.t, {sticky: true}); });
                }
            }
        }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, features: Iterable[dict[str, Any] | None], *, canvas: bool = False, below: bool = False) -> None:
        super().__init__()
        self._name = "GeoLayer"
        kept = [f for f in features if f is not None]
        self.count = len(kept)
        self.canvas, self.below = canvas, below
        self.data = script_json({"type": "FeatureCollection", "features": kept})

    @property
    def map_name(self) -> str:
        """The JavaScript name of the map the layer is on (``null`` when its group is on none)."""
        group = self._parent
        parent = getattr(group, "_parent", None)
        return parent.get_name() if isinstance(parent, folium.Map) else "null"


def add_layer(
    m: folium.Map,
    name: str,
    features: Iterable[dict[str, Any] | None],
    *,
    show: bool = True,
    canvas: bool = False,
    below: bool = False,
) -> folium.FeatureGroup:
    """Add a toggleable layer of features to a map.

    Parameters
    ----------
    m
        The map (any :class:`folium.Map`; the page's stylesheet is added to it once).
    name
        The name shown in the layer control (plain text; escaped here).
    features
        From :func:`feature`.
    show
        Whether the layer is on when the page opens.
    canvas, below
        As :class:`GeoLayer`.

    Returns
    -------
    folium.FeatureGroup
    """
    from .symbols import STYLE

    m.get_root().header.add_child(Element(STYLE), name="bw_style")  # once per page: symbols, popups
    group = folium.FeatureGroup(name=html.escape(name), show=show)
    group.add_child(GeoLayer(features, canvas=canvas, below=below))
    group.add_to(m)
    return group
