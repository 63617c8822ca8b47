"""Static SVG charts of an analysis, for the report's ``index.html`` and the notebooks (offline, no scripts).

One function per chart; each takes the analysis objects (or plain tables with
the same columns) and returns a :class:`Chart`: the SVG text, with its
``title``, a one-sentence ``caption`` saying what to read from it and an
``alt`` text.  ``chart.figure_html()`` wraps it in a ``<figure>`` with the
caption; a notebook shows it as that figure.

========================== =========================================================================
:func:`ranking_chart`      top gates: score components stacked, and the ensemble rank interval
:func:`coverage_hours_chart` coverage per border against patrol hours (:func:`coverage_by_hours`)
:func:`interdiction_curve_chart` traffickers' cost against ``k`` crossings interdicted
:func:`siting_curve_chart` coverage against ``p`` new BLO sites
:func:`convergence_chart`  ensemble convergence: running mean flow share of the top gates
:func:`corridor_flow_chart` share of the demand per corridor (least-cost route per destination)
:func:`seaport_flow_chart` share of the demand per Vietnamese seaport, least cost and ensemble
:func:`rank_shift_chart`   a comparison: gates' rank in the baseline and in the scenario
:func:`displacement_chart` a comparison: ensemble flow gained and lost per crossing, with intervals
========================== =========================================================================

The charts are drawn with matplotlib's object API on an Agg canvas (no pyplot,
so no GUI backend and no global state: a notebook's own backend is left as it
is) and written as SVG with text as text (searchable, read by screen readers),
a fixed ``svg.hashsalt`` per chart and no date, so the same data gives the same
bytes.  The root ``<svg>`` has ``width="100%"``, its natural size as
``max-width`` and ``role="img"`` with a ``<title>`` and ``<desc>``.  Labels
from data (gate names, scenario names) are shown as plain text: markup and
quotes are escaped by the SVG writer, ``$`` does not start mathtext, control
characters are dropped and long labels are cut with an ellipsis.  A chart of
no data is a placeholder that says so.
"""

from __future__ import annotations

import functools
import html
import io
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .analysis.ranking import COMPONENTS, RANKED, GateRanking, scaled
from .doors import require
from .errors import ParameterError

#: Colours (Okabe-Ito, safe for colour-blind readers), in order of use.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
#: Border code -> colour (the same in every chart).
BORDER_COLOURS = {"LAO": "#0072B2", "CHN": "#D55E00", "KHM": "#009E73", "coast": "#56B4E9"}
#: Longest label shown (characters); longer ones end in an ellipsis.
LABEL_CHARS = 34
#: Chart width (inches): fits A4 portrait (two side by side on a wide screen); on a 390 px phone text stays ~11 px.
WIDTH_IN = 5.2
_RC = {
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10.5,
    "ytick.labelsize": 10.5,
    "legend.fontsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
}


def _styled(draw: Callable[..., Chart]) -> Callable[..., Chart]:
    """Draw a chart under the charts' matplotlib settings (:data:`_RC`), leaving the caller's settings as they were."""

    @functools.wraps(draw)
    def styled(*args: Any, **kwargs: Any) -> Chart:
        with rc_context(_RC):
            return draw(*args, **kwargs)

    return styled


class Chart(str):
    """An SVG chart: the string is the ``<svg>`` element; ``title``, ``caption`` and ``alt`` describe it.

    Examples
    --------
    >>> c = placeholder_chart("Flow per corridor", "no routes were computed")
    >>> c.startswith("<svg"), c.title
    (True, 'Flow per corridor')
    >>> "<figcaption>" in c.figure_html()
    True
    """

    title: str
    caption: str
    alt: str

    def __new__(cls, svg: str, *, title: str, caption: str, alt: str) -> Chart:  # noqa: D102 (the class says it)
        obj = super().__new__(cls, svg)
        obj.title, obj.caption, obj.alt = title, caption, alt
        return obj

    def figure_html(self) -> str:
        """Return the chart as an HTML ``<figure>`` with its caption (what the report embeds)."""
        return f'<figure class="chart">{self}<figcaption>{html.escape(self.caption)}</figcaption></figure>'

    def _repr_html_(self) -> str:  # Jupyter shows the figure with its caption
        return self.figure_html()


def label(text: Any, *, chars: int = LABEL_CHARS) -> str:
    r"""Return a data label safe and legible in a chart: one line, no control characters, literal ``$``, short.

    Parameters
    ----------
    text
        Any value (``None`` and NaN give ``"–"``).
    chars
        Longest label; a longer one is cut and ends in ``…``.

    Returns
    -------
    str

    Examples
    --------
    >>> label("Cầu Treo")
    'Cầu Treo'
    >>> label("a $x$ price"), label("x" * 50, chars=10)
    ('a \\$x\\$ price', 'xxxxxxxxx…')
    """
    if text is None or (isinstance(text, float) and not np.isfinite(text)) or text is pd.NA:
        return "–"
    s = re.sub(r"[\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", str(text))  # bidi overrides, marks
    s = re.sub(r"[\x00-\x1f\x7f]", " ", s)
    s = " ".join(s.split()) or "–"
    if len(s) > chars:
        s = s[: chars - 1].rstrip() + "…"
    return s.replace("$", r"\$")


