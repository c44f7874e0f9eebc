# Nuanxin developer commands. `make help` lists them. The logic lives in scripts/.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
RUFF := $(VENV)/bin/ruff
# Extra arguments for pytest, e.g. make test PYTEST_ARGS="-k reminders -x"
PYTEST_ARGS ?=

.PHONY: help venv venv-dev run test lint fmt migrate seed messages clean-test-services

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

venv: ## Create .venv and install requirements.txt (only when it changed)
	@scripts/venv.sh runtime

venv-dev: ## Create .venv and install requirements-dev.txt (only when it changed)
	@scripts/venv.sh dev

run: venv ## Migrate, compile translations, seed the demo, start web + worker + beat (DEBUG=1)
	@scripts/run-dev.sh

test: lint ## Lint, check migrations, run pytest against real PostgreSQL and Redis
	scripts/test-services.sh $(SHELL) -c '$(PY) manage.py makemigrations --check --dry-run && $(PY) manage.py compile_translations && $(PY) -m pytest $(PYTEST_ARGS)'

lint: venv-dev ## ruff check + ruff format --check
	$(RUFF) check .
	$(RUFF) format --check .

fmt: venv-dev ## Fix what ruff can fix and format the code
	$(RUFF) check --fix .
	$(RUFF) format .

migrate: venv ## Apply migrations (DEBUG=1 unless set)
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate

seed: venv ## Load the demo data (idempotent; DEBUG=1 unless set)
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo

messages: venv ## Update locale/zh_Hans/LC_MESSAGES/django.po (needs GNU gettext)
	@command -v xgettext >/dev/null || { echo "makemessages needs GNU gettext: sudo apt-get install -y gettext"; exit 1; }
	DEBUG=$${DEBUG:-1} $(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore=var

clean-test-services: ## Stop throwaway test PostgreSQL/Redis left behind by a killed make test
	@scripts/test-services.sh --clean
