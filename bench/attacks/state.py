"""Issue #21 attacks on the bot's state store (SQLite, the default), run against any checkout.

Each runs the checkout's ``sanad telegram`` (long polling) against a small fake Bot API on
127.0.0.1 (aiohttp, in this file) with ``SANAD_STATE_URL=sqlite:///WORK/...``:

* 5, a locked state file: after a first question, another process holds the file's write lock
  (``BEGIN EXCLUSIVE``, an operator's ``sqlite3`` shell) for 15 s; another chat asks and the first
  presses an old button. Held: both answered within 3 s, the button pages, before the lock goes.
* 9, a full disk: the state file on a 1 MiB tmpfs filled up (as root; elsewhere the bot's
  ``RLIMIT_FSIZE`` is set at the file's size, which SQLite reports as "disk I/O error"); 20
  questions from 3 chats and 20 presses of an old button, then space again. Held: every
  question answered, every press paged, one warning naming the real error (not "cannot
  rollback"), a line when the state is back.
* 10, garbage in the state file at start. Held: the bot serves (the file moved aside, an ERROR line).
* 11, one chat's pages: chat 2 asks; chat 1 then makes 6,000 pages (``/sources``, each a stored
  view, the rate limit off to fit an hour of presses in seconds). Held: chat 2's button still pages.

Each attack is ``fn(checkout, work) -> (held, observed)`` (see :data:`ATTACKS`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from ._telegram import private_message

__all__ = ["ATTACKS"]

TOKEN = "987654321:AAHstate_0123456789abcdefghijklmnopq"
BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Sanad", "username": "sanad_attack_bot"}
QUESTION = "ماذا طلب المجلس البلدي لمصراتة من بعثة الأمم المتحدة؟"
QUESTION_2 = "ماذا قال كوبلر عن الجيش الليبي؟"
NEXT = "التالي"
#: Another process holding the state file's write lock until its stdin closes or argv[2] s pass.
LOCKER = """
import select, sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
select.select([sys.stdin], [], [], float(sys.argv[2]))
db.execute("ROLLBACK")
"""


# ----------------------------------------------------------------------------- the fake Bot API
class _Api:
    """Enough of the Bot API for ``sanad telegram`` by long polling: messages and button presses
    out, sendMessage / editMessageText / answerCallbackQuery recorded."""

    def __init__(self) -> None:
        self.updates: list[dict] = []
        self.calls: list[tuple[str, dict]] = []
        self.messages: Counter[str] = Counter()  # sendMessage calls by chat id
        self._ids = itertools.count(1000)
        self._event = asyncio.Event()
        self.changed = asyncio.Event()

    def _push(self, update: dict) -> None:
        update["update_id"] = len(self.updates) + 1
        self.updates.append(update)
        self._event.set()

    def message(self, chat_id: int, text: str) -> None:
        message = private_message(next(self._ids), chat_id, text)
        self._push({"message": message})

    def press(self, sent: dict, data: str) -> str:
        """Press a button of the bot's message ``sent`` (a sendMessage result); the query id."""
        qid = str(next(self._ids))
        chat = sent["chat"]["id"]
        self._push({"callback_query": {"id": qid, "from": {"id": chat, "is_bot": False, "first_name": "u"},
                                       "chat_instance": str(chat), "message": sent, "data": data}})  # fmt: skip
        return qid

    def of(self, method: str) -> list[dict]:
        return [p for m, p in self.calls if m == method]

    def sent(self, chat_id: int) -> list[dict]:
        return [p for p in self.of("sendMessage") if str(p.get("chat_id")) == str(chat_id)]

    async def wait(self, predicate: Callable[[], Any], timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while not (value := predicate()):
            if time.monotonic() > deadline:
                return None
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), 0.2)
        return value

    async def handle(self, request: Any) -> Any:
        from aiohttp import web

        method = request.match_info["method"]
        params = dict(await request.json()) if request.content_type == "application/json" else dict(await request.post())
        for key in ("reply_markup", "chat_id", "message_id"):
            if isinstance(params.get(key), str):
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(params[key])
        result: Any = True
        if method == "getMe":
            result = BOT_USER
        elif method == "getUpdates":
            offset = int(params.get("offset") or 0)
            deadline = time.monotonic() + min(float(params.get("timeout") or 0), 1.0)
            while len(self.updates) < offset and time.monotonic() < deadline:
                self._event.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._event.wait(), max(0.01, deadline - time.monotonic()))
            result = self.updates[max(0, offset - 1) : max(0, offset - 1) + 100]  # update ids are 1, 2, ...
        elif method in ("sendMessage", "editMessageText"):
            chat = {"id": int(params.get("chat_id") or 0), "type": "private", "first_name": "user"}
            result = {"message_id": int(params.get("message_id") or next(self._ids)), "date": int(time.time()),
                      "chat": chat, "from": BOT_USER, "text": str(params.get("text") or "")}  # fmt: skip
            params["result"] = result
        elif method == "getWebhookInfo":
            result = {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        self.calls.append((method, params))
        if method == "sendMessage":
            self.messages[str(params.get("chat_id"))] += 1
        self.changed.set()
        return web.json_response({"ok": True, "result": result})


def _button(params: dict, label: str) -> str | None:
    markup = params.get("reply_markup") or {}
    return next((b.get("callback_data") for row in markup.get("inline_keyboard", []) for b in row if label in b.get("text", "")), None)


class _Bot:
    """The checkout's ``sanad telegram`` on a state file, its output lines collected."""

    def __init__(self, checkout: Path, work: Path, api: _Api, port: int, state: Path, **env: str) -> None:
        self.api, self.lines = api, []
        environ = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
        environ.update(
            SANAD_TELEGRAM_TOKEN=TOKEN, SANAD_TELEGRAM_BASE_URL=f"http://127.0.0.1:{port}/bot",
            SANAD_TELEGRAM_POLL_TIMEOUT="1", SANAD_STATE_URL=f"sqlite:///{state}", SANAD_LOG_LEVEL="WARNING",
            SANAD_TELEGRAM_USER_RATE="600", SANAD_TELEGRAM_USER_BURST="100", SANAD_TELEGRAM_MAX_RATE="0",
            XDG_CACHE_HOME=str(work / "cache"), XDG_STATE_HOME=str(work / "xdg-state"), HOME=str(work),
        )  # fmt: skip
        environ.update(env)
        self.proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "telegram"], cwd=checkout, env=environ,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)  # fmt: skip
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.append(raw.decode("utf-8", "replace").rstrip())

    async def started(self, timeout: float = 45) -> str | None:
        """None once the bot polls; else why not (its exit and last line)."""
        deadline = time.monotonic() + timeout
        while not self.api.of("getUpdates"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                await asyncio.sleep(0.3)
                code = self.proc.poll()
                return f"{'exit ' + str(code) if code is not None else 'not polling'}: {(self.lines or ['no output'])[-1][:160]}"
            await asyncio.sleep(0.2)
        return None

    async def ask(self, chat: int, text: str, timeout: float = 20) -> dict | None:
        before = len(self.api.sent(chat))
        self.api.message(chat, text)
        sent = await self.api.wait(lambda: self.api.sent(chat)[before:], timeout)
        return sent[0] if sent else None

    async def paged_answer(self, chat: int) -> tuple[dict, str] | None:
        """The answer to :data:`QUESTION` in ``chat`` and its "next" button's data, once the bot's
        bookkeeping is done; ``None`` without an answer that pages."""
        sent = await self.ask(chat, QUESTION)
        data = _button(sent, NEXT) if sent else None
        if data is None:
            return None
        await self.idle()
        return sent, data

    async def press(self, sent: dict, data: str, timeout: float = 20) -> tuple[bool, str]:
        """(paged, what the button said): pressed on the message ``sent`` (sendMessage params)."""
        mid = sent["result"]["message_id"]
        edits = len([p for p in self.api.of("editMessageText") if p.get("message_id") == mid])
        qid = self.api.press(sent["result"], data)
        answer = await self.api.wait(lambda: [p for p in self.api.of("answerCallbackQuery") if str(p.get("callback_query_id")) == qid], timeout)
        paged = len([p for p in self.api.of("editMessageText") if p.get("message_id") == mid]) > edits
        return paged, str((answer or [{}])[0].get("text") or ("(no answer)" if answer is None else ""))

    async def idle(self, quiet: float = 0.6, timeout: float = 10) -> None:
        """Until the bot made no Bot API call but polling for ``quiet`` s (its bookkeeping done)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            n = len(self.api.calls)
            await asyncio.sleep(quiet)
            if all(m == "getUpdates" for m, _ in self.api.calls[n:]):
                return

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(5)

    def state_lines(self) -> list[str]:
        return [line for line in self.lines if " bot.telegram.state: " in line]


@contextlib.asynccontextmanager
async def _serving(checkout: Path, work: Path, state: Path, **env: str) -> AsyncIterator[_Bot]:
    from aiohttp import web

    api = _Api()
    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", api.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    bot = _Bot(checkout, work, api, port, state, **env)
    try:
        yield bot
    finally:
        bot.stop()
        await runner.cleanup()


# ----------------------------------------------------------------------------- attack 5
async def _locked(checkout: Path, work: Path) -> tuple[bool, str]:
    state = work / "state.sqlite3"
    async with _serving(checkout, work, state) as bot:
        if why := await bot.started():
            return False, f"the bot did not start: {why}"
        if (got := await bot.paged_answer(1)) is None:
            return False, "no first answer with a next button"
        first, data = got
        locker = await asyncio.create_subprocess_exec(sys.executable, "-c", LOCKER, str(state), "15",
                                                      stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)  # fmt: skip
        try:
            if await asyncio.wait_for(locker.stdout.readline(), 15) != b"locked\n":  # type: ignore[union-attr]
                return False, "the locker did not get the lock"
            t0 = time.monotonic()
            other = await bot.ask(2, QUESTION_2, timeout=25)
            answered_s = time.monotonic() - t0
            t1 = time.monotonic()
            paged, said = await bot.press(first, data, timeout=25)
            pressed_s = time.monotonic() - t1
            during = locker.returncode is None
        finally:
            if locker.stdin is not None:
                locker.stdin.close()
            await asyncio.wait_for(locker.wait(), 20)
    button = "paged" if paged else f"said {said[:40]!r}"
    held = other is not None and answered_s < 3 and paged and pressed_s < 3 and during
    answer = f"answered in {answered_s:.1f} s" if other is not None else f"not answered in {answered_s:.0f} s"
    when = "" if during else " (the lock had gone by then)"
    return held, f"15 s write lock by another process: another chat {answer}; an old button {button} in {pressed_s:.1f} s{when}"


def locked_state(checkout: Path, work: Path) -> tuple[bool, str]:
    """Attack 5: a locked SQLite state file must not stop every chat."""
    return asyncio.run(_locked(checkout, work))


# ----------------------------------------------------------------------------- attack 9
def _mount_tmpfs(where: Path, size: str) -> bool:
    if os.geteuid() != 0:
        return False
    where.mkdir()
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True).returncode == 0


def _fill(where: Path) -> None:
    """Write a file in ``where`` until its file system is full."""
    with open(where / "filler", "wb") as f:
        with contextlib.suppress(OSError):
            while True:
                f.write(b"\0" * 65536)
                f.flush()


async def _full(checkout: Path, work: Path) -> tuple[bool, str]:
    disk = work / "small-disk"
    tmpfs = _mount_tmpfs(disk, "1m")
    if not tmpfs:
        disk.mkdir(exist_ok=True)
    state = disk / "state.sqlite3"
    try:
        async with _serving(checkout, work, state) as bot:
            if why := await bot.started():
                return False, f"the bot did not start: {why}"
            if (got := await bot.paged_answer(1)) is None:
                return False, "no first answer with a next button"
            old, data = got
            if tmpfs:
                _fill(disk)
                how = "a full 1 MiB tmpfs"
            else:  # the bot's file size limit at the state files' size (EFBIG: SQLite's "disk I/O error")
                size = max(p.stat().st_size for p in disk.iterdir())
                hard = resource.prlimit(bot.proc.pid, resource.RLIMIT_FSIZE)[1]
                resource.prlimit(bot.proc.pid, resource.RLIMIT_FSIZE, (size, hard))  # the soft limit: raised again below
                how = f"RLIMIT_FSIZE {size} B"
            action, view, _, item = data.split(":")
            answered = paged = 0
            said = ""
            for i in range(20):
                if await bot.ask(10 + i % 3, QUESTION_2 if i % 2 else QUESTION, timeout=15):
                    answered += 1
                ok, text = await bot.press(old, f"{action}:{view}:{1 - i % 2}:{item}", timeout=15)
                paged += ok
                said = said or ("" if ok else text)
            await bot.idle()
            outage = bot.state_lines()
            if tmpfs:
                (disk / "filler").unlink()
            else:
                resource.prlimit(bot.proc.pid, resource.RLIMIT_FSIZE, (hard, hard))
            await bot.ask(20, QUESTION)
            await bot.idle()
            after = bot.state_lines()[len(outage) :]
    finally:
        if tmpfs:
            subprocess.run(["umount", "-l", str(disk)], capture_output=True)
    first = next((line.split(" bot.telegram.state: ", 1)[1] for line in outage), "no warning")
    named = ("full" in first if tmpfs else "I/O error" in first) and "cannot rollback" not in first
    back = any("is back" in line for line in after)
    held = answered == 20 and paged == 20 and len(outage) == 1 and named and back
    return held, (
        f"{how}: {answered}/20 questions answered, old button paged {paged}/20" + (f" (else {said[:30]!r})" if said else "")
        + f"; {len(outage)} state warning lines, the first: {first[first.find('unavailable'):][:90]!r}; back line: {back}"
    )


def full_disk(checkout: Path, work: Path) -> tuple[bool, str]:
    """Attack 9: a full disk under the SQLite state: one warning naming it, old buttons work."""
    return asyncio.run(_full(checkout, work))


# ----------------------------------------------------------------------------- attack 10
async def _garbage(checkout: Path, work: Path) -> tuple[bool, str]:
    state = work / "state.sqlite3"
    state.write_bytes(("ليست قاعدة بيانات " * 300).encode() + os.urandom(2048))
    async with _serving(checkout, work, state) as bot:
        if why := await bot.started():
            return False, f"garbage state file at start: {why}"
        reply = await bot.ask(1, QUESTION)
        errors = [line for line in bot.lines if " ERROR " in line]
    aside = [p.name for p in work.glob("state.sqlite3.corrupt-*") if not p.name.endswith(("-wal", "-shm"))]
    held = reply is not None and len(aside) == 1
    return held, f"garbage state file at start: the bot serves, answered: {reply is not None}; moved aside: {aside[:1]}; ERROR lines: {len(errors)}"


def garbage_state(checkout: Path, work: Path) -> tuple[bool, str]:
    """Attack 10: a garbage state file is moved aside, the bot serves."""
    return asyncio.run(_garbage(checkout, work))


# ----------------------------------------------------------------------------- attack 11
PAGES = 6000


async def _pages(checkout: Path, work: Path) -> tuple[bool, str]:
    async with _serving(checkout, work, work / "state.sqlite3", SANAD_TELEGRAM_USER_RATE="0") as bot:
        if why := await bot.started():
            return False, f"the bot did not start: {why}"
        if (got := await bot.paged_answer(2)) is None:
            return False, "no answer with a next button for chat 2"
        victim, data = got
        t0 = time.monotonic()
        for _ in range(PAGES):
            bot.api.message(1, "/sources")
        deadline = time.monotonic() + 120  # ~30 s on an idle 2-core machine
        while bot.api.messages["1"] < PAGES and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        made, took = bot.api.messages["1"], time.monotonic() - t0
        done = made >= PAGES
        await bot.idle()
        paged, said = await bot.press(victim, data)
    if not done:
        return False, f"chat 1 got only {made}/{PAGES} pages in {took:.0f} s"
    button = "pages" if paged else f"says {said[:40]!r}"
    return paged, f"after chat 1 made {PAGES} pages ({took:.0f} s, rate limit off), chat 2's button {button}"


def one_chats_pages(checkout: Path, work: Path) -> tuple[bool, str]:
    """Attack 11: one chat storing 6,000 pages must not expire another chat's."""
    return asyncio.run(_pages(checkout, work))


ATTACKS: list[tuple[int, str, Callable[[Path, Path], tuple[bool, str]]]] = [
    (5, "a locked SQLite state file stops every chat", locked_state),
    (9, "a full disk under the SQLite state", full_disk),
    (10, "a garbage state file at start", garbage_state),
    (11, "one chat's pages expire everyone's buttons", one_chats_pages),
]


if __name__ == "__main__":  # python bench/attacks/state.py [CHECKOUT] [NUMBER...]
    import tempfile

    where = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2])
    only = {int(n) for n in sys.argv[2:]}
    for number, title, fn in ATTACKS:
        if only and number not in only:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.monotonic()
            ok, seen = fn(where, Path(tmp))
        print(json.dumps({"attack": number, "title": title, "held": ok, "observed": seen, "s": round(time.monotonic() - t0)}, ensure_ascii=False))
