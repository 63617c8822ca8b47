"""borderwatch: model Vietnam's borders, gates and trafficking routes from the Golden Triangle.

The public API is re-exported here and imported on first use (PEP 562), so
``import borderwatch`` and ``borderwatch --help`` stay fast.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("borderwatch")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

#: Public name -> module that defines it.
_EXPORTS: dict[str, str] = {
    # the one door into analysis, its settings and its edits
    "Scenario": "scenario",
    "Settings": "settings",
    **dict.fromkeys(
        [
            "AddBLO",
            "CloseGates",
            "CloseSegments",
            "DemandShares",
            "InspectGates",
            "MoveBLO",
            "PatrolHours",
            "ProfileOverride",
            "RemoveBLO",
            "SettingsChange",
            "read_scenario_file",
        ],
        "edits",
    ),
    # analyses, each taking a Scenario, and their result types
    **dict.fromkeys(["explain_route", "k_routes", "least_cost_routes", "seaport_flows"], "analysis.routes"),
    **dict.fromkeys(["Chokepoints", "chokepoint_metrics"], "analysis.chokepoints"),
    **dict.fromkeys(["Ensemble", "flow_ensemble"], "analysis.ensemble"),
    **dict.fromkeys(["gate_criticality"], "analysis.flow"),
    **dict.fromkeys(["MinimumCut", "border_cut"], "analysis.mincut"),
    **dict.fromkeys(["GateRanking", "rank_gates"], "analysis.ranking"),
    **dict.fromkeys(["RankingStability", "ranking_stability"], "analysis.stability"),
    **dict.fromkeys(["Coverage", "blo_coverage"], "analysis.coverage"),
    **dict.fromkeys(["Siting", "site_blos"], "analysis.siting"),
    **dict.fromkeys(["InterdictionPlan", "interdict_crossings"], "analysis.interdiction"),
    **dict.fromkeys(["RegionAnalysis", "analyse_region"], "analysis.suite"),
    **dict.fromkeys(["Comparison", "compare"], "analysis.compare"),
    **dict.fromkeys(["SweepResult", "sweep"], "analysis.sweep"),
    # maps and the report
    **dict.fromkeys(["comparison_map", "region_map", "save_map"], "maps"),
    **dict.fromkeys(["write_comparison", "write_report"], "report"),
    # data, graph and errors
    "cached_route_graph": "network.cache",
    **dict.fromkeys(["borderlines", "segment_borders", "vietnam_coastline"], "borders"),
    **dict.fromkeys(
        [
            "BorderwatchError",
            "CRSError",
            "DataFileError",
            "GraphContractError",
            "NoRouteError",
            "OutputError",
            "OutputExistsError",
            "ParameterError",
            "ProfileError",
            "UnknownNameError",
            "ValidationError",
        ],
        "errors",
    ),
    **dict.fromkeys(["place_gates", "road_border_contacts", "snap_gates"], "gates"),
    "region_info": "info",
    "GraphArrays": "network.arrays",
    "build_route_graph": "network.build",
    **dict.fromkeys(["GraphMeta", "graph_meta", "validate_route_graph"], "network.contract"),
    **dict.fromkeys(["load_graph", "read_osmnx_roads", "save_graph"], "network.graphio"),
    **dict.fromkeys(["Profile", "edge_cost", "load_profile"], "network.profile"),
    "graph_summary": "network.summary",
    "write_table": "output",
    **dict.fromkeys(["load_region", "read_layer", "read_terrain"], "readers"),
    **dict.fromkeys(["blo_reconciliation", "gate_reconciliation"], "reconcile"),
    "Region": "region",
    **dict.fromkeys(["GateClass", "validate_layer"], "schema"),
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'borderwatch' has no attribute {name!r}")


def __dir__() -> list[str]:
    """List the public names, each once (imported or not), and no import machinery."""
    return list(__all__)


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, eagerly
    from .analysis.chokepoints import Chokepoints, chokepoint_metrics
    from .analysis.compare import Comparison, compare
    from .analysis.coverage import Coverage, blo_coverage
    from .analysis.ensemble import Ensemble, flow_ensemble
    from .analysis.flow import gate_criticality
    from .analysis.interdiction import InterdictionPlan, interdict_crossings
    from .analysis.mincut import MinimumCut, border_cut
    from .analysis.ranking import GateRanking, rank_gates
    from .analysis.routes import explain_route, k_routes, least_cost_routes, seaport_flows
    from .analysis.siting import Siting, site_blos
    from .analysis.stability import RankingStability, ranking_stability
    from .analysis.suite import RegionAnalysis, analyse_region
    from .analysis.sweep import SweepResult, sweep
    from .borders import borderlines, segment_borders, vietnam_coastline
    from .edits import (
        AddBLO,
        CloseGates,
        CloseSegments,
        DemandShares,
        InspectGates,
        MoveBLO,
        PatrolHours,
        ProfileOverride,
        RemoveBLO,
        SettingsChange,
        read_scenario_file,
    )
    from .errors import (
        BorderwatchError,
        CRSError,
        DataFileError,
        GraphContractError,
        NoRouteError,
        OutputError,
        OutputExistsError,
        ParameterError,
        ProfileError,
        UnknownNameError,
        ValidationError,
    )
    from .gates import place_gates, road_border_contacts, snap_gates
    from .info import region_info
    from .maps import comparison_map, region_map, save_map
    from .network.arrays import GraphArrays
    from .network.build import build_route_graph
    from .network.cache import cached_route_graph
    from .network.contract import GraphMeta, graph_meta, validate_route_graph
    from .network.graphio import load_graph, read_osmnx_roads, save_graph
    from .network.profile import Profile, edge_cost, load_profile
    from .network.summary import graph_summary
    from .output import write_table
    from .readers import load_region, read_layer, read_terrain
    from .reconcile import blo_reconciliation, gate_reconciliation
    from .region import Region
    from .report import write_comparison, write_report
    from .scenario import Scenario
    from .schema import GateClass, validate_layer
    from .settings import Settings
