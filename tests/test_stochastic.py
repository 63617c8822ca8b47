"""Plans under uncertainty: sample-average interdiction, the priority list, randomised inspection (issue 21).

Every model against brute force on toy graphs; the one-sample model against
the deterministic one; the two-route game against its analytic answer; the
seed; bad input; and one shipped-data run with few samples.
"""

import html
import itertools
import json
import random

import networkx as nx
import numpy as np
import pytest
import scipy.optimize

from borderwatch import ParameterError, ProfileError, Scenario
from borderwatch.analysis.ensemble import ensemble_of
from borderwatch.analysis.flow import least_cost_flow
from borderwatch.analysis.inspection import inspection_game, inspection_html
from borderwatch.analysis.interdiction import CLOSED_COST_H, interdict, user_graph_units
from borderwatch.analysis.stochastic import (
    OUT_OF_SAMPLE_SEED_OFFSET,
    cvar,
    sample_cost,
    stochastic_study,
    study_html,
)
from borderwatch.edits import CloseGates, InspectGates
from borderwatch.network.profile import load_profile


def gates_graph(seed: int, gates: int = 5) -> nx.MultiDiGraph:
    """Origin -> a gate each -> two destinations; only gate edges are candidates; a dear bypass no one closes."""
    rng = random.Random(seed)
    G = nx.MultiDiGraph()
    for i in range(gates):
        G.add_edge("o", f"a{i}", cost=rng.uniform(1, 3), interdictable=False)
        G.add_edge(f"a{i}", f"b{i}", cost=rng.uniform(1, 3), gate_id=f"G{i}")
        for t in ("t1", "t2"):
            G.add_edge(f"b{i}", t, cost=rng.uniform(1, 6), interdictable=False)
    G.add_edge("b0", "b1", cost=rng.uniform(0.5, 2), interdictable=False)
    for t in ("t1", "t2"):
        G.add_edge("o", t, cost=30.0, interdictable=False)
    return G


def toy(seed: int = 0, samples: int = 6, **settings) -> Scenario:
    G = gates_graph(seed)
    return Scenario.from_graph(
        G, origin="o", destinations=["t1", "t2"], samples=samples, seed=11 + seed, sigma_edge=0.4, sigma_gate=0.4,
        **settings,
    )  # fmt: skip


def sample_values(sc: Scenario, chosen, *, seed: int, samples: int, first: int = 0) -> np.ndarray:
    """Brute force: per sample, the demand-weighted least cost with ``chosen`` gates closed (its own search)."""
    units, _, _ = user_graph_units(sc)
    out = []
    s = sc.settings
    for i in range(first, first + samples):
        cost = sample_cost(sc.arrays, seed=seed, sample=i, sigma_edge=s.sigma_edge, sigma_gate=s.sigma_gate)
        for u in chosen:
            cost[units[u]] = CLOSED_COST_H
        flow = least_cost_flow(sc.arrays.with_cost(cost), sc.origin, sc.shares)
        out.append(sum(sc.shares[t] * flow.cost[t] for t in sc.shares))
    return np.array(out)


def brute_best(sc, k, *, objective="mean", alpha=1.0):
    units, _, _ = user_graph_units(sc)
    s = sc.settings
    best = -np.inf
    for chosen in itertools.combinations(sorted(units), k):
        v = sample_values(sc, chosen, seed=s.seed, samples=s.samples)
        best = max(best, v.mean() if objective == "mean" else cvar(v, alpha))
    return best


def test_sample_cost_is_the_ensembles_draw():
    sc = toy()
    s = sc.settings
    ens = ensemble_of(
        sc.arrays, sc.origin, sc.shares, samples=4, seed=s.seed, sigma_edge=s.sigma_edge, sigma_gate=s.sigma_gate
    )
    for i in range(4):
        flow = least_cost_flow(
            sc.arrays.with_cost(sample_cost(sc.arrays, seed=s.seed, sample=i, sigma_edge=0.4, sigma_gate=0.4)),
            sc.origin,
            sc.shares,
        )
        assert [flow.cost[t] for t in sc.shares] == pytest.approx(ens.cost_samples.iloc[i].to_list())


