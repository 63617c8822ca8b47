"""What-if edits of a scenario, and the scenario files (TOML) that keep them.

An edit is plain, immutable data: what a planner changes.  A
:class:`~borderwatch.Scenario` applies edits with :meth:`~borderwatch.Scenario.edited`,
which checks each one against its own gates, segments and BLOs (an unknown id
is an error listing close matches) and records it.

A scenario file holds a name, a description and a list of named edits::

    name = "Cau Treo closed"
    description = "Close the Cau Treo international gate (Ha Tinh) to all traffic."

    [[edits]]
    type = "close_gates"
    gates = ["Cầu Treo"]          # ids or names
    note = "why (optional)"

Edit types (keys beside ``type`` and the optional ``note``):

=================  ==========================================================
``close_gates``    ``gates``: ids or names; their crossings are removed
``close_segments`` ``segments``: border segment ids (``LAO-00-0059``); their informal crossings are removed
``inspect_gates``  ``gates``; optional ``exposure`` (default the profile's ``interdiction.inspect_exposure``)
``add_blo``        ``name``, and ``lon`` + ``lat`` or ``at_gate``; optional ``id``
``move_blo``       ``blo`` (id or name), and ``lon`` + ``lat`` or ``at_gate``
``remove_blo``     ``blo``
``patrol_hours``   ``hours``: a number for every BLO, or a table BLO id -> hours
``profile``        ``set``: dotted profile key -> value, and/or ``file``: a TOML profile overlay
                   (relative to the scenario file); keys that build the graph rebuild it
``demand``         ``shares``: destination name -> share (merged into the current demand)
``settings``       ``set``: analysis setting -> value (``samples``, ``seed``, ``within_pct`` ...)
=================  ==========================================================
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from .doors import PATH, require
from .errors import ParameterError


@dataclass(frozen=True)
class Edit:
    """Base of every edit: a ``note`` (why) and its scenario-file ``type``."""

    type: ClassVar[str] = ""

    def __post_init__(self) -> None:
        if not isinstance(getattr(self, "note", ""), str):
            raise ParameterError(f"{self.type}: 'note' must be a string, got {self.note!r}")
        self._check()

    def _check(self) -> None:
        """Check and normalise the fields (each edit type adds its own rules)."""

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)

    def describe(self) -> str:
        """One line for people: what this edit does."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """Return the edit as a scenario-file table (``type`` first)."""
        data = {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(self).items()}
        return {"type": self.type, **{k: v for k, v in data.items() if v not in (None, "", {}, [])}}


def _ids(edit: Edit, name: str) -> None:
    """Normalise a field of ids or names to a non-empty tuple of strings (one string is one id)."""
    value = getattr(edit, name)
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, tuple | list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ParameterError(
            f"{edit.type}: {name!r} must be one id or name, or a non-empty list of them, got {getattr(edit, name)!r}"
        )
    edit._set(name, tuple(value))


def _number(edit: Edit, name: str, *, optional: bool = False) -> None:
    value = getattr(edit, name)
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParameterError(f"{edit.type}: {name!r} must be a finite number, got {value!r}")
    edit._set(name, float(value))


def _text_field(edit: Edit, name: str, *, optional: bool = False) -> None:
    value = getattr(edit, name)
    if value is None and optional:
        return
    if not isinstance(value, str) or not value.strip():
        raise ParameterError(f"{edit.type}: {name!r} must be a non-empty string, got {value!r}")


def _site(edit: AddBLO | MoveBLO) -> None:
    has_point = edit.lon is not None or edit.lat is not None
    if has_point == (edit.at_gate is not None) or (has_point and (edit.lon is None or edit.lat is None)):
        raise ParameterError(f"{edit.type}: give either lon and lat, or at_gate (a gate id or name)")
    if has_point:
        _number(edit, "lon")
        _number(edit, "lat")
    else:
        _text_field(edit, "at_gate")


def _table_of_numbers(edit: Edit, name: str, value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping) or not value:
        raise ParameterError(f"{edit.type}: {name!r} must be a non-empty table (name -> number), got {value!r}")
    for key, v in value.items():
        if not isinstance(key, str) or isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ParameterError(f"{edit.type}: {name}[{key!r}] must be a finite number, got {v!r}")
    return {k: float(v) for k, v in value.items()}


@dataclass(frozen=True)
class CloseGates(Edit):
    """Close gates (ids or names): no crossing through them either way.

    Examples
    --------
    >>> CloseGates(("Cầu Treo",)).describe()
    'close gate Cầu Treo'
    """

    gates: tuple[str, ...]
    note: str = ""
    type: ClassVar[str] = "close_gates"

    def _check(self) -> None:
        _ids(self, "gates")

    def describe(self) -> str:  # noqa: D102
        return f"close gate{'s' if len(self.gates) > 1 else ''} {', '.join(self.gates)}"


@dataclass(frozen=True)
class CloseSegments(Edit):
    """Close border segments to informal crossings (segment ids such as ``LAO-00-0059``)."""

    segments: tuple[str, ...]
    note: str = ""
    type: ClassVar[str] = "close_segments"

    def _check(self) -> None:
        _ids(self, "segments")

    def describe(self) -> str:  # noqa: D102
        return f"close border segment{'s' if len(self.segments) > 1 else ''} {', '.join(self.segments)}"


@dataclass(frozen=True)
class InspectGates(Edit):
    """Inspect gates: their exposure rises by ``exposure`` (default the profile's ``interdiction.inspect_exposure``)."""

    gates: tuple[str, ...]
    exposure: float | None = None
    note: str = ""
    type: ClassVar[str] = "inspect_gates"

    def _check(self) -> None:
        _ids(self, "gates")
        _number(self, "exposure", optional=True)
        if self.exposure is not None and not 0 <= self.exposure <= 1:
            raise ParameterError(f"inspect_gates: 'exposure' must lie in [0, 1], got {self.exposure!r}")

    def describe(self) -> str:  # noqa: D102
        extra = f" (exposure +{self.exposure:g})" if self.exposure is not None else ""
        return f"inspect gate{'s' if len(self.gates) > 1 else ''} {', '.join(self.gates)}{extra}"


@dataclass(frozen=True)
class AddBLO(Edit):
    """Add a BLO at ``lon``/``lat`` (in Vietnam) or at a gate (``at_gate``)."""

    name: str
    lon: float | None = None
    lat: float | None = None
    at_gate: str | None = None
    id: str | None = None
    note: str = ""
    type: ClassVar[str] = "add_blo"

    def _check(self) -> None:
        _text_field(self, "name")
        _text_field(self, "id", optional=True)
        _site(self)

    def describe(self) -> str:  # noqa: D102
        where = f"at gate {self.at_gate}" if self.at_gate else f"at {self.lon:.4f} E {self.lat:.4f} N"
        return f"add BLO {self.name} {where}"


@dataclass(frozen=True)
class MoveBLO(Edit):
    """Move an existing BLO (id or name) to ``lon``/``lat`` or to a gate."""

    blo: str
    lon: float | None = None
    lat: float | None = None
    at_gate: str | None = None
    note: str = ""
    type: ClassVar[str] = "move_blo"

    def _check(self) -> None:
        _text_field(self, "blo")
        _site(self)

    def describe(self) -> str:  # noqa: D102
        where = f"gate {self.at_gate}" if self.at_gate else f"{self.lon:.4f} E {self.lat:.4f} N"
        return f"move BLO {self.blo} to {where}"


@dataclass(frozen=True)
class RemoveBLO(Edit):
    """Remove an existing BLO (id or name)."""

    blo: str
    note: str = ""
    type: ClassVar[str] = "remove_blo"

    def _check(self) -> None:
        _text_field(self, "blo")

    def describe(self) -> str:  # noqa: D102
        return f"remove BLO {self.blo}"


@dataclass(frozen=True)
class PatrolHours(Edit):
    """Patrol hours: one number for every BLO, or BLO id/name -> hours."""

    hours: float | Mapping[str, float]
    note: str = ""
    type: ClassVar[str] = "patrol_hours"

    def _check(self) -> None:
        if isinstance(self.hours, Mapping):
            self._set("hours", _table_of_numbers(self, "hours", self.hours))
        else:
            _number(self, "hours")
        values = self.hours.values() if isinstance(self.hours, Mapping) else [self.hours]
        if any(h <= 0 for h in values):
            raise ParameterError(f"patrol_hours: hours must be > 0, got {self.hours!r}")

    def describe(self) -> str:  # noqa: D102
        if isinstance(self.hours, Mapping):
            return "patrol hours " + ", ".join(f"{b} {h:g} h" for b, h in self.hours.items())
        return f"patrol {self.hours:g} h from every BLO"

    def to_dict(self) -> dict[str, Any]:  # noqa: D102
        hours = dict(self.hours) if isinstance(self.hours, Mapping) else self.hours
        return {"type": self.type, "hours": hours, **({"note": self.note} if self.note else {})}


@dataclass(frozen=True)
class ProfileOverride(Edit):
    """Override profile keys (dotted key -> value), e.g. a season; keys that build the graph rebuild it."""

    values: Mapping[str, Any]
    source: str = "profile override"
    note: str = ""
    type: ClassVar[str] = "profile"

    def _check(self) -> None:
        if not isinstance(self.values, Mapping) or not self.values:
            raise ParameterError(f"profile: 'values' must be a non-empty table (key -> value), got {self.values!r}")
        self._set("values", dict(self.values))
        _text_field(self, "source")

    def describe(self) -> str:  # noqa: D102
        shown = ", ".join(f"{k} = {v!r}" for k, v in self.values.items())
        return f"profile ({self.source}): {shown}"

    def to_dict(self) -> dict[str, Any]:  # noqa: D102
        out = {"type": self.type, "set": dict(self.values), "source": self.source}
        return {**out, **({"note": self.note} if self.note else {})}


@dataclass(frozen=True)
class DemandShares(Edit):
    """Change demand shares: destination name -> share (merged into the current demand)."""

    shares: Mapping[str, float]
    note: str = ""
    type: ClassVar[str] = "demand"

    def _check(self) -> None:
        self._set("shares", _table_of_numbers(self, "shares", self.shares))

    def describe(self) -> str:  # noqa: D102
        return "demand " + ", ".join(f"{d} {s:g}" for d, s in self.shares.items())

    def to_dict(self) -> dict[str, Any]:  # noqa: D102
        return {"type": self.type, "shares": dict(self.shares), **({"note": self.note} if self.note else {})}


@dataclass(frozen=True)
class SettingsChange(Edit):
    """Change analysis settings (``samples``, ``within_pct``, ``weights`` ...; see :class:`~borderwatch.Settings`)."""

    values: Mapping[str, Any]
    note: str = ""
    type: ClassVar[str] = "settings"

    def _check(self) -> None:
        if not isinstance(self.values, Mapping) or not self.values:
            raise ParameterError(f"settings: 'set' must be a non-empty table (setting -> value), got {self.values!r}")
        self._set("values", dict(self.values))

    def describe(self) -> str:  # noqa: D102
        return "settings " + ", ".join(f"{k} = {v!r}" for k, v in self.values.items())

    def to_dict(self) -> dict[str, Any]:  # noqa: D102
        return {"type": self.type, "set": dict(self.values), **({"note": self.note} if self.note else {})}


#: Scenario-file ``type`` -> edit class.
EDIT_TYPES: dict[str, type[Edit]] = {
    cls.type: cls
    for cls in (
        CloseGates,
        CloseSegments,
        InspectGates,
        AddBLO,
        MoveBLO,
        RemoveBLO,
        PatrolHours,
        ProfileOverride,
        DemandShares,
        SettingsChange,
    )
}


@dataclass(frozen=True)
class ScenarioFile:
    """A scenario file read by :func:`read_scenario_file`.

    Attributes
    ----------
    name, description
        For people.
    edits
        The edits, in order.
    path
        The file.
    """

    name: str
    description: str
    edits: tuple[Edit, ...]
    path: Path | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def read_scenario_file(path: str | Path) -> ScenarioFile:
    """Read and check a scenario file (see the module docstring for the format).

    Parameters
    ----------
    path
        A TOML file.

    Returns
    -------
    ScenarioFile

    Raises
    ------
    ParameterError
        The file is missing or not TOML, a section or key is unknown (the
        message names it and suggests the right one), or a value has the wrong type; ``path`` is not a path.
    """
    path = Path(require(path, PATH, where="read_scenario_file", name="path", fix="give the scenario's TOML file"))
    where = f"scenario file {str(path)!r}"
    return scenario_from_dict(read_toml(path, what=where), where=where, folder=path.parent, path=path)


def read_toml(path: Path, *, what: str) -> dict[str, Any]:
    """Read a TOML file (a scenario, sweep or profile overlay), naming it as ``what`` in every error.

    Parameters
    ----------
    path
        The file.
    what
        How messages name it, e.g. ``"scenario file 'x.toml'"``.

    Returns
    -------
    dict

    Raises
    ------
    ParameterError
        The file is missing, a folder, not UTF-8 or not valid TOML.
    """
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParameterError(f"{what} does not exist; check the path") from None
    except IsADirectoryError:
        raise ParameterError(f"{what} is a folder; give a TOML file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ParameterError(f"{what} is not valid TOML ({exc})") from None


def scenario_from_dict(
    data: Mapping[str, Any], *, where: str, folder: Path | None = None, path: Path | None = None
) -> ScenarioFile:
    """Check a scenario table (a parsed scenario file, or one entry of a sweep file).

    Parameters
    ----------
    data
        ``name``, ``description``, ``edits``.
    where
        How messages name it.
    folder
        Folder ``file`` entries are relative to.
    path
        The file it came from.

    Returns
    -------
    ScenarioFile
    """
    problems = []
    known = {"name", "description", "edits"}
    for key in sorted(set(data) - known):
        problems.append(f"unknown key {key!r}{_suggest(key, known)}; a scenario has name, description and [[edits]]")
    name = data.get("name", path.stem if path else "scenario")
    description = data.get("description", "")
    for key, value in (("name", name), ("description", description)):
        if not isinstance(value, str):
            problems.append(f"{key!r} must be a string, got {value!r}")
    raw = data.get("edits", [])
    if not isinstance(raw, list) or not all(isinstance(e, Mapping) for e in raw):
        problems.append("'edits' must be a list of tables ([[edits]] sections)")
        raw = []
    edits = []
    for i, entry in enumerate(raw, 1):
        try:
            edits.append(edit_from_dict(entry, folder=folder, origin=where))
        except ParameterError as exc:
            problems.append(f"edit {i}: {exc}")
    if not raw and not problems:
        problems.append("lists no edit; add [[edits]] sections (the edit types are in the borderwatch.edits docs)")
    if problems:
        raise ParameterError(f"{where}:\n" + "\n".join(f"  - {p}" for p in problems))
    return ScenarioFile(name=str(name), description=str(description), edits=tuple(edits), path=path)


def edit_from_dict(entry: Mapping[str, Any], *, folder: Path | None = None, origin: str = "scenario file") -> Edit:
    """Make one edit from its scenario-file table.

    Parameters
    ----------
    entry
        ``type`` and the type's keys (module docstring).
    folder
        Folder a ``profile`` edit's ``file`` is relative to.
    origin
        Where the table came from (a ``profile`` edit's source in messages).

    Returns
    -------
    Edit

    Raises
    ------
    ParameterError
        Unknown type or key, a missing key, or a value of the wrong type.
    """
    kind = entry.get("type")
    if kind not in EDIT_TYPES:
        raise ParameterError(
            f"type {kind!r} is not an edit type{_suggest(str(kind), EDIT_TYPES)}; use {', '.join(EDIT_TYPES)}"
        )
    args = {k: v for k, v in entry.items() if k != "type"}
    if kind == "profile":
        return _profile_edit(args, folder, origin)
    if kind == "settings":
        _keys_ok(kind, args, {"set", "note"}, {"set"})
        return SettingsChange(values=_table(args["set"], "set"), note=_text(args.get("note", ""), "note"))
    cls = EDIT_TYPES[kind]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    required = {
        n for n, f in fields.items() if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    if kind == "demand":
        fields, required = {"shares": None, "note": None}, {"shares"}
    _keys_ok(kind, args, set(fields), required)
    for key in ("gates", "segments"):  # TOML arrays arrive as lists
        if isinstance(args.get(key), list):
            args[key] = tuple(args[key])
    return cls(**args)


def _profile_edit(args: dict[str, Any], folder: Path | None, origin: str) -> ProfileOverride:
    _keys_ok("profile", args, {"set", "file", "note", "source"}, set())
    if "set" not in args and "file" not in args:
        raise ParameterError("profile: give 'set' (dotted key -> value) and/or 'file' (a TOML profile overlay)")
    values: dict[str, Any] = {}
    source = str(args.get("source", origin))
    if "file" in args:
        file = Path(_text(args["file"], "file"))
        file = file if file.is_absolute() or folder is None else folder / file
        values.update(flatten(read_toml(file, what=f"profile: file {str(file)!r}")))
        source = str(file)
    values.update(flatten(_table(args.get("set", {}), "set")))
    return ProfileOverride(values=values, source=source, note=_text(args.get("note", ""), "note"))


def flatten(tables: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested profile tables -> dotted keys (``{"sea": {"speed_kmh": 20}}`` -> ``{"sea.speed_kmh": 20}``).

    Open tables whose entries are user names (``road.speed_kmh``, ``export.destinations``,
    ``demand``) stay tables, so a name with a dot survives.

    Parameters
    ----------
    tables
        Nested tables, or already dotted keys.
    prefix
        Key prefix (recursion).

    Returns
    -------
    dict

    Examples
    --------
    >>> flatten({"offroad": {"peak_speed_kmh": 4.5}, "river.speed_kmh": 18})
    {'offroad.peak_speed_kmh': 4.5, 'river.speed_kmh': 18}
    """
    out: dict[str, Any] = {}
    for key, value in tables.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and dotted not in ("road.speed_kmh", "export.destinations", "demand"):
            out.update(flatten(value, f"{dotted}."))
        else:
            out[dotted] = dict(value) if isinstance(value, Mapping) else value
    return out


def nest(values: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted keys -> nested tables (the inverse of :func:`flatten`).

    Parameters
    ----------
    values
        Dotted key -> value.

    Returns
    -------
    dict
    """
    out: dict[str, Any] = {}
    for dotted, value in values.items():
        node = out
        *path, last = dotted.split(".")
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return out


def _keys_ok(kind: str, args: Mapping[str, Any], allowed: set[str], required: set[str]) -> None:
    for key in sorted(set(args) - allowed):
        raise ParameterError(
            f"{kind}: unknown key {key!r}{_suggest(key, allowed)}; keys are {', '.join(sorted(allowed))}"
        )
    missing = sorted(required - set(args))
    if missing:
        raise ParameterError(f"{kind}: missing {', '.join(map(repr, missing))}")


def _table(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ParameterError(f"{what!r} must be a table, got {value!r}")
    for key, v in value.items():
        if isinstance(v, float) and not math.isfinite(v):
            raise ParameterError(f"{what}[{key!r}] must be finite, got {v!r}")
    return dict(value)


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ParameterError(f"{what!r} must be a string, got {value!r}")
    return value


def _suggest(word: str, options) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