@_styled
def placeholder_chart(title: str, reason: str) -> Chart:
    """Return a chart that says there is nothing to draw, and why.

    Parameters
    ----------
    title
        The chart's title.
    reason
        Why it is empty (shown in the chart and in its caption).

    Returns
    -------
    Chart

    Examples
    --------
    >>> "no data" in placeholder_chart("Seaports", "no flow goes overseas")
    True
    """
    fig = _figure(1.6)
    ax = fig.add_subplot()
    ax.set_axis_off()
    _title(fig, title)
    ax.text(0.5, 0.45, label(f"no data: {reason}", chars=90), ha="center", va="center", color="#555555")
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40]
    return _chart(
        fig, f"empty-{slug}", title=title, caption=f"Nothing to show: {reason}.", alt=f"{title}: no data ({reason})."
    )


# ---------------------------------------------------------------------------- the charts


@_styled
def ranking_chart(
    ranking: GateRanking | pd.DataFrame, *, weights: Mapping[str, float] | None = None, top: int = 20
) -> Chart:
    """Draw the top gates by risk: each score's weighted components stacked, beside the ensemble rank interval.

    Parameters
    ----------
    ranking
        From :func:`~borderwatch.rank_gates`, or its ``gates`` table (``rank``,
        ``name``, ``score``, ``rank_low``, ``rank_high`` and the component
        columns of :data:`~borderwatch.analysis.ranking.COMPONENTS`; ``status`` when there).
    weights
        Component -> normalised weight (default: the ranking's; required with a table).
    top
        Gates shown (rank 1 to ``top``).

    Returns
    -------
    Chart
        Bars sum to each gate's score; the interval is its 5th-95th
        percentile rank over the ensemble samples, the dot its rank.

    Examples
    --------
    >>> gates = pd.DataFrame({"rank": [1, 2], "name": ["A", "B"], "score": [0.75, 0.25], "rank_low": [1, 1],
    ...                       "rank_high": [2, 2], "flow_share": [0.6, 0.2]})
    >>> c = ranking_chart(gates, weights={"flow": 1.0})
    >>> "Gate risk ranking" in c and "rank" in c.alt
    True
    """
    title = "Gate risk ranking: score components and rank interval"
    require(ranking, (GateRanking, pd.DataFrame), where="ranking_chart", name="ranking")
    require(top, int, where="ranking_chart", name="top")
    if isinstance(ranking, GateRanking):
        table, weights = ranking.gates, dict(weights or ranking.weights)
    else:
        table, weights = ranking, dict(weights or {})
    if "status" in table.columns:
        table = table[table["status"].isin(RANKED)]
    table = table[table["rank"].notna()] if "rank" in table.columns else table.iloc[:0]
    used = {n: w for n, w in weights.items() if n in COMPONENTS and COMPONENTS[n][0] in table.columns and w > 0}
    if table.empty or not used:
        return placeholder_chart(title, "no gate is ranked" if table.empty else "no score component to show")
    parts = pd.DataFrame(
        {n: w * scaled(table[COMPONENTS[n][0]], larger_is_riskier=COMPONENTS[n][1]) for n, w in used.items()}
    )
    shown = table.assign(_order=table["rank"].astype(float)).sort_values("_order").head(max(top, 1))
    parts = parts.loc[shown.index]
    y = np.arange(len(shown))
    fig = _figure(1.3 + 0.28 * len(shown) + 0.5)
    left, right = fig.subplots(1, 2, sharey=True, width_ratios=(3, 2))
    start = np.zeros(len(shown))
    for i, name in enumerate(parts.columns):
        left.barh(y, parts[name].to_numpy(), left=start, color=PALETTE[i % len(PALETTE)], label=name, height=0.7)
        start += parts[name].to_numpy()
    left.set_yticks(y, [f"{int(r)}  {label(n, chars=26)}" for r, n in zip(shown["rank"], shown["name"], strict=True)])
    left.invert_yaxis()
    left.set_xlabel("score (0–1)")
    left.grid(axis="y", visible=False)
    fig.legend(*left.get_legend_handles_labels(), loc="outside lower center", ncol=4, fontsize=10)
    if {"rank_low", "rank_high"} <= set(shown.columns):
        low, high = _numbers(shown["rank_low"]), _numbers(shown["rank_high"])
        right.hlines(y, low, high, color="#555555", linewidth=3, alpha=0.55)
    right.plot(_numbers(shown["rank"]), y, "o", color="#000000", markersize=4)
    right.set_xlabel("rank (1 = top)")
    right.set_title("rank, 5–95 %", fontsize=11)
    left.set_title("score and its components", fontsize=11)
    right.set_xlim(left=0.5)
    right.grid(axis="y", visible=False)
    _title(fig, title)
    first = shown.iloc[0]
    lo, hi = first.get("rank_low"), first.get("rank_high")
    interval = f" (rank interval {int(lo)}–{int(hi)})" if pd.notna(lo) and pd.notna(hi) else ""
    biggest = parts.iloc[0].idxmax()
    return _chart(
        fig,
        "ranking",
        title=title,
        caption=(
            f"Read the longest bars first: {label(first['name'], chars=60)} ranks 1{interval}, mostly for its "
            f"{biggest}; a long grey line on the right means the ensemble samples disagree on that gate's rank."
        ),
        alt=(
            f"Horizontal stacked bars of the top {len(shown)} gates' risk scores (components: "
            f"{', '.join(parts.columns)}), from {label(first['name'], chars=60)} at {float(first['score']):.2f} to "
            f"{label(shown.iloc[-1]['name'], chars=60)} at {float(shown.iloc[-1]['score']):.2f}, beside each "
            "gate's rank and 5–95 % rank interval."
        ),
    )


