"""The webhook receiver of replica mode: Telegram's POSTs go into the shared streams (:mod:`.replicas`).

A tornado server (tornado comes with PTB's webhooks extra) on ``SANAD_TELEGRAM_LISTEN:PORT``:

* ``POST <path of SANAD_TELEGRAM_WEBHOOK_URL>`` with the right ``X-Telegram-Bot-Api-Secret-Token``:
  the update is appended to its stream, then 200; while Redis cannot take it, the update is
  answered here and then 200 (one log line when that starts and one when Redis is back), 503 if
  even that fails (Telegram retries);
  403 without the secret; 400 for a body that is not a JSON update;
* ``GET /healthz``: 200 while this replica's Redis answers (the reverse proxy's and compose's check).
"""

from __future__ import annotations

import hmac
import json
import logging

from retrieval.errors import StateUnavailable

from .replicas import ReplicaQueue

__all__ = ["start_receiver"]

log = logging.getLogger("bot.telegram.webhook")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def start_receiver(queue: ReplicaQueue, listen: str, port: int, path: str, secret: str):  # type: ignore[no-untyped-def]
    """Start the receiver on the running event loop; returns the tornado ``HTTPServer`` (``.stop()``)."""
    import tornado.web
    from tornado.httpserver import HTTPServer

    class Hook(tornado.web.RequestHandler):
        async def post(self) -> None:
            if not hmac.compare_digest(self.request.headers.get(SECRET_HEADER, ""), secret):
                self.set_status(403)
                return
            try:
                update = json.loads(self.request.body)
                if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
                    raise ValueError("no update_id")
            except ValueError:
                self.set_status(400)
                return
            try:
                await queue.enqueue(update)
            except StateUnavailable as e:
                # Redis is down: answer it here and now (no shared order or re-take while it lasts)
                if not queue.degraded:
                    log.warning("%s; answering updates on the replica that receives them until Redis is back", e)
                queue.degraded = True
                try:
                    await queue.handle_now(update)
                except Exception:  # noqa: BLE001 - Telegram must retry rather than lose it
                    log.exception("update %s could not be answered; 503 (Telegram retries it)", update["update_id"])
                    self.set_status(503)
                    return
            else:
                if queue.degraded:
                    log.warning("Redis is back: updates go through the shared streams again")
                queue.degraded = False
            self.set_status(200)

    class Health(tornado.web.RequestHandler):
        async def get(self) -> None:
            if not await queue.healthy():
                self.set_status(503)
                self.write("redis unavailable\n")
                return
            self.write("ok\n")

    app = tornado.web.Application([(r"/healthz", Health), (rf"/{path.strip('/')}", Hook)])
    server = HTTPServer(app, xheaders=True)
    server.listen(port, address=listen)
    return server
