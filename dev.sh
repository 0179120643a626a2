#!/usr/bin/env bash
# Sanad quickstart: sets up .venv once (CPU-only torch for camel-tools), then runs a command.
#   ./dev.sh console        open the console on the embedded corpus
#   ./dev.sh test [ARGS]    run the test suite (pytest ARGS)
#   ./dev.sh sanad ARGS     run any sanad command
#   ./dev.sh bench NAME     run bench/NAME.py (e.g. arcd)
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
VENV=${SANAD_VENV:-.venv}
STAMP="$VENV/.sanad-installed"

if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "dev.sh: Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)" >&2
  exit 2
fi

if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  echo "dev.sh: setting up $VENV (first run: about 1.5 GB, 1-3 minutes; torch is the CPU build)" >&2
  "$PY" -m venv "$VENV"
  PIP=("$VENV/bin/python" -m pip install -q --disable-pip-version-check)
  if ! "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
    # CPU-only torch: from PyTorch's CPU index when it is reachable, else the default index
    # (where a local CPU wheel may be provided, as on Sanad's build machines).
    if curl -fsS --max-time 5 -o /dev/null https://download.pytorch.org/whl/cpu/ 2>/dev/null; then
      "${PIP[@]}" "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu
    else
      "${PIP[@]}" "torch==2.13.0"
    fi
  fi
  "${PIP[@]}" -e ".[test]"
  touch "$STAMP"
fi

cmd=${1:-console}
shift || true
case "$cmd" in
  console) exec "$VENV/bin/sanad" console "$@" ;;
  test) exec "$VENV/bin/python" -m pytest "$@" ;;
  sanad) exec "$VENV/bin/sanad" "$@" ;;
  bench) name=${1:?usage: ./dev.sh bench NAME}; shift; exec "$VENV/bin/python" "bench/$name.py" "$@" ;;
  *) echo "usage: ./dev.sh console | test [pytest args] | sanad ARGS | bench NAME" >&2; exit 2 ;;
esac
