"""Symbols, colours and the legend: one definition of each, used by the layers and the legend alike."""

from __future__ import annotations

import html
from typing import Any

from branca.colormap import LinearColormap
from branca.element import MacroElement
from folium.template import Template

#: Gate class -> symbol shape.
GATE_SHAPES = {"international": "square", "primary": "diamond", "secondary": "triangle"}
#: Risk score 0..1 -> colour (yellow to dark red).
RISK_COLOURS = LinearColormap(["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"], vmin=0.0, vmax=1.0)
#: Colours of the map's lines and areas.
COLOURS = {
    "vietnam": "#fbf8ef",
    "neighbour": "#ecebe6",
    "province": "#9a9a9a",
    "covered": "#1a9850",
    "uncovered": "#d73027",
    "coast_covered": "#66bd63",
    "coast_uncovered": "#f4a582",
    "route": "#2b5cab",
    "route_alt": "#6f8fc9",
    "usage": "#7b3294",
    "pinch": "#e08214",
    "cut": "#000000",
    "after": "#c51b7d",
    "blo": "#1f78b4",
    "site": "#33a02c",
    "port": "#01665e",
    "wharf": "#35978f",
    "origin": "#000000",
    "unranked": "#bdbdbd",
}


def shape_svg(shape: str, *, size: int, fill: str, stroke: str = "#333", stroke_width: float = 1.2) -> str:
    """Return an inline SVG of a symbol.

    Parameters
    ----------
    shape
        ``square``, ``diamond``, ``triangle``, ``circle``, ``star`` or ``anchor``.
    size
        Width and height (px).
    fill, stroke
        Colours.
    stroke_width
        Outline width (px).

    Returns
    -------
    str
    """
    s, h = size, size / 2
    p = stroke_width
    paths = {
        "square": f'<rect x="{p}" y="{p}" width="{s - 2 * p}" height="{s - 2 * p}"/>',
        "diamond": f'<polygon points="{h},{p} {s - p},{h} {h},{s - p} {p},{h}"/>',
        "triangle": f'<polygon points="{h},{p} {s - p},{s - p} {p},{s - p}"/>',
        "circle": f'<circle cx="{h}" cy="{h}" r="{h - p}"/>',
        "star": '<polygon points="{}"/>'.format(" ".join(_star(h, p))),
        "anchor": f'<circle cx="{h}" cy="{h}" r="{h - p}"/><path d="M{h} {s * 0.22}V{s * 0.8}M{s * 0.28} {s * 0.55}'
        f'Q{h} {s * 0.92} {s * 0.72} {s * 0.55}" fill="none" stroke="#fff" stroke-width="{max(1.2, s / 10)}"/>',
    }
    return (
        f'<svg width="{s}" height="{s}" viewBox="0 0 {s} {s}" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="{p}">{paths[shape]}</svg>'
    )


def _star(h: float, p: float) -> list[str]:
    import math

    points = []
    for i in range(10):
        r = (h - p) if i % 2 == 0 else (h - p) * 0.45
        a = math.pi / 2 + i * math.pi / 5
        points.append(f"{h + r * math.cos(a):.1f},{h - r * math.sin(a):.1f}")
    return points


def symbol(shape: str, *, size: int, fill: str, kind: str, title: str, stroke: str = "#333") -> dict[str, Any]:
    """Return the style of a point drawn as a symbol (see :func:`~borderwatch.maps.layers.feature`).

    Parameters
    ----------
    shape
        As :func:`shape_svg`.
    size
        Symbol size (px).
    fill, stroke
        Colours.
    kind
        CSS class suffix (``bw-<kind>``), which tests and stylesheets select on.
    title
        Plain-text hover title (set as an attribute by Leaflet, not parsed as HTML).

    Returns
    -------
    dict
    """
    return {
        "icon": shape_svg(shape, size=size, fill=fill, stroke=stroke),
        "size": size,
        "className": f"bw-symbol bw-{kind}",
        "title": title,
    }


