# 江北党员教育 — the commands a newcomer needs. `make run` and `make test` set up everything.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
# The services tier reads these from the environment when set, else uses the local servers.
SERVICES_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/jiangbei)
SERVICES_BROKER_URL ?= $(or $(CELERY_BROKER_URL),redis://127.0.0.1:6379/0)
SERVICES_ENV := DATABASE_URL=$(SERVICES_DATABASE_URL) CELERY_BROKER_URL=$(SERVICES_BROKER_URL)
# Create the PostgreSQL database named in DATABASE_URL when it does not exist yet.
define CREATE_DATABASE
import os, psycopg, urllib.parse as up
from psycopg import sql
url = up.urlparse(os.environ["DATABASE_URL"]); name = url.path.lstrip("/")
with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
endef
export CREATE_DATABASE

.PHONY: install run run-services test test-services test-all browser-deps services-deps migrations-check lint messages bench clean

# Settings default to DEBUG off (production-safe); the development server, the test suite and
# the benchmarks run on the embedded default, which needs DEBUG=1 (set DEBUG to override).
run run-services test test-services migrations-check messages bench: export DEBUG ?= 1

# Python 3.11 or newer, said plainly; a .venv made by another Python is made anew.
define CHECK_PYTHON
import sys
if sys.version_info < (3, 11):
    sys.exit(f"江北党员教育 needs Python 3.11 or newer; {sys.executable} is {sys.version.split()[0]}. "
             "Install 3.11 and run: make PYTHON=python3.11 …")
endef
export CHECK_PYTHON

$(STAMP): pyproject.toml
	@$(PYTHON) -c "$$CHECK_PYTHON"
	@if [ -x $(PY) ] && [ "$$($(PY) -c 'import sys; print(sys.version_info[:2])')" != "$$($(PYTHON) -c 'import sys; print(sys.version_info[:2])')" ]; then \
		echo "The .venv was made by another Python: making it anew."; rm -rf $(VENV); \
	fi
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_jiangbei --scale demo --seed 1 --if-empty
	@echo ""
	@echo "江北党员教育 is at http://127.0.0.1:$(PORT)/  — demo logins (password jiangbei2025):"
	@echo "  admin       superuser, everything (also /admin/)"
	@echo "  leader      leadership, the whole district, read-only"
	@echo "  organiser   district organiser (新区党工委)"
	@echo "  getang      street organiser (葛塘街道)"
	@echo "  secretary   branch secretary (a 葛塘 community branch); secretary2 another branch"
	@echo "  lecturer / requester   lecture office roles"
	@echo "  auditor     security auditor, reads the audit trail (/audit/)"
	@echo ""
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# PostgreSQL + Redis + a Celery worker and beat beside the web server.
run-services: $(STAMP)
	$(SERVICES_ENV) $(PY) -c "$$CREATE_DATABASE"
	$(SERVICES_ENV) $(PY) manage.py migrate --noinput
	$(SERVICES_ENV) $(PY) manage.py seed_jiangbei --scale demo --seed 1 --if-empty
	trap 'trap - EXIT INT TERM; kill 0' EXIT INT TERM; export $(SERVICES_ENV); \
	$(VENV)/bin/celery -A jiangbei worker -Q default,rollups --loglevel=INFO & \
	$(VENV)/bin/celery -A jiangbei beat --loglevel=INFO & \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# Browser tests drive the system Chromium; install it (and CJK fonts) when missing.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi 'noto.*cjk'; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null; \
		else \
			echo "Browser tests need Chromium and CJK fonts: sudo apt-get install chromium fonts-noto-cjk"; exit 1; \
		fi; \
	fi

# The whole suite on the embedded default (SQLite, eager Celery), browser tests included.
test: $(STAMP) browser-deps
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -m "not services"

# The services tier also runs nginx in front of gunicorn (deploy/nginx/jiangbei.conf).
services-deps: browser-deps
	@if [ ! -x /usr/sbin/nginx ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && apt-get install -y -qq --no-install-recommends nginx >/dev/null; \
		else \
			echo "The services tests need nginx: sudo apt-get install nginx"; exit 1; \
		fi; \
	fi

# The whole suite again on PostgreSQL + Redis, with a real Celery worker for @services tests.
test-services: $(STAMP) services-deps
	$(SERVICES_ENV) $(PY) -m pytest -p no:cacheprovider

test-all: test test-services

migrations-check: $(STAMP)
	$(PY) manage.py makemigrations --check --dry-run

lint: $(STAMP)
	$(VENV)/bin/ruff check .

messages: $(STAMP)
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages --ignore=.venv

# Benchmarks print "name: value" lines; they run on their own SQLite file at full scale.
BENCH_DB := var/bench.sqlite3
bench: $(STAMP)
	mkdir -p var && rm -f $(BENCH_DB) $(BENCH_DB)-wal $(BENCH_DB)-shm
	DATABASE_URL=sqlite:///$(CURDIR)/$(BENCH_DB) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=sqlite:///$(CURDIR)/$(BENCH_DB) $(PY) manage.py bench

clean:
	rm -rf $(VENV) var
