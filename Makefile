# Two commands matter: `make serve` (run the tracker) and `make test` (run every test).
# Both create .venv and install what they need on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export ALLIANCES_DATA_DIR ?= $(CURDIR)/data

.PHONY: install serve test lint bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/alliances db upgrade
	$(BIN)/alliances seed
	ALLIANCES_ADMIN_PASSWORD=$${ALLIANCES_ADMIN_PASSWORD:-demo} $(BIN)/alliances serve --demo

test: lint
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	for f in bench/bench_*.py; do $(BIN)/python $$f; done

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache test-artifacts
