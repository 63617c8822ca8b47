"""Options shared by every command (the rasterio ``rio`` pattern), the scenario they build, and the error handler.

A command declares what it takes with these decorators, so ``--data``,
``--profile``, ``--roads``, ``--graph``, ``--out`` and ``--overwrite`` mean the
same everywhere.  :func:`scenario_options` adds every option that decides the
:class:`~borderwatch.Scenario` a command analyses (inputs, graph, ensemble,
patrol hours, what-if edits) and checks their values before any work;
:func:`build_scenario` is the one place that turns them into a scenario (a
saved graph, or the route graph built from the data).  :func:`handle_errors`
turns bad input (any :class:`~borderwatch.errors.BorderwatchError`) into one
line on stderr and exit code 1; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
import math
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import BorderwatchError, ParameterError
from ..output import check_output, release_claims
from ..settings import RANGES, check_range
from .format import terminal_safe

if TYPE_CHECKING:
    from ..edits import Edit
    from ..network.profile import Profile
    from ..region import Region
    from ..scenario import Scenario

data_option = click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data folder with the layout of the shipped data/ (default: the shipped data, or $BORDERWATCH_DATA).",
)
profile_option = click.option(
    "--profile",
    "profile_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="TOML cost profile overriding any subset of the defaults.",
)
roads_option = click.option(
    "--roads",
    "roads_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Replace the road layer: GeoPackage/GeoJSON lines or an OSMnx GraphML file.",
)
graph_option = click.option(
    "--graph",
    "graph_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Use a saved graph (.gpkg/.graphml with a 'cost' on every edge) instead of building one.",
)
no_cache_option = click.option(
    "--no-cache",
    is_flag=True,
    help="Build the route graph afresh; neither read nor write the graph cache "
    "($BORDERWATCH_CACHE or ~/.cache/borderwatch).",
)
include_unplaced_option = click.option(
    "--include-unplaced",
    is_flag=True,
    help="Also route through gates that cannot be placed plausibly (left out by default; see build-network).",
)
overwrite_option = click.option("--overwrite", is_flag=True, help="Replace an existing --out file.")
samples_option = click.option(
    "--samples",
    type=int,
    default=None,
    help=f"Ensemble samples ({RANGES['samples'].validate.__doc__}; default the profile's ensemble.samples, 200).",
)
seed_option = click.option(
    "--seed", type=int, default=None, help=f"Ensemble seed ({RANGES['seed'].validate.__doc__}; default the profile's)."
)
workers_option = click.option(
    "--workers",
    type=int,
    default=None,
    help="Run the ensemble, gate criticality and sweeps on N local processes (1 to the CPUs this machine has; "
    "the same result as one process, bit for bit).",
)
scheduler_option = click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Send them to the workers of a Dask scheduler instead (tcp://host:8786; default "
    "$BORDERWATCH_DASK_SCHEDULER; needs pip install 'borderwatch[dask]').",
)
origin_option = click.option(
    "--origin", default=None, help="Origin node id (with --graph; default the graph's own origin)."
)
to_option = click.option(
    "--to",
    "targets",
    multiple=True,
    help="Destination node id (with --graph, repeatable; equal shares of the demand).",
)
hours_option = click.option(
    "--hours",
    type=float,
    default=None,
    help="Patrol time of every BLO without its own (h, > 0; default 2).",
)
blo_hours_option = click.option(
    "--blo-hours",
    "blo_hours_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="CSV with columns blo_id, hours: per-BLO patrol times overriding --hours.",
)
scenario_file_option = click.option(
    "--scenario",
    "scenario_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Apply a TOML scenario file: gates closed or inspected, BLOs added, moved or removed, patrol hours, "
    "profile overrides, demand (format: the borderwatch.edits docs).",
)
close_option = click.option(
    "--close",
    multiple=True,
    metavar="ID_OR_NAME",
    help="Close a gate (id or name, case and accents ignored; repeatable).",
)
inspect_option = click.option(
    "--inspect",
    multiple=True,
    metavar="ID_OR_NAME",
    help="Inspect a gate: its exposure rises by the profile's interdiction.inspect_exposure (repeatable).",
)
add_blo_option = click.option(
    "--add-blo",
    multiple=True,
    metavar="LON,LAT",
    help="Add a BLO at LON,LAT (degrees, on land in Vietnam; repeatable).",
)
#: What may be interdicted or inspected (:data:`borderwatch.analysis.interdiction.INTERDICT_KINDS`; not imported
#: here, so that the CLI starts without scipy).
CROSSING_KINDS = ("gates", "segments", "both")


def crossings_option(*, default: str, help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Return ``--candidates`` (gates, segments or both) of the commands that close or inspect crossings."""
    return click.option(
        "--candidates",
        "candidate_kind",
        type=click.Choice(CROSSING_KINDS),
        default=default,
        show_default=True,
        help=help,
    )


