"""The report folder: an overview page, the map, every table, and a manifest of how they were made.

:func:`write_report` writes one :class:`~borderwatch.analysis.suite.RegionAnalysis`
into a folder, all or nothing (:func:`~borderwatch.output.atomic_dir`):

=========================== =====================================================
``index.html``              overview: key figures, charts (inline SVG), corridors, ranking, coverage
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
``datapackage.json``        the data dictionary: every file and column (meaning, unit, type), Frictionless
``manifest.json``           inputs with SHA-256, scenario, profile, settings, versions, timings
=========================== =====================================================

With a :class:`~borderwatch.analysis.compare.Comparison` the folder also
holds ``compare.json``, ``compare.csv`` and ``compare.html`` and the overview
a section on what the scenario changes.  :func:`write_comparison` writes a
comparison alone (those three files and a manifest), under the same rules.
"""

from __future__ import annotations

import html
import json
import math
import platform
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .analysis.calibrate import report_section as calibration_section
from .analysis.compare import Comparison
from .analysis.coverage import coverage_features, coverage_summary
from .analysis.inspection import InspectionPlan, inspection_html
from .analysis.ranking import UNUSED
from .analysis.routes import corridor_table, seaport_flows
from .analysis.siting import siting_summary
from .analysis.stability import RankingStability
from .analysis.stochastic import StochasticStudy, study_html
from .analysis.suite import RegionAnalysis
from .charts import interdiction_curve_chart, report_charts
from .datadict import COST_UNIT, GLOSSARY, data_package, label
from .errors import ParameterError
from .output import MADE_BY, TABLE_WRITERS, atomic_dir, check_output_dir
from .places import unit_labels
from .region import Region, file_sha256

#: Files of a report, in the order they are written, with what each holds.
REPORT_FILES = {
    "map.html": "the interactive map (opens offline)",
    "ranking.csv": "every gate: risk rank, score, rank interval and each component",
    "ranking_agreement.csv": "Spearman agreement between the components and the score",
    "stability.json": "whether the ranking's top 15 is the same under other seeds: criterion, samples, agreement",
    "segments.geojson": "border segments ranked by risk (stretches with informal crossings)",
    "chokepoints.geojson": "edges and nodes with flow, ensemble usage, pinch current and cut membership",
    "coverage.geojson": "border and coast segments covered by BLO patrols; uncovered stretches",
    "coverage.json": "coverage per border, gates and crossing flow covered",
    "routes.geojson": "least-cost and diverse routes to the demand destinations",
    "interdiction.json": "the crossings whose closing costs the traffickers most, and their routes after",
    "sites.csv": "proposed new BLO sites",
    "inspection.csv": "randomised inspection: each crossing's chance a team stands there, per team count",
    "index.html": "this overview",
    "datapackage.json": "data dictionary: every file and column with its meaning, unit and type (Frictionless)",
    "manifest.json": "inputs (SHA-256), scenario, profile, settings, package versions, timings",
}
#: Files a comparison adds to a report (and that :func:`write_comparison` writes, with a manifest).
COMPARISON_FILES = {
    "compare.html": "the comparison map: routes, gates and coverage, baseline against scenario (opens offline)",
    "compare.json": "the comparison: headline figures, destinations, displaced flow, coverage, changed crossings",
    "compare.csv": "every gate and border segment: rank, score and ensemble flow in both runs, change and interval",
}
#: What a comparison folder's manifest says it is.
COMPARISON_MANIFEST = "inputs (SHA-256), both scenarios, package versions, timings"
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


