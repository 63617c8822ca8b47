"""Shortest-path interdiction: exact against brute force, greedy never better, the shipped gates."""

import itertools
import random

import networkx as nx
import numpy as np
import pytest

from borderwatch import CloseGates, GraphArrays, NoRouteError, ParameterError, Scenario
from borderwatch.analysis.interdiction import CLOSED_COST_H, interdict, interdict_crossings


def layered(seed: int) -> nx.MultiDiGraph:
    """Origin -> 3 columns of 4 nodes -> target; a random subset of links are 'gates' (units)."""
    rng = random.Random(seed)
    G = nx.MultiDiGraph()
    columns = [["s"], *[[f"c{i}{j}" for j in range(4)] for i in range(3)], ["t"]]
    for left, right in itertools.pairwise(columns):
        for a in left:
            for b in right:
                if rng.random() < 0.7 or len(left) == 1 or len(right) == 1:
                    attrs = {"cost": rng.uniform(1.0, 5.0)}
                    if rng.random() < 0.35:
                        attrs["gate_id"] = f"G{a}{b}"
                    G.add_edge(a, b, **attrs)
    G.add_edge("s", "t", cost=40.0)  # a dear way no one can close
    return G


def brute(arrays, units, shares, k, closed_cost):
    best = -np.inf
    for r in range(k + 1):
        for chosen in itertools.combinations(sorted(units), r):
            edges = np.concatenate([units[u] for u in chosen]) if chosen else np.zeros(0, dtype=int)
            view = arrays.replaced(edges, closed_cost) if len(edges) else arrays
            dist = view.dijkstra(["s"])[0][0]
            best = max(best, sum(s * dist[arrays.row(t)] for t, s in shares.items()))
    return best


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("k", [1, 2, 3])
def test_exact_matches_brute_force_and_greedy_is_never_better(seed, k):
    G = layered(seed)
    arrays = GraphArrays.from_graph(G)
    units = {g: arrays.gate_edges([g]) for g in sorted(set(arrays.gate_id[arrays.crossing == "gate"]))}
    if len(units) < k:
        pytest.skip("too few gates")
    shares = {"t": 1.0}
    exact = interdict(arrays, "s", shares, units=units, k=k, method="exact")
    greedy = interdict(arrays, "s", shares, units=units, k=k, method="greedy")
    assert exact.status == "optimal"
    assert exact.cost_after == pytest.approx(brute(arrays, units, shares, k, CLOSED_COST_H))
    assert exact.upper_bound == pytest.approx(exact.cost_after, rel=1e-6)
    assert greedy.cost_after <= exact.cost_after + 1e-9
    assert len(exact.chosen) <= k and exact.cost_after >= exact.cost_before


def test_known_answer_and_routes_after():
    """Two gates in parallel (3 h and 4 h) and a 10 h trail: closing both leaves the trail."""
    G = nx.MultiDiGraph()
    G.add_edge("s", "a", cost=1.0)
    G.add_edge("a", "t", cost=2.0, gate_id="A")
    G.add_edge("s", "b", cost=1.0)
    G.add_edge("b", "t", cost=3.0, gate_id="B")
    G.add_edge("s", "t", cost=10.0)
    arrays = GraphArrays.from_graph(G)
    units = {"A": arrays.gate_edges(["A"]), "B": arrays.gate_edges(["B"])}
    one = interdict(arrays, "s", {"t": 1.0}, units=units, k=1)
    assert one.chosen == ["A"] and one.cost_before == 3.0 and one.cost_after == 4.0
    two = interdict(arrays, "s", {"t": 1.0}, units=units, k=2)
    assert sorted(two.chosen) == ["A", "B"] and two.cost_after == 10.0
    assert [arrays.edge_id(e)[:2] for e in two.per_destination["t"][2]] == [("s", "t")]
    # inspection instead of closure: each gate's cost + 5 h
    inspected = arrays.cost + np.where(arrays.crossing == "gate", 5.0, 0.0)
    insp = interdict(arrays, "s", {"t": 1.0}, units=units, k=1, interdicted_cost=inspected)
    assert insp.chosen == ["A"] and insp.cost_after == 4.0  # A inspected (8 h) -> B at 4 h


def test_bad_arguments():
    G = nx.MultiDiGraph()
    G.add_edge("s", "t", cost=1.0, gate_id="A")
    G.add_node("island")
    arrays = GraphArrays.from_graph(G)
    units = {"A": arrays.gate_edges(["A"])}
    with pytest.raises(ParameterError, match="k must be an integer from 0 to the 1 candidates"):
        interdict(arrays, "s", {"t": 1.0}, units=units, k=2)
    with pytest.raises(ParameterError, match="method must be"):
        interdict(arrays, "s", {"t": 1.0}, units=units, k=1, method="magic")
    with pytest.raises(NoRouteError, match="before any interdiction"):
        interdict(arrays, "s", {"island": 1.0}, units=units, k=1)


