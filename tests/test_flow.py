"""Demand-weighted least-cost flow and gate criticality: known answers, networkx agreement, shipped data."""

import itertools
import time

import networkx as nx
import numpy as np
import pandas.testing as pd_testing
import pytest

from borderwatch import GraphArrays, ParameterError
from borderwatch.analysis.flow import demand_of, gate_criticality, gate_flow, informal_flow, least_cost_flow

DEMAND = {"North": 3.0, "South": 1.0}


def two_gate_graph() -> nx.MultiDiGraph:
    """O (Laos) reaches two Vietnamese cities through gate G1 (cheap) or G2 (dear), or a trail (dearest)."""
    G = nx.MultiDiGraph(
        origin="O", destinations={"North": "N", "South": "S"}, profile={"demand": {"North": 3.0, "South": 1.0}}
    )
    for n, c in [("O", "LAO"), ("a1", "LAO"), ("b1", "VNM"), ("a2", "LAO"), ("b2", "VNM"), ("N", "VNM"), ("S", "VNM")]:
        G.add_node(n, x=0.0, y=0.0, kind="cell", country=c)

    def edge(u, v, cost, **extra):
        G.add_edge(
            u,
            v,
            cost=cost,
            time_h=cost,
            exposure=0.0,
            length_m=1.0,
            mode=extra.pop("mode", "road"),
            geometry=None,
            source="t",
            **extra,
        )

    gate = {"mode": "gate", "crossing": "gate", "gate_class": "primary", "border": "LAO"}
    edge("O", "a1", 1.0)
    edge("a1", "b1", 1.0, gate_id="G1", **gate)
    edge("O", "a2", 2.0)
    edge("a2", "b2", 1.0, gate_id="G2", **gate)
    edge("O", "b2", 6.0, mode="offroad", crossing="informal", border="LAO")
    edge("b1", "N", 1.0)
    edge("b1", "S", 3.0)
    edge("b2", "N", 1.0)
    edge("b2", "S", 1.0)
    return G


def test_flow_follows_the_least_cost_routes_weighted_by_demand():
    G = two_gate_graph()
    arrays = GraphArrays.from_graph(G)
    shares = demand_of(G, DEMAND)
    assert shares == {"N": 0.75, "S": 0.25}
    flow = least_cost_flow(arrays, "O", shares)
    # N: O-a1-b1-N = 3 (via G1); S: via G1 = 5, via G2 = 4 -> G2
    assert flow.cost == {"N": 3.0, "S": 4.0}
    assert gate_flow(arrays, flow.edge_flow).to_dict() == {"G1": 0.75, "G2": 0.25}
    assert flow.total_cost == pytest.approx(0.75 * 3 + 0.25 * 4)
    # the same numbers by plain networkx
    for node, share in shares.items():
        path = nx.dijkstra_path(G, "O", node, weight="cost")
        for u, v in itertools.pairwise(path):
            (e,) = arrays.edges_between([u, v])
            assert flow.edge_flow[e] >= share - 1e-12


