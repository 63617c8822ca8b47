"""Offline interactive maps (folium + inlined Leaflet) of the region, every analysis and a comparison.

:func:`region_map` and :func:`comparison_map` compose public layer builders,
which a notebook can use alone, in the style of ``GeoDataFrame.explore(m=...)``:
start with :func:`base_map` (the offline page: basemap, legend, scale bar,
title) and add layers; each builder adds one toggleable
:class:`folium.FeatureGroup`, returns it and explains its symbols in the
legend::

    m = base_map(scenario)
    borders_layer(m, scenario, coverage)
    routes_layer(m, routes)
    gates_layer(m, scenario, ranking)
    save_map(m, "map.html")

=========================== =====================================================
:func:`borders_layer`       land borders, or border and coast by BLO coverage
:func:`gates_layer`         gates by class (and risk score); closed/inspected marked
:func:`blos_layer`          BLOs; added, moved, removed ones marked
:func:`seaports_layer`      seaports
:func:`wharfs_layer`        Mekong wharfs
:func:`origin_layer`        the Golden Triangle
:func:`routes_layer`        least-cost routes (or the alternatives) of ``k_routes``
:func:`ensemble_layer`      ensemble route usage
:func:`pinch_layer`         pinch points (circuit current)
:func:`cut_layer`           the minimum cut
:func:`reach_layer`         BLO patrol reach
:func:`uncovered_layer`     uncovered border stretches with most flow
:func:`siting_layer`        proposed BLO sites
:func:`interdiction_layer`  an interdiction plan and the routes after
:func:`route_change_layer`  a comparison's least-cost routes (both, baseline only, scenario only)
:func:`gate_change_layer`   a comparison's gates by rank and flow change
:func:`segment_change_layer` a comparison's border segments gaining or losing flow
:func:`coverage_change_layer` a comparison's BLO coverage before and after
:func:`roads_layer`         roads of one class group (no clicks, on a canvas)
:func:`towns_layer`         towns, names appearing with zoom, searchable
:func:`province_names_layer` province names from zoom 8, searchable
=========================== =====================================================

:func:`in_group` puts a layer under a heading of the (collapsed) layer
control, optionally in a set shown one at a time; every page has a search
box, labels by zoom, and print and phone layouts (:mod:`.controls`).
"""

from .analysis_layers import (
    cut_layer,
    ensemble_layer,
    interdiction_layer,
    pinch_layer,
    reach_layer,
    routes_layer,
    siting_layer,
    uncovered_layer,
)
from .base import ONLINE_TILES, base_map, save_map
from .compare_map import (
    comparison_map,
    coverage_change_layer,
    gate_change_layer,
    route_change_layer,
    segment_change_layer,
)
from .controls import in_group
from .data_layers import blos_layer, borders_layer, gates_layer, origin_layer, seaports_layer, wharfs_layer
from .reference_layers import province_names_layer, roads_layer, towns_layer
from .region_map import region_map

__all__ = [
    "ONLINE_TILES",
    "base_map",
    "blos_layer",
    "borders_layer",
    "comparison_map",
    "coverage_change_layer",
    "cut_layer",
    "ensemble_layer",
    "gate_change_layer",
    "gates_layer",
    "in_group",
    "interdiction_layer",
    "origin_layer",
    "pinch_layer",
    "province_names_layer",
    "reach_layer",
    "region_map",
    "roads_layer",
    "route_change_layer",
    "routes_layer",
    "save_map",
    "seaports_layer",
    "segment_change_layer",
    "siting_layer",
    "towns_layer",
    "uncovered_layer",
    "wharfs_layer",
]
