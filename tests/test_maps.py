"""The offline maps: layers, legend, escaping, composable layer builders, the comparison map, no network."""

from __future__ import annotations

import json
import re

import folium
import pytest

from borderwatch import rank_gates
from borderwatch.errors import OutputExistsError, ParameterError
from borderwatch.maps import (
    base_map,
    blos_layer,
    borders_layer,
    comparison_map,
    coverage_change_layer,
    cut_layer,
    ensemble_layer,
    gate_change_layer,
    gates_layer,
    interdiction_layer,
    origin_layer,
    pinch_layer,
    reach_layer,
    region_map,
    route_change_layer,
    routes_layer,
    save_map,
    seaports_layer,
    segment_change_layer,
    siting_layer,
    uncovered_layer,
    wharfs_layer,
)
from borderwatch.maps.popups import popup, text
from borderwatch.maps.symbols import COLOURS

EVIL = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
IN_SCRIPT = EVIL.replace("</", "<\\/")  # a marker's plain-text title, as the page's data holds it
# what a browser fetches by itself: src attributes, <link href>, CSS url() and @import, fetch/XHR calls
# (a link a reader may click, such as Leaflet's attribution, is not fetched)
FETCHED = re.compile(
    r"""src\s*=\s*["']?\s*(?:https?:)?//|<link[^>]*href\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|url\(\s*["']?\s*(?:https?:)?//|@import|fetch\(|XMLHttpRequest\(""",
    re.I,
)


def page(m) -> str:
    return m.get_root().render()


def layer_names(html: str) -> list[str]:
    block = re.search(r"overlays\s*:\s*\{(.*?)\}", html, re.S).group(1)
    return [n.encode().decode("unicode_escape") for n in re.findall(r'"([^"]+)"\s*:', block)]


def legend_html(m) -> str:
    from borderwatch.maps.symbols import Legend

    return next(child for child in m._children.values() if isinstance(child, Legend)).html


def title_html(m) -> str:
    from borderwatch.maps.symbols import TitleBox

    return next(child for child in m._children.values() if isinstance(child, TitleBox)).html


@pytest.fixture(scope="module")
def comparison(scenario):
    """Loc Thinh closed and the trails of the route to Ho Chi Minh City (KHM-05-0104), Cau Treo inspected, a BLO
    named like a script added, one removed."""
    from borderwatch import AddBLO, CloseGates, CloseSegments, InspectGates, RemoveBLO, compare

    other = scenario.edited(
        CloseGates(("VN-KHM-009",)),
        CloseSegments(("KHM-05-0104",)),
        InspectGates(("VN-LAO-016",)),
        AddBLO(name=EVIL, at_gate="VN-LAO-019"),
        RemoveBLO("BLO-01"),
    )
    return compare(scenario, other)


def test_text_escapes_and_formats():
    import numpy as np
    import pandas as pd

    assert text(EVIL) == ESCAPED
    assert text(float("nan")) == "–" and text(None) == "–" and text("nan") == "–"
    assert text(pd.NA) == "–" and text(np.float64("nan")) == "–" and text(np.int64(3)) == "3"
    assert text(True) == "yes" and text(np.bool_(False)) == "no"
    assert text(0.12345) == "0.123" and text(12345.6) == "12,346"


def test_popup_escapes_values_and_titles_but_keeps_its_own_markup():
    html = popup(EVIL, [("name", EVIL)], provenance=[("source", 'a "quoted" <b>x</b>')])
    assert EVIL not in html and "<b>x</b>" not in html
    assert html.count("&lt;script&gt;") == 2 and "&quot;quoted&quot;" in html
    assert html.startswith('<div class="bw-popup"><h4>') and "Provenance" in html


