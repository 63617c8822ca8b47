"""Risk ranking: known answers on small graphs, agreement with networkx, incidents, the shipped ranking."""

import itertools
import math
import random

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from borderwatch import CloseGates, ParameterError, Scenario, ValidationError
from borderwatch.analysis.chokepoints import chokepoint_metrics
from borderwatch.analysis.incidents import read_incidents
from borderwatch.analysis.mincut import minimum_cut
from borderwatch.analysis.ranking import COMPONENTS, check_weights, rank_gates, ranks, scaled


def two_gate_graph() -> nx.MultiDiGraph:
    """O - A =gate G-A (1 h)= A2 - T and O - B =gate G-B (2 h)= B2 - T, every other link 1 h."""
    G = nx.MultiDiGraph()
    for n, (x, y) in {"O": (100, 20), "A": (101, 20.5), "B": (101, 19.5), "A2": (102, 20.5), "B2": (102, 19.5)}.items():
        G.add_node(n, x=float(x), y=float(y))
    G.add_node("T", x=103.0, y=20.0)

    def link(a, b, cost, **attrs):
        G.add_edge(a, b, cost=cost, **attrs)
        G.add_edge(b, a, cost=cost, **attrs)

    link("O", "A", 1.0)
    link("O", "B", 1.0)
    link("A", "A2", 1.0, gate_id="G-A", gate_class="international")
    link("B", "B2", 2.0, gate_id="G-B", gate_class="secondary")
    link("A2", "T", 1.0)
    link("B2", "T", 1.0)
    return G


def two_gate_scenario(**settings) -> Scenario:
    return Scenario.from_graph(two_gate_graph(), origin="O", destinations=["T"], **settings)


def test_two_parallel_gates_known_answers():
    sc = two_gate_scenario(samples=400, seed=1)
    ranking = rank_gates(sc)
    assert chokepoint_metrics(sc) is ranking.chokepoints  # computed once per scenario
    assert chokepoint_metrics(sc.with_settings(samples=10)).ensemble.samples == 10  # new settings, new metrics
    other = Scenario.from_graph(random_gate_graph(0), origin="w00", destinations=["e33"], samples=2)
    with pytest.raises(ParameterError, match="computed on another graph"):
        rank_gates(sc, chokepoints=chokepoint_metrics(other))
    gates = ranking.gates.set_index("gate_id")
    # least cost 3 h through G-A; closing it costs the trafficker 1 h more (4 h through G-B)
    assert gates.loc["G-A", "flow_share"] == 1.0 and gates.loc["G-B", "flow_share"] == 0.0
    assert gates.loc["G-A", "cost_rise_heq"] == pytest.approx(1.0) and gates.loc["G-A", "diverted_to"] == "G-B 1.00"
    # resistances 3 h and 4 h in parallel: currents 4/7 and 3/7
    assert gates.loc["G-A", "pinch_current"] == pytest.approx(4 / 7)
    assert gates.loc["G-B", "pinch_current"] == pytest.approx(3 / 7)
    assert gates.loc["G-A", "travel_cost_heq"] == pytest.approx(2.0) and gates.loc["G-B", "travel_cost_heq"] == 3.0
    assert gates.loc["G-A", "usage_probability"] + gates.loc["G-B", "usage_probability"] == pytest.approx(1.0)
    assert gates.loc["G-A", "usage_probability"] > 0.5
    assert list(gates["rank"]) == [1, 2] and gates.loc["G-A", "score"] > gates.loc["G-B", "score"]
    assert (gates["rank_low"] <= gates["rank"]).all() and (gates["rank"] <= gates["rank_high"]).all()
    # the same seed gives the same ranking
    again = rank_gates(two_gate_scenario(samples=400, seed=1))
    pd.testing.assert_frame_equal(ranking.gates, again.gates)
    assert ranking.chokepoints.ensemble.samples == 400


