"""Options shared by every command (the rasterio ``rio`` pattern) and the error handler.

A command declares what it takes with these decorators, so ``--data``,
``--profile``, ``--roads``, ``--graph``, ``--out`` and ``--overwrite`` mean the
same everywhere.  :func:`handle_errors` turns bad input (any
:class:`~borderwatch.errors.BorderwatchError`) into one line on stderr and exit
code 1; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from ..errors import BorderwatchError, ParameterError
from ..output import check_output
from .format import terminal_safe

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
    help="Ensemble samples (>= 1; default the profile's ensemble.samples, 200).",
)
seed_option = click.option("--seed", type=int, default=None, help="Ensemble seed (default the profile's).")
origin_option = click.option(
    "--origin", default=None, help="Origin node id (with --graph; default the graph's own origin)."
)
to_option = click.option(
    "--to",
    "targets",
    multiple=True,
    help="Destination node id (with --graph, repeatable; equal shares of the demand).",
)
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object (keys documented in the README)."
)


def out_option(formats: Iterable[str], what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--out FILE`` restricted to ``formats`` (suffixes), described as ``what``."""
    allowed = ", ".join(sorted(formats))
    return click.option(
        "--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help=f"Write {what} ({allowed})."
    )


def check_out(out: Path | None, *, overwrite: bool, formats: Iterable[str]) -> None:
    """Check ``--out`` (format, folder writable, exists without ``--overwrite``) before any work.

    Parameters
    ----------
    out
        The ``--out`` value (``None``: nothing to check).
    overwrite
        The ``--overwrite`` flag.
    formats
        Allowed suffixes.
    """
    if out is not None:
        check_output(out, overwrite=overwrite, formats=formats, what="--out")


def check_graph_inputs(graph_path: Path | None, **building_inputs: Path | None) -> None:
    """Reject options that ``--graph`` would silently ignore.

    Parameters
    ----------
    graph_path
        The ``--graph`` value.
    **building_inputs
        Option name (``data``, ``profile``, ``roads``) -> its value.

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


def check_samples(samples: int | None) -> None:
    """Reject ``--samples`` below 1 (a ``ParameterError``, so exit 1 with one line)."""
    if samples is not None and samples < 1:
        raise ParameterError(f"--samples must be >= 1, got {samples}; the ensemble needs at least one sample")


def check_no_user_endpoints(origin: str | None, targets: tuple[str, ...]) -> None:
    """Reject ``--origin``/``--to`` without ``--graph`` (the built graph's endpoints come from the profile)."""
    if origin is not None or targets:
        raise ParameterError(
            "--origin and --to need --graph; on the built graph the origin is the Golden Triangle and the "
            "destinations and their shares come from the profile's [demand]"
        )


def load_user_graph(graph_path: Path, origin: str | None, targets: tuple[str, ...]) -> tuple[Any, str]:
    """Load ``--graph``, resolve its origin (``--origin`` or the graph's own) and require ``--to``.

    Parameters
    ----------
    graph_path
        The ``--graph`` file.
    origin
        The ``--origin`` value.
    targets
        The ``--to`` values.

    Returns
    -------
    G, origin
    """
    from ..network.graphio import load_graph

    G = load_graph(graph_path)
    origin = origin if origin is not None else G.graph.get("origin")
    if origin is None:
        raise ParameterError("this graph names no origin; pass --origin NODE_ID")
    if not targets:
        raise ParameterError("with --graph, name the destinations: --to NODE_ID (repeatable)")
    return G, origin


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
    """SIGTERM arrived; raised so that clean-up (``finally``) runs."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise TerminatedError


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command: bad input -> message and exit 1; Ctrl-C -> exit 130; SIGTERM -> exit 143.

    Only :class:`~borderwatch.errors.BorderwatchError` counts as bad input;
    any other exception is a bug and keeps its traceback.  Interrupts unwind
    normally, so partial outputs are removed before the process exits.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
        try:
            return func(*args, **kwargs)
        except BorderwatchError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            click.echo("interrupted; nothing was written", err=True)
            sys.exit(130)
        except TerminatedError:
            click.echo("terminated; nothing was written", err=True)
            sys.exit(143)
        finally:
            signal.signal(signal.SIGTERM, previous)

    return wrapper
