"""Minimum cuts: known answers, brute force and networkx agreement, and the shipped border."""

import itertools
import random

import networkx as nx
import numpy as np
import pytest

from borderwatch import GraphArrays, ParameterError, UnknownNameError
from borderwatch.analysis.mincut import border_cut, minimum_cut


def undirected(edges, cost=1.0) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph()
    for a, b, *c in edges:
        G.add_edge(a, b, cost=c[0] if c else cost)
        G.add_edge(b, a, cost=c[0] if c else cost)
    return G


def link_units(arrays: GraphArrays) -> np.ndarray:
    """One unit per link (both directions close together)."""
    return np.array(["-".join(sorted(map(str, arrays.edge_id(e)[:2]))) for e in range(arrays.n_edges)], dtype=object)


def test_bow_tie_bridge_is_the_whole_cut():
    """Two triangles joined by one bridge x - y: the bridge is the cut, whatever else is cheap."""
    G = undirected([("s", "a"), ("s", "b"), ("a", "b"), ("a", "x"), ("b", "x"), ("x", "y"), ("y", "c"), ("y", "d")])
    G.add_edge("c", "t", cost=1.0)
    G.add_edge("d", "t", cost=1.0)
    arrays = GraphArrays.from_graph(G)
    units = link_units(arrays)
    cost = {u: (3.0 if u == "x-y" else 1.0) for u in set(units)}
    cut = minimum_cut(arrays, "s", ["t"], unit_of_edge=units, unit_cost=cost)
    # two cheap links (s-a + s-b, ...) cost 2.0 < 3.0, so a dear bridge is avoided
    assert cut.value == pytest.approx(2.0) and "x-y" not in cut.units.index
    cost = {u: (3.0 if u == "x-y" else 2.0) for u in set(units)}
    cut = minimum_cut(arrays, "s", ["t"], unit_of_edge=units, unit_cost=cost)
    assert list(cut.units.index) == ["x-y"] and cut.value == pytest.approx(3.0)
    assert sorted(arrays.edge_id(e)[:2] for e in cut.edges) == [("x", "y"), ("y", "x")]
    assert cut.source_side[arrays.row("x")] and not cut.source_side[arrays.row("y")]


def test_only_cuttable_units_are_cut_and_uncuttable_paths_are_reported():
    G = undirected([("s", "g1"), ("g1", "t"), ("s", "g2"), ("g2", "t")])
    arrays = GraphArrays.from_graph(G)
    units = np.where(np.isin(arrays.edge_v, [arrays.row("t")]), "gate:" + np.array(arrays.nodes)[arrays.edge_u], "")
    cut = minimum_cut(arrays, "s", ["t"], unit_of_edge=units, unit_cost={"gate:g1": 6.0, "gate:g2": 2.0})
    assert cut.value == pytest.approx(8.0) and list(cut.units.index) == ["gate:g2", "gate:g1"]
    G.add_edge("s", "t", cost=50.0)  # a third, uncuttable way
    arrays = GraphArrays.from_graph(G)
    units = np.where(
        (arrays.edge_v == arrays.row("t")) & (arrays.edge_u != arrays.row("s")),
        "gate:" + np.array(arrays.nodes)[arrays.edge_u],
        "",
    )
    with pytest.raises(ParameterError, match="without crossing any cuttable unit"):
        minimum_cut(arrays, "s", ["t"], unit_of_edge=units, unit_cost={"gate:g1": 6.0, "gate:g2": 2.0})


def test_within_pct_cuts_only_the_plausible_routes():
    """Route via gate A costs 10 h, via gate B 20 h: B joins the cut only when 20 h is within the bound."""
    G = nx.MultiDiGraph()
    G.add_edge("s", "A", cost=5.0)
    G.add_edge("A", "t", cost=5.0)
    G.add_edge("s", "B", cost=10.0)
    G.add_edge("B", "t", cost=10.0)
    arrays = GraphArrays.from_graph(G)
    units = np.where(arrays.edge_v == arrays.row("t"), "gate:" + np.array(arrays.nodes)[arrays.edge_u], "")
    cost = {"gate:A": 1.0, "gate:B": 1.0}
    members = {
        pct: sorted(minimum_cut(arrays, "s", ["t"], unit_of_edge=units, unit_cost=cost, within_pct=pct).units.index)
        for pct in (0.0, 50.0, 99.0, 100.0, None)
    }
    assert members == {
        0.0: ["gate:A"],
        50.0: ["gate:A"],
        99.0: ["gate:A"],
        100.0: ["gate:A", "gate:B"],
        None: ["gate:A", "gate:B"],
    }


