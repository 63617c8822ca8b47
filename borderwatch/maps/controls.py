"""The page's controls and layout: grouped layer control, search box, labels by zoom, print and phone layouts.

Everything here is plain JavaScript and CSS written into the page (no
plugin, no network):

- :class:`GroupedLayerControl` is Leaflet's layer control, collapsed to an
  icon, with the layers under group headings ("Answer", "Analysis",
  "Reference data" ...) and layers of one *exclusive* set (an interdiction's
  routes before and after) shown one at a time, like radio buttons.  A layer
  joins a group with :func:`in_group`.
- :class:`PageScript` adds, once per page: the search box (every feature a
  builder made searchable, by name, Vietnamese name or id, accents ignored),
  the zoom classes (``bw-zge-<n>`` on the map for every zoom ``n`` reached,
  so a label of class ``bw-minz-<n>`` appears from zoom ``n``), the legend
  folded on a narrow screen, and the print and phone layouts
  (:data:`PAGE_STYLE`).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import folium
from branca.element import Element, MacroElement
from folium.template import Template

#: Group of a layer that no :func:`in_group` call placed.
DEFAULT_GROUP = "Layers"
#: The groups of borderwatch's own maps, in the order listed.
GROUPS = ANSWER, ANALYSIS, INTERDICTION, REFERENCE = (
    "Answer",
    "Analysis",
    "Interdiction and inspection (one at a time)",
    "Reference data",
)
#: Zoom levels a label can wait for (``bw-minz-<n>``).
LABEL_ZOOMS = range(5, 16)
#: Width (px) under which the page uses its phone layout.
NARROW_PX = 600


def in_group(layer: folium.FeatureGroup, group: str, *, exclusive: str | None = None) -> folium.FeatureGroup:
    """Put a layer under a heading of the layer control (and, optionally, in a set shown one at a time).

    Parameters
    ----------
    layer
        A layer from any builder.
    group
        The heading (plain text), e.g. ``"Answer"``; groups are listed in the
        control's ``group_order``, then in the order of their first layer on
        the map (layers within a group in the order they were added).
    exclusive
        A key: turning on one layer of the key turns the others off.

    Returns
    -------
    folium.FeatureGroup
        ``layer``.
    """
    layer.bw_group = group
    layer.bw_exclusive = exclusive
    return layer


class GroupedLayerControl(folium.LayerControl):
    """Leaflet's layer control, collapsed by default, its layers under group headings.

    Parameters
    ----------
    collapsed
        Show only the layers icon until hovered or tapped (default).
    group_order
        The groups listed first, in this order (others follow in the order of
        their first layer on the map).
    **kwargs
        As :class:`folium.LayerControl`.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }}_layers = {
                base_layers : {
                    {%- for key, val in this.base_layers.items() %}
                    {{ key|tojson }} : {{ val }},
                    {%- endfor %}
                },
                overlays :  {
                    {%- for key, val in this.overlays.items() %}
                    {{ key|tojson }} : {{ val }},
                    {%- endfor %}
                },
            };
            var {{ this.get_name() }} = bwLayerControl(
                {{ this.get_name() }}_layers.base_layers,
                {{ this.get_name() }}_layers.overlays,
                {{ this.options|tojavascript }},
                [
                    {%- for var, group, exclusive in this.groups %}
                    [{{ var }}, {{ group|tojson }}, {{ exclusive|tojson }}],
                    {%- endfor %}
                ],
                {{ this.group_order|tojson }}
            ).addTo({{ this._parent.get_name() }});
            {{ this._parent.get_name() }}.bwLayerControl = {{ this.get_name() }};
        {% endmacro %}
        """
    )

    def __init__(self, *, collapsed: bool = True, group_order: Sequence[str] = (), **kwargs) -> None:
        super().__init__(collapsed=collapsed, **kwargs)
        self.groups: list[tuple[str, str, str | None]] = []
        self.order = list(group_order)

    def render(self, **kwargs) -> None:
        """Collect the layers and their groups, then render."""
        layers = [c for c in self._parent._children.values() if isinstance(c, folium.map.Layer) and c.control]
        self.groups = [
            (layer.get_name(), getattr(layer, "bw_group", DEFAULT_GROUP), getattr(layer, "bw_exclusive", None))
            for layer in layers
        ]
        present = list(dict.fromkeys(group for _, group, _ in self.groups))
        self.group_order = [g for g in self.order if g in present] + [g for g in present if g not in self.order]
        super().render(**kwargs)


def add_page_script(m: folium.Map) -> None:
    """Add the page's controls script and stylesheet to a map's page (once)."""
    m.get_root().header.add_child(Element(f"{PAGE_STYLE}\n<script>{PAGE_JS}</script>"), name="bw_page")
    if not any(isinstance(child, PageScript) for child in m._children.values()):
        m.add_child(PageScript())


class PageScript(MacroElement):
    """Per map: the search box, the zoom classes of its labels and its legend folded on a narrow screen."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        bwSetUp({{ this._parent.get_name() }}, {{ this.options|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, *, placeholder: str = "Find a gate, BLO, port, place or segment") -> None:
        super().__init__()
        self._name = "PageScript"
        self.options = {"placeholder": placeholder, "narrow": NARROW_PX}


