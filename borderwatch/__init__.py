"""borderwatch: model Vietnam's borders, gates and trafficking routes from the Golden Triangle."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("borderwatch")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

from .analysis.routes import explain_route, k_routes, least_cost_routes
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
from .network.arrays import GraphArrays
from .network.build import build_route_graph
from .network.contract import GraphMeta, graph_meta, validate_route_graph
from .network.graphio import load_graph, read_osmnx_roads, save_graph
from .network.profile import Profile, edge_cost, load_profile
from .network.summary import graph_summary
from .output import write_table
from .readers import load_region, read_layer, read_terrain
from .reconcile import blo_reconciliation, gate_reconciliation
from .region import Region
from .schema import GateClass, validate_layer

__all__ = [
    "BorderwatchError",
    "CRSError",
    "DataFileError",
    "GateClass",
    "GraphArrays",
    "GraphContractError",
    "GraphMeta",
    "NoRouteError",
    "OutputError",
    "OutputExistsError",
    "ParameterError",
    "Profile",
    "ProfileError",
    "Region",
    "UnknownNameError",
    "ValidationError",
    "__version__",
    "blo_reconciliation",
    "borderlines",
    "build_route_graph",
    "edge_cost",
    "explain_route",
    "gate_reconciliation",
    "graph_meta",
    "graph_summary",
    "k_routes",
    "least_cost_routes",
    "load_graph",
    "load_profile",
    "load_region",
    "place_gates",
    "read_layer",
    "read_osmnx_roads",
    "read_terrain",
    "region_info",
    "road_border_contacts",
    "save_graph",
    "segment_borders",
    "snap_gates",
    "validate_layer",
    "validate_route_graph",
    "vietnam_coastline",
    "write_table",
]
