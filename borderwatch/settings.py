"""Analysis settings: everything an analysis reads that does not build the graph.

The cost profile (:mod:`borderwatch.network.profile`) is one TOML file for the
user, but it holds two kinds of values.  Its build tables (speeds, delays,
exposures, the lattice, rivers, sea, export ports) decide the route graph and
are what the graph cache key hashes
(:func:`~borderwatch.network.profile.build_part`).  Its analysis tables
(``[ensemble]``, ``[cut]``, ``[closing]``, ``[ranking]``, ``[interdiction]``
and the shares of ``[demand]``) only change how the graph is analysed; they
live in :class:`Settings`, with the BLO patrol hours and the border segment
length, so changing one never rebuilds the graph
(:meth:`borderwatch.Scenario.with_settings`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .errors import ParameterError
from .network.profile import ANALYSIS_TABLES, OPTIONS, Option, Profile, _number, build_part

__all__ = ["ANALYSIS_TABLES", "RANGES", "Settings", "build_part", "check_range", "check_settings"]

#: Ranking weight names (the ``[ranking]`` table without ``incident_match_km``).
WEIGHT_NAMES = ("flow", "usage", "criticality", "cut", "pinch", "exposure", "travel", "incidents")
#: Settings field -> the profile key it comes from and is validated as.
PROFILE_KEYS = {
    "samples": "ensemble.samples",
    "seed": "ensemble.seed",
    "sigma_edge": "ensemble.sigma_edge",
    "sigma_gate": "ensemble.sigma_gate",
    "within_pct": "cut.within_pct",
    "incident_match_km": "ranking.incident_match_km",
    "inspect_exposure": "interdiction.inspect_exposure",
}


#: Most crossings an interdiction closes, and most new BLO sites a siting places (the exact solvers' time grows
#: with the count; the shipped data has 156 gates and about 1,100 border segments).
MAX_UNITS = 100


def _positive(value: Any) -> str | None:
    """Check a finite number > 0; return the problem or None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        return f"must be a finite number > 0, got {value!r}"
    return None


_positive.__doc__ = "number > 0"  # how help texts describe the range


#: The one range of every number an analysis takes, by name: the profile's keys for the ensemble, and the
#: call parameters (the CLI checks each option against these before loading anything; the analyses and
#: :class:`Settings` check the same ranges).
RANGES: dict[str, Option] = {
    "samples": OPTIONS["ensemble.samples"],
    "seed": OPTIONS["ensemble.seed"],
    "hours": Option("hours", _positive, "patrol time of a BLO (h)"),
    "segment_length_km": Option("segment_length_km", _positive, "border segment length (km)"),
    "stretch_km": Option(
        "stretch_km", _number(low=1.0, high=10000.0), "planning length: longest uncovered stretch listed (km)"
    ),
    "interdict_k": Option("interdict_k", _number(low=0, high=MAX_UNITS, integer=True), "crossings to interdict"),
    "site_p": Option("site_p", _number(low=0, high=MAX_UNITS, integer=True), "new BLO sites"),
    "target_pct": Option("target_pct", _number(low=0.0, high=100.0, low_open=True), "coverage to reach (%)"),
    "min_current": Option("min_current", _number(low=0.0), "least pinch-point current listed"),
    "time_limit_s": Option("time_limit_s", _number(low=0.0, high=86400.0, low_open=True), "solver time limit (s)"),
}