def test_weights_come_from_the_settings():
    """Only the travel component: G-A (2 h to reach) scores 1, G-B (3 h) 2/3."""
    sc = two_gate_scenario(samples=20, seed=1)
    only_travel = {**dict.fromkeys(COMPONENTS, 0.0), "travel": 1.0}
    travel = rank_gates(sc.with_settings(weights=only_travel))
    gates = travel.gates.set_index("gate_id")
    assert travel.weights["travel"] == 1.0 and sum(travel.weights.values()) == pytest.approx(1.0)
    assert gates.loc["G-A", "score"] == pytest.approx(1.0) and gates.loc["G-B", "score"] == pytest.approx(2 / 3)
    with pytest.raises(ParameterError, match="weights has unknown entry 'bogus'"):
        sc.with_settings(weights={"bogus": 1.0})
    with pytest.raises(ParameterError, match="are all 0"):
        rank_gates(sc.with_settings(weights=dict.fromkeys(COMPONENTS, 0.0)))


def test_a_gate_closed_by_an_edit_is_listed_as_closed_not_unreachable():
    closed = two_gate_scenario(samples=20, seed=1).edited(CloseGates(("G-B",)))
    gates = rank_gates(closed).gates.set_index("gate_id")
    assert gates.loc["G-B", "status"] == "closed" and "closed in this scenario" in gates.loc["G-B", "reason"]
    assert pd.isna(gates.loc["G-B", "rank"]) and gates.loc["G-A", "rank"] == 1
    assert gates.loc["G-A", "usage_probability"] == 1.0  # every sample now crosses at G-A


def test_the_cut_of_a_user_graph_is_bounded_by_the_settings():
    """Via G-A 3 h, via G-B 4 h (33 % dearer): within 25 % one link cuts the plausible routes, within 50 % two."""
    plausible = rank_gates(two_gate_scenario(samples=2, within_pct=25.0)).chokepoints.cut
    both = rank_gates(two_gate_scenario(samples=2, within_pct=50.0)).chokepoints.cut
    assert plausible.value == pytest.approx(1.0) and both.value == pytest.approx(2.0)


def test_ties_are_broken_by_id_and_scaling_directions():
    assert ranks(pd.Series({"b": 0.5, "a": 0.5, "c": 0.9})).to_dict() == {"b": 3, "a": 2, "c": 1}
    assert scaled(pd.Series([1.0, 2.0, 4.0]), larger_is_riskier=True).tolist() == [0.25, 0.5, 1.0]
    # cheaper travel is riskier: the cheapest gets 1, an unreachable one 0
    assert scaled(pd.Series([2.0, 4.0, np.inf]), larger_is_riskier=False).tolist() == [1.0, 0.5, 0.0]


def test_weights_are_checked_and_normalised():
    assert check_weights({"flow": 1, "usage": 3}, use=("flow", "usage")) == {"flow": 0.25, "usage": 0.75}
    with pytest.raises(ParameterError, match="unknown score components bogus"):
        check_weights({"bogus": 1}, use=("flow",))
    with pytest.raises(ParameterError, match="must be a number >= 0"):
        check_weights({"flow": -1}, use=("flow",))
    with pytest.raises(ParameterError, match="all 0"):
        check_weights({"flow": 0}, use=("flow",))


def random_gate_graph(seed: int) -> nx.MultiDiGraph:
    """A west-east strip: a west grid, a column of gate links, an east grid; origin west, two targets east."""
    rng = random.Random(seed)
    G = nx.MultiDiGraph()
    for side, x0 in (("w", 0), ("e", 10)):
        for i in range(4):
            for j in range(4):
                G.add_node(f"{side}{i}{j}", x=float(x0 + i), y=float(j))
        for i in range(4):
            for j in range(4):
                for di, dj in ((1, 0), (0, 1)):
                    if i + di < 4 and j + dj < 4:
                        c = rng.uniform(0.5, 3.0)
                        G.add_edge(f"{side}{i}{j}", f"{side}{i + di}{j + dj}", cost=c)
                        G.add_edge(f"{side}{i + di}{j + dj}", f"{side}{i}{j}", cost=c)
    for j in range(4):
        c = rng.uniform(1.0, 4.0)
        G.add_edge(f"w3{j}", f"e0{j}", cost=c, gate_id=f"G{j}")
    return G


