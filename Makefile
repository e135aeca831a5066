# Two commands matter: `make serve` (run the tracker) and `make test` (run every test).
# Both create .venv and install what they need on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# `make serve` installs the package and what the server needs; `make test` (and lint, install) also the
# test tools, the [test] extra. Each stamp says what is installed.
SERVER_STAMP := $(VENV)/.server-stamp
STAMP := $(VENV)/.installed-stamp
export ALLIANCES_DATA_DIR ?= $(CURDIR)/data

.PHONY: install serve test lint bench clean

$(VENV)/bin/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(SERVER_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install -q -e .
	touch $(SERVER_STAMP)

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(SERVER_STAMP) $(STAMP)

install: $(STAMP)

serve: $(SERVER_STAMP)
	$(BIN)/alliances db upgrade
	$(BIN)/alliances seed
	ALLIANCES_ADMIN_PASSWORD=$${ALLIANCES_ADMIN_PASSWORD:-demo} $(BIN)/alliances serve --demo

test: lint
	$(BIN)/python -m pytest -q -n 2 --dist loadfile $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	for f in bench/bench_*.py; do $(BIN)/python $$f; done

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache test-artifacts
