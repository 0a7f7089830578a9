# Everything builds from a machine that has only python3.
# `make test` creates .venv, installs the package with the pinned versions
# of constraints.txt, and runs the tests.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    := out

.PHONY: test run bench check lint typecheck clean lock

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

run: $(STAMP)
	mkdir -p $(OUT)
	$(BIN)/fundplanner scan data/demo/*.mrc data/demo/*.csv data/demo/*.xlsx data/demo/*.xml \
		--out $(OUT)/demo_candidates.csv --problems $(OUT)/demo_problems.csv

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

lint: $(STAMP)
	$(BIN)/ruff check fundplanner tests benchmarks
	$(BIN)/ruff format --check fundplanner tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

# Re-pin after changing dependencies: resolves the newest allowed versions.
lock:
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/python -m pip install --quiet -e '.[dev]'
	.lockvenv/bin/python -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt
	rm -rf .lockvenv

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache
