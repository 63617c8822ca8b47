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
) -> dict[str, Any] | None:
    """Build one display feature (None when it has no geometry).

    Parameters
    ----------
    geom
        Its geometry (EPSG:4326).
    style
        Leaflet path options (``color``, ``weight``, ``fillColor``...), or
        for points either circle-marker options (``radius``...) or a symbol
        (``icon``: SVG markup, ``size``: px, ``className``, ``title``).
    popup, tooltip
        Finished, escaped HTML (:mod:`.popups`).
    tolerance_deg
        Simplification tolerance (degrees).

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
    return {"type": "Feature", "geometry": shape, "properties": props}


class GeoLayer(MacroElement):
    """Display features added to a parent layer (a :class:`folium.FeatureGroup`).

    Parameters
    ----------
    features
        From :func:`feature` (None entries are skipped).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.geoJSON({{ this.data }}, {
            style: function (f) { return f.properties.s; },
            pointToLayer: function (f, latlng) {
                var s = f.properties.s;
                if (s.icon) {
                    return L.marker(latlng, {
                        icon: L.divIcon({html: s.icon, className: s.className, iconSize: [s.size, s.size]}),
                        title: s.title || "", keyboard: false, riseOnHover: true
                    });
                }
                return L.circleMarker(latlng, s);
            },
            onEachFeature: function (f, layer) {
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

    def __init__(self, features: Iterable[dict[str, Any] | None]) -> None:
        super().__init__()
        self._name = "GeoLayer"
        kept = [f for f in features if f is not None]
        self.count = len(kept)
        text = json.dumps({"type": "FeatureCollection", "features": kept}, ensure_ascii=False, separators=(",", ":"))
        # inside <script>: no "</" may end the element early, no U+2028/9 may end a JS line
        self.data = text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def add_layer(
    m: folium.Map, name: str, features: Iterable[dict[str, Any] | None], *, show: bool = True
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

    Returns
    -------
    folium.FeatureGroup
    """
    from .symbols import STYLE

    m.get_root().header.add_child(Element(STYLE), name="bw_style")  # once per page: symbols, popups
    group = folium.FeatureGroup(name=html.escape(name), show=show)
    group.add_child(GeoLayer(features))
    group.add_to(m)
    return group
