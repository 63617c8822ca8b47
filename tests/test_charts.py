"""The charts (borderwatch.charts): valid, titled, scalable SVG with units; hostile labels shown as text; empty data
gives a placeholder; the report's index.html carries every chart inline; the next-team curves of analyse_region."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from borderwatch import charts
from borderwatch.errors import ParameterError

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(\"x\")</script> & 'q' $x$ مرز حدود"
LONG = "Cửa khẩu " + "rất dài " * 30


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> str:
    return " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))


def check_chart(chart: charts.Chart, *, units: tuple[str, ...] = ()) -> str:
    """A chart is one <svg> element that scales, is titled and described, and says its units; returns its text."""
    assert isinstance(chart, charts.Chart) and chart.startswith("<svg")
    root = parse(chart)
    assert root.get("width") == "100%" and root.get("height") is None and root.get("role") == "img"
    assert root.get("viewBox") and "max-width" in root.get("style")
    assert root.find(f"{SVG}title").text == chart.title and root.find(f"{SVG}desc").text == chart.alt
    shown = texts(root)
    assert chart.title in shown  # the title is drawn, as text
    for unit in units:
        assert unit in shown, unit
    assert chart.caption.endswith(".") and len(chart.caption) > 20
    for el in root.iter():  # nothing outside the chart: only references inside it
        for attr in ("href", "{http://www.w3.org/1999/xlink}href", "src"):
            assert el.get(attr) is None or el.get(attr).startswith("#"), el.get(attr)
    return shown


# ---------------------------------------------------------------------------- tiny tables of known content


def gates_table(names=("Lóng Sập", "Tây Trang", "Nậm Cắn")) -> pd.DataFrame:
    n = len(names)
    return pd.DataFrame(
        {
            "gate_id": [f"G{i}" for i in range(n)],
            "name": list(names),
            "rank": pd.array(range(1, n + 1), dtype="Int64"),
            "score": np.linspace(0.9, 0.3, n),
            "rank_low": pd.array([1] * n, dtype="Int64"),
            "rank_high": pd.array([min(i + 2, n) for i in range(n)], dtype="Int64"),
            "flow_share": np.linspace(0.5, 0.1, n),
            "travel_cost_heq": np.linspace(40.0, 60.0, n),
            "status": ["ranked"] * n,
        }
    )


def test_ranking_chart_stacks_the_weighted_components_to_the_score_and_shows_the_interval():
    chart = charts.ranking_chart(gates_table(), weights={"flow": 0.5, "travel": 0.5})
    shown = check_chart(chart, units=("score (0–1)", "rank (1 = top)"))
    assert "1  Lóng Sập" in shown and "flow" in shown and "travel" in shown
    assert "Lóng Sập ranks 1 (rank interval 1–2)" in chart.caption
    # bars: flow 0.5 * (value / largest), travel 0.5 * (smallest / value): the first gate's bars sum to 1.0
    assert "at 0.90" in chart.alt and "Tây Trang" in shown


def test_coverage_by_hours_equals_coverage_at_each_patrol_time_and_charts_it():
    segs = pd.DataFrame(
        {
            "border": ["LAO", "LAO", "CHN", "CHN"],
            "length_km": [5.0, 5.0, 4.0, 6.0],
            "nearest_blo_h": [0.5, 3.0, 2.0, np.nan],
        }
    )
    table = charts.coverage_by_hours(segs, hours=[1, 2, 4])
    got = table.set_index(["border", "hours"])["covered_pct"].to_dict()
    assert got == {
        ("CHN", 1.0): 0.0,
        ("CHN", 2.0): 40.0,
        ("CHN", 4.0): 40.0,
        ("LAO", 1.0): 50.0,
        ("LAO", 2.0): 50.0,
        ("LAO", 4.0): 100.0,
    }
    shown = check_chart(charts.coverage_hours_chart(table, current_hours=2), units=("patrol time (h)", "(%)"))
    assert "LAO (10 km)" in shown and "now: 2 h" in shown
    with pytest.raises(ParameterError, match="each a number > 0"):
        charts.coverage_by_hours(segs, hours=[0])


def test_next_team_curves_say_what_each_step_buys():
    curve = pd.DataFrame({"k": [0, 1, 2], "cost_heq": [10.0, 12.0, 12.5], "exact_cost_heq": [10.0, np.nan, 12.75]})
    chart = charts.interdiction_curve_chart(curve)
    shown = check_chart(chart, units=("(h-eq)", "crossings closed (k)"))
    assert "+2.00 h" in shown and "+0.50 h" in shown and "crossing 1 buys the most (+2.00 h-eq)" in chart.caption
    sites = pd.DataFrame({"p": [0, 1, 2], "covered_pct": [40.0, 55.0, 60.0]})
    chart = charts.siting_curve_chart(sites, objective="length")
    check_chart(chart, units=("land border covered (%)", "new BLO sites (p)"))
    assert "site 1 adds the most (+15.0 points)" in chart.caption


def test_convergence_corridor_and_seaport_charts():
    samples = pd.DataFrame({"G1": [0.6, 0.4, 0.5, 0.5], "G2": [0.4, 0.6, 0.5, 0.5], "G3": [0.0] * 4})
    shown = check_chart(
        charts.convergence_chart(samples, names={"G1": "Lóng Sập"}, top=5), units=("samples (count)", "(%)")
    )
    assert "Lóng Sập" in shown and "G2" in shown and "G3" not in shown  # a gate with no flow is not drawn
    routes = pd.DataFrame(
        {
            "destination": ["Hanoi", "Hanoi", "export to Manila (Philippines)"],
            "rank": [1, 2, 1],
            "share": [0.4, 0.4, 0.1],
            "entry_crossing": ["VN-LAO-005", "informal", "informal"],
            "entry_name": ["Na Mèo", "", ""],
            "entry_border": ["LAO", "LAO", "KHM"],
        }
    )
    shown = check_chart(charts.corridor_flow_chart(routes), units=("share of the demand (%)",))
    assert "Hanoi via Na Mèo" in shown and "Manila (Philippines) via informal (KHM)" in shown and "40.0 %" in shown
    segments = gpd.GeoDataFrame(
        {"segment_id": ["LAO-00-0062"]}, geometry=[shapely.LineString([(104.0, 20.0), (104.0, 20.02)])], crs=4326
    )
    routes["entry_lon"], routes["entry_lat"] = [104.3, 104.0, 104.0], [19.8, 20.01, 20.01]
    assert "via informal LAO-00-0062" in texts(parse(charts.corridor_flow_chart(routes, segments=segments)))
    ports = pd.DataFrame(
        {
            "vn_seaport": ["SP-08 Hai Phong", "SP-08 Hai Phong", "SP-01 Cat Lai"],
            "share": [0.1, 0.05, 0.0],
            "ensemble_share": [0.1, 0.0, 0.0001],
        }
    )
    shown = check_chart(charts.seaport_flow_chart(ports), units=("share of all demand (%)",))
    assert "SP-08 Hai Phong" in shown and "Cat Lai" not in shown  # under 0.5 % in both: left out


def test_comparison_charts_show_rank_shifts_and_displacement():
    gates = pd.DataFrame(
        {
            "gate_id": ["A", "B", "C"],
            "name": ["Cầu Treo", "Nậm Cắn", ""],
            "rank_base": pd.array([1, 2, 3], dtype="Int64"),
            "rank_scenario": pd.array([pd.NA, 1, 2], dtype="Int64"),
            "edit": ["closed", "", ""],
        }
    )
    chart = charts.rank_shift_chart(gates)
    shown = check_chart(chart, units=("risk rank (1 = highest)",))
    assert "closed" in shown and "C" in shown  # a gate without a name shows its id
    assert "2 of the 3 gates shown move" in chart.caption
    moved = pd.DataFrame(
        {
            "kind": ["gate", "segment"],
            "id": ["A", "LAO-00-0061"],
            "name": ["Cầu Treo", ""],
            "flow_change": [-0.2, 0.2],
            "flow_change_low": [-0.3, 0.1],
            "flow_change_high": [-0.1, 0.3],
        }
    )
    shown = check_chart(charts.displacement_chart(moved), units=("% of the demand",))
    assert "Cầu Treo (gate)" in shown and "LAO-00-0061 (segment)" in shown


# ---------------------------------------------------------------------------- bad input


def test_hostile_labels_are_text_escaped_single_line_and_short():
    chart = charts.ranking_chart(gates_table((HOSTILE, LONG, "a\nb\x00c\u202ed $x$")), weights={"flow": 1.0})
    root = parse(chart)  # well-formed: the markup is escaped
    assert not [el for el in root.iter() if el.tag.endswith("script")]
    assert "<script>" not in chart and "&lt;script&gt;" in chart
    shown = texts(root)
    assert '<script>alert("x")' in shown  # shown as the text it is
    lines = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert any(LONG[:20] in t and t.endswith("…") and len(t) < 40 for t in lines)
    assert "a b cd $x$" in shown  # control characters blank, a bidi override gone
    check_chart(chart)
    cut = charts.label(HOSTILE + "!" * 100)
    assert len(cut) <= charts.LABEL_CHARS + 2 and cut.endswith("…")
    rtl = charts.corridor_flow_chart(
        pd.DataFrame(
            {
                "destination": ["مرز حدود"],
                "rank": [1],
                "share": [0.5],
                "entry_crossing": ["informal"],
                "entry_name": [""],
                "entry_border": ["LAO"],
            }
        )
    )
    assert "مرز حدود via informal (LAO)" in texts(parse(rtl)).replace("\n", " ")


@pytest.mark.parametrize(
    "draw",
    [
        lambda: charts.ranking_chart(gates_table().iloc[:0], weights={"flow": 1.0}),
        lambda: charts.coverage_hours_chart(
            charts.coverage_by_hours(pd.DataFrame(columns=["border", "length_km", "nearest_blo_h"]))
        ),
        lambda: charts.interdiction_curve_chart(pd.DataFrame({"k": [0], "cost_heq": [1.0]})),
        lambda: charts.siting_curve_chart(pd.DataFrame(columns=["p", "covered_pct"])),
        lambda: charts.convergence_chart(pd.DataFrame()),
        lambda: charts.corridor_flow_chart(pd.DataFrame(columns=["destination", "rank", "share"])),
        lambda: charts.seaport_flow_chart(pd.DataFrame(columns=["vn_seaport", "share", "ensemble_share"])),
        lambda: charts.rank_shift_chart(pd.DataFrame(columns=["name", "rank_base", "rank_scenario"])),
        lambda: charts.displacement_chart(pd.DataFrame(columns=["kind", "id", "name", "flow_change"])),
    ],
    ids=["ranking", "coverage", "interdiction", "siting", "convergence", "corridors", "seaports", "ranks", "moved"],
)
def test_empty_data_gives_a_placeholder_that_says_so(draw):
    chart = draw()
    assert "no data:" in texts(parse(chart)) and chart.caption.startswith("Nothing to show")
    check_chart(chart)


def test_wrong_input_is_refused_at_the_door_and_output_is_deterministic():
    with pytest.raises(ParameterError, match="ranking_chart"):
        charts.ranking_chart([1, 2])
    with pytest.raises(ParameterError, match="convergence_chart"):
        charts.convergence_chart(None)
    with pytest.raises(ParameterError, match="mode"):
        charts.interdiction_curve_chart(pd.DataFrame({"k": [0, 1], "cost_heq": [1.0, 2.0]}), mode="burn")
    with pytest.raises(ParameterError, match="cost_heq"):
        charts.interdiction_curve_chart(pd.DataFrame({"k": [0, 1]}))
    with pytest.raises(ParameterError, match="hours"):
        charts.coverage_by_hours(pd.DataFrame(columns=["border", "length_km", "nearest_blo_h"]), hours=["x"])
    one, two = (charts.ranking_chart(gates_table(), weights={"flow": 1.0}) for _ in range(2))
    assert one == two and "dc:date" not in one
    ids = re.findall(r'id="([^"]+)"', one + charts.convergence_chart(pd.DataFrame({"G": [0.5, 0.5]})))
    assert ids.count("bwchart-ranking") == 1 and ids.count("bwchart-convergence") == 1


def test_greedy_costs_are_what_each_next_unit_buys():
    from borderwatch import Scenario
    from borderwatch.analysis.interdiction import interdict_crossings

    G = nx.MultiDiGraph()
    for u, v, c, g in [("o", "t", 1.0, "A"), ("o", "t", 2.0, "B"), ("o", "t", 4.0, "C")]:
        G.add_edge(u, v, cost=c, gate_id=g)
    sc = Scenario.from_graph(G, origin="o", destinations=["t"])
    assert interdict_crossings(sc, k=2).result.greedy_costs == [1.0, 2.0, 4.0]
    assert interdict_crossings(sc, k=0).result.greedy_costs == [1.0]


# ---------------------------------------------------------------------------- on the shipped analysis


def test_analysis_curves_start_at_today_and_end_at_the_plans(analysis):
    curves = analysis.curves
    plan, siting = analysis.interdiction.result, analysis.siting
    inter = curves.interdiction
    assert inter["k"].tolist() == list(range(analysis.settings["interdict_k"] + 1))
    assert inter["cost_heq"].iloc[0] == pytest.approx(plan.cost_before)
    assert (np.diff(inter["cost_heq"]) >= -1e-9).all()  # each greedy step raises the cost or stops
    assert inter["exact_cost_heq"].iloc[-1] == pytest.approx(plan.cost_after)
    assert plan.cost_after >= inter["cost_heq"].iloc[-1] - 1e-9  # the exact optimum is at least the greedy's
    sites = curves.siting
    assert sites["p"].tolist() == list(range(analysis.settings["site_p"] + 1))
    assert sites["covered"].iloc[0] == pytest.approx(siting.before) and sites["covered"].iloc[-1] == pytest.approx(
        siting.after
    )
    assert (np.diff(sites["covered"]) >= -1e-9).all() and "curves" in analysis.timings_s


def test_coverage_by_hours_agrees_with_blo_coverage_at_other_hours(analysis):
    from borderwatch import blo_coverage

    sc = analysis.scenario
    table = charts.coverage_by_hours(analysis.coverage, hours=[sc.settings.hours, 4.0])
    for hours in (sc.settings.hours, 4.0):
        expected = analysis.coverage if hours == sc.settings.hours else blo_coverage(sc.with_settings(hours=hours))
        got = table[table["hours"] == hours].set_index("border")["covered_km"]
        assert got.to_dict() == pytest.approx(expected.summary["covered_km"].to_dict(), abs=0.01), hours


def test_the_report_index_carries_every_chart_inline(report_dir):
    index = (report_dir / "index.html").read_text(encoding="utf-8")
    figures = re.findall(
        r'<figure class="chart">(<svg.*?</svg>)\s*<figcaption>(.+?)</figcaption></figure>', index, flags=re.S
    )
    ids = [parse(svg).get("id") for svg, _ in figures]
    assert ids == [
        "bwchart-corridors",
        "bwchart-seaports",
        "bwchart-ranking",
        "bwchart-convergence",
        "bwchart-coverage_hours",
        "bwchart-siting_curve",
        "bwchart-interdiction_curve",
    ]
    for svg, caption in figures:
        root = parse(svg)
        assert root.find(f"{SVG}title").text in texts(root) and caption.startswith("Read")
        for el in root.iter():
            for attr in ("href", "{http://www.w3.org/1999/xlink}href", "src"):
                assert el.get(attr) is None or el.get(attr).startswith("#")
    assert "<script" not in index


def test_the_comparison_section_carries_its_charts(analysis, cau_treo):
    from borderwatch.report import overview_page

    page = overview_page(analysis, comparison=cau_treo)
    section = page[page.index("What if:") : page.index("Corridors: least-cost")]
    assert 'id="bwchart-rank_shift"' in section and 'id="bwchart-displacement"' in section
    assert "Cau Treo" in section or "Cầu Treo" in section
