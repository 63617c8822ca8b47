PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: report test lint bench data clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python >= 3.11); set PYTHON=..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

report: $(STAMP)
	$(BIN)/borderwatch report --out out/report --overwrite

test: $(STAMP)
	$(BIN)/ruff check borderwatch tests scripts benchmarks
	$(BIN)/python -m pytest -q -n 2 --dist loadfile  # two cores; a file's tests share a worker and its fixtures (tests/conftest.py: which files share one, which start first)

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	$(BIN)/python benchmarks/bench_budgets.py --repeat 5  # each budget of issue 20 beside its median (min, max)
	$(BIN)/python benchmarks/bench_routing.py
	$(BIN)/python benchmarks/bench_lattice.py --refine 1 2
	$(BIN)/python benchmarks/bench_chokepoints.py --refine 1
	$(BIN)/python benchmarks/bench_chokepoints.py --refine 2
	$(BIN)/python benchmarks/bench_planning.py

data: $(STAMP)
	$(BIN)/python scripts/build_data.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