def coverage_by_hours(coverage: Any, *, hours: Sequence[float] = tuple(range(1, 9))) -> pd.DataFrame:
    """Coverage per border if every BLO patrolled ``h`` hours, for each ``h``, from one coverage run.

    A segment is covered within ``h`` hours exactly when the patrol time from
    its nearest BLO (``nearest_blo_h``, computed with no time limit) is at most
    ``h``, so one :func:`~borderwatch.blo_coverage` gives every point of the
    curve (the same as ``blo_coverage(sc.with_settings(hours=h))`` for each
    ``h``, without its patrol searches).  Per-BLO hour overrides are not
    applied: every BLO patrols ``h`` hours.

    Parameters
    ----------
    coverage
        A :class:`~borderwatch.analysis.coverage.Coverage`, or its
        ``segments`` table (``border``, ``length_km``, ``nearest_blo_h``).
    hours
        Patrol hours (each > 0).

    Returns
    -------
    pandas.DataFrame
        One row per border and hour: ``border``, ``hours``, ``border_km``,
        ``covered_km``, ``covered_pct``.

    Examples
    --------
    >>> segs = pd.DataFrame({"border": ["LAO", "LAO"], "length_km": [5.0, 5.0], "nearest_blo_h": [0.5, 3.0]})
    >>> coverage_by_hours(segs, hours=[1, 4])["covered_pct"].tolist()
    [50.0, 100.0]
    """
    segments = coverage if isinstance(coverage, pd.DataFrame) else getattr(coverage, "segments", None)
    require(
        segments,
        pd.DataFrame,
        where="coverage_by_hours",
        name="coverage",
        columns=("border", "length_km", "nearest_blo_h"),
    )
    try:
        values = [float(h) for h in hours if not isinstance(h, bool)]
    except (TypeError, ValueError):
        values = []
    if not values or len(values) != len(list(hours)) or any(not (np.isfinite(h) and h > 0) for h in values):
        raise ParameterError(f"coverage_by_hours: hours must be patrol times in h, each a number > 0, got {hours!r}")
    rows = []
    reach = pd.to_numeric(segments["nearest_blo_h"], errors="coerce")
    for border, part in segments.groupby("border", sort=True):
        total = float(part["length_km"].sum())
        for h in values:
            covered = float(part.loc[reach.loc[part.index] <= h, "length_km"].sum())
            rows.append(
                {
                    "border": border,
                    "hours": h,
                    "border_km": total,
                    "covered_km": covered,
                    "covered_pct": 100.0 * covered / total if total else np.nan,
                }
            )
    return pd.DataFrame(rows, columns=["border", "hours", "border_km", "covered_km", "covered_pct"])


