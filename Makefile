# Everything a fresh clone needs, with only Python 3.11+ present.
#   make demo   - install the demo's packages, migrate, seed, serve the demo marketplace at
#                 http://127.0.0.1:$(PORT)
#   make test   - install the tools on top, lint, run the whole test suite on both stacks
#
# make demo installs only what the demo imports (pyproject.toml's dependencies and the "demo"
# extra: django-environ and the headless API's packages): 24 packages, 103 MB. From `git clone`
# with an empty pip cache (PIP_NO_CACHE_DIR=1) to its first page served: 13 s on a quiet 2-core
# machine, 21-24 s with other jobs on it (load 3-4); before, when it installed everything make
# test needs (96 packages, 578 MB): 28-32 s quiet, 44-58 s busy. The test, lint, docs and dist
# tools come with make test (and lint, docs, dist), installed on top of the demo's; each set has
# its own stamp, so make demo after make test installs nothing.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
export PORT

# The second stack: the newest Django 6 on Python 3.12+ (python3.13/3.12 on PATH or pyenv's,
# else the default python3; see .ci/python-for-django6), in its own venv.
PYTHON_DJ6 ?= $(shell .ci/python-for-django6)
VENV_DJ6   ?= .venv-dj6
BIN_DJ6    := $(VENV_DJ6)/bin

# The install stamps change whenever pyproject.toml changes, so a second run installs nothing.
CKSUM      := $(shell cksum pyproject.toml | cut -d' ' -f1)
STAMP_DEMO := $(VENV)/.demo-$(CKSUM)
STAMP      := $(VENV)/.installed-$(CKSUM)
STAMP_DJ6  := $(VENV_DJ6)/.installed-$(CKSUM)
PIP        := -m pip install --quiet --disable-pip-version-check

.PHONY: demo test test-dj52 test-dj6 test-scaleout dist docs install install-demo install-dj6 lint typecheck messages benchmarks clean serve screenshots reliability

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)

# The demo's packages only, not the package itself: the demo runs from this checkout (manage.py
# puts it on sys.path), so building and installing it would only cost time.
$(STAMP_DEMO): pyproject.toml | $(BIN)/python
	$(BIN)/python $(PIP) $$(.ci/requirements demo)
	@rm -f $(VENV)/.demo-*
	@touch $@

# Everything make test needs (the package itself, editable: its pytest plugin is an entry point),
# on top of the demo's packages, which it includes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python $(PIP) --upgrade pip
	$(BIN)/python $(PIP) -e '.[demo,test,dev,docs]'
	@rm -f $(VENV)/.installed-* $(VENV)/.demo-*
	@touch $@ $(STAMP_DEMO)

install-demo: $(STAMP_DEMO)

install: $(STAMP)

demo: install-demo
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Django 6 wants Python 3.12+: without one, say so and skip the leg (fail when
# SECU_REQUIRE_DJ6=1, as .ci/run sets). Then the newest Django 6 the package allows.
$(STAMP_DJ6): pyproject.toml
	@$(PYTHON_DJ6) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' || { \
	  echo "Django 6 needs Python 3.12+; found only $(PYTHON_DJ6) ($$($(PYTHON_DJ6) -V 2>&1))." \
	       "Install python3.12 or python3.13, or set PYTHON_DJ6=/path/to/python3.12+." >&2; \
	  exit 1; }
	@test -x $(BIN_DJ6)/python || $(PYTHON_DJ6) -m venv $(VENV_DJ6)
	$(BIN_DJ6)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN_DJ6)/python -m pip install --quiet --disable-pip-version-check --upgrade -e '.[test]' 'Django>=6'
	@rm -f $(VENV_DJ6)/.installed-*
	@touch $@

install-dj6: $(STAMP_DJ6)

