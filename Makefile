# Slate: two commands on a fresh machine with Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/slate_bench

.PHONY: demo test lint format install bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Slate is starting on http://$(HOST):$(PORT)/ (log in with a login printed above)"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# PostgreSQL at BENCH_DATABASE_URL (created if missing) with seed_scale's 10,000 projects,
# plus <name>_small with 100 projects for the query counts; reuses existing scale data.
# Extra arguments: make bench BENCH_ARGS="--repeat 5 --pages overview --profile overview"
bench: $(STAMP)
	$(BIN)/python -m bench.database $(BENCH_DATABASE_URL) $(BENCH_DATABASE_URL)_small
	DATABASE_URL=$(BENCH_DATABASE_URL)_small $(BIN)/python manage.py migrate --noinput -v 0
	DATABASE_URL=$(BENCH_DATABASE_URL)_small $(BIN)/python manage.py seed_scale --projects 100
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py migrate --noinput
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py seed_scale --projects 10000
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m bench.run \
		--small-database-url $(BENCH_DATABASE_URL)_small $(BENCH_ARGS)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m bench.jobs
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m bench.selection \
		--portfolio scale-01,scale-02,scale-03

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
