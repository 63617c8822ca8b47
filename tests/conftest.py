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
def route_graph(scenario):
    """The route graph of the shipped data with the default profile (the base scenario's)."""
    return scenario.G


#: Files started first under ``--dist loadfile``: xdist hands out whole files, most tests first, so
#: tests/test_notebook.py (6 tests, but the five notebooks run for minutes) came 39th of 45 files and ran
#: alone at the end while the other worker idled.
START_FIRST = ("tests/test_notebook.py",)


@pytest.hookimpl(optionalhook=True)  # an xdist hook: absent with -p no:xdist
def pytest_xdist_make_scheduler(config, log):
    """Under ``--dist loadfile``, start the files of :data:`START_FIRST` before the others."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class StartFirst(LoadFileScheduling):
        def _assign_work_unit(self, node):
            for scope in [s for s in self.workqueue if s in START_FIRST]:
                self.workqueue.move_to_end(scope, last=False)
            super()._assign_work_unit(node)

    return StartFirst(config, log)


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
