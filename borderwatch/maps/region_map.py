"""The planner's map: the region as a vector basemap and every analysis as a toggleable layer.

:func:`region_map` composes the public layer builders of :mod:`.data_layers`
and :mod:`.analysis_layers` on a :func:`~borderwatch.maps.base_map`; a notebook
can build its own map from any of them.
"""

from __future__ import annotations

from datetime import date

import folium

from ..analysis.suite import RegionAnalysis
from ..errors import ParameterError
from ..region import Region
from ..scenario import Scenario
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
from .base import DEFAULT_TITLE, base_map, parts
from .controls import ANALYSIS, ANSWER, GROUPS, INTERDICTION, REFERENCE, GroupedLayerControl, in_group
from .data_layers import blos_layer, borders_layer, gates_layer, origin_layer, seaports_layer, wharfs_layer
from .inspection_layer import inspection_layer
from .reference_layers import add_reference_layers


def region_map(
    scenario: Scenario | Region,
    analysis: RegionAnalysis | None = None,
    *,
    tiles: str | None = None,
    title: str = DEFAULT_TITLE,
) -> folium.Map:
    """Draw a scenario, and every analysis of it when given, as an offline folium map.

    Layers (each in the layer control): countries and provinces, the land
    borders (coloured by BLO coverage when analysed), border gates (a shape per
    class, colour and size by risk score; closed and inspected gates marked),
    the scenario's BLOs (added, moved and removed ones marked; with their
    patrol reach), proposed BLO sites, seaports, Mekong wharfs and the Golden
    Triangle; with an analysis also the least-cost and alternative routes
    (width by demand share), the ensemble's route usage, pinch points, the
    minimum cut, the uncovered border stretches with most flow, the
    interdicted crossings and the routes after interdiction.  A legend
    explains every symbol; a scale bar shows distance.  Popups give each
    record's metrics and provenance.  Each layer is a public builder
    (:func:`~borderwatch.maps.gates_layer`, :func:`~borderwatch.maps.routes_layer` ...),
    so a notebook can draw any of them alone on a :func:`~borderwatch.maps.base_map`.

    Parameters
    ----------
    scenario
        The :class:`~borderwatch.Scenario`, or a :class:`~borderwatch.Region`
        for the data alone (no graph needed).
    analysis
        :func:`~borderwatch.analyse_region` of that scenario (None: the
        scenario's data only).
    tiles
        None (default): no tile layer, the page loads nothing from the network.
        Or one of :data:`~borderwatch.maps.ONLINE_TILES`, added as an optional
        background that needs the internet.
    title
        The title shown on the map.

    Returns
    -------
    folium.Map
        Save it with :func:`~borderwatch.maps.save_map` (or ``.save``); the page is self-contained.

    Raises
    ------
    ParameterError
        An unknown ``tiles`` name, or an analysis of another scenario.

    Examples
    --------
    >>> import borderwatch as bw
    >>> scenario = bw.Scenario.from_region(samples=40)  # doctest: +SKIP
    >>> m = bw.region_map(scenario, bw.analyse_region(scenario))  # doctest: +SKIP
    >>> bw.save_map(m, "map.html")  # doctest: +SKIP
    """
    if analysis is None:
        parts(scenario, "region_map")  # a scenario with its region, or a region
        m = base_map(scenario, tiles=tiles, title=title)
        GroupedLayerControl(group_order=GROUPS).add_to(m)
        in_group(borders_layer(m, scenario), ANSWER)
        in_group(gates_layer(m, scenario), ANSWER)
        in_group(blos_layer(m, scenario), ANSWER)
        in_group(seaports_layer(m, scenario), REFERENCE)
        in_group(wharfs_layer(m, scenario), REFERENCE)
        in_group(origin_layer(m, scenario), REFERENCE)
        add_reference_layers(m, scenario)
        return m
    if not isinstance(analysis, RegionAnalysis):
        raise ParameterError(
            f"analysis must be a RegionAnalysis (borderwatch.analyse_region), got {type(analysis).__name__}"
        )
    if scenario is not analysis.scenario and scenario is not analysis.region:
        raise ParameterError(
            "the analysis is of another scenario; pass the scenario it was made on: "
            "region_map(analysis.scenario, analysis)"
        )
    a, sc = analysis, analysis.scenario
    from ..report import data_origin

    note = (
        f"{date.today().isoformat()} · {data_origin(sc.region)}"
        + (f" · scenario: {sc.name}" if sc.edits else "")
        + f" · ensemble {a.settings['samples']} samples, seed {a.settings['seed']} · BLO patrols "
        f"{a.coverage.hours:g} h · click a symbol for its figures and sources"
    )
    m = base_map(sc, tiles=tiles, title=title, note=note)
    GroupedLayerControl(group_order=GROUPS).add_to(m)
    # the answer first, on: where the routes go, which gates matter, which uncovered stretches carry most flow
    in_group(borders_layer(m, sc), REFERENCE)
    in_group(routes_layer(m, a.routes), ANSWER)
    in_group(uncovered_layer(m, a.coverage), ANSWER)
    in_group(gates_layer(m, sc, a.ranking), ANSWER)
    in_group(siting_layer(m, a.siting), ANSWER)
    # the analysis behind it, off (heavy or detailed) except the BLOs
    in_group(blos_layer(m, sc, coverage=a.coverage), ANALYSIS)
    in_group(borders_layer(m, sc, a.coverage, show=False), ANALYSIS)
    in_group(reach_layer(m, a.coverage, show=False), ANALYSIS)
    in_group(routes_layer(m, a.routes, alternatives=True, show=False), ANALYSIS)
    in_group(ensemble_layer(m, sc, a.chokepoints, show=False), ANALYSIS)
    in_group(pinch_layer(m, sc, a.chokepoints), ANALYSIS)
    in_group(cut_layer(m, sc, a.chokepoints), ANALYSIS)
    in_group(interdiction_layer(m, sc, a.interdiction, before=a.routes), INTERDICTION, exclusive="interdiction")
    in_group(interdiction_layer(m, sc, a.interdiction), INTERDICTION, exclusive="interdiction")
    for plan in a.inspection:
        in_group(inspection_layer(m, sc, plan, show=False), INTERDICTION, exclusive="interdiction")
    in_group(seaports_layer(m, sc), REFERENCE)
    in_group(wharfs_layer(m, sc, show=False), REFERENCE)
    in_group(origin_layer(m, sc), REFERENCE)
    add_reference_layers(m, sc)
    return m
