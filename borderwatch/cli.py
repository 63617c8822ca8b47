"""The ``borderwatch`` command line: thin wrappers over the public functions.

Exit codes: 0 success, 1 bad input or no result (one clear message on stderr,
no traceback), 2 usage error (click).
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import BorderwatchError, ValidationError

log = logging.getLogger("borderwatch")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn borderwatch errors into a message on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ValidationError as exc:
            _fail(str(exc))
        except BorderwatchError as exc:
            _fail(str(exc))

    return wrapper


data_option = click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data folder with the same layout as the shipped data/ (default: shipped data).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="borderwatch")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
def main(verbose: int, quiet: bool) -> None:
    """borderwatch: cross-border trafficking routes, gates and BLOs around Vietnam."""
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


@main.command()
@data_option
@handle_errors
def validate(data_dir: Path | None) -> None:
    """Validate every layer; exit 1 and list all problems if any."""
    from .io import load_region

    region = load_region(data_dir)
    n = sum(len(g) for g in region.layers.values())
    click.echo(f"valid: {len(region.layers)} layers, {n} records, DEM {region.terrain.shape[0]}x{region.terrain.shape[1]} cells")


@main.command()
@data_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (keys documented in the README).")
@handle_errors
def info(data_dir: Path | None, as_json: bool) -> None:
    """Counts, published-count reconciliation, border lengths and gate snapping."""
    from .info import format_info, region_info
    from .io import load_region

    facts = region_info(load_region(data_dir))
    click.echo(json.dumps(facts, indent=2, ensure_ascii=False) if as_json else format_info(facts))