def test_region_map_is_offline_and_has_every_region_layer(region):
    html = page(region_map(region))
    assert not FETCHED.search(html), FETCHED.search(html)
    assert not re.search(r"cdn\.jsdelivr|cdnjs|code\.jquery|bootstrapcdn|tile\.openstreetmap", html)
    assert "Leaflet 1.9.3, inlined" in html and "L.control.scale" in html and "bw-legend" in html
    assert layer_names(html) == [
        "Countries",
        "Provinces",
        "Land borders",
        "Border gates",
        "Border Liaison Offices (BLOs)",
        "Seaports",
        "Mekong wharfs",
        "Golden Triangle",
        *REFERENCE_LAYERS,
    ]
    assert "the shipped data" in html  # the title box says where the data came from


REFERENCE_LAYERS = [
    "Roads: national and trunk",
    "Roads: primary",
    "Roads: secondary, provincial and district",
    "Towns",
    "Province names",
]


def control_groups(html: str) -> tuple[list[tuple[str, str, str | None]], list[str]]:
    """(layer variable, group, exclusive key) of every layer the page's layer control lists; the groups' order."""
    call = re.search(r"= bwLayerControl\((.*?)\)\.addTo", html, re.S).group(1)
    layers = [
        (var, group, None if exclusive == "null" else exclusive.strip('"'))
        for var, group, exclusive in re.findall(r'\[(\w+), "([^"]+)", (null|"[^"]*")\]', call)
    ]
    return layers, json.loads(re.search(r"\],\s*(\[[^\[\]]*\])\s*$", call).group(1))


def test_region_map_groups_its_layers_collapses_its_control_and_has_search_print_and_phone_styles(region):
    m = region_map(region)
    html = page(m)
    layers, order = control_groups(html)
    assert order == ["Answer", "Reference data"] and len(layers) == 13
    assert re.search(r'"collapsed":\s*true', html)
    assert "bwSetUp(" in html and "bw-search" in html  # the search box, inlined
    assert re.search(r"@media print \{.*?\.leaflet-control-layers, [^{]*\{ display: none !important; \}", html, re.S)
    assert "@media (max-width: 600px)" in html
    # roads take no clicks and are drawn on a canvas; towns are searchable labels appearing with zoom
    assert html.count("renderer: L.canvas") == 3
    assert '"className":"bw-maplabel bw-lbl-town bw-minz-5 bw-dotted"' in html  # Hanoi, from zoom 5
    assert '"q":["Lang Son","Lạng Sơn"],"k":"town, VNM"' in html


def test_reference_layers_escape_names_and_draw_an_empty_layer(region):
    from borderwatch.maps import province_names_layer, roads_layer, towns_layer

    places = region.layers["places"]
    evil = places.iloc[:2].assign(name=[EVIL, "سوق " * 40])
    region.layers["places"] = evil
    try:
        m = base_map(region)
        towns = towns_layer(m, region)
    finally:
        region.layers["places"] = places
    html = page(m)
    assert EVIL not in html and '<span dir=\\"auto\\">' + ESCAPED in html  # escaped; right-to-left isolated
    layer = next(c for c in towns._children.values() if type(c).__name__ == "GeoLayer")
    assert layer.count == 2
    region.layers["places"] = places.iloc[:0]
    try:
        m = base_map(region)
        empty = towns_layer(m, region)
    finally:
        region.layers["places"] = places
    assert next(c for c in empty._children.values() if type(c).__name__ == "GeoLayer").count == 0
    assert "Towns" in layer_names(page(m))
    with pytest.raises(ParameterError, match="which must be one of"):
        roads_layer(m, region, "motorway")
    assert province_names_layer(m, region) is not None


def test_online_tiles_only_when_asked(region):
    html = page(region_map(region, tiles="OpenStreetMap"))
    assert "tile.openstreetmap.org" in html and "OpenStreetMap (online)" in html
    with pytest.raises(ParameterError, match="tiles must be None"):
        region_map(region, tiles="Stamen Toner")
    with pytest.raises(ParameterError, match="tiles must be None"):
        base_map(region, tiles="Stamen Toner")


