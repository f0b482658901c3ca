# The two commands of the README: `make run` and `make test`. Both install into
# .venv first, so a fresh machine needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-stamp
STAMP := $(VENV)/.installed-stamp
ARGS ?=

.PHONY: runtime install run test lint bench clean

# The emulator and what it needs to run (the Docker image stops here).
$(RUNTIME_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUNTIME_STAMP)

# ...and the tools of `make test` on top.
$(STAMP): $(RUNTIME_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

runtime: $(RUNTIME_STAMP)

install: $(STAMP)

run: runtime
	$(BIN)/goip-emulator serve $(ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: install lint
	$(BIN)/python -m pytest

# wrk (Debian package) drives the HTTP load of P1; installed here when missing.
bench: install
	command -v wrk >/dev/null || (apt-get update -q && apt-get install -y -q wrk)
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