def time_limit_option(*, default_s: float, what: str = "Solver time limit") -> Callable[[Callable[..., Any]], Any]:
    """Return ``--time-limit`` (s) of a solver; the command checks it with ``check_option("time_limit_s", ...)``."""
    return click.option(
        "--time-limit",
        type=float,
        default=default_s,
        show_default=True,
        help=f"{what} (s; {RANGES['time_limit_s'].validate.__doc__}).",
    )


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object (keys documented in docs/reference.md)."
)


def stability_options(*, seeds: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add ``--stability-seeds N`` (default ``seeds``) and ``--max-samples N`` (is the top 15 seed-independent).

    The values reach the command as ``stability_seeds`` and ``max_samples``
    (:func:`~borderwatch.analysis.stability.ranking_stability`).
    """

    def check_seeds(ctx: click.Context, param: click.Parameter, value: int) -> int:
        if value == 1:
            raise click.BadParameter("give 0 (no check) or at least 2 seeds to compare")
        return value

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        func = click.option(
            "--max-samples",
            type=click.IntRange(1, 100_000),
            default=None,
            help="Double every seed's samples until the top 15 agree, up to this many (default: no doubling).",
        )(func)
        return click.option(
            "--stability-seeds",
            type=click.IntRange(min=0),
            default=seeds,
            show_default=True,
            callback=check_seeds,
            help="Rank under this many seeds (the scenario's and the next) and say whether the top 15 agree; 0 skips.",
        )(func)

    return decorate


def out_option(formats: Iterable[str], what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--out FILE`` restricted to ``formats`` (suffixes), described as ``what``."""
    allowed = ", ".join(sorted(formats))
    return click.option(
        "--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help=f"Write {what} ({allowed})."
    )


def data_files(data_dir: Path | None) -> dict[str, Path]:
    """Return the input files a region is read from: ``--data`` (or the shipped data) layer -> file."""
    from ..readers import DEM_FILE, LAYER_FILES, shipped_data_dir

    base = data_dir if data_dir is not None else shipped_data_dir()
    return {f"the {name} layer": base / rel for name, rel in {**LAYER_FILES, "dem": DEM_FILE}.items()}


def check_outputs(
    files: Mapping[str, tuple[Path | None, Iterable[str] | None]],
    *,
    overwrite: bool,
    folders: Mapping[str, Path | None] | None = None,
    inputs: Mapping[str, Path | None] | None = None,
) -> None:
    """Check every output of a command before any work: each alone, against each other, against the inputs.

    Parameters
    ----------
    files
        Option (``"--out"``) -> (output file or ``None``, allowed suffixes or ``None`` for any).
    overwrite
        The ``--overwrite`` flag.
    folders
        Option -> output folder (a report, a comparison), or ``None``.
    inputs
        What the command reads: label (``"--profile"``, ``"the gates layer"``) -> file, or ``None``.

    Raises
    ------
    ParameterError
        A bad name or path (:func:`~borderwatch.output.check_output`), two
        outputs naming the same file, an output that is one of the inputs, or
        an output folder holding an input.
    OutputExistsError, OutputError
        As :func:`~borderwatch.output.check_output` and :func:`~borderwatch.output.check_output_dir`.
    """
    from ..output import check_output_dir

    written: dict[str, Path] = {}
    for flag, (path, formats) in files.items():
        if path is not None:
            check_output(path, overwrite=overwrite, formats=formats, what=flag)
            written[flag] = path.resolve()
    dirs = {flag: path for flag, path in (folders or {}).items() if path is not None}
    for flag, path in dirs.items():
        check_output_dir(path, overwrite=overwrite)
        written[flag] = path.resolve()
    seen: dict[Path, str] = {}
    for flag, path in written.items():
        if path in seen:
            raise ParameterError(f"{seen[path]} and {flag} both name {str(path)!r}; give each output its own name")
        seen[path] = flag
    for label, source in (inputs or {}).items():
        if source is None:
            continue
        source = source.resolve()
        for flag, path in written.items():
            if path == source:
                raise ParameterError(
                    f"{flag} {str(path)!r} is {label}, which this command reads; write the output elsewhere"
                )
            if flag in dirs and path in source.parents:
                raise ParameterError(
                    f"{flag} {str(path)!r} holds {label} ({str(source)!r}), which this command reads, and the "
                    "folder is replaced when written; choose another output folder"
                )


def check_graph_inputs(graph_path: Path | None, **building_inputs: Any) -> None:
    """Reject options that ``--graph`` would silently ignore.

    Parameters
    ----------
    graph_path
        The ``--graph`` value.
    **building_inputs
        Option name (``data``, ``profile``, ``roads`` ...) -> its value (``None``: not given).

    Raises
    ------
    ParameterError
        ``--graph`` was combined with an input that only building a graph uses.
    """
    if graph_path is None:
        return
    given = [f"--{name.replace('_', '-')}" for name, value in building_inputs.items() if value is not None]
    if given:
        raise ParameterError(
            f"--graph uses a saved graph, so {' and '.join(given)} would be ignored; drop {' and '.join(given)}, or "
            "drop --graph to build a new graph"
        )


class RangeType(click.ParamType):
    """A click type checked against :data:`borderwatch.settings.RANGES` while parsing (usage error, exit 2).

    Parameters
    ----------
    key
        The key of ``RANGES``; integer ranges convert with ``int``, others with ``float``.
    """

    def __init__(self, key: str) -> None:
        self.key = key
        self.range = RANGES[key].validate.__doc__ or ""
        self.name = "integer" if self.range.startswith("integer") else "float"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Convert the typed text to a number and check its range."""
        if not isinstance(value, str):
            return value
        integer = self.name == "integer"
        try:
            number = int(value) if integer else float(value)
        except ValueError:
            self.fail(f"{value!r} is not {'an integer' if integer else 'a number'}", param, ctx)
        problem = RANGES[self.key].validate(number)
        if problem:
            self.fail(problem, param, ctx)
        return number


def check_option(name: str, value: Any, flag: str) -> None:
    """Check an option's value against its range in :data:`borderwatch.settings.RANGES` (``None``: not given).

    The analyses and the profile check the same ranges, so an option is
    refused here, before any loading, exactly when the analysis would refuse it.

    Parameters
    ----------
    name
        The key of ``RANGES`` (``"samples"``, ``"interdict_k"`` ...).
    value
        The option's value.
    flag
        The option as the user typed it (``"--samples"``), for the message.

    Raises
    ------
    ParameterError
        Out of range, or not finite (exit 1 with one line).
    """
    if value is not None:
        check_range(name, value, what=flag)


def check_no_user_endpoints(origin: str | None, targets: tuple[str, ...]) -> None:
    """Reject ``--origin``/``--to`` without ``--graph`` (the built graph's endpoints come from the profile)."""
    if origin is not None or targets:
        raise ParameterError(
            "--origin and --to need --graph; on the built graph the origin is the Golden Triangle and the "
            "destinations and their shares come from the profile's [demand]"
        )


def parse_add_blo(value: str, number: int) -> Edit:
    """Turn one ``--add-blo LON,LAT`` value into an :class:`~borderwatch.edits.AddBLO` edit.

    Parameters
    ----------
    value
        What the user typed, e.g. ``105.85,21.03``.
    number
        1 for the first ``--add-blo``; the BLO is named ``new BLO <number>``.

    Returns
    -------
    AddBLO

    Raises
    ------
    ParameterError
        Not two numbers, or not a longitude/latitude pair.
    """
    from ..edits import AddBLO

    parts = [p.strip() for p in value.split(",")]
    try:
        lon, lat = (float(p) for p in parts) if len(parts) == 2 else (math.nan, math.nan)
    except ValueError:
        lon = lat = math.nan
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ParameterError(
            f"--add-blo {value!r}: give LON,LAT, two numbers in degrees separated by a comma (e.g. 105.85,21.03)"
        )
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ParameterError(
            f"--add-blo {value!r}: {lon:g}, {lat:g} is not a longitude, latitude pair (lon -180..180, lat -90..90); "
            "give LON first"
        )
    return AddBLO(name=f"new BLO {number}", lon=lon, lat=lat)


@dataclass
class ScenarioOptions:
    """What the scenario options of a command hold (see :func:`scenario_options`); build with :func:`build_scenario`.

    Attributes
    ----------
    data_dir, profile_path, roads_path, no_cache, include_unplaced
        How to build the route graph (without ``--graph``).
    graph_path, origin, targets
        A saved graph and its origin and destinations (``--graph``, ``--origin``, ``--to``).
    samples, seed
        The ensemble (``None``: the profile's).
    workers, scheduler
        Where the ensemble's samples, criticality's gates and a sweep's
        scenarios run (:mod:`borderwatch.parallel`; ``None``: this process, or
        $BORDERWATCH_DASK_SCHEDULER).
    hours, blo_hours_path
        BLO patrol hours (``None``: the default).
    scenario_path, close, inspect, add_blo
        What-if edits: a scenario file, gates to close or inspect, BLOs to add.
    routes_to
        ``--to`` names the routes' destinations (``routes``), with or without ``--graph``.
    """

    data_dir: Path | None = None
    profile_path: Path | None = None
    roads_path: Path | None = None
    graph_path: Path | None = None
    origin: str | None = None
    targets: tuple[str, ...] = ()
    no_cache: bool = False
    include_unplaced: bool = False
    samples: int | None = None
    seed: int | None = None
    workers: int | None = None
    scheduler: str | None = None
    hours: float | None = None
    blo_hours_path: Path | None = None
    scenario_path: Path | None = None
    close: tuple[str, ...] = ()
    inspect: tuple[str, ...] = ()
    add_blo: tuple[str, ...] = ()
    routes_to: bool = False

    def check(self) -> None:
        """Check every value that can be checked before loading anything (exit 1 on a bad one).

        Raises
        ------
        ParameterError
            An option combination that would be ignored or cannot work, a value
            out of range, a malformed ``--add-blo``, or a bad scenario file.
        """
        check_graph_inputs(
            self.graph_path,
            data=self.data_dir,
            profile=self.profile_path,
            roads=self.roads_path,
            no_cache=self.no_cache or None,
            include_unplaced=self.include_unplaced or None,
        )
        if self.graph_path is None:
            if self.routes_to:
                if self.origin is not None:
                    raise ParameterError("--origin needs --graph; the built graph's origin is the Golden Triangle")
            else:
                check_no_user_endpoints(self.origin, self.targets)
        elif self.add_blo:
            raise ParameterError(
                "--add-blo needs the region (borders, provinces) to place a BLO, and a saved graph (--graph) has "
                "none; drop --graph to build the route graph from the data"
            )
        check_option("samples", self.samples, "--samples")
        check_option("seed", self.seed, "--seed")
        if self.workers is not None:
            from ..parallel import check_workers

            check_workers(self.workers, flag="--workers")
            if self.scheduler is not None:
                raise ParameterError("give --workers or --scheduler, not both: the cluster's workers run the tasks")
        if self.hours is not None and RANGES["hours"].validate(self.hours):
            raise ParameterError(f"--hours must be > 0 (a finite number of hours), got {self.hours}")
        self.edits()  # a malformed --add-blo fails here
        if self.scenario_path is not None:
            from ..edits import read_scenario_file

            read_scenario_file(self.scenario_path)  # a missing file or a typo fails here, before any loading

    def edits(self) -> list[Edit]:
        """Return the edits of ``--close``, ``--inspect`` and ``--add-blo``, in that order (after the file's)."""
        from ..edits import CloseGates, InspectGates

        out: list[Edit] = []
        if self.close:
            out.append(CloseGates(tuple(self.close)))
        if self.inspect:
            out.append(InspectGates(tuple(self.inspect)))
        out += [parse_add_blo(value, i) for i, value in enumerate(self.add_blo, 1)]
        return out

    def file_edits(self) -> list[Edit]:
        """Return the edits of the ``--scenario`` file (none without one)."""
        if self.scenario_path is None:
            return []
        from ..edits import read_scenario_file

        return list(read_scenario_file(self.scenario_path).edits)

    def inputs(self) -> dict[str, Path | None]:
        """Return what the scenario is read from: option or data layer -> file (for :func:`check_outputs`)."""
        named = {
            "--profile": self.profile_path,
            "--roads": self.roads_path,
            "--graph": self.graph_path,
            "--blo-hours": self.blo_hours_path,
            "--scenario": self.scenario_path,
        }
        return {**named, **(data_files(self.data_dir) if self.graph_path is None else {})}

    @property
    def has_edits(self) -> bool:
        """Whether any edit option was given."""
        return bool(self.scenario_path is not None or self.close or self.inspect or self.add_blo)

    def settings(self) -> dict[str, Any]:
        """Analysis settings the options set (``None`` values keep the profile's)."""
        return {"samples": self.samples, "seed": self.seed, "hours": self.hours}


#: The keyword arguments :func:`scenario_options` adds, and the :class:`ScenarioOptions` field each fills.
_FIELDS = (
    "data_dir",
    "profile_path",
    "roads_path",
    "graph_path",
    "origin",
    "targets",
    "no_cache",
    "include_unplaced",
    "samples",
    "seed",
    "workers",
    "scheduler",
    "hours",
    "blo_hours_path",
    "scenario_path",
    "close",
    "inspect",
    "add_blo",
)


def scenario_options(
    *, graph: bool = True, ensemble: bool = True, hours: bool = False, edits: bool = True, routes_to: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add the options that decide a command's scenario; the command receives them as ``scenario_opts``.

    The options are checked (:meth:`ScenarioOptions.check`) before the command
    runs, so a bad value is one ``error:`` line and exit 1 before any loading.

    Parameters
    ----------
    graph
        Offer ``--graph``, ``--origin`` and ``--to`` (commands that need the region leave them out).
    ensemble
        Offer ``--samples``, ``--seed``, ``--workers`` and ``--scheduler`` (the command then runs inside
        :func:`borderwatch.parallel.running`, entered before any loading: a scheduler that does not answer
        fails first).
    hours
        Offer ``--hours`` and ``--blo-hours``.
    edits
        Offer ``--scenario``, ``--close``, ``--inspect`` and ``--add-blo``.
    routes_to
        ``--to`` names where routes go (required; names without ``--graph`` too), and
        ``--origin`` is the origin node of a ``--graph``.

    Returns
    -------
    callable
        The decorator.
    """
    params = [data_option, profile_option, roads_option]
    if graph:
        if routes_to:
            params += [
                graph_option,
                click.option(
                    "--origin",
                    default=None,
                    help="Origin node id (default: the Golden Triangle; required with a --graph that names none).",
                ),
                click.option(
                    "--to",
                    "targets",
                    multiple=True,
                    required=True,
                    help="Destination name (repeatable); an unknown name lists the valid ones.",
                ),
            ]
        else:
            params += [graph_option, origin_option, to_option]
    params += [no_cache_option, include_unplaced_option]
    if ensemble:
        params += [samples_option, seed_option, workers_option, scheduler_option]
    if hours:
        params += [hours_option, blo_hours_option]
    if edits:
        params += [scenario_file_option, close_option, inspect_option, add_blo_option]

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {name: kwargs.pop(name) for name in _FIELDS if name in kwargs}
            options = ScenarioOptions(**values, routes_to=routes_to)
            options.check()
            if not ensemble:
                return func(*args, scenario_opts=options, **kwargs)
            from ..parallel import running

            with running(workers=options.workers, scheduler=options.scheduler):
                return func(*args, scenario_opts=options, **kwargs)

        command = handle_errors(wrapper)
        for option in reversed(params):
            command = option(command)
        return command

    return decorator


def load_profile_for(profile_path: Path | None, *, include_unplaced: bool = False) -> Profile:
    """Load the cost profile of ``--profile`` (and ``--include-unplaced``), checked.

    Parameters
    ----------
    profile_path
        The ``--profile`` file, or ``None`` for the defaults.
    include_unplaced
        The ``--include-unplaced`` flag.

    Returns
    -------
    Profile
    """
    from ..network.profile import load_profile

    profile = load_profile(profile_path)
    if include_unplaced:
        profile = load_profile(profile, gate_link={"include_unplaced": True})
    return profile


def load_inputs(
    data_dir: Path | None,
    profile: Profile,
    roads_path: Path | None = None,
) -> Region:
    """Load the region with any road override, and check the profile against it.

    Parameters
    ----------
    data_dir
        The ``--data`` folder (``None``: the shipped data).
    profile
        The checked profile (:func:`load_profile_for`; loaded first because it is fast and fails early).
    roads_path
        The ``--roads`` file.

    Returns
    -------
    Region
    """
    from ..network.build import check_profile_against_region
    from ..readers import load_region

    overrides = {"roads": roads_path} if roads_path else {}
    region = load_region(data_dir, **overrides)
    check_profile_against_region(region, profile)
    return region


def load_data(options: ScenarioOptions) -> tuple[Region, Profile]:
    """Load what a route graph is built from: the profile first (fast, fails early), then the region.

    Parameters
    ----------
    options
        The checked options (without ``--graph``).

    Returns
    -------
    region, profile
    """
    from ..network.estimate import check_lattice_memory, dem_shape
    from ..readers import DEM_FILE, shipped_data_dir
    from ..settings import Settings

    profile = load_profile_for(options.profile_path, include_unplaced=options.include_unplaced)
    Settings.from_profile(profile, **options.settings())  # bad settings fail before the data is read
    shape = dem_shape((options.data_dir or shipped_data_dir()) / DEM_FILE)
    if shape is not None:  # a refine too fine for this machine fails before the data is read
        check_lattice_memory(shape, profile["lattice"]["refine"])
    return load_inputs(options.data_dir, profile, options.roads_path), profile


def check_edits(region: Region, edits: Iterable[Edit], *, where: str = "", applied: Iterable[Edit] = ()) -> None:
    """Refuse, before the route graph is built or read, edits the region alone shows cannot apply.

    An edit naming no gate of the region (``--close``, ``--inspect``, a BLO
    ``at_gate``), a BLO placed at sea, outside the region or in another
    country, and a BLO moved, removed or given hours that the region does not
    have.  The messages are those of :meth:`Scenario.edited
    <borderwatch.Scenario.edited>`, which checks every edit again (and what
    needs the graph: a gate left out of it) when the scenario is derived; this
    only moves the refusals before the minutes of building.  BLO names are
    checked only up to the first edit that adds or removes a BLO (a later edit
    may name the BLO added).

    Parameters
    ----------
    region
        The loaded region.
    edits
        The edits, in the order they will apply.
    where
        Put before each message (a sweep file names its scenario).
    applied
        Edits applied before these (the base's): a BLO they add or remove stops the BLO name checks.

    Raises
    ------
    UnknownNameError
        An unknown gate or BLO (close matches listed).
    ParameterError
        A BLO position at sea, outside the region or outside Vietnam.
    """
    from ..edits import AddBLO, CloseGates, InspectGates, MoveBLO, PatrolHours, RemoveBLO
    from ..errors import UnknownNameError
    from ..names import did_you_mean, fold
    from ..scenario import blo_site_problem

    def keys(table: Any) -> dict[str, str]:
        out: dict[str, str] = {}
        for rec in table.to_dict("records"):
            for col in ("id", "name", "name_vi"):
                if isinstance(rec.get(col), str):
                    out.setdefault(fold(rec[col]), rec["id"])
        return out

    gates, blos = keys(region.gates), keys(region.blos)
    blo_names_known = not any(isinstance(e, AddBLO | RemoveBLO) for e in applied)
    for edit in edits:
        problem: BorderwatchError | None = None
        names = list(edit.gates) if isinstance(edit, CloseGates | InspectGates) else []
        if isinstance(edit, AddBLO | MoveBLO) and edit.at_gate is not None:
            names.append(edit.at_gate)
        unknown = [name for name in names if fold(name) not in gates]
        if unknown:
            options = [*gates.values(), *region.gates.get("name", [])]
            problem = UnknownNameError(f"unknown gate {unknown[0]!r}{did_you_mean(unknown[0], options)}")
        elif isinstance(edit, AddBLO | MoveBLO) and edit.at_gate is None:
            lon, lat = float(edit.lon), float(edit.lat)
            if math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90:
                problem = blo_site_problem(region.countries, lon, lat)  # else the edit itself refuses it
        if problem is None and blo_names_known:
            blo_names = [edit.blo] if isinstance(edit, MoveBLO | RemoveBLO) else []
            if isinstance(edit, PatrolHours) and isinstance(edit.hours, Mapping):
                blo_names = list(edit.hours)
            unknown = [name for name in blo_names if fold(name) not in blos]
            if unknown:
                options = [*region.blos["id"], *region.blos["name"]]
                problem = UnknownNameError(f"unknown BLO {unknown[0]!r}{did_you_mean(unknown[0], options)}")
        if problem is not None:
            raise type(problem)(f"{where}edit '{edit.describe()}': {problem}")
        blo_names_known = blo_names_known and not isinstance(edit, AddBLO | RemoveBLO)


def build_base(
    options: ScenarioOptions,
    *,
    check: Callable[[Region, Profile], None] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> Scenario:
    """Build the scenario of the options without their edits: a saved graph (``--graph``) or the route graph.

    This is the one place where a command's saved-graph-or-built-graph choice is made.

    Parameters
    ----------
    options
        The checked options.
    check
        Called with the region and profile after loading and before the graph
        is built (or read from the cache), for checks of a command's own inputs
        against the data (destination names, an incidents file).  The edit
        options are checked against the region next (:func:`check_edits`).
    on_step
        Called with ``"load data"`` and ``"route graph"`` as each step starts (progress display).

    Returns
    -------
    Scenario
    """
    from ..scenario import Scenario

    settings = options.settings()
    if options.graph_path is not None:
        from ..network.graphio import load_graph

        if on_step is not None:
            on_step("route graph")
        G = load_graph(options.graph_path)
        destinations = list(options.targets) if options.targets and not options.routes_to else None
        scenario = Scenario.from_graph(G, origin=options.origin, destinations=destinations, **settings)
        if not options.routes_to and not scenario.destinations:
            raise ParameterError("with --graph, name the destinations: --to NODE_ID (repeatable)")
        return scenario
    if on_step is not None:
        on_step("load data")
    region, profile = load_data(options)
    blo_hours = None
    if options.blo_hours_path is not None:
        from ..analysis.coverage import read_hour_overrides

        blo_hours = read_hour_overrides(options.blo_hours_path, blo_ids=list(region.blos["id"]))
    if check is not None:
        check(region, profile)
    check_edits(region, options.file_edits() + options.edits())
    if on_step is not None:
        on_step("route graph")
    return Scenario.from_region(
        region, profile=profile, use_cache=not options.no_cache, blo_hours=blo_hours, **settings
    )


def apply_edits(scenario: Scenario, options: ScenarioOptions) -> Scenario:
    """Derive the scenario of the edit options: the ``--scenario`` file, then ``--close``, ``--inspect``, ``--add-blo``.

    Parameters
    ----------
    scenario
        The base (:func:`build_base`).
    options
        The checked options.

    Returns
    -------
    Scenario
        ``scenario`` itself when no edit was given.
    """
    from ..scenario import Scenario

    if options.scenario_path is not None:
        scenario = Scenario.from_file(options.scenario_path, base=scenario)
    edits = options.edits()
    if edits:
        described = "; ".join(e.describe() for e in edits)
        name = described if options.scenario_path is None else f"{scenario.name} + {described}"
        scenario = scenario.edited(*edits, name=name)
    return scenario


def build_scenario(
    options: ScenarioOptions,
    *,
    check: Callable[[Region, Profile], None] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> Scenario:
    """Build the scenario a command analyses: :func:`build_base`, then :func:`apply_edits`.

    Parameters
    ----------
    options
        The checked options.
    check
        As :func:`build_base`.
    on_step
        As :func:`build_base`.

    Returns
    -------
    Scenario
    """
    return apply_edits(build_base(options, check=check, on_step=on_step), options)


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """Show a progress bar on stderr when it is a terminal (nothing in scripts)."""
    if not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=1, label=label, file=sys.stderr, show_eta=True) as bar:

        def update(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        yield update


def fail(message: str) -> None:
    """Print ``error: message`` on stderr and exit with code 1."""
    click.echo(f"error: {terminal_safe(message)}", err=True)
    sys.exit(1)


class TerminatedError(Exception):
    """SIGTERM or SIGHUP arrived; raised so that clean-up (``finally``) runs.

    Parameters
    ----------
    signum
        The signal's number.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum: int, frame: object) -> None:
    raise TerminatedError(signum)


#: Signals that end a command the way Ctrl-C does (clean-up runs), exit code 128 + the signal number:
#: SIGTERM (``kill``) 143, SIGHUP (the terminal closed) 129.  A signal ignored when the command starts
#: (``nohup`` ignores SIGHUP) stays ignored.
TERMINATING = {name: getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)}


def _say(text: str) -> None:
    try:
        click.echo(text, err=True)
    except OSError:  # the terminal is gone (SIGHUP)
        pass


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command: bad input -> message and exit 1; Ctrl-C -> 130; SIGTERM -> 143; SIGHUP -> 129.

    Only :class:`~borderwatch.errors.BorderwatchError` counts as bad input;
    any other exception is a bug and keeps its traceback.  Interrupts unwind
    normally, so partial outputs are removed before the process exits, and
    the outputs the command claimed (:func:`~borderwatch.output.check_output`)
    are released whatever happens.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        previous = {
            signum: signal.signal(signum, _on_signal)
            for signum in TERMINATING.values()
            if signal.getsignal(signum) != signal.SIG_IGN
        }
        try:
            return func(*args, **kwargs)
        except BorderwatchError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            _say("interrupted; nothing was written")
            sys.exit(130)
        except TerminatedError as exc:
            _say(f"{'hung up' if exc.signum == TERMINATING.get('SIGHUP') else 'terminated'}; nothing was written")
            sys.exit(128 + exc.signum)
        finally:
            release_claims()
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    return wrapper
