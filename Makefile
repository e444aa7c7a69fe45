# The two commands: `make demo` and `make test`. Both build the venv first.
#
# The venv lives in a cache folder named after a hash of the requirements files, so a fresh
# clone reuses it, and it is rebuilt only when a requirement changes. `.venv` links to it.
# The browser tests (tests/browser) also need Debian's Chromium (`make browser` installs it)
# and axe-core, fetched once by `make install` into a cache folder beside the venv.

SHELL := /bin/bash
PYTHON ?= python3.11
REQUIREMENTS_HASH := $(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)
VENV_CACHE ?= $(HOME)/.cache/stim-recommender/venv-$(REQUIREMENTS_HASH)
VENV := .venv
PY := $(VENV)/bin/python
DEMO_USERS ?= 2000
DEMO_SEED ?= 42
CHROMIUM := /usr/bin/chromium
# axe-core, the accessibility checker the browser tests inject into each page. Pinned, and
# checked against the sha256 of its axe.min.js (the tarball npm fetches is itself checked by npm
# against the registry's integrity, sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rh...).
AXE_VERSION := 4.14.1
AXE_SHA256 := 29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c
AXE_DIR ?= $(HOME)/.cache/stim-recommender/axe-core-$(AXE_VERSION)
export AXE_CORE_JS := $(AXE_DIR)/axe.min.js

export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: install browser demo test smoke lint format screenshots serve serve-environment

# No prerequisites on purpose: the hash in the folder name already says which requirements it
# holds, and a fresh clone's file times must not force a rebuild.
$(VENV_CACHE)/.complete:
	rm -rf $(VENV_CACHE)
	$(PYTHON) -m venv $(VENV_CACHE)
	$(VENV_CACHE)/bin/pip install --quiet --upgrade pip
	$(VENV_CACHE)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

$(AXE_CORE_JS):
	rm -rf $(AXE_DIR).part && mkdir -p $(AXE_DIR).part
	cd $(AXE_DIR).part && npm pack --silent axe-core@$(AXE_VERSION) --pack-destination . >/dev/null \
		&& tar -xzf axe-core-$(AXE_VERSION).tgz --strip-components=1 package/axe.min.js \
		&& echo "$(AXE_SHA256)  axe.min.js" | sha256sum --check --quiet
	mkdir -p $(AXE_DIR) && mv $(AXE_DIR).part/axe.min.js $@ && rm -rf $(AXE_DIR).part

install: $(VENV_CACHE)/.complete $(AXE_CORE_JS)
	ln -sfn $(VENV_CACHE) $(VENV)

# Debian's Chromium for the browser tests; Playwright's own browser download is never used.
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
		if command -v apt-get >/dev/null; then \
			apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
		else \
			echo "The browser tests need Chromium at $(CHROMIUM): install Debian's" \
				"'chromium' package (apt-get install chromium) and run make again." >&2; \
			exit 1; \
		fi; \
	fi

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --users $(DEMO_USERS) --seed $(DEMO_SEED)
	$(PY) manage.py train_model
	$(PY) manage.py runserver 127.0.0.1:8000

# A production-like run on this machine (docs/deploy.md): PostgreSQL and Redis from DATABASE_URL
# and REDIS_URL, the production profile over plain HTTP on loopback, then gunicorn, a Celery
# worker for the training queue, one for the default queue and celery beat. Ctrl-C, or any one
# of them stopping, stops them all.
serve: serve-environment install
	@export DJANGO_ENV=production \
		SECURE_SSL_REDIRECT="$${SECURE_SSL_REDIRECT:-false}" \
		ALLOWED_HOSTS="$${ALLOWED_HOSTS:-127.0.0.1,localhost}" \
		SECRET_KEY="$${SECRET_KEY:-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')}"; \
	$(PY) manage.py migrate --noinput \
		&& $(PY) manage.py collectstatic --noinput -v0 || exit 1; \
	pids=; \
	trap 'exit 130' INT TERM; \
	trap 'echo "make serve: stopping" >&2; kill $$pids 2>/dev/null; wait' EXIT; \
	$(VENV)/bin/gunicorn -c gunicorn.conf.py stimsite.wsgi & pids="$$pids $$!"; \
	celery="$(VENV)/bin/celery -A stimsite --quiet"; level="--loglevel $${LOG_LEVEL:-INFO}"; \
	$$celery worker $$level -n training@%h -Q training \
		--concurrency 1 --max-tasks-per-child 1 & pids="$$pids $$!"; \
	$$celery worker $$level -n default@%h -Q celery & pids="$$pids $$!"; \
	$$celery beat $$level \
		--scheduler django_celery_beat.schedulers:DatabaseScheduler & pids="$$pids $$!"; \
	wait -n; status=$$?; echo "make serve: a process stopped (exit $$status)" >&2; \
	exit $$(( status ? status : 1 ))

serve-environment:
	@for name in DATABASE_URL REDIS_URL; do \
		if [ -z "$${!name}" ]; then \
			echo "make serve needs $$name (PostgreSQL and Redis URLs; see docs/deploy.md)" >&2; \
			missing=1; \
		fi; \
	done; [ -z "$$missing" ]

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

test: lint browser
	$(VENV)/bin/pytest

# Only the browser tests, writing the README's pictures into docs/screenshots/.
screenshots: install browser
	SCREENSHOT_DIR=docs/screenshots $(VENV)/bin/pytest -q -m browser tests/browser

# A fast run of the embedded default (SQLite, tasks inline, no services), for CI.
smoke: install
	env -u DATABASE_URL -u REDIS_URL bash -c '$(PY) manage.py migrate --noinput -v0 \
		&& $(PY) manage.py seed_demo --users 20 --seed 1 \
		&& $(PY) manage.py check \
		&& $(VENV)/bin/pytest -q tests/test_settings.py tests/stims tests/users'

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
