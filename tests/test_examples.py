"""Every Examples section in the public modules runs (doctest), so the documentation cannot rot.

Toy-graph examples build their own scenario; examples on the shipped data use ``scenario`` (what
``bw.Scenario.from_region()`` returns, here the session's 40-sample base scenario).
"""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "borderwatch.doors",
    "borderwatch.kept",
    "borderwatch.scenario",
    "borderwatch.settings",
    "borderwatch.edits",
    "borderwatch.network.profile",
    "borderwatch.network.arrays",
    "borderwatch.analysis.draws",
    "borderwatch.analysis.routes",
    "borderwatch.analysis.flow",
    "borderwatch.analysis.ensemble",
    "borderwatch.analysis.chokepoints",
    "borderwatch.analysis.mincut",
    "borderwatch.analysis.ranking",
    "borderwatch.analysis.coverage",
    "borderwatch.analysis.siting",
    "borderwatch.analysis.interdiction",
    "borderwatch.analysis.suite",
    "borderwatch.analysis.compare",
    "borderwatch.analysis.sweep",
    "borderwatch.maps",
]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name, scenario):
    module = importlib.import_module(name)
    result = doctest.testmod(module, extraglobs={"scenario": scenario}, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {name} failed (run pytest -s)"


def test_every_public_analysis_has_an_example():
    import borderwatch as bw

    analyses = [
        "least_cost_routes",
        "k_routes",
        "chokepoint_metrics",
        "flow_ensemble",
        "gate_criticality",
        "border_cut",
        "rank_gates",
        "blo_coverage",
        "site_blos",
        "interdict_crossings",
        "analyse_region",
        "compare",
        "sweep",
    ]
    missing = [name for name in analyses if ">>> " not in (getattr(bw, name).__doc__ or "")]
    assert missing == []
