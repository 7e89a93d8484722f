# Two commands from a fresh clone: `make run` (demo on http://127.0.0.1:8000) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1:8000
# The demo runs in debug mode unless the caller configured otherwise.
RUN_ENV := DEBUG=$${DEBUG:-1}
TEST_ENV := SECRET_KEY=$${SECRET_KEY:-test-only-secret-key-not-for-production}

.PHONY: install run test lint audit lock bench messages clean

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

# Security checks: known vulnerabilities in the locked dependencies (pip-audit; fails on any found),
# then the static security scan (ruff's S rules, bandit's checks; fails on any finding).
# A dependency the vulnerability service cannot look up (a PyPI mirror without the per-version JSON
# endpoint answers 404) is listed as not audited, not as a failure: the summary says how many.
audit: install
	@mkdir -p var
	@echo "== pip-audit on requirements.lock"
	@status=0; $(BIN)/pip-audit -r requirements.lock --no-deps --disable-pip --progress-spinner off \
		-f json -o var/pip-audit.json || status=$$?; \
	$(BIN)/python -c "$$AUDIT_SUMMARY" var/pip-audit.json || status=1; exit $$status
	@echo "== static security scan (ruff S rules)"
	$(BIN)/ruff check --select S adolat

# Prints pip-audit's JSON report: vulnerabilities found (exit 1 if any) and what was not audited.
define AUDIT_SUMMARY
import json, sys
deps = json.load(open(sys.argv[1]))["dependencies"]
vulns = [(d["name"], d["version"], v["id"], v.get("fix_versions")) for d in deps for v in d.get("vulns", [])]
skipped = [d["name"] for d in deps if d.get("skip_reason")]
for name, version, vid, fixes in vulns:
    print(f"VULNERABLE {name} {version}: {vid} (fixed in {', '.join(fixes) or 'no release yet'})")
print(f"pip-audit: {len(deps)} locked dependencies, {len(deps) - len(skipped)} audited, {len(vulns)} known vulnerabilities")
if skipped:
    print(f"CAVEAT: {len(skipped)} dependencies could not be looked up by the vulnerability service and were NOT audited")
    print("        (a PyPI mirror that answers 404 for /pypi/<name>/<version>/json; try `-s osv` where osv.dev is reachable):")
    print("        " + ", ".join(skipped))
sys.exit(1 if vulns else 0)
endef
export AUDIT_SUMMARY

# The performance benchmark (issue #5) on a temporary database: SQLite, or PostgreSQL when
# DATABASE_URL names one (a database adolat_bench_<pid> is created there and dropped). Production
# settings (DEBUG off); e.g. `make bench BENCH_ARGS="--json --recommendations 20000"`.
bench: install
	DEBUG=0 $(TEST_ENV) $(BIN)/adolat bench $(BENCH_ARGS)

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