def label_style(text: str, *, kind: str, min_zoom: int, dot: bool = False) -> dict:
    """Return the style of a map label (a non-interactive marker) that appears from ``min_zoom``.

    Parameters
    ----------
    text
        Plain text (escaped here; very long text is cut with an ellipsis by the stylesheet).
    kind
        CSS class suffix (``bw-lbl-<kind>``): ``town``, ``province``, ``gate``...
    min_zoom
        The first zoom level showing it (clamped to :data:`LABEL_ZOOMS`).
    dot
        Draw a dot at the point and the text beside it (a town) instead of the text centred on it.

    Returns
    -------
    dict
        For :func:`~borderwatch.maps.layers.feature`.
    """
    z = min(max(int(min_zoom), LABEL_ZOOMS.start), LABEL_ZOOMS.stop - 1)
    inner = f'<span dir="auto">{html.escape(text)}</span>'
    return {
        "icon": ("<i></i>" if dot else "") + inner,
        "size": 0,
        "className": f"bw-maplabel bw-lbl-{kind} bw-minz-{z}" + (" bw-dotted" if dot else ""),
        "title": "",
        "interactive": False,
    }


_ZOOM_CSS = "\n".join(f".bw-zge-{z} .leaflet-marker-icon.bw-minz-{z} {{ display: block; }}" for z in LABEL_ZOOMS)

