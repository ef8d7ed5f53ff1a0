PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test wheel-smoke readme man sim screenshots bench lint clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[test,serve,team]"
	touch $(STAMP)

## Start the app on the in-process demo tenant.
demo: $(STAMP)
	$(BIN)/lrtui --demo

## Serve the simulator on loopback (workshops, other tools).
sim: $(STAMP)
	$(BIN)/lrtui sim

## Lint: ruff (rules and format), mypy, import-linter contracts, size rules.
lint: $(STAMP)
	$(BIN)/ruff check lrtui tests bench scripts lint
	$(BIN)/ruff format --check lrtui tests bench scripts lint
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m lint.sizes lrtui

## The whole test suite (lint first), then the wheel smoke test (build, install into a new virtualenv, run).
test: lint
	TEXTUAL_ANIMATIONS=none $(BIN)/python -m pytest -q -n 2 -p no:cacheprovider
	$(BIN)/python tests/cli/wheel_smoke.py $(CURDIR)

## Only the wheel smoke test (about 20 s).
wheel-smoke: $(STAMP)
	$(BIN)/python tests/cli/wheel_smoke.py $(CURDIR)

## Regenerate docs/pypi.md (the package index page) from README.md.
readme: $(STAMP)
	$(BIN)/python scripts/pypi_readme.py

## Regenerate man/lrtui.1 from the parser.
man: $(STAMP)
	$(BIN)/lrtui man --out man/lrtui.1

## Regenerate screenshots/*.svg from the demo tenant.
screenshots: $(STAMP)
	TEXTUAL_ANIMATIONS=none $(BIN)/python scripts/screenshots.py

## Run the benchmarks (ratios against baselines measured in the same run).
bench: $(STAMP)
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/fanout.py
	$(BIN)/python bench/download.py

clean:
	rm -rf $(VENV) .pytest_cache snapshot_report.html
