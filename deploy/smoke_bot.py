"""The fake Bot API side of deploy/smoke.sh: serve tests/fakebot.py on 127.0.0.1, wait for the bot
(in its container, on the host network) to poll, send it a question, check the reply. With
--webhook-secret: wait for the bot's setWebhook, post the question to its webhook as Telegram does.

Writes the server's port to --port-file at once, then one JSON line to --result-file:
``{"ok": bool, "why": str, "reply": str, "reply_s": float}``; keeps serving until SIGTERM/SIGINT
(so the bot can be stopped while it polls), then exits 0. Needs aiohttp (the ``test`` extra).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import aiohttp  # noqa: E402
from fakebot import FakeBotAPI, plain_text  # noqa: E402


async def post_update(url: str, update: dict, secret: str, wait: float = 20.0) -> None:
    """POST ``update`` to the bot's webhook; PTB registers the webhook just before it listens: retry."""
    deadline = time.monotonic() + wait
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}) as r:
                    if r.status != 200:
                        raise RuntimeError(f"the webhook answered HTTP {r.status}")
                    return
            except aiohttp.ClientConnectorError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)


async def main(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with FakeBotAPI(args.token) as server:
        Path(args.port_file).write_text(str(server.port))
        result: dict = {"ok": False, "why": "", "reply": "", "reply_s": 0.0}
        try:
            ready = "setWebhook" if args.webhook_secret else "getUpdates"
            # any call, answered or still in flight (a long poll is answered only when it times out)
            await server.wait_for(
                lambda: any(c.method == ready for c in server.calls) or stop.is_set(), timeout=args.timeout
            )
            if stop.is_set():
                raise TimeoutError(f"stopped before the bot called {ready}")
            t0 = time.monotonic()
            if args.webhook_secret:  # post the update to the bot's webhook, as Telegram does
                url = server.of("setWebhook")[-1].params["url"]
                update = {"update_id": 1, "message": server.make_message(args.question, chat_id=1)}
                await post_update(url, update, args.webhook_secret)
                sent = (await server.wait_for(lambda: server.sent(1), timeout=args.timeout))[0]
            else:
                sent = await server.reply_to(args.question, chat_id=1, timeout=args.timeout)
            result["reply_s"] = round(time.monotonic() - t0, 3)
            text = plain_text(sent.params.get("text", "")) if sent.params.get("parse_mode") == "HTML" else sent.params.get("text", "")
            result["reply"] = text
            missing = [e for e in args.expect if e not in text]
            result["ok"] = not missing
            result["why"] = f"reply lacks {missing}" if missing else "reply names " + ", ".join(args.expect)
        except Exception as e:  # noqa: BLE001 - whatever went wrong is the smoke test's answer
            result["why"] = f"no reply: {type(e).__name__}: {e}"
        Path(args.result_file).write_text(json.dumps(result, ensure_ascii=False) + "\n", encoding="utf-8")
        await stop.wait()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--token", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--result-file", required=True)
    p.add_argument("--question", required=True)
    p.add_argument("--expect", action="append", default=[], help="text the reply must contain (repeatable)")
    p.add_argument("--webhook-secret", help="webhook mode: wait for setWebhook, then post the question to that URL")
    p.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for the bot to poll, then to reply")
    asyncio.run(main(p.parse_args()))