@pytest.mark.parametrize("seed", range(3))
def test_every_metric_equals_a_networkx_computation(seed):
    G = random_gate_graph(seed)
    targets = ["e33", "e30"]
    # within_pct = inf: every route counts (as in networkx's cut below)
    sc = Scenario.from_graph(G, origin="w00", destinations=targets, samples=5, seed=0, within_pct=math.inf)
    ranking = rank_gates(sc)
    gates = ranking.gates.set_index("gate_id")
    gate_of = {(u, v): d["gate_id"] for u, v, d in G.edges(data=True) if "gate_id" in d}

    def nx_flow(H):
        share = {g: 0.0 for g in gate_of.values()}
        total = 0.0
        for t in targets:
            path = nx.dijkstra_path(H, "w00", t, weight="cost")
            total += 0.5 * nx.path_weight(H, path, weight="cost")
            for a, b in itertools.pairwise(path):
                if (a, b) in gate_of:
                    share[gate_of[a, b]] += 0.5
        return share, total

    share, base = nx_flow(G)
    dist = nx.single_source_dijkstra_path_length(G, "w00", weight="cost")
    undirected = nx.Graph()
    for u, v, d in G.edges(data=True):  # both directions of a link are one resistor
        undirected.add_edge(u, v, conductance=1.0 / d["cost"])
    current = nx.edge_current_flow_betweenness_centrality_subset(
        undirected, ["w00"], targets, normalized=False, weight="conductance"
    )
    for (u, v), gid in gate_of.items():
        assert gates.loc[gid, "flow_share"] == pytest.approx(share[gid])
        assert gates.loc[gid, "travel_cost_heq"] == pytest.approx(dist[u] + G.edges[u, v, 0]["cost"])
        closed = G.copy()
        closed.remove_edge(u, v)
        expected_rise = nx_flow(closed)[1] - base if share[gid] > 0 else 0.0
        assert gates.loc[gid, "cost_rise_heq"] == pytest.approx(expected_rise)
        # networkx's unnormalised edge value is a quarter of the summed current; it draws one unit at each of the
        # two destinations, the ranking their demand share (0.5 each)
        nx_current = current.get((u, v), current.get((v, u)))
        assert gates.loc[gid, "pinch_current"] / 4.0 == pytest.approx(0.5 * nx_current)
    # the cut: four single gate links, each closing cost 1 (default), against any cut inside the grids
    D = nx.DiGraph()
    for u, v in G.edges():
        D.add_edge(u, v, capacity=1.0)
    for t in targets:
        D.add_edge(t, "sink", capacity=float("inf"))
    assert ranking.chokepoints.cut.value == pytest.approx(nx.minimum_cut_value(D, "w00", "sink"))
    result = ranking.chokepoints
    unit_cost = dict.fromkeys(set(result.unit_of_edge) - {""}, 1.0)  # the default closing_cost of every link
    every = minimum_cut(result.arrays, "w00", targets, unit_of_edge=result.unit_of_edge, unit_cost=unit_cost)
    assert every.value == pytest.approx(result.cut.value)


def test_user_graph_without_gates_is_refused():
    G = nx.MultiDiGraph()
    G.add_edge("O", "T", cost=1.0)
    with pytest.raises(ParameterError, match="no edge with a gate_id"):
        rank_gates(Scenario.from_graph(G, origin="O", destinations=["T"], samples=2))


# ------------------------------------------------------------------ incidents
@pytest.fixture
def incident_inputs():
    gates = pd.DataFrame({"id": ["VN-LAO-005", "VN-KHM-009"], "lon": [104.5, 106.2], "lat": [20.6, 11.6]})
    segments = gpd.GeoDataFrame(
        {"segment_id": ["LAO-00-0001"], "border": ["LAO"]},
        geometry=[shapely.LineString([(103.0, 21.0), (103.0, 21.3)])],
        crs="EPSG:4326",
    )
    return {"gates": gates, "segments": segments, "bounds": (100.0, 8.0, 110.0, 24.0), "match_km": 10.0}


