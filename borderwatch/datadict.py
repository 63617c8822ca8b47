"""The report's vocabulary and data dictionary: every column's meaning, unit and type, in one place.

Two kinds of hours run through the model and are never given the same name:

- **cost** (``*_heq``, shown "h-eq"): the trafficker's *generalised cost* in
  hour-equivalents, travel time plus the exposure to detection priced in
  hours (profile ``[cost] exposure_weight_h``) plus gate delays; what every
  route minimises.  A route's cost is always at least its travel time.
- **travel time** (``*_h``, shown "h"): clock hours, of a route (``time_h``)
  or of a BLO patrol (``reach_h``, ``nearest_blo_h``, ``farthest_h``).

:data:`COLUMNS` describes every column of every table the report folder
holds (CSV and GeoJSON properties); :data:`FILE_COLUMNS` refines a name
whose meaning depends on the file.  :func:`label` gives a column's display
header; :func:`data_package` writes the Frictionless ``datapackage.json``
(it refuses a column the dictionary does not describe, so a new column
cannot ship undocumented); :func:`dictionary_markdown` is the human-readable
``docs/data_dictionary.md`` (regenerate: ``python -m borderwatch.datadict >
docs/data_dictionary.md``).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import BorderwatchError

#: Unit shown for a generalised cost (hour-equivalents); clock hours are "h".
COST_UNIT = "h-eq"


class UndocumentedError(BorderwatchError):
    """A report file has a column the data dictionary does not describe."""


@dataclass(frozen=True)
class Column:
    """One column: display title, Frictionless type, unit ("" for none) and meaning."""

    title: str
    type: str
    unit: str
    description: str


def _c(title: str, type_: str, unit: str, description: str) -> Column:
    return Column(title, type_, unit, description)


_COST = "generalised cost (travel time + exposure priced in hours + gate delays)"

#: Every column of the report's tables, by name.
COLUMNS: dict[str, Column] = {
    # identities and places
    "gate_id": _c("gate", "string", "", "border gate id (VN-<border>-<nnn>); '' when the row is not a gate"),
    "segment_id": _c("segment", "string", "", "border or coast segment id (<border>-<part>-<seq>)"),
    "id": _c("id", "string", "", "candidate id: a gate id, or a site id"),
    "name": _c("name", "string", "", "name (ASCII as in the source table)"),
    "place": _c(
        "place",
        "string",
        "",
        "nearest place (populated place or gate), distance and direction from it, district, province",
    ),
    "class": _c("class", "string", "", "gate class: international, primary or secondary"),
    "border": _c("border", "string", "", "border with LAO, CHN or KHM (coast: the sea coast)"),
    "lon": _c("longitude", "number", "degrees", "WGS84 longitude"),
    "lat": _c("latitude", "number", "degrees", "WGS84 latitude"),
    "kind": _c("kind", "string", "", "what the row is"),
    "feature": _c("feature", "string", "", "what the row is (see the file)"),
    # ranking
    "rank": _c("rank", "integer", "", "risk rank, 1 = highest (empty: not ranked)"),
    "score": _c("score", "number", "0-1", "risk score: weighted mean of the components, each scaled 0-1"),
    "rank_low": _c("rank 5 %", "integer", "", "5th percentile of the rank over the ensemble samples"),
    "rank_high": _c("rank 95 %", "integer", "", "95th percentile of the rank over the ensemble samples"),
    "flow_share": _c("flow share", "number", "share", "share of the demand its least-cost routes carry (0-1)"),
    "usage_probability": _c(
        "usage", "number", "share", "share of the ensemble samples whose least-cost routes use it (0-1)"
    ),
    "cost_rise_heq": _c(
        "cost rise if closed", "number", COST_UNIT, f"rise of the demand-weighted {_COST} when it closes"
    ),
    "in_min_cut": _c("in cut", "integer", "", "1 when it is in the minimum cut (closing the cut blocks every route)"),
    "pinch_current": _c("pinch current", "number", "share", "electrical-circuit current through it (0-1)"),
    "class_exposure": _c("class exposure", "number", "0-1", "exposure to detection of its gate class"),
    "travel_cost_heq": _c(
        "cost from the Golden Triangle", "number", COST_UNIT, f"least {_COST} from the origin to it and across"
    ),
    "incidents": _c("incidents", "number", "", "weighted seizure incidents matched to it"),
    "mean_flow": _c("mean flow", "number", "share", "ensemble mean of its flow share (0-1)"),
    "sd_flow": _c("sd flow", "number", "share", "ensemble standard deviation of its flow share"),
    "diverted_to": _c("diverted to", "string", "", "where its flow goes when it closes: crossing and share"),
    "status": _c("status", "string", "", "ranked, unused (on no modelled route) or why it is not ranked"),
    "reason": _c("why", "string", "", "why it ranks where it does, in words"),
    "gate_ids": _c("gates on it", "string", "", "gates on this segment (comma-separated)"),
    "length_km": _c("length", "number", "km", "geodesic length"),
    # agreement
    "component": _c("component", "string", "", "score component (row of the Spearman matrix)"),
    # coverage
    "covered": _c("covered", "boolean", "", "in reach of some BLO patrol"),
    "reach_h": _c("patrol time", "number", "h", "travel time of the quickest patrol in reach (empty: none)"),
    "by": _c("covered by", "string", "", "BLOs whose patrols reach it (comma-separated)"),
    "nearest_blo": _c("nearest BLO", "string", "", "the BLO with the shortest patrol time to it, however long"),
    "nearest_blo_h": _c("patrol time from nearest BLO", "number", "h", "travel time of that patrol"),
    "farthest_h": _c(
        "patrol time to farthest part", "number", "h", "travel time from the nearest BLO to the stretch's farthest part"
    ),
    "segments": _c("segments", "string", "", "the segments of the stretch (comma-separated)"),
    "rank_by_length": _c("rank by length", "integer", "", "rank of the stretch by length, 1 = longest"),
    "rank_by_flow": _c("rank by flow", "integer", "", "rank of the stretch by crossing flow, then usage, then length"),
    # chokepoints
    "u": _c("from node", "string", "", "edge: graph node it leaves"),
    "v": _c("to node", "string", "", "edge: graph node it enters"),
    "key": _c("edge key", "string", "", "edge: key among parallel edges"),
    "mode": _c("mode", "string", "", "edge: road, offroad, river, connector, gate or sea"),
    "crossing": _c("crossing", "string", "", "edge: gate or informal when it crosses into Vietnam"),
    "cost_heq": _c("cost", "number", COST_UNIT, f"{_COST}, in hour-equivalents"),
    "flow": _c("flow", "number", "share", "share of the demand on it along least-cost routes (0-1)"),
    "cut_unit": _c("cut unit", "string", "", "the minimum-cut unit it belongs to"),
    "node": _c("node", "string", "", "node: graph node id"),
    "resistance_heq": _c(
        "effective resistance", "number", COST_UNIT, "node: effective resistance from the origin (cost-weighted)"
    ),
    "reachable": _c("reachable", "boolean", "", "node: a route from the origin reaches it"),
    # routes
    "origin": _c("origin", "string", "", "where the routes start (the Golden Triangle)"),
    "destination": _c("destination", "string", "", "demand destination"),
    "destination_node": _c("destination node", "string", "", "graph node of the destination"),
    "time_h": _c("travel time", "number", "h", "clock travel time along the route"),
    "exposure": _c("exposure", "number", "", "summed exposure to detection along the route"),
    "cost_time_heq": _c("cost: time part", "number", COST_UNIT, "the travel-time part of the route's cost"),
    "cost_exposure_heq": _c("cost: exposure part", "number", COST_UNIT, "the exposure part of the route's cost"),
    "entry_crossing": _c("entry", "string", "", "first crossing into Vietnam: gate id, or informal"),
    "entry_name": _c("entry name", "string", "", "name of the entry gate"),
    "entry_gate_class": _c("entry class", "string", "", "class of the entry gate"),
    "entry_border": _c("entry border", "string", "", "border of the entry crossing"),
    "entry_lon": _c("entry longitude", "number", "degrees", "where the route enters Vietnam"),
    "entry_lat": _c("entry latitude", "number", "degrees", "where the route enters Vietnam"),
    "crossings": _c("crossings", "string", "", "every border crossing of the route, in order"),
    "country_path": _c("countries", "string", "", "countries in order"),
    "modes": _c("modes", "string", "", "modes of travel in order"),
    "n_edges": _c("edges", "integer", "", "graph edges of the route"),
    "vn_seaport": _c("Vietnamese seaport", "string", "", "where the route goes to sea ('' for none)"),
    "overseas_port": _c("overseas port", "string", "", "overseas port of an export route"),
    "overlap_with_best": _c("overlap with best", "number", "share", "share of the route's length on the rank-1 route"),
    "overlap_with_better": _c(
        "overlap with better", "number", "share", "largest share of its length on a better-ranked route"
    ),
    "alternative": _c("alternative", "string", "", "why a further route is listed, or why none is"),
    "share": _c("demand share", "number", "share", "share of the demand going to the destination (0-1)"),
    # sites
    "adds": _c(
        "adds", "number", "", "weight (ensemble flow or km) it covers that nothing else chosen or existing does"
    ),
}

#: Columns whose meaning depends on the file: file -> name -> column.
FILE_COLUMNS: dict[str, dict[str, Column]] = {
    "ranking_agreement.csv": {
        name: _c(
            COLUMNS[name].title, "number", "", f"Spearman correlation with {COLUMNS[name].title} over ranked gates"
        )
        for name in (
            "flow_share",
            "usage_probability",
            "cost_rise_heq",
            "in_min_cut",
            "pinch_current",
            "class_exposure",
            "travel_cost_heq",
            "incidents",
            "score",
        )
    },
    "segments.geojson": {"rank": _c("rank", "integer", "", "risk rank of a segment no gate is on (empty: a gate is)")},
    "coverage.geojson": {
        "feature": _c("feature", "string", "", "segment (5 km border or coast segment) or uncovered_stretch"),
        "flow_share": _c("flow share", "number", "share", "informal least-cost flow entering across the stretch"),
        "usage_probability": _c("usage", "number", "share", "highest ensemble usage of its segments"),
        "nearest_blo_h": _c("patrol time from nearest BLO", "number", "h", "travel time of the nearest BLO's patrol"),
    },
    "chokepoints.geojson": {
        "feature": _c("feature", "string", "", "edge or node"),
        "kind": _c("node kind", "string", "", "node: origin, destination, overseas or gate ('' for others)"),
        "gate_id": _c("gate", "string", "", "edge: the gate it crosses ('' for none)"),
        "segment_id": _c("segment", "string", "", "edge: the border segment an informal crossing crosses"),
    },
    "sites.csv": {
        "id": _c("id", "string", "", "candidate site id: a gate id (a BLO at that gate) or a grid site"),
        "kind": _c("kind", "string", "", "gate (a BLO at a gate) or site (a point on the road network)"),
    },
    "inspection.csv": {
        "teams": _c("teams", "integer", "", "inspection teams m of this plan"),
        "unit": _c("crossing", "string", "", "gate:<id>, segment:<id> or an informal crossing the teams may stand at"),
        "kind": _c("kind", "string", "", "gate, segment or informal"),
        "class": _c("class", "string", "", "gate class, or informal for a trail crossing"),
        "detection": _c("detection", "number", "probability", "chance an inspection there stops a load (profile)"),
        "probability": _c(
            "inspection probability", "number", "probability", "chance a team stands there (the randomised plan)"
        ),
        "fixed": _c("in the fixed placement", "boolean", "", "one of the best fixed placement's m crossings"),
        "equilibrium_share": _c(
            "trafficker's share", "number", "share", "share of the demand the watching trafficker sends through it"
        ),
    },
    "routes.geojson": {"rank": _c("route rank", "integer", "", "1 = least-cost route, 2.. diverse alternatives")},
    "compare.csv": {
        "kind": _c("kind", "string", "", "gate or segment"),
        "id": _c("id", "string", "", "gate id or border segment id"),
        "name": _c("name", "string", "", "gate name, or the segment's name"),
        "edit": _c("edit", "string", "", "closed or inspected by the scenario ('' for neither)"),
        "rank_base": _c("rank before", "number", "", "risk rank in the baseline (empty: not ranked)"),
        "rank_scenario": _c("rank after", "number", "", "risk rank in the scenario (empty: not ranked)"),
        "score_base": _c("score before", "number", "0-1", "risk score in the baseline"),
        "score_scenario": _c("score after", "number", "0-1", "risk score in the scenario"),
        "rank_change": _c("rank change", "number", "", "places gained (+) or lost among crossings ranked in both runs"),
        "flow_base": _c("flow before", "number", "share", "ensemble mean flow share in the baseline"),
        "flow_scenario": _c("flow after", "number", "share", "ensemble mean flow share in the scenario"),
        "flow_change": _c("flow change", "number", "share", "mean paired change of the flow share"),
        "flow_change_pct": _c("relative flow change", "number", "%", "flow change relative to the baseline flow"),
        "flow_change_low": _c("flow change 5 %", "number", "share", "5th percentile of the paired change"),
        "flow_change_high": _c("flow change 95 %", "number", "share", "95th percentile of the paired change"),
        "samples_changed": _c("samples changed", "integer", "", "ensemble samples in which its flow changes"),
        "least_cost_flow_base": _c("least-cost flow before", "number", "share", "least-cost flow share, baseline"),
        "least_cost_flow_scenario": _c("least-cost flow after", "number", "share", "least-cost flow share, scenario"),
        "changed": _c("changed", "boolean", "", "its flow, rank or edit differs between the runs"),
    },
}

#: Terms the index page explains once (its glossary), in order.
GLOSSARY: list[tuple[str, str]] = [
    (
        f"cost ({COST_UNIT})",
        "what a trafficker minimises, in h-equivalents (hour-equivalents): travel time, plus the exposure to "
        "detection priced in hours, plus gate delays. A route's cost is never less than its travel time; "
        "compare costs with costs.",
    ),
    ("travel time (h)", "clock hours along a route or of a BLO patrol."),
    ("flow share", "share of the demand (0–1) that least-cost routes carry through a crossing."),
    ("usage", "share of the ensemble samples (0–1) whose least-cost routes use a crossing."),
    ("score", "the gate risk score (0–1): the weighted mean of its components, each scaled 0–1."),
    ("rank 5 % / 95 %", "the rank's 5th–95th percentile over the ensemble samples."),
    (
        "uncovered stretch",
        "a run of border no BLO patrol reaches, split into stretches of at most the planning length.",
    ),
    ("place", "the nearest populated place or gate, distance and direction from it, district and province."),
]

#: What the non-tabular JSON files hold, by top-level key.
JSON_KEYS: dict[str, dict[str, str]] = {
    "compare.json": {
        "summary": "headline figures (demand-weighted costs in h-eq, flow moved, routes changed, coverage)",
        "base": "the baseline scenario",
        "scenario": "the compared scenario",
        "destinations": "per destination: cost_base_heq, cost_scenario_heq, cost_change_heq, routes before and after",
        "displacement": "crossings gaining and losing ensemble flow",
        "coverage": "coverage per border in both runs",
        "gates_changed": "gates whose flow, rank or edit changes (compare.csv rows)",
        "segments_changed": "segments whose flow, rank or edit changes",
        "method": "common random numbers, interval percentiles, samples, seed",
        "timings_s": "seconds per step",
    },
    "stability.json": {
        "checked": "whether the ranking's stability under other seeds was checked",
        "converged": "whether the top is the same under every seed",
        "criterion": "what counts as the same",
        "samples_per_seed": "ensemble samples per seed",
        "seeds": "the seeds",
        "top": "how many top gates are compared",
        "summary": "the result in words",
        "history": "agreement per round of doubled samples",
        "tops": "the top gates under each seed",
    },
    "interdiction.json": {
        "chosen": "the units to close or inspect (gate:<id> or segment:<id>)",
        "chosen_places": "each chosen unit by id, name and nearest place",
        "chosen_edges": "each chosen unit's edges: from node, to node, gate id",
        "cost_before_heq": "demand-weighted least cost before (h-eq)",
        "cost_after_heq": "demand-weighted least cost after (h-eq)",
        "upper_bound_heq": "best bound on the optimum (h-eq)",
        "method": "exact or greedy",
        "status": "solver status",
        "gap_pct": "gap between the choice and the bound (%)",
        "rounds": "solver rounds",
        "solve_s": "solver time (s)",
        "cut_off": "destinations left with no route",
        "routes_after": "per destination: cost_before_heq, cost_after_heq, crossings before and after, nodes after",
        "displacement": "crossings whose share of the demand changes: share_before, share_after",
        "candidates": "gates, segments or both",
        "mode": "close or inspect",
    },
    "coverage.json": {
        "hours": "patrol time of every BLO without its own (h)",
        "borders": "per border and coast: border_km, covered_km, covered_pct",
        "gates_covered": "gates in reach of a patrol",
        "gates": "gates in the graph",
        "gates_covered_ids": "their ids",
        "gate_patrol_hours": "per gate: nearest BLO and its patrol time (h)",
        "flow_covered_pct": "least-cost crossing flow through covered crossings (%)",
        "ensemble_flow_covered_pct": "ensemble mean of the same (%)",
        "blos": "where each BLO stands and why",
        "uncovered_stretches": "number of uncovered stretches",
        "stretch_km": "planning length: the longest uncovered stretch listed (km)",
    },
}


def column(name: str, file: str | None = None) -> Column:
    """Return the dictionary entry of a column (the file's own meaning first).

    Parameters
    ----------
    name
        Column name.
    file
        The report file it is in (``"ranking.csv"``), or ``None``.

    Returns
    -------
    Column

    Raises
    ------
    UndocumentedError
        The dictionary does not describe it.
    """
    found = FILE_COLUMNS.get(file or "", {}).get(name) or COLUMNS.get(name)
    if found is None:
        raise UndocumentedError(
            f"{file + ': ' if file else ''}column {name!r} is not in the data dictionary; describe it in "
            "borderwatch/datadict.py COLUMNS (title, type, unit, meaning) and regenerate docs/data_dictionary.md"
        )
    return found


def label(name: str, file: str | None = None) -> str:
    """Return a column's display header: its title with the unit (``"cost from the Golden Triangle (h-eq)"``).

    Parameters
    ----------
    name
        Column name.
    file
        The report file whose meaning to use, or ``None``.

    Returns
    -------
    str
    """
    c = column(name, file)
    return f"{c.title} ({c.unit})" if c.unit and c.unit not in ("share", "0-1") else c.title


def file_columns(path: Path) -> list[str]:
    """Return the columns of a CSV or the properties of a GeoJSON file (without the geometry).

    Parameters
    ----------
    path
        A ``.csv`` or ``.geojson`` file.

    Returns
    -------
    list of str
    """
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as f:
            return next(csv.reader(f), [])
    features = json.loads(path.read_text(encoding="utf-8")).get("features", [])
    seen: dict[str, None] = {}
    for feature in features:
        seen.update(dict.fromkeys(feature.get("properties") or {}))
    return list(seen)


def data_package(folder: str | Path, *, files: dict[str, str]) -> dict[str, Any]:
    """Describe a report folder as a Frictionless data package: every file, and every column of each table.

    Parameters
    ----------
    folder
        The folder holding the files.
    files
        File name -> what it holds (as the manifest says); ``manifest.json``
        is added.

    Returns
    -------
    dict
        The ``datapackage.json`` content: a resource per file; CSV files are
        tabular resources with a table schema (validated against the data),
        GeoJSON files carry the schema of their properties (as description:
        Frictionless reads them as files), JSON files their top-level keys.

    Raises
    ------
    UndocumentedError
        A table has a column :data:`COLUMNS` does not describe (the message names the file and column).
    """
    folder = Path(folder)
    resources = []
    for name, about in {**files, "manifest.json": "inputs (SHA-256), scenario, settings, versions, timings"}.items():
        path = folder / name
        slug = name.replace("_", "-").replace(".", "-").lower()
        resource: dict[str, Any] = {"name": slug, "path": name, "description": about}
        if path.suffix == ".csv":
            resource.update(
                type="table",
                profile="tabular-data-resource",
                format="csv",
                mediatype="text/csv",
                encoding="utf-8",
                schema=_schema(path, name),
            )
        elif path.suffix == ".geojson":
            resource.update(type="file", format="geojson", mediatype="application/geo+json", schema=_schema(path, name))
        elif path.suffix == ".json":
            resource.update(type="json", format="json", mediatype="application/json")
            if name in JSON_KEYS:
                resource["keys"] = JSON_KEYS[name]
        else:
            resource.update(type="file", format=path.suffix.lstrip("."), mediatype="text/html")
        resources.append(resource)
    return {
        "name": "borderwatch-report",
        "title": "borderwatch report",
        "description": "Trafficking routes, gate risk, BLO coverage and interdiction for Vietnam's land borders. "
        + " ".join(f"{term}: {text}" for term, text in GLOSSARY[:2]),
        "resources": resources,
    }


def _schema(path: Path, file: str) -> dict[str, Any]:
    fields = []
    for name in file_columns(path):
        c = column(name, file)
        field = {"name": name, "title": c.title, "type": c.type, "description": c.description}
        if c.unit:
            field["unit"] = c.unit
        fields.append(field)
    return {"fields": fields, "missingValues": [""]}


def dictionary_markdown() -> str:
    """Return ``docs/data_dictionary.md``: the glossary, then every column by file and in general.

    Returns
    -------
    str
    """
    out = [
        "# borderwatch report: data dictionary",
        "",
        "Generated from `borderwatch/datadict.py` (`python -m borderwatch.datadict > docs/data_dictionary.md`);"
        " the report folder's `datapackage.json` says the same for the files of one run.",
        "",
        "## Glossary",
        "",
        *(f"- **{term}**: {text}" for term, text in GLOSSARY),
        "",
        "Names: a generalised cost ends in `_heq` (hour-equivalents, shown h-eq); a clock time in `_h` (hours).",
        "",
        "## Columns",
        "",
        "| column | title | type | unit | meaning |",
        "|---|---|---|---|---|",
        *(f"| `{n}` | {c.title} | {c.type} | {c.unit} | {c.description} |" for n, c in COLUMNS.items()),
        "",
        "## Meanings that depend on the file",
        "",
    ]
    for file, cols in FILE_COLUMNS.items():
        out += [f"### {file}", "", "| column | title | type | unit | meaning |", "|---|---|---|---|---|"]
        out += [f"| `{n}` | {c.title} | {c.type} | {c.unit} | {c.description} |" for n, c in cols.items()]
        out.append("")
    out += ["## JSON files", ""]
    for file, keys in JSON_KEYS.items():
        out += [f"### {file}", "", *(f"- `{k}`: {v}" for k, v in keys.items()), ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(dictionary_markdown(), end="")
