# Two commands from a fresh clone: `make run` (demo on http://127.0.0.1:8000) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1:8000
# The demo runs in debug mode unless the caller configured otherwise.
RUN_ENV := DEBUG=$${DEBUG:-1}
TEST_ENV := SECRET_KEY=$${SECRET_KEY:-test-only-secret-key-not-for-production}

.PHONY: install run test lint lock bench messages clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m adolat.lib.compile_translations locale
	touch $(STAMP)

run: install
	$(RUN_ENV) $(BIN)/adolat migrate --noinput -v 0
	$(RUN_ENV) $(BIN)/adolat load-demo
	@# The background worker (imports, e-mails) runs beside the web server and stops with it.
	$(RUN_ENV) $(BIN)/adolat db_worker -v 0 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(RUN_ENV) $(BIN)/adolat runserver $(HOST)

test: install
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Re-pin every dependency (with hashes) after changing pyproject.toml.
lock:
	$(BIN)/pip-compile --quiet --allow-unsafe --generate-hashes --strip-extras --extra dev \
		-o requirements.lock pyproject.toml

# Extract UI strings into the three catalogues (then translate tg and ru).
messages: install
	$(TEST_ENV) $(BIN)/adolat makemessages -l tg -l ru -l en --no-obsolete \
		--ignore='.venv/*' --ignore='var/*' --ignore='*/tests/*'

clean:
	rm -rf $(VENV) var/static
