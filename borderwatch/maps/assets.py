"""Leaflet inlined into the page from the installed XStatic-Leaflet package: a map that needs no network.

folium links Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; an
offline planner gets a blank page.  :class:`OfflineMap` drops those links and
inlines Leaflet's JavaScript and CSS (with its images as data URIs) from the
pinned ``XStatic-Leaflet`` package, the same Leaflet version folium targets.
Every other piece of the page (legend, symbols, popups) is plain HTML, SVG
and Leaflet, so nothing else is needed.
"""

from __future__ import annotations

import base64
import functools
import re
from pathlib import Path
from typing import ClassVar

import folium
from branca.element import Element, Figure

from ..errors import BorderwatchError


class AssetError(BorderwatchError, RuntimeError):
    """The Leaflet assets are not installed (the XStatic-Leaflet package)."""


@functools.cache
def leaflet_assets() -> tuple[str, str, str]:
    """Return Leaflet's JavaScript, its CSS (images inlined) and its version.

    Returns
    -------
    js, css, version : str

    Raises
    ------
    AssetError
        XStatic-Leaflet is not installed or is incomplete.
    """
    try:
        import xstatic.pkg.leaflet as xleaflet
    except ImportError as exc:
        raise AssetError("the XStatic-Leaflet package is missing; reinstall borderwatch (pip install -e .)") from exc
    base = Path(xleaflet.BASE_DIR)
    try:
        js = (base / "leaflet.js").read_text(encoding="utf-8")
        css = (base / "leaflet.css").read_text(encoding="utf-8")
    except OSError as exc:
        raise AssetError(f"XStatic-Leaflet at {base} is incomplete ({exc}); reinstall XStatic-Leaflet") from exc
    js = re.sub(r"//# sourceMappingURL=\S+\s*$", "", js)

    def inline(match: re.Match) -> str:
        image = base / match.group(1)
        data = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", inline, css)
    css = css.replace("url(#default#VML)", "none")  # an old IE behaviour, not a resource
    return js, css, xleaflet.VERSION


class OfflineMap(folium.Map):
    """A :class:`folium.Map` whose page inlines Leaflet and links nothing.

    Its layer control is always the last element rendered (folium needs it
    after the layers it lists), so layers can be added in any order, before
    or after one is added; without one, a
    :class:`~borderwatch.maps.controls.GroupedLayerControl` (collapsed, top
    right, layers under their group headings) is added when the page is
    rendered, with the page's search box, zoom-dependent labels and print
    and phone layouts (:mod:`.controls`).

    Parameters
    ----------
    *args, **kwargs
        As :class:`folium.Map` (``tiles=None`` keeps the page offline).
    """

    default_js: ClassVar[list[tuple[str, str]]] = []
    default_css: ClassVar[list[tuple[str, str]]] = []

    def render(self, **kwargs) -> None:
        """Render the map, with Leaflet inlined in the page header and the layer control last."""
        from .controls import GroupedLayerControl, add_page_script

        controls = [key for key, child in self._children.items() if isinstance(child, folium.LayerControl)]
        if not controls:
            GroupedLayerControl(position="topright").add_to(self)
            controls = [next(reversed(self._children))]
        add_page_script(self)
        figure = self.get_root()
        for key in controls:
            self._children.move_to_end(key)
            if isinstance(figure, Figure):  # a page rendered before keeps each script's place: drop the control's
                figure.script._children.pop(self._children[key].get_name(), None)
        if isinstance(figure, Figure):
            js, css, version = leaflet_assets()
            figure.header.add_child(
                Element(f"<!-- Leaflet {version}, inlined -->\n<style>{css}</style>\n<script>{js}</script>"),
                name="leaflet_inline",
            )
        super().render(**kwargs)
