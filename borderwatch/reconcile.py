"""Reconcile the shipped gate, BLO and seaport tables against published counts.

Published figures (Tran Quang Huyen 2019, JLPG vol. 85, doi:10.7176/JLPG/85-24).
The China row states a total of 40 gates, but its own class counts (5 / 3 / 42)
add up to 50; both are reported, never silently fixed.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from .doors import LAYER_FIX, require
from .schema import GATE_CLASSES, NEIGHBOURS

PUBLISHED_SOURCE = "Tran Quang Huyen (2019), JLPG vol. 85, doi:10.7176/JLPG/85-24"
PUBLISHED_GATES: dict[str, dict[str, int]] = {
    "LAO": {"international": 7, "primary": 6, "secondary": 39},
    "CHN": {"international": 5, "primary": 3, "secondary": 42},
    "KHM": {"international": 9, "primary": 7, "secondary": 31},
}
PUBLISHED_GATE_TOTALS_STATED: dict[str, int] = {"LAO": 52, "CHN": 40, "KHM": 47}
PUBLISHED_BLOS: dict[str, tuple[str, ...]] = {
    "LAO": ("Cau Treo", "Lao Bao", "Dien Bien", "Moc Chau", "Que Phong"),
    "CHN": ("Mong Cai", "Thanh Thuy", "Lao Cai", "Lang Son"),
    "KHM": ("Moc Bai", "Xa Mat", "An Phu", "Tinh Bien", "Tan Chau"),
}
PUBLISHED_SEAPORTS = 44
PUBLISHED_COASTLINE_KM = 3260.0


def gate_counts(gates: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Gates per border and class, every border x class present (zeros included)."""
    table = pd.crosstab(gates["border"], gates["class"]).reindex(
        index=list(NEIGHBOURS), columns=list(GATE_CLASSES), fill_value=0
    )
    return {b: {c: int(table.at[b, c]) for c in GATE_CLASSES} for b in NEIGHBOURS}


def gate_reconciliation(gates: pd.DataFrame) -> pd.DataFrame:
    """Compare data with published gate counts, one row per border x class plus totals.

    Parameters
    ----------
    gates
        Layer ``gates`` (columns ``border`` and ``class``).

    Returns
    -------
    pandas.DataFrame
        ``border``, ``class``, ``data``, ``published``, ``difference``
        (data - published) and ``note`` (the China total inconsistency).

    Raises
    ------
    ParameterError
        ``gates`` is not a table with columns ``border`` and ``class``.
    """
    require(gates, pd.DataFrame, where="gate_reconciliation", name="gates", columns=("border", "class"), fix=LAYER_FIX)
    counts = gate_counts(gates)
    rows = []
    for b in NEIGHBOURS:
        for c in GATE_CLASSES:
            rows.append({"border": b, "class": c, "data": counts[b][c], "published": PUBLISHED_GATES[b][c], "note": ""})
        class_sum = sum(PUBLISHED_GATES[b].values())
        stated = PUBLISHED_GATE_TOTALS_STATED[b]
        note = (
            ""
            if class_sum == stated
            else f"published total stated as {stated}, but its class counts add up to {class_sum}"
        )
        rows.append(
            {"border": b, "class": "total", "data": sum(counts[b].values()), "published": class_sum, "note": note}
        )
    df = pd.DataFrame(rows)
    df["difference"] = df["data"] - df["published"]
    return df[["border", "class", "data", "published", "difference", "note"]]


def blo_reconciliation(blos: gpd.GeoDataFrame) -> pd.DataFrame:
    """Each published BLO matched by name and border against the BLO table.

    Parameters
    ----------
    blos
        Layer ``blos``.

    Returns
    -------
    pandas.DataFrame
        ``border``, ``published_name``, ``in_data`` (bool), ``blo_id``; BLOs in
        the data but not in the published list follow with ``published_name`` empty.

    Raises
    ------
    ParameterError
        ``blos`` is not a table with columns ``id``, ``border`` and ``name``.
    """
    require(
        blos, pd.DataFrame, where="blo_reconciliation", name="blos", columns=("id", "border", "name"), fix=LAYER_FIX
    )
    rows = []
    matched: set[str] = set()
    for border, names in PUBLISHED_BLOS.items():
        for name in names:
            hit = blos[(blos["border"] == border) & (blos["name"].str.casefold() == name.casefold())]
            blo_id = hit["id"].iloc[0] if len(hit) else ""
            matched.update(hit["id"])
            rows.append(
                {
                    "border": border,
                    "published_name": name,
                    "in_data": bool(len(hit)),
                    "blo_id": blo_id,
                    "data_name": hit["name"].iloc[0] if len(hit) else "",
                }
            )
    for _, blo in blos[~blos["id"].isin(matched)].iterrows():
        rows.append(
            {
                "border": blo["border"],
                "published_name": "",
                "in_data": True,
                "blo_id": blo["id"],
                "data_name": blo["name"],
            }
        )
    return pd.DataFrame(rows)
