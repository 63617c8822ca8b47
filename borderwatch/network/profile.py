"""Cost profiles: the speeds, delays and exposures that turn geometry into cost.

The default profile is the TOML file shipped beside this module
(``profile.toml``, documented key by key).  A user file overrides any subset of
its keys; an unknown key or an impossible value (negative speed, exposure
outside [0, 1]) is a :class:`~borderwatch.errors.ProfileError`.
"""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ProfileError

#: Keys whose values are probabilities-like exposures in [0, 1].
_EXPOSURE_KEYS = {"exposure"}
#: Keys that must be > 0.
_POSITIVE_KEYS = {
    "peak_speed_kmh",
    "load_factor",
    "detour_factor",
    "speed_kmh",
    "default_speed_kmh",
    "landing_spacing_km",
    "max_km",
    "min_edge_cost_h",
    "snap_tolerance_m",
}
#: Keys that must be >= 0.
_NON_NEGATIVE_KEYS = {"exposure_weight_h", "delay_h", "exposure_per_km", "port_dwell_h", "coastal_dwell_h"}
#: Tables whose keys are open (a user may add names).
_OPEN_TABLES = {("road", "speed_kmh"), ("demand",)}


def default_profile() -> dict[str, Any]:
    """The shipped default profile as a nested dict."""
    text = resources.files("borderwatch.network").joinpath("profile.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def load_profile(path: str | Path | None = None, **overrides: Any) -> dict[str, Any]:
    """Default profile, updated by a TOML file and/or keyword tables, then checked.

    Parameters
    ----------
    path
        A TOML file with any subset of the default keys.
    **overrides
        Tables to merge on top, e.g. ``informal_crossing={"delay_h": 2}``.

    Returns
    -------
    dict
        The merged profile.

    Raises
    ------
    ProfileError
        Unknown key, wrong type or impossible value (all problems listed).
    """
    profile = default_profile()
    updates: list[tuple[str, dict[str, Any]]] = []
    if path is not None:
        path = Path(path)
        try:
            updates.append((str(path), tomllib.loads(path.read_text(encoding="utf-8"))))
        except FileNotFoundError as exc:
            raise ProfileError(f"profile file {str(path)!r} does not exist") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ProfileError(f"profile file {str(path)!r} is not valid TOML ({exc})") from exc
    if overrides:
        updates.append(("keyword overrides", overrides))
    problems: list[str] = []
    for origin, update in updates:
        _merge(profile, update, (), origin, problems)
    problems.extend(check_profile(profile))
    if problems:
        raise ProfileError("cost profile problems:\n" + "\n".join(f"  - {p}" for p in problems))
    return profile


def _merge(base: dict[str, Any], update: dict[str, Any], where: tuple[str, ...], origin: str, problems: list[str]) -> None:
    for key, value in update.items():
        path = (*where, key)
        dotted = ".".join(path)
        if key not in base and where not in _OPEN_TABLES:
            valid = ", ".join(sorted(base))
            problems.append(f"{origin}: unknown key {dotted!r}; valid keys here: {valid}")
        elif isinstance(base.get(key), dict):
            if not isinstance(value, dict):
                problems.append(f"{origin}: {dotted!r} must be a table, got {value!r}")
            else:
                _merge(base[key], value, path, origin, problems)
        else:
            base[key] = copy.deepcopy(value)


def check_profile(profile: dict[str, Any]) -> list[str]:
    """Return every impossible value in a profile (empty when it is usable)."""
    problems: list[str] = []

    def walk(table: dict[str, Any], where: tuple[str, ...]) -> None:
        for key, value in table.items():
            dotted = ".".join((*where, key))
            if isinstance(value, dict):
                walk(value, (*where, key))
                continue
            if isinstance(value, list | str):
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                problems.append(f"{dotted!r} = {value!r} must be a number")
                continue
            leaf = key if where[-1:] != ("speed_kmh",) else "speed_kmh"
            if leaf in _EXPOSURE_KEYS and not 0.0 <= value <= 1.0:
                problems.append(f"{dotted!r} = {value!r} is an exposure and must lie in [0, 1]")
            elif leaf in _POSITIVE_KEYS and not value > 0:
                problems.append(f"{dotted!r} = {value!r} must be > 0")
            elif (leaf in _NON_NEGATIVE_KEYS or where[:1] == ("demand",)) and value < 0:
                problems.append(f"{dotted!r} = {value!r} must be >= 0")

    walk(profile, ())
    return problems
