"""Every option of every command, and the doors of the public functions, refuse bad input at once.

The CLI tests run with the loaders replaced by one that raises, so a value
checked only after loading the data (or building a graph) fails the test
instead of passing slowly.
"""

from __future__ import annotations

import math

import networkx as nx
import pandas as pd
import pytest
from click.testing import CliRunner

import borderwatch as bw
from borderwatch.cli import main
from borderwatch.errors import BorderwatchError, GraphContractError, ParameterError, ProfileError, UnknownNameError
from borderwatch.network.profile import OPTIONS, default_profile, load_profile
from borderwatch.readers import LAYER_FILES, shipped_data_dir
from borderwatch.settings import RANGES, Settings

LONG_NAME = "x" * 300


class Loaded(Exception):  # noqa: N818 (a signal, not an error of the package)
    """Raised by the replaced loaders: the command got past its checks into loading."""


@pytest.fixture
def no_loading(monkeypatch):
    """Make loading the region, a graph or the graph cache raise :class:`Loaded`."""

    def refuse(*args, **kwargs):
        raise Loaded

    for module, name in (
        ("borderwatch.readers", "load_region"),
        ("borderwatch.network.graphio", "load_graph"),
        ("borderwatch.network.cache", "cached_route_graph"),
        ("borderwatch.network.build", "build_route_graph"),
    ):
        monkeypatch.setattr(f"{module}.{name}", refuse)


def _run(args: list[str]):
    return CliRunner().invoke(main, args)


def _refused(result, code: int, *messages: str) -> None:
    assert not isinstance(result.exception, Loaded), f"checked only after loading: {result.output}"
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    for message in messages:
        assert message in result.output, result.output


def _toy() -> nx.MultiDiGraph:
    G = nx.MultiDiGraph()
    G.add_edge("o", "a", cost=1.0)
    G.add_edge("a", "t", cost=1.0, gate_id="CauTreo")
    G.add_edge("o", "t", cost=5.0, gate_id="B")
    return G


# ------------------------------------------------------------------ ranges


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["rank-gates", "--samples", "10000000"], 1, "--samples must be <= 100000, got 10000000"),
        (["rank-gates", "--seed", "-1"], 1, "--seed must be >= 0, got -1"),
        (["coverage", "--samples", "10000000"], 1, "--samples must be <= 100000"),
        (["compare", "--close", "X", "--out", "{tmp}/c", "--samples", "10000000"], 1, "--samples must be <= 100000"),
        (["sweep", "{tmp}/s.toml", "--out", "{tmp}/s.csv", "--seed", "-5"], 1, "--seed must be >= 0"),
        (["report", "--out", "{tmp}/r", "--interdict", "100000"], 2, "must be <= 100, got 100000"),
        (["report", "--out", "{tmp}/r", "--sites", "100000"], 2, "must be <= 100, got 100000"),
        (["map", "--out", "{tmp}/m.html", "--sites", "100000"], 2, "must be <= 100, got 100000"),
        (["map", "--out", "{tmp}/m.html", "--interdict", "101"], 2, "must be <= 100, got 101"),
        (["site-blos", "--p", "10000"], 1, "--p must be <= 100, got 10000"),
        (["site-blos", "--target-pct", "150"], 1, "--target-pct must be <= 100, got 150.0"),
        (["site-blos", "--target-pct", "nan"], 1, "--target-pct must be a finite number, got nan"),
        (["site-blos", "--p", "2", "--time-limit", "inf"], 1, "--time-limit must be a finite number, got inf"),
        (["interdict", "--k", "100000"], 1, "--k must be <= 100, got 100000"),
        (["interdict", "--k", "2", "--time-limit", "nan"], 1, "--time-limit must be a finite number, got nan"),
        (["coverage", "--hours", "inf"], 1, "--hours must be > 0"),
        (["site-blos", "--p", "1", "--hours", "nan"], 1, "--hours must be > 0"),
        (["chokepoints", "--out", "{tmp}/c.geojson", "--min-current", "nan"], 2, "must be a finite number, got nan"),
        (["chokepoints", "--out", "{tmp}/c.geojson", "--min-current", "-1"], 2, "must be >= 0, got -1.0"),
    ],
)
def test_every_range_is_checked_before_any_loading(no_loading, tmp_path, args, code, message):
    (tmp_path / "s.toml").write_text('[[scenarios]]\nname = "a"\nedits = []\n')
    _refused(_run([a.format(tmp=tmp_path) for a in args]), code, message)


