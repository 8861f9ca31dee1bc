# GapAudit developer commands. Quick start: `make demo`, `make test`.
PYTHON_BIN ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# The venv is rebuilt only when the requirements change (STACK.md: a re-run of
# pip on an installed venv costs about a minute of index checks).
REQ_HASH := $(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
STAMP := $(VENV)/.requirements.sha256
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/gapaudit
# The demo runs on SQLite with eager Celery: no services needed.
DEMO_ENV := env -u DATABASE_URL -u REDIS_URL DEBUG=1

.PHONY: venv demo test lint bench

venv:
	@if [ -x $(PY) ] && [ -f $(STAMP) ] && [ "$$(cat $(STAMP))" = "$(REQ_HASH)" ]; then \
		echo "venv: up to date"; \
	else \
		[ -x $(PY) ] || $(PYTHON_BIN) -m venv $(VENV); \
		$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt && \
		echo "$(REQ_HASH)" > $(STAMP); \
	fi

demo: venv
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) scripts/demo_setup.py
	$(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:8000

# The service tests need PostgreSQL; the worker test starts its own Celery
# worker on Redis db 15, so REDIS_URL stays unset here (eager by default).
test: venv
	DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" env -u REDIS_URL $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .

bench: venv
	$(PY) bench/compute.py
