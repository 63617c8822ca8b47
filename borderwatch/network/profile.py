"""The cost model: a typed, validated profile and the one generalised-cost formula.

The default profile is the TOML file shipped beside this module
(``profile.toml``, documented key by key).  A user file overrides any subset of
its keys.  Every key is declared once in :data:`OPTIONS` with its type, range
and meaning (the geopandas ``Option`` idea); a value is checked by its own
validator, so an unknown key, a string where a number belongs, NaN, infinity or
an out-of-range value is a :class:`~borderwatch.errors.ProfileError` that names
the file and the key.  All problems are reported together.

:func:`edge_cost` is the only place the generalised cost is computed: the graph
builder and every analysis that re-weights edges call it.
"""

from __future__ import annotations

import copy
import math
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from ..doors import PATH, require
from ..errors import ProfileError

#: Harbour sizes of the World Port Index.
HARBOR_SIZES = ("Very Small", "Small", "Medium", "Large")


def _number(
    *, low: float = -math.inf, high: float = math.inf, low_open: bool = False, integer: bool = False
) -> Callable[[Any], str | None]:
    """Make a validator for a finite number in a range; it returns the problem or None."""

    def check(value: Any) -> str | None:
        kind = "an integer" if integer else "a number"
        if isinstance(value, bool) or not isinstance(value, int | float) or (integer and not isinstance(value, int)):
            return f"must be {kind}, got {type(value).__name__} {value!r}"
        if not math.isfinite(value):
            return f"must be a finite number, got {value!r}"
        if (value <= low) if low_open else (value < low):
            return f"must be {'>' if low_open else '>='} {low:g}, got {value!r}"
        if value > high:
            return f"must be <= {high:g}, got {value!r}"
        return None

    check.__doc__ = f"{'integer' if integer else 'number'} {'>' if low_open else '>='} {low:g}" + (
        f" and <= {high:g}" if math.isfinite(high) else ""
    )
    return check


def _boolean(value: Any) -> str | None:
    """Check that a value is a TOML boolean; return the problem or None."""
    return None if isinstance(value, bool) else f"must be true or false, got {type(value).__name__} {value!r}"


_boolean.__doc__ = "true or false"  # how problem messages describe the rule


def _points(value: Any) -> str | None:
    """Check a list of [lon, lat] pairs of finite numbers; return the problem or None."""
    ok = isinstance(value, list) and all(
        isinstance(p, list)
        and len(p) == 2
        and all(isinstance(c, int | float) and not isinstance(c, bool) and math.isfinite(c) for c in p)
        and -180 <= p[0] <= 180
        and -90 <= p[1] <= 90
        for p in value
    )
    return None if ok else f"must be a list of [lon, lat] pairs, e.g. [[105.94, 13.95]], got {value!r}"


_points.__doc__ = "list of [lon, lat] pairs"


def _point(value: Any) -> str | None:
    """Check one [lon, lat] pair of finite numbers; return the problem or None."""
    return None if isinstance(value, list) and _points([value]) is None else f"must be [lon, lat], got {value!r}"


_point.__doc__ = "a [lon, lat] pair"


def _string_list(*, allowed: tuple[str, ...] | None = None) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f'must be a list of strings, e.g. ["a", "b"], got {type(value).__name__} {value!r}'
        bad = [v for v in value if allowed is not None and v not in allowed]
        if bad:
            return f"has {bad[0]!r}, which is not one of {', '.join(allowed or ())}"
        return None

    check.__doc__ = "list of strings" + (f" from {', '.join(allowed)}" if allowed else "")
    return check


def _band_refine(value: Any) -> str | None:
    """Check ``lattice.band_refine``: 0 (no band) or an integer from 2 to 8; return the problem or None."""
    problem = _number(low=0, high=8, integer=True)(value)
    if problem is None and value == 1:
        return "is 1, which makes band cells as large as the lattice's; use 0 to turn the band off or 2 to 8"
    return problem