@pytest.mark.parametrize("seed", range(3))
def test_stochastic_plans_match_brute_force_mean_and_cvar(seed):
    sc = toy(seed)
    study = stochastic_study(sc, max_k=3, candidates="gates", samples=6, out_of_sample=4, nested=False)
    assert study.status == "optimal"
    for row in study.table.itertuples():
        assert row.sto_in_sample_heq == pytest.approx(brute_best(sc, row.k), abs=2e-3)
        assert row.sto_bound_heq == pytest.approx(row.sto_in_sample_heq, abs=2e-3)
        assert row.sto_in_sample_heq >= row.det_in_sample_heq - 1e-3  # the stochastic plan is best on its own samples
    risky = stochastic_study(sc, max_k=2, candidates="gates", samples=6, out_of_sample=4, objective="cvar", alpha=0.34)
    for row in risky.table.itertuples():
        assert row.sto_in_sample_heq == pytest.approx(brute_best(sc, row.k, objective="cvar", alpha=0.34), abs=2e-3)
    plan = risky.plans[2]["stochastic"]
    fresh = sample_values(sc, plan.chosen, seed=risky.out_of_sample_seed, samples=4)
    assert plan.out_of_sample_cvar_heq == pytest.approx(cvar(fresh, 0.34), abs=1e-6)


def test_nested_list_matches_brute_force_over_chains():
    sc = toy(1)
    study = stochastic_study(sc, max_k=3, candidates="gates", samples=6, out_of_sample=4)
    units = sorted(user_graph_units(sc)[0])
    s = sc.settings
    value = {}
    for r in range(1, 4):
        for c in itertools.combinations(units, r):
            value[c] = sample_values(sc, c, seed=s.seed, samples=s.samples).mean()
    best_chain = max(
        value[tuple(sorted(p[:1]))] + value[tuple(sorted(p[:2]))] + value[tuple(sorted(p[:3]))]
        for p in itertools.permutations(units, 3)
    )
    prio = study.priority
    assert prio["nested_heq"].sum() == pytest.approx(best_chain, abs=5e-3)
    assert (prio["loss_heq"] >= -1e-6).all()
    plans = [set(p.split(", ")) for p in prio["nested_plan"]]
    assert plans[0] <= plans[1] <= plans[2] and [len(p) for p in plans] == [1, 2, 3]
    # what the k-th team buys sums to the nested value's rise over nothing interdicted
    rise = prio["nested_heq"].iloc[-1] - study.cost_before_heq
    assert prio["next_team_buys_heq"].sum() == pytest.approx(rise, abs=1e-3)
    page = study_html(study)
    assert "Budget priority list" in page and all(html.escape(study.places.get(u, u)) in page for u in plans[-1])
    from borderwatch.report import study_section

    section = study_section(study, "close")  # the report's section: the table and the next-team curve
    assert section.count("<svg") == 1 and "nested priority list" in section and section.endswith("</section>")
    assert study.as_edits(2, which="nested") == [CloseGates(tuple(sorted(u.removeprefix("gate:") for u in plans[1])))]


def test_one_sample_is_the_deterministic_model():
    G = gates_graph(2)
    sc = Scenario.from_graph(G, origin="o", destinations=["t1", "t2"], seed=3, sigma_edge=0.0, sigma_gate=0.0)
    study = stochastic_study(sc, max_k=3, candidates="gates", samples=1, out_of_sample=2, nested=False)
    for k, p in study.plans.items():  # no noise: the one sample is the profile, both plans equal
        assert p["stochastic"].in_sample_heq == pytest.approx(p["deterministic"].in_sample_heq, abs=1e-9)
        assert p["deterministic"].in_sample_heq == pytest.approx(p["deterministic"].profile_heq, abs=1e-9), k
    noisy = Scenario.from_graph(G, origin="o", destinations=["t1", "t2"], seed=3, sigma_edge=0.5, sigma_gate=0.5)
    study = stochastic_study(noisy, max_k=3, candidates="gates", samples=1, out_of_sample=2, nested=False)
    one = noisy.arrays.with_cost(sample_cost(noisy.arrays, seed=3, sample=0, sigma_edge=0.5, sigma_gate=0.5))
    units, after, _ = user_graph_units(noisy)
    for k, p in study.plans.items():  # one noisy sample: the deterministic model on that sample's costs
        det = interdict(one, "o", noisy.shares, units=units, k=k, interdicted_cost=after)
        assert p["stochastic"].in_sample_heq == pytest.approx(det.cost_after, abs=1e-9)


