# The README's two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test bench lint system-deps clean
AXE    := tests/browser/axe/node_modules/axe-core/axe.min.js

# The stamps make a second `make run` start at once; editing pyproject.toml reinstalls.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# glibc settings measured in DESIGN.md: fewer page faults on hot paths (forward 12-19 -> 10-13 ms).
run: $(VENV)/.installed
	MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_ARENA_MAX=2 \
	  $(BIN)/convlens --host $(HOST) --port $(PORT)

# Tests drive Debian's Chromium through Playwright and start a real redis-server.
# Never `playwright install`: it downloads a browser.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# axe-core, which the accessibility test injects into the page (from npm; never shipped).
$(AXE): tests/browser/axe/package.json tests/browser/axe/package-lock.json
	cd tests/browser/axe && npm ci --silent --no-audit --no-fund
	touch $@

lint: $(VENV)/.installed-test
	$(BIN)/ruff check app models tests bench

test: $(VENV)/.installed-test system-deps $(AXE) lint
	@if command -v node >/dev/null; then node --test tests/js/; else echo "node not found: skipping the JS unit tests"; fi
	$(BIN)/pytest

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache
