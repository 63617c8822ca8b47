"""A ranking that says what it knows: unused gates, per-sample rank intervals, seed-to-seed stability (issue 17.5)."""

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from borderwatch import ParameterError, Scenario
from borderwatch.analysis.draws import lognormal_factors
from borderwatch.analysis.ensemble import extend, flow_ensemble
from borderwatch.analysis.flow import least_cost_flow
from borderwatch.analysis.ranking import RANKED, UNUSED, rank_gates
from borderwatch.analysis.stability import ranking_stability


def toy(costs: dict[str, float], **settings) -> Scenario:
    G = nx.MultiDiGraph()
    for gate, cost in costs.items():
        G.add_edge("o", "t", cost=cost, gate_id=gate)
    return Scenario.from_graph(G, origin="o", destinations=["t"], **settings)


def test_an_ensemble_grown_in_two_runs_equals_one_run():
    sc = toy({"A": 1.0, "B": 1.1, "C": 1.3}, samples=30, seed=3)
    whole = flow_ensemble(sc)
    grown = extend(
        flow_ensemble(sc.with_settings(samples=12)), flow_ensemble(sc.with_settings(samples=18), first_sample=12)
    )
    pd.testing.assert_frame_equal(whole.gate_samples, grown.gate_samples)
    pd.testing.assert_frame_equal(whole.travel_samples, grown.travel_samples)
    pd.testing.assert_frame_equal(whole.gates, grown.gates)
    assert np.allclose(whole.edge_usage, grown.edge_usage) and grown.samples == 30


def test_a_clear_ranking_is_stable_at_once_and_a_coin_flip_is_not():
    clear = ranking_stability(toy({"A": 1.0, "B": 3.0, "C": 9.0}, samples=20), top=2)
    assert clear.converged and clear.samples == 20 and len(clear.history) == 1
    assert clear.tops.loc[1].tolist() == ["A", "A", "A"]
    # three equal gates scored by use alone: which one wins a sample is a coin flip, so their order differs by seed
    only_use = {name: 0.0 for name in ("flow", "criticality", "cut", "pinch", "exposure", "travel")}
    equal = toy({"A": 1.0, "B": 1.0, "C": 1.0}, samples=10, sigma_gate=0.5, weights={**only_use, "usage": 1.0})
    flip = ranking_stability(equal, top=2, max_samples=40)
    assert not flip.converged and "NOT stable" in flip.summary()
    assert flip.history["samples"].tolist() == [10, 20, 40] and flip.samples == 40  # doubled up to the cap
    assert flip.ranking.chokepoints.ensemble.samples == 40


def test_bad_stability_options_are_refused():
    sc = toy({"A": 1.0, "B": 2.0}, samples=10)
    with pytest.raises(ParameterError, match="0 \\(no check\\) or an integer >= 2"):
        ranking_stability(sc, seeds=1)
    with pytest.raises(ParameterError, match="max_samples must be an integer from"):
        ranking_stability(sc, max_samples=5)
    with pytest.raises(ParameterError, match="top must be"):
        ranking_stability(sc, top=0)


def test_the_rank_interval_redraws_use_per_sample():
    """B is used in some samples only: its rank moves over the samples although its flow share is 0."""
    ranking = rank_gates(toy({"A": 1.0, "B": 1.15, "C": 1.2, "D": 50.0}, samples=60, seed=1, sigma_gate=0.3))
    g = ranking.gates.set_index("gate_id")
    assert g.loc["A", "flow_share"] == 1.0 and 0 < g.loc["B", "usage_probability"] < 1
    assert g.loc["B", "rank_low"] < g.loc["B", "rank_high"]
    assert g.loc["D", "status"] == UNUSED and g.loc["D", "rank"] == 4  # after every used gate
    assert "not on any modelled route" in g.loc["D", "reason"]


def test_on_the_shipped_data_unused_gates_come_after_every_used_gate(analysis):
    gates = analysis.ranking.gates
    used, unused = gates[gates["status"] == "ranked"], gates[gates["status"] == UNUSED]
    assert len(unused) and len(used)
    assert used["rank"].max() < unused["rank"].min()
    assert ((unused["flow_share"] == 0) & (unused["usage_probability"] == 0)).all()
    assert (used["flow_share"].gt(0) | used["usage_probability"].gt(0)).all()
    ranked = gates[gates["status"].isin(RANKED)]
    assert sorted(ranked["rank"]) == list(range(1, len(ranked) + 1))


def test_the_analysis_says_whether_its_top_15_is_stable_across_three_seeds(analysis):
    st = analysis.stability
    assert st is not None and st.seeds == tuple(analysis.scenario.settings.seed + k for k in range(3))
    assert list(st.tops.columns) == list(st.seeds) and len(st.tops) == 15
    assert st.tops[st.seeds[0]].tolist() == analysis.ranking.gates["gate_id"].head(15).tolist()
    row = st.history.iloc[-1]
    assert 0 <= row["min_same_position"] <= row["min_shared"] <= 15
    assert st.converged == bool(row["stable"]) == (st.tops.nunique(axis=1) == 1).all()


def test_keeping_an_unbarred_path_gives_the_rule_views_answer_on_perturbed_costs(scenario):
    arrays = scenario.arrays
    for sample in range(3):
        factor = lognormal_factors(arrays.edge_tag, seed=5, sample=sample, stream="edge", sigma=0.25)
        view = arrays.with_cost(arrays.cost * factor)
        fast = least_cost_flow(view, scenario.origin, scenario.shares, reuse_unbarred=True)
        plain = least_cost_flow(view, scenario.origin, scenario.shares)
        assert fast.cost == plain.cost
        assert all(np.array_equal(fast.paths[d], plain.paths[d]) for d in plain.paths)


def test_max_samples_without_a_stability_check_is_refused():
    from click.testing import CliRunner

    from borderwatch.cli import main

    result = CliRunner().invoke(main, ["rank-gates", "--samples", "5", "--max-samples", "10"])
    assert result.exit_code == 1 and "give --stability-seeds 2 or more" in result.output
    with pytest.raises(ParameterError, match="give 2 or more seeds"):
        ranking_stability(toy({"A": 1.0}, samples=5), seeds=0, max_samples=10)
