# Slate: two commands on a fresh machine with Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/slate_bench
# make loadtest writes (cost entries, drafts): its own database, seeded like the bench's.
LOADTEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/slate_load
USERS ?= 50
RUNTIME ?= 60s
BENCH_STAMP := $(VENV)/.bench-installed-stamp

.PHONY: demo test lint format install bench loadtest backup restore clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# locust (the load test's only extra): installed by the first `make loadtest`.
$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet ".[dev,bench]"
	touch $(BENCH_STAMP)

# The demo serves static files as production does (hashed names, cached for a year, brotli
# and gzip, by whitenoise from what collectstatic wrote: STATIC_HASHED=1), with DEBUG on.
demo: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	STATIC_HASHED=1 $(BIN)/python manage.py collectstatic --noinput -v 0
	@echo "Slate is starting on http://$(HOST):$(PORT)/ (log in with a login printed above)"
	STATIC_HASHED=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# PostgreSQL at BENCH_DATABASE_URL (created if missing) with seed_scale's 10,000 projects,
# plus <name>_small with 100 projects for the query counts and <name>_timing with issue 17's
# timing portfolio (its own: capacity is the organisation's); reuses existing data. Then
# the browser bench and `make loadtest` (its own database): every row of issue 15's table.
# Extra arguments: make bench BENCH_ARGS="--repeat 5 --pages overview --profile overview"
# The 50,000-project scale point (not by default; seeding takes several minutes the first
# time): make bench BENCH_50K=1 — overview and review at 10k and 50k, growth and peak RSS.
BENCH_50K ?=
bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.database $(BENCH_DATABASE_URL) $(BENCH_DATABASE_URL)_small \
		$(BENCH_DATABASE_URL)_timing
	DATABASE_URL=$(BENCH_DATABASE_URL)_small $(BIN)/python manage.py migrate --noinput -v 0
	DATABASE_URL=$(BENCH_DATABASE_URL)_small $(BIN)/python manage.py seed_scale --projects 100
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py migrate --noinput
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py seed_scale --projects 10000
	-DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m bench.run \
		--small-database-url $(BENCH_DATABASE_URL)_small $(BENCH_ARGS)
	-DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m bench.jobs
	-DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m bench.selection --timing 0 \
		--portfolio scale-01,scale-02,scale-03 \
		--large-portfolio scale-01,scale-02,scale-03,scale-04,scale-05,scale-06
	DATABASE_URL=$(BENCH_DATABASE_URL)_timing $(BIN)/python manage.py migrate --noinput -v 0
	DATABASE_URL=$(BENCH_DATABASE_URL)_timing $(BIN)/python manage.py seed_scale --timing 500
	-DATABASE_URL=$(BENCH_DATABASE_URL)_timing $(BIN)/python -m bench.selection --solvers highs \
		--no-synthetic --timing 0 --timing-portfolio scale-timing
	-DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m bench.browser
	-$(MAKE) --no-print-directory loadtest
	@if [ -n "$(BENCH_50K)" ]; then \
		$(BIN)/python -m bench.database $(BENCH_DATABASE_URL)_50k && \
		DATABASE_URL=$(BENCH_DATABASE_URL)_50k $(BIN)/python manage.py migrate --noinput -v 0 && \
		DATABASE_URL=$(BENCH_DATABASE_URL)_50k $(BIN)/python manage.py seed_scale --projects 50000 && \
		DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m bench.run \
			--scale-point $(BENCH_DATABASE_URL)_50k; \
	fi

# Locust against gunicorn (3 workers, DEBUG=0) on 127.0.0.1 and the 10,000-project database at
# LOADTEST_DATABASE_URL: p50/p95/p99 per page, requests/s, errors, and the writes counted.
# make loadtest USERS=100 RUNTIME=120s LOADTEST_ARGS="--ramp 30 --workers 3"
loadtest: $(BENCH_STAMP)
	$(BIN)/python -m bench.database $(LOADTEST_DATABASE_URL)
	DATABASE_URL=$(LOADTEST_DATABASE_URL) $(BIN)/python manage.py migrate --noinput -v 0
	DATABASE_URL=$(LOADTEST_DATABASE_URL) $(BIN)/python manage.py seed_scale --projects 10000
	DATABASE_URL=$(LOADTEST_DATABASE_URL) $(BIN)/python -m bench.loadtest \
		--users $(USERS) --runtime $(RUNTIME) $(LOADTEST_ARGS)

# PostgreSQL only: a custom-format dump (pg_dump -Fc) of DATABASE_URL, and its restore into
# DATABASE_URL (dropping the objects it holds first). make restore BACKUP_FILE=var/slate-….dump
BACKUP_FILE ?= var/slate-$(shell date +%Y-%m-%d).dump

backup:
	@test -n "$(DATABASE_URL)" || { echo "Set DATABASE_URL to the PostgreSQL database" >&2; exit 1; }
	mkdir -p $(dir $(BACKUP_FILE))
	pg_dump -Fc --no-owner --file="$(BACKUP_FILE)" "$(DATABASE_URL)"
	@echo "Backed up to $(BACKUP_FILE)"

restore:
	@test -n "$(DATABASE_URL)" || { echo "Set DATABASE_URL to the PostgreSQL database" >&2; exit 1; }
	@test -f "$(BACKUP_FILE)" || { echo "No backup at $(BACKUP_FILE)" >&2; exit 1; }
	pg_restore --clean --if-exists --no-owner --exit-on-error --dbname="$(DATABASE_URL)" "$(BACKUP_FILE)"
	@echo "Restored $(BACKUP_FILE)"

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