def risk_colour(score: float | None) -> str:
    """Colour of a risk score (grey when the gate is not ranked).

    Parameters
    ----------
    score
        0..1, or None/NaN.

    Returns
    -------
    str
    """
    if score is None or score != score:
        return COLOURS["unranked"]
    return RISK_COLOURS(min(max(float(score), 0.0), 1.0))


def gate_size(score: float | None) -> int:
    """Symbol size (px) of a gate: 12 unranked, 12 to 28 by score.

    Parameters
    ----------
    score
        0..1, or None/NaN.

    Returns
    -------
    int
    """
    if score is None or score != score:
        return 12
    return round(12 + 16 * min(max(float(score), 0.0), 1.0))


def _line(colour: str, *, width: float = 3, dash: str | None = None) -> str:
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<svg width="28" height="12"><line x1="1" y1="6" x2="27" y2="6" stroke="{colour}" '
        f'stroke-width="{width}"{dashes}/></svg>'
    )


def _area(fill: str, stroke: str, *, dash: str | None = None) -> str:
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<svg width="28" height="14"><rect x="1" y="1" width="26" height="12" fill="{fill}" fill-opacity="0.35" '
        f'stroke="{stroke}"{dashes}/></svg>'
    )


def legend_entries(*, analysed: bool, hours: float | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
    """Return the legend's sections: (heading, [(symbol HTML, label)]).

    Parameters
    ----------
    analysed
        Whether the map shows analysis layers (routes, ranking, coverage...).
    hours
        BLO patrol hours, for the coverage labels.

    Returns
    -------
    list
    """
    ramp = "".join(
        f'<span style="display:inline-block;width:12px;height:10px;background:{RISK_COLOURS(v / 4)}"></span>'
        for v in range(5)
    )
    gates = [
        (shape_svg(GATE_SHAPES[c], size=14, fill="#fd8d3c"), f"{c} gate")
        for c in ("international", "primary", "secondary")
    ]
    if analysed:
        gates += [
            (ramp, "risk score 0 → 1 (colour and size)"),
            (shape_svg("square", size=12, fill=COLOURS["unranked"]), "gate not ranked (popup says why)"),
        ]
    sections = [
        ("Border gates", gates),
        (
            "Sites",
            [
                (shape_svg("circle", size=14, fill=COLOURS["blo"], stroke="#fff"), "Border Liaison Office (BLO)"),
                (shape_svg("anchor", size=14, fill=COLOURS["port"], stroke=COLOURS["port"]), "seaport"),
                (shape_svg("circle", size=10, fill=COLOURS["wharf"], stroke="#fff"), "Mekong wharf"),
                (shape_svg("star", size=16, fill=COLOURS["origin"], stroke="#fff"), "Golden Triangle (origin)"),
            ],
        ),
    ]
    if not analysed:
        sections.append(("Borders", [(_line(COLOURS["uncovered"]), "land border of Vietnam")]))
        return sections
    reach = f"{hours:g} h" if hours is not None else "reach"
    sections[1][1][1:1] = [
        (_area(COLOURS["blo"], COLOURS["blo"], dash="4 3"), f"area a BLO's patrols reach in {reach}"),
        (shape_svg("star", size=16, fill=COLOURS["site"], stroke="#fff"), "proposed new BLO site"),
    ]
    sections += [
        (
            f"BLO coverage ({reach} patrol)",
            [
                (_line(COLOURS["covered"]), "land border covered"),
                (_line(COLOURS["uncovered"]), "land border not covered"),
                (_line(COLOURS["coast_covered"], width=2), "coast covered"),
                (_line(COLOURS["coast_uncovered"], width=2), "coast not covered"),
                (_line(COLOURS["uncovered"], width=7, dash="2 3"), "uncovered stretch with most flow"),
            ],
        ),
        (
            "Routes from the Golden Triangle",
            [
                (_line(COLOURS["route"], width=5), "least-cost route (width = demand share)"),
                (_line(COLOURS["route_alt"], width=2, dash="6 4"), "2nd/3rd diverse route"),
                (_line(COLOURS["usage"], width=3), "ensemble usage (opacity = probability)"),
            ],
        ),
        (
            "Chokepoints",
            [
                (_line(COLOURS["pinch"], width=4), "pinch point (circuit current)"),
                (_line(COLOURS["cut"], width=4), "minimum cut (border segment)"),
                (shape_svg("circle", size=14, fill="none", stroke=COLOURS["cut"], stroke_width=2.5), "gate in the cut"),
            ],
        ),
        (
            "Interdiction",
            [
                (shape_svg("square", size=14, fill="none", stroke=COLOURS["after"], stroke_width=3), "closed crossing"),
                (_line(COLOURS["after"], width=3, dash="8 5"), "traffickers' route after closing"),
            ],
        ),
    ]
    return sections


class Legend(MacroElement):
    """A collapsible legend control, bottom left (above the scale bar).

    Parameters
    ----------
    sections
        From :func:`legend_entries` (symbol HTML is borderwatch's own; labels are escaped here).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: "bottomleft"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "bw-legend");
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, sections: list[tuple[str, list[tuple[str, str]]]]) -> None:
        super().__init__()
        self._name = "Legend"
        parts = ["<details open><summary>Legend</summary>"]
        for heading, entries in sections:
            parts.append(f"<h5>{html.escape(heading)}</h5>")
            parts += [f'<div class="bw-entry">{svg}<span>{html.escape(label)}</span></div>' for svg, label in entries]
        parts.append("</details>")
        self.html = "".join(parts)


class TitleBox(MacroElement):
    """The map's title and a one-line note, top left under the zoom buttons.

    Parameters
    ----------
    title, note
        Plain text (escaped here).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var box = L.control({position: "topleft"});
            box.onAdd = function () {
                var div = L.DomUtil.create("div", "bw-title");
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            box.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, title: str, note: str) -> None:
        super().__init__()
        self._name = "TitleBox"
        self.html = f"<b>{html.escape(title)}</b><br><span>{html.escape(note)}</span>"


#: The page's stylesheet for the legend, title and popups.
STYLE = """
<style>
.bw-legend, .bw-title { background: rgba(255,255,255,0.94); padding: 6px 9px; border-radius: 5px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.35); font: 12px/1.35 system-ui, -apple-system, "Segoe UI", sans-serif; }
.bw-legend { max-height: 48vh; overflow-y: auto; min-width: 200px; }
.bw-legend summary { font-weight: 600; cursor: pointer; }
.bw-legend h5 { margin: 6px 0 2px; font-size: 12px; color: #444; }
.bw-entry { display: flex; align-items: center; gap: 6px; margin: 1px 0; }
.bw-entry svg, .bw-entry > span:first-child { flex: 0 0 auto; }
.bw-title { max-width: 360px; }
.bw-title b { font-size: 14px; }
.bw-title span { color: #555; }
.bw-symbol { background: none; border: none; }
.bw-symbol svg { display: block; }
.bw-popup h4 { margin: 0 0 4px; font-size: 13px; }
.bw-popup table { border-collapse: collapse; font-size: 12px; }
.bw-popup th { text-align: left; font-weight: normal; color: #555; padding: 1px 8px 1px 0; vertical-align: top; }
.bw-popup td { padding: 1px 0; }
.bw-prov { margin-top: 5px; font-size: 11px; font-weight: 600; color: #666; border-top: 1px solid #ddd; }
.bw-prov-table { font-size: 11px !important; color: #555; }
.folium-map.leaflet-container { background: #d4e6f1; }
.leaflet-control-layers { font: 12px/1.3 system-ui, -apple-system, "Segoe UI", sans-serif; }
.leaflet-control-layers-expanded { max-height: 46vh; overflow-y: auto; }
.leaflet-control-layers label { margin: 1px 0; }
.bw-label { background: none; border: none; color: #6b6b6b; font: 600 13px system-ui, sans-serif;
  letter-spacing: 0.15em; text-transform: uppercase; white-space: nowrap; text-align: center; }
</style>
"""
