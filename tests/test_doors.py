"""Every public function refuses None, a wrong type or an empty table with a borderwatch error.

The checks are the door checks of :mod:`borderwatch.doors`: cheap, before any
work, so every case here runs on a toy graph or the session ``region``.
"""

from __future__ import annotations

import inspect
import re

import folium
import geopandas as gpd
import networkx as nx
import pandas as pd
import pytest
from shapely.geometry import LineString

import borderwatch as bw
from borderwatch.errors import BorderwatchError


def _toy() -> bw.Scenario:
    G = nx.MultiDiGraph()
    G.add_edge("o", "a", cost=1.0)
    G.add_edge("a", "t", cost=1.0, gate_id="A")
    G.add_edge("o", "t", cost=5.0, gate_id="B")
    return bw.Scenario.from_graph(G, origin="o", destinations=["t"])


def _profile():
    from borderwatch.network.profile import default_profile

    return default_profile()


_BAD = {"None": None, "int": 42, "empty frame": pd.DataFrame()}


def _n(x):
    """The wrong value for a number parameter, where 42 would be a right one."""
    return "42" if isinstance(x, int) else x


#: Public function -> a call with the wrong value ``x`` as its first argument (the rest valid, or checked after).
FIRST_ARGUMENT = {
    "analyse_region": lambda x, r, tmp: bw.analyse_region(x),
    "blo_coverage": lambda x, r, tmp: bw.blo_coverage(x),
    "blo_reconciliation": lambda x, r, tmp: bw.blo_reconciliation(x),
    "border_cut": lambda x, r, tmp: bw.border_cut(x),
    "borderlines": lambda x, r, tmp: bw.borderlines(x),
    "build_route_graph": lambda x, r, tmp: bw.build_route_graph(x),
    "cached_route_graph": lambda x, r, tmp: bw.cached_route_graph(x, profile=_profile()),
    "chokepoint_metrics": lambda x, r, tmp: bw.chokepoint_metrics(x),
    "compare": lambda x, r, tmp: bw.compare(x, x),
    "comparison_map": lambda x, r, tmp: bw.comparison_map(x),
    "edge_cost": lambda x, r, tmp: bw.edge_cost(_n(x), 0.0, profile=_profile()),
    "explain_route": lambda x, r, tmp: bw.explain_route(x, ["o", "t"]),
    "flow_ensemble": lambda x, r, tmp: bw.flow_ensemble(x),
    "gate_criticality": lambda x, r, tmp: bw.gate_criticality(x),
    "gate_reconciliation": lambda x, r, tmp: bw.gate_reconciliation(x),
    "graph_meta": lambda x, r, tmp: bw.graph_meta(x),
    "graph_summary": lambda x, r, tmp: bw.graph_summary(x),
    "interdict_crossings": lambda x, r, tmp: bw.interdict_crossings(x, k=1),
    "k_routes": lambda x, r, tmp: bw.k_routes(x),
    "least_cost_routes": lambda x, r, tmp: bw.least_cost_routes(x),
    "load_graph": lambda x, r, tmp: bw.load_graph(x),
    "load_profile": lambda x, r, tmp: bw.load_profile(x if x is not None else 42),  # None: the default profile
    "load_region": lambda x, r, tmp: bw.load_region(x if x is not None else 42),  # None: the shipped data
    "place_gates": lambda x, r, tmp: bw.place_gates(x),
    "rank_gates": lambda x, r, tmp: bw.rank_gates(x),
    "ranking_stability": lambda x, r, tmp: bw.ranking_stability(x),
    "seaport_flows": lambda x, r, tmp: bw.seaport_flows(x),
    "read_layer": lambda x, r, tmp: bw.read_layer(x, "gates"),
    "read_osmnx_roads": lambda x, r, tmp: bw.read_osmnx_roads(x),
    "read_scenario_file": lambda x, r, tmp: bw.read_scenario_file(x),
    "read_terrain": lambda x, r, tmp: bw.read_terrain(x),
    "region_info": lambda x, r, tmp: bw.region_info(x),
    "region_map": lambda x, r, tmp: bw.region_map(x),
    "road_border_contacts": lambda x, r, tmp: bw.road_border_contacts(x, _lines()),
    "save_graph": lambda x, r, tmp: bw.save_graph(x, tmp / "g.graphml"),
    "save_map": lambda x, r, tmp: bw.save_map(x, tmp / "m.html"),
    "segment_borders": lambda x, r, tmp: bw.segment_borders(x),
    "site_blos": lambda x, r, tmp: bw.site_blos(x, p=1),
    "snap_gates": lambda x, r, tmp: bw.snap_gates(x, _lines(), r.gates),
    "sweep": lambda x, r, tmp: bw.sweep(x, []),
    "validate_layer": lambda x, r, tmp: bw.validate_layer(x, _schema("gates")),
    "validate_route_graph": lambda x, r, tmp: bw.validate_route_graph(x),
    "vietnam_coastline": lambda x, r, tmp: bw.vietnam_coastline(x, r.countries),
    "write_comparison": lambda x, r, tmp: bw.write_comparison(x, tmp / "out"),
    "write_report": lambda x, r, tmp: bw.write_report(x, tmp / "out"),
    "write_table": lambda x, r, tmp: bw.write_table(x, tmp / "t.csv"),
}


