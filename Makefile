# `make test` and `make demo` work from a fresh clone: each builds .venv first if needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint demo bench generated completions clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy --strict

test: lint
	$(BIN)/pytest

demo: $(STAMP)
	$(BIN)/python -m tests.demo

# Timings as ratios against gcloud and `python -c pass` in the same run (needs gcloud);
# then the gateway against going direct and a reference proxy (needs wrk).
bench: $(STAMP)
	$(BIN)/python -m tests.bench
	$(BIN)/python -m tests.bench_gateway

# Rewrite the files generated from the CLI's definitions (the tests check them).
generated: $(STAMP)
	$(BIN)/python -m tests.generate

completions: generated

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
