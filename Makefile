# Nuanxin developer commands. `make help` lists them. The logic lives in scripts/.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
RUFF := $(VENV)/bin/ruff
# Extra arguments for pytest, e.g. make test PYTEST_ARGS="-k reminders -x"
PYTEST_ARGS ?=
# Parallel test processes (pytest-xdist): one per core by default; each has its own PostgreSQL test database
# (test_<name>_gw0, …) and its own Redis databases (portal/settings.py). Whole files go to one process
# (--dist loadfile), so a module's shared fixtures (the seeded demo school of the crawl and the browser
# journeys, the access matrix's world) are built once. PYTEST_WORKERS=0 runs in this process. At most 7: a
# worker takes two of Redis's 16 databases (2–15).
PYTEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); echo $$(( n > 7 ? 7 : n )))

.PHONY: help venv venv-dev run test lint fmt migrate seed messages clean-test-services bench screenshots

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

venv: ## Create .venv and install requirements.txt (only when it changed)
	@scripts/venv.sh runtime

venv-dev: ## Create .venv and install requirements-dev.txt (only when it changed)
	@scripts/venv.sh dev

run: venv ## Migrate, compile translations, seed the demo, start web + worker + beat (DEBUG=1)
	@scripts/run-dev.sh

test: lint ## Lint, check migrations, run pytest against real PostgreSQL and Redis
	scripts/test-services.sh $(SHELL) -c '$(PY) manage.py makemigrations --check --dry-run && $(PY) manage.py compile_translations && $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=25 $(PYTEST_ARGS)'

lint: venv-dev ## ruff check + ruff format --check + bandit (high severity)
	$(RUFF) check .
	$(RUFF) format --check .
	$(VENV)/bin/bandit -q -r portal counseling aid homevisits -x '*/tests/*,*/migrations/*' -lll

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

screenshots: venv-dev ## Run the browser journeys and save phone/desktop screenshots into docs/screenshots/
	@fc-list :lang=zh 2>/dev/null | grep -q . || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; } || echo "Chinese text needs a CJK font: sudo apt-get install -y fonts-noto-cjk"
	scripts/test-services.sh $(SHELL) -c '$(PY) manage.py compile_translations && NUANXIN_SCREENSHOTS=docs/screenshots $(PY) -m pytest e2e -q $(PYTEST_ARGS)'

.PHONY: loadtest
loadtest: venv-dev ## Load run: 100 users x 60 s against gunicorn (2 workers) on nuanxin_load, then a reconciliation
	scripts/test-services.sh $(PY) scripts/loadtest.py $(LOADTEST_ARGS)

clean-test-services: ## Stop throwaway test PostgreSQL/Redis left behind by a killed make test
	@scripts/test-services.sh --clean

# BENCH_ARGS: extra options of scripts/bench.py, e.g. make bench BENCH_ARGS="--quick" or "--skip-jobs".
BENCH_ARGS ?=
bench: venv ## Benchmark pages, admin, jobs on a scale database (DATABASE_URL, default nuanxin_bench) → docs/benchmarks.md
	$(PY) scripts/bench.py $(if $(BENCH_STUDENTS),--students $(BENCH_STUDENTS)) $(BENCH_ARGS)
