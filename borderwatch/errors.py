"""Public exception hierarchy.

Every error borderwatch raises for bad input derives from :class:`BorderwatchError`,
so a caller (or the CLI) can catch one type.  ``ValidationError`` and ``CRSError``
are also ``ValueError``; ``NoRouteError`` is also ``networkx.NetworkXNoPath``.
"""

from __future__ import annotations

import networkx as nx


class BorderwatchError(Exception):
    """Root of every borderwatch error."""


class ValidationError(BorderwatchError, ValueError):
    """One or more records break a layer schema.

    Parameters
    ----------
    problems
        One human-readable line per problem (layer, record, column, bad value, fix).
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} validation problem{'s' if n != 1 else ''}:"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


class CRSError(BorderwatchError, ValueError):
    """A layer or raster has no CRS, or one that cannot be used."""


class DataFileError(BorderwatchError, OSError):
    """A file is missing, empty, or cannot be read in the expected format."""


class ProfileError(BorderwatchError, ValueError):
    """A cost profile has an unknown key or an impossible value."""


class NoRouteError(BorderwatchError, nx.NetworkXNoPath):
    """No route exists between an origin and a destination."""


class UnknownNameError(BorderwatchError, KeyError):
    """A name (destination, node, gate) is not known; the message lists valid names."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class OutputExistsError(BorderwatchError, FileExistsError):
    """An output file exists and ``overwrite`` was not requested."""


class ParameterError(BorderwatchError, ValueError):
    """An argument or option has an impossible value (``k=0``, an unknown output format ...)."""


class OutputError(BorderwatchError, OSError):
    """An output cannot be written (folder not writable, not creatable)."""


class GraphContractError(ValidationError):
    """A graph breaks the route-graph contract (missing attributes, bad weights or metadata)."""


class CalibrationError(BorderwatchError, ValueError):
    """A calibration cannot be made: too few incidents for its parameters, or a fit that did not converge."""


#: Attribute of the log record that summarises the gate placement notes (the CLI shows it as a note, not a
#: warning); here, not in :mod:`borderwatch.gates`, so that the CLI reads it without importing geopandas.
NOTES_SUMMARY = "gate_notes_summary"