# Both stacks, each the whole suite; each leg prints its own time. Measured by .ci/run on a fresh
# clone (2-core machine, other jobs on it; make test 1125 s, venvs built from scratch):
#   installs, lint, docs, dist ~60 s
#   test-dj52  Python 3.11 + Django 5.2: SQLite (e2e included) 221 s, then PostgreSQL 467 s (the
#              fault matrix's 81 cells and the lock tests run there): 693 s
#   test-dj6   Python 3.13 + Django 6.1: SQLite (e2e included) 251 s
#   test-scaleout  Python 3.11 + Django 5.2, PostgreSQL + Redis: RQ workers, then 145 flow tests
#              against two gunicorn servers: 118 s
test: lint docs dist test-dj52 test-dj6 test-scaleout

# Python 3.11 + Django 5.2 LTS: the whole suite on SQLite; then, when SECU_TEST_POSTGRES_URL names
# a server (.ci/run starts one), again on PostgreSQL, where the lock and concurrency tests run.
test-dj52: install
	@start=$$(date +%s); \
	echo "== Python $$($(BIN)/python -c 'import sys; print(sys.version.split()[0])')" \
	     "+ Django $$($(BIN)/python -m django --version): SQLite"; \
	$(BIN)/python -m pytest $(PYTEST_ARGS) || exit 1; \
	if [ -n "$$SECU_TEST_POSTGRES_URL" ]; then \
	  echo "== again on PostgreSQL"; \
	  TEST_DATABASE_URL="$$SECU_TEST_POSTGRES_URL" $(BIN)/python -m pytest -m "not e2e" $(PYTEST_ARGS) || exit 1; \
	elif [ "$$SECU_REQUIRE_POSTGRES" = 1 ]; then \
	  echo "SECU_REQUIRE_POSTGRES=1 but SECU_TEST_POSTGRES_URL is not set" >&2; exit 1; \
	fi; \
	echo "== leg Django 5.2 took $$(( $$(date +%s) - start )) s"

# The scaled-out deployment (docs/deployment.md), on PostgreSQL and the Redis .ci/run starts
# (SECU_REDIS_URL; without one the leg is skipped, or fails when SECU_REQUIRE_REDIS=1): the RQ
# task queue with several workers (tests marked redis), then nine of the flow files (checkout,
# reconciliation, processing, every method, the read API, pushes, money paths, undecided
# answers, onboarding) against two gunicorn servers sharing the token through Redis. The rest
# patch the app or the sandbox inside the test process; tests marked in_process are skipped.
# ~2.5 min on 2 cores.
SCALEOUT_FLOWS ?= tests/flows/test_checkout_flows.py tests/flows/test_reconcile.py \
  tests/flows/test_processing.py tests/flows/test_methods.py tests/flows/test_read_api.py \
  tests/flows/test_pushes.py tests/flows/test_money_paths.py tests/flows/test_undecided.py \
  tests/flows/test_onboarding.py
test-scaleout: install
	@if [ -z "$$SECU_REDIS_URL" ] || [ -z "$$SECU_TEST_POSTGRES_URL" ]; then \
	  if [ "$$SECU_REQUIRE_REDIS" = 1 ]; then \
	    echo "SECU_REQUIRE_REDIS=1 but SECU_REDIS_URL or SECU_TEST_POSTGRES_URL is not set" >&2; exit 1; \
	  fi; \
	  echo "== skipping the scale-out leg: set SECU_REDIS_URL and SECU_TEST_POSTGRES_URL" >&2; exit 0; \
	fi; \
	start=$$(date +%s); \
	echo "== scale-out: RQ workers on Redis, PostgreSQL"; \
	TEST_DATABASE_URL="$$SECU_TEST_POSTGRES_URL" SECU_TEST_REDIS_URL="$$SECU_REDIS_URL/0" \
	  $(BIN)/python -m pytest -m redis $(PYTEST_ARGS) tests/tasks || exit 1; \
	echo "== scale-out: flows against two gunicorn servers, token shared through Redis"; \
	TEST_DATABASE_URL="$$SECU_TEST_POSTGRES_URL" SECU_TEST_CACHE_URL="$$SECU_REDIS_URL/1" \
	  SECU_TEST_DEPLOYMENT=1 $(BIN)/python -m pytest -m "not e2e" $(PYTEST_ARGS) $(SCALEOUT_FLOWS) || exit 1; \
	echo "== leg scale-out took $$(( $$(date +%s) - start )) s"

