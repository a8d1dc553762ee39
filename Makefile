# The two commands a newcomer needs: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8888
DEMO_DIR ?= build/demo

.PHONY: help install test lint unit lowest bench reliability demo demo-headless demo-class simulator clean

help:
	@echo "make demo   - set up and open the quickstart notebook on the embedded simulator (no token needed)"
	@echo "make demo-headless - run the quickstart without a browser; writes $(DEMO_DIR)/quickstart.html"
	@echo "make test   - set up and run lint, type checks and every test"
	@echo "make lowest - the core tests on the lowest supported versions (Colab's), as CI runs them"
	@echo "make bench  - print the benchmark table"
	@echo "make demo-class - a class of student processes on one subscription via the gateway (needs postgresql)"
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

# Its own environment (kept in ~/.cache/flow_widgets/venv-lowest), pinned by .ci/lowest-versions.txt.
lowest:
	PYTHON=$(PYTHON) bash .ci/lowest

bench: $(STAMP)
	$(PY) -m tests.benchmarks

reliability: $(STAMP)
	$(PY) -m tests.reliability

# A class on one machine: throwaway PostgreSQL (Debian's postgresql package), the simulator, the
# classroom gateway and one process per student; prints what each got. STUDENTS=20 for more.
STUDENTS ?= 10
demo-class: $(STAMP)
	$(PY) -m tests.gateway.demo_class --students $(STUDENTS)

simulator: $(STAMP)
	$(PY) -m flow_widgets.simulator --port 8787

# JupyterLab on 127.0.0.1 only, protected by a fresh Jupyter login token that is printed in the URL
# (any local process could otherwise run code in it); a busy port fails loudly instead of moving,
# so the printed URL is always the right one (PORT=8890 to change). No useapi.net token is needed.
demo: $(STAMP)
	@token=$$($(PY) -c "import secrets; print(secrets.token_hex(16))"); \
	echo ""; \
	echo "  flow_widgets demo: open http://127.0.0.1:$(PORT)/lab/tree/quickstart.ipynb?token=$$token"; \
	echo "  (no useapi.net token needed: the built-in simulator answers; Ctrl+C stops the server)"; \
	echo ""; \
	cd notebooks && "$(abspath $(VENV))/bin/jupyter" lab --ServerApp.ip=127.0.0.1 \
		--ServerApp.port=$(PORT) --ServerApp.port_retries=0 --IdentityProvider.token=$$token \
		--allow-root --ServerApp.open_browser=True quickstart.ipynb

# The quickstart executed in a copy under $(DEMO_DIR), saved with its outputs and rendered as
# HTML next to its flow_media/ folder, so the result can be looked at without a browser session.
demo-headless: $(STAMP)
	rm -rf $(DEMO_DIR)
	mkdir -p $(DEMO_DIR)
	cp notebooks/quickstart.ipynb $(DEMO_DIR)/quickstart.ipynb
	cd $(DEMO_DIR) && FLOW_WIDGETS_HOME="$$PWD/.flow_home" "$(abspath $(VENV))/bin/jupyter" \
		nbconvert --to notebook --execute --inplace quickstart.ipynb
	"$(abspath $(VENV))/bin/jupyter" nbconvert --to html $(DEMO_DIR)/quickstart.ipynb
	@echo "Wrote $(DEMO_DIR)/quickstart.html with its media in $(DEMO_DIR)/flow_media/"

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache build dist *.egg-info