def test_gate_name_from_data_is_escaped_everywhere(region):
    gates = region.layers["gates"]
    original = gates.loc[0, "name"]
    gates.loc[0, "name"] = EVIL
    try:
        html = page(region_map(region))
    finally:
        gates.loc[0, "name"] = original
    assert EVIL not in html
    assert ESCAPED in html


def test_save_map_is_atomic_and_checks_its_name(region, tmp_path):
    m = region_map(region)
    out = save_map(m, tmp_path / "map.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(OutputExistsError):
        save_map(m, out)
    with pytest.raises(ParameterError, match=r"\.html"):
        save_map(m, tmp_path / "map.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html"]


def test_base_map_alone_has_the_basemap_an_empty_legend_and_a_layer_control_last(region):
    m = base_map(region, title="Only the basemap", note="a note <b>")
    html = page(m)
    assert layer_names(html) == ["Countries", "Provinces"]
    assert "Only the basemap" in html and "a note &lt;b&gt;" in title_html(m) and "<h5>" not in legend_html(m)
    # a layer added after the page was rendered once still comes before the control
    gates_layer(m, region)
    html = page(m)
    assert layer_names(html) == ["Countries", "Provinces", "Border gates"]
    assert html.count("= bwLayerControl(") == 1
    assert html.rindex("= bwLayerControl(") > html.rindex("L.geoJSON")
    assert "Border gates" in legend_html(m) and "international gate" in legend_html(m)


def test_builders_compose_with_geodataframe_explore_and_a_plain_folium_map(region):
    m = base_map(region)
    explored = region.seaports[["id", "name", "geometry"]].explore(m=m, name="explored seaports")
    assert explored is m
    origin_layer(m, region)
    html = page(m)
    assert layer_names(html) == ["Countries", "Provinces", "explored seaports", "Golden Triangle"]
    plain = folium.Map(tiles=None)
    group = seaports_layer(plain, region)
    folium.LayerControl().add_to(plain)
    html = page(plain)
    assert isinstance(group, folium.FeatureGroup) and "Seaports" in layer_names(html)
    assert ".bw-symbol" in html  # the builder brings the stylesheet its symbols need


@pytest.mark.slow
def test_region_map_of_a_scenario_without_analysis(scenario):
    html = page(region_map(scenario))
    assert layer_names(html)[2:4] == ["Land borders", "Border gates"]
    assert "bw-closed" not in html  # the base scenario closes nothing


REGION_BUILDERS = {
    "borders_layer": (lambda m, sc, a: borders_layer(m, sc), "Land borders", "land border of Vietnam"),
    "gates_layer": (lambda m, sc, a: gates_layer(m, sc), "Border gates", "international gate"),
    "blos_layer": (lambda m, sc, a: blos_layer(m, sc), "Border Liaison Offices (BLOs)", "Border Liaison Office"),
    "seaports_layer": (lambda m, sc, a: seaports_layer(m, sc), "Seaports", "seaport"),
    "wharfs_layer": (lambda m, sc, a: wharfs_layer(m, sc), "Mekong wharfs", "Mekong wharf"),
    "origin_layer": (lambda m, sc, a: origin_layer(m, sc), "Golden Triangle", "Golden Triangle (origin)"),
}
ANALYSIS_BUILDERS = {
    "borders_layer(coverage)": (
        lambda m, sc, a: borders_layer(m, sc, a.coverage),
        "Border and coast: BLO coverage (2 h)",
        "land border covered",
    ),
    "gates_layer(ranking)": (
        lambda m, sc, a: gates_layer(m, sc, a.ranking),
        "Border gates (colour and size = risk score)",
        "risk score 0 → 1",
    ),
    "blos_layer(coverage)": (
        lambda m, sc, a: blos_layer(m, sc, coverage=a.coverage),
        "Border Liaison Offices (BLOs)",
        "Border Liaison Office",
    ),
    "routes_layer": (
        lambda m, sc, a: routes_layer(m, a.routes),
        "Least-cost routes (width = demand share)",
        "least-cost",
    ),
    "routes_layer(alternatives)": (
        lambda m, sc, a: routes_layer(m, a.routes, alternatives=True),
        "Alternative routes (2nd, 3rd)",
        "2nd/3rd diverse route",
    ),
    "ensemble_layer": (lambda m, sc, a: ensemble_layer(m, sc, a.chokepoints), "Ensemble route usage", "ensemble usage"),
    "pinch_layer": (lambda m, sc, a: pinch_layer(m, sc, a.chokepoints), "Pinch points", "pinch point"),
    "cut_layer": (lambda m, sc, a: cut_layer(m, sc, a.chokepoints), "Minimum cut", "minimum cut"),
    "reach_layer": (lambda m, sc, a: reach_layer(m, a.coverage), "BLO patrol reach (2 h)", "patrols reach in 2 h"),
    "uncovered_layer": (
        lambda m, sc, a: uncovered_layer(m, a.coverage, top=3),
        "Uncovered stretches (top 3 by flow)",
        "uncovered stretch",
    ),
    "siting_layer": (lambda m, sc, a: siting_layer(m, a.siting), "Proposed BLO sites (5", "proposed new BLO site"),
    "interdiction_layer": (
        lambda m, sc, a: interdiction_layer(m, sc, a.interdiction),
        "Interdiction: after (5 closed crossings",
        "closed crossing",
    ),
}


def check_builder(m, build, name, legend, *args):
    """One builder on a fresh base map: one new FeatureGroup, named, with features, explained in the legend."""
    before = layer_names(page(m))
    group = build(m, *args)
    assert isinstance(group, folium.FeatureGroup)
    html = page(m)
    names = layer_names(html)
    assert names[: len(before)] == before and len(names) == len(before) + 1
    assert names[-1].startswith(name), names
    layer = next(child for child in group._children.values() if type(child).__name__ == "GeoLayer")
    assert layer.count > 0, name
    assert legend in legend_html(m), (legend, legend_html(m))
    assert not FETCHED.search(html)


@pytest.mark.parametrize("builder", list(REGION_BUILDERS))
def test_each_region_layer_builder_alone(region, builder):
    build, name, legend = REGION_BUILDERS[builder]
    check_builder(base_map(region), build, name, legend, region, None)


@pytest.mark.slow
@pytest.mark.parametrize("builder", list(ANALYSIS_BUILDERS))
def test_each_analysis_layer_builder_alone(analysis, builder):
    build, name, legend = ANALYSIS_BUILDERS[builder]
    check_builder(base_map(analysis.scenario), build, name, legend, analysis.scenario, analysis)


@pytest.mark.slow
def test_chokepoint_builders_compute_the_metrics_when_not_given(scenario):
    m = base_map(scenario)
    assert layer_names(page(m)) == ["Countries", "Provinces"]
    ensemble_layer(m, scenario)  # the scenario's stored chokepoint metrics
    cut_layer(m, scenario, show=True)
    names = layer_names(page(m))
    assert names[2].startswith("Ensemble route usage") and names[3].startswith("Minimum cut")


def test_builders_that_need_the_scenario_say_so(region):
    m = base_map(region)
    for build in (ensemble_layer, pinch_layer, cut_layer):
        with pytest.raises(ParameterError, match=r"needs the borderwatch\.Scenario"):
            build(m, region)
    with pytest.raises(ParameterError, match="Scenario or Region"):
        gates_layer(m, "gates.csv")
    with pytest.raises(ParameterError, match="needs a Comparison"):
        comparison_map(region)


@pytest.mark.slow
def test_analysis_map_has_every_layer_and_stays_small(analysis):
    html = page(region_map(analysis.scenario, analysis))
    assert not FETCHED.search(html)
    names = layer_names(html)
    for expected in (
        "Border and coast: BLO coverage (2 h)",
        "Uncovered stretches (top 10 by flow)",
        "Least-cost routes (width = demand share)",
        "Alternative routes (2nd, 3rd)",
        "Ensemble route usage",
        "Pinch points",
        "Minimum cut",
        "Interdiction",
        "BLO patrol reach (2 h)",
        "Border gates (colour and size = risk score)",
        "Proposed BLO sites",
        "Seaports",
        "Mekong wharfs",
        "Golden Triangle",
        "Inspection: 3 teams",
        "Inspection: 5 teams",
    ):
        assert any(n.startswith(expected) for n in names), (expected, names)
    assert len(names) == 26
    assert len(html.encode()) < 10e6
    layers, order = control_groups(html)
    assert order == ["Answer", "Analysis", "Interdiction and inspection (one at a time)", "Reference data"]
    assert [e for _, _, e in layers].count("interdiction") == 4  # before/after and two inspection plans: one at a time
    m = region_map(analysis.scenario, analysis)
    on = {c.layer_name for c in m._children.values() if isinstance(c, folium.FeatureGroup) and c.show}
    assert any(n.startswith("Least-cost routes") for n in on) and any(n.startswith("Uncovered") for n in on)
    assert not any(n.startswith(("Ensemble", "Border and coast", "Pinch", "Minimum cut", "Interdiction")) for n in on)
    top = analysis.ranking.gates.iloc[0]
    assert f"{top['name']} ({top['gate_id']})" in html  # the top gate's marker title
    assert "risk score" in html and "snapping method" in html
    assert "ensemble 40 samples" in html and "the shipped data" in html


@pytest.mark.slow
def test_gate_popups_say_in_plain_words_why_a_gate_ranks_and_where_its_flow_goes(analysis, sealed):
    m = base_map(analysis.scenario)
    gates_layer(m, analysis.scenario, analysis.ranking)
    html = page(m)
    top = analysis.ranking.gates.iloc[0]
    start = html.index(f"<h4>{top['name']} (")
    text = html[start : html.index('"t":', start)]
    assert f"Ranked 1 of {int(analysis.ranking.gates['rank'].notna().sum())} mainly because" in text
    # every least-cost route crosses on trails, so the top gate's popup says closing it moves no flow ...
    assert "No least-cost route uses it: closing it would move no flow." in text
    assert "<details><summary" in text and "Provenance" in text and "Model figures" in text
    # ... and with every trail sealed, Lóng Sập carries half the demand and its popup says where that goes
    m = base_map(sealed)
    ranking = rank_gates(sealed.with_settings(samples=10))
    gates_layer(m, sealed, ranking)
    html = page(m)
    start = html.index("<h4>Long Sap (")
    text = html[start : html.index('"t":', start)]
    flow = ranking.gates.set_index("gate_id").loc["VN-LAO-005", "flow_share"]
    assert flow > 0.5 and f"the least-cost routes send {flow:.0%} of the demand through it" in text
    assert "If it closes, its flow moves: " in text and "% to " in text  # where the flow goes, with shares


@pytest.mark.slow
def test_region_map_takes_the_region_or_scenario_of_its_analysis_only(analysis, scenario):
    assert "Border gates (colour" in page(region_map(analysis.region, analysis))  # the notebooks' call
    with pytest.raises(ParameterError, match="another scenario"):
        region_map(scenario.with_settings(hours=4), analysis)
    with pytest.raises(ParameterError, match="RegionAnalysis"):
        region_map(scenario, analysis.coverage)


@pytest.mark.slow
def test_analysis_map_escapes_ranked_gate_names(analysis):
    gates = analysis.ranking.gates
    original = gates.loc[0, "name"]
    gates.loc[0, "name"] = EVIL
    try:
        html = page(region_map(analysis.scenario, analysis))
    finally:
        gates.loc[0, "name"] = original
    assert EVIL not in html and ESCAPED in html


@pytest.mark.slow
def test_an_edited_scenario_marks_its_closed_gates_and_edited_blos(comparison):
    edited = comparison.other.scenario
    m = region_map(edited)
    html = page(m)
    assert "Loc Thinh (VN-KHM-009, closed)" in html and "Cau Treo (VN-LAO-016, inspected)" in html
    assert html.count("bw-closed") == 1 and html.count("bw-inspected") == 1
    assert f"{IN_SCRIPT} (added)" in html and f"BLO · {ESCAPED}" in html and EVIL not in html
    assert "Mong Cai (removed)" in html  # a removed BLO is drawn, marked
    legend = legend_html(m)
    assert "gate closed by the scenario" in legend and "BLO removed by the scenario" in legend
    assert "scenario: close gate VN-KHM-009" in html  # the title box names the scenario


@pytest.mark.slow
def test_comparison_map_draws_three_route_colours_marks_edits_and_stays_offline(comparison):
    m = comparison_map(comparison)
    html = page(m)
    assert not FETCHED.search(html) and "Leaflet 1.9.3, inlined" in html
    assert layer_names(html) == [
        "Countries",
        "Provinces",
        "Border and coast: BLO coverage, baseline → scenario (2 h)",
        layer_names(html)[3],
        "Least-cost routes of both runs",
        "Least-cost routes only in the baseline (given up)",
        "Least-cost routes only in the scenario (new)",
        "Gates: rank change (colour), flow change (size)",
        "Border Liaison Offices (BLOs)",
        "Golden Triangle",
        *REFERENCE_LAYERS,
    ]
    assert control_groups(html)[1] == ["Answer", "Analysis", "Reference data"]
    assert layer_names(html)[3].startswith("Informal crossings gaining or losing flow")
    assert set(comparison.route_edges["part"]) == {"both", "base", "scenario"}
    for part in ("both", "base_only", "scenario_only"):
        assert f'"color":"{COLOURS[part]}"' in html, part  # each part drawn in its colour
    assert "Loc Thinh (VN-KHM-009, closed)" in html and html.count("bw-closed") == 1
    assert "Cau Treo (VN-LAO-016, inspected)" in html
    assert f"{IN_SCRIPT} (added)" in html and f"BLO · {ESCAPED}" in html and EVIL not in html
    assert "Mong Cai (removed)" in html
    legend = legend_html(m)
    for label in (
        "Least-cost routes, baseline vs scenario (width = flow)",
        "in both runs",
        "only in the baseline (given up)",
        "only in the scenario (new)",
        "risk rank change",
        "gate closed by the scenario",
        "no longer covered",
    ):
        assert label in legend, label
    assert "What if: close gate VN-KHM-009" in html and "baseline: base" in html


@pytest.mark.slow
def test_comparison_layer_builders_alone(comparison):
    sc = comparison.other.scenario
    for build, name in (
        (lambda m: route_change_layer(m, comparison, "scenario"), "Least-cost routes only in the scenario"),
        (lambda m: gate_change_layer(m, comparison), "Gates: rank change"),
        (lambda m: segment_change_layer(m, comparison), "Informal crossings gaining or losing flow"),
        (lambda m: coverage_change_layer(m, comparison), "Border and coast: BLO coverage, baseline"),
    ):
        m = base_map(sc)
        group = build(m)
        assert isinstance(group, folium.FeatureGroup)
        assert layer_names(page(m))[-1].startswith(name)
    with pytest.raises(ParameterError, match="part must be one of"):
        route_change_layer(base_map(sc), comparison, "neither")


@pytest.mark.slow
def test_comparison_popups_give_both_runs_and_the_change(comparison):
    html = page(comparison_map(comparison))
    assert "risk rank, baseline → scenario" in html and "flow change interval (5–95 %)" in html
    assert "samples whose flow changed" in html and "of 40" in html
