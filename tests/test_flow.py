"""Demand-weighted least-cost flow and gate criticality: known answers, networkx agreement, shipped data."""

import itertools
import time

import networkx as nx
import numpy as np
import pandas.testing as pd_testing
import pytest

from borderwatch import CloseGates, ParameterError, Scenario
from borderwatch.analysis.draws import lognormal_factors
from borderwatch.analysis.ensemble import ensemble_of, flow_ensemble
from borderwatch.analysis.flow import gate_criticality, gate_flow, informal_flow, least_cost_flow
from borderwatch.network.arrays import identity_tags

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


def two_gate_scenario() -> Scenario:
    return Scenario.from_graph(two_gate_graph(), demand=DEMAND)


def test_flow_follows_the_least_cost_routes_weighted_by_demand():
    G = two_gate_graph()
    sc = two_gate_scenario()
    arrays = sc.arrays
    shares = sc.shares
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
    table = gate_criticality(two_gate_scenario())
    g1, g2 = table.loc["G1"], table.loc["G2"]
    # without G1, North goes via G2: 2 + 1 + 1 = 4 instead of 3; South unchanged
    assert g1["cost_rise_heq"] == pytest.approx(0.75 * 1.0) and g1["diverted_to"] == "G2 0.75"
    # without G2, South goes via G1 (5 instead of 4)
    assert g2["cost_rise_heq"] == pytest.approx(0.25 * 1.0) and g2["diverted_to"] == "G1 0.25"
    assert list(table.index) == ["G1", "G2"]
    # networkx agreement: demand-weighted cost with the gate's edges removed
    H = G.copy()
    H.remove_edges_from([(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if d.get("gate_id") == "G1"])
    expected = 0.75 * nx.dijkstra_path_length(H, "O", "N", weight="cost") + 0.25 * nx.dijkstra_path_length(
        H, "O", "S", weight="cost"
    )
    assert expected - (0.75 * 3 + 0.25 * 4) == pytest.approx(g1["cost_rise_heq"])


def test_both_gates_closed_sends_the_flow_over_the_trail():
    sc = two_gate_scenario()
    arrays = sc.arrays
    closed = arrays.without(arrays.gate_edges(["G1", "G2"]))
    flow = least_cost_flow(closed, "O", sc.shares)
    assert informal_flow(closed, flow.edge_flow) == pytest.approx(1.0)
    # the same by a scenario edit: both gates closed
    edited = sc.edited(CloseGates(("G1", "G2")))
    flow = least_cost_flow(edited.arrays, edited.origin, edited.shares)
    assert informal_flow(edited.arrays, flow.edge_flow) == pytest.approx(1.0)
    assert edited.least_cost("North") == pytest.approx(7.0)  # the trail (6) and on to N (1)


def test_demand_naming_no_destination_is_refused():
    with pytest.raises(ParameterError, match="demand names 'Atlantis'"):
        Scenario.from_graph(two_gate_graph(), demand={"Atlantis": 1.0})
    with pytest.raises(ParameterError, match="demand names 'Atlantis'"):
        two_gate_scenario().with_settings(demand={"Atlantis": 1.0})


@pytest.mark.slow
def test_gate_criticality_on_the_shipped_graph(scenario, sealed):
    arrays = scenario.arrays
    assert arrays is scenario.arrays  # the scenario's array view is made once and shared
    flow = least_cost_flow(arrays, scenario.origin, scenario.shares)
    entering = gate_flow(arrays, flow.edge_flow).sum() + informal_flow(arrays, flow.edge_flow)
    assert entering == pytest.approx(1.0)  # all demand enters Vietnam once, by a gate or a trail
    started = time.perf_counter()
    table = gate_criticality(scenario)
    assert time.perf_counter() - started < 120
    # every least-cost route crosses on trails (trails are less exposed than any gate): no gate carries its
    # flow, and closing one raises no cost
    assert table["flow"].sum() == 0 and informal_flow(arrays, flow.edge_flow) == pytest.approx(1.0)
    assert (table["cost_rise_heq"] == 0).all()
    # with every trail into Vietnam sealed (every border segment closed), the routes must take gates, and the
    # gates they take are critical
    table = gate_criticality(sealed)
    used = table[table["flow"] > 0]
    assert set(used.index) == {"VN-LAO-005", "VN-LAO-002", "VN-LAO-013", "VN-KHM-016"}  # Lóng Sập carries half
    assert used["flow"].sum() == pytest.approx(1.0) and used["flow"].idxmax() == "VN-LAO-005"
    assert (used["cost_rise_heq"] > 0).all() and (table.loc[table["flow"] == 0, "cost_rise_heq"] == 0).all()


def ensemble_graph(sigma_gate: float) -> nx.MultiDiGraph:
    """Two routes whose only costs are their gates: G1 costs 1.0, G2 costs 1.2 (the trail 10)."""
    G = two_gate_graph()
    for _, _, d in G.edges(data=True):
        d["cost"] = {"G1": 1.0, "G2": 1.2}.get(d.get("gate_id"), 10.0 if d.get("crossing") == "informal" else 0.0)
    G.graph["profile"] = {"ensemble": {"samples": 4000, "seed": 7, "sigma_edge": 0.0, "sigma_gate": sigma_gate}}
    return G


def ensemble_scenario(sigma_gate: float, **settings) -> Scenario:
    """The ensemble graph with all demand to North (its profile gives samples 4000, seed 7, the sigmas)."""
    return Scenario.from_graph(ensemble_graph(sigma_gate), demand={"North": 1.0, "South": 0.0}, **settings)


def noisy_scenario(**settings) -> Scenario:
    """The two-gate graph with noise on every edge and every gate."""
    return Scenario.from_graph(two_gate_graph(), demand=DEMAND, sigma_edge=0.4, sigma_gate=0.4, **settings)


def test_ensemble_usage_converges_to_the_analytic_probability():
    """P(G1 is cheaper) = P(1.0 X < 1.2 Y), X, Y log-normal(0, s): Phi(ln 1.2 / (s sqrt 2))."""
    from scipy.stats import norm

    sigma = 0.5
    sc = ensemble_scenario(sigma)
    assert (sc.settings.samples, sc.settings.seed, sc.settings.sigma_gate) == (4000, 7, sigma)  # the graph's profile
    assert sc.shares == {"N": 1.0}
    result = flow_ensemble(sc)
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
    # every sample's cost is the cheaper gate's perturbed cost, so on average below the cheaper gate's median 1.0
    assert (result.cost_samples["N"] > 0).all() and result.cost_samples["N"].median() < 1.0
    assert result.segments.empty  # no region, no border segments


def test_ensemble_is_reproducible_and_without_noise_is_the_least_cost_flow():
    a = flow_ensemble(ensemble_scenario(0.5, samples=50, seed=3))
    b = flow_ensemble(ensemble_scenario(0.5, samples=50, seed=3))
    pd_testing.assert_frame_equal(a.gates, b.gates)
    pd_testing.assert_frame_equal(a.gate_samples, b.gate_samples)
    other = flow_ensemble(ensemble_scenario(0.5, samples=50, seed=4))
    assert not other.gate_samples.equals(a.gate_samples)  # another seed, other draws
    still = flow_ensemble(ensemble_scenario(0.0, samples=5))
    assert still.gates.loc["G1", "usage_probability"] == 1.0 and still.gates.loc["G2", "mean_flow"] == 0.0
    # the settings refuse a bad ensemble before any routing; the kernel refuses it too
    with pytest.raises(ParameterError, match="samples must be >= 1, got 0"):
        ensemble_scenario(0.5).with_settings(samples=0)
    with pytest.raises(ParameterError, match="samples must be >= 1, got 0"):
        ensemble_scenario(0.5, samples=0)
    sc = ensemble_scenario(0.5)
    with pytest.raises(ParameterError, match="samples must be an integer >= 1, got 0"):
        ensemble_of(sc.arrays, sc.origin, sc.shares, samples=0, seed=1, sigma_edge=0.0, sigma_gate=0.5)
    with pytest.raises(ParameterError, match="seed must be an integer >= 0, got -1"):
        ensemble_of(sc.arrays, sc.origin, sc.shares, samples=1, seed=-1, sigma_edge=0.0, sigma_gate=0.5)


def test_each_sample_depends_only_on_the_seed_and_its_index():
    """Sample s draws from (seed, s) alone: fewer samples are a prefix, any order gives the same rows."""
    sc = noisy_scenario(seed=5)
    ten = flow_ensemble(sc.with_settings(samples=10))
    five = flow_ensemble(sc.with_settings(samples=5))
    pd_testing.assert_frame_equal(five.gate_samples, ten.gate_samples.iloc[:5])
    pd_testing.assert_frame_equal(five.cost_samples, ten.cost_samples.iloc[:5])
    kernel = {"seed": 5, "sigma_edge": 0.4, "sigma_gate": 0.4}
    direct = [ensemble_of(sc.arrays, sc.origin, sc.shares, samples=n, **kernel) for n in (5, 10)]
    pd_testing.assert_frame_equal(direct[0].gate_samples, direct[1].gate_samples.iloc[:5])
    pd_testing.assert_frame_equal(direct[1].gate_samples, ten.gate_samples)
    assert ten.gate_samples.nunique().max() > 1  # the noise moves the flow between the gates
    # each sample recomputed alone, last first, from its documented draws
    arrays, s = sc.arrays, sc.settings
    gate_tags = dict(zip(["G1", "G2"], identity_tags(["gate:G1", "gate:G2"]), strict=True))
    for sample in reversed(range(10)):
        factor = lognormal_factors(arrays.edge_tag, seed=5, sample=sample, stream="edge", sigma=s.sigma_edge)
        per_gate = lognormal_factors(
            np.array(list(gate_tags.values())), seed=5, sample=sample, stream="gate", sigma=s.sigma_gate
        )
        for g, f in zip(gate_tags, per_gate, strict=True):
            factor[arrays.gate_edges([g])] *= f
        alone = least_cost_flow(arrays.with_cost(arrays.cost * factor), sc.origin, sc.shares)
        flows = gate_flow(arrays, alone.edge_flow)
        for g in ("G1", "G2"):
            assert ten.gate_samples.loc[sample, g] == pytest.approx(flows.get(g, 0.0), abs=1e-12)
        assert ten.cost_samples.loc[sample, "N"] == pytest.approx(alone.cost["N"])


def test_draws_follow_the_edges_identity_not_its_position():
    """The same graph built in another order (other edge indices) gives the same ensemble."""
    G = two_gate_graph()
    H = nx.MultiDiGraph(**G.graph)
    H.add_nodes_from(reversed(list(G.nodes(data=True))))
    H.add_edges_from(reversed(list(G.edges(keys=True, data=True))))
    a = Scenario.from_graph(G, demand=DEMAND, sigma_edge=0.4, sigma_gate=0.4, samples=30)
    b = Scenario.from_graph(H, demand=DEMAND, sigma_edge=0.4, sigma_gate=0.4, samples=30)
    assert not np.array_equal(a.arrays.edge_u, b.arrays.edge_u) or not np.array_equal(
        a.arrays.edge_v, b.arrays.edge_v
    )  # really another edge order
    pd_testing.assert_frame_equal(flow_ensemble(a).gate_samples, flow_ensemble(b).gate_samples)


def test_two_scenarios_on_one_graph_share_their_draws():
    """Closing G2 changes nothing in a sample whose routes did not use it (common random numbers)."""
    base = noisy_scenario(samples=40, seed=2)
    closed = base.edited(CloseGates(("G2",)))
    before, after = flow_ensemble(base), flow_ensemble(closed)
    unused = before.gate_samples["G2"] == 0.0
    assert unused.any() and (~unused).any()
    pd_testing.assert_frame_equal(before.gate_samples[unused], after.gate_samples[unused])
    pd_testing.assert_frame_equal(before.cost_samples[unused], after.cost_samples[unused])
    assert (after.gate_samples["G2"] == 0.0).all()
    # where G2 carried flow, closing it can only raise the cost
    assert (after.cost_samples[~unused] >= before.cost_samples[~unused] - 1e-12).all().all()
    assert (after.cost_samples[~unused] > before.cost_samples[~unused]).any().any()


def test_lognormal_factors_have_median_one_and_log_sd_sigma():
    """A statistical check over many tags (the draws are deterministic: it passes or fails for good)."""
    from scipy.stats import kstest

    tags = identity_tags([f"edge {i}" for i in range(100_000)])
    for seed, sample, stream, sigma in ((0, 0, "edge", 0.25), (7, 3, "edge", 0.4), (7, 3, "gate", 0.8)):
        f = lognormal_factors(tags, seed=seed, sample=sample, stream=stream, sigma=sigma)
        z = np.log(f)
        # standard errors: median 1.25 sigma / sqrt(n), sd sigma / sqrt(2 n), mean sigma / sqrt(n)
        assert np.median(f) == pytest.approx(1.0, abs=6 * 1.25 * sigma / np.sqrt(len(f)))
        assert z.std() == pytest.approx(sigma, abs=6 * sigma / np.sqrt(2 * len(f)))
        assert z.mean() == pytest.approx(0.0, abs=6 * sigma / np.sqrt(len(f)))
        assert kstest(z / sigma, "norm").pvalue > 1e-3
    # the same uniforms at every sigma: log factors scale with sigma
    one = np.log(lognormal_factors(tags[:1000], seed=1, sample=2, stream="edge", sigma=0.3))
    two = np.log(lognormal_factors(tags[:1000], seed=1, sample=2, stream="edge", sigma=0.6))
    np.testing.assert_allclose(two, 2 * one, rtol=1e-12, atol=1e-15)
    assert (lognormal_factors(tags[:10], seed=1, sample=0, stream="edge", sigma=0.0) == 1.0).all()
    # samples, seeds and streams are independent of each other
    base = np.log(lognormal_factors(tags, seed=7, sample=3, stream="edge", sigma=1.0))
    for other in (
        lognormal_factors(tags, seed=7, sample=4, stream="edge", sigma=1.0),
        lognormal_factors(tags, seed=8, sample=3, stream="edge", sigma=1.0),
        lognormal_factors(tags, seed=7, sample=3, stream="gate", sigma=1.0),
    ):
        assert abs(np.corrcoef(base, np.log(other))[0, 1]) < 6 / np.sqrt(len(tags))


def test_lognormal_factors_do_not_depend_on_the_order_or_the_company_of_the_tags():
    tags = identity_tags([f"edge {i}" for i in range(5000)])
    order = np.random.default_rng(0).permutation(len(tags))
    f = lognormal_factors(tags, seed=3, sample=9, stream="edge", sigma=0.5)
    shuffled = lognormal_factors(tags[order], seed=3, sample=9, stream="edge", sigma=0.5)
    np.testing.assert_array_equal(shuffled, f[order])
    alone = [lognormal_factors(tags[i : i + 1], seed=3, sample=9, stream="edge", sigma=0.5)[0] for i in range(20)]
    np.testing.assert_array_equal(alone, f[:20])


@pytest.mark.slow
def test_ensemble_on_the_shipped_graph(scenario, region):
    from borderwatch import borderlines, segment_borders

    segments = segment_borders(borderlines(region.countries))
    assert list(scenario.segments["segment_id"]) == list(segments["segment_id"])  # the scenario's 5 km segments
    twenty = scenario.with_settings(samples=20)
    result = flow_ensemble(twenty)
    assert result.samples == 20
    assert result.gates["usage_probability"].between(0, 1).all()
    total = result.gates["mean_flow"].sum() + result.informal_share
    assert total == pytest.approx(1.0)
    assert set(result.segments.index) <= set(segments["segment_id"])
    assert result.segments["mean_flow"].sum() == pytest.approx(result.informal_share, abs=1e-9)
    assert (result.gates["mean_flow"] > 0).sum() >= 3  # the noise spreads the demand over more gates
    # sample s depends on (seed, s) only: five samples are the first five of twenty
    five = flow_ensemble(scenario.with_settings(samples=5))
    pd_testing.assert_frame_equal(five.gate_samples, result.gate_samples.iloc[:5])
    pd_testing.assert_frame_equal(five.segment_samples, result.segment_samples.iloc[:5])
