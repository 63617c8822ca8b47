"""Sweeps: many scenarios against one base, sharing one graph and one set of random draws.

A sweep file (TOML) lists scenarios and/or a grid::

    name = "close each Laos gate, and patrol hours"

    [[scenarios]]                 # like a scenario file: name, description, [[scenarios.edits]]
    file = "cau_treo_closed.toml" # or a scenario file, relative to this one

    [grid]                        # every combination of the dimensions given
    close_each_gate = ["LAO"]     # true: every gate in the graph; or the borders whose gates to close
    patrol_hours = [1, 2, 4, 8]
    scenario_files = ["base", "wet_season.toml"]   # "base" = no edit

Each scenario is compared with the base by its ensemble (common random
numbers: the same draws in every row) and least-cost routes, and, with a
region, BLO coverage; one row per scenario (:func:`sweep`).  The full
comparison of one scenario (ranks, intervals, maps) is :func:`~borderwatch.analysis.compare.compare`.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import parallel
from ..doors import require
from ..edits import CloseGates, Edit, PatrolHours, read_scenario_file, read_toml, scenario_from_dict
from ..errors import ParameterError, ProfileError, UnknownNameError
from ..scenario import Scenario, as_scenario
from . import FLOW_EPS
from .compare import INTERVAL_PCT, _differences
from .coverage import blo_coverage
from .ensemble import Ensemble, flow_ensemble, rerouted
from .flow import least_cost_flow

#: Columns of a sweep table.
SWEEP_COLUMNS = [
    "scenario",
    "edits",
    "cost_change_heq",
    "cost_change_pct",
    "ensemble_cost_change_heq",
    "ensemble_cost_change_low_heq",
    "ensemble_cost_change_high_heq",
    "routes_changed",
    "flow_moved",
    "top_gain",
    "top_gain_flow",
    "top_loss",
    "top_loss_flow",
    "informal_share_change",
    "covered_km_change",
    "flow_covered_pct_change",
    "seconds",
]


@dataclass
class SweepResult:
    """Result of :func:`sweep`.

    Attributes
    ----------
    table
        One row per scenario, columns :data:`SWEEP_COLUMNS` (full precision).
    base
        The base scenario.
    scenarios
        The scenarios, in row order.
    """

    table: pd.DataFrame
    base: Scenario
    scenarios: list[Scenario]


#: Borders whose gates a ``[grid] close_each_gate`` list may name.
GRID_BORDERS = ("LAO", "CHN", "KHM")


@dataclass
class SweepFile:
    """A sweep file read and checked without a scenario (:func:`parse_sweep_file`).

    Attributes
    ----------
    path
        The file.
    scenarios
        ``(name, edits)`` of each ``[[scenarios]]`` entry, in order.
    grid
        The ``[grid]`` dimensions given, each value checked (``close_each_gate``
        ``True`` or borders; ``patrol_hours`` numbers; ``scenario_files`` read).
    """

    path: Path
    scenarios: list[tuple[str, tuple[Edit, ...]]]
    grid: dict[str, Any]

    @property
    def edits(self) -> list[tuple[str, tuple[Edit, ...]]]:
        """Every named edit list the file gives before its gate closures: its scenarios and grid files."""
        return self.scenarios + list(self.grid.get("scenario_files", []))

    def scenarios_of(self, base: Scenario) -> list[Scenario]:
        """Return the file's scenarios derived from ``base`` (:func:`read_sweep_file`)."""
        where = f"sweep file {str(self.path)!r}"
        specs = self.scenarios + (_grid_scenarios(self.grid, base, where=where) if self.grid else [])
        out = []
        for name, edits in specs:
            try:
                out.append(base.edited(*edits, name=name))
            except (ParameterError, UnknownNameError, ProfileError) as exc:
                raise type(exc)(f"{where}, scenario {name!r}: {exc}") from None
        return out


