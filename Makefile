# The two commands a newcomer needs: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8888

.PHONY: help install test lint unit bench reliability demo simulator clean

help:
	@echo "make demo   - set up and open the quickstart notebook on the embedded simulator (no token needed)"
	@echo "make test   - set up and run lint, type checks and every test"
	@echo "make bench  - print the benchmark table"
	@echo "make lint   - ruff and mypy only"
	@echo "make reliability - run the fault/load/secrets scenarios and print their table"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check flow_widgets tests
	$(VENV)/bin/ruff format --check flow_widgets tests
	$(VENV)/bin/mypy

test: lint
	$(PY) -m pytest -m "not slow and not live"

unit: $(STAMP)
	$(PY) -m pytest -m "not e2e and not browser"

bench: $(STAMP)
	$(PY) -m tests.benchmarks

reliability: $(STAMP)
	$(PY) -m tests.reliability

simulator: $(STAMP)
	$(PY) -m flow_widgets.simulator --port 8787

demo: $(STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.port=$(PORT) --ServerApp.open_browser=True notebooks/quickstart.ipynb

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache build dist *.egg-info