@_styled
def coverage_hours_chart(table: pd.DataFrame, *, current_hours: float | None = None) -> Chart:
    """Share of each border covered by BLO patrols against the patrol time.

    Parameters
    ----------
    table
        :func:`coverage_by_hours` (``border``, ``hours``, ``covered_pct``, ``border_km``).
    current_hours
        The scenario's patrol time, marked with a dashed line.

    Returns
    -------
    Chart

    Examples
    --------
    >>> t = pd.DataFrame({"border": ["LAO", "LAO"], "hours": [1.0, 2.0], "covered_pct": [2.0, 5.0],
    ...                   "border_km": [2000.0, 2000.0]})
    >>> "patrol time (h)" in coverage_hours_chart(t, current_hours=2)
    True
    """
    title = "BLO coverage per border against patrol time"
    require(table, pd.DataFrame, where="coverage_hours_chart", name="table", columns=("border", "hours", "covered_pct"))
    if table.empty:
        return placeholder_chart(title, "no border segments")
    fig = _figure(3.8)
    ax = fig.add_subplot()
    ends = []
    for i, (border, part) in enumerate(table.sort_values("hours").groupby("border", sort=True)):
        colour = BORDER_COLOURS.get(str(border), PALETTE[i % len(PALETTE)])
        km = float(part["border_km"].iloc[0]) if "border_km" in part.columns else np.nan
        name = f"{label(border, chars=20)} ({km:,.0f} km)" if np.isfinite(km) else label(border, chars=20)
        ax.plot(part["hours"], part["covered_pct"], "o-", color=colour, label=name, markersize=4)
        ends.append((border, float(part["covered_pct"].iloc[-1]), float(part["hours"].iloc[-1])))
    if current_hours is not None:
        ax.axvline(float(current_hours), color="#777777", linestyle="--", linewidth=1)
        ax.annotate(
            f"now: {float(current_hours):g} h",
            (float(current_hours), 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(4, -12),
            textcoords="offset points",
            color="#555555",
            fontsize=10,
        )
    ax.set_xlabel("patrol time (h) of every BLO")
    ax.set_ylabel("border covered (%)")
    ax.set_ylim(bottom=0)
    ax.legend(loc="center left", bbox_to_anchor=(0.0, 0.62), fontsize=10)
    _title(fig, title)
    best = max(ends, key=lambda e: e[1])
    worst = min(ends, key=lambda e: e[1])
    return _chart(
        fig,
        "coverage_hours",
        title=title,
        caption=(
            f"Read how steeply each line climbs: longer patrols buy coverage where it is steep; at "
            f"{best[2]:g} h the {label(best[0])} border is {best[1]:.0f} % covered and the {label(worst[0])} "
            f"{worst[1]:.0f} %, so what patrol time cannot reach needs more offices."
        ),
        alt=(
            f"Line chart of the share of each border covered (%) against the patrol time (h) for "
            f"{', '.join(label(e[0]) for e in ends)}; at {best[2]:g} h from {worst[1]:.0f} % ({label(worst[0])}) "
            f"to {best[1]:.0f} % ({label(best[0])})."
        ),
    )


@_styled
def interdiction_curve_chart(
    curve: pd.DataFrame, *, mode: str = "close", line_label: str = "one more crossing at a time (greedy)"
) -> Chart:
    """Draw the traffickers' demand-weighted least cost against the number of crossings interdicted.

    Parameters
    ----------
    curve
        :attr:`~borderwatch.analysis.suite.NextTeamCurves.interdiction`:
        ``k``, ``cost_heq`` (greedy: each step the best next crossing) and
        ``exact_cost_heq`` (the exact optimum for that ``k``, where computed).
    mode
        ``close`` or ``inspect`` (the words of the title).
    line_label
        What the line's plans are (the legend): the greedy run, or a
        stochastic study's nested priority list.

    Returns
    -------
    Chart

    Examples
    --------
    >>> c = pd.DataFrame({"k": [0, 1, 2], "cost_heq": [10.0, 11.0, 11.5], "exact_cost_heq": [None, None, 11.6]})
    >>> "+1.00 h" in interdiction_curve_chart(c)
    True
    """
    verb = "closed" if mode == "close" else "inspected"
    title = f"What the next team buys: cost against crossings {verb}"
    require(curve, pd.DataFrame, where="interdiction_curve_chart", name="curve", columns=("k", "cost_heq"))
    require(mode, str, where="interdiction_curve_chart", name="mode", choices=("close", "inspect"))
    if curve.empty or len(curve) < 2:
        return placeholder_chart(title, "no crossing was interdicted (k = 0)")
    curve = curve.sort_values("k")
    k, cost = curve["k"].to_numpy(int), curve["cost_heq"].to_numpy(float)
    fig = _figure(3.6)
    ax = fig.add_subplot()
    ax.plot(k, cost, "o-", color=PALETTE[0], label=line_label)
    gains = np.diff(cost)
    for x, c, g in zip(k[1:], cost[1:], gains, strict=True):
        ax.annotate(f"+{g:.2f} h-eq", (x, c), xytext=(-5, 6), textcoords="offset points", ha="right", fontsize=10)
    if "exact_cost_heq" in curve.columns and curve["exact_cost_heq"].notna().any():
        exact = curve[curve["exact_cost_heq"].notna()]
        ax.plot(exact["k"], exact["exact_cost_heq"], "D", color=PALETTE[5], label="best set of k (exact)", markersize=7)
    ax.set_xticks(k)
    ax.set_xlabel(f"crossings {verb} (k)")
    ax.set_ylabel("demand-weighted least cost\n(h-eq)")
    ax.margins(y=0.18)
    ax.legend(loc="lower right", fontsize=10)
    _title(fig, title)
    best = int(np.argmax(gains)) + 1
    exact_words = ""
    if "exact_cost_heq" in curve.columns and pd.notna(curve["exact_cost_heq"].iloc[-1]):
        exact_words = f", the best set of {k[-1]} +{float(curve['exact_cost_heq'].iloc[-1]) - cost[0]:.2f} h-eq"
    return _chart(
        fig,
        "interdiction_curve",
        title=title,
        caption=(
            f"Read the step sizes: crossing {best} buys the most (+{gains[best - 1]:.2f} h-eq), all {k[-1]} one at a "
            f"time +{cost[-1] - cost[0]:.2f} h-eq ({100 * (cost[-1] - cost[0]) / cost[0]:.1f} %){exact_words}; where "
            "the steps shrink, a further team buys little, because the traffickers re-route to the next-cheapest "
            "crossing."
        ),
        alt=(
            f"Line chart of the traffickers' demand-weighted least cost (h-eq) against k = {k[0]} to {k[-1]} "
            f"crossings {verb}: from {cost[0]:.2f} to {cost[-1]:.2f} h-eq."
        ),
    )


@_styled
def siting_curve_chart(curve: pd.DataFrame, *, objective: str = "flow") -> Chart:
    """Coverage against the number of new BLO sites (each ``p`` solved exactly).

    Parameters
    ----------
    curve
        :attr:`~borderwatch.analysis.suite.NextTeamCurves.siting`: ``p`` and ``covered_pct``.
    objective
        ``flow`` (share of the crossing flow) or ``length`` (km of land border): the y-axis words.

    Returns
    -------
    Chart

    Examples
    --------
    >>> c = pd.DataFrame({"p": [0, 1, 2], "covered_pct": [40.0, 60.0, 65.0]})
    >>> "+20.0 points" in siting_curve_chart(c).caption
    True
    """
    title = "What the next BLO buys: coverage against new sites"
    require(curve, pd.DataFrame, where="siting_curve_chart", name="curve", columns=("p", "covered_pct"))
    require(objective, str, where="siting_curve_chart", name="objective", choices=("flow", "length"))
    if curve.empty or len(curve) < 2:
        return placeholder_chart(title, "no new site was placed (p = 0)")
    curve = curve.sort_values("p")
    p, pct = curve["p"].to_numpy(int), curve["covered_pct"].to_numpy(float)
    what = "crossing flow covered (%)" if objective == "flow" else "land border covered (%)"
    fig = _figure(3.6)
    ax = fig.add_subplot()
    ax.plot(p, pct, "o-", color=PALETTE[2])
    gains = np.diff(pct)
    for x, c, g in zip(p[1:], pct[1:], gains, strict=True):
        ax.annotate(f"+{g:.1f}", (x, c), xytext=(0, 7), textcoords="offset points", ha="center", fontsize=10)
    ax.set_xticks(p)
    ax.set_xlabel("new BLO sites (p), each set the best for its p")
    ax.set_ylabel(what)
    ax.set_ylim(0, min(100.0, max(pct) * 1.15 + 2))
    _title(fig, title)
    best = int(np.argmax(gains)) + 1
    return _chart(
        fig,
        "siting_curve",
        title=title,
        caption=(
            f"Read the step sizes: site {best} adds the most (+{gains[best - 1]:.1f} points); with {p[-1]} new sites "
            f"{pct[-1]:.1f} % is covered against {pct[0]:.1f} % today, and where the steps flatten another office "
            "adds little."
        ),
        alt=f"Line chart of the {what} against p = {p[0]} to {p[-1]} new BLO sites: {pct[0]:.1f} % to {pct[-1]:.1f} %.",
    )


@_styled
def convergence_chart(ensemble: Any, *, names: Mapping[str, str] | None = None, top: int = 5) -> Chart:
    """Ensemble convergence: the running mean flow share of the top gates against the number of samples.

    Parameters
    ----------
    ensemble
        An :class:`~borderwatch.analysis.ensemble.Ensemble`, or its
        ``gate_samples`` (one row per sample, one column per gate: share of the demand).
    names
        Gate id -> name for the legend.
    top
        Gates shown (highest mean flow).

    Returns
    -------
    Chart

    Examples
    --------
    >>> s = pd.DataFrame({"G1": [0.5, 0.7, 0.6, 0.6], "G2": [0.5, 0.3, 0.4, 0.4]})
    >>> "G1" in convergence_chart(s, top=2)
    True
    """
    title = "Ensemble convergence: running mean flow of the top gates"
    samples = ensemble if isinstance(ensemble, pd.DataFrame) else getattr(ensemble, "gate_samples", None)
    require(samples, pd.DataFrame, where="convergence_chart", name="ensemble")
    require(top, int, where="convergence_chart", name="top")
    if samples.empty or samples.shape[1] == 0:
        return placeholder_chart(title, "the ensemble has no samples")
    names = dict(names or {})
    means = samples.mean().sort_values(ascending=False)
    gates = [g for g in means.index[: max(top, 1)] if means[g] > 0] or list(means.index[:1])
    n = np.arange(1, len(samples) + 1)
    fig = _figure(3.8)
    ax = fig.add_subplot()
    moved = []
    for i, g in enumerate(gates):
        running = 100.0 * samples[g].cumsum().to_numpy() / n
        ax.plot(n, running, color=PALETTE[i % len(PALETTE)], label=label(names.get(g, g), chars=28))
        half = running[max(len(n) // 2 - 1, 0)]
        moved.append(abs(running[-1] - half))
    ax.set_xlabel("ensemble samples (count)")
    ax.set_ylabel("mean share of the demand (%)")
    ax.set_ylim(bottom=0)
    ax.set_xlim(1, max(len(n), 2))
    ax.legend(loc="upper right", fontsize=10, ncol=2 if len(gates) > 3 else 1)
    _title(fig, title)
    return _chart(
        fig,
        "convergence",
        title=title,
        caption=(
            f"Read the right-hand end: flat lines mean more samples would not change these gates' flow; between "
            f"half and all {len(n)} samples the top gates' means still move by up to {max(moved):.1f} points."
        ),
        alt=(
            f"Line chart of the running mean share of the demand (%) of the {len(gates)} gates with most flow "
            f"against the number of ensemble samples, 1 to {len(n)}."
        ),
    )


@_styled
def corridor_flow_chart(routes: pd.DataFrame, *, segments: pd.DataFrame | None = None) -> Chart:
    """Share of the demand per corridor: the least-cost route to each destination and where it enters Vietnam.

    Parameters
    ----------
    routes
        :attr:`~borderwatch.analysis.suite.RegionAnalysis.routes` (``destination``,
        ``rank``, ``share``, ``entry_crossing``, ``entry_name``, ``entry_border``;
        ``entry_lon``/``entry_lat`` to name an informal entry by its segment).
    segments
        Border segments (``segment_id``, line geometry): an informal entry is
        then named by the segment it crosses, as in the corridor table.

    Returns
    -------
    Chart

    Examples
    --------
    >>> r = pd.DataFrame({"destination": ["Hanoi"], "rank": [1], "share": [0.4], "entry_crossing": ["VN-LAO-005"],
    ...                   "entry_name": ["Na Meo"], "entry_border": ["LAO"]})
    >>> "Hanoi" in corridor_flow_chart(r)
    True
    """
    title = "Flow per corridor: least-cost route to each destination"
    require(routes, pd.DataFrame, where="corridor_flow_chart", name="routes")
    best = routes[routes["rank"] == 1] if "rank" in routes.columns else routes.iloc[:0]
    if best.empty:
        return placeholder_chart(title, "no route was computed")
    best = best.sort_values("share", ascending=True)
    crossed = _crossed_segments(best, segments)
    entries = [_entry(r, crossed.get(i)) for i, r in zip(best.index, best.itertuples(index=False), strict=True)]
    labels = [
        f"{label(str(d).removeprefix('export to '), chars=26)}\nvia {label(e, chars=26)}"
        for d, e in zip(best["destination"], entries, strict=True)
    ]
    share = 100.0 * best["share"].astype(float).to_numpy()
    fig = _figure(1.3 + 0.46 * len(best))
    ax = fig.add_subplot()
    colours = [
        BORDER_COLOURS.get(str(getattr(r, "entry_border", "")), PALETTE[3]) for r in best.itertuples(index=False)
    ]
    ax.barh(np.arange(len(best)), share, color=colours, height=0.65)
    for y, v in enumerate(share):
        ax.annotate(f"{v:.1f} %", (v, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=10)
    ax.set_yticks(np.arange(len(best)), labels)
    ax.set_xlabel("share of the demand (%)")
    borders = sorted({str(getattr(r, "entry_border", "")) for r in best.itertuples(index=False)} & set(BORDER_COLOURS))
    fig.legend(
        handles=[Patch(color=BORDER_COLOURS[b], label=f"enters Vietnam from {b}") for b in borders],
        loc="outside lower center",
        ncol=3,
        fontsize=10,
    )
    ax.set_xlim(0, max(share.max() * 1.18, 1.0))
    ax.grid(axis="y", visible=False)
    _title(fig, title)
    top = best.iloc[-1]
    return _chart(
        fig,
        "corridors",
        title=title,
        caption=(
            f"Read which entries recur: the largest corridor carries {100 * float(top['share']):.1f} % of the demand "
            f"to {label(top['destination'], chars=60)} via {label(entries[-1], chars=60)}; a crossing on several "
            "bars feeds several markets."
        ),
        alt=(
            f"Horizontal bar chart of the share of the demand (%) on the least-cost route to each of "
            f"{len(best)} destinations, with the crossing where each enters Vietnam."
        ),
    )


@_styled
def seaport_flow_chart(ports: pd.DataFrame, *, top: int = 10) -> Chart:
    """Share of all demand leaving through each Vietnamese seaport: least cost against the ensemble mean.

    Parameters
    ----------
    ports
        :func:`~borderwatch.seaport_flows` (``vn_seaport``, ``share``, ``ensemble_share``).
    top
        Seaports shown (largest least-cost or ensemble share; those under 0.5 % in both are left out).

    Returns
    -------
    Chart

    Examples
    --------
    >>> p = pd.DataFrame({"vn_seaport": ["SP-01 Cat Lai"], "share": [0.1], "ensemble_share": [0.08]})
    >>> "Cat Lai" in seaport_flow_chart(p)
    True
    """
    title = "Flow per seaport: share of all demand shipped from it"
    require(
        ports, pd.DataFrame, where="seaport_flow_chart", name="ports", columns=("vn_seaport", "share", "ensemble_share")
    )
    require(top, int, where="seaport_flow_chart", name="top")
    if ports.empty:
        return placeholder_chart(title, "no flow goes overseas")
    by = ports.groupby("vn_seaport")[["share", "ensemble_share"]].sum()
    by = by[(by["share"] > 0) | (by["ensemble_share"] >= 0.005)]
    by = by.loc[by.max(axis=1).sort_values(ascending=False).index[:top]].sort_values(["share", "ensemble_share"])
    if by.empty:
        return placeholder_chart(title, "no flow goes overseas")
    y = np.arange(len(by))
    fig = _figure(1.4 + 0.36 * len(by))
    ax = fig.add_subplot()
    ax.barh(y + 0.19, 100 * by["share"], height=0.38, color=PALETTE[0], label="least cost")
    ax.barh(y - 0.19, 100 * by["ensemble_share"], height=0.38, color=PALETTE[1], label="ensemble mean")
    ax.set_yticks(y, [label(s, chars=30) for s in by.index])
    ax.set_xlabel("share of all demand (%)")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", fontsize=10)
    _title(fig, title)
    first = by.index[-1]
    return _chart(
        fig,
        "seaports",
        title=title,
        caption=(
            f"Read the blue bars as the model's answer and the orange as what is plausible: {label(first, chars=60)} "
            f"ships {100 * by['share'].iloc[-1]:.1f} % of all demand at least cost; ensemble bars spread over dearer "
            "seaports."
        ),
        alt=(
            f"Horizontal bar chart of the share of all demand (%) shipped from the {len(by)} Vietnamese seaports "
            "with most, at least cost and as the ensemble mean."
        ),
    )


@_styled
def rank_shift_chart(comparison: Any, *, top: int = 15) -> Chart:
    """Draw a comparison's rank shifts: each top gate's rank in the baseline (circle) and the scenario (arrow).

    Parameters
    ----------
    comparison
        A :class:`~borderwatch.analysis.compare.Comparison`, or its ``gates``
        table (``name``, ``rank_base``, ``rank_scenario``, ``edit``).
    top
        Gates shown: those ranked 1 to ``top`` in either run.

    Returns
    -------
    Chart

    Examples
    --------
    >>> g = pd.DataFrame({"name": ["A", "B"], "rank_base": [1, 2], "rank_scenario": [2, 1], "edit": ["", ""]})
    >>> "rank in the baseline" in rank_shift_chart(g).alt
    True
    """
    title = "Rank shifts: gate risk rank before and after the edits"
    gates = comparison if isinstance(comparison, pd.DataFrame) else getattr(comparison, "gates", None)
    require(gates, pd.DataFrame, where="rank_shift_chart", name="comparison")
    require(top, int, where="rank_shift_chart", name="top")
    if gates.empty or not {"rank_base", "rank_scenario"} <= set(gates.columns):
        return placeholder_chart(title, "no gate is ranked in either run")
    base = pd.Series(_numbers(gates["rank_base"]), index=gates.index)
    after = pd.Series(_numbers(gates["rank_scenario"]), index=gates.index)
    shown = gates[(base <= top) | (after <= top)].assign(_b=base, _a=after)
    if shown.empty:
        return placeholder_chart(title, "no gate is ranked in either run")
    shown = shown.sort_values(["_b", "_a"], na_position="last")
    y = np.arange(len(shown))
    fig = _figure(1.3 + 0.3 * len(shown))
    ax = fig.add_subplot()
    edits = shown["edit"].fillna("").astype(str) if "edit" in shown.columns else pd.Series("", index=shown.index)
    for yi, b, a, e in zip(y, shown["_b"], shown["_a"], edits, strict=True):
        if np.isfinite(b):
            ax.plot([b], [yi], "o", color=PALETTE[0], markersize=6)
        if np.isfinite(a) and np.isfinite(b) and a != b:
            colour = PALETTE[5] if a < b else PALETTE[2]
            ax.annotate("", (a, yi), (b, yi), arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 1.5})
        elif np.isfinite(a) and not np.isfinite(b):
            ax.plot([a], [yi], "s", color=PALETTE[5], markersize=6)
        if not np.isfinite(a):
            ax.annotate(
                label(e or "not ranked", chars=16),
                (b, yi),
                xytext=(8, 0),
                textcoords="offset points",
                va="center",
                fontsize=10,
                color="#555555",
            )
    names = [label(n, chars=28) for n in shown["name"].where(shown["name"].astype(str) != "", shown.get("gate_id"))]
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlabel("risk rank (1 = highest); circle: baseline, arrow: scenario")
    ax.set_xlim(left=0.5)
    ax.grid(axis="y", visible=False)
    _title(fig, title)
    change = (shown["_b"] - shown["_a"]).abs()
    moved = int((change > 0).sum())
    most = shown.loc[change.idxmax(), "name"] if moved else None
    return _chart(
        fig,
        "rank_shift",
        title=title,
        caption=(
            f"Read the arrows: red points left (a higher risk after the edits), green right (lower); {moved} of the "
            f"{len(shown)} gates shown move" + (f", {label(most, chars=60)} the most." if most is not None else ".")
        ),
        alt=(
            f"Dot-and-arrow chart of {len(shown)} gates' rank in the baseline and in the scenario; {moved} change rank."
        ),
    )


@_styled
def displacement_chart(comparison: Any, *, top: int = 12) -> Chart:
    """Draw a comparison's flow displacement: the ensemble flow each crossing gains or loses, with its interval.

    Parameters
    ----------
    comparison
        A :class:`~borderwatch.analysis.compare.Comparison`, or its
        ``displacement`` table (``kind``, ``id``, ``name``, ``flow_change``,
        optionally ``flow_change_low``/``flow_change_high``).
    top
        Crossings shown (largest change first).

    Returns
    -------
    Chart

    Examples
    --------
    >>> d = pd.DataFrame({"kind": ["gate", "segment"], "id": ["G1", "LAO-1"], "name": ["A", ""],
    ...                   "flow_change": [-0.2, 0.2]})
    >>> "LAO-1" in displacement_chart(d)
    True
    """
    title = "Flow displacement: flow gained and lost per crossing"
    moved = comparison if isinstance(comparison, pd.DataFrame) else getattr(comparison, "displacement", None)
    require(moved, pd.DataFrame, where="displacement_chart", name="comparison", columns=("id", "flow_change"))
    require(top, int, where="displacement_chart", name="top")
    if moved.empty:
        return placeholder_chart(title, "no crossing's flow changes")
    shown = moved.reindex(moved["flow_change"].abs().sort_values(ascending=False).index).head(max(top, 1))
    shown = shown.sort_values("flow_change")
    change = 100.0 * shown["flow_change"].astype(float).to_numpy()
    y = np.arange(len(shown))
    fig = _figure(1.3 + 0.3 * len(shown))
    ax = fig.add_subplot()
    ax.barh(y, change, color=[PALETTE[2] if c > 0 else PALETTE[5] for c in change], height=0.65)
    if {"flow_change_low", "flow_change_high"} <= set(shown.columns):
        low, high = 100.0 * _numbers(shown["flow_change_low"]), 100.0 * _numbers(shown["flow_change_high"])
        ok = np.isfinite(low) & np.isfinite(high)
        ax.hlines(y[ok], low[ok], high[ok], color="#333333", linewidth=1.2)
    names = [
        f"{label(n, chars=24) if isinstance(n, str) and n.strip() else label(i, chars=24)} ({label(k, chars=8)})"
        for n, i, k in zip(shown.get("name", shown["id"]), shown["id"], shown.get("kind", ""), strict=True)
    ]
    ax.set_yticks(y, names)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_xlabel("change in ensemble flow (% of the demand)\nline: 5–95 % of the paired samples")
    ax.grid(axis="y", visible=False)
    _title(fig, title)
    gain, loss = change.max(), change.min()
    return _chart(
        fig,
        "displacement",
        title=title,
        caption=(
            f"Read green as where the flow goes and red as where it left: the largest gain is {max(gain, 0):+.1f} "
            f"points and the largest loss {min(loss, 0):+.1f}; a line crossing zero means the shift is not sure."
        ),
        alt=(
            f"Horizontal bar chart of the change in ensemble flow (% of the demand) at the {len(shown)} crossings "
            "that change most, gains and losses, with 5–95 % intervals."
        ),
    )


# ---------------------------------------------------------------------------- drawing and writing


def _numbers(values: pd.Series) -> np.ndarray:
    """Return a column as floats, NaN for anything missing or not a number (nullable integers included)."""
    return pd.to_numeric(values, errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def _crossed_segments(routes: pd.DataFrame, segments: pd.DataFrame | None) -> dict[Any, str]:
    """Route index -> the border segment its informal entry crosses (as the corridor table names it)."""
    if segments is None or not {"entry_lon", "entry_lat"} <= set(routes.columns):
        return {}
    from .crossings import SEGMENT_MATCH_M
    from .network.nearest import PointIndex

    informal = routes[(routes["entry_crossing"] == "informal") & routes["entry_lon"].notna()]
    if informal.empty:
        return {}
    found = PointIndex.of_line_middles(segments, "segment_id").nearest_ids(
        informal["entry_lon"].to_numpy(float), informal["entry_lat"].to_numpy(float), max_m=SEGMENT_MATCH_M
    )
    return {i: str(s) for i, s in zip(informal.index, found, strict=True) if s is not None}


def _entry(route: Any, segment: str | None = None) -> str:
    crossing = str(_get(route, "entry_crossing") or "")
    if crossing == "informal":
        return f"informal {segment}" if segment else f"informal ({_get(route, 'entry_border') or '?'})"
    return str(_get(route, "entry_name") or crossing or "none")


def _get(row: Any, name: str) -> Any:
    value = row.get(name) if isinstance(row, pd.Series) else getattr(row, name, None)
    return None if value is None or (isinstance(value, float) and not np.isfinite(value)) else value


def _title(fig: Figure, title: str) -> None:
    fig.suptitle(label(title, chars=60), x=0.01, ha="left", fontsize=12)


def _figure(height_in: float) -> Figure:
    fig = Figure(figsize=(WIDTH_IN, max(height_in, 1.4)), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _chart(fig: Figure, name: str, *, title: str, caption: str, alt: str) -> Chart:
    """Write a figure as inline SVG (deterministic, scalable, titled) and wrap it in a :class:`Chart`."""
    buffer = io.StringIO()
    with rc_context({"svg.hashsalt": f"borderwatch-{name}"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    width = re.search(r'width="([\d.]+)pt"', svg)
    natural_px = round(float(width.group(1)) * 4 / 3) if width else 700
    chart_id = f"bwchart-{name}"
    svg = re.sub(
        r'<svg ([^>]*?)width="[\d.]+pt" height="[\d.]+pt"',
        rf'<svg \1id="{chart_id}" width="100%" style="max-width:{natural_px}px;height:auto" role="img" '
        rf'aria-labelledby="{chart_id}-title {chart_id}-desc"',
        svg,
        count=1,
    )
    head = svg.index(">") + 1
    svg = (
        svg[:head]
        + f'<title id="{chart_id}-title">{html.escape(title)}</title>'
        + f'<desc id="{chart_id}-desc">{html.escape(alt)}</desc>'
        + svg[head:]
    )
    return Chart(svg.strip() + "\n", title=title, caption=caption, alt=alt)


def report_charts(analysis: Any, *, comparison: Any = None) -> dict[str, str]:
    """Return every chart of the report's ``index.html`` as HTML ``<figure>`` elements, by the section they join.

    Parameters
    ----------
    analysis
        A :class:`~borderwatch.analysis.suite.RegionAnalysis`.
    comparison
        A :class:`~borderwatch.analysis.compare.Comparison` for the what-if section, or ``None``.

    Returns
    -------
    dict
        ``corridors``, ``seaports``, ``ranking`` (ranking and convergence),
        ``coverage``, ``siting``, ``interdiction`` and, with a comparison,
        ``comparison`` (rank shifts and displacement): HTML, each chart a
        ``<figure>`` with its caption (a pair side by side where there is room).

    Examples
    --------
    On the shipped data (``a = bw.analyse_region(bw.Scenario.from_region())``):

    >>> sorted(report_charts(a))[:3]  # doctest: +SKIP
    ['corridors', 'coverage', 'interdiction']
    """
    from .analysis.routes import seaport_flows

    a = analysis
    names = dict(zip(a.ranking.gates["gate_id"], a.ranking.gates["name"], strict=True))
    curves = a.curves
    mode = a.interdiction.mode
    out = {
        "corridors": [corridor_flow_chart(a.routes, segments=a.segments)],
        "seaports": [seaport_flow_chart(seaport_flows(a.scenario, chokepoints=a.chokepoints))],
        "ranking": [ranking_chart(a.ranking), convergence_chart(a.chokepoints.ensemble, names=names)],
        "coverage": [coverage_hours_chart(coverage_by_hours(a.coverage), current_hours=a.coverage.hours)],
        "siting": [
            siting_curve_chart(curves.siting, objective=curves.objective)
            if curves is not None
            else placeholder_chart("What the next BLO buys", "the analysis computed no curves")
        ],
        "interdiction": [
            interdiction_curve_chart(curves.interdiction, mode=mode)
            if curves is not None
            else placeholder_chart("What the next team buys", "the analysis computed no curves")
        ],
    }
    if comparison is not None:
        out["comparison"] = [rank_shift_chart(comparison), displacement_chart(comparison)]
    return {
        section: f'<div class="charts">{"".join(c.figure_html() for c in charts)}</div>'
        for section, charts in out.items()
    }