def test_the_option_the_api_and_the_profile_share_one_range():
    assert RANGES["samples"] is OPTIONS["ensemble.samples"] and RANGES["seed"] is OPTIONS["ensemble.seed"]
    with pytest.raises(ProfileError, match="must be <= 100000, got 10000000"):
        load_profile(ensemble={"samples": 10_000_000})
    with pytest.raises(ParameterError, match="samples must be <= 100000, got 10000000"):
        Settings.from_profile(default_profile(), samples=10_000_000)
    with pytest.raises(ParameterError, match="seed must be >= 0, got -1"):
        bw.Scenario.from_graph(_toy(), origin="o", destinations=["t"], seed=-1)
    with pytest.raises(ParameterError, match="hours must be a finite number > 0, got inf"):
        bw.Scenario.from_graph(_toy(), origin="o", destinations=["t"]).with_settings(hours=math.inf)
    assert "integer >= 1 and <= 100000" in _run(["rank-gates", "--help"]).output


# ----------------------------------------------------------------- outputs

_LONG_OUTPUTS = [
    ["rank-gates", "--out", "{long}.csv"],
    ["rank-gates", "--geojson", "{long}.geojson"],
    ["rank-gates", "--segments", "{long}.geojson"],
    ["chokepoints", "--out", "{long}.geojson"],
    ["chokepoints", "--out", "{deep}.geojson"],
    ["coverage", "--out", "{long}.csv"],
    ["site-blos", "--p", "1", "--out", "{long}.csv"],
    ["interdict", "--k", "1", "--out", "{long}.json"],
    ["routes", "--to", "Hanoi", "--out", "{long}.geojson"],
    ["build-network", "--out", "{long}.gpkg"],
    ["gates", "--out", "{long}.csv"],
    ["map", "--out", "{long}.html"],
    ["sweep", "{tmp}/s.toml", "--out", "{long}.csv"],
    ["report", "--out", "{long}"],
    ["report", "--out", "{deep}"],
    ["compare", "--close", "X", "--out", "{long}"],
]


@pytest.mark.parametrize("args", _LONG_OUTPUTS, ids=lambda a: " ".join(a[:2]) + (" deep" if "{deep}" in a else ""))
def test_an_output_name_or_path_too_long_is_refused_before_any_loading(no_loading, tmp_path, args):
    (tmp_path / "s.toml").write_text('[[scenarios]]\nname = "a"\nedits = []\n')
    names = {"tmp": tmp_path, "long": tmp_path / LONG_NAME, "deep": tmp_path / "/".join(["d" * 200] * 21)}
    _refused(_run([a.format(**names) for a in args]), 1, "bytes", "shorter")


def test_write_table_checks_its_table_and_path(tmp_path):
    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(ParameterError, match="write_table needs a pandas or geopandas table, got NoneType"):
        bw.write_table(None, tmp_path / "x.csv")
    with pytest.raises(ParameterError, match="must be a file path"):
        bw.write_table(frame, None)
    with pytest.raises(ParameterError, match="304 bytes"):
        bw.write_table(frame, tmp_path / f"{LONG_NAME}.csv")
    from borderwatch.output import check_output_dir

    with pytest.raises(ParameterError, match="300 bytes"):
        check_output_dir(tmp_path / LONG_NAME)
    assert list(tmp_path.iterdir()) == []
    bw.write_table(frame, tmp_path / f"{'x' * 200}.csv")  # long, but within the limit


