#!/usr/bin/env bash
# Release step for production: run once per deploy, with the production environment loaded
# (e.g. `set -a; . /etc/nuanxin/env; set +a`), after the new code and requirements are installed
# and before the web, worker and beat processes are restarted.
set -euo pipefail
cd "$(dirname "$0")/.."

# The project's venv when there is one, else whatever python is first on PATH.
PY=python
[[ -x .venv/bin/python ]] && PY=.venv/bin/python

"$PY" manage.py migrate --noinput
"$PY" manage.py compile_translations
"$PY" manage.py collectstatic --noinput
# Refuse to go live with settings Django considers unsafe (DEBUG on, weak SECRET_KEY, no HSTS...).
"$PY" manage.py check --deploy --fail-level WARNING
