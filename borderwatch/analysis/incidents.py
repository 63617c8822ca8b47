"""Incident history: read a CSV of seizures or arrests and match each to a gate or border segment.

The file (UTF-8 CSV, one incident per row) has a ``date`` column (ISO
``YYYY-MM-DD``, or any date pandas reads whose day and month order is plain:
``01/02/2020`` is refused as ambiguous, ``13/02/2020`` is 13 February; ``2019``
or ``2019-05`` for a year or a month) and, per row, a ``gate_id``, a
``segment_id`` (a border segment, ``borderwatch list segments``), ``lat``/``lon``
in degrees WGS84, or only a ``province`` (the incident is known by province
only); optional ``incident_id``, ``weight`` (e.g. number of seizures or kg;
default 1) and ``date_precision`` (``day``, ``month`` or ``year``; default: what
the date says, ``2019-05`` is a month).  An incident with a ``gate_id`` counts
for that gate, one with a ``segment_id`` for that segment; one with coordinates
for the nearest gate within ``match_km``, else the nearest border segment within
``match_km``, else it is unmatched and reported.  A province-only incident is
matched to no crossing here (``match`` = ``province``): the calibration spreads
it over the province's crossings (:mod:`borderwatch.analysis.calibrate`).
"""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import DataFileError, ValidationError
from ..geodesy import lonlat_to_metres, to_metres
from ..names import close_matches, fold
from ..readers import check_file

#: Columns an incidents file may have; ``date`` and ``gate_id`` or ``lat``/``lon`` are required.
INCIDENT_COLUMNS = (
    "incident_id",
    "date",
    "date_precision",
    "gate_id",
    "segment_id",
    "lat",
    "lon",
    "province",
    "weight",
)
#: Precisions a date may state, finest first.
DATE_PRECISIONS = ("day", "month", "year")

_MAX_LISTED = 10


