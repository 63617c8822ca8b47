"""Every text table the command line prints, and terminal-safe text.

Text that comes from data (gate names, file names) may hold control characters
or ANSI/OSC escape sequences; :func:`terminal_safe` shows them escaped, so data
can never drive the user's terminal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

#: C0/C1 control characters except newline and tab (ESC starts ANSI/OSC sequences), Unicode bidi controls
#: (they reorder what follows, e.g. U+202E) and the line/paragraph separators.
_UNSAFE = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"
_CONTROL = re.compile(f"[{_UNSAFE}]")
#: The same, and newline and tab too: for one value (a table cell, a name), which must stay on its line.
_CONTROL_IN_VALUE = re.compile(f"[\t\n{_UNSAFE}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return {0x09: "\\t", 0x0A: "\\n"}.get(code) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def terminal_safe(text: str, *, one_line: bool = False) -> str:
    r"""Return ``text`` with control and bidi characters shown as ``\xNN`` / ``\uNNNN`` escapes.

    This is the one place where text from data is made safe for a terminal:
    :func:`echo`, error messages, log lines and table cells all pass here.

    Parameters
    ----------
    text
        Any text.
    one_line
        ``text`` is one value (a name, a table cell): newlines and tabs are
        escaped too (``\n``, ``\t``), so a value cannot forge a line.

    Returns
    -------
    str
        Printable text (newlines and tabs kept unless ``one_line``).
    """
    return (_CONTROL_IN_VALUE if one_line else _CONTROL).sub(_escape, text)


def _one(value: Any) -> str:
    return terminal_safe(str(value), one_line=True)


def echo(text: str, *, err: bool = False) -> None:
    """Print text that may hold data values, made :func:`terminal_safe` first.

    Parameters
    ----------
    text
        What to print.
    err
        Print on stderr.
    """
    click.echo(terminal_safe(text), err=err)


def json_text(obj: Any) -> str:
    """JSON for the terminal: UTF-8 kept readable, every control character escaped.

    Parameters
    ----------
    obj
        JSON-ready data.

    Returns
    -------
    str
    """
    text = json.dumps(obj, indent=2, ensure_ascii=False, default=float)
    return re.sub(r"[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)  # json escapes C0 itself


def format_rows(rows: Sequence[dict[str, Any]]) -> str:
    """Lay out rows as a plain text table: a header line, a line per row, padded columns.

    Parameters
    ----------
    rows
        Dicts with the same keys.

    Returns
    -------
    str
    """
    if not rows:
        return "(none)"
    keys = list(rows[0])
    cells = [[_one(r[k]) for k in keys] for r in rows]
    keys = [_one(k) for k in keys]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    lines = ["  ".join(k.ljust(w) for k, w in zip(keys, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)


def scenario_facts(scenario: Any) -> dict[str, Any]:
    """Return the scenario's name and edits, for ``--json`` output.

    Parameters
    ----------
    scenario
        A :class:`~borderwatch.Scenario`.

    Returns
    -------
    dict
        ``name`` and ``edits`` (one line per edit).
    """
    return {"name": scenario.name, "edits": [e.describe() for e in scenario.edits]}


def scenario_line(scenario: Any) -> str | None:
    """One line naming an edited scenario and its edits (``None`` for an unedited one).

    Parameters
    ----------
    scenario
        A :class:`~borderwatch.Scenario`.

    Returns
    -------
    str or None
    """
    if not scenario.edits:
        return None
    return f"scenario {scenario.name!r}: " + "; ".join(e.describe() for e in scenario.edits)


def echo_scenario(scenario: Any) -> None:
    """Print :func:`scenario_line` of an edited scenario (nothing for an unedited one).

    Parameters
    ----------
    scenario
        A :class:`~borderwatch.Scenario`.
    """
    line = scenario_line(scenario)
    if line is not None:
        echo(line)


def format_info(info: dict[str, Any]) -> str:
    """Human-readable text of :func:`borderwatch.region_info`."""
    out = ["Layers: " + ", ".join(f"{k} {v}" for k, v in info["layers"].items()), ""]
    out.append(f"Gates per border and class: data / published ({info['published_source']})")
    out.append(f"  {'border':<7}{'international':>15}{'primary':>11}{'secondary':>12}{'total':>11}")
    for b, counts in info["gates"].items():
        pub = info["published_gates"][b]
        cells = [f"{counts[c]:>3} / {pub[c]:<3}" for c in ("international", "primary", "secondary")]
        total = f"{sum(counts.values()):>3} / {sum(pub.values()):<3}"
        stated = info["published_gate_totals_stated"][b]
        note = (
            f"  (published total stated as {stated}, class counts add to {sum(pub.values())})"
            if stated != sum(pub.values())
            else ""
        )
        out.append(f"  {b:<7}{cells[0]:>15}{cells[1]:>11}{cells[2]:>12}{total:>11}{note}")
    out.append("")
    missing = ", ".join(info["published_blos_missing"]) or "none"
    out.append(
        f"BLOs: {info['blo_count']} in data, {info['published_blo_count']} published (missing from data: {missing}; "
        f"not in the published list: {', '.join(info['blos_not_published']) or 'none'})"
    )
    out.append(
        f"Seaports: {info['seaport_count']} in data ({info['seaports_located']} with coordinates), "
        f"{info['published_seaport_count']} published"
    )
    out.append("")
    out.append(
        "Land border length (geodesic, OSM 100 m polygons): "
        + ", ".join(f"{b} {v:,.1f} km" for b, v in info["border_length_km"].items())
    )
    out.append(
        f"Coastline (NE 1:10m within 1 km of Vietnam): {info['coastline_km']:,.1f} km, mainland "
        f"{info['coastline_mainland_km']:,.1f} km (published {info['published_coastline_km']:,.0f} km)"
    )
    out.append("")
    d = info["snap_distance_km"]
    methods = ", ".join(f"{k} {v}" for k, v in info["snap_methods"].items())
    out.append(
        f"Gates snapped to their border: {info['gates_snapped']} ({methods}); moved median {d['median']:.2f} km, max "
        f"{d['max']:.2f} km"
    )
    out.append(f"Gates that cannot be placed plausibly: {', '.join(info['gates_implausible']) or 'none'}")
    if info["counterpart_snap_distance_km"]:
        c = info["counterpart_snap_distance_km"]
        out.append(
            f"Counterpart gates snapped: {info['counterparts_snapped']} (moved median {c['median']:.2f} km, max "
            f"{c['max']:.2f} km)"
        )
    return "\n".join(out)


def format_graph_summary(summary: dict[str, Any]) -> str:
    """Human-readable text of :func:`borderwatch.graph_summary`."""
    source = " (loaded from the graph cache)" if summary.get("cache") == "cache hit" else ""
    out = [
        f"route graph: {summary['nodes']:,} nodes, {summary['edges']:,} edges, built in {summary['build_s']} s{source}"
    ]
    out.extend(f"  {mode:<10}{n:>10,} edges" for mode, n in summary["edges_by_mode"].items())
    out.append(
        f"components: {summary['weakly_connected_components']} weak, {summary['strongly_connected_components']} strong"
    )
    rc = summary["road_components"]
    out.append(
        f"roads: {summary['road_snapped_ends']} dangling ends snapped, {summary['road_border_cuts']} border cuts, "
        f"{rc['components']} road components (largest {rc['largest_nodes']} nodes)"
    )
    left_out = summary.get("gates_left_out") or {}
    if left_out:
        out.append(f"gates left out ({len(left_out)}; let them in with --include-unplaced):")
        out.extend(f"  {_one(gid)}: {_one(why)}" for gid, why in left_out.items())
    return "\n".join(out)


def format_gates(snapped: gpd.GeoDataFrame) -> str:
    """One line per snapped gate: class, method, distance moved, old and new precision, note."""
    out = [f"{'id':<11}{'class':<14}{'method':<15}{'moved km':>9}{'prec km':>9}{'new km':>8}  note"]
    for _, g in snapped.iterrows():
        flag = "" if g["snap_plausible"] else "placed with a note: " + _one(g["snap_note"])
        out.append(
            f"{_one(g['id']):<11}{g['class']:<14}{g['snap_method']:<15}{g['snap_distance_m'] / 1000:>9.2f}"
            f"{g['orig_precision_m'] / 1000:>9.1f}{g['coord_precision_m'] / 1000:>8.1f}  {flag}"
        )
    return "\n".join(out)


def format_gate_notes(placed: gpd.GeoDataFrame) -> str:
    """Lay out the gates placed with a note, each with its note in full (what other commands only count).

    Parameters
    ----------
    placed
        From :func:`borderwatch.place_gates`.

    Returns
    -------
    str
        A heading and one line per gate; "" when every gate was placed plainly.
    """
    notes = placed[~placed["snap_plausible"]]
    if not len(notes):
        return ""
    lines = [
        f"{len(notes)} gates placed with notes (their border position is approximate; the route graph leaves them out "
        "unless the profile's gate_link.include_unplaced is true):"
    ]
    lines += [f"  {_one(g['id'])} ({_one(g['name'])}): {_one(g['snap_note'])}" for _, g in notes.iterrows()]
    return "\n".join(lines)


def format_routes(routes: gpd.GeoDataFrame) -> str:
    """One line per route: destination, rank, length, time, cost, crossings, modes (and the seaport it sails from)."""
    out = []
    for _, r in routes.iterrows():
        crossing = _one(r["crossings"]) if r["crossings"] else "no border crossing"
        sea = f" | to sea at {_one(r['vn_seaport'])}" if r["vn_seaport"] else ""
        out.append(
            f"{_one(r['destination'])} #{r['rank']}: {r['length_km']:,.1f} km, {r['time_h']:,.1f} h, "
            f"cost {r['cost_heq']:,.2f} h-eq | {crossing} | {r['modes']}{sea}"
        )
    return "\n".join(out)


def format_seaport_flows(table: pd.DataFrame) -> str:
    """Lay out the export by seaport table (:func:`borderwatch.analysis.routes.seaport_flows`), a line per sea leg."""
    rows = [
        {
            "vn_seaport": r["vn_seaport"],
            "overseas_port": r["overseas_port"],
            "share": f"{r['share']:.4f}",
            "route_cost_heq": f"{r['route_cost_heq']:.1f}",
        }
        for r in table.to_dict("records")
    ]
    return format_rows(rows)
