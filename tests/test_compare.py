"""compare and sweep: differences that are the edit's effect, not sampling noise (common random numbers)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from borderwatch import CloseGates, ParameterError, PatrolHours, Scenario, compare, sweep
from borderwatch.analysis import FLOW_EPS
from borderwatch.analysis.draws import lognormal_factors
from borderwatch.analysis.sweep import read_sweep_file


def two_corridors(**settings) -> Scenario:
    """Origin o; corridor 1 through gate A (o-a-t), corridor 2 through gate B (o-b-t), gate C alone (o-c-u)."""
    G = nx.MultiDiGraph()
    for u, v, c, g in [
        ("o", "a", 1.0, ""),
        ("a", "t", 1.0, "A"),
        ("o", "b", 1.2, ""),
        ("b", "t", 1.0, "B"),
        ("o", "c", 1.0, ""),
        ("c", "u", 1.0, "C"),
        ("o", "u", 3.0, "D"),
    ]:
        G.add_edge(u, v, cost=c, gate_id=g)
    return Scenario.from_graph(G, origin="o", destinations=["t", "u"], **settings)


# ------------------------------------------------------------------ toy graphs, known answers
def test_closing_a_gate_moves_exactly_its_flow_on_a_toy():
    base = two_corridors(samples=60, seed=3)
    c = compare(base, base.edited(CloseGates(("A",))))
    g = c.gates.set_index("gate_id")
    assert g.loc["A", "flow_scenario"] == 0.0
    assert g.loc["B", "flow_change"] == pytest.approx(-g.loc["A", "flow_change"])  # all of A's flow goes to B
    assert g.loc["C", "flow_change"] == 0.0 and g.loc["D", "flow_change"] == 0.0  # the other corridor: untouched
    assert g.loc["A", "edit"] == "closed" and c.summary["gates_losing_flow"] == ["A"]


def test_common_random_numbers_leave_unaffected_samples_identical():
    """A sample whose routes did not use the closed gate is unchanged, to the last bit."""
    base = two_corridors(samples=80, seed=11)
    other = base.edited(CloseGates(("A",)))
    c = compare(base, other)
    before = c.base.chokepoints.ensemble.gate_samples
    after = c.other.chokepoints.ensemble.gate_samples
    unused = before["A"].to_numpy() <= FLOW_EPS
    assert 0 < unused.sum() < len(unused)  # both kinds of sample occur
    assert np.array_equal(before.to_numpy()[unused], after.to_numpy()[unused])


def test_scenarios_differing_only_in_blos_or_patrol_settings_share_one_run_of_the_route_metrics():
    """Made before the base ran them, a patrol edit and a patrol setting still share its chokepoint metrics."""
    from borderwatch.analysis.chokepoints import chokepoint_metrics

    base = two_corridors(samples=10)
    blo = base.edited(PatrolHours(3.0))
    hours = base.with_settings(hours=6.0)
    closed = blo.edited(CloseGates(("A",)))  # routes change: its own run
    resampled = base.with_settings(samples=12)  # draws change: its own run
    metrics = chokepoint_metrics(blo)
    assert chokepoint_metrics(base) is metrics and chokepoint_metrics(hours) is metrics
    assert chokepoint_metrics(closed) is not metrics and chokepoint_metrics(resampled) is not metrics
    assert chokepoint_metrics(closed).flow.edge_flow.sum() > 0


def test_without_common_draws_noise_would_show():
    """The same edit compared across two seeds is refused: the difference would be mostly noise."""
    base = two_corridors(samples=20, seed=1)
    other = base.with_settings(seed=2).edited(CloseGates(("C",)))
    with pytest.raises(ParameterError, match=r"random draws \(seed 1 vs 2\)"):
        compare(base, other)
    noisy = compare(base, other, allow_different=True)
    assert noisy.summary["comparable"] is False
    # gate B shares no route with the closed gate C, yet its flow moves: that is what the refusal prevents
    assert abs(noisy.gates.set_index("gate_id").loc["B", "flow_change"]) > 0


def test_runs_on_other_graphs_are_refused():
    a = two_corridors(samples=5)
    G = a.G.copy()
    G.edges["o", "a", 0]["cost"] = 1.5
    b = Scenario.from_graph(G, origin="o", destinations=["t", "u"], samples=5)
    with pytest.raises(ParameterError, match="graphs"):
        compare(a, b)


def test_draws_depend_only_on_seed_sample_and_identity():
    tags = np.arange(1, 1001, dtype=np.uint64) * np.uint64(2654435761)
    f = lognormal_factors(tags, seed=5, sample=7, stream="edge", sigma=0.25)
    assert np.array_equal(f[::-1], lognormal_factors(tags[::-1], seed=5, sample=7, stream="edge", sigma=0.25))
    assert not np.array_equal(f, lognormal_factors(tags, seed=5, sample=8, stream="edge", sigma=0.25))
    assert not np.array_equal(f, lognormal_factors(tags, seed=5, sample=7, stream="gate", sigma=0.25))
    logs = np.log(lognormal_factors(np.arange(1, 200001, dtype=np.uint64), seed=1, sample=0, stream="edge", sigma=0.5))
    assert abs(np.median(logs)) < 0.01 and abs(logs.std() - 0.5) < 0.01


def test_sweep_rows_share_the_base_draws():
    base = two_corridors(samples=30, seed=4, sigma_edge=0.0, sigma_gate=0.0)
    result = sweep(base, [base.edited(CloseGates((g,)), name=f"close {g}") for g in "ABCD"])
    table = result.table.set_index("scenario")
    # demand-weighted: each destination has half the demand; t's route costs 0.2 more via B, u's 1.0 more via D
    assert table.loc["close A", "top_gain"] == "B" and table.loc["close A", "cost_change_heq"] == pytest.approx(0.1)
    assert table.loc["close C", "top_gain"] == "D" and table.loc["close C", "cost_change_heq"] == pytest.approx(0.5)
    assert table.loc["close B", "flow_moved"] == 0.0 and table.loc["close D", "flow_moved"] == 0.0
    with pytest.raises(ParameterError, match="differs from the base"):
        sweep(base, [base.with_settings(seed=9)])


# ------------------------------------------------------------------ the shipped data
def test_cau_treo_closed_displaces_flow_only_away_from_cau_treo(cau_treo):
    """Known answer: with Cầu Treo closed, no other entry gate or stretch on the Laos and Cambodia borders loses
    flow, in the mean or in any sample (before common random numbers Na Mèo appeared to lose 0.020)."""
    c = cau_treo
    assert c.summary["comparable"] and c.summary["gates_losing_flow"] == ["VN-LAO-016"]
    losers = c.displacement[c.displacement["flow_change"] < -FLOW_EPS]
    assert list(losers["id"]) == ["VN-LAO-016"]
    g = c.gates.set_index("gate_id")
    assert g.loc["VN-LAO-016", "flow_scenario"] == 0.0 and g.loc["VN-LAO-016", "flow_base"] > 0
    gained = c.displacement.loc[c.displacement["flow_change"] > 0, "flow_change"].sum()
    assert gained == pytest.approx(-g.loc["VN-LAO-016", "flow_change"])  # what Cầu Treo lost, others gained
    for kind in ("gate", "segment"):
        before = getattr(c.base.chokepoints.ensemble, f"{kind}_samples")
        after = getattr(c.other.chokepoints.ensemble, f"{kind}_samples")
        cols = [col for col in before.columns if col != "VN-LAO-016" and col in after.columns]
        assert (after[cols].to_numpy() - before[cols].to_numpy() >= -FLOW_EPS).all()
    untouched = c.base.chokepoints.ensemble.gate_samples["VN-LAO-016"].to_numpy() <= FLOW_EPS
    same = np.array_equal(
        c.base.chokepoints.ensemble.gate_samples.to_numpy()[untouched],
        c.other.chokepoints.ensemble.gate_samples.to_numpy()[untouched],
    )
    assert untouched.any() and same


def test_cau_treo_comparison_tables_read_as_an_analyst_would(cau_treo):
    c = cau_treo
    d = c.destinations.set_index("destination")
    cities = {"Hanoi", "Ho Chi Minh City", "Haiphong", "Da Nang", "China border"}
    assert set(d.index) == cities | {n for n in c.base.scenario.destinations if n.startswith("export to ")}
    assert (d["cost_change_heq"] >= 0).all() and (d["ensemble_cost_change_heq"] >= -1e-9).all()
    assert (d["time_base_h"] < d["cost_base_heq"]).all()  # clock time and generalised cost are different columns
    segs = c.segments.set_index("segment_id")
    named = segs.loc[segs["flow_change"] > 0, "name"]
    assert named.str.contains(" of gate | of |at ").all()  # every moved segment has a place name
    table = c.table()
    assert set(table["kind"]) == {"gate", "segment"} and {"rank_change", "flow_change_low"} <= set(table.columns)
    data = c.to_dict()
    assert data["method"]["common_random_numbers"] and data["scenario"]["edits"][0]["gates"] == ["VN-LAO-016"]


def test_coverage_change_of_a_new_blo(scenario):
    other = scenario.edited(CloseGates(("VN-LAO-016",))).base  # the base itself: nothing changes
    assert other is scenario
    from borderwatch import AddBLO

    with_blo = scenario.edited(AddBLO(name="Nam Can BLO", at_gate="VN-LAO-013"))
    result = sweep(scenario, [with_blo, scenario.edited(PatrolHours(4.0))])
    row = result.table.iloc[0]
    assert row["covered_km_change"] > 0 and row["flow_moved"] == 0.0  # a BLO moves no traffic in this model
    assert result.table.iloc[1]["covered_km_change"] > 0


def test_sweep_file_grid(tmp_path, scenario):
    path = tmp_path / "sweep.toml"
    path.write_text('name = "x"\n[grid]\nclose_each_gate = ["KHM"]\npatrol_hours = [2, 4]\n', encoding="utf-8")
    scenarios = read_sweep_file(path, base=scenario)
    khm = scenario.gates[scenario.gates["border"].eq("KHM") & scenario.gates["id"].isin(scenario.arrays.gate_id)]
    assert len(scenarios) == 2 * len(khm)
    bad = tmp_path / "bad.toml"
    bad.write_text("[grids]\npatrol_hours = [1]\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="unknown section 'grids'"):
        read_sweep_file(bad, base=scenario)
    bad.write_text("[grid]\nclose_each = true\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="unknown \\[grid\\] key 'close_each'"):
        read_sweep_file(bad, base=scenario)


def test_rank_change_is_counted_among_the_gates_both_runs_rank(cau_treo):
    """Cầu Treo drops out of the scenario's ranking; the gates below it must not all seem to rise one place."""
    g = cau_treo.gates.set_index("gate_id")
    assert pd.isna(g.loc["VN-LAO-016", "rank_change"]) and pd.isna(g.loc["VN-LAO-016", "rank_scenario"])
    both = g.dropna(subset=["rank_base", "rank_scenario"])
    base, other = both["rank_base"].astype(float), both["rank_scenario"].astype(float)  # (unsigned ranks)
    expected = base.rank(method="min") - other.rank(method="min")
    assert (both["rank_change"] == expected).all()
    raw = base - other
    assert (raw != 0).sum() > (both["rank_change"] != 0).sum()
