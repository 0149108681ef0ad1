# factcheck: `make run` starts the whole app, `make test` runs every test.
# Both set everything up first on a fresh machine with only Python 3.11+.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: run test install install-dev setup lint format bench clean schema browser train-checkworthiness language-directions messages

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "factcheck needs Python 3.11 or newer (set PYTHON=python3.x)")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

setup: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0

## Web server, Celery worker and Celery beat in the foreground; Ctrl-C stops all three.
run: setup
	rm -rf var/metrics  # the metrics files of the processes of the last run
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start --no-colour -f Procfile

## Debian packages the tests use: Chromium (the browser tests; Playwright never downloads a browser),
## GNU gettext (the catalogue tests) and the PostgreSQL client (the backup round trip). Installed when
## missing and run as root with apt; otherwise a warning names what to install.
SYSTEM_PACKAGES := chromium:chromium msgfmt:gettext xgettext:gettext pg_dump:postgresql-client
browser:
	@missing=""; for pair in $(SYSTEM_PACKAGES); do \
		command -v "$${pair%%:*}" >/dev/null || missing="$$missing $${pair##*:}"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else echo "WARNING: missing Debian packages for the tests:$$missing"; fi; fi

## Lint, import rules, migrations check, then every test (integration tests need PostgreSQL and Redis).
test: install-dev browser
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

## Regenerate the committed OpenAPI schema after an API change.
schema: install
	mkdir -p docs
	$(PY) manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml

## Catalogues (locale/): extract every marked string of the apps into each language's django.po, then compile the
## .mo files. Translate the new entries (tests/test_translations.py fails until every one is), run again, commit both.
MESSAGES_LANGUAGES ?= es fr ar
MESSAGES_IGNORE := --ignore=.venv --ignore=var --ignore=bench --ignore=tests --ignore=docs --ignore=locale
messages: install
	$(PY) manage.py makemessages $(addprefix -l ,$(MESSAGES_LANGUAGES)) $(MESSAGES_IGNORE) --add-location=file --no-obsolete
	$(PY) manage.py compilemessages $(addprefix -l ,$(MESSAGES_LANGUAGES)) $(MESSAGES_IGNORE)

lint: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: install-dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

## Benchmarks (need PostgreSQL and Redis); figures go in README.
bench: install-dev
	$(PY) bench/run_all.py

## Retrain the check-worthiness model on the train split of bench/data/ (writes claims/articles/checkworthiness_model.json).
train-checkworthiness: install-dev
	$(PY) bench/train_checkworthiness.py
	$(PY) bench/eval_checkworthiness.py

## Measure the language directions matching projects out of every vector (writes claims/matching/language_directions.npz);
## then bump embeddings.MODEL_NAME and run `make train-checkworthiness`.
language-directions: install-dev
	$(PY) bench/language_directions.py

clean:
	rm -rf $(VENV) var
