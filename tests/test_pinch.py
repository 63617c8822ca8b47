"""Circuit-theory pinch points agree with networkx; the shipped graph in one sparse factorisation."""

import random
import time

import networkx as nx
import numpy as np
import pytest

from borderwatch import GraphArrays, ParameterError
from borderwatch.analysis.pinch import gate_current, pinch_points


def random_connected(seed: int, n: int = 25, extra: int = 40) -> nx.Graph:
    rng = random.Random(seed)
    G = nx.random_labeled_tree(n, seed=seed) if hasattr(nx, "random_labeled_tree") else nx.random_tree(n, seed=seed)
    G = nx.Graph(G)
    for _ in range(extra):
        a, b = rng.randrange(n), rng.randrange(n)
        if a != b:
            G.add_edge(a, b)
    for _, _, d in G.edges(data=True):
        d["cost"] = rng.uniform(0.5, 5.0)
        d["conductance"] = 1.0 / d["cost"]
    return G


@pytest.mark.parametrize("seed", range(4))
def test_current_and_resistance_agree_with_networkx(seed):
    G = random_connected(seed)
    arrays = GraphArrays.from_graph(G)
    targets = [5, 9, 17]
    result = pinch_points(arrays, 0, targets)
    expected = nx.current_flow_betweenness_centrality_subset(G, [0], targets, normalized=False, weight="conductance")
    offset = 1.0 / (2 - G.number_of_nodes())  # networkx adds this constant to every node
    for node, value in expected.items():
        # networkx divides the sum by 2 and counts each (source, target) current once per end node
        assert result.node_current[node] / 2.0 + offset == pytest.approx(value, abs=1e-9)
    for t in targets:
        assert result.resistance[t] == pytest.approx(nx.resistance_distance(G, 0, t, weight="cost", invert_weight=True))
    edges = nx.edge_current_flow_betweenness_centrality_subset(G, [0], targets, normalized=False, weight="conductance")
    for e in range(arrays.n_edges):
        u, v, _ = arrays.edge_id(e)
        # networkx's unnormalised edge value is a quarter of the summed current
        assert result.edge_current[e] / 4.0 == pytest.approx(edges.get((u, v), edges.get((v, u))), abs=1e-9)


def test_destination_sinks_of_few_and_many_links_agree_with_networkx_on_each_sinks_own_network():
    """Sinks take current only into themselves, and none carries another's; few-link ones use the low-rank path.

    S1 has three links (two parallel edges from one node, and a dead-end node D beyond it), S2 two (one from
    the origin itself), BIG more than FEW_LINKS (its own factorisation); node 7 is a port (not a sink).
    networkx solves each destination on the undirected network with every other sink removed.
    """
    from borderwatch.analysis.pinch import FEW_LINKS

    U = random_connected(2)
    G = nx.MultiDiGraph()
    for a, b, d in U.edges(data=True):
        G.add_edge(a, b, cost=d["cost"])
        G.add_edge(b, a, cost=d["cost"])
    links = {
        "S1": [(3, 2.0), (3, 4.0), (11, 1.5), ("D", 1.0)],
        "S2": [(0, 3.0), (14, 2.5)],
        "BIG": [(n, 1.0 + n / 10) for n in range(1, FEW_LINKS + 4)],
    }
    for sink, ends in links.items():
        G.add_node(sink, kind="destination")
        for end, cost in ends:
            G.add_edge(end, sink, cost=cost)
    weights = {"S1": 0.5, "S2": 0.3, "BIG": 0.15, 7: 0.05}
    result = pinch_points(GraphArrays.from_graph(G), 0, list(weights), weights=weights)
    arrays = GraphArrays.from_graph(G)
    node_expected: dict = {}
    edge_expected = np.zeros(arrays.n_edges)
    for t, w in weights.items():
        K = nx.Graph()
        K.add_edges_from((a, b, {"conductance": 1.0 / d["cost"]}) for a, b, d in U.edges(data=True))
        for end, cost in links.get(t, []):
            if K.has_edge(end, t):
                K[end][t]["conductance"] += 1.0 / cost
            else:
                K.add_edge(end, t, conductance=1.0 / cost)
        K = K.subgraph(nx.node_connected_component(K, 0)).copy()  # D hangs off S1 only when S1 is the sink
        for e in K.edges.values():
            e["cost"] = 1.0 / e["conductance"]
        assert result.resistance[t] == pytest.approx(nx.resistance_distance(K, 0, t, weight="cost", invert_weight=True))
        nodes = nx.current_flow_betweenness_centrality_subset(K, [0], [t], normalized=False, weight="conductance")
        for node, value in nodes.items():
            node_expected[node] = node_expected.get(node, 0.0) + w * 2.0 * (value - 1.0 / (2 - K.number_of_nodes()))
        links_t = nx.edge_current_flow_betweenness_centrality_subset(
            K, [0], [t], normalized=False, weight="conductance"
        )
        for e in range(arrays.n_edges):
            a, b, _ = arrays.edge_id(e)
            if K.has_edge(a, b):
                value = links_t.get((a, b), links_t.get((b, a)))
                share = (1.0 / G.edges[arrays.edge_id(e)]["cost"]) / K[a][b]["conductance"] if b in links else 1.0
                edge_expected[e] += w * 4.0 * value * share
    for node, value in node_expected.items():
        assert result.node_current[node] == pytest.approx(value, abs=1e-9), node
    assert np.allclose(result.edge_current, edge_expected, atol=1e-9)
    assert result.node_current["D"] == pytest.approx(0.0, abs=1e-12) and not result.unreachable