_band_refine.__doc__ = "0 (no band) or an integer from 2 to 8"

_POSITIVE = _number(low=0.0, low_open=True)
_NON_NEGATIVE = _number(low=0.0)
_EXPOSURE = _number(low=0.0, high=1.0)
#: Upper bounds far beyond anything real, so a typo (1e30 km/h, 1e308 h) is refused instead of
#: producing zero or infinite edge times: land and connector speeds up to 200 km/h (a motorway is
#: 80-120), boats and ships up to 100 km/h, walking peaks up to 30 km/h (Tobler's is 6), delays and
#: dwells up to 720 h (30 days), the exposure weight up to 8760 h (a year).
_SPEED_KMH = _number(low=0.0, high=200.0, low_open=True)
_BOAT_SPEED_KMH = _number(low=0.0, high=100.0, low_open=True)
_WALK_SPEED_KMH = _number(low=0.0, high=30.0, low_open=True)
_DELAY_H = _number(low=0.0, high=720.0)
_EXPOSURE_WEIGHT_H = _number(low=0.0, high=8760.0)


@dataclass(frozen=True)
class Option:
    """One profile key: where it lives, how it is checked, what it means.

    Attributes
    ----------
    key
        Dotted key, e.g. ``"cost.exposure_weight_h"``; a trailing ``.*``
        marks an open table whose entries the user names (``demand.*``).
    validate
        Returns a problem description for a bad value, else ``None``.
    doc
        Meaning and unit.
    """

    key: str
    validate: Callable[[Any], str | None]
    doc: str


