# `make test` and `make demo` work from a fresh clone: each builds .venv first if needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CLIENTS_STAMP := $(VENV)/.clients-installed
AIDER_VENV := .venv-aider
OPENAI2_VENV := .venv-openai2
NODE_MODULES := tests/clients/node/node_modules

DEMO_STAMP := $(VENV)/.demo-installed
# pip reads dependency groups (pyproject.toml's [dependency-groups]) from 25.1 on: a venv
# gets that pip first, an older venv too (its stamp is missing).
PIP_STAMP := $(VENV)/.pip-groups
PIP := $(BIN)/pip --disable-pip-version-check

.PHONY: help test test-clients clients lint demo docs dist bench generated completions clean mutants

# Plain `make` lists the targets.
help:
	@echo "make demo          the whole flow against a local stand-in for Google: no account needed"
	@echo "make test          ruff, mypy --strict and the test suite, with coverage"
	@echo "make test-clients  every documented client recipe, run by the real client"
	@echo "make docs          build the documentation site (mkdocs build --strict) into site/"
	@echo "make dist          build the wheel and sdist into dist/ and check them with twine"
	@echo "make bench         timings against gcloud, a naive script and a reference proxy"
	@echo "make mutants       mutation testing of the gateway, output, cache, URL checks (slow)"
	@echo "make generated     rewrite the files generated from the command line's definitions"
	@echo "make clean         remove the venvs and caches"

$(PIP_STAMP):
	@test -x $(BIN)/python || { echo "Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@$(PIP) install --quiet --upgrade 'pip>=25.1'
	@touch $@

$(STAMP): pyproject.toml $(PIP_STAMP)
	@echo "Setting up $(VENV): the tool and what its tests use (first run only, about a minute)"
	$(PIP) install --progress-bar on -e . --group dev
	touch $(STAMP)

# Only what the demo runs: the tool and the OpenAI SDK.
$(DEMO_STAMP): pyproject.toml $(PIP_STAMP)
	@echo "Installing the tool and the OpenAI SDK into $(VENV) (first run only)"
	@$(PIP) install --quiet -e . --group demo
	@touch $(DEMO_STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy --strict

# The suite, with coverage measured in every Python process it starts; too little fails.
test: lint
	$(BIN)/coverage erase
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage combine --quiet
	$(BIN)/coverage report

$(CLIENTS_STAMP): $(STAMP) tests/clients/requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r tests/clients/requirements.txt
	touch $(CLIENTS_STAMP)

# aider pins releases of openai and litellm older than the project's: it gets its own venv.
# Pinned itself, since the README describes what this release reads.
$(AIDER_VENV)/.installed:
	$(PYTHON) -m venv $(AIDER_VENV)
	$(AIDER_VENV)/bin/pip install --quiet --disable-pip-version-check 'aider-chat==0.86.2'
	touch $(AIDER_VENV)/.installed

# llama-index pins an OpenAI SDK older than 3, instructor a jiter older than openai 3's.
$(OPENAI2_VENV)/.installed: tests/clients/requirements-openai2.txt
	$(PYTHON) -m venv $(OPENAI2_VENV)
	$(OPENAI2_VENV)/bin/pip install --quiet --disable-pip-version-check -r $<
	touch $@

# The npm clients, from the committed lockfile; npm's own cache (~/.npm) keeps the packages.
$(NODE_MODULES)/.installed: tests/clients/node/package-lock.json
	cd tests/clients/node && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Every client the recipes use; `make -j4 clients` installs them side by side.
clients: $(CLIENTS_STAMP) $(AIDER_VENV)/.installed $(OPENAI2_VENV)/.installed $(NODE_MODULES)/.installed

# The recipes of the README and docs/clients/ run by the real clients that are slow to load
# or install (`make test` leaves them out), two at a time: most of their time is start-up.
test-clients: clients
	$(BIN)/pytest -m clients -n 2

demo: $(DEMO_STAMP)
	@$(BIN)/python -m tests.demo

docs: $(PIP_STAMP)
	$(PIP) install --quiet --group docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# The files an index would get, checked as it checks them; in their own folder, so an old
# build cannot be checked instead.
dist: $(PIP_STAMP)
	$(PIP) install --quiet --group release
	rm -rf dist
	$(BIN)/python -m build --outdir dist
	$(BIN)/twine check --strict dist/*
	$(BIN)/python .ci/dist_contents.py dist

# Timings as ratios against gcloud, a naive google-auth script and `python -c pass` (needs
# gcloud); then the gateway against going direct and a reference proxy (needs wrk); then
# the Responses API against chat requests through the same gateway.
bench: $(STAMP)
	$(BIN)/python -m tests.bench
	$(BIN)/python -m tests.bench_gateway
	$(BIN)/python -m tests.bench_responses
	$(BIN)/python -m tests.bench_stress

# Mutation testing (not in CI: it takes a while) of the modules and with the tests named in
# pyproject's [tool.mutmut]; `make mutants MUTATE='vertex_openai_env.output*'` tries some.
# Lists the mutants no test noticed, then the share killed per module. See docs/mutants.md.
MUTATE ?=
$(BIN)/mutmut: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check 'mutmut==3.8.1'

mutants: $(BIN)/mutmut
	mkdir -p mutants/src
	PYTHONPATH=$(CURDIR)/tests/mutmut_site:$(CURDIR)/mutants/src $(BIN)/mutmut run $(MUTATE)
	$(BIN)/mutmut results | grep -v ': not checked$$' || true
	$(BIN)/mutmut results --all true | $(BIN)/python tests/mutmut_site/summary.py

# Rewrite the files generated from the CLI's definitions (the tests check them).
generated: $(STAMP)
	$(BIN)/python -m tests.generate

completions: generated

clean:
	rm -rf $(VENV) $(AIDER_VENV) $(OPENAI2_VENV) .venv-lowest* .venv-3.* site dist $(NODE_MODULES) .mypy_cache .ruff_cache .pytest_cache .hypothesis .coverage .coverage.*