def test_outputs_that_collide_with_each_other_or_with_an_input_are_refused(no_loading, tmp_path):
    x = tmp_path / "X"
    _refused(
        _run(["rank-gates", "--out", f"{x}.csv", "--segments", f"{x}_agreement.csv"]),
        1,
        "--out's agreement table and --segments both name",
    )
    _refused(_run(["rank-gates", "--out", f"{x}.geojson", "--geojson", f"{x}.geojson"]), 1, "both name")
    gates_file = shipped_data_dir() / LAYER_FILES["gates"]
    before = gates_file.read_bytes()
    result = _run(["gates", "--out", str(gates_file), "--overwrite"])
    _refused(result, 1, "is the gates layer, which this command reads")
    assert gates_file.read_bytes() == before
    hours = tmp_path / "hours.csv"
    hours.write_text("blo_id,hours\nBLO-01,3\n")
    _refused(_run(["coverage", "--blo-hours", str(hours), "--out", str(hours), "--overwrite"]), 1, "is --blo-hours")
    sweep_file = tmp_path / "s.csv"
    sweep_file.write_text("x")
    _refused(_run(["sweep", str(sweep_file), "--out", str(sweep_file), "--overwrite"]), 1, "is FILE")
    report = tmp_path / "report"
    report.mkdir()
    (report / "manifest.json").write_text('{"made_by": "borderwatch", "files": {"profile.toml": ""}}')
    (report / "profile.toml").write_text("")
    args = ["report", "--out", str(report), "--overwrite", "--profile", str(report / "profile.toml")]
    _refused(_run(args), 1, "holds --profile")


# -------------------------------------------------------------- user graphs


def test_a_destination_that_is_the_origin_is_refused_at_the_door(tmp_path):
    G = nx.MultiDiGraph()
    G.add_node("a")
    with pytest.raises(ParameterError, match="destination 'a' is the origin"):
        bw.Scenario.from_graph(G, origin="a", destinations=["a"])
    path = tmp_path / "one.graphml"
    nx.write_graphml(G, path)
    args = ["chokepoints", "--graph", str(path), "--origin", "a", "--to", "a", "--out", str(tmp_path / "c.geojson")]
    _refused(_run(args), 1, "destination 'a' is the origin")
    assert not (tmp_path / "c.geojson").exists()


def test_edge_costs_that_would_overflow_are_refused_naming_the_edge(tmp_path):
    G = nx.MultiDiGraph()
    G.add_edge("o", "a", cost=1e308)
    G.add_edge("a", "t", cost=1e308)
    with pytest.raises(GraphContractError, match=r"edge 'o' -> 'a' has cost = 1e\+308, above 1e\+12 h"):
        bw.Scenario.from_graph(G, origin="o", destinations=["t"])
    path = tmp_path / "huge.graphml"
    nx.write_graphml(G, path)
    args = ["chokepoints", "--graph", str(path), "--origin", "o", "--to", "t", "--out", str(tmp_path / "c.geojson")]
    _refused(_run(args), 1, "above 1e+12 h")
    G["o"]["a"][0]["cost"] = G["a"]["t"][0]["cost"] = 1e12  # the bound itself is a cost
    assert bw.Scenario.from_graph(G, origin="o", destinations=["t"]).least_cost("t") == 2e12


# ------------------------------------------------------------------- names


def test_close_matches_ignore_accents_case_and_spaces():
    from borderwatch.names import close_matches

    cities = ["Hanoi", "Ho Chi Minh City", "Haiphong", "Da Nang", "export", "China border"]
    assert close_matches("Hà Nội", cities) == ["Hanoi"]
    assert close_matches("HA NOI", cities) == ["Hanoi"]
    assert close_matches("Đà Nẵng", cities)[0] == "Da Nang"
    assert close_matches("Atlantis", cities) == []


def test_unknown_names_get_a_suggestion(monkeypatch, region):
    from borderwatch.network.endpoints import resolve_name

    with pytest.raises(UnknownNameError, match=r"unknown destination 'Hà Nội'; did you mean 'Hanoi'\?"):
        resolve_name({"Hanoi": "city:hanoi", "Da Nang": "city:da_nang"}, "Hà Nội")
    sc = bw.Scenario.from_graph(_toy(), origin="o", destinations=["t"])
    with pytest.raises(UnknownNameError, match="unknown gate 'Cau Treo'; did you mean 'CauTreo'"):
        sc.edited(bw.CloseGates(("Cau Treo",)))

    def loaded(*args, **kwargs):
        raise Loaded

    monkeypatch.setattr("borderwatch.readers.load_region", lambda *a, **k: region)
    monkeypatch.setattr("borderwatch.network.cache.cached_route_graph", loaded)
    _refused(_run(["routes", "--to", "Hà Nội"]), 1, "did you mean 'Hanoi'?")


