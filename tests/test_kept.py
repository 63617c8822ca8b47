"""The bounded store every per-process cache uses (worker graphs, views in force, gazetteer answers)."""

from __future__ import annotations

import pytest

from borderwatch.errors import ParameterError
from borderwatch.kept import Kept


def test_the_first_stored_goes_first_whatever_was_read():
    kept = Kept(2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept["a"] == 1  # read, but not made the newest
    kept.put("c", 3)
    assert ("a" in kept, "b" in kept, "c" in kept, len(kept)) == (False, True, True, 2)


def test_with_recent_the_least_recently_used_goes_first():
    kept = Kept(2, recent=True)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1
    kept.put("c", 3)
    assert ("a" in kept, "b" in kept, kept.get("b", "gone")) == (True, False, "gone")


def test_storing_a_key_again_replaces_its_value_and_makes_it_the_newest():
    kept = Kept(2)
    kept.put("a", 1)
    kept.put("b", 2)
    kept.put("a", 10)
    kept.put("c", 3)  # "b" is now the oldest
    assert (kept.get("a"), "b" in kept, len(kept)) == (10, False, 2)


@pytest.mark.parametrize("size", [0, -1, 1.5, True])
def test_a_store_keeps_at_least_one_value(size):
    with pytest.raises(ParameterError, match="at least one value"):
        Kept(size)
