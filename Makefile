# Two commands do all the set-up: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA_DIR ?= ./data
export DATA_DIR

.PHONY: run test venv lint format demo bench clean plotly-bundle

$(BIN)/.installed: requirements-dev.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements-dev.lock
	$(BIN)/pip install -q --no-deps -e .
	@touch $@

venv: $(BIN)/.installed

# Serve the dashboard on http://127.0.0.1:8050, building the synthetic demo snapshot first when DATA_DIR has none.
run: venv
	@$(BIN)/neo-explorer serve --check
	@if [ ! -f "$(DATA_DIR)/CURRENT" ]; then \
	  echo "make run: no snapshot in $(DATA_DIR); building the synthetic demo snapshot (neo-explorer demo)"; \
	  $(BIN)/neo-explorer demo "$(DATA_DIR)" || { \
	    echo "make run: building the demo snapshot failed; see the message above" >&2; exit 1; }; \
	fi
	$(BIN)/neo-explorer serve

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: venv
	bash scripts/system-deps.sh
	bash scripts/container-engine.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	bash scripts/run-tests.sh

# Run every benchmark in bench/ (each writes its own section of bench/results.md); full scale, minutes each.
bench: venv
	@set -e; for f in bench/*.py; do \
	  name=$$(basename "$$f" .py); \
	  case "$$name" in __init__|results_file|traffic_model|traffic_locustfile|traffic_record) continue;; esac; \
	  echo "== bench.$$name"; $(BIN)/python -m "bench.$$name"; \
	done

# Rebuild assets/vendor/plotly.min.js from scripts/plotly-bundle/traces.json (needs Node.js and npm).
plotly-bundle:
	cd scripts/plotly-bundle && npm ci --ignore-scripts --no-audit --no-fund && node build.mjs

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
