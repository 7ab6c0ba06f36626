# Tend: `make run` for a local demo (SQLite and an embedded broker, nothing else to install),
# `make test` for the suite (PostgreSQL and Redis on 127.0.0.1).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export TEND_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test lint worker install install-dev clean

$(BIN)/.runtime: requirements.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.dev: $(BIN)/.runtime requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/.runtime
install-dev: $(BIN)/.dev

run: install
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 $(BIN)/python manage.py seed_demo
	DJANGO_DEBUG=1 HOST=$(HOST) PORT=$(PORT) BIN=$(BIN) ./scripts/run-dev

worker: install
	$(BIN)/celery -A config worker --loglevel=INFO

lint: install-dev
	$(BIN)/ruff check .

test: install-dev
	$(BIN)/ruff check .
	DJANGO_DEBUG=1 TEND_DATA_DIR=$$(mktemp -d) $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -n 2

clean:
	rm -rf $(VENV) var .coverage .pytest_cache
