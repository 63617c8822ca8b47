"""Re-routing only what an edit touches: the same ensemble and sweep as a full run, with less work.

An edit that only raises costs (closing a gate, inspecting one) cannot change
a sample whose least-cost paths avoid every raised edge.  ``rerouted`` keeps
those samples and routes the others again from the same draws; these tests
hold it to the full :func:`flow_ensemble` bit for bit, on toy graphs with
known answers and on the shipped graph.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from borderwatch import CloseGates, InspectGates, PatrolHours, Scenario, SettingsChange
from borderwatch.analysis import ensemble as ensemble_module
from borderwatch.analysis import sweep as sweep_module
from borderwatch.analysis.draws import cost_factors
from borderwatch.analysis.ensemble import flow_ensemble, rerouted
from borderwatch.errors import ParameterError
from borderwatch.network.arrays import GraphArrays

TABLES = ("gates", "segments", "convergence", "gate_samples", "travel_samples", "segment_samples", "cost_samples")


def assert_same_ensemble(got, want, *, travel: bool = True) -> None:
    for name in TABLES:
        if name == "travel_samples" and not travel:
            assert got.travel_samples.isna().all().all()
            continue
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), check_exact=True, obj=name)
    assert np.array_equal(got.informal_samples, want.informal_samples)
    assert np.array_equal(got.edge_use_count, want.edge_use_count)
    assert np.array_equal(got.edge_flow_units, want.edge_flow_units)
    assert np.array_equal(got.edge_mean_flow, want.edge_mean_flow)


def three_gates(samples: int = 60, *, more: tuple = ()) -> Scenario:
    """o -> t through gate A (1.0), B (1.1) or C (3.0): C is never the cheapest with sigma 0.1."""
    G = nx.MultiDiGraph()
    for gate, cost in [("A", 1.0), ("B", 1.1), ("C", 3.0), *more]:
        G.add_edge("o", f"x{gate}", cost=0.5)
        G.add_edge(f"x{gate}", "t", cost=cost, gate_id=gate)
    return Scenario.from_graph(G, origin="o", destinations=["t"], samples=samples, seed=3, sigma_gate=0.1)


def counting_runs(monkeypatch) -> list[int]:
    """Record how many samples each ensemble run routes."""
    counts: list[int] = []
    real = ensemble_module._run

    def spy(*args):
        counts.append(len(args[7]))  # the sample indices
        return real(*args)

    monkeypatch.setattr(ensemble_module, "_run", spy)
    return counts


def test_closing_a_gate_no_sample_uses_reroutes_nothing(monkeypatch):
    base = three_gates()
    e0 = flow_ensemble(base, keep_support=True)
    assert e0.gates.loc["C", "usage_probability"] == 0
    counts = counting_runs(monkeypatch)
    closed = base.edited(CloseGates(("C",)))
    e1 = rerouted(e0, closed)
    assert counts == [0]
    assert np.isinf(e1.travel_samples["C"]).all()  # its crossing is gone: recomputed without re-routing
    assert_same_ensemble(e1, flow_ensemble(closed))


def test_closing_a_used_gate_reroutes_exactly_the_samples_that_used_it(monkeypatch):
    base = three_gates()
    e0 = flow_ensemble(base, keep_support=True)
    used_a = int((e0.gate_samples["A"] > 0).sum())
    assert 0 < used_a < base.settings.samples
    counts = counting_runs(monkeypatch)
    closed = base.edited(CloseGates(("A",)))
    e1 = rerouted(e0, closed)
    assert counts == [used_a]
    assert_same_ensemble(e1, flow_ensemble(closed))
    assert e1.gates.loc["A", "mean_flow"] == 0 and e1.gates.loc["B", "usage_probability"] > 0.5


def test_an_ensemble_without_support_or_of_other_draws_cannot_be_reused():
    base = three_gates()
    closed = base.edited(CloseGates(("A",)))
    assert rerouted(flow_ensemble(base), closed) is None  # no support kept
    e0 = flow_ensemble(base, keep_support=True)
    assert rerouted(e0, closed.edited(SettingsChange({"seed": 4}))) is None
    assert rerouted(e0, closed.edited(SettingsChange({"samples": 30}))) is None
    assert rerouted(e0, three_gates(more=(("D", 4.0),)).edited(CloseGates(("A",)))) is None  # another graph
    same = rerouted(e0, three_gates().edited(CloseGates(("A",))))  # the same graph, built again: its edges agree
    assert_same_ensemble(same, flow_ensemble(closed))


def test_an_edit_that_lowers_a_cost_is_routed_in_full():
    base = three_gates()
    closed = base.edited(CloseGates(("A",)))
    assert rerouted(flow_ensemble(closed, keep_support=True), base) is None  # reopening A lowers its cost


@pytest.mark.parametrize("bad", [None, "ensemble", 3])
def test_rerouted_refuses_what_is_not_an_ensemble(bad):
    with pytest.raises(ParameterError, match="reference"):
        rerouted(bad, three_gates())


def test_rerouted_refuses_a_travel_flag_that_is_not_a_bool():
    base = three_gates()
    with pytest.raises(ParameterError, match="travel"):
        rerouted(flow_ensemble(base, keep_support=True), base, travel="no")


@pytest.fixture(scope="module")
def shipped_reference(scenario):
    """The shipped scenario at 12 samples, with the support of its ensemble."""
    base = scenario.with_settings(samples=12)
    return base, flow_ensemble(base, keep_support=True)


def test_support_is_small_and_rests_on_the_routes(shipped_reference):
    base, e0 = shipped_reference
    sup = e0.support
    assert len(sup.routes_rest_on) == len(sup.tails_rest_on) == len(sup.flow_edges) == 12
    for routes, flow_edges in zip(sup.routes_rest_on, sup.flow_edges, strict=True):
        assert set(flow_edges) <= set(routes)  # every edge with flow is on a route
        assert len(routes) < 0.01 * base.arrays.n_edges
    assert sup.tail_cost.shape == (12, len(np.flatnonzero(base.arrays.into_vietnam("gate"))))


@pytest.mark.parametrize("which", ["busiest", "china", "unused"])
def test_closing_a_gate_on_the_shipped_graph_equals_the_full_ensemble(shipped_reference, which):
    base, e0 = shipped_reference
    gates = e0.gates
    gate = {
        "busiest": gates.index[0],
        "china": next(g for g in gates.index if g.startswith("VN-CHN")),
        "unused": gates.index[gates["usage_probability"] == 0][0],
    }[which]
    closed = base.edited(CloseGates((gate,)))
    full = flow_ensemble(closed)
    assert_same_ensemble(rerouted(e0, closed), full)
    assert_same_ensemble(rerouted(e0, closed, travel=False), full, travel=False)


def test_inspecting_gates_raises_costs_and_is_rerouted_exactly(shipped_reference):
    base, e0 = shipped_reference
    inspected = base.edited(InspectGates(tuple(e0.gates.index[:2])))
    assert_same_ensemble(rerouted(e0, inspected), flow_ensemble(inspected))


def test_sweep_reusing_samples_gives_the_table_of_full_runs(shipped_reference, monkeypatch):
    base, e0 = shipped_reference
    scenarios = [
        base.edited(CloseGates((e0.gates.index[0],)), name="close the busiest"),
        base.edited(CloseGates((e0.gates.index[-1],)), name="close an unused one"),
        base.edited(PatrolHours(4), name="patrol 4 h"),
        base.edited(PatrolHours(4), CloseGates((e0.gates.index[1],)), name="both"),
    ]
    fast = sweep_module.sweep(base, scenarios).table
    calls = []
    real_coverage = sweep_module.blo_coverage
    monkeypatch.setattr(sweep_module, "rerouted", lambda *a, **k: None)  # every row routed in full
    monkeypatch.setattr(sweep_module, "blo_coverage", lambda sc: calls.append(sc.name) or real_coverage(sc))
    slow = sweep_module.sweep(base, scenarios).table
    cols = [c for c in fast.columns if c != "seconds"]
    pd.testing.assert_frame_equal(fast[cols], slow[cols], check_exact=True)
    assert fast.loc[2, "covered_km_change"] > 0 and fast.loc[1, "flow_moved"] == 0
    assert len(calls) == 2  # coverage once for 2 h (base and closures) and once for 4 h


def test_an_edited_scenario_builds_its_view_once_per_process(shipped_reference, monkeypatch):
    base, e0 = shipped_reference
    closed = base.edited(CloseGates((e0.gates.index[0],)))
    closed.arrays  # noqa: B018 (the scenario's own view, built before counting)
    built = []
    real = GraphArrays.with_cost
    monkeypatch.setattr(GraphArrays, "with_cost", lambda self, cost: built.append(1) or real(self, cost))
    flow_ensemble(closed)
    assert len(built) <= 1  # not once per sample


def test_times_equals_with_cost_of_the_product_and_keeps_ties_to_the_lower_edge():
    G = nx.MultiDiGraph()
    G.add_edge("a", "b", cost=2.0)
    G.add_edge("a", "b", cost=3.0)
    G.add_edge("a", "b", cost=1.0)
    G.add_edge("b", "c", cost=1.0)
    arrays = GraphArrays.from_graph(G)
    for factor in ([1.0, 1.0, 1.0, 1.0], [1.0, 0.5, 3.0, 2.0], [0.75, 0.5, 1.5, 1.0], [3.0, 2.0, 6.0, 1.0]):
        fast = arrays.times(np.array(factor))
        plain = arrays.with_cost(arrays.cost * np.array(factor))
        assert np.array_equal(fast.entry_edge, plain.entry_edge)
        assert (fast.matrix != plain.matrix).nnz == 0
    assert int(arrays.times(np.array([0.75, 0.5, 1.5, 1.0])).entry_edge[0]) == 0  # 1.5 = 1.5 = 1.5: edge 0


@pytest.mark.parametrize("bad", [[1.0, 0.0, 1.0, 1.0], [1.0, -1.0, 1.0, 1.0], [np.nan, 1, 1, 1], [np.inf, 1, 1, 1]])
def test_times_refuses_a_factor_that_is_not_positive_and_finite(bad):
    G = nx.MultiDiGraph()
    for u, v in [("a", "b"), ("a", "b"), ("b", "c"), ("c", "d")]:
        G.add_edge(u, v, cost=1.0)
    with pytest.raises(ParameterError, match="factor of edge"):
        GraphArrays.from_graph(G).times(np.array(bad, dtype=float))


def test_the_factors_of_some_edges_are_those_of_the_full_draw(scenario):
    arrays = scenario.arrays
    some = np.flatnonzero(arrays.crossing == "gate")[::7]
    full = cost_factors(arrays, seed=5, sample=11, sigma_edge=0.3, sigma_gate=0.2)
    part = cost_factors(arrays, seed=5, sample=11, sigma_edge=0.3, sigma_gate=0.2, edges=some)
    assert np.array_equal(part, full[some])


def test_a_comparison_reuses_its_base_samples_and_gives_the_same_tables(monkeypatch):
    from borderwatch.analysis import chokepoints as chokepoints_module
    from borderwatch.analysis.compare import compare

    base = three_gates()
    closed = base.edited(CloseGates(("A",)))
    counts = counting_runs(monkeypatch)
    fast = compare(base, closed)
    used_a = int((fast.base.chokepoints.ensemble.gate_samples["A"] > 0).sum())
    assert counts == [base.settings.samples, used_a]  # the base in full, then only the samples that used A
    monkeypatch.setattr(chokepoints_module, "rerouted_of", lambda *a, **k: None)
    slow = compare(three_gates(), three_gates().edited(CloseGates(("A",))))
    for name in ("destinations", "gates", "segments", "summary"):
        want, got = getattr(slow, name), getattr(fast, name)
        if isinstance(want, pd.DataFrame):
            pd.testing.assert_frame_equal(got, want, check_exact=True)
        else:
            assert got == want
    assert_same_ensemble(fast.other.chokepoints.ensemble, slow.other.chokepoints.ensemble)


def test_an_extended_ensemble_keeps_the_support_of_both_parts():
    from borderwatch.analysis.ensemble import extend

    base = three_gates()
    first = flow_ensemble(base.with_settings(samples=25), keep_support=True)
    more = flow_ensemble(base.with_settings(samples=35), keep_support=True, first_sample=25)
    joined = extend(first, more)
    closed = base.edited(CloseGates(("A",)))
    assert_same_ensemble(rerouted(joined, closed), flow_ensemble(closed))


def test_progress_counts_the_kept_samples_as_done():
    base = three_gates()
    e0 = flow_ensemble(base, keep_support=True)
    seen: list[tuple[int, int]] = []
    rerouted(e0, base.edited(CloseGates(("C",))), progress=lambda d, t: seen.append((d, t)))
    assert seen == [(60, 60)]
    seen.clear()
    rerouted(e0, base.edited(CloseGates(("A",))), progress=lambda d, t: seen.append((d, t)))
    used_a = int((e0.gate_samples["A"] > 0).sum())
    assert [d for d, _ in seen] == list(range(61 - used_a, 61)) and {t for _, t in seen} == {60}
