"""The offline map: layers, legend, escaping, and a page that fetches nothing from the network."""

from __future__ import annotations

import re

import pytest

from borderwatch.errors import OutputExistsError, ParameterError
from borderwatch.maps import region_map, save_map
from borderwatch.maps.popups import popup, text

EVIL = "<script>alert(1)</script>"
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
    return re.findall(r'"([^"]+)"\s*:', block)


def test_text_escapes_and_formats():
    assert text(EVIL) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert text(float("nan")) == "–" and text(None) == "–" and text("nan") == "–"
    assert text(True) == "yes" and text(0.12345) == "0.123" and text(12345.6) == "12,346"


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
    ]


def test_online_tiles_only_when_asked(region):
    html = page(region_map(region, tiles="OpenStreetMap"))
    assert "tile.openstreetmap.org" in html and "OpenStreetMap (online)" in html
    with pytest.raises(ParameterError, match="tiles must be None"):
        region_map(region, tiles="Stamen Toner")


def test_gate_name_from_data_is_escaped_everywhere(region):
    gates = region.layers["gates"]
    original = gates.loc[0, "name"]
    gates.loc[0, "name"] = EVIL
    try:
        html = page(region_map(region))
    finally:
        gates.loc[0, "name"] = original
    assert EVIL not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_save_map_is_atomic_and_checks_its_name(region, tmp_path):
    m = region_map(region)
    out = save_map(m, tmp_path / "map.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(OutputExistsError):
        save_map(m, out)
    with pytest.raises(ParameterError, match=r"\.html"):
        save_map(m, tmp_path / "map.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html"]


@pytest.mark.slow
def test_analysis_map_has_every_layer_and_stays_small(analysis):
    html = page(region_map(analysis.region, analysis))
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
    ):
        assert any(n.startswith(expected) for n in names), (expected, names)
    assert len(html.encode()) < 10e6
    top = analysis.ranking.gates.iloc[0]
    assert f"{top['name']} ({top['gate_id']})" in html  # the top gate's marker title
    assert "risk score" in html and "snapping method" in html


@pytest.mark.slow
def test_analysis_map_escapes_ranked_gate_names(analysis):
    gates = analysis.ranking.gates
    original = gates.loc[0, "name"]
    gates.loc[0, "name"] = EVIL
    try:
        html = page(region_map(analysis.region, analysis))
    finally:
        gates.loc[0, "name"] = original
    assert EVIL not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
