# Two commands: `make dev` runs the pool, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: dev test lint typecheck unit integration e2e faults bench trace clean \
	backstage-module backstage-e2e chromium sshd

# The Backstage scaffolder module (TypeScript): installed once from its lock file, then
# type-checked, linted and unit-tested with Backstage's own tooling.
MODULE := backstage/plugin-scaffolder-backend-module-actionpool
MODULE_STAMP := $(MODULE)/node_modules/.installed-stamp

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "actionpool needs Python 3.11+, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

dev: $(STAMP)
	$(BIN)/actionpool dev

test: lint typecheck backstage-module chromium sshd
	$(BIN)/pytest

# tests/e2e/test_ui.py drives Debian's Chromium, never a downloaded browser: installed here
# when missing and this runs as root with apt-get (about 20 s, 125 MB), else named.
ACTIONPOOL_TEST_CHROMIUM ?= /usr/bin/chromium
export ACTIONPOOL_TEST_CHROMIUM
APT_CHROMIUM := DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium

chromium:
	@test -x "$(ACTIONPOOL_TEST_CHROMIUM)" || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for tests/e2e/test_ui.py"; \
	    $(APT_CHROMIUM) >/dev/null || { apt-get update -q >/dev/null && $(APT_CHROMIUM) >/dev/null; }; \
	  else \
	    echo "tests/e2e/test_ui.py needs Chromium at $(ACTIONPOOL_TEST_CHROMIUM): install Debian's chromium package (apt-get install chromium), or set ACTIONPOOL_TEST_CHROMIUM"; \
	    exit 1; \
	  fi; }
	@test -x "$(ACTIONPOOL_TEST_CHROMIUM)" || { echo "no Chromium at $(ACTIONPOOL_TEST_CHROMIUM) after installing Debian's chromium"; exit 1; }

# tests/integration/actions/git/test_ssh_publish.py runs its own sshd on a free port of
# 127.0.0.1 (tests/git/ssh_server.py): Debian's openssh-server, installed here when missing
# and this runs as root with apt-get, else named. The package must not leave a system sshd
# on port 22: policy-rc.d (101: start nothing) holds during the install, and an sshd the
# install started anyway is stopped by its pid file.
ACTIONPOOL_TEST_SSHD ?= /usr/sbin/sshd
export ACTIONPOOL_TEST_SSHD
APT_SSHD := DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends openssh-server

sshd:
	@test -x "$(ACTIONPOOL_TEST_SSHD)" || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's openssh-server for tests/integration/actions/git/test_ssh_publish.py"; \
	    policy=/usr/sbin/policy-rc.d; kept=; \
	    if [ -e $$policy ]; then kept=$$(mktemp) && cp -p $$policy $$kept; fi; \
	    printf '#!/bin/sh\nexit 101\n' >$$policy && chmod 755 $$policy; \
	    { $(APT_SSHD) >/dev/null || { apt-get update -q >/dev/null && $(APT_SSHD) >/dev/null; }; }; \
	    installed=$$?; \
	    if [ -n "$$kept" ]; then mv -f $$kept $$policy; else rm -f $$policy; fi; \
	    if [ -s /run/sshd.pid ]; then kill "$$(cat /run/sshd.pid)" 2>/dev/null; rm -f /run/sshd.pid; fi; \
	    [ $$installed = 0 ] || exit 1; \
	  else \
	    echo "tests/integration/actions/git/test_ssh_publish.py needs sshd at $(ACTIONPOOL_TEST_SSHD): install Debian's openssh-server package (apt-get install openssh-server), or set ACTIONPOOL_TEST_SSHD"; \
	    exit 1; \
	  fi; }
	@test -x "$(ACTIONPOOL_TEST_SSHD)" || { echo "no sshd at $(ACTIONPOOL_TEST_SSHD) after installing Debian's openssh-server"; exit 1; }

$(MODULE_STAMP): $(MODULE)/package-lock.json
	@node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null || \
	  { echo "the Backstage module needs Node.js 20+ and npm (found: $$(node --version 2>&1))"; exit 1; }
	cd $(MODULE) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

backstage-module: $(MODULE_STAMP)
	cd $(MODULE) && npm run --silent tsc && npm run --silent lint && npm run --silent test

# A real Backstage backend next to a real pool, every route (docs/backstage.md); not part of
# `make test`. BACKSTAGE_E2E_LONG_S sets the long action's length (default 75 s; 600 for the
# documented 10-minute run).
backstage-e2e: $(STAMP) $(MODULE_STAMP)
	cd $(MODULE) && npm run --silent build
	$(BIN)/pytest -m backstage tests/backstage

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict -p actionpool  # api/, worker/ and actions/ (and the CLI), by their installed names

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP)
	$(BIN)/pytest tests/integration

e2e: $(STAMP)
	$(BIN)/pytest tests/e2e

faults: $(STAMP)
	$(BIN)/pytest tests/faults

bench: $(STAMP)
	$(BIN)/python -m bench.run

trace: $(STAMP)
	$(BIN)/python -m bench.trace

clean:
	rm -rf $(VENV) .actionpool .mypy_cache .ruff_cache .pytest_cache .hypothesis
