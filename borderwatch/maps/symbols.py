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
    "border": "#5a4a3a",
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
    "before": "#2b5cab",
    "blo": "#1f78b4",
    "site": "#33a02c",
    "port": "#01665e",
    "wharf": "#35978f",
    "origin": "#000000",
    "unranked": "#bdbdbd",
    "closed": "#111111",
    "inspected": "#6a3d9a",
    "edited": "#ff7f00",
    "removed": "#737373",
    # a comparison: what both runs share, what only the baseline had (lost), what only the scenario has (new)
    "both": "#525252",
    "base_only": "#2166ac",
    "scenario_only": "#e66101",
    "segment_gain": "#b2182b",
    "segment_loss": "#4393c3",
}
#: Rank change -> colour: blue (lower risk rank now) through grey (unchanged) to red (higher).
RANK_CHANGE_COLOURS = ("#2166ac", "#67a9cf", "#d9d9d9", "#ef8a62", "#b2182b")


def shape_svg(
    shape: str,
    *,
    size: int,
    fill: str,
    stroke: str = "#333",
    stroke_width: float = 1.2,
    mark: str | None = None,
) -> str:
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
    mark
        ``"closed"``: a black cross over the symbol; ``"inspected"``: a thick
        purple outline; ``"removed"``: a grey cross (a site a scenario removed).

    Returns
    -------
    str
    """
    if mark == "inspected":
        stroke, stroke_width = COLOURS["inspected"], max(2.5, size / 7)
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
    cross = ""
    if mark in ("closed", "removed"):
        colour = COLOURS["closed"] if mark == "closed" else COLOURS["removed"]
        w, a, b = max(2.0, s / 7), s * 0.12, s * 0.88
        lines = f"M{a:.1f} {a:.1f}L{b:.1f} {b:.1f}M{b:.1f} {a:.1f}L{a:.1f} {b:.1f}"
        cross = (
            f'<path d="{lines}" fill="none" stroke="#fff" stroke-width="{w + 2:.1f}" stroke-linecap="round"/>'
            f'<path d="{lines}" fill="none" stroke="{colour}" stroke-width="{w:.1f}" stroke-linecap="round"/>'
        )
    return (
        f'<svg width="{s}" height="{s}" viewBox="0 0 {s} {s}" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="{p}">{paths[shape]}{cross}</svg>'
    )


def _star(h: float, p: float) -> list[str]:
    import math

    points = []
    for i in range(10):
        r = (h - p) if i % 2 == 0 else (h - p) * 0.45
        a = math.pi / 2 + i * math.pi / 5
        points.append(f"{h + r * math.cos(a):.1f},{h - r * math.sin(a):.1f}")
    return points


def symbol(
    shape: str,
    *,
    size: int,
    fill: str,
    kind: str,
    title: str,
    stroke: str = "#333",
    stroke_width: float = 1.2,
    mark: str | None = None,
) -> dict[str, Any]:
    """Return the style of a point drawn as a symbol (see :func:`~borderwatch.maps.layers.feature`).

    Parameters
    ----------
    shape
        As :func:`shape_svg`.
    size
        Symbol size (px).
    fill, stroke
        Colours.
    stroke_width
        Outline width (px).
    kind
        CSS class suffix (``bw-<kind>``), which tests and stylesheets select on.
    title
        Plain-text hover title (set as an attribute by Leaflet, not parsed as HTML).
    mark
        As :func:`shape_svg`; also adds the class ``bw-<mark>``.

    Returns
    -------
    dict
    """
    return {
        "icon": shape_svg(shape, size=size, fill=fill, stroke=stroke, stroke_width=stroke_width, mark=mark),
        "size": size,
        "className": f"bw-symbol bw-{kind}" + (f" bw-{mark}" if mark else ""),
        "title": title,
    }


def rank_change_colour(change: float | None, *, scale: float) -> str:
    """Colour of a rank change: red when a crossing ranks higher (more risk) now, blue lower, grey unchanged.

    The ramp is continuous, so the shift by one place that every gate below
    a closed one makes stays close to grey and large moves stand out.

    Parameters
    ----------
    change
        ``rank_base - rank_scenario`` (positive: higher risk now), or None/NaN (not ranked in one run).
    scale
        The change drawn in the strongest colour (larger ones too).

    Returns
    -------
    str
    """
    try:
        change = float(change)
    except (TypeError, ValueError):  # None, pandas' NA
        return COLOURS["unranked"]
    if change != change:
        return COLOURS["unranked"]
    scale = max(float(scale), 1.0)
    ramp = LinearColormap(list(RANK_CHANGE_COLOURS), vmin=-scale, vmax=scale)
    return ramp(min(max(change, -scale), scale))


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


def line_svg(colour: str, *, width: float = 3, dash: str | None = None, opacity: float = 1.0) -> str:
    """Return a legend swatch of a line.

    Parameters
    ----------
    colour
        Stroke colour.
    width
        Stroke width (px).
    dash
        SVG dash pattern (``"6 4"``), or None for a solid line.
    opacity
        Stroke opacity.

    Returns
    -------
    str
    """
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    alpha = f' stroke-opacity="{opacity:g}"' if opacity < 1 else ""
    return (
        f'<svg width="28" height="12"><line x1="1" y1="6" x2="27" y2="6" stroke="{colour}" '
        f'stroke-width="{width}"{dashes}{alpha}/></svg>'
    )


def area_svg(fill: str, stroke: str, *, dash: str | None = None) -> str:
    """Return a legend swatch of an area.

    Parameters
    ----------
    fill, stroke
        Colours.
    dash
        SVG dash pattern of the outline.

    Returns
    -------
    str
    """
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<svg width="28" height="14"><rect x="1" y="1" width="26" height="12" fill="{fill}" fill-opacity="0.35" '
        f'stroke="{stroke}"{dashes}/></svg>'
    )


def ramp_svg(colours: list[str]) -> str:
    """Return a legend swatch of a colour ramp (equal steps, left to right).

    Parameters
    ----------
    colours
        The colours.

    Returns
    -------
    str
    """
    steps = "".join(
        f'<span style="display:inline-block;width:12px;height:10px;background:{c}"></span>' for c in colours
    )
    return f'<span style="white-space:nowrap;line-height:0">{steps}</span>'


#: Legend sections in display order (a builder names its section's key; unknown keys go last).
LEGEND_ORDER = (
    "route_change",
    "gate_change",
    "segment_change",
    "coverage_change",
    "gates",
    "edits",
    "routes",
    "coverage",
    "sites",
    "borders",
    "chokepoints",
    "interdiction",
    "reference",
)


class Legend(MacroElement):
    """A collapsible legend control, bottom left (above the scale bar), filled by the layers drawn.

    Each layer builder adds the entries of what it draws (:meth:`add`), so a
    map built from any set of layers explains exactly those; sections are
    shown in :data:`LEGEND_ORDER`.

    Parameters
    ----------
    sections
        Optional initial ``(key, heading, [(symbol HTML, label)])`` sections.
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

    def __init__(self, sections: list[tuple[str, str, list[tuple[str, str]]]] | None = None) -> None:
        super().__init__()
        self._name = "Legend"
        self.sections: dict[str, tuple[str, list[tuple[int, tuple[str, str]]]]] = {}
        for key, heading, entries in sections or []:
            self.add(key, heading, entries)

    def add(self, key: str, heading: str, entries: list[tuple[str, str]], *, order: int = 0) -> None:
        """Add entries to a section (created with ``heading`` if new; repeated entries are kept once).

        Parameters
        ----------
        key
            The section (:data:`LEGEND_ORDER`).
        heading
            Its heading (plain text; the first one given is kept).
        entries
            ``(symbol HTML, label)`` pairs; symbol HTML is borderwatch's own, labels are escaped.
        order
            Where the entries go in their section (lower first; equal ones in the order added),
            so a section reads the same whatever order the layers were drawn in.
        """
        _, kept = self.sections.setdefault(key, (heading, []))
        for entry in entries:
            if all(entry != e[1] for e in kept):
                kept.append((order, entry))

    @property
    def html(self) -> str:
        """The legend's HTML."""
        order = {k: i for i, k in enumerate(LEGEND_ORDER)}
        keys = sorted(self.sections, key=lambda k: order.get(k, len(order)))
        parts = ["<details open><summary>Legend</summary>"]
        for key in keys:
            heading, entries = self.sections[key]
            if not entries:
                continue
            parts.append(f"<h5>{html.escape(heading)}</h5>")
            ordered = [entry for _, entry in sorted(entries, key=lambda e: e[0])]  # stable: equal orders as added
            parts += [f'<div class="bw-entry">{svg}<span>{html.escape(label)}</span></div>' for svg, label in ordered]
        parts.append("</details>")
        return "".join(parts)


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
.bw-legend { max-height: 40vh; overflow-y: auto; min-width: 200px; max-width: 330px; }
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