#: The page's layout: controls, labels, the search box, the print and the phone layouts.
PAGE_STYLE = (
    """
<style>
.leaflet-marker-icon.bw-maplabel { display: none; background: none; border: none; pointer-events: none; }
.bw-maplabel span { position: absolute; transform: translate(-50%, -50%); white-space: nowrap; max-width: 16em;
  overflow: hidden; text-overflow: ellipsis; unicode-bidi: isolate; font: 11px/1.2 system-ui, sans-serif;
  color: #333; text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; }
.bw-maplabel.bw-dotted span { transform: translate(5px, -50%); }
.bw-maplabel i { position: absolute; left: -3px; top: -3px; width: 6px; height: 6px; border-radius: 50%;
  background: #555; border: 1px solid #fff; }
.bw-lbl-province span { font-size: 11px; font-style: italic; color: #7a6f5a; letter-spacing: 0.03em; }
.bw-lbl-gate span { font-weight: 600; color: #6b0016; transform: translate(10px, -50%); }
.bw-lbl-town span { color: #222; }
.bw-legend-dot { display: inline-block; width: 6px; height: 6px; margin: 0 11px; border-radius: 50%; background: #555; }
"""
    + _ZOOM_CSS
    + """
.bw-group-title { font-weight: 600; color: #444; margin: 5px 0 1px; border-bottom: 1px solid #ddd; }
.bw-group-title:first-child { margin-top: 0; }
.leaflet-control-layers-expanded { max-height: 70vh; overflow-y: auto; }
.bw-exclusive input { accent-color: #c51b7d; }
.bw-search { background: #fff; padding: 4px; border-radius: 5px; box-shadow: 0 1px 4px rgba(0,0,0,0.35);
  font: 12px/1.3 system-ui, sans-serif; }
.bw-search input { width: 230px; font: inherit; padding: 3px 5px; border: 1px solid #bbb; border-radius: 3px; }
.bw-search ul { list-style: none; margin: 3px 0 0; padding: 0; max-width: 260px; }
.bw-search li { padding: 2px 4px; cursor: pointer; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.bw-search li:hover, .bw-search li.bw-active { background: #e8eef8; }
.bw-search li small { color: #666; margin-left: 4px; }
.bw-search li.bw-none { color: #8a1c1c; cursor: default; white-space: normal; }
.bw-found { animation: bw-pulse 1s ease-out 3; }
@keyframes bw-pulse { from { stroke-opacity: 1; } to { stroke-opacity: 0.1; } }
.bw-popup h4, .bw-popup td, .bw-popup p, .leaflet-tooltip, .bw-legend span, .bw-title { unicode-bidi: plaintext;
  overflow-wrap: anywhere; }
.leaflet-tooltip { max-width: 260px; white-space: normal; }
.bw-popup p { margin: 3px 0; font-size: 12px; }
.bw-popup details { margin-top: 5px; font-size: 11px; color: #555; }
.bw-popup summary { cursor: pointer; font-weight: 600; }
@media (max-width: """
    + str(NARROW_PX)
    + """px) {
  .bw-title { max-width: 52vw; padding: 4px 6px; }
  .bw-title b { font-size: 12px; }
  .bw-title span { display: none; }
  .bw-legend { max-width: 70vw; max-height: 40vh; min-width: 0; }
  .bw-search input { width: 140px; }
  .bw-search ul { max-width: 190px; }
  .leaflet-popup-content { max-width: 72vw; }
}
@media print {
  @page { size: A4 landscape; margin: 8mm; }
  html, body { width: 100%; height: 100%; margin: 0; }
  .leaflet-control-layers, .leaflet-control-zoom, .bw-search, .leaflet-control-attribution,
  .leaflet-popup-pane, .leaflet-tooltip-pane { display: none !important; }
  .bw-legend { max-height: none; overflow: visible; box-shadow: none; border: 1px solid #999; font-size: 10px; }
  .bw-legend summary { display: none; }
  .bw-title { box-shadow: none; border: 1px solid #999; }
}
</style>
"""
)

