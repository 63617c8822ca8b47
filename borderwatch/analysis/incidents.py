"""Incident history: read a CSV of seizures or arrests and match each to a gate or border segment.

The file (UTF-8 CSV, one incident per row) has a ``date`` column (ISO
``YYYY-MM-DD``, or any date pandas reads whose day and month order is plain:
``01/02/2020`` is refused as ambiguous, ``13/02/2020`` is 13 February) and either a
``gate_id`` or ``lat``/``lon`` in degrees WGS84; optional ``incident_id`` and
``weight`` (e.g. number of seizures or kg; default 1).  An incident with a
``gate_id`` counts for that gate; one with coordinates counts for the nearest
gate within ``match_km``, else for the nearest border segment within
``match_km``, else it is unmatched and reported.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import DataFileError, ValidationError
from ..geodesy import lonlat_to_metres, to_metres
from ..readers import check_file

#: Columns an incidents file may have; ``date`` and ``gate_id`` or ``lat``/``lon`` are required.
INCIDENT_COLUMNS = ("incident_id", "date", "gate_id", "lat", "lon", "weight")
_MAX_LISTED = 10


def read_incidents(
    path: str | Path,
    *,
    gates: pd.DataFrame,
    segments: gpd.GeoDataFrame,
    bounds: tuple[float, float, float, float],
    match_km: float,
) -> pd.DataFrame:
    """Read and match an incidents file.

    Parameters
    ----------
    path
        The CSV file.
    gates
        Gate table with ``id``, ``lon``, ``lat`` (positions on the border).
    segments
        Border segments (``segment_id``, geometry in EPSG:4326).
    bounds
        (min lon, min lat, max lon, max lat) of the region; incidents outside are rejected.
    match_km
        Largest distance (km) at which a located incident matches a gate or segment.

    Returns
    -------
    pandas.DataFrame
        One row per incident: ``incident_id``, ``line`` (line number in the
        file), ``date``, ``weight``, ``gate_id`` (matched gate or ""),
        ``segment_id`` (matched segment or ""), ``match`` (``gate_id``,
        ``gate``, ``segment`` or ``unmatched``) and ``distance_km``.

    Raises
    ------
    DataFileError
        The file is missing, empty or not a readable CSV.
    ValidationError
        Missing columns, an unparseable or ambiguous date, a bad weight, coordinates
        missing or outside the region, or an unknown gate id (each row named).
    """
    path = Path(path)
    what = f"incidents file {str(path)!r}"
    check_file(path, "incidents file", missing_hint="give a CSV with date and gate_id or lat/lon columns")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError as exc:
        raise DataFileError(f"{what} is empty; give a header line and one incident per line") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{what} is not a readable CSV ({exc}); save it as UTF-8 CSV") from exc
    df.columns = [c.strip().lower() for c in df.columns]
    located = {"lat", "lon"} <= set(df.columns)
    if "date" not in df.columns or not ("gate_id" in df.columns or located):
        raise ValidationError(
            [
                f"{what} has columns {', '.join(df.columns) or '(none)'}; it needs 'date' and either 'gate_id' or "
                "'lat' and 'lon' (degrees WGS84)"
            ]
        )
    problems: list[str] = []
    line = np.arange(len(df)) + 2  # the header is line 1
    date = pd.to_datetime(df["date"].str.strip(), errors="coerce", format="mixed")
    ambiguous = _ambiguous_dates(df["date"])
    for i in np.flatnonzero(ambiguous.to_numpy()):
        problems.append(
            f"line {line[i]}: date {df['date'].iloc[i]!r} is ambiguous (day and month could be either way round, "
            "or the year has two digits); write it as ISO 8601 YYYY-MM-DD"
        )
    for i in np.flatnonzero((date.isna() & ~ambiguous).to_numpy()):
        problems.append(f"line {line[i]}: date {df['date'].iloc[i]!r} cannot be read; write it as YYYY-MM-DD")
    weight = pd.Series(1.0, index=df.index)
    if "weight" in df.columns:
        weight = pd.to_numeric(df["weight"].replace("", "1"), errors="coerce")
        for i in np.flatnonzero(~(np.isfinite(weight) & (weight >= 0)).to_numpy()):
            problems.append(f"line {line[i]}: weight {df['weight'].iloc[i]!r} is not a number >= 0")
    gate_given = df["gate_id"].str.strip() if "gate_id" in df.columns else pd.Series("", index=df.index)
    known = set(gates["id"])
    for i in np.flatnonzero(((gate_given != "") & ~gate_given.isin(known)).to_numpy()):
        problems.append(
            f"line {line[i]}: gate_id {gate_given.iloc[i]!r} is not a gate of the table; "
            "use an id from 'borderwatch list gates', or give lat/lon instead"
        )
    lat = pd.to_numeric(df["lat"], errors="coerce") if located else pd.Series(np.nan, index=df.index)
    lon = pd.to_numeric(df["lon"], errors="coerce") if located else pd.Series(np.nan, index=df.index)
    needs_position = (gate_given == "").to_numpy()
    min_lon, min_lat, max_lon, max_lat = bounds
    for i in np.flatnonzero(needs_position):
        la, lo = lat.iloc[i], lon.iloc[i]
        if not (np.isfinite(la) and np.isfinite(lo)):
            typed = [(c, df[c].iloc[i]) for c in ("lat", "lon") if located and df[c].iloc[i].strip()]
            bad = [(c, text) for c, text in typed if not np.isfinite(pd.to_numeric(text, errors="coerce"))]
            problems.extend(
                f"line {line[i]}: {c} {text!r} is not a number; give decimal degrees WGS84 (e.g. 20.8367, not "
                "20°50'12\"N)"
                for c, text in bad
            )
            if not bad:
                problems.append(f"line {line[i]}: no gate_id and no numeric lat/lon; give one or the other")
        elif not (min_lat <= la <= max_lat and min_lon <= lo <= max_lon):
            problems.append(
                f"line {line[i]}: lat/lon ({la}, {lo}) is outside the region "
                f"(lon {min_lon:.1f}..{max_lon:.1f}, lat {min_lat:.1f}..{max_lat:.1f}); check the order and the sign"
            )
    if problems:
        more = len(problems) - _MAX_LISTED
        listed = problems[:_MAX_LISTED] + ([f"... and {more} more"] if more > 0 else [])
        raise ValidationError([f"{what}: {p}" for p in listed])

    ids = df["incident_id"] if "incident_id" in df.columns else pd.Series([f"line {n}" for n in line])
    out = pd.DataFrame(
        {
            "incident_id": ids.to_numpy(),
            "line": line,
            "date": date.to_numpy(),
            "weight": weight.to_numpy(dtype=float),
            "gate_id": gate_given.to_numpy(),
            "segment_id": "",
            "match": np.where(needs_position, "unmatched", "gate_id"),
            "distance_km": np.where(needs_position, np.nan, 0.0),
        }
    )
    rows = np.flatnonzero(needs_position)
    if len(rows):
        _match_positions(out, rows, lon.to_numpy()[rows], lat.to_numpy()[rows], gates, segments, match_km * 1000.0)
    return out


def _ambiguous_dates(text: pd.Series) -> pd.Series:
    """Dates like ``01/02/2020`` (1 February or 2 January?) or ``13/02/20`` (two-digit year)."""
    parts = text.str.strip().str.extract(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")
    first, second = pd.to_numeric(parts[0]), pd.to_numeric(parts[1])
    either_way = (first <= 12) & (second <= 12) & (first != second)
    return parts[0].notna() & (either_way | (parts[2].str.len() == 2))


def _match_positions(
    out: pd.DataFrame,
    rows: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    gates: pd.DataFrame,
    segments: gpd.GeoDataFrame,
    max_m: float,
) -> None:
    points = shapely.points(lonlat_to_metres(lon, lat))
    gate_points = shapely.points(lonlat_to_metres(gates["lon"].to_numpy(), gates["lat"].to_numpy()))
    (which, gate), gap = shapely.STRtree(gate_points).query_nearest(points, return_distance=True, all_matches=False)
    gate_d = np.full(len(rows), np.inf)
    gate_of = np.full(len(rows), -1)
    gate_d[which], gate_of[which] = gap, gate
    near_gate = gate_d <= max_m
    out.loc[rows[near_gate], "gate_id"] = gates["id"].to_numpy()[gate_of[near_gate]]
    out.loc[rows[near_gate], "match"] = "gate"
    out.loc[rows[near_gate], "distance_km"] = gate_d[near_gate] / 1000.0
    rest = np.flatnonzero(~near_gate)
    if not len(rest) or segments.empty:
        return
    lines = to_metres(segments.geometry.to_numpy())
    (which, seg), gap = shapely.STRtree(lines).query_nearest(points[rest], return_distance=True, all_matches=False)
    close = gap <= max_m
    target = rows[rest[which[close]]]
    out.loc[target, "segment_id"] = segments["segment_id"].to_numpy()[seg[close]]
    out.loc[target, "match"] = "segment"
    out.loc[target, "distance_km"] = gap[close] / 1000.0