def read_incidents(
    path: str | Path,
    *,
    gates: pd.DataFrame,
    segments: gpd.GeoDataFrame,
    bounds: tuple[float, float, float, float],
    match_km: float,
    provinces: list[str] | None = None,
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
    provinces
        Province names a ``province`` must be one of (any name when ``None``).

    Returns
    -------
    pandas.DataFrame
        One row per incident: ``incident_id``, ``line`` (line number in the
        file), ``date``, ``weight``, ``gate_id`` (matched gate or ""),
        ``segment_id`` (matched segment or ""), ``province`` (as given, or ""),
        ``date_precision``, ``match`` (``gate_id``, ``gate``, ``segment``,
        ``province`` or ``unmatched``) and ``distance_km``.

    Raises
    ------
    DataFileError
        The file is missing, empty or not a readable CSV.
    ValidationError
        Missing columns, an unparseable or ambiguous date, a precision finer than
        the date, a bad weight, coordinates missing or outside the region, or an
        unknown gate id, segment id or province (each row named).
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
    header_problem = incident_header_problem(list(df.columns), what=what)
    if header_problem:
        raise ValidationError([header_problem])
    located = {"lat", "lon"} <= set(df.columns)
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
    precision = _date_precision(df, line, problems)
    weight = pd.Series(1.0, index=df.index)
    if "weight" in df.columns:
        weight = pd.to_numeric(df["weight"].replace("", "1"), errors="coerce")
        for i in np.flatnonzero(~(np.isfinite(weight) & (weight >= 0)).to_numpy()):
            problems.append(f"line {line[i]}: weight {df['weight'].iloc[i]!r} is not a number >= 0")
    gate_given = _column(df, "gate_id")
    known = set(gates["id"])
    for i in np.flatnonzero(((gate_given != "") & ~gate_given.isin(known)).to_numpy()):
        problems.append(
            f"line {line[i]}: gate_id {gate_given.iloc[i]!r} is not a gate of the table; "
            "use an id from 'borderwatch list gates', or give lat/lon instead"
        )
    segment_given = _column(df, "segment_id").where(gate_given == "", "")
    for i in np.flatnonzero(
        ((segment_given != "") & ~segment_given.isin(set(segments.get("segment_id", [])))).to_numpy()
    ):
        problems.append(
            f"line {line[i]}: segment_id {segment_given.iloc[i]!r} is not a border segment; "
            "use an id from 'borderwatch list segments', or give lat/lon instead"
        )
    province_given = _column(df, "province")
    lat_text = _column(df, "lat")
    lon_text = _column(df, "lon")
    nowhere_else = (gate_given == "") & (segment_given == "") & (lat_text == "") & (lon_text == "")
    by_province = nowhere_else & (province_given != "")
    if provinces is not None:
        folded = {fold(p) for p in provinces}
        for i in np.flatnonzero((by_province & ~province_given.map(fold).isin(folded)).to_numpy()):
            near = close_matches(province_given.iloc[i], provinces)
            problems.append(
                f"line {line[i]}: province {province_given.iloc[i]!r} is not a province of the data"
                + (f" (did you mean {', '.join(near)}?)" if near else "")
                + "; use a name of the provinces layer, or give gate_id or lat/lon"
            )
    lat = pd.to_numeric(df["lat"], errors="coerce") if located else pd.Series(np.nan, index=df.index)
    lon = pd.to_numeric(df["lon"], errors="coerce") if located else pd.Series(np.nan, index=df.index)
    needs_position = ((gate_given == "") & (segment_given == "") & ~by_province).to_numpy()
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
    match = np.where(
        gate_given != "", "gate_id", np.where(segment_given != "", "segment", np.where(by_province, "province", ""))
    )
    out = pd.DataFrame(
        {
            "incident_id": ids.to_numpy(),
            "line": line,
            "date": date.to_numpy(),
            "date_precision": precision,
            "weight": weight.to_numpy(dtype=float),
            "gate_id": gate_given.to_numpy(),
            "segment_id": segment_given.to_numpy(),
            "province": province_given.to_numpy(),
            "match": np.where(needs_position, "unmatched", match),
            "distance_km": np.where(needs_position, np.nan, np.where(by_province, np.nan, 0.0)),
        }
    )
    rows = np.flatnonzero(needs_position)
    if len(rows):
        _match_positions(out, rows, lon.to_numpy()[rows], lat.to_numpy()[rows], gates, segments, match_km * 1000.0)
    return out


def incident_header_problem(columns: list[str], *, what: str) -> str | None:
    """Return what is wrong with an incidents file's header (lower-cased column names), or ``None``.

    Parameters
    ----------
    columns
        The column names, stripped and lower-cased.
    what
        How the message names the file.
    """
    where = {"gate_id", "segment_id", "province"} & set(columns) or {"lat", "lon"} <= set(columns)
    if "date" in columns and where:
        return None
    return (
        f"{what} has columns {', '.join(columns) or '(none)'}; it needs 'date' and either 'gate_id' or 'lat' and "
        "'lon' (degrees WGS84), or 'segment_id', or 'province' (incidents known by province only)"
    )


def check_incidents_header(path: str | Path) -> int:
    """Check an incidents file's header without reading its rows into tables; return its number of data rows.

    For commands that must refuse a bad file before loading the region or the graph.

    Parameters
    ----------
    path
        The CSV file.

    Returns
    -------
    int
        Non-blank data rows.

    Raises
    ------
    DataFileError
        Missing, empty or unreadable file.
    ValidationError
        A header without the needed columns, or no data row.
    """
    path = Path(path)
    what = f"incidents file {str(path)!r}"
    check_file(path, "incidents file", missing_hint="give a CSV with date and gate_id or lat/lon columns")
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataFileError(f"{what} is not a readable CSV ({exc}); save it as UTF-8 CSV") from exc
    if not rows:
        raise DataFileError(f"{what} is empty; give a header line and one incident per line")
    problem = incident_header_problem([c.strip().lower() for c in rows[0]], what=what)
    if problem:
        raise ValidationError([problem])
    data = [r for r in rows[1:] if any(c.strip() for c in r)]
    if not data:
        raise ValidationError([f"{what} has a header but no incident row; give one incident per line"])
    return len(data)


def _column(df: pd.DataFrame, name: str) -> pd.Series:
    return df[name].str.strip() if name in df.columns else pd.Series("", index=df.index)


def _date_precision(df: pd.DataFrame, line: np.ndarray, problems: list[str]) -> np.ndarray:
    """Each date's precision: as stated (``date_precision``), else what its text gives (``2019-05``: month)."""
    text = df["date"].str.strip()
    implied = np.where(
        text.str.fullmatch(r"\d{4}"), "year", np.where(text.str.fullmatch(r"\d{4}[-/.]\d{1,2}"), "month", "day")
    )
    if "date_precision" not in df.columns:
        return implied
    stated = df["date_precision"].str.strip().str.lower()
    rank = {p: i for i, p in enumerate(DATE_PRECISIONS)}
    for i in np.flatnonzero((stated != "").to_numpy()):
        if stated.iloc[i] not in rank:
            problems.append(
                f"line {line[i]}: date_precision {df['date_precision'].iloc[i]!r} is not one of "
                f"{', '.join(DATE_PRECISIONS)}"
            )
        elif rank[stated.iloc[i]] < rank[implied[i]]:
            problems.append(
                f"line {line[i]}: date {text.iloc[i]!r} gives only a {implied[i]}, coarser than date_precision "
                f"{stated.iloc[i]!r}; give the full date or date_precision {str(implied[i])!r}"
            )
    return np.where(stated.isin(list(rank)), stated, implied)


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
