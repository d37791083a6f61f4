# OneGrid — `make demo` and `make test` work on a fresh machine with only Python 3.11 and make.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := $(CURDIR)/var/bootstrap/bin/uv
endif
RUN := $(UV) run --frozen
PYTEST_MARK := $(if $(ONEGRID_SLOW),-m "not soak",-m "not slow")

.PHONY: demo test lint typecheck pytest bench assets serve clean

$(CURDIR)/var/bootstrap/bin/uv:
	$(PYTHON) -m venv var/bootstrap
	var/bootstrap/bin/pip install --quiet uv

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

demo: .venv/.synced  ## set up the demo county and serve it at http://127.0.0.1:8000
	$(RUN) onegrid demo

serve: .venv/.synced
	$(RUN) onegrid serve

test: lint typecheck pytest  ## the whole suite and the quality gates

lint: .venv/.synced
	$(RUN) ruff check src tests bench
	$(RUN) ruff format --check src tests bench
	$(RUN) lint-imports
	$(RUN) onegrid makemigrations --check --dry-run

typecheck: .venv/.synced
	$(RUN) mypy

# With ONEGRID_SLOW the load soak runs after the rest, alone: it needs the machine to itself.
pytest: .venv/.synced
	$(RUN) pytest -n auto $(PYTEST_MARK)
	$(if $(ONEGRID_SLOW),$(RUN) pytest -m soak -s tests/reliability/test_soak.py)

bench: .venv/.synced  ## every benchmark; results are appended to docs/benchmarks.md
	$(RUN) onegrid bench all

assets:  ## rebuild the vendored front-end files from npm (needs Node.js)
	npm ci --no-audit --no-fund
	node scripts/vendor-assets.mjs

clean:
	rm -rf .venv var/test .pytest_cache .mypy_cache .ruff_cache
