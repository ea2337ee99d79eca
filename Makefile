# Two commands do all the set-up (see README):
#   make docs   build the tutorial site (running its examples) and serve it on http://127.0.0.1:8000
#   make test   run every check: lint, unit tests, doctests, docs code, strict docs build, browser test
# Each creates or reuses its own virtual environment in .venv.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.fdmlearn-installed
KATEX_VERSION := 0.16.47
KATEX  := docs/assets/katex/katex.min.js
PORT   ?= 8000

.PHONY: docs site test test-slow lint format benchmarks chromium clean

$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --disable-pip-version-check -e ".[docs,test]"
	touch $(STAMP)

# KaTeX comes from the npm registry at build time, so pages render math offline.
# Only the files the site needs are copied: dist/ also holds a README that mkdocs would treat as a page.
$(KATEX):
	npm install --silent --no-audit --no-fund --no-save --prefix .cache/npm katex@$(KATEX_VERSION)
	mkdir -p docs/assets/katex/contrib
	cp .cache/npm/node_modules/katex/dist/katex.min.js .cache/npm/node_modules/katex/dist/katex.min.css docs/assets/katex/
	cp .cache/npm/node_modules/katex/dist/contrib/auto-render.min.js docs/assets/katex/contrib/
	cp -r .cache/npm/node_modules/katex/dist/fonts docs/assets/katex/

# The browser test drives Debian's Chromium; install it when it is missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

site: $(STAMP) $(KATEX)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

docs: site
	@echo "Serving the site on http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	$(BIN)/python -m http.server $(PORT) --bind 127.0.0.1 --directory site

lint: $(STAMP)
	$(BIN)/ruff check fdmlearn tests benchmarks
	$(BIN)/ruff format --check fdmlearn tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format fdmlearn tests benchmarks
	$(BIN)/ruff check --fix fdmlearn tests benchmarks

# Two workers, one test file at a time each: the site build (a third of the run, in one
# file's session fixture) runs beside the other tests instead of before or after them.
test: $(STAMP) $(KATEX) chromium lint
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m pytest -n 2 --dist loadfile

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

benchmarks: $(STAMP)
	cd benchmarks && for b in *.py; do case $$b in _*) ;; *) ../$(BIN)/python $$b || exit 1;; esac; done

clean:
	rm -rf site build dist .cache docs/assets/katex artifacts
