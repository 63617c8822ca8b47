"""Map layer of a randomised inspection plan: crossings shaded by the chance a team stands there.

Follows the layer builders of :mod:`~borderwatch.maps.analysis_layers`: one
toggleable :class:`folium.FeatureGroup`, explained in the legend.  A gate is a
circle, a border segment its line, both shaded from pale (rarely inspected)
to dark red (always); the best fixed placement of the same teams is outlined.
"""

from __future__ import annotations

import folium
import shapely
from branca.colormap import LinearColormap

from ..analysis.inspection import InspectionPlan
from ..doors import require
from ..scenario import Scenario
from .base import explain, finite, need_scenario
from .layers import add_layer, feature
from .popups import popup, tooltip
from .symbols import line_svg, ramp_svg, shape_svg, symbol

#: Colours from never (0) to always (1) inspected.
INSPECTION_COLOURS = ("#fee5d9", "#fcae91", "#fb6a4a", "#cb181d", "#67000d")
#: Outline of a crossing in the best fixed placement.
FIXED_COLOUR = "#08519c"
#: Crossings drawn: inspected with at least this probability, or in the fixed placement.
MIN_PROBABILITY = 1e-4


def inspection_colour(probability: float) -> str:
    """Return the colour of an inspection probability (0..1).

    Parameters
    ----------
    probability
        Chance that a team stands at the crossing.

    Returns
    -------
    str
    """
    ramp = LinearColormap(list(INSPECTION_COLOURS), vmin=0.0, vmax=1.0)
    return ramp(min(max(float(probability), 0.0), 1.0))


def inspection_layer(
    m: folium.Map, scenario: Scenario, plan: InspectionPlan, *, show: bool = True
) -> folium.FeatureGroup:
    """Add a randomised inspection plan: each crossing shaded by its inspection probability.

    Parameters
    ----------
    m
        The map.
    scenario
        The scenario the plan was computed on (border segment lines).
    plan
        :func:`~borderwatch.analysis.inspection.inspection_game`.
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup

    Examples
    --------
    >>> plan = inspection_game(scenario, teams=3)  # doctest: +SKIP
    >>> inspection_layer(base_map(scenario), scenario, plan)  # doctest: +SKIP
    <folium.map.FeatureGroup object at ...>
    """
    sc = need_scenario(scenario, "inspection_layer")
    require(plan, InspectionPlan, where="inspection_layer", name="plan", fix="give inspection_game(...)")
    segs = sc.segments.set_index("segment_id") if sc.segments is not None else None
    feats = []
    shown = plan.crossings[(plan.crossings["probability"] >= MIN_PROBABILITY) | plan.crossings["fixed"]]
    for rec in shown.itertuples(index=False):
        kind, _, uid = rec.unit.partition(":")
        colour = inspection_colour(rec.probability)
        rows = [
            ("inspection probability", f"{rec.probability:.3f}"),
            ("detection if inspected", f"{rec.detection:.2f}"),
            ("trafficker's equilibrium share through it", f"{rec.equilibrium_share:.3f}"),
            ("in the best fixed placement", "yes" if rec.fixed else "no"),
        ]
        title = f"{rec.place}: inspected {rec.probability:.0%}"
        if kind == "segment" and segs is not None and uid in segs.index:
            geom = segs.geometry[uid]
            style = {"color": colour, "weight": 9, "opacity": 0.9}
            if rec.fixed:
                style["dashArray"] = "4 4"
        elif rec.geometry is not None and finite(rec.geometry.x, rec.geometry.y):
            geom = shapely.Point(rec.geometry.x, rec.geometry.y)
            style = symbol(
                "circle",
                size=14 + round(12 * rec.probability),
                fill=colour,
                kind="inspection",
                title=title,
                stroke=FIXED_COLOUR if rec.fixed else "#333",
                stroke_width=3 if rec.fixed else 1.2,
            )
        else:
            continue
        feats.append(
            feature(
                geom,
                style=style,
                popup=popup(f"Randomised inspection ({plan.teams} teams): {rec.place}", rows),
                tooltip=tooltip("inspection", title),
            )
        )
    explain(
        m,
        "inspection",
        "Randomised inspection",
        [
            (ramp_svg(list(INSPECTION_COLOURS)), "chance a team stands there (0 to 1)"),
            (shape_svg("circle", size=14, fill="none", stroke=FIXED_COLOUR, stroke_width=3), "best fixed placement"),
            (line_svg(INSPECTION_COLOURS[3], width=6), "border segment (dashed: in the fixed placement)"),
        ],
    )
    label = (
        f"Inspection: {plan.teams} teams, interception {plan.interception:.1%} "
        f"(fixed placement {plan.fixed_interception:.1%})"
    )
    return add_layer(m, label, feats, show=show)