def test_closing_a_gate_raises_the_cost_and_shows_where_the_flow_goes():
    G = two_gate_graph()
    table = gate_criticality(G, demand=DEMAND)
    g1, g2 = table.loc["G1"], table.loc["G2"]
    # without G1, North goes via G2: 2 + 1 + 1 = 4 instead of 3; South unchanged
    assert g1["cost_rise_h"] == pytest.approx(0.75 * 1.0) and g1["diverted_to"] == "G2 0.75"
    # without G2, South goes via G1 (5 instead of 4)
    assert g2["cost_rise_h"] == pytest.approx(0.25 * 1.0) and g2["diverted_to"] == "G1 0.25"
    assert list(table.index) == ["G1", "G2"]
    # networkx agreement: demand-weighted cost with the gate's edges removed
    H = G.copy()
    H.remove_edges_from([(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if d.get("gate_id") == "G1"])
    expected = 0.75 * nx.dijkstra_path_length(H, "O", "N", weight="cost") + 0.25 * nx.dijkstra_path_length(
        H, "O", "S", weight="cost"
    )
    assert expected - (0.75 * 3 + 0.25 * 4) == pytest.approx(g1["cost_rise_h"])


def test_both_gates_closed_sends_the_flow_over_the_trail():
    G = two_gate_graph()
    arrays = GraphArrays.from_graph(G)
    closed = arrays.without(arrays.gate_edges(["G1", "G2"]))
    flow = least_cost_flow(closed, "O", demand_of(G, DEMAND))
    assert informal_flow(closed, flow.edge_flow) == pytest.approx(1.0)


def test_demand_naming_no_destination_is_refused():
    with pytest.raises(ParameterError, match="demand names 'Atlantis'"):
        demand_of(two_gate_graph(), {"Atlantis": 1.0})


@pytest.mark.slow
def test_gate_criticality_on_the_shipped_graph(route_graph):
    arrays = GraphArrays.from_graph(route_graph)
    flow = least_cost_flow(arrays, route_graph.graph["origin"], demand_of(route_graph))
    entering = gate_flow(arrays, flow.edge_flow).sum() + informal_flow(arrays, flow.edge_flow)
    assert entering == pytest.approx(1.0)  # all demand enters Vietnam once, by a gate or a trail
    started = time.perf_counter()
    table = gate_criticality(route_graph, arrays=arrays)
    assert time.perf_counter() - started < 120
    used = table[table["flow"] > 0]
    assert len(used) >= 2 and (used["cost_rise_h"] >= 0).all()
    assert np.isclose(table["flow"].sum() + informal_flow(arrays, flow.edge_flow), 1.0)
    assert (table.loc[table["flow"] == 0, "cost_rise_h"] == 0).all()


def ensemble_graph(sigma_gate: float) -> nx.MultiDiGraph:
    """Two routes whose only costs are their gates: G1 costs 1.0, G2 costs 1.2 (the trail 10)."""
    G = two_gate_graph()
    for _, _, d in G.edges(data=True):
        d["cost"] = {"G1": 1.0, "G2": 1.2}.get(d.get("gate_id"), 10.0 if d.get("crossing") == "informal" else 0.0)
    G.graph["profile"] = {"ensemble": {"samples": 4000, "seed": 7, "sigma_edge": 0.0, "sigma_gate": sigma_gate}}
    return G


def test_ensemble_usage_converges_to_the_analytic_probability():
    """P(G1 is cheaper) = P(1.0 X < 1.2 Y), X, Y log-normal(0, s): Phi(ln 1.2 / (s sqrt 2))."""
    from scipy.stats import norm

    from borderwatch.analysis.ensemble import flow_ensemble

    sigma = 0.5
    result = flow_ensemble(ensemble_graph(sigma), demand={"North": 1.0})
    expected = norm.cdf(np.log(1.2) / (sigma * np.sqrt(2)))  # 0.602
    assert result.gates.loc["G1", "mean_flow"] == pytest.approx(expected, abs=0.03)
    assert result.gates.loc["G2", "mean_flow"] == pytest.approx(1 - expected, abs=0.03)
    assert result.gates.loc["G1", "usage_probability"] == pytest.approx(expected, abs=0.03)
    assert result.samples == 4000 and list(result.convergence.columns) == [
        "mean_first_half",
        "mean_all",
        "standard_error",
    ]
    assert result.convergence.loc["G1", "standard_error"] < 0.01


def test_ensemble_is_reproducible_and_without_noise_is_the_least_cost_flow():
    from borderwatch.analysis.ensemble import flow_ensemble

    a = flow_ensemble(ensemble_graph(0.5), demand={"North": 1.0}, samples=50, seed=3)
    b = flow_ensemble(ensemble_graph(0.5), demand={"North": 1.0}, samples=50, seed=3)
    pd_testing.assert_frame_equal(a.gates, b.gates)
    still = flow_ensemble(ensemble_graph(0.0), demand={"North": 1.0}, samples=5)
    assert still.gates.loc["G1", "usage_probability"] == 1.0 and still.gates.loc["G2", "mean_flow"] == 0.0
    with pytest.raises(ParameterError, match="samples must be an integer >= 1, got 0"):
        flow_ensemble(ensemble_graph(0.5), demand={"North": 1.0}, samples=0)


@pytest.mark.slow
def test_ensemble_on_the_shipped_graph(route_graph, region):
    from borderwatch import borderlines, segment_borders
    from borderwatch.analysis.ensemble import flow_ensemble

    segments = segment_borders(borderlines(region.countries))
    result = flow_ensemble(route_graph, segments=segments, samples=20)
    assert result.samples == 20
    assert result.gates["usage_probability"].between(0, 1).all()
    total = result.gates["mean_flow"].sum() + result.informal_share
    assert total == pytest.approx(1.0)
    assert result.segments["mean_flow"].sum() == pytest.approx(result.informal_share, abs=1e-9)
    assert (result.gates["mean_flow"] > 0).sum() >= 3  # the noise spreads the demand over more gates
