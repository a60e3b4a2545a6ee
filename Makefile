# dipwatch: `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

DEPLOY := .venv-deploy
PACKAGE := build/dipwatch-lambda.zip

.PHONY: run collect serve test bench package clean help

help:
	@echo "make run    - set up, collect today's report (simulated data unless Alpaca keys are set), serve the app"
	@echo "make test   - set up and run the whole test suite"
	@echo "make bench  - run the benchmarks (median of RUNS=5 runs, min, max) and record them in BENCHMARKS.md"
	@echo "make package - build the Lambda package with Zappa ($(PACKAGE)), offline"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

collect: $(VENV)/.runtime
	$(BIN)/flask --app app collect

serve: $(VENV)/.runtime
	@echo ""
	@echo "dipwatch is serving on http://$(HOST):$(PORT)/"
	@echo "  status page    http://$(HOST):$(PORT)/"
	@echo "  JSON status    http://$(HOST):$(PORT)/api/status"
	@echo "  latest report  http://$(HOST):$(PORT)/api/reports/latest"
	@echo ""
	$(BIN)/flask --app app run --host $(HOST) --port $(PORT)

# The collection's failure is shown, and the app is served anyway so that its status page tells.
run: $(VENV)/.runtime
	@# 300 days of history first (a no-op once stored), so the 200-day average shows from day one.
	-$(BIN)/flask --app app backfill --days 300
	-$(BIN)/flask --app app collect
	@$(MAKE) --no-print-directory serve

# The layer contracts (.importlinter) and the types (mypy.ini) first: both are quick and fail clearly.
test: $(VENV)/.dev
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest

RUNS ?= 5

bench: $(VENV)/.dev
	$(BIN)/python -m bench --runs $(RUNS)

# The Lambda package is built from a virtualenv holding only the runtime requirements.
$(DEPLOY)/.runtime: requirements.txt
	$(PYTHON) -m venv $(DEPLOY)
	$(DEPLOY)/bin/python -m pip install --quiet --upgrade pip
	$(DEPLOY)/bin/python -m pip install --quiet -r requirements.txt
	touch $@

package: $(DEPLOY)/.runtime
	mkdir -p build
	VIRTUAL_ENV=$(abspath $(DEPLOY)) PATH=$(abspath $(DEPLOY))/bin:$$PATH AWS_DEFAULT_REGION=us-east-1 \
		$(DEPLOY)/bin/zappa package production -o $(PACKAGE)

clean:
	rm -rf $(VENV) $(DEPLOY) build .pytest_cache .hypothesis .mypy_cache .import_linter_cache
