# LMS 146: the only commands people need to remember. `make` lists them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi
CHROMIUM ?= /usr/bin/chromium
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
PYTEST_ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 5000

.DEFAULT_GOAL := help
.PHONY: help install constraints run test test-sqlite test-postgres lint format typecheck check cov migration upgrade translations bench worker cluster-test

help: ## show this list
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV)

# constraints.txt pins every package to the version CI ran with (see `make constraints`).
$(STAMP): setup.cfg pyproject.toml constraints.txt | $(BIN)/python
	@$(BIN)/python -m pip install --quiet --upgrade -c constraints.txt pip setuptools wheel
	@$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)
	@echo "== .venv: lms146 and its tools installed ($$($(BIN)/python -m pip list --format=freeze 2>/dev/null | wc -l) packages, pinned by constraints.txt)"

install: $(STAMP) translations ## create .venv and install the app with its test tools

constraints: ## re-pin constraints.txt to the newest versions setup.cfg allows (scratch venv)
	@rm -rf .venv-pin && $(PYTHON) -m venv .venv-pin
	@.venv-pin/bin/python -m pip install --quiet --upgrade pip setuptools wheel
	@.venv-pin/bin/python -m pip install --quiet '.[dev]'
	@{ sed -n '/^#/p' constraints.txt; \
	  .venv-pin/bin/python -m pip freeze --all --exclude lms146 2>/dev/null; } > constraints.txt.new
	@mv constraints.txt.new constraints.txt && rm -rf .venv-pin build
	@echo "== constraints.txt: $$(grep -c '==' constraints.txt) pins; make install applies them"

translations: | $(BIN)/python ## compile the Vietnamese/English message catalogs
	@for dir in lms/translations lms/*/translations; do \
	  [ -d "$$dir" ] && $(BIN)/pybabel -q compile -f -d "$$dir" || exit 1; done

upgrade: install ## apply database migrations
	$(BIN)/flask db upgrade

# QR codes, xAPI IRIs and e-mail links use the base URL: it follows `make run PORT=…` unless set.
run: export LMS_BASE_URL ?= http://$(HOST):$(PORT)
run: install ## migrate, load the demo data and courses, serve on http://127.0.0.1:5000 (PORT=…)
	$(BIN)/flask db upgrade
	$(BIN)/flask seed demo
	@echo ""
	@echo "  LMS 146 is running at http://$(HOST):$(PORT)   (Ctrl+C to stop; base URL $(LMS_BASE_URL))"
	@echo "  Messages: $$($(BIN)/flask messages where)"
	@echo ""
	$(BIN)/flask run --host $(HOST) --port $(PORT)

worker: install ## run the background-job worker (needs LMS_REDIS_URL)
	$(BIN)/celery -A lms.jobs.worker worker --loglevel INFO

# With PostgreSQL too, the two runs go side by side (one core each; each prints when it ends).
test: install ## run the whole suite (SQLite; PostgreSQL too when CI=true)
	@if [ "$$CI" = "true" ] || [ -n "$$LMS_TEST_DATABASE_URL" ]; then \
	  $(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres; \
	else $(MAKE) --no-print-directory test-sqlite; fi

test-sqlite: install
	@if [ -x "$(CHROMIUM)" ]; then \
	  echo "== tests on SQLite (with browser tests in $(CHROMIUM))"; \
	  $(BIN)/pytest $(PYTEST_ARGS); \
	elif [ "$$CI" = "true" ]; then \
	  echo "CI: $(CHROMIUM) is missing; the browser tests must run in CI" >&2; exit 1; \
	else \
	  echo "== tests on SQLite"; \
	  echo "!! $(CHROMIUM) not found: the browser tests in tests/e2e/ are NOT run (apt-get install chromium)"; \
	  $(BIN)/pytest -m "not e2e" $(PYTEST_ARGS); \
	fi

test-postgres: install
	@echo "== tests on PostgreSQL ($${LMS_TEST_DATABASE_URL:-$(PG_TEST_URL)})"
	@$(BIN)/python -c "import psycopg,sys; u='$${LMS_TEST_DATABASE_URL:-$(PG_TEST_URL)}'.replace('+psycopg',''); psycopg.connect(u, connect_timeout=5).close()" \
	  || { echo "PostgreSQL is not reachable" >&2; exit 1; }
	LMS_TEST_DATABASE_URL=$${LMS_TEST_DATABASE_URL:-$(PG_TEST_URL)} $(BIN)/pytest -m "not e2e" $(PYTEST_ARGS)

lint: install ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install ## mypy on lms/
	$(BIN)/mypy lms

check: lint typecheck test ## everything CI checks

cov: install ## tests with coverage
	$(BIN)/pytest --cov --cov-report=term-missing:skip-covered -m "not e2e"

migration: install ## new Alembic revision from the models: make migration msg="..."
	$(BIN)/flask db migrate -m "$(msg)"

bench: install ## run the benchmarks (PostgreSQL), one JSON line each
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b; done

cluster-test: install ## deploy/cluster.sh's cluster under load, an app server and a worker killed (root; minutes)
	$(BIN)/python deploy/cluster_test.py
