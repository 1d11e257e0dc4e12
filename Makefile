# The two set-up commands (see README):  make demo  and  make test
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
SUDO   := $(shell [ "$$(id -u)" -ne 0 ] && command -v sudo)

.PHONY: demo demo-tistory test setup jekyll lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

setup: $(PY)
	$(PY) -m pip install -q -e '.[test]'

# Debian's jekyll, the minima theme and the plugins the sites use, and chromium for the tests that open
# pages and reports and follow the redirects in a real browser: each missing package is installed (best
# effort outside CI); and Debian's nginx binary, unpacked into $(VENV)/nginx (not installed: no service
# starts), for the test that runs the generated nginx map
jekyll:
	@bash .ci/system-deps || echo "note: could not install every system package; the tests that need them will be skipped"
	@if ! command -v nginx >/dev/null 2>&1 && [ ! -x $(VENV)/nginx/usr/sbin/nginx ] && command -v apt-get >/dev/null 2>&1; then \
	  tmp=$$(mktemp -d) && (cd $$tmp && { apt-get download -qq nginx >/dev/null 2>&1 || \
	    { $(SUDO) apt-get update -qq && apt-get download -qq nginx >/dev/null 2>&1; }; }) && \
	  dpkg-deb -x $$tmp/nginx_*.deb $(VENV)/nginx || echo "note: could not fetch nginx; its test will be skipped"; \
	  rm -rf $$tmp; \
	fi

demo: setup jekyll
	$(PY) fixtures/demo.py example-site

demo-tistory: setup jekyll
	$(PY) fixtures/demo.py --tistory example-site-tistory

# the whole suite, with branch coverage (pytest-cov; in-process code only: the subprocess runs are not counted)
test: setup jekyll
	$(PY) -m pytest -q --cov --cov-report=term

lint: setup
	$(PY) -m ruff check src tests fixtures $(wildcard bench)

bench: setup jekyll
	@command -v pandoc >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq pandoc >/dev/null; } || \
	  echo "note: pandoc is not installed; the comparison with it is left out"
	$(PY) bench/run.py
	$(PY) bench/fidelity.py
	$(PY) bench/tistory.py

clean:
	rm -rf $(VENV) example-site example-site-tistory .pytest_cache .ruff_cache build src/*.egg-info

# a site migrated by another tool, its images still on the old blogs: repaired offline (see README)
.PHONY: demo-localize
demo-localize: setup
	$(PY) fixtures/localize_demo.py example-localize