def test_out_of_sample_is_fresh_and_reproducible():
    sc = toy(0)
    a = stochastic_study(sc, max_k=2, candidates="gates", samples=5, out_of_sample=8, nested=False)
    b = stochastic_study(sc, max_k=2, candidates="gates", samples=5, out_of_sample=8, nested=False)
    assert a.table.drop(columns="sto_solve_s").equals(b.table.drop(columns="sto_solve_s"))
    assert a.out_of_sample_seed == sc.settings.seed + OUT_OF_SAMPLE_SEED_OFFSET
    plan = a.plans[2]["stochastic"]
    fresh = sample_values(sc, plan.chosen, seed=a.out_of_sample_seed, samples=8)
    assert plan.out_of_sample_heq == pytest.approx(fresh.mean(), abs=1e-6)
    assert plan.ci95_heq == pytest.approx(1.959963984540054 * fresh.std(ddof=1) / np.sqrt(8), abs=1e-6)
    inside = sample_values(sc, plan.chosen, seed=sc.settings.seed, samples=5)
    assert plan.in_sample_heq == pytest.approx(inside.mean(), abs=1e-6) and plan.in_sample_heq != plan.out_of_sample_heq
    assert a.as_edits(2) == [CloseGates(tuple(u.removeprefix("gate:") for u in plan.chosen))]
    html = study_html(a)
    assert "Plans under uncertainty" in html and "Budget priority" not in html


def test_a_destination_cut_off_is_reported_not_costed():
    G = nx.MultiDiGraph()
    G.add_edge("o", "g", cost=1.0, interdictable=False)
    G.add_edge("g", "b", cost=1.0, gate_id="VN-1")
    G.add_edge("o", "h", cost=1.0, interdictable=False)
    G.add_edge("h", "c", cost=2.0, gate_id="VN-2")
    sc = Scenario.from_graph(G, origin="o", destinations=["b", "c"], sigma_edge=0.1, sigma_gate=0.0)
    study = stochastic_study(sc, max_k=1, candidates="gates", samples=3, out_of_sample=3, nested=False)
    plan = study.plans[1]["stochastic"]
    lost = {"gate:VN-1": "b", "gate:VN-2": "c"}[plan.chosen[0]]  # either cuts one destination off
    assert plan.cut_off == {lost: 1.0}
    assert plan.out_of_sample_heq < 10 and plan.in_sample_heq < 10  # the other destination alone: not CLOSED_COST_H
    assert f"{lost} (100%)" in study.table.loc[0, "cut_off"]


def test_bad_input_is_refused_with_the_key():
    sc = toy()
    for kwargs, message in (
        ({"max_k": 0}, "max_k must be >= 1"),
        ({"max_k": -1}, "max_k must be an integer from 0 to the 5 candidates"),
        ({"max_k": 6}, "max_k must be an integer from 0 to the 5 candidates"),
        ({"samples": 0}, "samples must be >= 1"),
        ({"out_of_sample": 1}, "out_of_sample must be an integer >= 2"),
        ({"objective": "cvar", "alpha": 0.0}, "alpha"),
        ({"objective": "worst"}, "objective"),
    ):
        with pytest.raises(ParameterError, match=message):
            stochastic_study(sc, **{"candidates": "gates", **kwargs})
    for kwargs, message in (
        ({"teams": -1}, "teams must be an integer from 0 to the"),
        ({"teams": 99}, "teams must be an integer from 0 to the"),
        (
            {"teams": 1, "detection": {"secondary": 1.2}},
            r"inspection.detection.secondary must be a probability in \[0, 1\]",
        ),
        ({"teams": 1, "detection": {"sea": 0.5}}, "unknown crossing class"),
        ({"teams": 1, "quantal": -1.0}, "quantal"),
    ):
        with pytest.raises(ParameterError, match=message):
            inspection_game(sc, **{"candidates": "gates", **kwargs})
    with pytest.raises(ProfileError, match=r"inspection\.detection\.primary"):
        load_profile(inspection={"detection": {"primary": -0.1}})


# ------------------------------------------------------------------ inspection game
def two_routes() -> Scenario:
    G = nx.MultiDiGraph()
    G.add_edge("o", "a", cost=1.0, interdictable=False)
    G.add_edge("a", "t", cost=1.0, gate_id="A")
    G.add_edge("o", "b", cost=1.0, interdictable=False)
    G.add_edge("b", "t", cost=3.0, gate_id="B")
    return Scenario.from_graph(G, origin="o", destinations=["t"])