# Python 3.12+ + the newest Django 6: the whole suite on SQLite, e2e included.
test-dj6:
	@if ! $(PYTHON_DJ6) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	    && [ "$$SECU_REQUIRE_DJ6" != 1 ]; then \
	  echo "== skipping the Django 6 leg: no Python 3.12+ (set PYTHON_DJ6 to one)" >&2; exit 0; \
	fi; \
	$(MAKE) --no-print-directory install-dj6 || exit 1; \
	start=$$(date +%s); \
	echo "== Python $$($(BIN_DJ6)/python -c 'import sys; print(sys.version.split()[0])')" \
	     "+ Django $$($(BIN_DJ6)/python -m django --version): SQLite"; \
	env -u TEST_DATABASE_URL $(BIN_DJ6)/python -m pytest $(PYTEST_ARGS) || exit 1; \
	echo "== leg Django 6 took $$(( $$(date +%s) - start )) s"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy secu_marketplace

# The wheel and sdist pip users get (python -m build, in an isolated environment from PyPI),
# checked as PyPI would check them (metadata, the long description renders).
dist: install
	rm -rf dist
	$(BIN)/python -m build --quiet --outdir dist .
	$(BIN)/twine check --strict dist/*

# The documentation site (mkdocs.yml, docs/) into site/; any warning (a broken link, a missing
# page or snippet) fails the build. `$(BIN)/mkdocs serve` serves it while you write.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

typecheck: install
	$(BIN)/mypy secu_marketplace

# Extract and compile German messages: the app, the sandbox, and the demo (shop + templates/).
messages: install
	cd secu_marketplace && ../$(BIN)/django-admin makemessages -l de --no-obsolete --no-location --no-wrap -i 'sandbox/*'
	cd secu_marketplace/sandbox && ../../$(BIN)/django-admin makemessages -l de --no-obsolete --no-location --no-wrap
	mkdir -p demo_project/locale
	$(BIN)/python manage.py makemessages -l de --no-obsolete --no-location --no-wrap \
	  -i 'secu_marketplace/*' -i '.venv/*' -i 'tests/*' -i 'benchmarks/*' -i 'build/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv/*' --ignore '.venv-dj6/*'

# The fault matrix, race, property and input tests on PostgreSQL, printed as the tables of
# docs/reliability.md. Needs TEST_DATABASE_URL=postgres://... (or SECU_TEST_POSTGRES_URL).
reliability: install
	$(BIN)/python -m tests.reliability

# Every benchmarks/*.py in turn; modules starting with "_" (the shared harness) are not scripts.
# Each prints the database it used: SQLite unless BENCH_DATABASE_URL names a PostgreSQL server;
# push_race.py runs on PostgreSQL only (BENCH_DATABASE_URL, else SECU_TEST_POSTGRES_URL).
benchmarks: install
	@for b in benchmarks/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# The buyer pages' and the admin guide's screenshots in the docs, taken again by the browser
# tests (Debian's chromium).
screenshots: install
	SECU_SCREENSHOTS=docs/img/buyer $(BIN)/python -m pytest -q tests/e2e/test_buyer_pages.py
	SECU_SCREENSHOTS=docs/img/buyer SECU_ADMIN_SCREENSHOTS=docs/img/admin $(BIN)/python -m pytest -q \
	  tests/e2e/test_staff.py tests/e2e/test_money_views.py

clean:
	rm -rf $(VENV) $(VENV_DJ6) build dist site *.egg-info .pytest_cache .ruff_cache .mypy_cache demo.sqlite3*