#: Every key of a profile.  Open tables (``.*``) take any entry names.
OPTIONS: dict[str, Option] = {
    o.key: o
    for o in [
        Option(
            "cost.exposure_weight_h",
            _EXPOSURE_WEIGHT_H,
            "hours a trafficker would trade to avoid one certain detection",
        ),
        Option("cost.min_edge_cost_h", _POSITIVE, "floor on any edge cost (h), so zero-length links stay positive"),
        Option("road.speed_kmh.*", _SPEED_KMH, "speed (km/h) per road class"),
        Option("road.default_speed_kmh", _SPEED_KMH, "speed (km/h) of road classes not listed"),
        Option("road.exposure_per_km", _EXPOSURE, "detection-risk proxy per km of road"),
        Option("road.snap_tolerance_m", _NON_NEGATIVE, "dangling road ends within this distance (m) are joined"),
        Option("offroad.peak_speed_kmh", _WALK_SPEED_KMH, "Tobler's peak walking speed (km/h)"),
        Option(
            "offroad.load_factor",
            _number(low=0.0, high=10.0, low_open=True),
            "speed multiplier for a loaded porter or motorbike",
        ),
        Option("offroad.detour_factor", _number(low=1.0, high=10.0), "real track length over lattice length (>= 1)"),
        Option("offroad.exposure_per_km", _EXPOSURE, "detection-risk proxy per km off-road"),
        Option("informal_crossing.delay_h", _DELAY_H, "extra time (h) of an off-road border crossing"),
        Option("informal_crossing.exposure", _EXPOSURE, "exposure of an off-road border crossing"),
        *(
            Option(f"gate.{cls}.{key}", check, doc.format(cls=cls))
            for cls in ("international", "primary", "secondary")
            for key, check, doc in (
                ("delay_h", _DELAY_H, "queue and paperwork delay (h) at a {cls} gate"),
                ("exposure", _EXPOSURE, "inspection exposure at a {cls} gate"),
            )
        ),
        Option(
            "gate_link.include_unplaced",
            _boolean,
            "route through gates that cannot be placed plausibly (snap_plausible = false) too",
        ),
        Option("connector.speed_kmh", _SPEED_KMH, "speed (km/h) on connectors between layers"),
        Option("connector.exposure_per_km", _EXPOSURE, "exposure per km on connectors"),
        Option("connector.max_km", _number(low=0.0, high=10.0, low_open=True), "longest straight connector (km)"),
        Option("river.navigable", _string_list(), "names of navigable rivers (layer 'rivers' column 'name')"),
        Option("river.speed_kmh", _BOAT_SPEED_KMH, "boat speed (km/h)"),
        Option("river.exposure_per_km", _EXPOSURE, "exposure per km on a river"),
        Option("river.landing_spacing_km", _POSITIVE, "distance (km) between river landings"),
        Option("river.barriers", _points, "falls and rapids no boat passes, as [lon, lat] pairs"),
        Option("river.barrier_radius_km", _POSITIVE, "river lines are cut within this distance (km) of a barrier"),
        Option("sea.speed_kmh", _BOAT_SPEED_KMH, "ship speed (km/h)"),
        Option("sea.port_dwell_h", _DELAY_H, "container dwell at the port of loading (h)"),
        Option("sea.exposure", _EXPOSURE, "container inspection exposure at the port of loading"),
        Option("sea.coastal_dwell_h", _DELAY_H, "loading time of a coastal leg between Vietnamese ports (h)"),
        Option(
            "sea.port_road_km",
            _number(low=0.0, high=50.0),
            "longest port access road to a port no road reaches within connector.max_km (km; 0: none)",
        ),
        Option(
            "sea.overseas_harbor_sizes",
            _string_list(allowed=HARBOR_SIZES),
            "World Port Index harbour sizes of overseas ports",
        ),
        Option(
            "lattice.refine",
            _number(low=1, high=16, integer=True),
            "terrain lattice cells per DEM cell along each axis (1 = DEM grid)",
        ),
        Option(
            "lattice.band_km",
            _number(low=0.0, high=50.0),
            "half-width (km) of the finer border band on each side of the land border (0 = no band)",
        ),
        Option("lattice.band_refine", _band_refine, "border-band cells per lattice cell along each axis (0 = no band)"),
        Option("export.destinations.*", _NON_NEGATIVE, "share of export demand per overseas port 'Name (Country)'"),
        Option("export.beyond_box_factor", _number(low=1.0, high=3.0), "great-circle multiplier beyond the DEM's box"),
        Option("ensemble.samples", _number(low=1, high=100000, integer=True), "perturbed routings in the ensemble"),
        Option("ensemble.seed", _number(low=0, integer=True), "random seed of the ensemble"),
        Option("ensemble.sigma_edge", _number(low=0.0, high=3.0), "log-sd of the per-edge cost factor"),
        Option("ensemble.sigma_gate", _number(low=0.0, high=3.0), "log-sd of the per-gate cost factor"),
        *(
            Option(f"closing.{cls}", _NON_NEGATIVE, f"cost of closing one {cls} gate (patrol teams)")
            for cls in ("international", "primary", "secondary")
        ),
        Option("closing.informal_per_km", _NON_NEGATIVE, "cost of closing a km of border to informal crossings"),
        Option("cut.within_pct", _number(low=0.0, high=1000.0), "the cut blocks routes up to this % above least cost"),
        *(
            Option(f"ranking.{c}", _NON_NEGATIVE, f"weight of the '{c}' component of the gate score")
            for c in ("flow", "usage", "criticality", "cut", "pinch", "exposure", "travel", "incidents")
        ),
        Option("ranking.incident_match_km", _POSITIVE, "incidents match a gate or segment within this distance (km)"),
        Option("interdiction.inspect_exposure", _EXPOSURE, "exposure added to an inspected crossing"),
        *(
            Option(f"inspection.detection.{cls}", _EXPOSURE, f"chance a team at a {cls} crossing finds a load")
            for cls in ("international", "primary", "secondary", "informal")
        ),
        Option("demand.*", _NON_NEGATIVE, "share of flow from the origin to each destination"),
        Option("origins.share.*", _NON_NEGATIVE, "share of all demand starting at each origin"),
        Option("origins.position.*", _point, "where an origin other than the Golden Triangle lies"),
    ]
}