def _lines() -> gpd.GeoDataFrame:
    """A borderline table of one short line (the door checks never read it further)."""
    return gpd.GeoDataFrame({"border": ["LAO"]}, geometry=[LineString([(105.0, 18.0), (105.1, 18.1)])], crs=4326)


def _schema(layer: str):
    from borderwatch.schema import SCHEMAS

    return SCHEMAS[layer]


#: Further arguments and options: (id, call with the wrong value ``x``, the region ``r`` and a toy scenario ``s``).
OTHER_ARGUMENTS = [
    (
        "analyse_region interdict_k",
        lambda x, r, s: bw.analyse_region(s, interdict_k=_n(x) if x is not None else 100_000),
    ),
    ("analyse_region site_p", lambda x, r, s: bw.analyse_region(s, site_p=_n(x) if x is not None else 100_000)),
    ("analyse_region site_objective", lambda x, r, s: bw.analyse_region(s, site_objective=x)),
    ("analyse_region interdict_units", lambda x, r, s: bw.analyse_region(s, interdict_units=x)),
    ("analyse_region on_step", lambda x, r, s: bw.analyse_region(s, on_step=x if x is not None else 42)),
    ("analyse_region progress", lambda x, r, s: bw.analyse_region(s, progress=x if x is not None else 42)),
    ("interdict_crossings k", lambda x, r, s: bw.interdict_crossings(s, k=_n(x) if x is not None else 100_000)),
    ("interdict_crossings candidates", lambda x, r, s: bw.interdict_crossings(s, k=1, candidates=x)),
    ("interdict_crossings mode", lambda x, r, s: bw.interdict_crossings(s, k=1, mode=x)),
    ("interdict_crossings method", lambda x, r, s: bw.interdict_crossings(s, k=1, method=x)),
    ("interdict_crossings time_limit_s", lambda x, r, s: bw.interdict_crossings(s, k=1, time_limit_s=_n(x))),
    ("site_blos p", lambda x, r, s: bw.site_blos(s, p=_n(x) if x is not None else 100_000)),
    ("site_blos target_pct", lambda x, r, s: bw.site_blos(s, target_pct=_n(x) if x is not None else 101.0)),
    ("site_blos objective", lambda x, r, s: bw.site_blos(s, p=1, objective=x)),
    ("site_blos candidates", lambda x, r, s: bw.site_blos(s, p=1, candidates=x if x is not None else 42)),
    ("site_blos chokepoints", lambda x, r, s: bw.site_blos(s, p=1, chokepoints=x if x is not None else 42)),
    ("site_blos time_limit_s", lambda x, r, s: bw.site_blos(s, p=1, time_limit_s=_n(x))),
    ("rank_gates chokepoints", lambda x, r, s: bw.rank_gates(s, chokepoints=x if x is not None else 42)),
    ("rank_gates incidents", lambda x, r, s: bw.rank_gates(s, incidents=x if x is not None else 42)),
    ("rank_gates progress", lambda x, r, s: bw.rank_gates(s, progress=x if x is not None else 42)),
    ("blo_coverage chokepoints", lambda x, r, s: bw.blo_coverage(s, chokepoints=x if x is not None else 42)),
    ("chokepoint_metrics progress", lambda x, r, s: bw.chokepoint_metrics(s, progress=x if x is not None else 42)),
    ("flow_ensemble progress", lambda x, r, s: bw.flow_ensemble(s, progress=x if x is not None else 42)),
    ("flow_ensemble first_sample", lambda x, r, s: bw.flow_ensemble(s, first_sample=_n(x))),
    ("k_routes k", lambda x, r, s: bw.k_routes(s, k=x)),
    ("k_routes penalty", lambda x, r, s: bw.k_routes(s, penalty=_n(x))),
    ("border_cut destinations", lambda x, r, s: bw.border_cut(s, destinations=x if x is not None else 42)),
    ("border_cut within_pct", lambda x, r, s: bw.border_cut(s, within_pct=_n(x) if x is not None else "5")),
    ("border_cut every_route", lambda x, r, s: bw.border_cut(s, every_route=x)),
    ("compare other", lambda x, r, s: bw.compare(s, x)),
    ("compare progress", lambda x, r, s: bw.compare(s, s, progress=x if x is not None else 42)),
    ("sweep scenarios", lambda x, r, s: bw.sweep(s, x)),
    ("sweep scenarios[0]", lambda x, r, s: bw.sweep(s, [x])),
    ("explain_route G", lambda x, r, s: bw.explain_route(s, ["o", "t"])),
    ("explain_route nodes", lambda x, r, s: bw.explain_route(s.G, x)),
    ("explain_route weight", lambda x, r, s: bw.explain_route(s.G, ["o", "t"], weight=x)),
    ("validate_route_graph weight", lambda x, r, s: bw.validate_route_graph(s.G, weight=x)),
    ("validate_route_graph full", lambda x, r, s: bw.validate_route_graph(s.G, full=x if x is not None else 42)),
    ("validate_route_graph limit", lambda x, r, s: bw.validate_route_graph(s.G, limit=_n(x))),
    ("load_graph weight", lambda x, r, s: bw.load_graph("never-read.graphml", weight=x)),
    ("save_graph path", lambda x, r, s: bw.save_graph(s.G, x)),
    ("save_map path", lambda x, r, s: bw.save_map(folium.Map(), x)),
    ("read_layer layer", lambda x, r, s: bw.read_layer("never-read.csv", x)),
    ("load_region dem", lambda x, r, s: bw.load_region(dem=x if x is not None else 42)),
    ("borderlines tolerance_m", lambda x, r, s: bw.borderlines(r.countries, tolerance_m=_n(x))),
    (
        "segment_borders segment_length_km",
        lambda x, r, s: bw.segment_borders(_lines(), segment_length_km=_n(x)),
    ),
    ("vietnam_coastline countries", lambda x, r, s: bw.vietnam_coastline(r.coastline, x)),
    ("vietnam_coastline within_m", lambda x, r, s: bw.vietnam_coastline(r.coastline, r.countries, within_m=_n(x))),
    ("road_border_contacts lines", lambda x, r, s: bw.road_border_contacts(r.roads, x)),
    ("snap_gates lines", lambda x, r, s: bw.snap_gates(r.gates, x, r.gates)),
    ("snap_gates contacts", lambda x, r, s: bw.snap_gates(r.gates, _lines(), x)),
    ("place_gates lines", lambda x, r, s: bw.place_gates(r, lines=x if x is not None else 42)),
    ("place_gates road_reach_m", lambda x, r, s: bw.place_gates(r, road_reach_m=_n(x))),
    ("validate_layer schema", lambda x, r, s: bw.validate_layer(r.gates, x)),
    ("build_route_graph profile", lambda x, r, s: bw.build_route_graph(r, profile=x if x is not None else 42)),
    ("cached_route_graph profile", lambda x, r, s: bw.cached_route_graph(r, profile=x)),
    ("cached_route_graph use_cache", lambda x, r, s: bw.cached_route_graph(r, profile=_profile(), use_cache=x)),
    ("edge_cost profile", lambda x, r, s: bw.edge_cost(1.0, 0.0, profile=x)),
]


