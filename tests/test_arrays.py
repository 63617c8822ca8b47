"""The edge-aware array engine agrees with plain networkx on random multigraphs.

Each operation of :class:`GraphArrays` (tracing paths to edges, flows from many
paths, removing / scaling / replacing edges, re-weighting from time and
exposure, the graph rules) is checked against the same computation done the
slow, obvious way in networkx.  The graphs have parallel edges and zero-cost
edges on purpose.
"""

import itertools
import random
from collections import Counter

import networkx as nx
import numpy as np
import pytest

from borderwatch import GraphArrays, GraphContractError, NoRouteError, ParameterError


def random_graph(seed: int, n: int = 40, m: int = 220, zero_share: float = 0.15) -> nx.MultiDiGraph:
    """Edges with time, exposure, cost = time + 10 * exposure; some parallel, some of cost 0."""
    rng = random.Random(seed)
    G = nx.MultiDiGraph()
    countries = ["VNM", "LAO", "CHN"]
    for i in range(n):
        G.add_node(i, kind="cell", country=countries[i % 3])
    for _ in range(m):
        u, v = rng.randrange(n), rng.randrange(n)
        if u == v:
            continue
        if rng.random() < zero_share:
            t, x = 0.0, 0.0
        else:
            t, x = rng.uniform(0.1, 5.0), rng.uniform(0.0, 0.5)
        attrs = {"time_h": t, "exposure": x, "length_m": 1000 * t, "cost": t + 10 * x, "mode": "road"}
        if rng.random() < 0.1:
            attrs.update(mode="gate", crossing="gate", gate_id=f"G{u}-{v}")
        G.add_edge(u, v, **attrs)
    return G


def nx_distances(G: nx.MultiDiGraph, source, weight="cost") -> dict:
    return nx.single_source_dijkstra_path_length(G, source, weight=weight)


def assert_same_distances(arrays: GraphArrays, G: nx.MultiDiGraph, source=0, weight="cost"):
    dist, _ = arrays.dijkstra([source])
    expected = nx_distances(G, source, weight)
    for node, row in arrays.index.items():
        if node in expected:
            assert dist[0, row] == pytest.approx(expected[node], abs=1e-12), node
        else:
            assert np.isinf(dist[0, row]), node


@pytest.mark.parametrize("seed", range(6))
def test_path_edges_trace_back_to_the_cheapest_parallel_edge(seed):
    G = random_graph(seed)
    arrays = GraphArrays.from_graph(G)
    dist, pred = arrays.dijkstra([0])
    for target in range(1, 15):
        if not np.isfinite(dist[0, arrays.index[target]]):
            with pytest.raises(NoRouteError):
                arrays.path_edges(0, target)
            continue
        edges, cost = arrays.path_edges(0, target, dist=dist[0], pred=pred[0])
        assert cost == pytest.approx(nx.dijkstra_path_length(G, 0, target, weight="cost"))
        ids = [arrays.edge_id(e) for e in edges]
        # consecutive, from source to target
        assert ids[0][0] == 0 and ids[-1][1] == target
        assert all(a[1] == b[0] for a, b in itertools.pairwise(ids))
        # each step uses the cheapest of its parallel edges, and the ids name real edges
        for u, v, key in ids:
            assert G.edges[u, v, key]["cost"] == min(d["cost"] for d in G[u][v].values())
        assert sum(G.edges[i]["cost"] for i in ids) == pytest.approx(cost)


@pytest.mark.parametrize("seed", range(4))
def test_accumulated_flow_equals_counting_networkx_paths(seed):
    G = random_graph(seed, zero_share=0.0)  # no ties: the shortest paths are unique
    arrays = GraphArrays.from_graph(G)
    reachable = [t for t in nx_distances(G, 0) if t != 0][:12]
    demand = {t: 1.0 + (t % 5) for t in reachable}
    paths = [arrays.edges_between(nx.dijkstra_path(G, 0, t, weight="cost")) for t in reachable]
    flow = arrays.accumulate(paths, [demand[t] for t in reachable])
    expected = Counter()
    for t in reachable:
        for u, v in itertools.pairwise(nx.dijkstra_path(G, 0, t, weight="cost")):
            key = min(G[u][v], key=lambda k, u=u, v=v: G[u][v][k]["cost"])
            expected[(u, v, key)] += demand[t]
    got = {arrays.edge_id(e): f for e, f in enumerate(flow) if f}
    assert got == pytest.approx(dict(expected))
    assert flow.sum() == pytest.approx(sum(expected.values()))