#: The page's script: the grouped layer control, the search box, the zoom classes, the folded legend.
PAGE_JS = r"""
window.bwIndex = window.bwIndex || [];
function bwLayerControl(base, overlays, options, groups, groupOrder) {
  var info = {};
  groups.forEach(function (g) { info[L.stamp(g[0])] = {group: g[1], exclusive: g[2]}; });
  var Grouped = L.Control.Layers.extend({
    _update: function () {
      L.Control.Layers.prototype._update.call(this);
      var list = this._overlaysList, labels = Array.prototype.slice.call(list.children);
      var items = this._layers.filter(function (o) { return o.overlay; });
      var order = groupOrder.slice(), byGroup = {};
      order.forEach(function (g) { byGroup[g] = []; });
      items.forEach(function (o, i) {
        var g = (info[L.stamp(o.layer)] || {group: "Layers"}).group;
        if (!(g in byGroup)) { byGroup[g] = []; order.push(g); }
        var mine = info[L.stamp(o.layer)];
        if (mine && mine.exclusive) { L.DomUtil.addClass(labels[i], "bw-exclusive"); }
        byGroup[g].push(labels[i]);
      });
      if (order.filter(function (g) { return byGroup[g].length; }).length < 2) { return this; }
      order.forEach(function (g) {
        if (!byGroup[g].length) { return; }
        var title = L.DomUtil.create("div", "bw-group-title", list);
        title.textContent = g;
        byGroup[g].forEach(function (label) { list.appendChild(label); });
      });
      return this;
    }
  });
  var control = new Grouped(base, overlays, options);
  control.bwInfo = info;
  return control;
}
function bwFold(s) {
  return String(s).normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
}
function bwSetUp(map, options) {
  var container = map.getContainer();
  function zoomClasses() {
    var z = Math.round(map.getZoom());
    for (var n = 0; n <= 20; n++) {
      if (n <= z) { L.DomUtil.addClass(container, "bw-zge-" + n); }
      else { L.DomUtil.removeClass(container, "bw-zge-" + n); }
    }
  }
  map.on("zoomend", zoomClasses);
  map.whenReady(zoomClasses);
  map.on("overlayadd", function (e) {
    var control = map.bwLayerControl, me = control && control.bwInfo[L.stamp(e.layer)];
    if (!me || !me.exclusive) { return; }
    setTimeout(function () {  // after the control has handled the click, so it shows the change
      control._layers.forEach(function (o) {
        var other = control.bwInfo[L.stamp(o.layer)];
        if (o.layer !== e.layer && other && other.exclusive === me.exclusive && map.hasLayer(o.layer)) {
          map.removeLayer(o.layer);
        }
      });
    }, 0);
  });
  var narrow = window.matchMedia("(max-width: " + options.narrow + "px)").matches;
  var legend = container.querySelector(".bw-legend details");
  if (legend && narrow) { legend.open = false; }
  function forPrint() {
    var details = container.querySelector(".bw-legend details");
    if (details) { details.open = true; }
    map.invalidateSize({animate: false});
  }
  window.addEventListener("beforeprint", forPrint);
  var printing = window.matchMedia("print");
  if (printing.addEventListener) {
    printing.addEventListener("change", function (e) { if (e.matches) { forPrint(); } });
  }
  var search = L.control({position: "topright"});
  search.onAdd = function () {
    var div = L.DomUtil.create("div", "bw-search");
    var input = L.DomUtil.create("input", "", div);
    input.type = "search";
    input.placeholder = narrow ? "Search" : options.placeholder;
    input.setAttribute("aria-label", options.placeholder);
    var list = L.DomUtil.create("ul", "", div);
    var found = [];
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    function show(query) {
      list.textContent = "";
      found = [];
      var q = bwFold(query).trim();
      if (!q) { return; }
      var first = [], then = [];
      window.bwIndex.forEach(function (e) {
        if (e.map !== map) { return; }
        var keys = e.keys.map(bwFold);
        if (keys.some(function (k) { return k.indexOf(q) === 0; })) { first.push(e); }
        else if (keys.some(function (k) { return k.indexOf(q) >= 0; })) { then.push(e); }
      });
      found = first.concat(then).slice(0, 8);
      if (!found.length) {
        var none = L.DomUtil.create("li", "bw-none", list);
        none.textContent = "Nothing on this map is called \u201c" + query.trim() + "\u201d";
        return;
      }
      found.forEach(function (e, i) {
        var item = L.DomUtil.create("li", i === 0 ? "bw-active" : "", list);
        item.appendChild(document.createTextNode(e.keys[0]));
        var kind = document.createElement("small");
        kind.textContent = e.kind;
        item.appendChild(kind);
        L.DomEvent.on(item, "click", function () { go(e); });
      });
    }
    function go(e) {
      if (e.group && !map.hasLayer(e.group)) { map.addLayer(e.group); }
      var where = e.layer.getLatLng ? e.layer.getLatLng() : e.layer.getBounds().getCenter();
      if (e.layer.getLatLng) { map.setView(where, Math.max(map.getZoom(), 10)); }
      else { map.fitBounds(e.layer.getBounds(), {maxZoom: 11}); }
      var ring = L.circleMarker(where, {radius: 18, color: "#d7191c", weight: 3, fill: false,
                                        interactive: false, className: "bw-found"}).addTo(map);
      setTimeout(function () { map.removeLayer(ring); }, 3500);
      if (e.layer.getPopup && e.layer.getPopup()) { e.layer.openPopup(where); }
      list.textContent = "";
      input.value = e.keys[0];
    }
    L.DomEvent.on(input, "input", function () { show(input.value); });
    L.DomEvent.on(input, "keydown", function (ev) {
      if (ev.key === "Enter" && found.length) { go(found[0]); }
      if (ev.key === "Escape") { list.textContent = ""; }
    });
    return div;
  };
  search.addTo(map);
  map.bwSearch = search;
}
"""
