"""Popup and tooltip HTML: every value from data escaped, numbers formatted with their units.

A popup is a title and a two-column table of label and value; a
``provenance`` block says where the record comes from (source, coordinate
precision, how it was placed on the border).  Nothing from a data file
reaches the page unescaped.
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


def popup(title: Any, rows: Iterable[tuple[str, Any]], *, provenance: Iterable[tuple[str, Any]] = ()) -> str:
    """Build a popup: a title, a table of metrics, and the record's provenance.

    Parameters
    ----------
    title
        The heading (escaped).
    rows
        (label, value) pairs; labels are written by borderwatch, values escaped.
    provenance
        (label, value) pairs shown under "Provenance".

    Returns
    -------
    str
        HTML.
    """
    parts = [f'<div class="bw-popup"><h4>{text(title)}</h4><table>']
    parts += [f"<tr><th>{html.escape(label)}</th><td>{text(value)}</td></tr>" for label, value in rows]
    parts.append("</table>")
    prov = list(provenance)
    if prov:
        parts.append('<div class="bw-prov">Provenance</div><table class="bw-prov-table">')
        parts += [f"<tr><th>{html.escape(label)}</th><td>{text(value)}</td></tr>" for label, value in prov]
        parts.append("</table>")
    parts.append("</div>")
    return "".join(parts)


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
