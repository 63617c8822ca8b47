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
