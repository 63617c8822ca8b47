"""borderwatch: model Vietnam's borders, gates and trafficking routes from the Golden Triangle."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("borderwatch")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

from .borders import borderlines, segment_borders, vietnam_coastline
from .errors import (
    BorderwatchError,
    CRSError,
    DataFileError,
    NoRouteError,
    OutputExistsError,
    ProfileError,
    UnknownNameError,
    ValidationError,
)
from .gates import place_gates, road_border_contacts, snap_gates
from .info import region_info
from .io import Region, load_region, read_layer, read_terrain
from .reconcile import blo_reconciliation, gate_reconciliation
from .schema import GateClass, validate_layer

__all__ = [
    "__version__",
    "BorderwatchError",
    "CRSError",
    "DataFileError",
    "GateClass",
    "NoRouteError",
    "OutputExistsError",
    "ProfileError",
    "Region",
    "UnknownNameError",
    "ValidationError",
    "blo_reconciliation",
    "borderlines",
    "gate_reconciliation",
    "load_region",
    "place_gates",
    "read_layer",
    "read_terrain",
    "region_info",
    "road_border_contacts",
    "segment_borders",
    "snap_gates",
    "validate_layer",
    "vietnam_coastline",
]
