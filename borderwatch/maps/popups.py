"""Popup and tooltip HTML: every value from data escaped, numbers formatted with their units.

A popup is a title, a few sentences in plain words, a two-column table of
label and value, and folded below (``<details>``) the model's own figures
and the record's provenance (source, coordinate precision, how it was
placed on the border).  Nothing from a data file reaches the page unescaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd


def text(value: Any) -> str:
    """Format a value for display, escaped: numbers rounded, missing values as an en dash.

    Parameters
    ----------
    value
        Any value.

    Returns
    -------
    str
        Escaped HTML text.
    """
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, np.generic):  # numpy scalars format as the Python ones
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"
    value = str(value).strip()
    return html.escape(value) if value and value.lower() != "nan" else "–"


def popup(
    title: Any,
    rows: Iterable[tuple[str, Any]],
    *,
    provenance: Iterable[tuple[str, Any]] = (),
    lead: Iterable[str] = (),
    details: Iterable[tuple[str, Any]] = (),
) -> str:
    """Build a popup: a title, sentences, a table of metrics, and folded below the model's figures and provenance.

    Parameters
    ----------
    title
        The heading (escaped).
    rows
        (label, value) pairs; labels are written by borderwatch, values escaped.
    provenance
        (label, value) pairs folded under "Provenance".
    lead
        Sentences in plain words shown first (plain text, escaped).
    details
        (label, value) pairs folded under "Model figures".

    Returns
    -------
    str
        HTML.
    """
    parts = [f'<div class="bw-popup"><h4>{text(title)}</h4>']
    parts += [f"<p>{html.escape(sentence)}</p>" for sentence in lead if sentence]
    parts.append(_table(rows))
    for heading, pairs in (("Model figures", list(details)), ("Provenance", list(provenance))):
        if pairs:
            table = _table(pairs, "bw-prov-table")
            parts.append(f'<details><summary class="bw-prov">{heading}</summary>{table}</details>')
    parts.append("</div>")
    return "".join(parts)


def _table(rows: Iterable[tuple[str, Any]], cls: str = "") -> str:
    """Build a two-column table of label and value (rows whose value is missing are left out)."""
    body = "".join(
        f"<tr><th>{html.escape(label)}</th><td>{text(value)}</td></tr>" for label, value in rows if text(value) != "–"
    )
    if not body:
        return ""
    return f'<table class="{cls}">{body}</table>' if cls else f"<table>{body}</table>"


def percent(share: Any) -> str | None:
    """Format a share (0..1) as a whole percentage for display (None when it is not a number)."""
    try:
        value = float(share)
    except (TypeError, ValueError):
        return None
    return f"{100 * value:.0f} %" if math.isfinite(value) else None


def tooltip(*values: Any) -> str:
    """Build a one-line tooltip from values (escaped, joined by " · ").

    Parameters
    ----------
    *values
        The values (missing ones skipped).

    Returns
    -------
    str
        HTML.
    """
    return " · ".join(text(v) for v in values if text(v) != "–")