def _option_for(path: tuple[str, ...]) -> Option | None:
    dotted = ".".join(path)
    if dotted in OPTIONS:
        return OPTIONS[dotted]
    return OPTIONS.get(".".join((*path[:-1], "*")))


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(value)
    return value


class Profile(Mapping):
    """A validated cost profile: a read-only mapping of tables.

    Read values as ``profile["cost"]["exposure_weight_h"]`` or
    ``profile.value("cost.exposure_weight_h")``.  Build one with
    :func:`load_profile` (defaults, a TOML file, keyword overrides) or
    :meth:`from_dict`; either validates every key.

    Parameters
    ----------
    data
        Nested tables, already validated.
    source
        Where the values came from (for messages and manifests).
    """

    def __init__(self, data: dict[str, Any], *, source: str = "default profile") -> None:
        self._data = copy.deepcopy(data)
        self._frozen = _freeze(self._data)
        self.source = source

    def __getitem__(self, table: str) -> Any:
        return self._frozen[table]

    def __iter__(self) -> Iterator[str]:
        return iter(self._frozen)

    def __len__(self) -> int:
        return len(self._frozen)

    def __repr__(self) -> str:
        return f"Profile(source={self.source!r})"

    def value(self, dotted: str) -> Any:
        """Return the value at a dotted key.

        Parameters
        ----------
        dotted
            E.g. ``"gate.primary.delay_h"``.

        Returns
        -------
        Any
            The value (tables as read-only mappings).
        """
        node: Any = self._frozen
        for part in dotted.split("."):
            node = node[part]
        return node

    def to_dict(self) -> dict[str, Any]:
        """Return a deep copy as plain nested dicts and lists (JSON-ready)."""
        return copy.deepcopy(self._data)

    @property
    def demand(self) -> dict[str, float]:
        """Destination name -> share of flow (the ``[demand]`` table)."""
        return dict(self._data["demand"])

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "dict") -> Profile:
        """Validate a nested dict (e.g. a saved graph's profile) over the defaults.

        Parameters
        ----------
        data
            Any subset of the profile's tables.
        source
            How messages name where the values came from.

        Returns
        -------
        Profile

        Raises
        ------
        ProfileError
            Every problem, one per line.
        """
        return _build([(source, dict(data))], source)


#: Profile tables that only analyses read (the graph cache key ignores them).
ANALYSIS_TABLES = ("ensemble", "closing", "cut", "ranking", "interdiction", "inspection")


def build_part(profile: Profile) -> dict[str, Any]:
    """Return the part of a profile that builds the graph: every table but :data:`ANALYSIS_TABLES`, no shares.

    Parameters
    ----------
    profile
        A cost profile.

    Returns
    -------
    dict
        JSON-ready; the ``[demand]`` table keeps its destination names (they
        are graph nodes) with the shares dropped, ``[origins]`` its positions
        (the origins' shares are analysis values).

    Examples
    --------
    >>> part = build_part(load_profile(ensemble={"samples": 7}))
    >>> "ensemble" in part, part["demand"][:2]
    (False, ['China border', 'Da Nang'])
    """
    data = profile.to_dict()
    out = {k: v for k, v in data.items() if k not in ANALYSIS_TABLES}
    out["demand"] = sorted(name for name, share in data.get("demand", {}).items())
    out["origins"] = {"position": data.get("origins", {}).get("position", {})}
    return out


def default_profile() -> Profile:
    """Return the shipped default profile (``profile.toml``)."""
    return _build([], "default profile")