def test_interdict_crossings_on_a_user_graph_and_its_plan_as_edits():
    """The known answer above through a scenario: its gates are the candidates, the plan is a scenario edit."""
    G = nx.MultiDiGraph()
    G.add_edge("s", "a", cost=1.0)
    G.add_edge("a", "t", cost=2.0, gate_id="A", interdictable=True)
    G.add_edge("s", "b", cost=1.0)
    G.add_edge("b", "t", cost=3.0, gate_id="B", interdictable=True)
    G.add_edge("s", "t", cost=10.0)
    sc = Scenario.from_graph(G, origin="s", destinations=["t"])
    plan = interdict_crossings(sc, k=1)
    assert plan.chosen == ["gate:A"] and plan.result.cost_after == 4.0 and plan.kind == "gates"
    assert plan.report["chosen"] == ["gate:A"] and plan.routes_after["cost_after_heq"].tolist() == [4.0]
    after = sc.edited(*plan.as_edits())
    assert after.closed_gates == {"A"} and after.least_cost("t") == plan.result.cost_after
    # a closed gate is no candidate any more: the next best is B, and then the trail
    again = interdict_crossings(after, k=1)
    assert again.chosen == ["gate:B"] and again.result.cost_after == 10.0
    assert interdict_crossings(sc, k=5).result.cost_after == 10.0  # k capped at the candidates
    with pytest.raises(ParameterError, match="interdict_crossings: k must be >= 0, got -1"):
        interdict_crossings(sc, k=-1)
    with pytest.raises(ParameterError, match="mode must be one of 'close', 'inspect', got 'bribe'"):
        interdict_crossings(sc, k=1, mode="bribe")
    with pytest.raises(ParameterError, match="inspect needs interdicted_cost"):
        interdict_crossings(sc, k=1, mode="inspect")


def test_a_gate_closed_by_an_edit_is_no_candidate_on_a_user_graph():
    """Its edges cost inf in the scenario: neither a candidate nor an 'interdicted_cost below its cost' error."""
    G = nx.MultiDiGraph()
    G.add_edge("s", "a", cost=1.0, interdictable=False)
    G.add_edge("a", "t", cost=2.0, gate_id="A", interdicted_cost=5.0)
    G.add_edge("s", "b", cost=1.0, interdictable=False)
    G.add_edge("b", "t", cost=3.0, gate_id="B", interdicted_cost=6.0)
    G.add_edge("s", "t", cost=10.0, interdictable=False)
    sc = Scenario.from_graph(G, origin="s", destinations=["t"])
    assert interdict_crossings(sc, k=1, mode="inspect").chosen == ["gate:A"]  # A inspected (6 h) -> B at 4 h
    closed = sc.edited(CloseGates(("A",)))
    plan = interdict_crossings(closed, k=2, mode="inspect")
    assert plan.chosen == ["gate:B"] and plan.result.cost_after == 7.0  # B inspected: s-b-t at 1 + 6 h
    G.edges["b", "t", 0]["interdicted_cost"] = 2.5
    with pytest.raises(ParameterError, match=r"interdicted_cost 2\.5 is below its cost 3\.0"):
        interdict_crossings(Scenario.from_graph(G, origin="s", destinations=["t"]), k=1)


@pytest.mark.slow
def test_interdicting_gates_on_the_shipped_graph(scenario, sealed):
    arrays = scenario.arrays
    units = {g: arrays.gate_edges([g]) for g in sorted(set(arrays.gate_id[arrays.crossing == "gate"]))}
    exact = interdict(arrays, scenario.origin, scenario.shares, units=units, k=2)
    # every least-cost route crosses on trails, so no gate's closing raises the cost: none is chosen
    assert exact.status == "optimal" and exact.chosen == [] and exact.cost_after == exact.cost_before
    # with every trail sealed the routes take gates: Lóng Sập (half the demand) and Tây Trang are the best two
    arrays = sealed.arrays
    units = {g: arrays.gate_edges([g]) for g in sorted(set(arrays.gate_id[arrays.crossing == "gate"]))}
    exact = interdict(arrays, sealed.origin, sealed.shares, units=units, k=2)
    assert exact.status == "optimal" and set(exact.chosen) == {"VN-LAO-005", "VN-LAO-002"}
    assert exact.cost_after > exact.cost_before and not exact.cut_off
    # the same through the scenario; its plan, applied as an edit, gives the cost it promised
    plan = interdict_crossings(sealed, k=2, candidates="gates")
    assert set(plan.chosen) == {"gate:VN-LAO-005", "gate:VN-LAO-002"}
    assert plan.result.cost_after == pytest.approx(exact.cost_after)
    closed = sealed.edited(*plan.as_edits())
    assert closed.closed_gates == {"VN-LAO-005", "VN-LAO-002"}
    after = sum(share * closed.least_cost(node) for node, share in closed.shares.items())
    assert after == pytest.approx(plan.result.cost_after, rel=1e-9)


