"""Door checks: the cheap type checks at the first lines of every public function.

A public function checks what it was given before it touches it, so a wrong
argument (``None``, a number where a table is expected, a table without the
columns it reads) is a :class:`~borderwatch.errors.ParameterError` naming the
function, the parameter, what was given and what to give, instead of an
``AttributeError`` or ``KeyError`` from deep inside.  Only the type, a table's
columns and an option's choices are checked here; each function's own
validation (schemas, ranges, the graph contract) runs after.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Collection
from typing import Any

import numpy as np

from .errors import ParameterError

__all__ = ["GRAPH_FIX", "LAYER_FIX", "PATH", "SCENARIO_FIX", "require"]

#: What a path argument may be.
PATH = (str, os.PathLike)
#: The fix when a scenario is expected.
SCENARIO_FIX = "build one with borderwatch.Scenario.from_region() or Scenario.from_graph(G, ...)"
#: The fix when a layer of the region is expected.
LAYER_FIX = "give the region's layer (region.gates, region.blos ...) or read_layer(path, layer)"
#: The fix when a graph is expected (and perhaps a scenario was given).
GRAPH_FIX = "give a networkx graph (a scenario's is scenario.G)"


def require(
    value: Any,
    types: Any,
    *,
    where: str,
    name: str,
    fix: str | None = None,
    columns: Collection[str] = (),
    choices: Collection[Any] = (),
) -> Any:
    """Check one argument at a public function's door.

    Parameters
    ----------
    value
        The argument.
    types
        A type or a tuple of types the value must be an instance of; ``None`` in
        the tuple allows ``None`` and ``callable`` allows any callable.  A bool is
        not a number unless ``bool`` is listed.
    where
        The public function (the message starts with it).
    name
        The parameter.
    fix
        What to give instead, when the expected types do not say it.
    columns
        Columns a table must have.
    choices
        The values an option may take.

    Returns
    -------
    Any
        ``value``, unchanged.

    Raises
    ------
    ParameterError
        The value is of none of the types, lacks a column, or is not one of the choices.

    Examples
    --------
    >>> require(None, (str, os.PathLike), where="load_graph", name="path", fix="give the .graphml file")
    Traceback (most recent call last):
    ...
    borderwatch.errors.ParameterError: load_graph: path must be str or PathLike, got None; give the .graphml file
    """
    kinds = types if isinstance(types, tuple) else (types,)
    if not any(_is(value, kind) for kind in kinds):
        expected = " or ".join(_kind_name(kind) for kind in kinds)
        raise ParameterError(f"{where}: {name} must be {expected}, got {_given(value)}{'; ' + fix if fix else ''}")
    if value is not None and columns:
        missing = [c for c in columns if c not in value.columns]
        if missing:
            have = ", ".join(map(str, value.columns)) or "none"
            raise ParameterError(
                f"{where}: {name} has no column {', '.join(map(repr, missing))} (its columns: {have})"
                f"{'; ' + fix if fix else ''}"
            )
    if choices and value not in choices:
        raise ParameterError(f"{where}: {name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def _is(value: Any, kind: Any) -> bool:
    if kind is None:
        return value is None
    if kind is callable:
        return callable(value)
    if isinstance(value, bool | np.bool_) and kind in (int, float):
        return False
    if kind is int:  # numpy integers (from a table) are integers too
        return isinstance(value, numbers.Integral)
    if kind is float:
        return isinstance(value, numbers.Real)
    return isinstance(value, kind)


def _kind_name(kind: Any) -> str:
    return "None" if kind is None else "a function" if kind is callable else kind.__name__


def _given(value: Any) -> str:
    if value is None:
        return "None"
    kind = type(value).__name__
    if hasattr(value, "columns") and hasattr(value, "__len__"):
        return f"an empty {kind}" if len(value) == 0 else f"a {kind} of {len(value)} rows"
    if isinstance(value, str | int | float | bool):
        text = repr(value)
        return f"{kind} {text if len(text) <= 60 else text[:57] + '...'}"
    return f"a {kind}"