@pytest.mark.parametrize("seed", range(6))
def test_agrees_with_brute_force_and_networkx(seed):
    rng = random.Random(seed)
    G = nx.gnm_random_graph(9, 18, seed=seed)
    M = undirected([(a, b, rng.uniform(0.5, 3.0)) for a, b in G.edges])
    arrays = GraphArrays.from_graph(M)
    units = link_units(arrays)
    cost = {u: float(rng.randint(1, 9)) for u in sorted(set(units))}
    target = 8 if nx.has_path(G, 0, 8) else max(nx.node_connected_component(G, 0))
    if target == 0:
        pytest.skip("isolated origin")
    cut = minimum_cut(arrays, 0, [target], unit_of_edge=units, unit_cost=cost)
    # brute force: the cheapest set of links whose removal disconnects 0 from the target
    best = np.inf
    names = sorted(cost)
    for r in range(len(names) + 1):
        for chosen in itertools.combinations(names, r):
            price = sum(cost[c] for c in chosen)
            if price >= best:
                continue
            H = nx.Graph([(a, b) for a, b in G.edges if "-".join(sorted(map(str, (a, b)))) not in chosen])
            if not (H.has_node(0) and H.has_node(target) and nx.has_path(H, 0, target)):
                best = price
    assert cut.value == pytest.approx(best)
    assert cut.units["closing_cost"].sum() == pytest.approx(best)
    D = nx.DiGraph()
    for a, b in G.edges:
        c = cost["-".join(sorted(map(str, (a, b))))]
        D.add_edge(a, b, capacity=c)
        D.add_edge(b, a, capacity=c)
    assert cut.value == pytest.approx(nx.minimum_cut_value(D, 0, target))


def test_bad_arguments():
    G = undirected([("s", "t")])
    arrays = GraphArrays.from_graph(G)
    units = link_units(arrays)
    with pytest.raises(ParameterError, match="no closing cost"):
        minimum_cut(arrays, "s", ["t"], unit_of_edge=units, unit_cost={})
    with pytest.raises(ParameterError, match="finite and >= 0"):
        minimum_cut(arrays, "s", ["t"], unit_of_edge=units, unit_cost={"s-t": -1.0})
    with pytest.raises(ParameterError, match="within_pct"):
        minimum_cut(arrays, "s", ["t"], unit_of_edge=units, unit_cost={"s-t": 1.0}, within_pct=-5)
    with pytest.raises(ParameterError, match="at least one destination"):
        minimum_cut(arrays, "s", [], unit_of_edge=units, unit_cost={"s-t": 1.0})


@pytest.mark.slow
def test_border_cut_on_the_shipped_graph(scenario, region):
    from borderwatch import borderlines, segment_borders

    arrays = scenario.arrays
    segments = segment_borders(borderlines(region.countries))
    assert list(scenario.segments["segment_id"]) == list(segments["segment_id"])  # the cut's units: these segments
    least = border_cut(scenario, within_pct=0.0)
    # the least-cost routes enter through these crossings only: the trails beside Tây Trang (LAO-00-0062),
    # those towards Da Nang (LAO-00-0201) and those of Tây Ninh towards Ho Chi Minh City (KHM-05-0104)
    assert set(least.units.index) == {"segment:KHM-05-0104", "segment:LAO-00-0062", "segment:LAO-00-0201"}
    assert scenario.settings.within_pct == 25.0
    plausible = border_cut(scenario)  # settings: within 25 %
    every = border_cut(scenario, every_route=True)
    assert least.value < plausible.value < every.value
    assert set(least.units.index) <= set(every.units.index)
    # the bound from the settings is the bound given to the call
    by_settings = border_cut(scenario.with_settings(within_pct=0.0))
    assert by_settings.value == pytest.approx(least.value) and list(by_settings.units.index) == list(least.units.index)
    # every route: closing every gate and every reachable stretch of the border
    assert (every.units["kind"] == "gate").sum() == len(set(arrays.gate_id[arrays.crossing == "gate"]))
    assert every.units["length_km"].sum() > 3000
    assert set(every.units.loc[every.units["kind"] == "segment", "id"]) <= set(segments["segment_id"])
    # the cut really separates: no Vietnamese city is reachable with its crossings closed
    closed = arrays.without(every.edges)
    dist, _ = closed.dijkstra([scenario.origin])
    for name in ("Hanoi", "Ho Chi Minh City", "Haiphong", "Da Nang"):
        assert np.isinf(dist[0, arrays.row(scenario.destinations[name])])
    # named destinations only; an unknown name lists the valid ones
    hanoi = border_cut(scenario, destinations=["Hanoi"], within_pct=0.0)
    assert hanoi.value <= least.value
    with pytest.raises(UnknownNameError, match="Atlantis"):
        border_cut(scenario, destinations=["Atlantis"])