def test_two_route_game_has_its_analytic_answer():
    sc = two_routes()
    L, d = sc.profile["cost"]["exposure_weight_h"], sc.profile["inspection"]["detection"]["secondary"]
    plan = inspection_game(sc, teams=1, candidates="gates", quantal=1e6)
    # the trafficker is indifferent: 2 + L d xA = 4 + L d (1 - xA)
    x_a = (2 + L * d) / (2 * L * d)
    probs = dict(zip(plan.crossings["unit"], plan.crossings["probability"], strict=True))
    assert probs["gate:A"] == pytest.approx(x_a, abs=1e-6) and probs["gate:B"] == pytest.approx(1 - x_a, abs=1e-6)
    assert plan.value_heq == pytest.approx(2 + L * d * x_a, abs=1e-6)
    # his equilibrium mix makes the planner indifferent: half each way, interception d/2
    assert plan.interception == pytest.approx(d / 2, abs=1e-6)
    assert plan.fixed == ["gate:A"] and plan.fixed_value_heq == pytest.approx(4.0) and plan.fixed_interception == 0.0
    # a nearly rational quantal trafficker splits the tie evenly; a pure best response takes one of the two
    assert plan.quantal_interception == pytest.approx(d / 2, abs=1e-6)
    assert min(abs(plan.best_response_interception - d * x) for x in (x_a, 1 - x_a)) < 1e-6
    assert plan.status == "optimal" and plan.multi_crossing_routes == 0
    assert plan.as_edits() == [InspectGates(("A",))]
    assert sorted(plan.deployment(seed=1)) in (["gate:A"], ["gate:B"])
    hits = [plan.deployment(seed=s) for s in range(400)]
    assert sum(h == ["gate:A"] for h in hits) / 400 == pytest.approx(x_a, abs=0.08)


def matrix_game_value(sc, units, teams, d, L):
    """Brute force: the zero-sum game over every pure deployment of ``teams`` teams and every simple route."""
    G = sc.G
    routes = list(nx.all_simple_edge_paths(G, "o", "t"))
    deployments = list(itertools.combinations(sorted(units), teams))
    gate_of = {e: f"gate:{G.edges[e].get('gate_id')}" for e in G.edges(keys=True) if G.edges[e].get("gate_id")}
    payoff = np.zeros((len(deployments), len(routes)))
    for i, dep in enumerate(deployments):
        for j, r in enumerate(routes):
            cost = sum(G.edges[e]["cost"] for e in r)
            payoff[i, j] = cost + L * sum(d[gate_of[e]] for e in r if gate_of.get(e) in dep)
    # planner mixes over deployments: max v s.t. v <= p @ payoff[:, j] for every route
    n = len(deployments)
    res = scipy.optimize.linprog(
        np.concatenate([np.zeros(n), [-1.0]]),
        A_ub=np.hstack([-payoff.T, np.ones((len(routes), 1))]),
        b_ub=np.zeros(len(routes)),
        A_eq=np.concatenate([np.ones(n), [0.0]])[None, :],
        b_eq=[1.0],
        bounds=[(0, None)] * n + [(None, None)],
        method="highs",
    )
    fixed = payoff.min(axis=1).max()
    return -res.fun, fixed


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("teams", [1, 2])
def test_inspection_lp_matches_the_game_over_enumerated_pure_strategies(seed, teams):
    rng = random.Random(seed)
    G = nx.MultiDiGraph()
    classes = ["international", "primary", "secondary"]
    for i in range(4):
        G.add_edge("o", f"a{i}", cost=rng.uniform(1, 4), interdictable=False)
        G.add_edge(f"a{i}", "t", cost=rng.uniform(1, 4), gate_id=f"G{i}", gate_class=classes[i % 3])
    G.add_edge("a0", "a1", cost=rng.uniform(0.5, 1.5), interdictable=False)
    sc = Scenario.from_graph(G, origin="o", destinations=["t"])
    plan = inspection_game(sc, teams=teams, candidates="gates")
    det = sc.profile["inspection"]["detection"]
    d = {f"gate:G{i}": det[classes[i % 3]] for i in range(4)}
    value, fixed = matrix_game_value(sc, d, teams, d, sc.profile["cost"]["exposure_weight_h"])
    assert plan.value_heq == pytest.approx(value, abs=1e-5)
    assert plan.fixed_value_heq == pytest.approx(fixed, abs=1e-5)
    assert plan.value_heq >= plan.fixed_value_heq - 1e-9 and plan.crossings["probability"].sum() <= teams + 1e-6