@pytest.mark.parametrize("seed", range(6))
def test_removing_edges_matches_networkx_without_them(seed):
    G = random_graph(seed)
    arrays = GraphArrays.from_graph(G)
    rng = np.random.default_rng(seed)
    drop = rng.choice(arrays.n_edges, size=arrays.n_edges // 4, replace=False)
    H = G.copy()
    H.remove_edges_from([arrays.edge_id(e) for e in drop])
    assert_same_distances(arrays.without(drop), H)
    mask = np.zeros(arrays.n_edges, dtype=bool)
    mask[drop] = True
    assert_same_distances(arrays.without(mask), H)
    # removing the cheapest of two parallel edges falls back to the other one
    assert_same_distances(arrays, G)  # the original view is untouched


@pytest.mark.parametrize("seed", range(4))
def test_scaled_and_replaced_costs_match_networkx(seed):
    G = random_graph(seed)
    arrays = GraphArrays.from_graph(G)
    chosen = np.arange(0, arrays.n_edges, 3)
    H = G.copy()
    for e in chosen:
        H.edges[arrays.edge_id(e)]["cost"] *= 2.5
    assert_same_distances(arrays.scaled(chosen, 2.5), H)
    K = G.copy()
    for e in chosen:
        K.edges[arrays.edge_id(e)]["cost"] = 0.25
    assert_same_distances(arrays.replaced(chosen, 0.25), K)


@pytest.mark.parametrize("seed", range(4))
def test_reweighting_from_time_and_exposure_matches_networkx(seed):
    G = random_graph(seed)
    arrays = GraphArrays.from_graph(G)
    for d in (H := G.copy()).edges.values():
        d["cost"] = d["time_h"] + 40 * d["exposure"]
    view = arrays.reweighted(lambda t, x: t + 40 * x)
    assert_same_distances(view, H)
    # removed edges stay removed after re-weighting
    gone = arrays.without([0]).reweighted(lambda t, x: t + 40 * x)
    H.remove_edge(*arrays.edge_id(0))
    assert_same_distances(gone, H)


def test_parallel_edges_of_a_link():
    G = nx.MultiDiGraph()
    G.add_edge("a", "b", cost=1.0)
    G.add_edge("a", "b", cost=2.0)
    G.add_edge("b", "a", cost=1.0)
    G.add_edge("b", "c", cost=1.0)
    arrays = GraphArrays.from_graph(G)
    first = arrays.path_edges("a", "b")[0]
    assert sorted(arrays.edge_id(e) for e in arrays.parallel(first)) == [("a", "b", 0), ("a", "b", 1)]
    # closing one parallel edge leaves the link open; closing the link closes it
    assert arrays.without(first).path("a", "b")[1] == 2.0
    with pytest.raises(NoRouteError):
        arrays.without(arrays.parallel(first)).path("a", "c")


def test_gates_of_a_path_and_gate_edges():
    G = nx.MultiDiGraph()
    G.add_edge("o", "g1", cost=1.0)
    G.add_edge("g1", "g2", cost=1.0, crossing="gate", gate_id="VN-LAO-001")
    G.add_edge("g2", "d", cost=1.0)
    G.add_edge("o", "d", cost=5.0, crossing="informal")
    arrays = GraphArrays.from_graph(G)
    edges, cost = arrays.path_edges("o", "d")
    assert cost == 3.0 and arrays.gates_of(edges) == ["VN-LAO-001"]
    closed = arrays.without(arrays.gate_edges(["VN-LAO-001"]))
    edges, cost = closed.path_edges("o", "d")
    assert cost == 5.0 and arrays.gates_of(edges) == [] and arrays.crossing[edges[0]] == "informal"


def test_graph_rule_bars_entry_from_china_for_the_china_sink():
    """Traffic bound for the China border may not come into Vietnam from China."""
    G = nx.MultiDiGraph(no_entry_from={"dest:china": "CHN"})
    for n, c in [("gt", "LAO"), ("cn", "CHN"), ("vn", "VNM"), ("lao", "LAO"), ("dest:china", "CHN")]:
        G.add_node(n, country=c)
    G.add_edge("gt", "cn", cost=1.0)
    G.add_edge("cn", "vn", cost=1.0)  # short cut via China into Vietnam
    G.add_edge("gt", "lao", cost=3.0)
    G.add_edge("lao", "vn", cost=3.0)
    G.add_edge("vn", "dest:china", cost=1.0)
    arrays = GraphArrays.from_graph(G)
    assert arrays.path("gt", "dest:china") == (["gt", "cn", "vn", "dest:china"], 3.0)
    ruled = arrays.for_destination("dest:china")
    assert ruled.path("gt", "dest:china") == (["gt", "lao", "vn", "dest:china"], 7.0)
    assert arrays.for_destination("vn") is arrays


def test_zero_cost_edges_are_edges():
    G = nx.MultiDiGraph()
    G.add_edge("a", "b", cost=0.0)
    G.add_edge("b", "c", cost=0.0)
    arrays = GraphArrays.from_graph(G)
    assert arrays.path("a", "c") == (["a", "b", "c"], 0.0)
    assert len(arrays.path_edges("a", "c")[0]) == 2


def test_bad_costs_and_arguments_are_named():
    G = nx.MultiDiGraph()
    G.add_edge("a", "b", cost=1.0)
    arrays = GraphArrays.from_graph(G)
    with pytest.raises(ParameterError, match="one value per edge"):
        arrays.with_cost(np.array([1.0, 2.0]))
    with pytest.raises(ParameterError, match=r"cost of edge \('a', 'b', 0\) is nan"):
        arrays.with_cost(np.array([np.nan]))
    with pytest.raises(ParameterError, match="out of range"):
        arrays.without([5])
    with pytest.raises(ParameterError, match="2 paths but 1 weights"):
        arrays.accumulate([np.array([0]), np.array([0])], [1.0])
    G.add_edge("b", "c", cost=-1.0)
    with pytest.raises(GraphContractError, match=r"'b' -> 'c' has 'cost' = -1\.0"):
        GraphArrays.from_graph(G)


@pytest.mark.parametrize("seed", range(3))
def test_reverse_dijkstra_gives_distances_to_the_target(seed):
    G = random_graph(seed)
    arrays = GraphArrays.from_graph(G)
    dist, _ = arrays.dijkstra([3], reverse=True)
    expected = nx.single_source_dijkstra_path_length(G.reverse(copy=True), 3, weight="cost")
    for node, row in arrays.index.items():
        assert dist[0, row] == pytest.approx(expected.get(node, np.inf), abs=1e-12), node


def test_new_costs_on_the_same_edges_reuse_the_structure_and_give_the_full_rebuild(scenario):
    """with_cost keeps the CSR structure when the same edges are in force; the result equals a full rebuild."""
    from borderwatch.network.arrays import _collapse

    arrays = scenario.arrays
    rng = np.random.default_rng(3)
    for cost in (arrays.cost * rng.lognormal(0.0, 0.25, arrays.n_edges), np.where(np.isinf(arrays.cost), np.inf, 1.0)):
        fast = arrays.with_cost(cost)  # the second: every finite edge costs 1, so parallel edges tie
        matrix, entry = _collapse(arrays.pairs, cost, len(arrays.nodes))
        assert np.array_equal(fast.entry_edge, entry)
        assert np.array_equal(fast.matrix.indptr, matrix.indptr) and np.array_equal(fast.matrix.indices, matrix.indices)
        assert np.array_equal(fast.matrix.data, matrix.data)
    assert len(arrays.pairs.parallel[0]) > 0  # the shipped graph has parallel edges, so the search is exercised


def test_a_rule_view_of_new_costs_reuses_the_edges_in_force_of_an_earlier_one_and_gives_the_full_rebuild(
    scenario, monkeypatch
):
    """Each sample's China-rule view removes the same edges: from the second on, with_cost reuses the first's."""
    from borderwatch.network import arrays as module
    from borderwatch.network.arrays import _collapse

    arrays = scenario.arrays
    arrays.structure.pop("in_force", None)  # none of the session's earlier views (a Cầu Treo closure) kept
    china = next(d for d in arrays.rules)
    rng = np.random.default_rng(5)
    arrays.times(rng.lognormal(0.0, 0.25, arrays.n_edges)).for_destination(china)
    full = []
    monkeypatch.setattr(module, "_collapse", lambda *a: full.append(1) or _collapse(*a))
    for factor in (rng.lognormal(0.0, 0.25, arrays.n_edges), np.ones(arrays.n_edges)):
        view = arrays.times(factor).for_destination(china)
        assert not full  # the structure of the first rule view, reused
        matrix, entry = _collapse(arrays.pairs, view.cost, len(arrays.nodes))
        assert np.array_equal(view.entry_edge, entry) and np.array_equal(view.matrix.data, matrix.data)
        assert np.array_equal(view.matrix.indptr, matrix.indptr) and np.array_equal(view.matrix.indices, matrix.indices)
    assert np.isinf(view.cost[arrays.entry_edges(arrays.rules[china])]).all()
    other = arrays.without(arrays.gate_edges(["VN-LAO-016"]))  # other edges removed: built afresh, not confused
    assert full and other.matrix.nnz == arrays.matrix.nnz - 2  # Cầu Treo's two crossings gone, nothing else


def test_gate_edges_of_each_gate_equal_a_scan_of_the_gate_ids(scenario):
    arrays = scenario.arrays
    gates = np.flatnonzero(arrays.crossing == "gate")
    assert np.array_equal(arrays.gate_edges(), gates)
    for ids in (["VN-LAO-016"], ["VN-KHM-009", "VN-LAO-016", "VN-KHM-009"], ["no such gate"], []):
        expected = np.flatnonzero((arrays.crossing == "gate") & np.isin(arrays.gate_id, ids))
        assert np.array_equal(arrays.gate_edges(ids), expected), ids
    assert len(arrays.gate_edges(["VN-LAO-016"])) == 2  # a gate is crossed both ways
