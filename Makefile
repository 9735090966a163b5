# The one entry point. `make run` and `make test` are all a new developer needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PYTEST_ARGS ?= -n auto --dist loadgroup

.DEFAULT_GOAL := help
.PHONY: help install run test lint typecheck format lock schema bench clean

help: ## list the targets and what each does (the default: `make` alone)
	@echo "Usage: make <target> [VARIABLE=value ...]   e.g. PORT=9000 make run"
	@echo
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: $(VENV)/.installed ## create the virtualenv and install the locked dependencies

$(VENV)/.installed: requirements/dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	@echo "Installing the locked dependencies into $(VENV) (first run only; about a minute)..."
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --progress-bar off --require-hashes --no-deps -r requirements/dev.txt
	@touch $@
	@echo "Installed into $(VENV)."

run: install ## migrate a SQLite database, load the demo content, serve on 127.0.0.1:8000 (or PORT)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: install ## the whole suite (SQLite by default; DATABASE_URL=postgres://... for PostgreSQL)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install ## ruff (lint and format check) and the layering contracts (lint-imports)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: install ## mypy with django-stubs and djangorestframework-stubs ([tool.mypy] in pyproject.toml)
	$(VENV)/bin/mypy .

format: install ## fix what ruff can: lint fixes, then formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

schema: install ## write the OpenAPI schema to schema.yaml, validating it
	$(PY) manage.py spectacular --validate --fail-on-warn --file schema.yaml

lock: ## re-resolve requirements/*.txt from requirements/*.in (needs pip-tools)
	cd requirements && PIP_FIND_LINKS= pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-trusted-host --no-emit-find-links -o base.txt base.in
	cd requirements && PIP_FIND_LINKS= pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-trusted-host --no-emit-find-links -o dev.txt dev.in

.PHONY: worker

# The web process enqueues to the same Redis when REDIS_URL is set: run
# `REDIS_URL=redis://127.0.0.1:6379/0 make run` beside it.
worker: install ## Celery worker with beat, for development (Redis at REDIS_URL, default redis://127.0.0.1:6379/0)
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} $(VENV)/bin/celery --app=config worker --beat --loglevel=INFO --schedule=$(VENV)/celerybeat-schedule

.PHONY: smoke resilience

smoke: install ## the production stack without Docker: compose file checked, bin/serve (gunicorn, PostgreSQL, Redis) smoke-tested
	.ci/smoke

resilience: install ## live fault tests: two gunicorns, PostgreSQL restarted, Redis stopped. Restarts both: run alone
	@case "$$DATABASE_URL" in postgres*) ;; *) echo "make resilience needs DATABASE_URL=postgres://..." >&2; exit 2;; esac
	REHABIT_LIVE_TESTS=1 $(VENV)/bin/pytest tests/resilience -p no:xdist --create-db

.PHONY: fuzz

bench: install ## load test: gunicorn on PostgreSQL under wrk, per endpoint against a bare-view ceiling (docs/performance.md)
	$(PY) -m bench.run

fuzz: install ## contract fuzzing: schemathesis against gunicorn on a fresh PostgreSQL database (CI_POSTGRES_URL)
	.ci/fuzz

clean: ## remove the virtualenv, the SQLite database and collected static files
	rm -rf $(VENV) db.sqlite3 staticfiles

.PHONY: live

live: install ## live webhook tests: a real Celery worker, Redis (DB 4) and a receiver on loopback (PostgreSQL)
	@case "$$DATABASE_URL" in postgres*) ;; *) echo "make live needs DATABASE_URL=postgres://..." >&2; exit 2;; esac
	REHABIT_LIVE_TESTS=1 $(VENV)/bin/pytest tests/live -p no:xdist

.PHONY: mutation

# Not in CI: slow (minutes per module on two cores). MUTANTS narrows the run, e.g.
# MUTANTS='sessions.services.logs*'; `.venv/bin/mutmut browse` shows the survivors.
MUTANTS ?=
mutation: install ## mutation testing of the domain rules (mutmut over */services*, SQLite in memory); score in docs/testing.md
	env -u DATABASE_URL -u REDIS_URL $(VENV)/bin/mutmut run --max-children 2 $(MUTANTS)
	$(VENV)/bin/mutmut results