def test_cli_stochastic_priority_and_inspect_on_a_user_graph(tmp_path):
    from click.testing import CliRunner

    from borderwatch.cli import main

    path = tmp_path / "g.graphml"
    nx.write_graphml(gates_graph(0), path)
    base = ["--graph", str(path), "--origin", "o", "--to", "t1", "--to", "t2"]
    out = tmp_path / "plans.json"
    args = ["interdict", *base, "--k", "2", "--priority", "2", "--samples", "4", "--out-of-sample", "3"]
    result = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert [r["k"] for r in report["plans"]] == [1, 2] and len(report["priority"]) == 2
    assert report["samples"] == 4 and report["out_of_sample"] == 3
    csv = tmp_path / "inspection.csv"
    result = CliRunner().invoke(main, ["inspect", *base, "--teams", "2", "--candidates", "gates", "--out", str(csv)])
    assert result.exit_code == 0, result.output
    import pandas as pd

    table = pd.read_csv(csv)
    assert {"unit", "probability", "detection", "fixed"} <= set(table.columns)
    assert table["probability"].sum() == pytest.approx(2.0, abs=1e-4) and table["fixed"].sum() == 2
    for bad, message in (
        (["interdict", "--k", "-1", "--stochastic"], "--k must be >= 0"),
        (["interdict", "--k", "6", "--stochastic"], "--k 6 is more than the 5 candidates"),
        (["interdict", "--k", "1", "--priority", "9"], "--priority 9 is more than the 5 candidates"),
        (["interdict", "--k", "1", "--stochastic", "--samples", "0"], "--samples must be >= 1"),
        (["interdict", "--k", "2", "--stochastic", "--time-limit", "1e-6"], "stopped at --time-limit"),
        (["inspect", "--teams", "-1"], "--teams must be >= 0"),
        (["inspect", "--teams", "9", "--candidates", "gates"], "--teams 9 is more than the 5 candidates"),
        (["inspect", "--teams", "1", "--quantal", "-2"], "--quantal LAMBDA must be >= 0"),
    ):
        target = tmp_path / ("x.csv" if bad[0] == "inspect" else "x.json")
        result = CliRunner().invoke(main, [bad[0], *base, *bad[1:], "--out", str(target)])
        assert result.exit_code == 1 and message in result.output, (bad, result.output)
        assert not target.exists()


@pytest.mark.slow
def test_shipped_data_stochastic_plan_and_inspection(scenario):
    study = stochastic_study(scenario, max_k=1, candidates="gates", samples=3, out_of_sample=3, nested=False)
    row = study.table.iloc[0]
    assert study.status == "optimal" and row["stochastic_plan"].startswith("gate:")
    assert row["sto_in_sample_heq"] >= row["det_in_sample_heq"] - 1e-6
    assert np.isfinite(row["sto_out_of_sample_heq"]) and row["sto_ci95_heq"] > 0 and not row["cut_off"]
    assert row["sto_in_sample_heq"] > study.cost_before_heq  # closing a used gate raises the cost in these samples
    edited = scenario.edited(*study.as_edits(1))
    assert edited.closed_gates == {row["stochastic_plan"].removeprefix("gate:")}
    plan = inspection_game(scenario, teams=2, candidates="both")  # the least-cost routes cross on trails
    assert plan.status == "optimal" and plan.crossings["probability"].sum() <= 2 + 1e-6
    assert plan.value_heq >= plan.fixed_value_heq - 1e-6 >= plan.free_heq - 1e-6
    assert 0 <= plan.interception <= 1 and plan.crossings.crs.to_epsg() == 4326
    from borderwatch.maps import base_map
    from borderwatch.maps.inspection_layer import inspection_layer

    m = base_map(scenario)
    layer = inspection_layer(m, scenario, plan)
    drawn = (plan.crossings["probability"] >= 1e-4) | plan.crossings["fixed"]
    (geo,) = layer._children.values()
    assert len(json.loads(geo.data)["features"]) == int(drawn.sum()) > 0 and "interception" in layer.layer_name
    section = inspection_html([plan])
    assert "Randomised inspection" in section and html.escape(plan.crossings["place"].iloc[0]) in section