def write(tmp_path, text):
    path = tmp_path / "incidents.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_incidents_match_gate_ids_positions_and_segments(tmp_path, incident_inputs):
    path = write(
        tmp_path,
        "incident_id,date,gate_id,lat,lon,weight\n"
        "a,2024-01-05,VN-KHM-009,,,2\n"
        "b,2024-02-01,,20.62,104.52,\n"  # ~3 km from VN-LAO-005
        "c,2024/03/01,,21.1,103.05,1\n"  # ~5 km from the segment, far from any gate
        "d,2024-04-01,,15.0,105.0,1\n",  # nowhere near
    )
    table = read_incidents(path, **incident_inputs).set_index("incident_id")
    assert table.loc["a", "match"] == "gate_id" and table.loc["a", "weight"] == 2.0
    assert table.loc["b", "match"] == "gate" and table.loc["b", "gate_id"] == "VN-LAO-005"
    assert 2.0 < table.loc["b", "distance_km"] < 4.0
    assert table.loc["c", "match"] == "segment" and table.loc["c", "segment_id"] == "LAO-00-0001"
    assert table.loc["d", "match"] == "unmatched"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("when,gate_id\n2024-01-01,VN-LAO-005\n", "needs 'date' and either 'gate_id' or 'lat' and 'lon'"),
        ("date,gate_id\nyesterday,VN-LAO-005\n", "line 2: date 'yesterday' cannot be read"),
        ("date,gate_id\n2024-01-01,VN-XXX-999\n", "line 2: gate_id 'VN-XXX-999' is not a gate"),
        ("date,lat,lon\n2024-01-01,52.5,13.4\n", "line 2: lat/lon (52.5, 13.4) is outside the region"),
        ("date,lat,lon\n2024-01-01,,\n", "line 2: no gate_id and no numeric lat/lon"),
        ("date,gate_id,weight\n2024-01-01,VN-LAO-005,-3\n", "line 2: weight '-3' is not a number >= 0"),
    ],
)
def test_bad_incident_files_name_the_line_and_the_fix(tmp_path, incident_inputs, text, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_incidents(write(tmp_path, text), **incident_inputs)


# ------------------------------------------------------------------ the shipped graph
@pytest.mark.slow
def test_rank_gates_on_the_shipped_graph(scenario, region, tmp_path):
    thirty = scenario.with_settings(samples=30)
    ranking = rank_gates(thirty)
    assert ranking.chokepoints.ensemble.samples == 30
    gates = ranking.gates
    # every gate of the table, the left-out ones with their reason
    assert sorted(gates["gate_id"]) == sorted(region.gates["id"])
    left_out = gates[gates["status"] == "left out"]
    assert len(left_out) == len(scenario.G.graph["build"]["gates_left_out"]) == len(scenario.gates_left_out)
    assert left_out["rank"].isna().all() and left_out["reason"].str.startswith("not in the route graph").all()
    ranked = gates[gates["status"] == "ranked"].sort_values("rank")
    assert list(ranked["rank"]) == list(range(1, len(ranked) + 1))
    assert ranked["score"].is_monotonic_decreasing
    # no gate is on a least-cost corridor (they all cross on trails), so the perturbed routes' usage leads: the
    # three leaders are among the four gates those routes use most (which ones, and their order, move with the
    # samples: the stability check)
    assert (ranked["flow_share"] == 0).all() and (ranked["usage_probability"].iloc[:3] > 0).all()
    assert set(ranked["gate_id"].iloc[:3]) <= set(ranked.nlargest(4, "usage_probability")["gate_id"])
    assert ranking.agreement.loc["score", "score"] == 1.0
    segs = ranking.segments
    assert len(segs) > 100 and segs["rank"].notna().sum() > 100
    assert (segs.loc[segs["rank"].notna(), "gate_ids"] == "").all()
    # incidents: matched to the scenario's gates and segments, counted only with them, on the same metrics
    path = write(tmp_path, "date,gate_id,weight\n2024-01-01,VN-LAO-016,5\n2024-02-01,VN-LAO-016,1\n")
    with_incidents = rank_gates(thirty, incidents=path, chokepoints=ranking.chokepoints)
    assert with_incidents.chokepoints is ranking.chokepoints and "incidents" in with_incidents.weights
    counted = with_incidents.gates.set_index("gate_id")["incidents"]
    assert counted["VN-LAO-016"] == 6.0 and counted.drop("VN-LAO-016").eq(0).all()
    assert "incidents" not in ranking.weights
