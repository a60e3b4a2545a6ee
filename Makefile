# dipwatch: `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

DEPLOY := .venv-deploy

.PHONY: run collect serve test bench backtest package deploy clean help

help:
	@echo "make run    - set up, collect today's report (simulated data unless Alpaca keys are set), serve the app"
	@echo "make test   - set up and run the whole test suite"
	@echo "make backtest - the score's backtest on the real bars (../shared/data), the table README shows"
	@echo "make bench  - run the benchmarks (median of RUNS=5 runs, min, max) and record them in BENCHMARKS.md"
	@echo "make deploy  - package, then zappa deploy (first time) or update the stage (STAGE=prod)"
	@echo "make package - build and check the Lambda package with Zappa (build/dipwatch-STAGE.zip, STAGE=prod by default)"

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
	@echo "  dashboard      http://$(HOST):$(PORT)/"
	@echo "  API docs       http://$(HOST):$(PORT)/api/docs"
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

backtest: $(VENV)/.runtime
	$(BIN)/python -m bench.backtest

bench: $(VENV)/.dev
	$(BIN)/python -m bench --runs $(RUNS)

# The Lambda package, for the runtime that zappa_settings.json names (python3.12 = Amazon Linux 2023,
# glibc 2.34). It is built from its own virtualenv, made with that Python version, holding wheels
# chosen for the runtime's platform rather than for this machine (whose newer glibc would let pip
# pick wheels the runtime cannot load). A dependency published only as source (websockets and
# msgpack, pinned old by alpaca-trade-api) is built into a wheel here first; the package check
# then proves what its compiled files need. Zappa's zip callback (deploy/lambda_zip.py) adds the
# runtime's bytecode and checks every ELF file, the bytecode and the size limits.
STAGE ?= prod
LAMBDA_VERSION := $(shell $(PYTHON) deploy/lambda_target.py version $(STAGE))
LAMBDA_PYTHON ?= $(shell python$(LAMBDA_VERSION) -c 'import sys; print(sys.executable)' 2>/dev/null || ls -1 $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$(LAMBDA_VERSION).*/bin/python$(LAMBDA_VERSION) 2>/dev/null | tail -n 1)
WHEELS := build/wheelhouse
PACKAGE := build/dipwatch-$(STAGE).zip
# The virtualenv depends on the runtime only: a stamp named after the pip target options.
DEPLOY_STAMP := $(DEPLOY)/.built-$(shell $(PYTHON) deploy/lambda_target.py pip-args $(STAGE) | md5sum | cut -c1-10)

$(DEPLOY_STAMP): requirements.txt requirements-deploy.txt deploy/lambda_target.py
	@test -n "$(LAMBDA_PYTHON)" || { echo "Python $(LAMBDA_VERSION) (the Lambda runtime's) not found: install it, e.g. pyenv install $(LAMBDA_VERSION)"; exit 1; }
	rm -rf $(DEPLOY) $(WHEELS)
	$(LAMBDA_PYTHON) -m pip download --quiet --dest $(WHEELS) -r requirements.txt
	$(LAMBDA_PYTHON) -m pip wheel --quiet --no-deps --wheel-dir $(WHEELS) $$(ls $(WHEELS)/*.tar.gz $(WHEELS)/*.zip 2>/dev/null)
	rm -f $(WHEELS)/*.tar.gz $(WHEELS)/*.zip
	$(LAMBDA_PYTHON) -m venv --without-pip $(DEPLOY)
	$(LAMBDA_PYTHON) -m pip install --quiet --no-compile --no-index --find-links $(WHEELS) \
		$$($(PYTHON) deploy/lambda_target.py pip-args $(STAGE)) \
		--target $$($(DEPLOY)/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))') -r requirements.txt
	$(DEPLOY)/bin/python -m pip install --quiet --no-compile -r requirements-deploy.txt
	touch $@

package: $(DEPLOY_STAMP)
	mkdir -p build
	rm -f $(PACKAGE)
	VIRTUAL_ENV=$(abspath $(DEPLOY)) PATH=$(abspath $(DEPLOY))/bin:$$PATH AWS_DEFAULT_REGION=us-east-1 \
		$(DEPLOY)/bin/python -m zappa.cli package $(STAGE) -o $(PACKAGE)

# Deploy the checked package: `zappa update` when the stage exists, `zappa deploy` the first time.
ZAPPA := VIRTUAL_ENV=$(abspath $(DEPLOY)) $(DEPLOY)/bin/python -m zappa.cli
deploy: package
	if $(ZAPPA) status $(STAGE) >/dev/null 2>&1; then $(ZAPPA) update $(STAGE) -z $(PACKAGE); else $(ZAPPA) deploy $(STAGE) -z $(PACKAGE); fi

clean:
	rm -rf $(VENV) $(DEPLOY) build .pytest_cache .hypothesis .mypy_cache .import_linter_cache
