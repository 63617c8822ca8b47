"""Matching what a user typed against known names: one folding rule and one close-match rule.

:func:`fold` ignores case, accents (Vietnamese included: ``đ`` -> ``d``) and
runs of whitespace, so ``Cầu Treo`` names the gate ``Cau Treo``.
:func:`close_matches` suggests known names for an unknown one: it compares
the folded forms both as typed and with the spaces removed, so ``Hà Nội``
(folded ``ha noi``, ``hanoi``) finds ``Hanoi``.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable

#: Least similarity (difflib ratio, 0 to 1) of a suggested name.
CUTOFF = 0.6


def fold(text: object) -> str:
    """Return a case-, accent- and space-insensitive key (``Cầu Treo`` -> ``cau treo``).

    Examples
    --------
    >>> fold("  Hà   Nội "), fold("Đồng Đăng")
    ('ha noi', 'dong dang')
    """
    decomposed = unicodedata.normalize("NFKD", str(text).replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


def close_matches(name: object, options: Iterable[object], *, n: int = 3) -> list[str]:
    """Return up to ``n`` known names close to ``name``, best first (folded, with and without spaces).

    Parameters
    ----------
    name
        What the user typed.
    options
        The known names.
    n
        Most names returned.

    Returns
    -------
    list of str
        The names as given in ``options``.

    Examples
    --------
    >>> close_matches("Hà Nội", ["Hanoi", "Haiphong", "Da Nang"])
    ['Hanoi']
    """
    key = fold(name)
    scored: dict[str, float] = {}
    for option in map(str, options):
        folded = fold(option)
        ratio = max(
            difflib.SequenceMatcher(None, key, folded).ratio(),
            difflib.SequenceMatcher(None, key.replace(" ", ""), folded.replace(" ", "")).ratio(),
        )
        if ratio >= CUTOFF:
            scored[option] = max(ratio, scored.get(option, 0.0))
    return sorted(scored, key=lambda o: -scored[o])[:n]


def did_you_mean(name: object, options: Iterable[object]) -> str:
    """Return the tail of an "unknown name" message: the close matches, or that there is none.

    Examples
    --------
    >>> "unknown gate 'Cau Tre'" + did_you_mean("Cau Tre", ["Cau Treo", "Na Meo"])
    "unknown gate 'Cau Tre'; did you mean 'Cau Treo'?"
    """
    hits = close_matches(name, [o for o in options if isinstance(o, str)])
    return f"; did you mean {' or '.join(map(repr, hits))}?" if hits else "; no close match"