def data_origin(region: Region | None) -> str:
    """Say where a region's data came from: the shipped data, a data folder, or single files and tables.

    Parameters
    ----------
    region
        The region (:func:`borderwatch.load_region`), or ``None`` (a graph without one).

    Returns
    -------
    str
        ``"the shipped data"``, ``"the data in /path/to/folder"``, with the
        layers read from elsewhere (``"; gates from /x/gates.csv"``) or given
        as tables in memory, or ``"a graph without region data"``.

    Examples
    --------
    >>> import borderwatch as bw
    >>> data_origin(bw.load_region())  # doctest: +SKIP
    'the shipped data'
    >>> data_origin(bw.load_region("mydata"))  # doctest: +SKIP
    'the data in mydata'
    """
    from .readers import DEM_FILE, LAYER_FILES

    if region is None:
        return "a graph without region data"
    shipped = (Path(__file__).resolve().parent / "data").resolve()
    relative = {**LAYER_FILES, "dem": DEM_FILE}
    files = {k: Path(v) for k, v in region.sources.items()}
    if getattr(region, "terrain", None) is not None and getattr(region.terrain, "path", None) is not None:
        files["dem"] = Path(region.terrain.path)
    folders: dict[Path, list[str]] = {}
    elsewhere: list[str] = []
    for name, path in files.items():
        rel = Path(relative.get(name, path.name))
        if len(path.parts) > len(rel.parts) and path.parts[-len(rel.parts) :] == rel.parts:
            folder = Path(*path.parts[: -len(rel.parts)])
            folders.setdefault(folder, []).append(name)
        else:
            elsewhere.append(f"{name} from {path}")
    in_memory = [name for name in region.layers if name not in region.sources]
    parts = []
    if folders:
        main = max(folders, key=lambda f: len(folders[f]))
        parts.append("the shipped data" if _same(main, shipped) else f"the data in {main}")
        for folder, names in folders.items():
            if folder != main:
                elsewhere.append(f"{', '.join(names)} from {folder}")
    if elsewhere:
        parts.append(("" if parts else "data: ") + "; ".join(elsewhere))
    if in_memory:
        parts.append(f"{', '.join(in_memory)} given as tables in memory")
    return "; ".join(parts) if parts else "data given as tables in memory"


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def write_report(
    analysis: RegionAnalysis,
    out: str | Path,
    *,
    overwrite: bool = False,
    timings_s: dict[str, float] | None = None,
    tiles: str | None = None,
    on_file: Callable[[str], None] | None = None,
    comparison: Comparison | None = None,
    study: StochasticStudy | None = None,
    calibration: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write the report folder of an analysis, all or nothing.

    Parameters
    ----------
    analysis
        From :func:`~borderwatch.analysis.suite.analyse_region`; everything
        is read through its scenario (settings, region, gates, segments).
    out
        The folder; it must not exist unless ``overwrite`` (and then only a
        folder borderwatch wrote, whose ``manifest.json`` lists every file in
        it, is replaced; see :mod:`borderwatch.output`).
    overwrite
        Replace an existing report folder.
    timings_s
        Seconds of the steps before the analysis (loading, graph), recorded
        in the manifest beside the analysis' own.
    tiles
        An optional online tile layer for the maps (see :func:`~borderwatch.maps.region_map`).
    on_file
        Called with each file name before it is written (progress).
    comparison
        A :func:`~borderwatch.compare` of the analysed scenario (as its base
        or as the scenario): the folder then also holds ``compare.json``,
        ``compare.csv`` and ``compare.html`` (:data:`COMPARISON_FILES`), and
        the overview a section on what the scenario changes.
    study
        A :func:`~borderwatch.analysis.stochastic.stochastic_study` of the
        analysed scenario: the overview adds its plans under uncertainty.
    calibration
        The JSON ``borderwatch calibrate`` wrote
        (:func:`~borderwatch.analysis.calibrate.calibration_summary`): the
        overview adds the fit, its intervals and verdicts.

    Returns
    -------
    dict
        The manifest (its ``files`` lists every file but itself).

    Raises
    ------
    ParameterError
        ``analysis`` is not a RegionAnalysis; ``comparison`` was made on other data, graphs or draws than the
        analysis.
    OutputExistsError, OutputError
        The folder exists (without ``overwrite``), is not a report, or cannot be written.

    Examples
    --------
    >>> import borderwatch as bw
    >>> base = bw.Scenario.from_region(samples=40)  # doctest: +SKIP
    >>> other = base.edited(bw.CloseGates(("Cầu Treo",)))  # doctest: +SKIP
    >>> c = bw.compare(base, other)  # doctest: +SKIP
    >>> manifest = bw.write_report(bw.analyse_region(base), "report", comparison=c)  # doctest: +SKIP
    >>> sorted(manifest["files"])[:3]  # doctest: +SKIP
    ['chokepoints.geojson', 'compare.csv', 'compare.html']
    """
    from .maps import region_map

    a = analysis
    if not isinstance(a, RegionAnalysis):
        raise ParameterError(
            f"write_report needs a RegionAnalysis (borderwatch.analyse_region), got {type(a).__name__}"
        )
    if comparison is not None:
        _check_comparison(a, comparison)
    check_output_dir(out, overwrite=overwrite)  # before any work: fail at once on an existing folder
    steps = dict(timings_s or {})
    steps.update({f"analysis.{k}": v for k, v in a.timings_s.items()})
    if comparison is not None:
        steps.update({f"compare.{k}": v for k, v in comparison.timings_s.items()})
    files: dict[str, str] = {}
    with atomic_dir(out, overwrite=overwrite) as tmp:
        write = _writer(tmp, steps, files, on_file)
        write("map.html", lambda p: p.write_text(region_map(a.scenario, a, tiles=tiles).get_root().render(), "utf-8"))
        write("ranking.csv", lambda p: _save(a.ranking.gates, p))
        write(
            "ranking_agreement.csv",
            lambda p: _save(a.ranking.agreement.round(4).reset_index(names="component"), p),
        )
        write("stability.json", lambda p: _json(stability_summary(a.stability), p))
        write("segments.geojson", lambda p: _save(a.ranking.segments, p))
        write("chokepoints.geojson", lambda p: _save(a.features, p))
        write("coverage.geojson", lambda p: _save(coverage_features(a.coverage), p))
        write("coverage.json", lambda p: _json(coverage_summary(a.coverage), p))
        write("routes.geojson", lambda p: _save(a.routes, p))
        write("interdiction.json", lambda p: _json(_interdiction(a), p))
        write("sites.csv", lambda p: _save(a.siting.chosen.drop(columns=["start_node"], errors="ignore"), p))
        if a.inspection:
            write("inspection.csv", lambda p: _save(inspection_table(a.inspection), p))
        if comparison is not None:
            _write_comparison_files(write, comparison, tiles)
        page = overview_page(a, comparison=comparison, study=study, calibration=calibration)
        write("index.html", lambda p: p.write_text(page, "utf-8"))
        about = {name: (REPORT_FILES | COMPARISON_FILES)[name] for name in files}
        write("datapackage.json", lambda p: _json(data_package(tmp, files=about), p))
        manifest = _manifest(a, steps, files, comparison)
        _json(manifest, tmp / "manifest.json")
    return manifest


def write_comparison(
    comparison: Comparison, out: str | Path, *, overwrite: bool = False, tiles: str | None = None
) -> dict[str, Any]:
    """Write a comparison folder, all or nothing: ``compare.json``, ``compare.csv``, ``compare.html`` and a manifest.

    Parameters
    ----------
    comparison
        From :func:`~borderwatch.compare`.
    out
        The folder; it must not exist unless ``overwrite`` (and then only a
        folder borderwatch wrote, whose ``manifest.json`` lists every file in
        it, is replaced; see :mod:`borderwatch.output`).
    overwrite
        Replace an existing folder borderwatch wrote.
    tiles
        An optional online tile layer for the map (see :func:`~borderwatch.maps.comparison_map`).

    Returns
    -------
    dict
        The manifest: both scenarios (:meth:`~borderwatch.Scenario.describe`),
        the inputs with SHA-256, package versions, timings and every file's SHA-256.

    Raises
    ------
    ParameterError
        ``comparison`` is not a Comparison.
    OutputExistsError, OutputError
        The folder exists (without ``overwrite``), is not one borderwatch wrote, or cannot be written.

    Examples
    --------
    >>> import borderwatch as bw
    >>> base = bw.Scenario.from_region(samples=40)  # doctest: +SKIP
    >>> c = bw.compare(base, base.edited(bw.CloseGates(("Cầu Treo",))))  # doctest: +SKIP
    >>> sorted(bw.write_comparison(c, "cau_treo")["files"])  # doctest: +SKIP
    ['compare.csv', 'compare.html', 'compare.json']
    """
    if not isinstance(comparison, Comparison):
        raise ParameterError(
            f"write_comparison needs a Comparison (borderwatch.compare), got {type(comparison).__name__}"
        )
    check_output_dir(out, overwrite=overwrite)
    steps = {f"compare.{k}": v for k, v in comparison.timings_s.items()}
    files: dict[str, str] = {}
    with atomic_dir(out, overwrite=overwrite) as tmp:
        _write_comparison_files(_writer(tmp, steps, files, None), comparison, tiles)
        base, other = comparison.base.scenario, comparison.other.scenario
        region = base.region
        manifest = {
            "made_by": MADE_BY,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "kind": "comparison",
            "data": data_origin(region),
            "inputs": region.manifest() if region is not None else {},
            "base": base.describe(),
            "scenario": other.describe(),
            "summary": comparison.summary,
            "packages": _versions(),
            "timings_s": steps,
            "files": {name: {"sha256": digest, "about": COMPARISON_FILES[name]} for name, digest in files.items()},
        }
        _json(manifest, tmp / "manifest.json")
    return manifest


def _writer(
    tmp: Path, steps: dict[str, float], files: dict[str, str], on_file: Callable[[str], None] | None
) -> Callable[[str, Callable[[Path], None]], None]:
    """Return a function that writes one file of a folder, timing it and recording its SHA-256."""

    def write(name: str, writer: Callable[[Path], None]) -> None:
        if on_file is not None:
            on_file(name)
        started = time.perf_counter()
        writer(tmp / name)
        steps[f"write.{name}"] = round(time.perf_counter() - started, 3)
        files[name] = file_sha256(tmp / name)

    return write


def _write_comparison_files(write: Callable, comparison: Comparison, tiles: str | None) -> None:
    from .maps import comparison_map

    write("compare.html", lambda p: p.write_text(comparison_map(comparison, tiles=tiles).get_root().render(), "utf-8"))
    write("compare.json", lambda p: _json(comparison.to_dict(), p))
    write("compare.csv", lambda p: _save(comparison.table(), p))


def _check_comparison(a: RegionAnalysis, comparison: Comparison) -> None:
    if not isinstance(comparison, Comparison):
        raise ParameterError(f"comparison must be a Comparison (borderwatch.compare), got {type(comparison).__name__}")
    sides = (comparison.base.scenario, comparison.other.scenario)
    if any(a.scenario is s for s in sides):
        return
    mine = a.scenario.fingerprint()
    if not any(s.fingerprint() == mine for s in sides):
        raise ParameterError(
            "the comparison was made on other data, graphs or random draws than the analysis; compare the "
            "analysed scenario with its base (borderwatch.compare(base, scenario))"
        )


def study_section(study: StochasticStudy, mode: str) -> str:
    """Return the stochastic study's section with its "what the next team buys" curve (the nested priority list)."""
    html_text = study_html(study)
    prio = study.priority
    if not len(prio):
        return html_text
    curve = pd.DataFrame(
        {
            "k": [0, *prio["k"]],
            "cost_heq": [study.cost_before_heq, *prio["nested_heq"]],
            "exact_cost_heq": [np.nan, *prio["optimal_heq"]],
        }
    )
    chart = interdiction_curve_chart(curve, mode=mode, line_label="nested priority list (each adds one team)")
    return html_text.replace("</section>", f'<div class="charts">{chart.figure_html()}</div></section>', 1)


def inspection_table(plans: list[InspectionPlan]) -> pd.DataFrame:
    """Return the crossings of randomised inspection plans a team may stand at, one row per team count and crossing.

    Parameters
    ----------
    plans
        :func:`~borderwatch.analysis.inspection.inspection_game` plans.

    Returns
    -------
    pandas.DataFrame
        ``teams`` then the plan's crossing columns and ``lon``/``lat``, for
        crossings with a positive probability, in the best fixed placement,
        or carrying equilibrium flow.
    """
    rows = []
    for plan in plans:
        c = plan.crossings
        used = c[(c["probability"] > 0) | c["fixed"] | (c["equilibrium_share"] > 0)]
        table = pd.DataFrame(used.drop(columns="geometry"))
        table.insert(0, "teams", plan.teams)
        table["lon"] = [g.x if g is not None else np.nan for g in used.geometry]
        table["lat"] = [g.y if g is not None else np.nan for g in used.geometry]
        rows.append(table)
    return pd.concat(rows, ignore_index=True)


def _interdiction(a: RegionAnalysis) -> dict[str, Any]:
    plan = a.interdiction
    return {**plan.report, "candidates": plan.kind, "mode": plan.mode}


def _save(table: pd.DataFrame, path: Path) -> None:
    """Write a table in the format of its suffix, as the commands do (:data:`~borderwatch.output.TABLE_WRITERS`)."""
    TABLE_WRITERS[path.suffix.lower()](table, path, path.stem)


def _json(data: Any, path: Path) -> None:
    path.write_text(
        json.dumps(_finite(data), indent=2, ensure_ascii=False, default=_plain, allow_nan=False), encoding="utf-8"
    )


def _finite(value: Any) -> Any:
    """NaN and infinities as null (JSON has neither), in nested dicts and lists."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalars
        try:
            value = value.item()
        except (TypeError, ValueError):
            return value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


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


def _manifest(
    a: RegionAnalysis, steps: dict[str, float], files: dict[str, str], comparison: Comparison | None
) -> dict[str, Any]:
    sc = a.scenario
    about = {**REPORT_FILES, **COMPARISON_FILES}
    out = {
        "made_by": MADE_BY,  # with "files", what lets --overwrite replace the folder (borderwatch.output)
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": data_origin(sc.region),
        "inputs": sc.region.manifest(),
        "scenario": sc.describe(),
        "profile": _profile_dict(sc.profile),
        "settings": a.settings,
        "seed": sc.settings.seed,
        "graph": {
            "nodes": sc.G.number_of_nodes(),
            "edges": sc.G.number_of_edges(),
            "status": sc.graph_status,
            "build": {k: v for k, v in sc.build.items() if k != "gates_left_out"},
        },
        "packages": _versions(),
        "timings_s": steps,
        "files": {name: {"sha256": digest, "about": about[name]} for name, digest in files.items()},
    }
    if comparison is not None:
        out["comparison"] = {
            "base": comparison.base.scenario.describe(),
            "scenario": comparison.other.scenario.describe(),
        }
    return out


def _profile_dict(profile: Any) -> Any:
    if hasattr(profile, "items"):
        return {str(k): _profile_dict(v) for k, v in profile.items()}
    return profile


# ---------------------------------------------------------------------------- the overview page


def overview_page(
    a: RegionAnalysis,
    *,
    comparison: Comparison | None = None,
    study: StochasticStudy | None = None,
    calibration: Mapping[str, Any] | None = None,
) -> str:
    """Return the report's ``index.html``: key figures, corridors, ranking, coverage and links.

    Parameters
    ----------
    a
        The analysis.
    comparison
        A comparison of the analysed scenario: adds a section with its headline figures.
    study
        A stochastic interdiction study of the analysed scenario: adds its section.
    calibration
        A calibration summary (``borderwatch calibrate``'s JSON): adds its section.

    Returns
    -------
    str
        A self-contained HTML page (no scripts, no network).
    """
    sc = a.scenario
    ranked = a.ranking.gates[a.ranking.gates["status"] == "ranked"]
    cut = a.chokepoints.cut
    cov = coverage_summary(a.coverage)
    site = siting_summary(a.siting)
    inter = a.interdiction.report
    done = "Closing" if a.interdiction.mode == "close" else "Inspecting"
    best = a.routes[a.routes["rank"] == 1]
    hanoi = best[best["destination"] == "Hanoi"]
    top = (
        f"{ranked.iloc[0]['name']} ({ranked.iloc[0]['gate_id']}), score {ranked.iloc[0]['score']:.2f}"
        if len(ranked)
        else "none ranked"
    )
    corridors = corridor_table(
        a.routes, segments=sc.segments, places=a.coverage.segments.set_index("segment_id")["place"].to_dict()
    )
    hanoi_entry = corridors.loc[hanoi.index, "entry"] if len(hanoi) else None
    bound = f"routes ≤ {cut.within_pct:g} % above least cost" if cut.within_pct is not None else "every route"
    figures = [
        (
            "Land border modelled",
            f"{a.coverage.summary.drop(index='coast', errors='ignore')['border_km'].sum():,.0f} km",
        ),
        (
            "Gates on a modelled route",
            f"{len(ranked)} of {len(a.ranking.gates)} (the other ranked gates come after them)",
        ),
        ("Highest-risk gate", top),
        (
            "Least-cost route to Hanoi",
            (
                f"cost {hanoi['cost_heq'].iloc[0]:.1f} {COST_UNIT}, {hanoi['time_h'].iloc[0]:.1f} h travel time, "
                f"entering {hanoi_entry.iloc[0]}"
            )
            if len(hanoi)
            else "not computed",
        ),
        (f"Minimum cut ({bound})", f"{len(cut.units)} units, closing cost {cut.value:.0f} teams"),
        (
            f"Crossing flow covered by BLO patrols ({cov['hours']:g} h)",
            f"{cov['flow_covered_pct']:.1f} % least-cost, {cov['ensemble_flow_covered_pct']:.1f} % ensemble",
        ),
        (
            f"{len(a.siting.chosen)} new BLO sites ({site['objective']})",
            f"{site['before_pct']} % → {site['after_pct']} % covered",
        ),
        (
            f"{done} {len(inter['chosen'])} crossings",
            f"traffickers' cost {inter['cost_before_heq']:.1f} → {inter['cost_after_heq']:.1f} {COST_UNIT}",
        ),
    ]
    corridors = corridors.rename(columns={c: label(c) for c in corridors.columns if c != "entry"})
    ranking = _labelled(
        ranked.head(20),
        [
            "rank",
            "gate_id",
            "name",
            "class",
            "border",
            "score",
            "rank_low",
            "rank_high",
            "flow_share",
            "usage_probability",
            "cost_rise_heq",
            "in_min_cut",
            "pinch_current",
            "travel_cost_heq",
        ],
    )
    coverage = pd.DataFrame(
        [{"border": b, **{k: round(v, 1) for k, v in row.items()}} for b, row in cov["borders"].items()]
    ).rename(columns={"border_km": "border (km)", "covered_km": "covered (km)", "covered_pct": "covered (%)"})
    uncovered = _labelled(
        a.coverage.uncovered.sort_values("rank_by_flow").head(10),
        [
            "rank_by_flow",
            "border",
            "place",
            "length_km",
            "flow_share",
            "usage_probability",
            "nearest_blo_h",
            "farthest_h",
        ],
        file="coverage.geojson",
    )
    reach = a.coverage.reach_areas.set_index("blo_id")["nodes"]
    blos = a.coverage.blos.assign(
        start_km=a.coverage.blos["start_km"].round(1),
        recorded_to_km=(a.coverage.blos["precision_m"] / 1000.0).round(1),
        nodes=a.coverage.blos["blo_id"].map(reach),
    )[["blo_id", "name", "start_kind", "start_km", "recorded_to_km", "nodes", "placed_by"]].rename(
        columns={
            "start_kind": "patrols start on",
            "start_km": "km from record",
            "recorded_to_km": "record known to (km)",
            "nodes": f"nodes reached in {a.coverage.hours:g} h",
            "placed_by": "where it stands and why",
        }
    )
    ports = seaport_flows(sc, chokepoints=a.chokepoints)
    ports = ports[(ports["share"] > 0) | (ports["ensemble_share"] >= 0.005)]
    by_port = (
        ports.groupby("vn_seaport")[["share", "ensemble_share"]].sum().sort_values("share", ascending=False).round(3)
    )
    by_port = by_port.reset_index().rename(
        columns={"vn_seaport": "Vietnamese seaport", "share": "least cost", "ensemble_share": "ensemble mean"}
    )
    ports = ports[["vn_seaport", "overseas_port", "share", "ensemble_share", "route_cost_heq"]].rename(
        columns={
            "vn_seaport": "Vietnamese seaport",
            "overseas_port": "overseas port",
            "share": "share of all demand (least cost)",
            "ensemble_share": "ensemble mean",
            "route_cost_heq": f"route cost ({COST_UNIT})",
        }
    )
    after = pd.DataFrame(inter["routes_after"]).drop(columns=["nodes_after"], errors="ignore")
    for column in ("crossings_before", "crossings_after"):
        if column in after:
            after[column] = _named_units(sc, after[column])
    after = after.rename(
        columns={
            "cost_before_heq": f"cost before ({COST_UNIT})",
            "cost_after_heq": f"cost after ({COST_UNIT})",
            "crossings_before": "crossings before",
            "crossings_after": "crossings after",
        }
    )
    sites = _labelled(a.siting.chosen, ["id", "name", "place", "kind", "adds"], file="sites.csv")
    chosen = [inter.get("chosen_places", {}).get(u, u) for u in inter["chosen"]]
    listed = {**REPORT_FILES, **(COMPARISON_FILES if comparison is not None else {})}
    links = "".join(
        f'<li><a href="{html.escape(name)}">{html.escape(name)}</a>: {html.escape(about)}</li>'
        for name, about in listed.items()
        if name != "index.html"
    )
    s = sc.settings
    edits = ""
    if sc.edits:
        edits = (
            f"<p>Scenario <b>{html.escape(sc.name)}</b>"
            + (f": {html.escape(sc.description)}" if sc.description else "")
            + ". Edits: "
            + html.escape("; ".join(e.describe() for e in sc.edits))
            + ".</p>"
        )
    compare_link = (
        ' <a class="button secondary" href="compare.html">Open the comparison map</a>' if comparison is not None else ""
    )
    charts = report_charts(a, comparison=comparison)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>borderwatch report</title>
<style>{_PAGE_STYLE}</style></head>
<body>
<header><h1>borderwatch report: trafficking routes from the Golden Triangle into Vietnam</h1>
<p>Created {datetime.now().strftime("%Y-%m-%d %H:%M")} from {html.escape(data_origin(sc.region))} · ensemble
{s.samples} samples, seed {s.seed} · BLO patrols {s.hours:g} h · every figure below comes from the files listed at
the end.</p>{edits}
<p><a class="button" href="map.html">Open the interactive map</a>{compare_link}</p></header>
<section class="cards">{_cards(figures)}</section>
{_comparison_section(comparison, charts["comparison"]) if comparison is not None else ""}
<section><h2>Corridors: least-cost and diverse routes</h2>
<p>Up to {a.settings["route_k"]} routes per destination; rank 1 is the least-cost route, ranks 2 and 3 the best routes
that share little with better ones. Demand shares are the scenario's demand (profile [demand]).</p>
{charts["corridors"]}
{_table(corridors)}</section>
<section><h2>Export by Vietnamese seaport</h2>
<p>The export share of the demand is split over the overseas ports of profile [export] by their shares; each port's
containers load at the Vietnamese seaport cheapest for them. The ensemble column spreads over dearer seaports: a
sea leg is one edge of 87–360 h whose random cost factor moves it by more than the few hours between neighbouring
seaports, so read it as which seaports are plausible, not as a forecast. The model has no port capacity.</p>
{charts["seaports"]}
{_table(by_port)}
{_table(ports)}</section>
<section><h2>Gate risk ranking (top 20)</h2>
<p>Score: the weighted mean of the components, each scaled 0–1 over the ranked gates (weights: profile [ranking]).
The rank interval is the 5th–95th percentile of the rank over the ensemble samples, every sample-dependent component
(flow, usage, cost from the Golden Triangle) taken from one sample at a time. {_unused_line(a)} All
{len(a.ranking.gates)} gates, with the reason a gate is not ranked, are in <a href="ranking.csv">ranking.csv</a>.</p>
<p>{html.escape(_stability_line(a))}</p>
{charts["ranking"]}
{_table(ranking)}</section>
<section><h2>BLO coverage per border ({s.hours:g} h patrols)</h2>
{charts["coverage"]}
{_table(coverage)}
<h3>Where each BLO stands</h3>
<p>A BLO whose recorded position is coarser than its gate's (a district or city centroid) stands at its gate;
otherwise its patrols start on the nearest road within the position's precision, else on the terrain.</p>
{_table(blos)}
<h3>Uncovered stretches with most crossing flow</h3>
<p>Runs of border no patrol reaches, split into stretches of at most {a.coverage.stretch_km:g} km (the planning
length, setting <code>stretch_km</code>) so that each is one patrol task; all {len(a.coverage.uncovered)} are in
<a href="coverage.geojson">coverage.geojson</a>.</p>
{_table(uncovered)}</section>
<section><h2>New BLO sites</h2>
<p>Maximal covering of the {html.escape(site["unit"])} with {len(sites)} new sites (HiGHS, status
{html.escape(str(site["solver_status"]))}): {site["before_pct"]} % → {site["after_pct"]} % covered.</p>
{charts["siting"]}
{_table(sites)}</section>
<section><h2>Interdiction: {done.lower()} {len(inter["chosen"])} crossings</h2>
<p>Chosen ({html.escape(inter["method"])}, {html.escape(inter["status"])}):</p>
<ul>{"".join(f"<li>{html.escape(c)}</li>" for c in chosen)}</ul>
<p>The traffickers' demand-weighted least cost rises from {inter["cost_before_heq"]:.1f} to
{inter["cost_after_heq"]:.1f} {COST_UNIT}.</p>
{charts["interdiction"]}
{_table(after)}</section>
{inspection_html(a.inspection) if a.inspection else ""}
{study_section(study, a.interdiction.mode) if study is not None else ""}
{calibration_section(calibration) if calibration is not None else ""}
<section id="glossary"><h2>Glossary</h2><dl>{_glossary()}</dl>
<p>Every column of every file, with its unit and type: <a href="datapackage.json">datapackage.json</a>.</p></section>
<section><h2>Files</h2><ul>{links}</ul></section>
</body></html>
"""


def headline(a: RegionAnalysis, out: str | Path) -> list[str]:
    """Return the few lines a planner reads first: top gates, coverage per border, next BLO, interdiction, files.

    ``borderwatch report`` prints them when the folder is written.

    Parameters
    ----------
    a
        The analysis the report was written from.
    out
        The report folder.

    Returns
    -------
    list of str
        At most six lines; the last says where the files are.
    """
    out = Path(out)
    ranked = a.ranking.gates[a.ranking.gates["status"] == "ranked"].head(3)
    gates = "; ".join(f"{g['name']} ({g['gate_id']}, score {g['score']:.2f})" for _, g in ranked.iterrows())
    cov = coverage_summary(a.coverage)
    borders = ", ".join(f"{b} {row['covered_pct']:.0f} %" for b, row in cov["borders"].items() if b != "coast")
    lines = [
        f"Top gates: {gates or 'none on a modelled route'}",
        f"BLO coverage ({cov['hours']:g} h patrols): {borders} of the border; "
        f"{cov['ensemble_flow_covered_pct']:.0f} % of the ensemble crossing flow",
    ]
    chosen = a.siting.chosen.sort_values("adds", ascending=False)
    if len(chosen):
        best = chosen.iloc[0]
        adds = (
            f"{best['adds']:.0f} km of border"
            if a.siting.objective == "length"
            else f"{100 * best['adds'] / a.siting.total:.1f} % of the ensemble crossing flow"
            if a.siting.total
            else "nothing"
        )
        lines.append(f"Best next BLO: {best['id']} {best['name']}, {best['place']} (covers another {adds})")
    inter = a.interdiction.report
    if inter["chosen"]:
        first = inter.get("chosen_places", {}).get(inter["chosen"][0], inter["chosen"][0])
        verb = "closing" if a.interdiction.mode == "close" else "inspecting"
        lines.append(
            f"Best interdiction: {verb} {len(inter['chosen'])} crossings raises the traffickers' cost "
            f"{inter['cost_before_heq']:.1f} → {inter['cost_after_heq']:.1f} {COST_UNIT}; first {first}"
        )
    lines.append(f"Files: {out / 'index.html'} (overview), map.html, datapackage.json (every column explained)")
    return lines


def _unused_line(a: RegionAnalysis) -> str:
    unused = int((a.ranking.gates["status"] == UNUSED).sum())
    return (
        f"{unused} gates are not on any modelled route (no least-cost or perturbed route uses them); they are ranked "
        "after every gate a route uses and are not in this table."
        if unused
        else ""
    )


def _stability_line(a: RegionAnalysis) -> str:
    if a.stability is None:
        return "The ranking's stability under other seeds was not checked."
    return f"Stability: {a.stability.summary()}. Criterion: {a.stability.criterion}."


def stability_summary(stability: RankingStability | None) -> dict[str, Any]:
    """Plain data of a ranking stability check (``stability.json``; ``{"checked": false}`` without one).

    Parameters
    ----------
    stability
        From :func:`~borderwatch.analysis.stability.ranking_stability`, or ``None``.

    Returns
    -------
    dict
    """
    if stability is None:
        return {"checked": False}
    return {
        "checked": True,
        "converged": stability.converged,
        "criterion": stability.criterion,
        "samples_per_seed": stability.samples,
        "seeds": list(stability.seeds),
        "top": stability.top,
        "summary": stability.summary(),
        "history": stability.history.to_dict("records"),
        "tops": {str(seed): stability.tops[seed].tolist() for seed in stability.tops.columns},
    }


def _cards(figures: list[tuple[str, str]]) -> str:
    return "".join(
        f'<div class="card"><div class="label">{html.escape(k)}</div><div class="value">{html.escape(v)}</div></div>'
        for k, v in figures
    )


def _comparison_section(c: Comparison, charts: str) -> str:
    """Return the overview's section on a comparison: headline figures, charts (``charts``), destinations, flow."""
    s = c.summary
    base, other = c.base.scenario, c.other.scenario

    def crossings(items: list[dict[str, Any]]) -> str:
        return ", ".join(f"{i['name'] or i['id']} ({i['flow_change']:+.3f})" for i in items[:3]) or "none"

    figures = [
        (
            "Demand-weighted least cost",
            f"{s['demand_weighted_cost_base_heq']:.1f} → {s['demand_weighted_cost_scenario_heq']:.1f} {COST_UNIT}",
        ),
        ("Ensemble flow moved to other crossings", f"{s['flow_moved']:.1%} of the demand"),
        ("Informal share of the flow", f"{s['informal_share_base']:.1%} → {s['informal_share_scenario']:.1%}"),
        ("Least-cost routes changed", ", ".join(s["routes_changed"]) or "none"),
        ("Gaining most flow", crossings(s["top_gains"])),
        ("Losing most flow", crossings(s["top_losses"])),
    ]
    if "ensemble_flow_covered_pct_base" in s:
        figures.append(
            (
                "Ensemble crossing flow covered by BLO patrols",
                f"{s['ensemble_flow_covered_pct_base']:.1f} % → {s['ensemble_flow_covered_pct_scenario']:.1f} %",
            )
        )
    if s.get("covered_km_change"):
        change = ", ".join(f"{k} {v:+.0f}" for k, v in s["covered_km_change"].items() if abs(v) >= 0.5)
        figures.append(("Border and coast covered (km change)", change or "unchanged"))
    destinations = c.destinations[
        [
            col
            for col in (
                "destination",
                "share_base",
                "cost_base_heq",
                "cost_scenario_heq",
                "cost_change_heq",
                "ensemble_cost_change_heq",
                "route_base",
                "route_scenario",
            )
            if col in c.destinations.columns
        ]
    ].rename(
        columns={
            "share_base": "share",
            "cost_base_heq": f"cost before ({COST_UNIT})",
            "cost_scenario_heq": f"cost after ({COST_UNIT})",
            "cost_change_heq": f"change ({COST_UNIT})",
            "ensemble_cost_change_heq": f"ensemble change ({COST_UNIT})",
            "route_base": "crossings before",
            "route_scenario": "crossings after",
        }
    )
    moved = c.displacement.head(10)[
        [
            col
            for col in (
                "kind",
                "id",
                "name",
                "border",
                "flow_base",
                "flow_scenario",
                "flow_change",
                "flow_change_low",
                "flow_change_high",
                "share_of_moved_pct",
            )
            if col in c.displacement.columns
        ]
    ].rename(
        columns={
            "flow_base": "flow before",
            "flow_scenario": "flow after",
            "flow_change": "change",
            "flow_change_low": "5 %",
            "flow_change_high": "95 %",
            "share_of_moved_pct": "% of moved",
        }
    )
    warning = (
        f"<p><b>Warning:</b> the two runs differ in {html.escape('; '.join(s['differences']))}: "
        "a difference may be partly noise.</p>"
        if not s.get("comparable", True)
        else ""
    )
    edits = "; ".join(s.get("edits") or []) or "none"
    return f"""<section><h2>What if: {html.escape(other.name)}</h2>
<p>Against the baseline <b>{html.escape(base.name)}</b>; edits: {html.escape(edits)}. Both runs draw the same
random numbers for every edge and gate in each of the {base.settings.samples} samples (seed
{base.settings.seed}), so a difference is the edits' effect; intervals are the 5th–95th percentiles of the paired
differences. <a href="compare.html">The comparison map</a> draws the routes, gates and coverage of both runs;
<a href="compare.csv">compare.csv</a> has every gate and segment, <a href="compare.json">compare.json</a> all of it.</p>
{warning}<div class="cards">{_cards(figures)}</div>
{charts}
<h3>Destinations: least cost and route before and after</h3>{_table(destinations)}
<h3>Crossings gaining and losing ensemble flow (share of the demand)</h3>{_table(moved)}</section>"""


def _table(df: pd.DataFrame) -> str:
    """Return an HTML table, numbers rounded for reading (the files keep full precision)."""
    return df.to_html(index=False, escape=True, na_rep="–", float_format=_rounded, border=0, classes="data")


def _rounded(v: float) -> str:
    """Format a number as a planner reads it: 1,005 · 48.2 · 3.14 · 0.776 (never more than 3 decimals)."""
    size = abs(v)
    return f"{v:,.0f}" if size >= 100 else f"{v:.1f}" if size >= 10 else f"{v:.2f}" if size >= 1 else f"{v:.3f}"


def _labelled(table: pd.DataFrame, columns: list[str], *, file: str | None = None) -> pd.DataFrame:
    """Return the columns of a table under their display headers (:func:`borderwatch.datadict.label`)."""
    return table[columns].rename(columns={c: label(c, file) for c in columns})


def _named_units(sc: Any, cells: pd.Series) -> list[str]:
    """Return the comma-separated crossing units of each cell by id, name and place (:func:`~.places.unit_labels`)."""
    lists = [[u for u in str(cell).split(", ") if u] for cell in cells]
    names = unit_labels(sc, sorted({u for units in lists for u in units}))
    return ["; ".join(names[u] for u in units) for units in lists]


def _glossary() -> str:
    return "".join(f"<dt>{html.escape(term)}</dt><dd>{html.escape(text)}</dd>" for term, text in GLOSSARY)


_PAGE_STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1180px;
  padding: 0 20px 40px; color: #222; }
header { border-bottom: 2px solid #2b5cab; margin-bottom: 14px; }
h1 { font-size: 22px; margin: 18px 0 4px; }
h2 { font-size: 17px; margin: 26px 0 6px; color: #2b5cab; }
h3 { font-size: 14px; margin: 14px 0 4px; }
p { margin: 4px 0 8px; color: #444; }
a.button { display: inline-block; background: #2b5cab; color: #fff; padding: 6px 14px; border-radius: 4px;
  text-decoration: none; font-weight: 600; margin-right: 6px; }
a.button.secondary { background: #e66101; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 10px; }
.card { border: 1px solid #d8dee9; border-radius: 6px; padding: 8px 12px; background: #f7f9fc; }
.card .label { color: #555; font-size: 12px; }
.card .value { font-size: 15px; font-weight: 600; }
table.data { border-collapse: collapse; font-size: 12.5px; width: 100%; }
table.data th { background: #eef2f8; text-align: left; padding: 4px 6px; border-bottom: 1px solid #c9d3e3; }
table.data td { padding: 3px 6px; border-bottom: 1px solid #eceff4; vertical-align: top; }
table.data tr:hover td { background: #fafbfe; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 460px), 1fr)); gap: 6px 18px;
  margin: 8px 0 10px; }
figure.chart { margin: 0; }
figure.chart svg { display: block; width: 100%; height: auto; }
figure.chart figcaption { font-size: 13px; color: #444; margin: 2px 0 6px; }
@media print { figure.chart { break-inside: avoid; } }
@media (max-width: 700px) { body { padding: 0 10px 30px; } table.data { display: block; overflow-x: auto; } }
"""
