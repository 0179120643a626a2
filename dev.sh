#!/usr/bin/env bash
# Sanad quickstart: sets up .venv with what a command needs, then runs it.
#   ./dev.sh console          open the console on the embedded corpus
#   ./dev.sh sanad ARGS       run any sanad command
#   ./dev.sh test [ARGS]      run the test suite (pytest ARGS)
#   ./dev.sh bench NAME       run bench/NAME.py (e.g. arcd)
#   ./dev.sh setup [--test] [--train] [--camel]   install only (e.g. --train before training)
#
# What is installed (pyproject.toml; each set once, recorded in .venv/.sanad-installed):
#   console, sanad     Sanad and its runtime dependencies only (about 300 MB, no PyTorch)
#   test, bench        + the test extra: pytest, the reference libraries, camel-tools with PyTorch
#                      (the CPU build) and transformers (about 1.5 GB; CI runs ./dev.sh test)
#   --train            + the train extra: PyTorch and scikit-learn, to retrain the taggers
#                      (sanad train neural) or the answerability model
#   --camel            + camel-tools' AraBERT NER backend (then `camel_data -i ner-arabert`)
# SANAD_DEV_EXTRAS=train,camel (comma-separated) adds extras to any command's own.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
VENV=${SANAD_VENV:-.venv}
STAMP="$VENV/.sanad-installed"
TORCH_VERSION=2.13.0

if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "dev.sh: Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)" >&2
  exit 2
fi

usage="usage: ./dev.sh console | sanad ARGS | test [pytest args] | bench NAME | setup [--test] [--train] [--camel]"
cmd=${1:-console}
shift || true
want=()  # the extras this run needs
case "$cmd" in
  console | sanad) ;;
  test | bench) want+=(test) ;;
  setup)
    for a in "$@"; do
      case "$a" in
        --test | --train | --camel) want+=("${a#--}") ;;
        *) echo "$usage" >&2; exit 2 ;;
      esac
    done
    ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
IFS=', ' read -r -a more <<<"${SANAD_DEV_EXTRAS:-}"
for e in "${more[@]}"; do
  case "$e" in
    test | train | camel) want+=("$e") ;;
    "") ;;
    *) echo "dev.sh: unknown extra '$e' in SANAD_DEV_EXTRAS (test, train or camel)" >&2; exit 2 ;;
  esac
done

# The stamp's one line names the extras installed ("-" for none); an empty stamp is an older
# dev.sh's, which installed the test extra with torch. A pyproject.toml newer than the stamp is
# installed again, with the extras the venv had plus those wanted now.
have=()
if [ -f "$STAMP" ]; then
  line=$(head -n 1 "$STAMP")
  if [ -z "$line" ]; then have=(test); elif [ "$line" != - ]; then IFS=, read -r -a have <<<"$line"; fi
fi
missing=0
for e in "${want[@]}"; do
  case ",$(IFS=,; echo "${have[*]}")," in *",$e,"*) ;; *) missing=1 ;; esac
done
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ] || [ "$missing" = 1 ]; then
  extras=$(printf '%s\n' "${have[@]}" "${want[@]}" | sed '/^$/d' | sort -u | paste -sd, -)
  if [ -z "$extras" ]; then
    echo "dev.sh: setting up $VENV (Sanad and its runtime dependencies: about 300 MB, under a minute)" >&2
  else
    echo "dev.sh: setting up $VENV with extras $extras (with PyTorch's CPU build: about 1.5 GB, 1-3 minutes)" >&2
  fi
  "$PY" -m venv "$VENV"
  PIP=("$VENV/bin/python" -m pip install -q --disable-pip-version-check)
  if [ -n "$extras" ] && ! "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
    # Every extra brings PyTorch (camel-tools requires it): the CPU-only build, from PyTorch's CPU
    # index when it is reachable, else the default index (where a local CPU wheel may be
    # provided, as on Sanad's build machines), before anything that depends on it.
    if curl -fsS --max-time 5 -o /dev/null https://download.pytorch.org/whl/cpu/ 2>/dev/null; then
      "${PIP[@]}" "torch==$TORCH_VERSION" --index-url https://download.pytorch.org/whl/cpu
    else
      "${PIP[@]}" "torch==$TORCH_VERSION"
    fi
  fi
  "${PIP[@]}" -e ".${extras:+[$extras]}"
  echo "${extras:--}" >"$STAMP"
fi

case "$cmd" in
  console) exec "$VENV/bin/sanad" console "$@" ;;
  test) exec "$VENV/bin/python" -m pytest "$@" ;;
  sanad) exec "$VENV/bin/sanad" "$@" ;;
  bench) name=${1:?usage: ./dev.sh bench NAME}; shift; exec "$VENV/bin/python" "bench/$name.py" "$@" ;;
  setup) echo "dev.sh: $VENV has Sanad$(l=$(head -n 1 "$STAMP"); [ "$l" = - ] || echo " with extras $l")" >&2 ;;
esac
