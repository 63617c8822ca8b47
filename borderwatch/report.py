"""The report folder: an overview page, the map, every table, and a manifest of how they were made.

:func:`write_report` writes one :class:`~borderwatch.analysis.suite.RegionAnalysis`
into a folder, all or nothing (:func:`~borderwatch.output.atomic_dir`):

=========================== =====================================================
``index.html``              overview: key figures, corridors, ranking, coverage
``map.html``                the offline interactive map (:func:`~borderwatch.maps.region_map`)
``ranking.csv``             every gate's risk score and components
``ranking_agreement.csv``   Spearman agreement between the components and the score
``segments.geojson``        the border segments' ranking (stretches without a gate)
``chokepoints.geojson``     edges and nodes with flow, usage, current, cut membership
``coverage.geojson``        border and coast segments covered, uncovered stretches
``coverage.json``           coverage per border, gates and flow covered
``routes.geojson``          least-cost and diverse routes to the demand destinations
``interdiction.json``       the crossings to close and the routes after
``sites.csv``               proposed new BLO sites
``manifest.json``           inputs with SHA-256, profile, settings, versions, timings
=========================== =====================================================
"""

from __future__ import annotations

import html
import json
import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd

from .analysis.coverage import coverage_features, coverage_summary
from .analysis.routes import corridor_table
from .analysis.siting import siting_summary
from .analysis.suite import RegionAnalysis
from .network.contract import validate_route_graph
from .output import TABLE_WRITERS, atomic_dir
from .region import file_sha256

#: Files of a report, in the order they are written, with what each holds.
REPORT_FILES = {
    "map.html": "the interactive map (opens offline)",
    "ranking.csv": "every gate: risk rank, score, rank interval and each component",
    "ranking_agreement.csv": "Spearman agreement between the components and the score",
    "segments.geojson": "border segments ranked by risk (stretches with informal crossings)",
    "chokepoints.geojson": "edges and nodes with flow, ensemble usage, pinch current and cut membership",
    "coverage.geojson": "border and coast segments covered by BLO patrols; uncovered stretches",
    "coverage.json": "coverage per border, gates and crossing flow covered",
    "routes.geojson": "least-cost and diverse routes to the demand destinations",
    "interdiction.json": "the crossings whose closing costs the traffickers most, and their routes after",
    "sites.csv": "proposed new BLO sites",
    "index.html": "this overview",
    "manifest.json": "inputs (SHA-256), profile, settings, package versions, timings",
}
#: Packages whose versions the manifest records.
PACKAGES = (
    "borderwatch",
    "numpy",
    "scipy",
    "pandas",
    "networkx",
    "geopandas",
    "shapely",
    "pyproj",
    "pyogrio",
    "rasterio",
    "folium",
    "branca",
    "XStatic-Leaflet",
)


