# Everything builds from a machine that has only python3.
# `make test` creates .venv, installs the package with the pinned versions
# of constraints.txt, and runs the tests.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    := out

.PHONY: test run scan-demo bench check lint typecheck clean lock

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

# The dashboard on the Al Ram demo project (created and planned on the first run), local only.
DEMO_PROJECT ?= $(OUT)/alram.fundplan

run: $(STAMP)
	mkdir -p $(OUT)
	test -e $(DEMO_PROJECT) || { $(BIN)/fundplanner init $(DEMO_PROJECT) --demo \
		&& $(BIN)/fundplanner plan $(DEMO_PROJECT) > /dev/null; }
	FUNDPLANNER_PROJECT=$(DEMO_PROJECT) $(BIN)/streamlit run app.py --server.address 127.0.0.1

scan-demo: $(STAMP)
	mkdir -p $(OUT)
	$(BIN)/fundplanner scan data/demo/*.mrc data/demo/*.csv data/demo/*.xlsx data/demo/*.xml \
		--out $(OUT)/demo_candidates.csv --problems $(OUT)/demo_problems.csv

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

# Run both notebooks on a fresh demo project and keep the executed copies (with plots) in out/.
notebooks: $(STAMP)
	$(BIN)/python notebooks/build_notebooks.py --execute $(OUT)/notebooks

lint: $(STAMP)
	$(BIN)/ruff check fundplanner tests benchmarks docs notebooks app.py ui views
	$(BIN)/ruff format --check fundplanner tests benchmarks docs notebooks app.py ui views

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
