"""Shortest paths on the array view agree with networkx; k diverse routes; no-route errors."""

import itertools
import random

import networkx as nx
import numpy as np
import pytest
from shapely.geometry import LineString

from borderwatch import GraphArrays, NoRouteError, ParameterError, explain_route, k_routes, least_cost_routes
from borderwatch.analysis import MAX_K
from borderwatch.errors import UnknownNameError


def random_multidigraph(seed: int, n: int = 30, m: int = 120) -> nx.MultiDiGraph:
    rng = random.Random(seed)
    G = nx.MultiDiGraph()
    G.add_nodes_from(range(n))
    for _ in range(m):
        u, v = rng.randrange(n), rng.randrange(n)
        if u != v:
            # some zero-cost edges and parallel edges on purpose
            G.add_edge(u, v, cost=rng.choice([0.0, rng.uniform(0.1, 10)]))
    return G


@pytest.mark.parametrize("seed", range(8))
def test_array_dijkstra_matches_networkx(seed):
    G = random_multidigraph(seed)
    arrays = GraphArrays.from_graph(G)
    dist, _ = arrays.dijkstra(list(G.nodes))
    for s in G.nodes:
        expected = nx.single_source_dijkstra_path_length(G, s, weight="cost")
        for t in G.nodes:
            got = dist[arrays.index[s], arrays.index[t]]
            if t in expected:
                assert got == pytest.approx(expected[t], abs=1e-12)
            else:
                assert np.isinf(got)


@pytest.mark.parametrize("seed", range(4))
def test_array_paths_have_networkx_cost(seed):
    G = random_multidigraph(seed, n=40, m=200)
    arrays = GraphArrays.from_graph(G)
    for t in list(G.nodes)[1:10]:
        try:
            expected = nx.dijkstra_path_length(G, 0, t, weight="cost")
        except nx.NetworkXNoPath:
            with pytest.raises(NoRouteError):
                arrays.path(0, t)
            continue
        path, cost = arrays.path(0, t)
        assert cost == pytest.approx(expected)
        walked = sum(min(d["cost"] for d in G[u][v].values()) for u, v in itertools.pairwise(path))
        assert walked == pytest.approx(expected)


def test_undirected_graph_view():
    G = nx.Graph()
    G.add_edge("a", "b", cost=1.0)
    G.add_edge("b", "c", cost=2.0)
    assert GraphArrays.from_graph(G).path("c", "a") == (["c", "b", "a"], 3.0)


def test_bad_weights_are_rejected():
    G = nx.DiGraph()
    G.add_edge("a", "b", cost=-1.0)
    with pytest.raises(ValueError, match=r"'a' -> 'b' has 'cost' = -1\.0"):
        GraphArrays.from_graph(G)
    G = nx.DiGraph()
    G.add_edge("a", "b")
    with pytest.raises(ValueError, match="has no 'cost' attribute"):
        GraphArrays.from_graph(G)


def two_way_graph() -> nx.MultiDiGraph:
    """Origin O reaches D by a cheap northern road through gate G1, or a dearer southern one through G2."""
    G = nx.MultiDiGraph(origin="O", destinations={"Delta": "D"}, profile={"cost": {"exposure_weight_h": 10.0}})
    pts = {"O": (0, 0), "N": (1, 1), "S": (1, -1), "D": (2, 0)}
    country = {"O": "LAO", "N": "LAO", "S": "LAO", "D": "VNM"}
    for n, (x, y) in pts.items():
        G.add_node(n, x=x, y=y, kind="cell", country=country[n])

    def add(u, v, time_h, exposure, **extra):
        G.add_edge(
            u,
            v,
            mode=extra.pop("mode", "road"),
            length_m=1000.0,
            time_h=time_h,
            exposure=exposure,
            cost=time_h + 10 * exposure,
            geometry=LineString([pts[u], pts[v]]),
            source="test",
            **extra,
        )

    add("O", "N", 1.0, 0.0)
    add("N", "D", 1.0, 0.1, mode="gate", gate_id="G1", gate_class="primary", border="LAO", crossing="gate")
    add("O", "S", 1.5, 0.0)
    add("S", "D", 1.5, 0.0, mode="offroad", crossing="informal", border="LAO")
    return G


def test_least_cost_route_is_explained():
    routes = least_cost_routes(two_way_graph())
    (r,) = routes.itertuples()
    assert r.destination == "Delta" and r.rank == 1
    assert (
        r.cost_heq == pytest.approx(3.0)
        and r.cost_time_heq == pytest.approx(2.0)
        and r.cost_exposure_heq == pytest.approx(1.0)
    )
    assert r.entry_crossing == "G1" and r.entry_gate_class == "primary" and r.entry_border == "LAO"
    assert r.crossings == "G1 (primary, LAO)"
    assert r.modes == "road > gate"
    assert r.length_km == pytest.approx(2.0)
    assert list(r.geometry.coords) == [(0, 0), (1, 1), (2, 0)]


def test_k_routes_are_genuinely_different():
    routes = k_routes(two_way_graph(), destinations="Delta", k=3)
    assert list(routes["rank"]) == [1, 2]  # only two different routes exist
    second = routes.iloc[1]
    assert second["cost_heq"] == pytest.approx(3.0)  # a tie: 1.5 + 1.5 h, no exposure
    assert second["entry_crossing"] == "informal" and second["crossings"].startswith("informal LAO at")
    assert second["overlap_with_best"] == 0.0


