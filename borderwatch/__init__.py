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
    **dict.fromkeys(["explain_route", "k_routes", "least_cost_routes"], "analysis.routes"),
    **dict.fromkeys(["rank_gates", "rank_graph_gates"], "analysis.ranking"),
    **dict.fromkeys(["route_graph_chokepoints", "graph_chokepoints"], "analysis.chokepoints"),
    **dict.fromkeys(["blo_coverage"], "analysis.coverage"),
    **dict.fromkeys(["site_blos"], "analysis.siting"),
    **dict.fromkeys(["analyse_region", "RegionAnalysis"], "analysis.suite"),
    **dict.fromkeys(["region_map", "save_map"], "maps"),
    "write_report": "report",
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
    return sorted([*globals(), *_EXPORTS])


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, eagerly
    from .analysis.chokepoints import graph_chokepoints, route_graph_chokepoints
    from .analysis.coverage import blo_coverage
    from .analysis.ranking import rank_gates, rank_graph_gates
    from .analysis.routes import explain_route, k_routes, least_cost_routes
    from .analysis.siting import site_blos
    from .analysis.suite import RegionAnalysis, analyse_region
    from .borders import borderlines, segment_borders, vietnam_coastline
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
    from .maps import region_map, save_map
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
    from .report import write_report
    from .schema import GateClass, validate_layer
