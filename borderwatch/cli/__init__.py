"""The ``borderwatch`` command line: a click group of thin commands over the library.

Exit codes: 0 success; 1 bad input or no result (one ``error: ...`` line on
stderr, no traceback, nothing written); 2 usage error (click); 130 Ctrl-C;
129 SIGHUP; 143 SIGTERM.  Commands live in one module per family (:mod:`.data`,
:mod:`.network`, :mod:`.routes`, :mod:`.scenarios` ...); shared options, and
the one function that builds a command's :class:`~borderwatch.Scenario`, in
:mod:`.options`; every text table in :mod:`.format`.
"""

from __future__ import annotations

import logging
import sys

import click

from .. import __version__
from ..errors import NOTES_SUMMARY
from .format import terminal_safe


class _SafeFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, NOTES_SUMMARY, False):  # a count of notes, not a problem
            return "note: " + terminal_safe(record.getMessage())
        if isinstance(record.args, tuple):  # a name in a message stays on its line
            record.args = tuple(terminal_safe(a, one_line=True) if isinstance(a, str) else a for a in record.args)
        return terminal_safe(super().format(record))


class _OnceFilter(logging.Filter):
    """Let each distinct warning through once (a command may place the gates more than once)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[tuple[str, int, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, record.getMessage())
        if record.levelno < logging.WARNING:
            return True
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


EPILOG = """\b
Examples:
  borderwatch validate
  borderwatch info --json
  borderwatch list destinations
  borderwatch build-network --out graph.gpkg
  borderwatch routes --to Hanoi --to export --k 3 --out routes.geojson
  borderwatch rank-gates --out ranking.csv
  borderwatch chokepoints --out chokepoints.geojson
  borderwatch report --out report
  borderwatch map --out map.html
  borderwatch compare --close VN-LAO-016 --out cau_treo_closed
  borderwatch inspect --teams 3 --out inspection.csv
  borderwatch sweep sweep.toml --out sweep.csv

\b
Exit codes: 0 success; 1 bad input or no result (one 'error:' line, nothing
written); 2 usage error; 130 interrupted (Ctrl-C); 129 hung up (SIGHUP); 143 terminated (SIGTERM).
Data: the shipped data, or $BORDERWATCH_DATA, or --data DIR.
Graph cache: $BORDERWATCH_CACHE (default ~/.cache/borderwatch); --no-cache.
What-if edits (every analysis command): --scenario FILE, --close GATE,
--inspect GATE, --add-blo LON,LAT."""


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}, epilog=EPILOG)
@click.version_option(__version__, prog_name="borderwatch")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
def main(verbose: int, quiet: bool) -> None:
    """borderwatch: cross-border trafficking routes, gates and BLOs around Vietnam."""
    # on a terminal, long steps report progress (INFO); in scripts only warnings unless -v
    base = 1 if sys.stderr.isatty() else 0
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(base + verbose, 2)]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_SafeFormatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_OnceFilter())
    logging.basicConfig(level=level, handlers=[handler])  # a no-op when the host program configured logging


def _register() -> None:
    from . import calibrate, catalogue, chokepoints, coverage, data, interdict, network, report, routes, scenarios

    for module in (data, network, routes, chokepoints, coverage, interdict, report, scenarios, catalogue, calibrate):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