def write_report(
    analysis: RegionAnalysis,
    out: str | Path,
    *,
    overwrite: bool = False,
    timings_s: dict[str, float] | None = None,
    tiles: str | None = None,
    on_file: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Write the report folder of an analysis, all or nothing.

    Parameters
    ----------
    analysis
        From :func:`~borderwatch.analysis.suite.analyse_region`.
    out
        The folder; it must not exist unless ``overwrite`` (and then only a
        folder borderwatch wrote, holding ``manifest.json``, is replaced).
    overwrite
        Replace an existing report folder.
    timings_s
        Seconds of the steps before the analysis (loading, graph), recorded
        in the manifest beside the analysis' own.
    tiles
        An optional online tile layer for the map (see :func:`~borderwatch.maps.region_map`).
    on_file
        Called with each file name before it is written (progress).

    Returns
    -------
    dict
        The manifest.

    Raises
    ------
    OutputExistsError, OutputError
        The folder exists (without ``overwrite``), is not a report, or cannot be written.
    """
    from .maps import region_map

    a = analysis
    steps = dict(timings_s or {})
    steps.update({f"analysis.{k}": v for k, v in a.timings_s.items()})
    files: dict[str, str] = {}
    with atomic_dir(out, overwrite=overwrite) as tmp:

        def write(name: str, writer: Callable[[Path], None]) -> None:
            if on_file is not None:
                on_file(name)
            started = time.perf_counter()
            writer(tmp / name)
            steps[f"write.{name}"] = round(time.perf_counter() - started, 3)
            files[name] = file_sha256(tmp / name)

        write("map.html", lambda p: p.write_text(region_map(a.region, a, tiles=tiles).get_root().render(), "utf-8"))
        write("ranking.csv", lambda p: _save(a.ranking.gates, p))
        write(
            "ranking_agreement.csv",
            lambda p: _save(a.ranking.agreement.round(4).reset_index(names="component"), p),
        )
        write("segments.geojson", lambda p: _save(a.ranking.segments, p))
        write("chokepoints.geojson", lambda p: _save(a.features, p))
        write("coverage.geojson", lambda p: _save(coverage_features(a.coverage), p))
        write("coverage.json", lambda p: _json(coverage_summary(a.coverage), p))
        write("routes.geojson", lambda p: _save(a.routes, p))
        write("interdiction.json", lambda p: _json(a.interdiction, p))
        write("sites.csv", lambda p: _save(a.siting.chosen.drop(columns=["start_node"]), p))
        write("index.html", lambda p: p.write_text(overview_page(a), "utf-8"))
        manifest = _manifest(a, steps, files)
        _json(manifest, tmp / "manifest.json")
    return manifest


def _save(table: pd.DataFrame, path: Path) -> None:
    """Write a table in the format of its suffix, as the commands do (:data:`~borderwatch.output.TABLE_WRITERS`)."""
    TABLE_WRITERS[path.suffix.lower()](table, path, path.stem)


def _json(data: Any, path: Path) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=_plain), encoding="utf-8")


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def _manifest(a: RegionAnalysis, steps: dict[str, float], files: dict[str, str]) -> dict[str, Any]:
    meta = validate_route_graph(a.G)
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": a.region.manifest(),
        "profile": _profile_dict(meta.profile),
        "settings": a.settings,
        "seed": a.settings["seed"],
        "graph": {
            "nodes": a.G.number_of_nodes(),
            "edges": a.G.number_of_edges(),
            "build": {k: v for k, v in (meta.build or {}).items() if k != "gates_left_out"},
        },
        "packages": _versions(),
        "timings_s": steps,
        "files": {name: {"sha256": digest, "about": REPORT_FILES[name]} for name, digest in files.items()},
    }


def _profile_dict(profile: Any) -> Any:
    if hasattr(profile, "items"):
        return {str(k): _profile_dict(v) for k, v in profile.items()}
    return profile


# ---------------------------------------------------------------------------- the overview page


def overview_page(a: RegionAnalysis) -> str:
    """Return the report's ``index.html``: key figures, corridors, ranking, coverage and links.

    Parameters
    ----------
    a
        The analysis.

    Returns
    -------
    str
        A self-contained HTML page (no scripts, no network).
    """
    ranked = a.ranking.gates[a.ranking.gates["status"] == "ranked"]
    top = ranked.iloc[0]
    cut = a.chokepoints.cut
    cov = coverage_summary(a.coverage)
    site = siting_summary(a.siting)
    inter = a.interdiction
    best = a.routes[a.routes["rank"] == 1]
    hanoi = best[best["destination"] == "Hanoi"]
    figures = [
        (
            "Land border modelled",
            f"{a.coverage.summary.drop(index='coast', errors='ignore')['border_km'].sum():,.0f} km",
        ),
        ("Gates ranked", f"{len(ranked)} of {len(a.ranking.gates)}"),
        ("Highest-risk gate", f"{top['name']} ({top['gate_id']}), score {top['score']:.3f}"),
        (
            "Least-cost route to Hanoi",
            f"{hanoi['cost'].iloc[0]:.1f} h via {hanoi['crossings'].iloc[0]}" if len(hanoi) else "not computed",
        ),
        (
            f"Minimum cut (routes ≤ {cut.within_pct:g} % above least cost)",
            f"{len(cut.units)} units, closing cost {cut.value:.0f} teams",
        ),
        (
            f"Crossing flow covered by BLO patrols ({cov['hours']:g} h)",
            f"{cov['flow_covered_pct']:.1f} % least-cost, {cov['ensemble_flow_covered_pct']:.1f} % ensemble",
        ),
        (
            f"{len(a.siting.chosen)} new BLO sites ({site['objective']})",
            f"{site['before_pct']} % → {site['after_pct']} % covered",
        ),
        (
            f"Closing {len(inter['chosen'])} crossings",
            f"traffickers' cost {inter['cost_before']:.2f} h → {inter['cost_after']:.2f} h",
        ),
    ]
    corridors = corridor_table(a.routes, segments=a.segments)
    ranking_cols = {
        "rank": "rank",
        "gate_id": "gate",
        "name": "name",
        "class": "class",
        "border": "border",
        "score": "score",
        "rank_low": "rank 5 %",
        "rank_high": "rank 95 %",
        "flow_share": "flow share",
        "usage_probability": "usage",
        "cost_rise_h": "cost rise (h)",
        "in_min_cut": "in cut",
        "pinch_current": "current",
        "travel_cost_h": "travel (h)",
    }
    ranking = ranked.head(20)[list(ranking_cols)].rename(columns=ranking_cols)
    coverage = pd.DataFrame(
        [{"border": b, **{k: round(v, 1) for k, v in row.items()}} for b, row in cov["borders"].items()]
    ).rename(columns={"border_km": "border (km)", "covered_km": "covered (km)", "covered_pct": "covered (%)"})
    uncovered = a.coverage.uncovered.sort_values("rank_by_flow").head(10)
    uncovered = uncovered[["rank_by_flow", "border", "length_km", "flow_share", "usage_probability"]].rename(
        columns={"rank_by_flow": "rank", "length_km": "km", "flow_share": "flow share", "usage_probability": "usage"}
    )
    after = pd.DataFrame(inter["routes_after"]).drop(columns=["nodes_after"])
    sites = a.siting.chosen.drop(columns=["start_node"])
    links = "".join(
        f'<li><a href="{html.escape(name)}">{html.escape(name)}</a>: {html.escape(about)}</li>'
        for name, about in REPORT_FILES.items()
        if name != "index.html"
    )
    cards = "".join(
        f'<div class="card"><div class="label">{html.escape(k)}</div><div class="value">{html.escape(v)}</div></div>'
        for k, v in figures
    )
    s = a.settings
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>borderwatch report</title>
<style>{_PAGE_STYLE}</style></head>
<body>
<header><h1>borderwatch report: trafficking routes from the Golden Triangle into Vietnam</h1>
<p>Created {datetime.now().strftime("%Y-%m-%d %H:%M")} from the shipped data · ensemble {s["samples"]} samples,
seed {s["seed"]} · BLO patrols {s["hours"]:g} h · every figure below comes from the files listed at the end.</p>
<p><a class="button" href="map.html">Open the interactive map</a></p></header>
<section class="cards">{cards}</section>
<section><h2>Corridors: least-cost and diverse routes</h2>
<p>Up to {s["route_k"]} routes per destination; rank 1 is the least-cost route, ranks 2 and 3 the best routes that
share little with better ones. Demand shares are the profile's [demand] table.</p>
{_table(corridors)}</section>
<section><h2>Gate risk ranking (top 20)</h2>
<p>Score: the weighted mean of the components, each scaled 0–1 over the ranked gates (weights: profile [ranking]).
The rank interval is the 5th–95th percentile of the rank over the ensemble samples. All {len(a.ranking.gates)}
gates, with the reason a gate is not ranked, are in <a href="ranking.csv">ranking.csv</a>.</p>
{_table(ranking)}</section>
<section><h2>BLO coverage per border ({s["hours"]:g} h patrols)</h2>
{_table(coverage)}
<h3>Uncovered stretches with most crossing flow</h3>{_table(uncovered)}</section>
<section><h2>New BLO sites</h2>
<p>Maximal covering of the {html.escape(site["unit"])} with {len(sites)} new sites (HiGHS, status
{html.escape(str(site["solver_status"]))}): {site["before_pct"]} % → {site["after_pct"]} % covered.</p>
{_table(sites)}</section>
<section><h2>Interdiction: closing {len(inter["chosen"])} crossings</h2>
<p>Chosen ({html.escape(inter["method"])}, {html.escape(inter["status"])}): {html.escape(", ".join(inter["chosen"]))}.
The traffickers' demand-weighted least cost rises from {inter["cost_before"]:.2f} h to {inter["cost_after"]:.2f} h.</p>
{_table(after)}</section>
<section><h2>Files</h2><ul>{links}</ul></section>
</body></html>
"""


def _table(df: pd.DataFrame) -> str:
    return df.to_html(
        index=False, escape=True, na_rep="–", float_format=lambda v: f"{v:,.4g}", border=0, classes="data"
    )


_PAGE_STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1180px;
  padding: 0 20px 40px; color: #222; }
header { border-bottom: 2px solid #2b5cab; margin-bottom: 14px; }
h1 { font-size: 22px; margin: 18px 0 4px; }
h2 { font-size: 17px; margin: 26px 0 6px; color: #2b5cab; }
h3 { font-size: 14px; margin: 14px 0 4px; }
p { margin: 4px 0 8px; color: #444; }
a.button { display: inline-block; background: #2b5cab; color: #fff; padding: 6px 14px; border-radius: 4px;
  text-decoration: none; font-weight: 600; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 10px; }
.card { border: 1px solid #d8dee9; border-radius: 6px; padding: 8px 12px; background: #f7f9fc; }
.card .label { color: #555; font-size: 12px; }
.card .value { font-size: 15px; font-weight: 600; }
table.data { border-collapse: collapse; font-size: 12.5px; width: 100%; }
table.data th { background: #eef2f8; text-align: left; padding: 4px 6px; border-bottom: 1px solid #c9d3e3; }
table.data td { padding: 3px 6px; border-bottom: 1px solid #eceff4; vertical-align: top; }
table.data tr:hover td { background: #fafbfe; }
"""
