"""Scenario: one validated door, facts computed once, settings apart from the graph, checked edits."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import borderwatch as bw
from borderwatch import (
    AddBLO,
    CloseGates,
    CloseSegments,
    DemandShares,
    InspectGates,
    MoveBLO,
    ParameterError,
    PatrolHours,
    ProfileOverride,
    RemoveBLO,
    Scenario,
    Settings,
    UnknownNameError,
)
from borderwatch.edits import edit_from_dict, read_scenario_file
from borderwatch.network.cache import graph_key
from borderwatch.network.profile import build_part, load_profile

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def toy() -> nx.MultiDiGraph:
    """Origin o; gate A (cost 1 + 1) and gate B (cost 5) into t."""
    G = nx.MultiDiGraph()
    G.add_edge("o", "a", cost=1.0)
    G.add_edge("a", "t", cost=1.0, gate_id="A")
    G.add_edge("o", "t", cost=5.0, gate_id="B")
    return G


# ------------------------------------------------------------------ settings and the graph cache
def test_settings_come_from_the_profile_and_validate_changes():
    s = Settings.from_profile(load_profile())
    assert (s.samples, s.seed, s.within_pct) == (200, 20191224, 25.0)
    assert s.replace(samples=40).samples == 40 and s.samples == 200
    assert s.replace(weights={"flow": 1.0}).weights["usage"] == s.weights["usage"]  # merged, not replaced
    for bad, match in [
        ({"samples": 0}, "samples must be >= 1"),
        ({"seed": -1}, "seed must be >= 0"),
        ({"hours": float("nan")}, "hours must be a finite number > 0"),
        ({"weights": {"flw": 1.0}}, "unknown entry 'flw'"),
        ({"blo_hours": {"BLO-01": 0}}, "blo_hours"),
        ({"nonsense": 1}, "unknown settings 'nonsense'"),
    ]:
        with pytest.raises(ParameterError, match=match):
            s.replace(**bad)


def test_graph_cache_key_covers_only_what_builds_the_graph(region):
    default = load_profile()
    analysis_only = load_profile(ensemble={"samples": 7, "seed": 1}, ranking={"flow": 0.9}, cut={"within_pct": 5})
    shares = load_profile(demand={"Hanoi": 0.5})
    speed = load_profile(offroad={"load_factor": 0.6})
    assert build_part(default) == build_part(analysis_only) == build_part(shares)
    key = graph_key(region, default)
    assert key == graph_key(region, analysis_only) == graph_key(region, shares)
    assert key != graph_key(region, speed)


def test_with_settings_reuses_the_graph_and_its_facts(scenario):
    other = scenario.with_settings(samples=7, hours=4.0, within_pct=10.0)
    assert other.G is scenario.G
    assert other.arrays is scenario.arrays  # no edit: the same array view
    assert other.segments is scenario.segments and other.patrol is scenario.patrol
    assert (other.settings.samples, other.settings.hours) == (7, 4.0)
    assert scenario.settings.samples == 40  # the base is untouched


def test_from_region_checks_settings_before_building(tmp_path):
    with pytest.raises(ParameterError, match="samples"):
        Scenario.from_region(tmp_path / "no-such-folder", samples=0)


def test_from_graph_checks_its_door():
    with pytest.raises(ParameterError, match="needs a networkx graph"):
        Scenario.from_graph("graph.gpkg")
    with pytest.raises(ParameterError, match="names no origin"):
        Scenario.from_graph(toy())
    with pytest.raises(UnknownNameError, match="'nowhere' is not in the graph"):
        Scenario.from_graph(toy(), origin="o", destinations=["nowhere"])
    with pytest.raises(bw.GraphContractError, match="cost"):
        G = toy()
        G.add_edge("t", "o")
        Scenario.from_graph(G, origin="o", destinations=["t"])


def test_analysis_facts_are_computed_once_per_scenario(monkeypatch, route_graph, region):
    """analyse_region on a fresh scenario validates the graph, builds the array view, the border lines and the
    gate placement once each (they used to run 6, 10, 5 and 2 times per report)."""
    import borderwatch.scenario as scenario_module
    from borderwatch.analysis.suite import analyse_region

    calls = {"validate": 0, "arrays": 0, "lines": 0, "gates": 0}

    def counting(name, fn):
        def wrapped(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)

        return wrapped

    validate = counting("validate", scenario_module.validate_route_graph)
    monkeypatch.setattr(scenario_module, "validate_route_graph", validate)
    monkeypatch.setattr(scenario_module, "borderlines", counting("lines", scenario_module.borderlines))
    monkeypatch.setattr(scenario_module, "place_gates", counting("gates", scenario_module.place_gates))
    original = bw.GraphArrays.from_graph.__func__
    monkeypatch.setattr(
        bw.GraphArrays, "from_graph", classmethod(lambda cls, G, **kw: counting("arrays", original)(cls, G, **kw))
    )
    sc = Scenario.from_graph(route_graph, region=region, samples=4)
    analysis = analyse_region(sc, route_k=1, site_p=1, interdict_k=1, interdict_units="gates")
    assert calls["validate"] == 1 and calls["lines"] == 1 and calls["gates"] == 1
    assert calls["arrays"] == 1
    assert analysis.scenario is sc


# ------------------------------------------------------------------ typed metadata
def test_graph_metadata_is_read_through_typed_accessors_only():
    """No module outside the contract reads G.graph[...] by string key."""
    root = Path(bw.__file__).parent
    offenders = [
        f"{p.relative_to(root)}:{i}"
        for p in root.rglob("*.py")
        if p.name != "contract.py"
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if 'G.graph["' in line and "crs" not in line
    ]
    assert offenders == []


def test_dir_lists_each_public_name_once_and_no_import_machinery():
    _ = bw.Scenario, bw.compare  # a lazy name, once imported, is still listed once
    names = dir(bw)
    assert len(names) == len(set(names))
    assert {"Scenario", "Settings", "compare", "CloseGates", "analyse_region", "interdict_crossings"} <= set(names)
    assert not {"importlib", "TYPE_CHECKING", "Any", "version", "PackageNotFoundError", "annotations"} & set(names)
    assert not {"route_graph_chokepoints", "graph_chokepoints", "rank_graph_gates"} & set(names)


# ------------------------------------------------------------------ edits
def test_close_gate_by_id_or_name_and_toy_cost():
    base = Scenario.from_graph(toy(), origin="o", destinations=["t"])
    assert base.least_cost("t") == 2.0
    closed = base.edited(CloseGates(("A",)))
    assert closed.least_cost("t") == 5.0 and closed.closed_gates == {"A"}
    assert closed.base is base and [e.describe() for e in closed.edits] == ["close gate A"]
    assert base.least_cost("t") == 2.0  # the base is untouched
    with pytest.raises(ParameterError, match="no time_h and exposure; close the gate instead"):
        base.edited(InspectGates(("A",), exposure=0.5))
    G = toy()
    G.edges["a", "t", 0].update(time_h=1.0, exposure=0.0)
    G.edges["o", "t", 0]["cost"] = 50.0
    inspected = Scenario.from_graph(G, origin="o", destinations=["t"]).edited(InspectGates(("A",), exposure=0.5))
    assert inspected.least_cost("t") == pytest.approx(1.0 + 1.0 + 48.0 * 0.5)  # o->a, then the gate's time + exposure


def test_gates_resolve_by_id_name_or_vietnamese_name(scenario):
    assert scenario.resolve_gates(["VN-LAO-016", "Cau Treo", "cầu treo", "  CẦU   TREO "]) == ["VN-LAO-016"] * 4
    with pytest.raises(UnknownNameError, match="unknown gate 'Cau Tre'; did you mean 'Cau Treo'"):
        scenario.edited(CloseGates(("Cau Tre",)))
    with pytest.raises(UnknownNameError, match="edit 'close gate Atlantis': unknown gate 'Atlantis'"):
        scenario.edited(CloseGates(("Atlantis",)))


def test_a_gate_left_out_of_the_graph_says_why(scenario):
    gid, why = next(iter(scenario.gates_left_out.items()))
    with pytest.raises(UnknownNameError, match="is not in the route graph"):
        scenario.edited(CloseGates((gid,)))
    assert why


def test_close_segments_removes_their_informal_crossings(scenario):
    seg = "LAO-00-0201"
    closed = scenario.edited(CloseSegments((seg,)))
    on_segment = scenario.segment_of == seg
    assert on_segment.any()
    assert np.isinf(closed.arrays.cost[on_segment]).all() and np.isfinite(scenario.arrays.cost[on_segment]).all()
    with pytest.raises(UnknownNameError, match="unknown border segment 'LAO-00-9999'; did you mean"):
        scenario.edited(CloseSegments(("LAO-00-9999",)))


def test_blo_edits_add_move_and_remove(scenario):
    added = scenario.edited(AddBLO(name="Nam Can BLO", at_gate="Nậm Cắn", id="NEW-1"))
    row = added.blos.set_index("id").loc["NEW-1"]
    gate = scenario.gates.set_index("id").loc["VN-LAO-013"]
    assert (row["lon"], row["lat"]) == (gate["lon"], gate["lat"]) and row["associated_gate_id"] == "VN-LAO-013"
    assert "scenario edit" in row["source"] and len(added.blos) == len(scenario.blos) + 1
    starts = added.blo_starts.set_index("blo_id")
    assert starts.loc["NEW-1", "start_node"]
    moved = scenario.edited(MoveBLO("Moc Chau", at_gate="Lóng Sập"))
    assert moved.blos.set_index("id").loc["BLO-08", "lon"] == scenario.gates.set_index("id").loc["VN-LAO-005", "lon"]
    removed = scenario.edited(RemoveBLO("BLO-05"))
    assert "BLO-05" not in set(removed.blos["id"]) and "BLO-05" in set(scenario.blos["id"])


def test_a_blo_at_sea_or_abroad_is_refused(scenario):
    with pytest.raises(ParameterError, match="at sea or outside the region"):
        scenario.edited(AddBLO(name="boat", lon=109.8, lat=13.0))
    with pytest.raises(ParameterError, match="lies in LAO, not in Vietnam"):
        scenario.edited(AddBLO(name="Vientiane", lon=102.6, lat=17.97))
    with pytest.raises(UnknownNameError, match="unknown BLO 'Moc Chao'; did you mean 'Moc Chau'"):
        scenario.edited(MoveBLO("Moc Chao", lon=104.7, lat=20.8))


def test_patrol_hours_and_demand_edits_change_settings(scenario):
    edited = scenario.edited(PatrolHours({"Cau Treo": 4.0}), DemandShares({"Hanoi": 0.3}))
    assert edited.blo_hours("BLO-05") == 4.0 and edited.blo_hours("BLO-01") == 2.0
    assert edited.settings.demand["Hanoi"] == 0.3 and edited.G is scenario.G
    assert edited.edited(PatrolHours(8.0)).blo_hours("BLO-05") == 8.0
    with pytest.raises(UnknownNameError, match="unknown destination 'Hanoy'; did you mean 'Hanoi'"):
        scenario.edited(DemandShares({"Hanoy": 0.3}))


def test_profile_override_of_an_analysis_key_does_not_rebuild(scenario):
    edited = scenario.edited(ProfileOverride({"cut.within_pct": 5.0, "ranking.flow": 0.5}))
    assert edited.G is scenario.G
    assert edited.settings.within_pct == 5.0 and edited.settings.weights["flow"] == 0.5
    with pytest.raises(bw.ProfileError, match=r"unknown key 'offroad\.speed'"):
        scenario.edited(ProfileOverride({"offroad.speed": 3.0}))
    with pytest.raises(bw.ProfileError, match=r"offroad\.load_factor"):
        scenario.edited(ProfileOverride({"offroad.load_factor": -1.0}))


def test_build_key_overrides_need_a_region():
    base = Scenario.from_graph(toy(), origin="o", destinations=["t"])
    with pytest.raises(ParameterError, match="change how the graph is built, which needs the region"):
        base.edited(ProfileOverride({"offroad.load_factor": 0.6}))


# ------------------------------------------------------------------ scenario files
@pytest.mark.parametrize("name", ["cau_treo_closed", "blo_at_nam_can", "inspect_three_gates", "wet_season"])
def test_shipped_scenario_files_read(name):
    spec = read_scenario_file(SCENARIOS / f"{name}.toml")
    assert spec.name and spec.description and spec.edits


def test_shipped_scenarios_apply(scenario):
    closed = Scenario.from_file(SCENARIOS / "cau_treo_closed.toml", base=scenario)
    assert closed.closed_gates == {"VN-LAO-016"} and closed.name == "Cầu Treo closed"
    blo = Scenario.from_file(SCENARIOS / "blo_at_nam_can.toml", base=scenario)
    assert "NEW-NAMCAN" in set(blo.blos["id"])
    inspected = Scenario.from_file(SCENARIOS / "inspect_three_gates.toml", base=scenario)
    assert set(inspected.inspected_gates) == {"VN-LAO-005", "VN-LAO-002", "VN-LAO-013"}


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            'name = "x"\n[[edit]]\ntype = "close_gates"\ngates = ["A"]\n',
            r"unknown key 'edit' \(did you mean 'edits'\?\)",
        ),
        (
            '[[edits]]\ntype = "close_gate"\ngates = ["A"]\n',
            r"'close_gate' is not an edit type \(did you mean 'close_gates'",
        ),
        ('[[edits]]\ntype = "close_gates"\ngate = ["A"]\n', "unknown key 'gate' \\(did you mean 'gates'"),
        ('[[edits]]\ntype = "add_blo"\nname = "x"\nlon = 105.0\n', "give either lon and lat, or at_gate"),
        ('[[edits]]\ntype = "add_blo"\nname = "x"\nlon = "abc"\nlat = 20.0\n', "'lon' must be a finite number"),
        ("[[edits]\n", "is not valid TOML"),
    ],
)
def test_scenario_file_mistakes_are_named(tmp_path, text, match):
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParameterError, match=match):
        read_scenario_file(path)


def test_a_missing_scenario_file_is_named(tmp_path):
    with pytest.raises(ParameterError, match="does not exist"):
        read_scenario_file(tmp_path / "nope.toml")


def test_edits_round_trip_through_their_tables():
    for edit in [
        CloseGates(("VN-LAO-016",), note="why"),
        InspectGates(("A", "B"), exposure=0.2),
        AddBLO(name="x", lon=105.0, lat=20.0),
        PatrolHours({"BLO-01": 3.0}),
        DemandShares({"Hanoi": 0.2}),
    ]:
        assert edit_from_dict(edit.to_dict()) == edit


def test_graph_cache_key_hashes_the_building_code_only(monkeypatch, region):
    """Editing an analysis, the map or the CLI reuses cached graphs; editing the builder does not."""
    import borderwatch.network.cache as cache

    files = {}
    original = cache.Path.read_bytes

    def read(path):
        files[str(path)] = True
        return original(path)

    monkeypatch.setattr(cache.Path, "read_bytes", read)
    cache._code_digest()
    hashed = {k.split("borderwatch/", 1)[1] for k in files}
    assert "network/build.py" in hashed and "network/profile.toml" in hashed and "gates.py" in hashed
    assert not any(name.startswith(("analysis/", "maps/", "cli/")) or name == "report.py" for name in hashed)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: CloseGates(None), "'gates' must be one id or name, or a non-empty list"),
        (lambda: CloseGates(()), "'gates' must be one id or name, or a non-empty list"),
        (lambda: CloseGates((16,)), "'gates' must be one id or name"),
        (lambda: InspectGates(("A",), exposure="0.5"), "'exposure' must be a finite number, got '0.5'"),
        (lambda: InspectGates(("A",), exposure=2.0), "'exposure' must lie in \\[0, 1\\]"),
        (lambda: AddBLO(name="X"), "give either lon and lat, or at_gate"),
        (lambda: AddBLO(name="X", lon=104.9), "give either lon and lat, or at_gate"),
        (lambda: AddBLO(name="X", lon=104.9, lat=21.9, at_gate="Cầu Treo"), "give either lon and lat, or at_gate"),
        (lambda: AddBLO(name="X", lon="104.9", lat="21.9"), "'lon' must be a finite number, got '104.9'"),
        (lambda: AddBLO(name=None, lon=104.9, lat=21.9), "'name' must be a non-empty string"),
        (lambda: PatrolHours("4"), "'hours' must be a finite number, got '4'"),
        (lambda: PatrolHours({"BLO-01": "x"}), "hours\\['BLO-01'\\] must be a finite number"),
        (lambda: PatrolHours(0.0), "hours must be > 0"),
        (lambda: ProfileOverride("offroad.load_factor=0.6"), "'values' must be a non-empty table"),
        (lambda: DemandShares([("Hanoi", 1)]), "'shares' must be a non-empty table"),
    ],
)
def test_edits_check_their_fields_when_made(make, match):
    with pytest.raises(ParameterError, match=match):
        make()


def test_one_string_is_one_id_not_its_characters():
    assert CloseGates("VN-LAO-016").gates == ("VN-LAO-016",)
    assert CloseSegments("LAO-00-0062").segments == ("LAO-00-0062",)


def test_from_file_needs_a_base_scenario():
    with pytest.raises(ParameterError, match="needs base=<a Scenario>, got NoneType"):
        Scenario.from_file(SCENARIOS / "cau_treo_closed.toml", base=None)


def test_an_empty_scenario_file_is_refused(tmp_path):
    for text in ("", 'name = "nothing"\n'):
        path = tmp_path / "empty.toml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ParameterError, match="lists no edit"):
            read_scenario_file(path)


def test_a_profile_edit_names_its_file(tmp_path):
    path = tmp_path / "season.toml"
    path.write_text('[[edits]]\ntype = "profile"\n[edits.set]\n"offroad.load_factor" = 0.6\n', encoding="utf-8")
    (edit,) = read_scenario_file(path).edits
    assert str(path) in edit.source