def test_every_public_function_is_probed():
    public = {n for n in bw.__all__ if callable(getattr(bw, n)) and not inspect.isclass(getattr(bw, n))}
    assert public == set(FIRST_ARGUMENT)


@pytest.mark.parametrize("bad", list(_BAD.values()), ids=list(_BAD))
@pytest.mark.parametrize("name", sorted(FIRST_ARGUMENT))
def test_a_wrong_first_argument_is_a_borderwatch_error(region, tmp_path, name, bad):
    if name == "write_table" and isinstance(bad, pd.DataFrame):
        pytest.skip("an empty table is a table write_table may write")
    with pytest.raises(BorderwatchError, match=name):
        FIRST_ARGUMENT[name](bad, region, tmp_path)
    assert not any(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("bad", list(_BAD.values()), ids=list(_BAD))
@pytest.mark.parametrize("call", [c for _, c in OTHER_ARGUMENTS], ids=[i for i, _ in OTHER_ARGUMENTS])
def test_a_wrong_argument_or_option_is_a_borderwatch_error(region, request, call, bad):
    parameter = request.node.callspec.id.split("-")[-2].split(" ")[1]  # the message names it
    with pytest.raises(BorderwatchError, match=re.escape(parameter)):
        call(bad, region, _toy())


def test_the_message_names_the_function_the_parameter_what_was_given_and_what_to_give():
    with pytest.raises(bw.ParameterError, match=r"rank_gates: chokepoints must be Chokepoints or None, got int 42"):
        bw.rank_gates(_toy(), chokepoints=42)
    with pytest.raises(bw.ParameterError, match=r"segment_borders: lines must be GeoDataFrame, got an empty DataFrame"):
        bw.segment_borders(pd.DataFrame())
    with pytest.raises(
        bw.ParameterError, match=r"segment_borders: lines has no column 'border', 'geometry' \(its columns: none\)"
    ):
        bw.segment_borders(gpd.GeoDataFrame())
    with pytest.raises(bw.ParameterError, match=r"Scenario.least_cost: destination must be Hashable, got an empty"):
        _toy().least_cost(pd.DataFrame())
    with pytest.raises(bw.ParameterError, match=r"explain_route: G must be Graph, got a Scenario; .* scenario\.G"):
        bw.explain_route(_toy(), ["o", "t"])


def test_build_route_graph_checks_the_lattice_memory_itself(monkeypatch, region):
    def built(*args, **kwargs):
        raise AssertionError("the build started")

    monkeypatch.setattr("borderwatch.network.estimate.available_bytes", lambda: 8_000_000_000)
    monkeypatch.setattr("borderwatch.network.build.borderlines", built)
    with pytest.raises(bw.ProfileError, match=r"lattice.refine = 16 on the 265 x 241 DEM"):
        bw.build_route_graph(region, profile={"lattice": {"refine": 16}})


@pytest.mark.parametrize("name", sorted(FIRST_ARGUMENT))
def test_the_raises_section_documents_the_door_check(name):
    doc = inspect.getdoc(getattr(bw, name)) or ""
    raises = re.search(r"Raises\n-{6}\n(.*?)(\n\n[A-Z][a-z]+\n-{3,}|\Z)", doc, re.S)
    assert raises and "ParameterError" in raises.group(1), f"{name}: no ParameterError in its Raises section"