def parse_sweep_file(path: str | Path) -> SweepFile:
    """Read a sweep file (module docstring) and check everything that needs no scenario.

    Parameters
    ----------
    path
        The TOML file.

    Returns
    -------
    SweepFile

    Raises
    ------
    ParameterError
        An unreadable file, an unknown section or key (named), a bad grid value, a scenario entry that is
        not a table, or a scenario file that cannot be read.
    """
    path = Path(path)
    where = f"sweep file {str(path)!r}"
    data = read_toml(path, what=where)
    unknown = sorted(set(data) - {"name", "description", "scenarios", "grid"})
    if unknown:
        raise ParameterError(f"{where}: unknown section {unknown[0]!r}; a sweep has name, [[scenarios]] and [grid]")
    specs: list[tuple[str, tuple[Edit, ...]]] = []
    for i, entry in enumerate(data.get("scenarios", []), 1):
        if not isinstance(entry, Mapping):
            raise ParameterError(f"{where}: scenarios entry {i} must be a table")
        if "file" in entry:
            spec = read_scenario_file(path.parent / str(entry["file"]))
        else:
            spec = scenario_from_dict(entry, where=f"{where}, scenario {i}", folder=path.parent)
        specs.append((spec.name, spec.edits))
    grid = _grid(data["grid"], folder=path.parent, where=where) if "grid" in data else {}
    if not specs and not grid:
        raise ParameterError(f"{where} lists no scenario; add [[scenarios]] or a [grid]")
    return SweepFile(path=path, scenarios=specs, grid=grid)


def read_sweep_file(path: str | Path, *, base: Scenario) -> list[Scenario]:
    """Read the scenarios of a sweep file (module docstring), each derived from ``base``.

    Parameters
    ----------
    path
        The TOML file.
    base
        The base scenario.

    Returns
    -------
    list of Scenario

    Raises
    ------
    ParameterError
        As :func:`parse_sweep_file`; a ``close_each_gate`` border with no gate in the graph, or an edit
        that does not apply.
    """
    return parse_sweep_file(path).scenarios_of(base)


def _grid(grid: Any, *, folder: Path, where: str) -> dict[str, Any]:
    """Check the ``[grid]`` table: its dimensions with their values (scenario files read)."""
    if not isinstance(grid, Mapping):
        raise ParameterError(f"{where}: [grid] must be a table")
    known = {"close_each_gate", "patrol_hours", "scenario_files"}
    for key in sorted(set(grid) - known):
        raise ParameterError(f"{where}: unknown [grid] key {key!r}; use {', '.join(sorted(known))}")
    out: dict[str, Any] = {}
    if "close_each_gate" in grid:
        value = grid["close_each_gate"]
        ok = value is True or (
            isinstance(value, list) and value and all(isinstance(v, str) and v in GRID_BORDERS for v in value)
        )
        if not ok:
            raise ParameterError(
                f"{where}: close_each_gate must be true or a list of borders ({', '.join(GRID_BORDERS)}), got {value!r}"
            )
        out["close_each_gate"] = value
    if "patrol_hours" in grid:
        hours = grid["patrol_hours"]
        ok = (
            isinstance(hours, list)
            and hours
            and all(
                isinstance(h, int | float) and not isinstance(h, bool) and math.isfinite(h) and h > 0 for h in hours
            )
        )
        if not ok:
            raise ParameterError(f"{where}: patrol_hours must be a list of numbers > 0, e.g. [1, 2, 4], got {hours!r}")
        out["patrol_hours"] = hours
    if "scenario_files" in grid:
        files = grid["scenario_files"]
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise ParameterError(f"{where}: scenario_files must be a list of file names, got {files!r}")
        options = []
        for f in files:
            if f == "base":
                options.append(("base", ()))
            else:
                spec = read_scenario_file(folder / f)
                options.append((spec.name, spec.edits))
        out["scenario_files"] = options
    return out


def _grid_scenarios(grid: dict[str, Any], base: Scenario, *, where: str) -> list[tuple[str, tuple[Edit, ...]]]:
    """Every combination of the grid's dimensions, its gate closures those of ``base``'s graph."""
    dims: list[list[tuple[str, tuple[Edit, ...]]]] = []
    if "close_each_gate" in grid:
        value = grid["close_each_gate"]
        gates = base.gates
        in_graph = set(base.arrays.gate_id[base.arrays.crossing == "gate"])
        chosen = gates[gates["id"].isin(in_graph) & (True if value is True else gates["border"].isin(value))]
        if chosen.empty:
            raise ParameterError(f"{where}: close_each_gate = {value!r} matches no gate of the route graph")
        dims.append([(f"close {g.name}", (CloseGates((g.id,)),)) for g in chosen.itertuples()])
    if "patrol_hours" in grid:
        dims.append([(f"patrol {h:g} h", (PatrolHours(h),)) for h in grid["patrol_hours"]])
    if "scenario_files" in grid:
        dims.append(grid["scenario_files"])
    return [
        (" + ".join(n for n, _ in combo), tuple(e for _, edits in combo for e in edits))
        for combo in itertools.product(*dims)
    ]