def test_cost_parts_are_unknown_without_a_profile():
    """A user graph has no profile, so the split of cost into time and exposure is NaN, not a guess."""
    G = two_way_graph()
    del G.graph["profile"]
    (r,) = least_cost_routes(G).itertuples()
    assert r.cost_heq == pytest.approx(3.0)
    assert np.isnan(r.cost_time_heq) and np.isnan(r.cost_exposure_heq)
    assert explain_route(G, ["O", "N", "D"])["cost_heq"] == pytest.approx(3.0)


def test_no_route_error_names_origin_and_destination():
    G = two_way_graph()
    G.add_node("Island", x=5, y=5, kind="cell", country="VNM")
    with pytest.raises(NoRouteError, match="no route from 'O' to 'Island'") as err:
        least_cost_routes(G, destinations=["Island"])
    assert isinstance(err.value, nx.NetworkXNoPath)


def test_unknown_destination_lists_valid_names():
    with pytest.raises(UnknownNameError, match="unknown destination 'Atlantis'; valid names: Delta"):
        least_cost_routes(two_way_graph(), destinations=["Atlantis"])


def test_k_must_be_an_integer_from_1_to_the_cap():
    for bad in (0, -1, MAX_K + 1, 2.5, True):
        with pytest.raises(ParameterError, match=f"k must be an integer from 1 to {MAX_K}"):
            k_routes(two_way_graph(), k=bad)


def ladder_graph(rungs: int = 6) -> nx.MultiDiGraph:
    """O reaches D over any of ``rungs`` parallel two-edge paths of rising cost (1, 1.1, 1.2 ...)."""
    G = nx.MultiDiGraph(origin="O", destinations={"D": "D"})
    G.add_node("O", x=0.0, y=0.0)
    G.add_node("D", x=2.0, y=0.0)
    for r in range(rungs):
        mid = f"M{r}"
        G.add_node(mid, x=1.0, y=float(r))
        for u, v in (("O", mid), (mid, "D")):
            c = 0.5 + 0.05 * r
            G.add_edge(u, v, cost=c, length_m=1000.0, time_h=c, exposure=0.0, geometry=LineString([(0, 0), (1, 1)]))
    return G


def test_ranks_do_not_depend_on_k():
    """The first r routes of k = n are the routes of k = r."""
    G = ladder_graph()
    longest = k_routes(G, destinations="D", k=6)
    for r in range(1, 6):
        prefix = k_routes(G, destinations="D", k=r)
        assert prefix["cost_heq"].tolist() == longest["cost_heq"].tolist()[:r]
        assert [g.wkt for g in prefix.geometry] == [g.wkt for g in longest.geometry][:r]
    # each alternative avoids the links of the better ones here, and says so
    assert longest["cost_heq"].tolist() == pytest.approx([1.0, 1.1, 1.2, 1.3, 1.4, 1.5])
    assert (longest["overlap_with_better"].iloc[1:] == 0).all()
    assert longest["alternative"].iloc[0] == "least-cost route"
    assert "shares 0% of its edges with a better-ranked route" in longest["alternative"].iloc[1]


def test_fewer_distinct_routes_than_k_is_noted():
    routes = k_routes(ladder_graph(rungs=2), destinations="D", k=5)
    assert len(routes) == 2
    assert routes.attrs["notes"] == ["D: only 2 distinct routes found (asked for 5)"]


def test_cli_routes_k_is_capped_and_notes_are_printed(tmp_path):
    from click.testing import CliRunner

    from borderwatch.cli import main
    from borderwatch.network.graphio import save_graph

    path = tmp_path / "ladder.graphml"
    save_graph(ladder_graph(rungs=2), path)
    result = CliRunner().invoke(main, ["routes", "--graph", str(path), "--to", "D", "--k", "5"])
    assert result.exit_code == 0, result.output
    assert "note: D: only 2 distinct routes found (asked for 5)" in result.output
    result = CliRunner().invoke(main, ["routes", "--graph", str(path), "--to", "D", "--k", str(MAX_K + 1)])
    assert result.exit_code == 2 and f"{MAX_K + 1} is not in the range 1<=x<={MAX_K}" in result.output


def test_cli_routes_on_an_edited_scenario(tmp_path):
    """--close removes a gate from the routes of the built graph; the scenario is named in the output."""
    from click.testing import CliRunner

    from borderwatch.cli import main

    base = CliRunner().invoke(main, ["-q", "routes", "--to", "Hanoi", "--k", "9"])
    assert base.exit_code == 0, base.output
    # the least-cost routes cross on trails; the 9th route to Hanoi enters through Lóng Sập
    lines = {line.split(":")[0]: line for line in base.stdout.splitlines() if line.startswith("Hanoi #")}
    assert "VN-LAO-005" in lines["Hanoi #9"] and "VN-LAO-005" not in lines["Hanoi #1"]
    out = tmp_path / "routes.csv"
    closed = CliRunner().invoke(
        main, ["-q", "routes", "--to", "Hanoi", "--k", "9", "--close", "VN-LAO-005", "--out", str(out)]
    )
    assert closed.exit_code == 0, closed.output
    assert closed.stdout.startswith("scenario 'close gate VN-LAO-005': close gate VN-LAO-005\nHanoi #1:")
    assert "VN-LAO-005" not in "".join(closed.stdout.splitlines()[1:])
    assert "VN-LAO-005" not in out.read_text(encoding="utf-8").split("\n", 1)[1]
