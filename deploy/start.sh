#!/bin/sh
# sanad-start: the compose service's entry point. Indexes the user corpus into the saved index
# when the index is missing or stale, then runs `sanad ARGS` (default: telegram).
#
#   SANAD_CORPUS  corpus paths, comma-separated (e.g. /data/corpus, a mounted directory)
#   SANAD_INDEX   where its saved index lives (e.g. /data/state/index, on a writable volume)
#
# The index is rebuilt when it is missing, was built from other paths, was written by another
# Sanad format/analyzer version, or when anything under the corpus paths is newer than it. Bad
# files or lines are reported (`sanad: skipped FILE:LINE ...`) and skipped; the rest is served.
# When SANAD_CORPUS names only missing or empty directories, the embedded corpus is served.
set -eu
set -f  # no globbing of the comma-separated paths

log() { echo "sanad-start: $*" >&2; }

# Runs "$@" as a child that a stop signal (SIGTERM/SIGINT) interrupts: this shell may be PID 1.
run_child() {
  "$@" &
  child=$!
  trap 'kill -INT "$child" 2>/dev/null || true' INT TERM
  status=0
  wait "$child" || status=$?
  if [ "$status" -gt 128 ] && kill -0 "$child" 2>/dev/null; then
    wait "$child" || status=$?  # a signal interrupted `wait`; let the child finish stopping
  fi
  trap - INT TERM
  return "$status"
}

index_is_fresh() {
  # $1 index directory; SANAD_CORPUS the corpus paths. Exit 0 when the index can be used as is.
  [ -f "$1/manifest.json" ] || { log "no saved index at $1: building it"; return 1; }
  python3 - "$1" <<'EOF' || return 1
import os, sys
from pathlib import Path
d = Path(sys.argv[1])
try:
    from retrieval.index import read_manifest
    manifest = read_manifest(d)
except Exception as e:  # stale format or analyzer version, corrupted: rebuild
    sys.stderr.write(f"sanad-start: saved index at {d} cannot be used ({e}): rebuilding it\n")
    sys.exit(1)
wanted = [str(Path(p.strip())) for p in os.environ["SANAD_CORPUS"].split(",") if p.strip()]
if sorted(manifest.get("sources") or []) != sorted(wanted):
    sys.stderr.write(f"sanad-start: saved index at {d} was built from {manifest.get('sources')}, not {wanted}: rebuilding it\n")
    sys.exit(1)
EOF
  old_ifs=$IFS; IFS=,
  for path in $SANAD_CORPUS; do
    IFS=$old_ifs
    if [ -n "$(find "$path" -newer "$1/manifest.json" -print 2>/dev/null | head -n 1)" ]; then
      log "corpus $path changed since the index was built: rebuilding it"
      return 1
    fi
  done
  IFS=$old_ifs
  return 0
}

build_index() {
  # `sanad index CORPUS... --out SANAD_INDEX` (a function: `set --` changes only its own arguments)
  old_ifs=$IFS; IFS=,
  # shellcheck disable=SC2086  # split on commas on purpose (globbing is off)
  set -- $SANAD_CORPUS
  IFS=$old_ifs
  run_child sanad index "$@" --out "$SANAD_INDEX"
}

if [ "$#" -eq 0 ]; then
  set -- telegram
fi

if [ -n "${SANAD_CORPUS:-}" ]; then
  # Corpus paths that hold anything at all.
  present=""
  old_ifs=$IFS; IFS=,
  for path in $SANAD_CORPUS; do
    path=$(echo "$path" | sed 's/^ *//; s/ *$//')
    [ -n "$path" ] || continue
    if [ -f "$path" ] || { [ -d "$path" ] && [ -n "$(ls -A "$path" 2>/dev/null)" ]; }; then
      present="${present:+$present,}$path"
    fi
  done
  IFS=$old_ifs
  if [ -z "$present" ]; then
    log "no corpus files in ${SANAD_CORPUS}: serving the embedded corpus (put .txt, .jsonl or .jsonl.gz files there)"
    unset SANAD_CORPUS SANAD_INDEX
  else
    SANAD_CORPUS=$present
    export SANAD_CORPUS
    if [ -n "${SANAD_INDEX:-}" ] && [ "$1" != index ] && ! index_is_fresh "$SANAD_INDEX"; then
      build_index || exit $?
    fi
  fi
fi

exec sanad "$@"
