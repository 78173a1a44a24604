# Everything a fresh clone needs, with only Python 3.11+ present.
#   make demo   - install, migrate, seed, serve the demo marketplace at http://127.0.0.1:$(PORT)
#   make test   - install, lint, run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
export PORT

# The install stamp changes whenever pyproject.toml changes, so a second run installs nothing.
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test install lint typecheck messages benchmarks clean serve reliability

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The whole suite on SQLite; then, when SECU_TEST_POSTGRES_URL names a server (.ci/run starts
# one), the whole suite again on PostgreSQL, where the lock and concurrency tests really run.
test: install lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	@if [ -n "$$SECU_TEST_POSTGRES_URL" ]; then \
	  echo "== again on PostgreSQL"; \
	  TEST_DATABASE_URL="$$SECU_TEST_POSTGRES_URL" $(BIN)/python -m pytest -m "not e2e" $(PYTEST_ARGS); \
	elif [ "$$SECU_REQUIRE_POSTGRES" = 1 ]; then \
	  echo "SECU_REQUIRE_POSTGRES=1 but SECU_TEST_POSTGRES_URL is not set" >&2; exit 1; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy secu_marketplace

typecheck: install
	$(BIN)/mypy secu_marketplace

# Extract and compile German messages: the app, the sandbox, and the demo (shop + templates/).
messages: install
	cd secu_marketplace && ../$(BIN)/django-admin makemessages -l de --no-obsolete --no-location --no-wrap -i 'sandbox/*'
	cd secu_marketplace/sandbox && ../../$(BIN)/django-admin makemessages -l de --no-obsolete --no-location --no-wrap
	mkdir -p demo_project/locale
	$(BIN)/python manage.py makemessages -l de --no-obsolete --no-location --no-wrap \
	  -i 'secu_marketplace/*' -i '.venv/*' -i 'tests/*' -i 'benchmarks/*' -i 'build/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv/*'

# The fault matrix, race, property and input tests on PostgreSQL, printed as the tables of
# docs/reliability.md. Needs TEST_DATABASE_URL=postgres://... (or SECU_TEST_POSTGRES_URL).
reliability: install
	$(BIN)/python -m tests.reliability

# Every benchmarks/*.py in turn; modules starting with "_" (the shared harness) are not scripts.
benchmarks: install
	@for b in benchmarks/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .mypy_cache demo.sqlite3*
