"""The notebooks run from top to bottom on the shipped data (nbclient, a real Jupyter kernel), so they never rot.

They are committed without outputs; a test here also checks that.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_the_five_notebooks_are_there_without_outputs():
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05"]
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code and all(not c.outputs and c.execution_count is None for c in code), path.name
        assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# 0")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_shows_a_map(path, tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    if path.name.startswith("05"):  # calibration: the likelihood profile drawn with matplotlib
        assert any("image/png" in o.get("data", {}) for o in nb.cells[-1].outputs)
        return
    last = nb.cells[-1].outputs[-1]["data"]["text/html"]  # the inline map: an offline page in an iframe
    assert "Leaflet 1.9.3, inlined" in last.replace("&quot;", '"') or "Leaflet 1.9.3, inlined" in last