def _default_data() -> dict[str, Any]:
    text = resources.files("borderwatch.network").joinpath("profile.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def load_profile(path: str | Path | Profile | Mapping[str, Any] | None = None, **overrides: Any) -> Profile:
    """Default profile, updated by a TOML file and/or keyword tables, then checked.

    Parameters
    ----------
    path
        A TOML file with any subset of the default keys (or an existing
        :class:`Profile` or nested dict, validated again).
    **overrides
        Tables to merge on top, e.g. ``informal_crossing={"delay_h": 2}``.

    Returns
    -------
    Profile
        The merged, validated profile.

    Raises
    ------
    ParameterError
        ``path`` is neither a path, a profile, a dict nor None.
    ProfileError
        Unknown key, wrong type, NaN/infinity or out-of-range value (all
        problems listed, each naming the file and the key).
    """
    require(path, (*PATH, Profile, Mapping, None), where="load_profile", name="path", fix="give a TOML file")
    updates: list[tuple[str, dict[str, Any]]] = []
    source = "default profile"
    if isinstance(path, Profile):
        updates.append((path.source, path.to_dict()))
        source = path.source
    elif isinstance(path, Mapping):
        updates.append(("profile dict", dict(path)))
        source = "profile dict"
    elif path is not None:
        path = Path(path)
        try:
            updates.append((str(path), tomllib.loads(path.read_text(encoding="utf-8"))))
        except FileNotFoundError as exc:
            raise ProfileError(f"profile file {str(path)!r} does not exist; check the --profile path") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ProfileError(f"profile file {str(path)!r} is not valid TOML ({exc})") from exc
        except IsADirectoryError as exc:
            raise ProfileError(f"profile {str(path)!r} is a folder; give a TOML file") from exc
        source = str(path)
    if overrides:
        updates.append(("keyword overrides", overrides))
        source = f"{source} + keyword overrides"
    return _build(updates, source)


def _build(updates: list[tuple[str, dict[str, Any]]], source: str) -> Profile:
    data = _default_data()
    problems: list[str] = []
    for origin, update in updates:
        _merge(data, update, (), origin, problems)
    problems.extend(check_profile(data))
    if problems:
        raise ProfileError("cost profile problems:\n" + "\n".join(f"  - {p}" for p in dict.fromkeys(problems)))
    return Profile(data, source=source)


def _merge(
    base: dict[str, Any], update: Mapping[str, Any], where: tuple[str, ...], origin: str, problems: list[str]
) -> None:
    for key, value in update.items():
        path = (*where, key)
        dotted = ".".join(path)
        if isinstance(base.get(key), dict):
            if not isinstance(value, Mapping):
                problems.append(f"{origin}: key {dotted!r} must be a table, got {value!r}")
            else:
                _merge(base[key], value, path, origin, problems)
        elif key not in base and _option_for(path) is None:
            valid = ", ".join(sorted(base))
            problems.append(f"{origin}: unknown key {dotted!r}; valid keys here: {valid}")
        else:
            option = _option_for(path)
            problem = option.validate(value) if option is not None else None
            if problem:
                problems.append(f"{origin}: key {dotted!r} {problem} ({option.validate.__doc__}: {option.doc})")
            else:
                base[key] = copy.deepcopy(value)


def check_profile(profile: Mapping[str, Any]) -> list[str]:
    """Every impossible value in a complete profile (empty when it is usable).

    Parameters
    ----------
    profile
        Nested tables.

    Returns
    -------
    list of str
        One line per problem.
    """
    problems: list[str] = []

    def walk(table: Mapping[str, Any], where: tuple[str, ...]) -> None:
        for key, value in table.items():
            path = (*where, key)
            option = _option_for(path)
            if option is None and isinstance(value, Mapping):
                walk(value, path)
            elif option is None:
                problems.append(f"unknown key {'.'.join(path)!r}")
            else:
                problem = option.validate(value)
                if problem:
                    problems.append(f"key {'.'.join(path)!r} {problem}")

    walk(profile, ())
    demand = profile.get("demand", {})
    if demand and not sum(v for v in demand.values() if isinstance(v, int | float)) > 0:
        problems.append("table 'demand': the shares sum to 0; give at least one destination a share > 0")
    origins = profile.get("origins", {}).get("share", {})
    if origins and not sum(v for v in origins.values() if isinstance(v, int | float)) > 0:
        problems.append("key 'origins.share': the shares sum to 0; give one origin a share > 0")
    several = sorted(k for k, v in origins.items() if isinstance(v, int | float) and v > 0)
    if len(several) > 1:
        problems.append(
            f"key 'origins.share': {', '.join(several)} all have a share > 0, but the analyses route from one origin "
            "at a time; give one origin the whole share (the others 0)"
        )
    return problems


def edge_cost(time_h: float | np.ndarray, exposure: float | np.ndarray, *, profile: Mapping[str, Any]) -> np.ndarray:
    """Generalised cost (h) of edges: ``max(min_edge_cost_h, time_h + exposure_weight_h * exposure)``.

    Parameters
    ----------
    time_h
        Travel time (h), scalar or array.
    exposure
        Detection-risk proxy in [0, 1], same shape.
    profile
        A profile (its ``[cost]`` table is used).

    Returns
    -------
    numpy.ndarray
        Cost in hours (0-d for scalar input; ``float()`` it).

    Raises
    ------
    ParameterError
        ``time_h`` or ``exposure`` is not a number or array, ``profile`` not a profile.
    """
    for name, value in (("time_h", time_h), ("exposure", exposure)):
        numbers = (int, float, np.number, np.ndarray, list, tuple)
        require(value, numbers, where="edge_cost", name=name, fix="give a number or a numpy array (Series.to_numpy())")
    require(profile, Mapping, where="edge_cost", name="profile", fix="give load_profile()")
    cost = profile["cost"]
    return np.maximum(
        cost["min_edge_cost_h"],
        np.asarray(time_h, dtype=float) + cost["exposure_weight_h"] * np.asarray(exposure, dtype=float),
    )


def profile_toml(profile: Profile, *, comments: tuple[str, ...] = ()) -> str:
    """Return a profile as TOML: the keys that differ from the default profile, under ``comments``.

    The text is a profile file every command accepts (``--profile``): reading it
    gives ``profile`` again (the default fills the keys left out).

    Parameters
    ----------
    profile
        A profile.
    comments
        Lines written at the top as ``#`` comments (provenance).

    Returns
    -------
    str

    Examples
    --------
    >>> text = profile_toml(load_profile(informal_crossing={"delay_h": 4.0}))
    >>> print(text.strip())
    [informal_crossing]
    delay_h = 4.0
    >>> load_profile(tomllib.loads(text)).value("informal_crossing.delay_h")
    4.0
    """
    require(profile, Profile, where="profile_toml", name="profile", fix="give load_profile()")
    changed = _difference(profile.to_dict(), default_profile().to_dict())
    lines = [f"# {line}".rstrip() for text in comments for line in text.splitlines()]
    lines += _toml_tables(changed, ())
    return "\n".join(lines).strip("\n") + "\n"


def _difference(data: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            inner = _difference(value, base[key])
            if inner:
                out[key] = inner
        elif key not in base or base[key] != value:
            out[key] = value
    return out


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() else _toml_value(key)


def _toml_value(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int | str):
        return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):  # an inline table (only below a table of scalars)
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise ProfileError(f"profile value {value!r} of type {type(value).__name__} cannot be written as TOML")


def _toml_tables(data: dict[str, Any], path: tuple[str, ...]) -> list[str]:
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict) or not _has_tables(v, (*path, k))}
    lines = [f"\n[{'.'.join(_toml_key(p) for p in path)}]"] if path and scalars else []
    lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in scalars.items()]
    for key, value in data.items():
        if key not in scalars:
            lines += _toml_tables(value, (*path, key))
    return lines


def _has_tables(value: dict[str, Any], path: tuple[str, ...]) -> bool:
    """Whether a table is written under a [header]: all but the open tables (``road.speed_kmh``), written inline."""
    return ".".join((*path, "*")) not in OPTIONS or any(isinstance(v, dict) for v in value.values())