def sweep(
    base: Scenario,
    scenarios: list[Scenario],
    *,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
) -> SweepResult:
    """Compare each scenario with the base: one row each, the same random draws in every row.

    Parameters
    ----------
    base
        The baseline.
    scenarios
        Scenarios derived from it (:meth:`Scenario.edited <borderwatch.Scenario.edited>`).
    progress
        Called as ``progress(done, total)`` after each scenario.
    workers, scheduler
        Run each scenario's ensemble on ``workers`` local processes or the Dask
        cluster at ``scheduler`` (:func:`borderwatch.parallel.running`); the same table.

    Returns
    -------
    SweepResult

    Raises
    ------
    ParameterError
        ``base`` is not a scenario, ``scenarios`` not a list of scenarios, ``progress`` not a function
        (checked first); a scenario was not built on the base's data, graph and draws (named).

    Examples
    --------
    >>> import networkx as nx
    >>> from borderwatch import CloseGates, Scenario
    >>> G = nx.MultiDiGraph()
    >>> for u, v, c, g in [("o", "t", 1.0, "A"), ("o", "t", 2.0, "B"), ("o", "t", 3.0, "C")]:
    ...     _ = G.add_edge(u, v, cost=c, gate_id=g)
    >>> base = Scenario.from_graph(G, origin="o", destinations=["t"], samples=10, sigma_edge=0.0, sigma_gate=0.0)
    >>> result = sweep(base, [base.edited(CloseGates((g,)), name=f"close {g}") for g in "ABC"])
    >>> result.table[["scenario", "cost_change_heq", "top_gain"]].values.tolist()
    [['close A', 1.0, 'B'], ['close B', 0.0, ''], ['close C', 0.0, '']]
    """
    base = as_scenario(base, what="sweep", name="base")
    require(scenarios, (list, tuple), where="sweep", name="scenarios", fix="give a list of scenarios")
    require(progress, (callable, None), where="sweep", name="progress")
    for i, sc in enumerate(scenarios):
        require(sc, Scenario, where="sweep", name=f"scenarios[{i}]", fix="derive it with base.edited(...)")
        differences = _differences(base, sc)
        if differences:
            raise ParameterError(f"scenario {sc.name!r} differs from the base in " + "; ".join(differences))
    rows = []
    coverages: dict[tuple, Any] = {}
    with parallel.running(workers=workers, scheduler=scheduler):
        reference = _row_facts(base, coverages, reference=None)
        for i, sc in enumerate(scenarios, 1):
            started = time.perf_counter()
            facts = _row_facts(sc, coverages, reference=reference["ensemble"])
            rows.append(_row(sc, reference, facts, base) | {"seconds": round(time.perf_counter() - started, 3)})
            if progress is not None:
                progress(i, len(scenarios))
    return SweepResult(table=pd.DataFrame(rows, columns=SWEEP_COLUMNS), base=base, scenarios=list(scenarios))


def _row_facts(sc: Scenario, coverages: dict[tuple, Any], *, reference: Ensemble | None) -> dict[str, Any]:
    """Return a row's ensemble, least-cost flow and coverage.

    The base keeps its ensemble's support; a scenario that only raises costs
    re-routes just the samples whose routes its edits touch
    (:func:`~borderwatch.analysis.ensemble.rerouted`: the same flows and costs
    as a full run; a row needs no least cost through each gate).  Coverage
    depends only on where the BLOs stand and how long they patrol on the
    patrol model, so scenarios that share those share it.
    """
    if reference is None:
        ensemble = flow_ensemble(sc, keep_support=True)
    else:
        ensemble = rerouted(reference, sc, travel=False) or flow_ensemble(sc)
    flow = least_cost_flow(sc.arrays, sc.origin, sc.shares)
    coverage = None
    if sc.region is not None and sc.is_route_graph:
        starts = sc.blo_starts
        key = (id(sc.patrol), *(tuple(starts[c]) for c in ("blo_id", "start_node", "hours")), sc.settings.stretch_km)
        if key not in coverages:
            coverages[key] = blo_coverage(sc)
        coverage = coverages[key]
    return {"ensemble": ensemble, "flow": flow, "coverage": coverage}


