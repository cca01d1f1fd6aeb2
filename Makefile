# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench report clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/flowsim $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

# The board pack of the care-home units study: runs (or resumes) the sweep, then builds the HTML.
report: $(STAMP)
	test -f multirun/care_home_units/results.parquet || $(BIN)/flowsim experiment=care_home_units
	$(BIN)/flowsim-board multirun/care_home_units --output reports/board_report.html

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_core.py

clean:
	rm -rf outputs multirun .pytest_cache
