"""Attacks 2, 4 and 7 of #21 on the webhook receivers and the replica consumers, as reproductions.

Each attack runs ``sanad telegram`` of a checkout (any version: nothing of it is imported) in a
webhook mode against a small fake Bot API of its own on 127.0.0.1, attacks it over loopback and
says whether the bot held:

* 2: in replica mode (a redis-server of its own), an update with the right secret that
  python-telegram-bot cannot read (a message without ``message_id`` and ``date``), then good
  updates in 16 chats: held when every chat is answered (before: stream 0, one chat in eight,
  stopped for good);
* 4: 300 idle half-sent connections to a bot limited to 256 file descriptors, then Telegram's
  post: held when it is answered within 15 s and the log grows by less than 1 MB (before: the post
  failed while the accept loop wrote a traceback per attempt, 20 MB of log in 6 s; a flood is
  stopped there, the bot killed);
* 7: four concurrent 95 MB posts without the secret: held when the bot's memory grows by less
  than 50 MB (before: +700 MB, the bodies read whole before the secret was looked at).

Usage: ``python bench/attacks/webhook.py [CHECKOUT]`` (default: this checkout).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TOKEN = "987654321:AAHattack-secret_0123456789abcdefghij"
SECRET = "attack-secret_0123"
HOOK = "/sanad/hook"


# ------------------------------------------------------------------------------ a fake Bot API
class FakeAPI:
    """Just enough of the Bot API for a webhook bot: every call recorded, messages echoed back."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                method = self.path.rsplit("/", 1)[-1]
                params: dict = {}
                if "x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
                    params = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()}
                with api.lock:
                    api.calls.append((method, params))
                result: object = True
                if method == "getMe":
                    result = {"id": 4242, "is_bot": True, "first_name": "Sanad", "username": "sanad_attack_bot"}
                elif method in ("sendMessage", "editMessageText", "sendPhoto"):
                    chat = int(params.get("chat_id", 0) or 0)
                    result = {"message_id": len(api.calls), "date": int(time.time()),
                              "chat": {"id": chat, "type": "private"}, "text": params.get("text", "")}  # fmt: skip
                out = json.dumps({"ok": True, "result": result}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST  # noqa: N815

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/bot"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def sent_to(self) -> set[int]:
        with self.lock:
            return {int(p.get("chat_id", 0) or 0) for m, p in self.calls if m == "sendMessage"}

    def called(self, method: str) -> bool:
        with self.lock:
            return any(m == method for m, _ in self.calls)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ------------------------------------------------------------------------------ the bot
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Bot:
    """``sanad telegram`` of ``checkout`` in webhook mode, its log in ``work``."""

    def __init__(self, checkout: Path, work: Path, api: FakeAPI, name: str, nofile: int | None = None,
                 **env: str) -> None:  # fmt: skip
        self.port = _free_port()
        self.log = work / f"{name}.log"
        full = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
        full.update(
            SANAD_TELEGRAM_TOKEN=TOKEN, SANAD_TELEGRAM_BASE_URL=api.base_url,
            SANAD_TELEGRAM_WEBHOOK_URL=f"https://bot.example{HOOK}", SANAD_TELEGRAM_WEBHOOK_SECRET=SECRET,
            SANAD_TELEGRAM_LISTEN="127.0.0.1", SANAD_TELEGRAM_PORT=str(self.port), SANAD_STATE_URL="memory://",
            SANAD_TELEGRAM_MAX_RATE="0", SANAD_TELEGRAM_USER_RATE="0", SANAD_LOG_LEVEL="INFO",
            SANAD_ACTORS_BACKEND="rules", XDG_CACHE_HOME=str(work / "cache"), XDG_STATE_HOME=str(work / "state"),
        )  # fmt: skip
        full.update(env)

        def limit() -> None:
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

        with self.log.open("wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "telegram"], cwd=checkout, env=full,
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log, preexec_fn=limit)  # fmt: skip

    def wait(self, ready: Callable[[], bool], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("the bot exited: " + self.tail())
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0 and ready():
                    return
            time.sleep(0.2)
        raise RuntimeError("the bot did not start: " + self.tail())

    def post(self, update: dict, secret: str = SECRET, timeout: float = 10) -> int | str:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{HOOK}", json.dumps(update).encode(),
            {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except OSError as e:
            return type(e).__name__

    def rss_mb(self) -> float:
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return 0.0
        return int(status.split("VmRSS:")[1].split()[0]) / 1024

    def fds(self) -> int:
        with contextlib.suppress(OSError):
            return len(os.listdir(f"/proc/{self.proc.pid}/fd"))
        return -1

    def log_bytes(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def tail(self) -> str:
        with contextlib.suppress(OSError), self.log.open("rb") as f:
            f.seek(max(0, self.log_bytes() - 600))
            return " ".join(f.read().decode(errors="replace").split())[-600:]
        return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@contextlib.contextmanager
def _single(checkout: Path, work: Path, nofile: int | None = None) -> Iterator[tuple[FakeAPI, Bot]]:
    api = FakeAPI()
    bot = Bot(checkout, work, api, "bot", nofile)
    try:
        bot.wait(lambda: api.called("setWebhook"))
        time.sleep(0.5)  # the application starts right after setWebhook
        yield api, bot
    finally:
        bot.stop()
        api.close()


def _message(text: str, chat: int, message_id: int) -> dict:
    return {"message_id": message_id, "date": int(time.time()), "text": text,
            "chat": {"id": chat, "type": "private", "first_name": f"u{chat}"},
            "from": {"id": chat, "is_bot": False, "first_name": f"u{chat}"},
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text[0] == "/" else []}  # fmt: skip


def _wait(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


# ------------------------------------------------------------------------------ 2: an unreadable update
def poison_update(checkout: Path, work: Path) -> tuple[bool, str]:
    """Replica mode: an update PTB cannot read, posted with the secret before good updates in 16 chats."""
    binary = shutil.which("redis-server") or next((p for p in ("/usr/bin/redis-server",) if os.access(p, os.X_OK)), None)
    if binary is None:
        return False, "not run: redis-server is not installed"
    import redis

    port = _free_port()
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(work), "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    api = FakeAPI()
    bot = None
    try:
        r = redis.Redis(port=port)
        if not _wait(lambda: _pings(r), 10):
            return False, "not run: redis-server did not start"
        bot = Bot(checkout, work, api, "replica", SANAD_STATE_URL=f"redis://127.0.0.1:{port}/0")
        bot.wait(lambda: all(r.get(f"sanad:lease:{s}") for s in range(8)))
        poison = {"update_id": 100, "message": {"chat": {"id": 8, "type": "private"}, "text": "x"}}
        status = bot.post(poison)
        chats = range(1, 17)
        for chat in chats:
            bot.post({"update_id": 200 + chat, "message": _message("/start", chat, 1000 + chat)})
        _wait(lambda: set(chats) <= api.sent_to(), 20)
        missing = sorted(set(chats) - api.sent_to())
        stops = bot.log.read_text(errors="replace").count("stopped (")
        parked = int(r.xlen("sanad:dead")) if r.exists("sanad:dead") else 0
        held = not missing and bot.proc.poll() is None
        if held:
            return True, f"poison answered {status}; 16/16 chats answered; {parked} update(s) in sanad:dead"
        return False, f"poison answered {status}; chats never answered: {missing}; 'stream ... stopped' logged {stops} times"
    except RuntimeError as e:
        return False, str(e)[:300]
    finally:
        if bot is not None:
            bot.stop()
        api.close()
        server.kill()
        server.wait(5)


def _pings(r) -> bool:  # type: ignore[no-untyped-def]
    try:
        return bool(r.ping())
    except Exception:  # noqa: BLE001 - not up yet
        return False


# ------------------------------------------------------------------------------ 4: slow clients
def _half_sent(port: int, n: int, batch: int = 25) -> list[socket.socket]:
    """``n`` connections that sent part of a request head, then nothing; opened ``batch`` at a time
    (each batch given up to a second to connect: a burst beyond the listen backlog would only be
    retried by the kernel seconds later)."""
    socks: list[socket.socket] = []
    for start in range(0, n, batch):
        group = []
        for _ in range(min(batch, n - start)):
            s = socket.socket()
            s.setblocking(False)
            with contextlib.suppress(BlockingIOError, OSError):
                s.connect(("127.0.0.1", port))
            group.append(s)
        select.select([], group, [], 1.0)
        for s in group:
            with contextlib.suppress(OSError):
                s.send(f"POST {HOOK} HTTP/1.1\r\nHost: bot.example\r\nContent-Ty".encode())
        socks += group
    return socks


def slow_clients(checkout: Path, work: Path, nofile: int = 256, idle: int = 300) -> tuple[bool, str]:
    """``idle`` half-sent connections to a bot with ``nofile`` file descriptors, then Telegram's post."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < idle + 64:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, idle + 256), hard))
    socks: list[socket.socket] = []
    try:
        with _single(checkout, work, nofile) as (api, bot):
            before = bot.log_bytes()
            socks += _half_sent(bot.port, idle)
            time.sleep(0.5)
            fds = bot.fds()
            t0 = time.monotonic()
            result: list[int | str] = []
            poster = threading.Thread(target=lambda: result.append(
                bot.post({"update_id": 7, "message": _message("/start", 4, 77)}, timeout=15)), daemon=True)  # fmt: skip
            poster.start()
            # watch the log meanwhile: a flood is stopped at 20 MB (the bot killed), a verdict in itself
            flood = lambda: bot.log_bytes() - before >= 20 << 20  # noqa: E731
            answered = _wait(lambda: 4 in api.sent_to() or flood(), 15) and 4 in api.sent_to()
            took = time.monotonic() - t0
            if flood():
                bot.proc.kill()
            poster.join(15)
            grown = bot.log_bytes() - before
            lines = _lines(bot.log, before)
    except RuntimeError as e:
        return False, str(e)[:300]
    finally:
        for s in socks:
            s.close()
    status = result[0] if result else "no answer"
    held = status == 200 and answered and grown < 1 << 20
    return held, (
        f"{idle} idle connections, {nofile} fds ({fds} in use): post {status}, reply {'sent' if answered else 'not sent'} "
        f"after {took:.1f} s; log +{grown / 1024:.0f} KB ({lines} lines)"
    )


def _lines(path: Path, start: int) -> int:
    n = 0
    with path.open("rb") as f:
        f.seek(start)
        while chunk := f.read(1 << 20):
            n += chunk.count(b"\n")
    return n


# ------------------------------------------------------------------------------ 7: large bodies
def large_bodies(checkout: Path, work: Path, posts: int = 4, size: int = 95 << 20) -> tuple[bool, str]:
    """``posts`` concurrent posts of ``size`` bytes without the secret; the bot's memory sampled meanwhile."""
    try:
        with _single(checkout, work) as (api, bot):
            before = peak = bot.rss_mb()
            sent: list[int] = []
            statuses: list[str] = []

            def flood() -> None:
                n = 0
                try:
                    with socket.create_connection(("127.0.0.1", bot.port), timeout=10) as s:
                        s.sendall(f"POST {HOOK} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                  f"Content-Length: {size}\r\n\r\n".encode())  # fmt: skip
                        chunk = b"0" * (1 << 20)
                        for _ in range(size >> 20):
                            s.sendall(chunk)
                            n += len(chunk)
                        statuses.append(s.recv(64).split(b"\r\n")[0].decode(errors="replace"))
                except OSError as e:
                    statuses.append(type(e).__name__)
                sent.append(n)

            threads = [threading.Thread(target=flood, daemon=True) for _ in range(posts)]
            for t in threads:
                t.start()
            deadline = time.monotonic() + 45
            while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
                peak = max(peak, bot.rss_mb())
                time.sleep(0.05)
            time.sleep(0.5)
            peak = max(peak, bot.rss_mb())
    except RuntimeError as e:
        return False, str(e)[:300]
    held = peak - before < 50
    read = sum(sent) / (1 << 20)
    return held, (
        f"{posts} x {size >> 20} MB without the secret: RSS {before:.0f} -> peak {peak:.0f} MB; "
        f"{read:.0f} MB sent before the bot closed them; {sorted(set(statuses))}"
    )


ATTACKS: list[tuple[int, str, Callable[[Path, Path], tuple[bool, str]]]] = [
    (2, "an update PTB cannot read stops a replica stream", poison_update),
    (4, "idle half-sent connections exhaust the webhook", slow_clients),
    (7, "large bodies are read before the secret is checked", large_bodies),
]


def main() -> None:
    import tempfile

    checkout = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2]
    for number, title, attack in ATTACKS:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.monotonic()
            held, observed = attack(checkout.resolve(), Path(tmp))
            print(f"{number} {'held' if held else 'FAILED'} ({time.monotonic() - t0:.0f} s) {title}: {observed}")


if __name__ == "__main__":
    main()