# ------------------------------------------------------------------ memory


def test_lattice_memory_estimate():
    from borderwatch.network.estimate import BYTES_PER_EDGE, check_lattice_memory, lattice_bytes, lattice_edges

    assert lattice_edges((265, 241), 16) == 265 * 241 * 256 * 8
    assert lattice_bytes((265, 241), 2) == 4 * lattice_bytes((265, 241), 1) == 4 * 265 * 241 * 8 * BYTES_PER_EDGE
    refused = r"need about 157\.0 GB, more than the 8\.0 GB .* lattice.refine = 3 or less"
    with pytest.raises(ProfileError, match=refused):
        check_lattice_memory((265, 241), 16, available=8_000_000_000)
    assert check_lattice_memory((265, 241), 1, available=8_000_000_000) == lattice_bytes((265, 241), 1)


def test_the_cli_refuses_a_refine_that_does_not_fit_before_loading(no_loading, monkeypatch, tmp_path):
    monkeypatch.setattr("borderwatch.network.estimate.available_bytes", lambda: 8_000_000_000)
    profile = tmp_path / "fine.toml"
    profile.write_text("[lattice]\nrefine = 16\n")
    result = _run(["build-network", "--profile", str(profile)])
    _refused(result, 1, "lattice.refine = 16 on the 265 x 241 DEM", "157.0 GB", "use lattice.refine = 3 or less")


def test_a_refine_that_does_not_fit_is_refused_before_the_build(monkeypatch, region):
    def loaded(*args, **kwargs):
        raise Loaded

    monkeypatch.setattr("borderwatch.network.estimate.available_bytes", lambda: 8_000_000_000)
    monkeypatch.setattr("borderwatch.network.cache.cached_route_graph", loaded)
    with pytest.raises(ProfileError, match=r"lattice.refine = 16 on the 265 x 241 DEM: .* about 157\.0 GB"):
        bw.Scenario.from_region(region, profile={"lattice": {"refine": 16}})


# -------------------------------------------------------------- API doors

_WRONG = [None, 42, pd.DataFrame()]


@pytest.mark.parametrize("bad", _WRONG, ids=["None", "int", "empty frame"])
@pytest.mark.parametrize(
    "call",
    [
        lambda x: bw.k_routes(x),
        lambda x: bw.least_cost_routes(x),
        lambda x: bw.chokepoint_metrics(x),
        lambda x: bw.flow_ensemble(x),
        lambda x: bw.gate_criticality(x),
        lambda x: bw.border_cut(x),
        lambda x: bw.rank_gates(x),
        lambda x: bw.blo_coverage(x),
        lambda x: bw.site_blos(x, p=1),
        lambda x: bw.interdict_crossings(x, k=1),
        lambda x: bw.analyse_region(x),
        lambda x: bw.compare(x, x),
        lambda x: bw.sweep(x, []),
        lambda x: bw.region_map(x),
        lambda x: bw.Scenario.from_region(x if x is not None else 42),
        lambda x: bw.Scenario.from_graph(x),
        lambda x: bw.Scenario.from_graph(_toy(), origin=x, destinations=["t"]),
        lambda x: bw.Scenario.from_graph(_toy(), origin="o", destinations=x if x is not None else "t"),
    ],
)
def test_public_functions_refuse_wrong_types_with_borderwatch_errors(call, bad):
    with pytest.raises(BorderwatchError):
        call(bad)


def test_the_cli_offers_the_crossing_kinds_the_analysis_takes():
    from borderwatch.analysis.interdiction import INTERDICT_KINDS
    from borderwatch.cli.options import CROSSING_KINDS

    assert CROSSING_KINDS == INTERDICT_KINDS  # kept apart only so the CLI starts without scipy
