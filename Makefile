# Careloop developer commands. `make run` and `make test` work from a clean clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck migrations-check openapi pytest test-postgres test-browser bench clean

# The suites start well over a hundred `careloop` processes. Writing Careloop's bytecode once
# spares each of them compiling every module again where the environment forbids it.
unexport PYTHONDONTWRITEBYTECODE

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Careloop needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

## Run Careloop with a demo clinic on SQLite at http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/careloop migrate --noinput
	$(BIN)/careloop demo --if-empty
	$(BIN)/careloop serve

## Lint, type checks, migration drift and the whole test suite (SQLite)
# mypy is one process: it runs beside the suite instead of before it. Its report follows the
# suite's, and either failing fails the target.
test: lint migrations-check
	@report=$$(mktemp); $(BIN)/mypy >"$$report" 2>&1 & types=$$!; \
	$(MAKE) --no-print-directory pytest; suite=$$?; \
	wait $$types; typed=$$?; echo "== mypy"; cat "$$report"; rm -f "$$report"; \
	test $$suite -eq 0 && test $$typed -eq 0

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

migrations-check: $(STAMP)
	$(BIN)/careloop makemigrations --check --dry-run
	$(BIN)/careloop openapi --check

## Regenerate the committed OpenAPI document (docs/openapi.json) after changing the API
openapi: $(STAMP)
	$(BIN)/careloop openapi

# Both suites list their 20 slowest tests at the end: CI must stay within 30 minutes.
pytest: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadgroup -m "not browser" --durations=20

## The same suite against PostgreSQL (DATABASE_URL must point at a server)
test-postgres: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadgroup -m "not browser" --durations=20

## Browser tests: Playwright driving Debian's headless Chromium
test-browser: $(STAMP)
	$(BIN)/pytest -m browser -p no:xdist

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
