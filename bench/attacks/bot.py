"""Issue #21 attacks on the bot's replies and its deployment, run against any checkout of Sanad.

* 8, replies that skip the rate limit: the checkout's ``sanad telegram`` against a small fake Bot
  API on 127.0.0.1 (aiohttp, in this file); one user sends 60 ``/latest`` without a question and a
  chat outside ``SANAD_TELEGRAM_ALLOWED_CHATS`` sends 60 questions; the sendMessage calls are
  counted. Held: at most the burst and a few replies to the first, one to the second.
* 12, the container deployment: a static reading of the checkout's deploy/ files. Held: registry
  images pinned by digest, Python packages installed from a lock, a memory and a process limit on
  every service, published ports on 127.0.0.1, a proxy that forwards only the webhook with a body
  limit.

Each attack is ``fn(checkout, work) -> (held, observed)`` (see :data:`ATTACKS`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._telegram import private_message

__all__ = ["ATTACKS"]

TOKEN = "987654321:AAHattack_0123456789abcdefghijklmnopq"
BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Sanad", "username": "sanad_attack_bot"}
RATE, BURST, FLOOD = 20, 5, 60  # SANAD_TELEGRAM_USER_RATE (a minute), _BURST; updates sent
USER, STRANGER = 7, 66  # an allowed user's chat; a chat outside the allow-list
QUESTION = "ماذا قال كوبلر عن الجيش الليبي؟"


# ----------------------------------------------------------------------------- attack 8
class _FakeBotAPI:
    """Just enough of the Bot API for ``sanad telegram`` by long polling: updates out, calls counted."""

    def __init__(self) -> None:
        self.updates: list[dict] = []
        self.calls: list[tuple[str, dict]] = []
        self.fetched = 0  # updates the bot has confirmed (getUpdates offset)
        self.last_call = time.monotonic()
        self._ids = itertools.count(1000)
        self._event = asyncio.Event()

    def push(self, chat_id: int, text: str) -> None:
        message = private_message(next(self._ids), chat_id, text)
        self.updates.append({"update_id": len(self.updates) + 1, "message": message})
        self._event.set()

    def sent(self, chat_id: int) -> int:
        return sum(1 for m, p in self.calls if m == "sendMessage" and str(p.get("chat_id")) == str(chat_id))

    async def handle(self, request: Any) -> Any:
        from aiohttp import web

        method = request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = dict(await request.post())
        self.calls.append((method, params))
        self.last_call = time.monotonic()
        result: Any = True
        if method == "getMe":
            result = BOT_USER
        elif method == "getUpdates":
            offset = int(params.get("offset") or 0)
            self.fetched = max(self.fetched, offset - 1)
            deadline = time.monotonic() + min(float(params.get("timeout") or 0), 1.0)
            while not [u for u in self.updates if u["update_id"] >= offset] and time.monotonic() < deadline:
                self._event.clear()
                try:
                    await asyncio.wait_for(self._event.wait(), max(0.01, deadline - time.monotonic()))
                except TimeoutError:
                    pass
            result = [u for u in self.updates if u["update_id"] >= offset][:100]
        elif method in ("sendMessage", "sendPhoto", "editMessageText"):
            chat = {"id": int(params.get("chat_id") or 0), "type": "private", "first_name": "user"}
            result = {"message_id": next(self._ids), "date": int(time.time()), "chat": chat, "from": BOT_USER,
                      "text": str(params.get("text") or params.get("caption") or "")}  # fmt: skip
        elif method == "getWebhookInfo":
            result = {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        return web.json_response({"ok": True, "result": result})


async def _reply_flood(checkout: Path, work: Path) -> tuple[bool, str]:
    from aiohttp import web

    api = _FakeBotAPI()
    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", api.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
    env.update(
        SANAD_TELEGRAM_TOKEN=TOKEN, SANAD_TELEGRAM_BASE_URL=f"http://127.0.0.1:{port}/bot",
        SANAD_TELEGRAM_POLL_TIMEOUT="1", SANAD_TELEGRAM_USER_RATE=str(RATE), SANAD_TELEGRAM_USER_BURST=str(BURST),
        SANAD_TELEGRAM_ALLOWED_CHATS=str(USER), SANAD_STATE_URL="memory://", SANAD_LOG_LEVEL="WARNING",
        XDG_CACHE_HOME=str(work / "cache"), XDG_STATE_HOME=str(work / "state"), HOME=str(work),
    )  # fmt: skip
    log = open(work / "bot.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "telegram"], cwd=checkout, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 40
        while not any(m == "getUpdates" for m, _ in api.calls):  # started: polling
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                tail = (work / "bot.log").read_text(errors="replace").strip().splitlines()[-1:]
                return False, f"the bot did not start polling: {tail}"
            await asyncio.sleep(0.2)
        t0 = time.monotonic()
        for _ in range(FLOOD):
            api.push(USER, "/latest")
            api.push(STRANGER, QUESTION)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:  # every update fetched, then 2 s without a call but polling
            if api.fetched >= len(api.updates) and time.monotonic() - api.last_call > 0.5:
                recent = [m for m, _ in api.calls[-5:]]
                if all(m == "getUpdates" for m in recent) and time.monotonic() - t0 > 3:
                    break
            await asyncio.sleep(0.2)
        took = time.monotonic() - t0
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        await runner.cleanup()
    usage, stranger = api.sent(USER), api.sent(STRANGER)
    allowed = BURST + int(took * RATE / 60) + 2  # the burst, what refilled, one "slow down", one spare
    held = usage <= allowed and stranger <= 1
    return held, (
        f"{FLOOD} '/latest' without a question -> {usage} replies (limit allows {allowed}); "
        f"{FLOOD} questions from a chat outside the allow-list -> {stranger} replies; {took:.1f} s"
    )


def reply_flood(checkout: Path, work: Path) -> tuple[bool, str]:
    """Attack 8: usage lines and "not allowed" replies must pay the rate limit."""
    return asyncio.run(_reply_flood(checkout, work))


# ----------------------------------------------------------------------------- attack 12
_PIN = re.compile(r"^[a-z0-9.-]+(?:/[a-z0-9._-]+)+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}$")


def _default(value: str) -> str:
    """``${VAR:-default}`` -> ``default`` (a compose value as deployed without overrides)."""
    return re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", value)


def deploy_static(checkout: Path, work: Path) -> tuple[bool, str]:
    """Attack 12: the deploy files as shipped: pins, lock, limits, loopback, what the proxy forwards."""
    import yaml

    deploy = checkout / "deploy"
    problems: list[str] = []
    docker = (deploy / "Dockerfile").read_text()
    base = re.search(r"^ARG BASE_IMAGE=(\S+)", docker, re.M)
    if not base or not _PIN.match(base.group(1)):
        problems.append(f"base image by tag ({base.group(1) if base else '?'})")
    if not (deploy / "constraints.txt").is_file() or not re.search(r"pip install[^\n]*\s-c\s+\S*constraints", docker):
        problems.append("Python packages not installed from a lock")
    services = 0
    for name in ("compose.yaml", "compose.replicas.yaml", "compose.webhook.yaml"):
        path = deploy / name
        if not path.is_file():
            continue
        doc = yaml.safe_load(path.read_text()) or {}
        for sname, svc in (doc.get("services") or {}).items():
            svc = svc or {}
            image = _default(str(svc.get("image", "")))
            if image and not image.startswith("localhost/") and not _PIN.match(image):
                problems.append(f"{name}: {sname} pulls {image} by tag")
            if name != "compose.webhook.yaml":  # an override: its service is compose.yaml's bot
                services += 1
                if not svc.get("mem_limit") or not svc.get("pids_limit"):
                    problems.append(f"{name}: {sname} has no memory/process limit")
            for port in svc.get("ports") or []:
                spec = _default(str(port))
                if not spec.startswith("127.0.0.1:"):
                    problems.append(f"{name}: {sname} publishes {spec} beyond loopback")
    caddy = deploy / "Caddyfile.replicas"
    if caddy.is_file():
        text = "\n".join(ln.split("#")[0] for ln in caddy.read_text().splitlines())
        if not re.search(r"request_body\s*\{\s*max_size\s+\d", text):
            problems.append("proxy: no body limit")
        if not re.search(r"handle\s*\{\s*respond 404\s*\}", text) or not re.search(r"handle @\w+\s*\{\s*reverse_proxy", text):
            problems.append("proxy forwards every path (/healthz included)")
        if "timeouts" not in text:
            problems.append("proxy: no server timeouts")
    held = not problems
    return held, ("pins, lock, limits on %d services, loopback, webhook-only proxy with a body limit" % services
                  if held else "; ".join(problems))  # fmt: skip


ATTACKS: list[tuple[int, str, Callable[[Path, Path], tuple[bool, str]]]] = [
    (8, "replies that skip the rate limit", reply_flood),
    (12, "container: pins, lock, limits, loopback, proxy", deploy_static),
]

if __name__ == "__main__":  # python bench/attacks/bot.py [CHECKOUT]
    import tempfile

    where = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2])
    for number, title, fn in ATTACKS:
        with tempfile.TemporaryDirectory() as tmp:
            ok, seen = fn(where, Path(tmp))
        print(json.dumps({"attack": number, "title": title, "held": ok, "observed": seen}, ensure_ascii=False))
