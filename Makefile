# Two commands on a fresh machine: `make run` and `make test`.
# `make run` installs only what running needs; `make test` adds the test tools and the launchers
# the tests compare (Ray, submitit). Ray and Slurm stay optional extras for users.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
APP_STAMP := $(VENV)/.installed-app
# pip over a flaky network: resume a broken download more often than pip's default, and try the whole
# install again (after 20 s, then 40 s) before giving up, so one dropped connection does not fail a build.
PIP := PIP_RESUME_RETRIES=20 PIP_RETRIES=10 $(BIN)/python -m pip
pip_install = echo "pip install $(1)"; for attempt in 1 2 3; do $(PIP) install --quiet $(1) && exit 0; \
	[ $$attempt = 3 ] || { echo "pip install failed (attempt $$attempt of 3); retrying in $$((attempt * 20)) s" >&2; \
	sleep $$((attempt * 20)); }; done; exit 1

.PHONY: run test app lint docs bench report mutate clean

# Byte-compile flowsim's own modules before each command. pip compiles the packages it installs, but not
# an editable project's sources; Python then writes them on first import, unless PYTHONDONTWRITEBYTECODE
# is set (as on some CI machines and sandboxes), when every process compiles them again: about 0.3 s of
# CPU in each run, sweep job start, notebook kernel and test subprocess. compileall rewrites only what
# changed (Python checks each cached file against its source's time stamp), so this is quick.
COMPILE := $(BIN)/python -m compileall -q -j 0 flowsim hydra_plugins

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	@$(call pip_install,--upgrade pip)

# pip byte-compiles what it installs one file at a time (about 14,600 files with the test tools: half
# of the install's time); --no-compile and then compileall on every core writes the same files sooner.
# As pip does, a file that does not compile (a template, another Python's syntax) is left as it is.
SITE_COMPILE = $(BIN)/python -m compileall -qq -j 0 "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" || true

$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	@$(call pip_install,--no-compile -e .)
	@$(SITE_COMPILE)
	touch $(RUN_STAMP)

$(DEV_STAMP): pyproject.toml | $(VENV)/bin/python
	@$(call pip_install,--no-compile -e ".[dev]")
	@$(SITE_COMPILE)
	touch $(RUN_STAMP) $(DEV_STAMP) $(APP_STAMP)

$(APP_STAMP): pyproject.toml | $(VENV)/bin/python
	@$(call pip_install,--no-compile -e ".[app]")
	@$(SITE_COMPILE)
	touch $(RUN_STAMP) $(APP_STAMP)

run: $(RUN_STAMP)
	@$(COMPILE)
	$(BIN)/flowsim $(ARGS)

# The planner's web app on http://localhost:8501 (Ctrl+C stops it); ARGS go to flowsim-app,
# e.g. make app ARGS='--config-dir calibration --port 8600'.
app: $(APP_STAMP)
	@$(COMPILE)
	$(BIN)/flowsim-app $(ARGS)

# On every core (at most 8: each worker holds flowsim in memory), a test file to a worker, the longest
# files first (tests/conftest.py); PYTEST_ARGS='-n 0' runs it in one process (e.g. to debug).
test: $(DEV_STAMP)
	@$(COMPILE)
	$(BIN)/python -m pytest -q -n auto --maxprocesses 8 --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

# The documentation site into site/ (mkdocs.yml sets strict: a warning fails the build). CI runs it.
docs: $(DEV_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# The board pack of the care-home units study: runs the sweep (a finished one resumes from its
# checkpoints in seconds; a changed config, input file or flowsim reruns), then builds the HTML and
# its A4 PDF, reports/board_report.html and .pdf (the PDF is printed by Chromium: apt install chromium).
report: $(RUN_STAMP)
	@$(COMPILE)
	$(BIN)/flowsim experiment=care_home_units
	mkdir -p reports
	$(BIN)/flowsim-board multirun/care_home_units --output reports/board_report.html

# Mutation testing of the modules users read (many hours from scratch; not part of CI). MUTANTS
# reruns only the named mutants and keeps the other results,
# e.g. make mutate MUTANTS='flowsim.measures.metrics*'. Writes mutation/REPORT.md; fails under 90 % a module.
# With MUTANTS, the mutants of other modules are kept but mutmut's map of which tests reach which function
# is rebuilt (a few minutes): mutmut extends it only with new tests, so older tests that reach a function
# added since are left off, its mutants run against too few tests, and survive falsely. mutmut copies
# flowsim's other files (configs, data) only when missing from mutants/, so they are removed first: a
# config changed since would otherwise be tested as it was (and the tests fail before any mutant runs).
mutate: $(DEV_STAMP)
	$(if $(MUTANTS),rm -f mutants/mutmut-stats.json; [ ! -d mutants/flowsim ] || find mutants/flowsim \
		-type f ! -name '*.py' ! -name '*.meta' ! -name '*.spans' -delete,rm -rf mutants)
	$(BIN)/mutmut run --max-children 2 $(MUTANTS)
	$(BIN)/python mutation/report.py

# The performance targets, measured (about 20 minutes; 30 in a slow hour): one table, each target met
# or not, and a profile.
# benchmarks/bench_core.py alone times the core against the bare SimPy reference in more detail.
bench: $(RUN_STAMP)
	@$(COMPILE)
	$(BIN)/python benchmarks/bench_targets.py $(ARGS)

clean:
	rm -rf outputs multirun .pytest_cache mutants site
