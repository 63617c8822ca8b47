"""Shared fixtures: the shipped region, and throw-away data folders with one file replaced."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from borderwatch.readers import DEM_FILE, LAYER_FILES, load_region, shipped_data_dir

DATA = shipped_data_dir()


@pytest.fixture(scope="session")
def region():
    """The shipped region, loaded once."""
    return load_region()


@pytest.fixture
def data_dir(tmp_path: Path):
    """Factory: a data folder linking every shipped file, with some files replaced.

    ``data_dir({"gates/border_gates.csv": "text"})`` writes that text instead of
    linking the shipped file; a value of ``None`` removes the file.
    """

    def make(replace: dict[str, str | bytes | None] | None = None) -> Path:
        root = tmp_path / "data"
        replace = replace or {}
        for rel in [*LAYER_FILES.values(), DEM_FILE]:
            dst = root / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            if rel in replace:
                content = replace[rel]
                if isinstance(content, bytes):
                    dst.write_bytes(content)
                elif isinstance(content, str):
                    dst.write_text(content, encoding="utf-8")
            else:
                os.symlink(DATA / rel, dst)
        return root

    return make


@pytest.fixture
def gates_csv() -> str:
    """The shipped gate table as text."""
    return (DATA / LAYER_FILES["gates"]).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def scenario(region):
    """The base scenario of the shipped data (default profile, 40 ensemble samples), built once."""
    from borderwatch import Scenario

    return Scenario.from_region(region, samples=40)


@pytest.fixture(scope="session")
def sealed(scenario):
    """The base scenario with every trail into Vietnam sealed (every border segment closed): the routes take gates.

    No least-cost route of the shipped data uses a gate, so tests of what closing a used gate does run on this.
    """
    from borderwatch import CloseSegments

    return scenario.edited(CloseSegments(tuple(scenario.segments["segment_id"])), name="trails sealed")


@pytest.fixture(scope="session")
def route_graph(scenario):
    """The route graph of the shipped data with the default profile (the base scenario's)."""
    return scenario.G


#: Files that run on one worker, as one unit of ``--dist loadfile``: each uses the session fixtures ``analysis``
#: (every analysis of the shipped scenario, about a minute; it does not pickle, so each worker would build its
#: own) or ``cau_treo`` (a comparison).  One worker builds them once.
SHARED_WORKER = (
    "tests/test_report.py",
    "tests/test_maps.py",
    "tests/test_browser.py",
    "tests/test_charts.py",
    "tests/test_datadict.py",
    "tests/test_places.py",
    "tests/test_blo_sites.py",
    "tests/test_stability.py",
    "tests/test_compare.py",
)
SHARED_UNIT = "tests/[analysis and cau_treo fixtures]"

#: Units started first, longest first (seconds of the full run of 1 Dec 2026, before this order; xdist would
#: otherwise hand out files by test count, so a few-test file with minutes of work, such as the notebooks,
#: came late and ran alone while the other worker idled).  A unit not listed follows, by test count.
START_FIRST = (
    "tests/test_notebook.py",  # the five notebooks, about 250 s on one worker
    SHARED_UNIT,
    "tests/test_cli.py",
    "tests/test_cli_chokepoints.py",
    "tests/test_network.py",
    "tests/test_parallel.py",
    "tests/test_contract.py",
    "tests/test_routing.py",
    "tests/test_coverage.py",
    "tests/test_calibrate.py",
    "tests/test_examples.py",
    "tests/test_interdiction.py",
    "tests/test_fidelity.py",
    "tests/test_scenario.py",
    "tests/test_siting.py",
    "tests/test_pinch.py",
    "tests/test_safety.py",
)


@pytest.hookimpl(optionalhook=True)  # an xdist hook: absent with -p no:xdist
def pytest_xdist_make_scheduler(config, log):
    """Under ``--dist loadfile``: :data:`SHARED_WORKER` as one unit, and the units of :data:`START_FIRST` first."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class LongestFirst(LoadFileScheduling):
        def _split_scope(self, nodeid):
            scope = super()._split_scope(nodeid)
            return SHARED_UNIT if scope in SHARED_WORKER else scope

        def _assign_work_unit(self, node):
            for scope in sorted(self.workqueue, key=lambda s: START_FIRST.index(s) if s in START_FIRST else 99):
                self.workqueue.move_to_end(scope)  # the listed ones in order, then the rest as they were
            super()._assign_work_unit(node)

    return LongestFirst(config, log)


def pytest_configure(config):
    """Keep the graph cache of the test run out of the user's home."""
    import tempfile

    os.environ.setdefault("BORDERWATCH_CACHE", tempfile.mkdtemp(prefix="borderwatch-test-cache-"))


@pytest.fixture(scope="session")
def analysis(scenario):
    """Every analysis of the base scenario (40 ensemble samples), run once."""
    from borderwatch.analysis.suite import analyse_region

    return analyse_region(scenario)


@pytest.fixture(scope="session")
def report_dir(analysis, tmp_path_factory):
    """The report folder of the shipped analysis, written once."""
    from borderwatch.report import write_report

    out = tmp_path_factory.mktemp("report") / "report"
    write_report(analysis, out)
    return out


@pytest.fixture(scope="session")
def cau_treo(scenario):
    """The comparison of the base scenario with Cầu Treo (VN-LAO-016) closed, computed once."""
    from borderwatch import CloseGates, compare

    return compare(scenario, scenario.edited(CloseGates(("VN-LAO-016",)), name="Cầu Treo closed"))