def test_interdict_command_on_a_user_graph(tmp_path):
    import json

    from click.testing import CliRunner

    from borderwatch.cli import main

    G = nx.MultiDiGraph()
    G.add_edge("s", "a", cost=1.0, interdictable=False)
    G.add_edge("a", "t", cost=2.0, interdictable=True)
    G.add_edge("s", "b", cost=1.0, interdictable=False)
    G.add_edge("b", "t", cost=3.0, interdictable=True, interdicted_cost=4.5)
    G.add_edge("s", "t", cost=10.0, interdictable=False)
    path = tmp_path / "g.graphml"
    nx.write_graphml(G, path)
    out = tmp_path / "interdiction.json"
    args = ["interdict", "--graph", str(path), "--origin", "s", "--to", "t", "--k", "2", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    # closing a-t and inspecting b-t (4.5 h): the trafficker's best is s-b-t at 5.5 h
    assert sorted(report["chosen"]) == ["link:a->t", "link:b->t"] and report["cost_after_heq"] == 5.5
    assert report["cost_before_heq"] == 3.0 and report["routes_after"][0]["nodes_after"] == ["s", "b", "t"]
    assert report["chosen_edges"]["link:a->t"] == [["a", "t", ""]]
    for bad, message in (
        (["--k", "-1"], "--k must be >= 0"),
        (["--k", "5"], "--k 5 is more than the 2 candidates"),
        (["--k", "1", "--to", "nowhere"], "'nowhere' is not in the graph"),
    ):
        base = ["interdict", "--graph", str(path), "--origin", "s", "--out", str(tmp_path / "x.json")]
        result = CliRunner().invoke(main, base + (["--to", "t"] if "--to" not in bad else []) + bad)
        assert result.exit_code == 1 and message in result.output, result.output
        assert not (tmp_path / "x.json").exists()


@pytest.mark.slow
def test_interdict_command_on_the_shipped_graph_shows_displacement():
    import json

    from click.testing import CliRunner

    from borderwatch.cli import main

    result = CliRunner().invoke(main, ["-q", "interdict", "--k", "2"])  # gates: none is on a least-cost route
    assert result.exit_code == 0 and "note: no gate is on a least-cost route" in result.output, result.output
    result = CliRunner().invoke(main, ["interdict", "--k", "2", "--candidates", "both", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    # the trails beside Tây Trang carry the Hanoi, Haiphong, China and northern export routes: closing them
    # and their neighbour sends those routes to the next stretch of trails
    assert report["chosen"] == ["segment:LAO-00-0062", "segment:LAO-00-0061"] and report["status"] == "optimal"
    moved = {d["crossing"]: d for d in report["displacement"]}
    assert moved["segment:LAO-00-0062"]["share_after"] == 0.0 and moved["segment:LAO-00-0062"]["share_before"] > 0.5
    assert any(c.startswith("segment:") and d["share_after"] > d["share_before"] for c, d in moved.items())


def test_interdict_command_time_out_exits_1_with_the_best_found(tmp_path):
    from click.testing import CliRunner

    from borderwatch.cli import main

    path = tmp_path / "layered.graphml"
    nx.write_graphml(layered(3), path)
    out = tmp_path / "x.json"
    args = ["interdict", "--graph", str(path), "--origin", "s", "--to", "t", "--k", "3", "--time-limit", "1e-6"]
    result = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert result.exit_code == 1 and "stopped at --time-limit" in result.output and "best found" in result.output
    assert not out.exists()


def test_a_user_graph_has_no_segments_to_interdict_and_a_cut_off_destination_has_no_route_after():
    """Found by a hostile probe: --candidates segments on a user graph picked a gate, drawn through after closing."""
    from borderwatch import ParameterError, Scenario

    G = nx.MultiDiGraph()
    G.add_edge("o", "g", cost=1.0)
    G.add_edge("g", "b", cost=1.0, gate_id="VN-1")
    sc = Scenario.from_graph(G, origin="o", destinations=["b"])
    with pytest.raises(ParameterError, match="no border segments to interdict"):
        interdict_crossings(sc, k=1, candidates="segments")
    plan = interdict_crossings(sc, k=1, candidates="gates")
    assert plan.chosen == ["gate:VN-1"] and plan.report["cut_off"] == ["b"]
    after = plan.report["routes_after"][0]
    assert after["nodes_after"] == [] and after["crossings_after"] == ""
