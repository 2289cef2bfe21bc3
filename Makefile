# Oversight: `make run` to use it, `make test` to test it. `make help` lists every target.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
# Debian packages: WeasyPrint's text layout (pango) and font subsetting (harfbuzz-subset), PDF pages as pictures in tests (poppler-utils),
# the headless browser for the admin tests (chromium, chromium-driver), Redis for the worker queue,
# wrk for the bench's load figure (the explorer under 8 concurrent clients).
DEBIAN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils chromium chromium-driver redis-server wrk

.PHONY: help system-deps install pdf-libs run keys migrate seeds login worker beat bench test axe-core lint format check clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

system-deps: ## Install the Debian packages Oversight needs (as root)
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEBIAN_PACKAGES)

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Oversight needs Python 3.11 or newer")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the pinned requirements

# The local targets below run with debug on (DJANGO_DEBUG=0 make run to see production's pages).
# Settings read DJANGO_DEBUG from the environment only, never from .env: production runs from a
# checkout too, and a file left there must not turn debug pages on.
LOCAL := DJANGO_DEBUG=$${DJANGO_DEBUG:-1}

.env:
	@echo "# Local settings for this checkout (git-ignored), e.g. CELERY_BROKER_URL=redis://127.0.0.1:6379/0." > .env
	@echo "# DJANGO_DEBUG is not read from here: make run and the other local targets set it." >> .env

# The local secret key and field encryption key, under var/ (or OVERSIGHT_VAR_DIR): settings only read them.
keys: $(STAMP) .env ## Make the local keys under var/ (once per checkout; kept after)
	$(PY) -m oversight.local_keys

migrate: keys ## Apply database migrations
	$(LOCAL) $(PY) manage.py migrate --no-input

seeds: migrate ## Load the seed dossier (idempotent)
	$(LOCAL) $(PY) manage.py load_seeds

login: migrate ## Create (or show) the local researcher login
	$(LOCAL) $(PY) manage.py local_researcher

# WeasyPrint loads pango and harfbuzz-subset when it first lays out a PDF: check them before saying setup is done.
pdf-libs: $(STAMP)
	@$(PY) -c 'import ctypes.util, sys, weasyprint; sys.exit(0 if ctypes.util.find_library("harfbuzz-subset") else 1)' 2>/dev/null || { echo "Briefings need pango and harfbuzz-subset. Install them with:"; echo "  sudo apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"; exit 1; }

run: pdf-libs seeds login ## Set up and serve the admin at http://127.0.0.1:$(PORT)/admin/ (SQLite by default)
	$(LOCAL) $(PY) manage.py runserver 127.0.0.1:$(PORT)

worker: migrate ## Run a Celery worker that builds briefings (needs CELERY_BROKER_URL, e.g. in .env)
	$(LOCAL) $(PY) -m celery -A oversight worker -Q briefings,celery --loglevel=INFO

beat: migrate ## Run celery beat: the periodic sweeps (briefings republished and rescued, files nobody records)
	$(LOCAL) $(PY) -m celery -A oversight beat --loglevel=INFO

SCALE ?= 1000000
bench: $(STAMP) ## Measure Oversight at SCALE claims on PostgreSQL (default a million): bench/results.json
	$(PY) -m bench.run --scale $(SCALE)

.PHONY: intake-eval
intake-eval: keys ## Precision and recall of the article proposer on the gold set (tests/intake/gold/)
	$(LOCAL) $(PY) manage.py intake_eval

test: $(STAMP) axe-core ## Run the whole test suite (SQLite unless DATABASE_URL says otherwise)
	$(PY) -m pytest

# axe-core for the accessibility tests, from the npm registry into a git-ignored folder. Without npm the
# tests that need it skip (CI, where OVERSIGHT_REQUIRE_SERVICES is set, fails them instead).
AXE_CORE_VERSION := 4.14.1
AXE_JS := .axe-core/node_modules/axe-core/axe.min.js
axe-core: ## Install axe-core for the accessibility tests (needs npm)
	@test -f $(AXE_JS) && grep -q 'axe v$(AXE_CORE_VERSION)' $(AXE_JS) || { \
	  if command -v npm >/dev/null; then \
	    npm install --silent --no-audit --no-fund --no-save --prefix .axe-core axe-core@$(AXE_CORE_VERSION); \
	  else echo "npm not found: the accessibility tests will skip (apt-get install nodejs npm)"; fi; }

lint: $(STAMP) ## ruff (lint, complexity, format), the layers (lint-imports), the core's types (mypy), no missing migrations
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	DJANGO_SETTINGS_MODULE=oversight.test_settings $(VENV)/bin/mypy
	DJANGO_SETTINGS_MODULE=oversight.test_settings $(PY) manage.py makemigrations --check --dry-run

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: lint test ## Everything CI checks

clean: ## Remove the virtualenv and local data (var/)
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache .import_linter_cache .hypothesis .axe-core