def _row(sc: Scenario, ref: dict[str, Any], facts: dict[str, Any], base: Scenario) -> dict[str, Any]:
    e0, e1 = ref["ensemble"], facts["ensemble"]
    f0, f1 = ref["flow"], facts["flow"]
    cost0 = e0.cost_samples.to_numpy() @ np.array([f0.demand[d] for d in e0.cost_samples.columns])
    cost1 = e1.cost_samples.to_numpy() @ np.array([f1.demand[d] for d in e1.cost_samples.columns])
    diff = cost1 - cost0
    low, high = np.percentile(diff, INTERVAL_PCT)
    moved = _moved(e0, e1)
    gain = moved[moved > FLOW_EPS]
    loss = moved[moved < -FLOW_EPS]
    names = dict(zip(base.gates["id"], base.gates["name"], strict=True)) if base.region is not None else {}
    changed = [
        sc.destination_names.get(d, str(d)) for d in f0.paths if not np.array_equal(f0.paths[d], f1.paths.get(d))
    ]
    row = {
        "scenario": sc.name,
        "edits": "; ".join(e.describe() for e in sc.edits[len(base.edits) :]),
        "cost_change_heq": f1.total_cost - f0.total_cost,
        "cost_change_pct": 100.0 * (f1.total_cost - f0.total_cost) / f0.total_cost if f0.total_cost else np.nan,
        "ensemble_cost_change_heq": float(diff.mean()),
        "ensemble_cost_change_low_heq": float(low),
        "ensemble_cost_change_high_heq": float(high),
        "routes_changed": ", ".join(changed),
        "flow_moved": float(-loss.sum()) + 0.0,  # never -0.0
        "top_gain": names.get(gain.idxmax(), gain.idxmax()) if len(gain) else "",
        "top_gain_flow": float(gain.max()) if len(gain) else 0.0,
        "top_loss": names.get(loss.idxmin(), loss.idxmin()) if len(loss) else "",
        "top_loss_flow": float(loss.min()) if len(loss) else 0.0,
        "informal_share_change": e1.informal_share - e0.informal_share,
        "covered_km_change": np.nan,
        "flow_covered_pct_change": np.nan,
    }
    c0, c1 = ref["coverage"], facts["coverage"]
    if c0 is not None and c1 is not None:
        land = ["LAO", "CHN", "KHM"]
        row["covered_km_change"] = float(
            c1.summary.loc[land, "covered_km"].sum() - c0.summary.loc[land, "covered_km"].sum()
        )
        row["flow_covered_pct_change"] = _flow_covered(c1, e1) - _flow_covered(c0, e0)
    return row


def _moved(e0: Ensemble, e1: Ensemble) -> pd.Series:
    parts = []
    for a, b in ((e0.gate_samples, e1.gate_samples), (e0.segment_samples, e1.segment_samples)):
        ids = sorted(set(a.columns) | set(b.columns))
        parts.append((b.reindex(columns=ids, fill_value=0.0) - a.reindex(columns=ids, fill_value=0.0)).mean())
    return pd.concat(parts)


def _flow_covered(coverage, ensemble: Ensemble) -> float:
    """Share (%) of the ensemble's mean crossing flow through covered gates and segments."""
    covered_gates = set(coverage.gates.loc[coverage.gates["covered"], "gate_id"])
    covered_segs = set(coverage.segments.loc[coverage.segments["covered"], "segment_id"])
    gate_flow = ensemble.gates["mean_flow"]
    seg_flow = ensemble.segments["mean_flow"]
    total = gate_flow.sum() + seg_flow.sum()
    hit = gate_flow[gate_flow.index.isin(covered_gates)].sum() + seg_flow[seg_flow.index.isin(covered_segs)].sum()
    return float(100.0 * hit / total) if total > 0 else float("nan")
