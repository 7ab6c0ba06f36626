# Tend: `make run` for a local demo (SQLite and an embedded broker, nothing else to install),
# `make test` for the suite (PostgreSQL and Redis on 127.0.0.1).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export TEND_DATA_DIR ?= $(CURDIR)/var

.PHONY: run reset-demo test lint worker install install-dev clean bench bench-quick

$(BIN)/.runtime: requirements.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.dev: $(BIN)/.runtime requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

$(BIN)/.bench: $(BIN)/.dev requirements-bench.txt
	$(BIN)/pip install --quiet -r requirements-bench.txt
	touch $@

install: $(BIN)/.runtime
install-dev: $(BIN)/.dev

# make run PORT=8001 when 8000 is taken (scripts/run-dev checks the port before it starts anything).
run: install
	@DJANGO_DEBUG=1 HOST=$(HOST) PORT=$(PORT) BIN=$(BIN) ./scripts/run-dev

# Forget the local demo (its SQLite database, photos and reports, the embedded broker's queue and
# beat's schedule in TEND_DATA_DIR) so that the next `make run` seeds it anew: make reset-demo run.
# Stop `make run` first. Only the embedded default: a DATABASE_URL database is never touched.
reset-demo:
	@if [ -n "$${DATABASE_URL:-}" ]; then \
	  echo "reset-demo only resets the embedded demo; DATABASE_URL is set: drop that database yourself." >&2; \
	  exit 1; fi
	rm -rf "$(TEND_DATA_DIR)"/tend.sqlite3* "$(TEND_DATA_DIR)"/private "$(TEND_DATA_DIR)"/broker \
	       "$(TEND_DATA_DIR)"/cache "$(TEND_DATA_DIR)"/celerybeat-schedule*

worker: install
	$(BIN)/celery -A config worker --loglevel=INFO

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/mypy
	DJANGO_DEBUG=1 TEND_DATA_DIR=$$(mktemp -d) $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -n 2

# The benchmarks (bench/README.md): PostgreSQL on 127.0.0.1:5432, Redis if there; about 10 minutes on 2 cores.
# Their JSON goes to bench/results/ (not in git), the summary to bench/RESULTS.md.
# Extra arguments per script: make bench BENCH_HTTP_ARGS="--seconds 5" BENCH_REPORTS_ARGS="--renders 5"
bench: $(BIN)/.bench
	$(BIN)/python bench/http_load.py $(BENCH_HTTP_ARGS)
	$(BIN)/python bench/photos.py $(BENCH_PHOTOS_ARGS)
	$(BIN)/python bench/reports.py $(BENCH_REPORTS_ARGS)
	$(BIN)/python bench/reminder_scan.py $(BENCH_REMINDER_ARGS)
	$(BIN)/python bench/results.py

# Smoke runs of the same (a few minutes): bench/results/*-quick.json and RESULTS-quick.md, never
# bench/RESULTS.md.
bench-quick: $(BIN)/.bench
	$(BIN)/python bench/http_load.py --quick --scales 40,80
	$(BIN)/python bench/photos.py --quick
	$(BIN)/python bench/reports.py --renders 2 --skip weasyprint,noaccel --output bench/results/reports-quick.json
	$(BIN)/python bench/results.py --quick

clean:
	rm -rf $(VENV) var .coverage .pytest_cache
