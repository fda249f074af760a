# Two commands do all set-up on a fresh machine with Python 3.11:
#   make run   -> virtualenv, dependencies, migrations, seeds, index, gunicorn + indexer
#   make test  -> virtualenv, dependencies, the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT
# Development commands run with debug on (and so the development key) unless told otherwise.
DEV := DJANGO_DEBUG=$${DJANGO_DEBUG:-1}

.PHONY: run test lint check format messages benchmark load scan clean-index

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Readable by its owner only (0600), also when an older checkout wrote it 0644.
var/secret_key: FORCE
	@mkdir -p var
	@test -s $@ || (umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@)
	@chmod 600 $@
FORCE:

# Serve on the embedded defaults (SQLite + Whoosh under var/), DEBUG off.
# Compiled translations (.mo) are committed; `make messages` refreshes them.
run: $(VENV)/.installed var/secret_key
	@export DJANGO_DEBUG="$${DJANGO_DEBUG:-0}" \
	        DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat var/secret_key)}" && \
	set -e && \
	$(BIN)/python manage.py prepare_site && \
	exec $(BIN)/gunicorn archive.wsgi:application --config archive/gunicorn_conf.py

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: $(VENV)/.installed-dev
	$(DEV) $(BIN)/python manage.py check
	$(DEV) $(BIN)/python manage.py makemigrations --check --dry-run

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: $(VENV)/.installed-dev
	$(DEV) $(BIN)/python manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=var --ignore=tests --ignore=test-artifacts --ignore=archive/migrations
	$(DEV) $(BIN)/python manage.py compilemessages --ignore=.venv

benchmark: $(VENV)/.installed-dev
	$(DEV) $(BIN)/python manage.py benchmark $(BENCHMARK_ARGS)

# The site under wrk on loopback (needs `apt-get install wrk`); see README "Benchmark".
load: $(VENV)/.installed-dev
	$(DEV) $(BIN)/python manage.py benchmark_load $(LOAD_ARGS)

# wapiti and sqlmap against the site on loopback (installed into var/scan-venv).
scan: $(VENV)/.installed-dev
	$(DEV) $(BIN)/python manage.py security_scan $(SCAN_ARGS)

# Known vulnerabilities in the installed dependencies, as CI checks them
# (.ci/audit: osv-scanner offline; ARCHIVE_OSV_DB=DIR for another snapshot).
.PHONY: audit
audit: $(VENV)/.installed-dev
	bash .ci/audit

# A two-node OpenSearch cluster on 127.0.0.1:9200/9201 (Java 17 and Maven; the
# distribution is downloaded once into var/opensearch-dist/). The site moves to it
# with ARCHIVE_SEARCH_ENGINE=opensearch; see README "Growing past one machine".
.PHONY: opensearch-up opensearch-down
opensearch-up:
	bash .ci/opensearch up

opensearch-down:
	bash .ci/opensearch down
