"""How the crossing model's parameters move where traffic enters Vietnam.

For a grid of ``cost.exposure_weight_h`` and informal-crossing parameters, every
edge is re-costed on the array engine (no rebuild: an informal crossing's time
and exposure are its lattice figures plus the informal delay and exposure), the
least-cost route to each ``[demand]`` destination is found, and the demand is
summed by where the route first enters Vietnam: the share entering informally,
the number of distinct entry crossings, and the share entering from Laos,
Cambodia and China.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..network.arrays import GraphArrays
from ..network.profile import edge_cost, load_profile
from ..scenario import Scenario, as_scenario
from ..schema import NEIGHBOURS


def entry_edge(arrays: GraphArrays, edges: np.ndarray) -> int | None:
    """Return the first edge of a path that crosses into Vietnam (a gate or an informal crossing), if any.

    Parameters
    ----------
    arrays
        The array view.
    edges
        Edge indices of a path, in order.

    Returns
    -------
    int or None
    """
    entering = edges[arrays.into_vietnam()[edges]]
    return int(entering[0]) if len(entering) else None


def crossing_sensitivity(
    scenario: Scenario,
    *,
    exposure_weights_h: Sequence[float] = (12.0, 24.0, 48.0, 96.0),
    informal: Iterable[tuple[float, float]] = ((2.0, 0.02), (4.0, 0.05), (8.0, 0.10), (12.0, 0.15)),
) -> pd.DataFrame:
    """Entry pattern of the demand for a grid of crossing parameters.

    Parameters
    ----------
    scenario
        A scenario of a route graph built by borderwatch (its profile and
        demand are used; its edits hold in every combination: closed
        crossings stay closed, inspected gates inspected).
    exposure_weights_h
        Values of ``cost.exposure_weight_h`` to try.
    informal
        ``(informal_crossing.delay_h, informal_crossing.exposure)`` pairs to try.

    Returns
    -------
    pandas.DataFrame
        One row per combination: ``exposure_weight_h``, ``informal_delay_h``,
        ``informal_exposure``, ``informal_share`` (of the demand), ``entry_crossings``
        (distinct entry points), ``share_LAO``, ``share_KHM``, ``share_CHN``, and
        ``entries`` (the entry crossings used, most demand first).

    Raises
    ------
    ParameterError
        The graph has no profile, or its demand names no destination of the graph.
    """
    sc = as_scenario(scenario, what="crossing_sensitivity")
    if sc.meta.profile is None:
        raise ParameterError("the graph has no cost profile; build it with borderwatch (build_route_graph)")
    base, built, origin = sc.arrays, sc.profile, sc.origin
    exposure_now = sc.arrays.exposure  # inspected gates stay inspected in every combination
    is_informal = base.crossing == "informal"
    lattice_time = np.where(is_informal, base.time_h - built["informal_crossing"]["delay_h"], base.time_h)
    lattice_exposure = np.where(is_informal, base.exposure - built["informal_crossing"]["exposure"], base.exposure)
    targets, total = sc.shares, 1.0
    rows = []
    for weight in exposure_weights_h:
        for delay_h, exposure in informal:
            profile = load_profile(built, cost={"exposure_weight_h": weight})
            time_h = np.where(is_informal, lattice_time + delay_h, base.time_h)
            expo = np.where(is_informal, np.minimum(1.0, lattice_exposure + exposure), exposure_now)
            cost = edge_cost(time_h, expo, profile=profile)
            view = base.with_cost(np.where(np.isinf(base.cost), np.inf, cost))
            by_entry: dict[str, float] = {}
            by_border = dict.fromkeys(NEIGHBOURS, 0.0)
            informal_share = 0.0
            for node, share in targets.items():
                edges, _ = view.for_destination(node).path_edges(origin, node)
                e = entry_edge(base, edges)
                if e is None:
                    continue
                head = base.edge_v[e]
                where = f"{base.node_y[head]:.2f}N {base.node_x[head]:.2f}E"
                label = base.gate_id[e] or f"informal {base.border[e]} {where}"
                by_entry[label] = by_entry.get(label, 0.0) + share / total
                by_border[base.border[e]] = by_border.get(base.border[e], 0.0) + share / total
                informal_share += share / total if base.crossing[e] == "informal" else 0.0
            rows.append(
                {
                    "exposure_weight_h": weight,
                    "informal_delay_h": delay_h,
                    "informal_exposure": exposure,
                    "informal_share": round(informal_share, 3),
                    "entry_crossings": len(by_entry),
                    **{f"share_{b}": round(v, 3) for b, v in by_border.items()},
                    "entries": ", ".join(k for k, _ in sorted(by_entry.items(), key=lambda kv: -kv[1])),
                }
            )
    return pd.DataFrame(rows)