def check_range(name: str, value: Any, *, what: str | None = None) -> None:
    """Check a value against its range in :data:`RANGES`.

    Parameters
    ----------
    name
        The key of :data:`RANGES` (``"samples"``, ``"interdict_k"`` ...).
    value
        The value.
    what
        How the message names it (default ``name``; the CLI passes the option, e.g. ``"--k"``).

    Raises
    ------
    ParameterError
        The value is of the wrong type, not finite, or out of range (the message gives the range).

    Examples
    --------
    >>> check_range("samples", 10_000_000, what="--samples")
    Traceback (most recent call last):
    ...
    borderwatch.errors.ParameterError: --samples must be <= 100000, got 10000000
    """
    problem = RANGES[name].validate(value)
    if problem:
        raise ParameterError(f"{what or name} {problem}")


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Settings:
    """Typed, validated analysis settings (see the module docstring).

    Build one from a profile with :meth:`from_profile`; derive others with
    :meth:`replace`, which validates the changed fields.

    Attributes
    ----------
    samples, seed, sigma_edge, sigma_gate
        The ensemble: samples, random seed, log-sd of the per-edge and per-gate cost factors.
    within_pct
        The minimum cut blocks routes up to this % above least cost (``math.inf``: every route, however dear).
        :meth:`cut_bound` is what the cut takes.
    closing
        Closing cost of a gate by class and ``informal_per_km``.
    weights
        Weights of the gate risk score's components.
    incident_match_km
        Incidents match a gate or segment within this distance.
    inspect_exposure
        Exposure added to an inspected crossing.
    demand
        Destination name -> share of the flow.
    hours
        Patrol time (h) of every BLO without its own.
    blo_hours
        BLO id -> patrol time (h).
    segment_length_km
        Length of the border and coast segments every metric is reported on.
    blo_at_gate
        A BLO whose recorded position is coarser than its gate's stands at the
        gate (:func:`borderwatch.patrol.blo_sites`); ``False`` keeps every
        recorded position (for the sensitivity of coverage to that rule).
    stretch_km
        Planning length (km): a run of uncovered border longer than this is
        listed as several stretches, none longer (split at segment ends;
        :func:`~borderwatch.analysis.coverage.split_run`).

    Examples
    --------
    >>> from borderwatch.network.profile import default_profile
    >>> s = Settings.from_profile(default_profile())
    >>> s.samples, s.replace(samples=40).samples
    (200, 40)
    """

    samples: int
    seed: int
    sigma_edge: float
    sigma_gate: float
    within_pct: float
    closing: Mapping[str, float]
    weights: Mapping[str, float]
    incident_match_km: float
    inspect_exposure: float
    demand: Mapping[str, float]
    hours: float = 2.0
    blo_hours: Mapping[str, float] = field(default_factory=dict)
    segment_length_km: float = 5.0
    blo_at_gate: bool = True
    stretch_km: float = 50.0

    def __post_init__(self) -> None:
        for name in ("closing", "weights", "demand", "blo_hours"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        problems = check_settings(self)
        if problems:
            raise ParameterError("analysis settings: " + "; ".join(problems))

    @classmethod
    def from_profile(cls, profile: Profile, **changes: Any) -> Settings:
        """Read the analysis tables of a profile, then apply ``changes`` (field name -> value).

        Parameters
        ----------
        profile
            A validated cost profile.
        **changes
            Fields to set (validated), e.g. ``samples=40, hours=4``.

        Returns
        -------
        Settings
        """
        ranking = dict(profile["ranking"])
        base = cls(
            samples=int(profile["ensemble"]["samples"]),
            seed=int(profile["ensemble"]["seed"]),
            sigma_edge=float(profile["ensemble"]["sigma_edge"]),
            sigma_gate=float(profile["ensemble"]["sigma_gate"]),
            within_pct=float(profile["cut"]["within_pct"]),
            closing=dict(profile["closing"]),
            weights={k: float(ranking[k]) for k in WEIGHT_NAMES},
            incident_match_km=float(ranking["incident_match_km"]),
            inspect_exposure=float(profile["interdiction"]["inspect_exposure"]),
            demand=dict(profile["demand"]),
        )
        return base.replace(**changes) if changes else base

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with ``changes`` (validated; ``None`` values keep the current one).

        Parameters
        ----------
        **changes
            Field name -> new value.  ``weights``, ``closing``, ``demand`` and
            ``blo_hours`` merge into the current table.

        Returns
        -------
        Settings

        Raises
        ------
        ParameterError
            An unknown field (the message lists them) or a bad value.
        """
        names = [f.name for f in dataclasses.fields(self)]
        unknown = sorted(set(changes) - set(names))
        if unknown:
            raise ParameterError(f"unknown settings {', '.join(map(repr, unknown))}; settings are {', '.join(names)}")
        merged = {}
        for key, value in changes.items():
            if value is None:
                continue
            if key in ("weights", "closing", "demand", "blo_hours"):
                if not isinstance(value, Mapping):
                    raise ParameterError(f"settings {key!r} must be a table (name -> number), got {value!r}")
                value = {**getattr(self, key), **value}
            merged[key] = value
        return dataclasses.replace(self, **merged)

    def with_profile_keys(self, values: Mapping[str, Any]) -> Settings:
        """Apply the analysis keys among dotted profile keys (``ensemble.samples``, ``ranking.flow`` ...).

        Parameters
        ----------
        values
            Dotted profile key -> value; build keys are ignored here.

        Returns
        -------
        Settings
        """
        field_of = {key: name for name, key in PROFILE_KEYS.items()}
        changes: dict[str, Any] = {}
        for dotted, value in values.items():
            table, _, entry = dotted.partition(".")
            if dotted in field_of:
                changes[field_of[dotted]] = value
            elif table == "ranking":
                changes.setdefault("weights", {})[entry] = value
            elif table == "closing":
                changes.setdefault("closing", {})[entry] = value
            elif table == "demand":
                changes.setdefault("demand", {}).update(value if isinstance(value, Mapping) else {entry: value})
        return self.replace(**changes) if changes else self

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (for manifests and comparisons)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for name in ("closing", "weights", "demand", "blo_hours"):
            out[name] = dict(out[name])
        return out

    def cut_bound(self) -> float | None:
        """Return the minimum cut's route-cost bound (%), or ``None`` for every route (``within_pct = inf``)."""
        return None if self.within_pct == math.inf else float(self.within_pct)

    def ensemble_key(self) -> tuple:
        """Return what decides the ensemble's random draws (runs compare sample by sample only when equal)."""
        return (self.samples, self.seed, self.sigma_edge, self.sigma_gate)


def check_settings(s: Settings) -> list[str]:
    """Return one line per bad value of ``s`` (validated as the profile key it comes from)."""
    problems = []
    for name, key in PROFILE_KEYS.items():
        if name == "within_pct" and s.within_pct == math.inf:
            continue  # every route
        problem = RANGES.get(name, OPTIONS[key]).validate(getattr(s, name))
        if problem:
            problems.append(f"{name} {problem}")
    for table, prefix, allowed in (
        ("closing", "closing", ("international", "primary", "secondary", "informal_per_km")),
        ("weights", "ranking", WEIGHT_NAMES),
        ("demand", "demand", None),
    ):
        for key, value in getattr(s, table).items():
            if allowed is not None and key not in allowed:
                problems.append(f"{table} has unknown entry {key!r}; use {', '.join(allowed)}")
                continue
            option = OPTIONS.get(f"{prefix}.{key}") or OPTIONS[f"{prefix}.*"]
            problem = option.validate(value)
            if problem:
                problems.append(f"{table}[{key!r}] {problem}")
    if s.demand and not sum(s.demand.values()) > 0:
        problems.append("demand shares sum to 0; give at least one destination a share > 0")
    for label, key, value in (
        ("hours", "hours", s.hours),
        ("segment_length_km", "segment_length_km", s.segment_length_km),
        ("stretch_km", "stretch_km", s.stretch_km),
        *((f"blo_hours[{blo!r}]", "hours", hours) for blo, hours in s.blo_hours.items()),
    ):
        problem = RANGES[key].validate(value)
        if problem:
            problems.append(f"{label} {problem}")
    if not isinstance(s.blo_at_gate, bool):
        problems.append(f"blo_at_gate must be true or false, got {s.blo_at_gate!r}")
    return problems
