"""The last few values a process computed or loaded, by key: a store of bounded size.

One idiom for every store that must not grow without end: the shared graphs
a worker loaded (:mod:`borderwatch.parallel`), the array views by the edges in
force (:mod:`borderwatch.network.arrays`) and the gazetteer's answers
(:mod:`borderwatch.places`).  When the store is full, the value stored first
goes, or, with ``recent=True``, the one used least recently.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from .errors import ParameterError


class Kept:
    """The last ``size`` values by key.

    Parameters
    ----------
    size
        How many values to keep (>= 1).
    recent
        Reading a value makes it the newest, so the least recently used goes
        first (default: the first stored goes first, whatever was read).

    Examples
    --------
    >>> kept = Kept(2)
    >>> for key in "abc":
    ...     _ = kept.put(key, key.upper())
    >>> "a" in kept, kept["b"], len(kept)
    (False, 'B', 2)
    >>> used = Kept(2, recent=True)
    >>> _ = used.put("a", 1), used.put("b", 2)
    >>> used.get("a"), used.put("c", 3), "b" in used  # "a" was read last: "b" goes
    (1, 3, False)
    """

    def __init__(self, size: int, *, recent: bool = False) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ParameterError(f"Kept keeps at least one value; got size {size!r}")
        self.size = size
        self.recent = recent
        self._values: dict[Hashable, Any] = {}

    def __contains__(self, key: Hashable) -> bool:
        return key in self._values

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, key: Hashable) -> Any:
        value = self._values[key]
        if self.recent:
            self._values[key] = self._values.pop(key)
        return value

    def get(self, key: Hashable, default: Any = None) -> Any:
        """Return the value of ``key`` (the newest now, with ``recent``), or ``default``."""
        return self[key] if key in self._values else default

    def put(self, key: Hashable, value: Any) -> Any:
        """Store ``value`` as the newest under ``key``, dropping the oldest while full; return it."""
        self._values.pop(key, None)
        while len(self._values) >= self.size:
            self._values.pop(next(iter(self._values)))
        self._values[key] = value
        return value
