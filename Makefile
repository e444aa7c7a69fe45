# The two commands: `make demo` and `make test`. Both build the venv first.
#
# The venv lives in a cache folder named after a hash of the requirements files, so a fresh
# clone reuses it, and it is rebuilt only when a requirement changes. `.venv` links to it.

SHELL := /bin/bash
PYTHON ?= python3.11
REQUIREMENTS_HASH := $(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)
VENV_CACHE ?= $(HOME)/.cache/stim-recommender/venv-$(REQUIREMENTS_HASH)
VENV := .venv
PY := $(VENV)/bin/python
DEMO_USERS ?= 2000
DEMO_SEED ?= 42

export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: install demo test smoke lint format

# No prerequisites on purpose: the hash in the folder name already says which requirements it
# holds, and a fresh clone's file times must not force a rebuild.
$(VENV_CACHE)/.complete:
	rm -rf $(VENV_CACHE)
	$(PYTHON) -m venv $(VENV_CACHE)
	$(VENV_CACHE)/bin/pip install --quiet --upgrade pip
	$(VENV_CACHE)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV_CACHE)/.complete
	ln -sfn $(VENV_CACHE) $(VENV)

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --users $(DEMO_USERS) --seed $(DEMO_SEED)
	$(PY) manage.py train_model
	$(PY) manage.py runserver 127.0.0.1:8000

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

test: lint
	$(VENV)/bin/pytest

# A fast run of the embedded default (SQLite, tasks inline, no services), for CI.
smoke: install
	env -u DATABASE_URL -u REDIS_URL bash -c '$(PY) manage.py migrate --noinput -v0 \
		&& $(PY) manage.py seed_demo --users 20 --seed 1 \
		&& $(PY) manage.py check \
		&& $(VENV)/bin/pytest -q tests/test_settings.py tests/stims tests/users'

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
