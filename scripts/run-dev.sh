#!/usr/bin/env bash
# `make run`: prepare the local demo and start web + Celery worker + beat under honcho.
#
# With nothing configured this is SQLite (db.sqlite3) and kombu's filesystem broker (var/broker),
# so no server is needed. Set DATABASE_URL / REDIS_URL (in the shell or .env) to use real ones.
# One Ctrl-C stops all three processes.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBUG=${DEBUG:-1}
export DEV_PORT=${DEV_PORT:-8000}
PY=.venv/bin/python
mkdir -p var

step() {
    echo "==> $*"
    if ! "$@"; then
        echo "ERROR: '$*' failed; fix it and run make run again." >&2
        exit 1
    fi
}

step "$PY" manage.py migrate --noinput
step "$PY" manage.py compile_translations
step "$PY" manage.py seed_demo

echo "==> starting web (http://127.0.0.1:$DEV_PORT/), worker and beat; Ctrl-C stops them all"
# honcho puts the venv's bin first on PATH for the Procfile commands.
export PATH="$PWD/.venv/bin:$PATH"
exec honcho --procfile Procfile.dev start
