#!/usr/bin/env bash
# Create .venv if needed and install the pinned requirements, but only when they changed.
#
#   scripts/venv.sh runtime   # requirements.txt              (make venv, used by make run)
#   scripts/venv.sh dev       # requirements-dev.txt (incl. runtime; make venv-dev, used by make test)
#
# Interpreter: $NUANXIN_PYTHON if set, else the first of python3.13, python3.12, python3 that is
# really Python >= 3.12 with a working venv module. A stamp file in .venv holds the sha256 of the
# requirement files that were installed; pip runs again only when that hash changes.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${1:-runtime}
case $profile in
    runtime) req_file=requirements.txt; hashed=(requirements.txt) ;;
    dev) req_file=requirements-dev.txt; hashed=(requirements.txt requirements-dev.txt) ;;
    *) echo "usage: $0 runtime|dev" >&2; exit 2 ;;
esac

VENV=.venv

# A candidate counts only if it runs and is new enough: a pyenv shim for a version that is not
# selected exists on PATH but fails when run, and Debian's python3 may lack ensurepip (python3-venv).
usable_python() {
    "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1
}

pick_python() {
    local candidates=(python3.13 python3.12 python3)
    if [[ -n ${NUANXIN_PYTHON:-} ]]; then candidates=("$NUANXIN_PYTHON"); fi
    local c
    for c in "${candidates[@]}"; do
        if command -v "$c" >/dev/null 2>&1 && usable_python "$c"; then
            echo "$c"
            return 0
        fi
    done
    cat >&2 <<'MSG'
ERROR: Nuanxin needs Python 3.12 or newer with the venv module, and none was found
       (tried python3.13, python3.12, python3; set NUANXIN_PYTHON=/path/to/python to choose one).
       Ubuntu 24.04:  sudo apt-get install -y python3 python3-venv
       Debian 13:     sudo apt-get install -y python3 python3-venv
       Debian 12 / Ubuntu 22.04 ship Python 3.11: install 3.12+ e.g. with pyenv
       (https://github.com/pyenv/pyenv) or uv, then run make again.
MSG
    return 1
}

# An existing .venv is kept only if its interpreter still runs and is >= 3.12
# (a venv whose base interpreter was removed or upgraded is a dead symlink).
if [[ -d $VENV ]] && ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then
    echo "==> $VENV is broken or too old; recreating it"
    rm -rf "$VENV"
fi
if [[ ! -x $VENV/bin/python ]]; then
    py=$(pick_python)
    echo "==> creating $VENV with $py ($("$py" -V 2>&1))"
    "$py" -m venv "$VENV"
fi

stamp="$VENV/.nuanxin-$profile.sha256"
want=$(cat "${hashed[@]}" | sha256sum | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
    exit 0
fi

echo "==> installing $req_file into $VENV"
"$VENV/bin/python" -m pip install --quiet -r "$req_file"
echo "$want" >"$stamp"
# The dev set includes the runtime set, so the runtime stamp is satisfied too.
if [[ $profile == dev ]]; then
    sha256sum <requirements.txt | cut -d' ' -f1 >"$VENV/.nuanxin-runtime.sha256"
fi