def test_weighted_current_is_the_share_weighted_sum_of_each_destinations_current():
    """The chokepoint metrics draw each destination's demand share, not one unit per destination."""
    G = random_connected(1)
    arrays = GraphArrays.from_graph(G)
    weights = {5: 0.7, 9: 0.2, 17: 0.1}
    together = pinch_points(arrays, 0, list(weights), weights=weights)
    alone = {t: pinch_points(arrays, 0, [t]) for t in weights}
    expected = sum(w * alone[t].edge_current for t, w in weights.items())
    assert np.allclose(together.edge_current, expected)
    node = sum(w * alone[t].node_current for t, w in weights.items())
    assert np.allclose(together.node_current.reindex(node.index), node)
    assert together.resistance == pytest.approx({t: alone[t].resistance[t] for t in weights})


def test_series_and_parallel_resistors():
    """A - B over two parallel links of 2 h (together 1 h), then B - C of 3 h: R(A, C) = 4 h; B carries all current."""
    G = nx.MultiGraph()
    G.add_edge("A", "B", cost=2.0)
    G.add_edge("A", "B", cost=2.0)
    G.add_edge("B", "C", cost=3.0)
    G.add_node("island")
    result = pinch_points(GraphArrays.from_graph(G), "A", ["C", "island"])
    assert result.resistance["C"] == pytest.approx(4.0)
    assert result.node_current["B"] == pytest.approx(1.0) and result.node_current["A"] == pytest.approx(0.5)
    arrays = GraphArrays.from_graph(G)
    by_edge = {arrays.edge_id(e): result.edge_current[e] for e in range(arrays.n_edges)}
    # the two parallel 2 h links share the unit current; both directions of a link report it
    assert by_edge[("A", "B", 0)] == pytest.approx(0.5) and by_edge[("B", "A", 1)] == pytest.approx(0.5)
    assert by_edge[("B", "C", 0)] == pytest.approx(1.0) and by_edge[("C", "B", 0)] == pytest.approx(1.0)
    assert result.unreachable == ["island"] and np.isnan(result.resistance["island"])
    with pytest.raises(ParameterError, match="at least one destination"):
        pinch_points(GraphArrays.from_graph(G), "A", [])


@pytest.mark.slow
def test_pinch_points_on_the_shipped_graph(scenario):
    arrays = scenario.arrays
    destinations = list(scenario.destinations.values())
    started = time.perf_counter()
    result = pinch_points(arrays, scenario.origin, destinations)
    assert time.perf_counter() - started < 60
    assert not result.unreachable
    assert all(r > 0 for r in result.resistance.values())
    gates = gate_current(arrays, result.node_current)
    assert len(gates) > 50 and (gates >= 0).all() and gates.max() > 0
    # the origin passes every unit of current once
    assert result.node_current[scenario.origin] == pytest.approx(0.5 * len(destinations), rel=1e-6)
