"""The webhook's HTTP server (tornado, imported only in webhook mode): a connection cap that evicts idle
connections, and an accept loop that pauses, without a traceback, when file descriptors run out."""

from __future__ import annotations

import errno
import hmac
import json
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

import tornado.web
from telegram import Update
from tornado import httputil
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop

from .webhook import SECRET_HEADER, describe

__all__ = ["SHRUNK_S", "SPARE_FDS", "GuardedServer", "UpdateHandler"]

log = logging.getLogger("bot.telegram.webhook")

#: File descriptors given back to the rest of the process when accepting runs out of them: the
#: connection cap drops to the open connections less these (less half of them when fewer are
#: open), for :data:`SHRUNK_S` seconds.
SPARE_FDS = 16
SHRUNK_S = 60.0


class _Tracked(httputil.HTTPMessageDelegate):
    """A request's delegate that marks its connection busy once the request's headers are in."""

    def __init__(
        self, inner: httputil.HTTPMessageDelegate, busy: Callable[[], None]
    ) -> None:
        self.inner, self.busy = inner, busy

    def headers_received(self, start_line, headers):  # type: ignore[no-untyped-def]
        self.busy()
        return self.inner.headers_received(start_line, headers)

    def data_received(self, chunk: bytes):  # type: ignore[no-untyped-def]
        return self.inner.data_received(chunk)

    def finish(self) -> None:
        self.inner.finish()

    def on_connection_close(self) -> None:
        self.inner.on_connection_close()


class GuardedServer(HTTPServer):
    """At most ``max_connections`` open; a new one evicts the oldest connection still waiting
    for a request head; accepting pauses (no busy loop, no traceback) when it fails for want of
    file descriptors."""

    def initialize(  # type: ignore[override]
        self, *args: Any, max_connections: int, accept_pause_s: float, **kwargs: Any
    ) -> None:
        super().initialize(*args, **kwargs)
        self.max_connections = self.cap = max_connections
        self.accept_pause_s = accept_pause_s
        self.shrunk_at = 0.0
        self.open: dict[
            Any, bool
        ] = {}  # connection's IOStream -> busy (a request head is in), oldest first
        self.counts: dict[str, int] = {
            "accepted": 0,
            "evicted": 0,
            "refused": 0,
            "accept_failures": 0,
        }

    # -- accepting
    def add_sockets(self, sockets) -> None:  # type: ignore[no-untyped-def]
        for sock in sockets:
            self._sockets[sock.fileno()] = sock
            self._handlers[sock.fileno()] = self._accept_handler(sock)

    def _accept_handler(self, sock: socket.socket) -> Callable[[], None]:
        io_loop = IOLoop.current()
        state = {"removed": False, "paused": False}

        def resume() -> None:
            if not state["removed"] and state["paused"]:
                state["paused"] = False
                io_loop.add_handler(sock, accept, IOLoop.READ)

        def accept(fd: Any, events: int) -> None:
            for _ in range(128):
                if state["removed"]:
                    return
                try:
                    connection, address = sock.accept()
                except BlockingIOError:
                    return
                except ConnectionAbortedError:
                    continue
                except OSError as e:
                    if e.errno not in (
                        errno.EMFILE,
                        errno.ENFILE,
                        errno.ENOBUFS,
                        errno.ENOMEM,
                    ):
                        raise
                    self.counts["accept_failures"] += 1
                    self._shrink()
                    log.warning(
                        "webhook: cannot accept a connection (%s); at most %d connections for %g s, "
                        "accepting again in %g s", e.strerror, self.cap, SHRUNK_S, self.accept_pause_s,
                    )  # fmt: skip
                    io_loop.remove_handler(sock)
                    state["paused"] = True
                    io_loop.call_later(self.accept_pause_s, resume)
                    return
                self._handle_connection(connection, address)

        def remove() -> None:
            if not state["paused"]:
                io_loop.remove_handler(sock)
            state["removed"] = True

        io_loop.add_handler(sock, accept, IOLoop.READ)
        return remove

    def _shrink(self) -> None:
        """Out of file descriptors: leave :data:`SPARE_FDS` of the connections' to the rest of the
        process (the Bot API, Redis) by lowering the cap for :data:`SHRUNK_S` and evicting down to it."""
        spare = max(1, min(SPARE_FDS, len(self.open) // 2))
        self.cap = max(1, min(self.cap, len(self.open) - spare))
        self.shrunk_at = time.monotonic()
        while len(self.open) > self.cap and self._evict():
            pass

    def _evict(self) -> bool:
        """Close the oldest connection still waiting for a request head; False if every one is busy."""
        victim = next((c for c, busy in self.open.items() if not busy), None)
        if victim is None:
            return False
        del self.open[victim]
        victim.close()
        self.counts["evicted"] += 1
        return True

    # -- connections
    def handle_stream(self, stream, address) -> None:  # type: ignore[no-untyped-def]
        self.counts["accepted"] += 1
        if (
            self.cap < self.max_connections
            and time.monotonic() - self.shrunk_at > SHRUNK_S
        ):
            self.cap = self.max_connections
        if len(self.open) >= self.cap:
            if not self._evict():
                self.counts["refused"] += 1
                log.warning(
                    "webhook: %d connections open (the most allowed), all busy: a new one closed",
                    self.cap,
                )
                stream.close()
                return
            log.warning(
                "webhook: %d connections open (the most allowed): the oldest idle one closed",
                self.cap,
            )
        self.open[stream] = (
            False  # counted now: its first request starts on the next loop turn
        )
        super().handle_stream(stream, address)

    def start_request(self, server_conn, request_conn):  # type: ignore[no-untyped-def]
        stream = server_conn.stream
        if (
            self.open.pop(stream, None) is not None
        ):  # a new request: waiting for its head, the youngest
            self.open[stream] = False

        def busy() -> None:
            if stream in self.open:
                self.open[stream] = True

        return _Tracked(super().start_request(server_conn, request_conn), busy)

    def on_close(self, server_conn) -> None:  # type: ignore[no-untyped-def]
        self.open.pop(server_conn.stream, None)
        super().on_close(server_conn)


@tornado.web.stream_request_body
class UpdateHandler(tornado.web.RequestHandler):
    """Every request: refused from its headers alone unless it is Telegram's POST of an update
    (``hook_path``, with the secret header) or the health probe (``GET /healthz``)."""

    def initialize(
        self, sink: Any, bot: Any, hook_path: str, secret: str, counts: dict[str, int]
    ) -> None:  # type: ignore[override]
        self.sink, self.bot, self.hook_path, self.secret, self.counts = (
            sink,
            bot,
            hook_path,
            secret,
            counts,
        )

    def prepare(self) -> Awaitable[None] | None:
        self._body = bytearray()
        path = self.request.path
        if path == self.hook_path and self.request.method == "POST":
            if hmac.compare_digest(
                self.request.headers.get(SECRET_HEADER, "").encode(),
                self.secret.encode(),
            ):
                return None
            self.counts["forbidden"] += 1
            return self._refuse(403)
        if path == "/healthz" and self.request.method == "GET":
            return self._refuse(None)
        return self._refuse(404)

    def _refuse(self, status: int | None) -> Awaitable[None] | None:
        self.request.connection.set_max_body_size(0)  # type: ignore[union-attr]  # a body: closed unread
        if status is None:
            return self._health()
        self.set_status(status)
        self.finish()
        return None

    async def _health(self) -> None:
        ok = await self.sink.healthy()
        self.set_status(200 if ok else 503)
        self.finish("ok\n" if ok else "unavailable\n")

    def data_received(self, chunk: bytes) -> None:
        if not self._finished:
            self._body += chunk

    async def post(self) -> None:
        try:
            data = json.loads(bytes(self._body))
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("no update_id")
        except (
            ValueError,
            RecursionError,
        ):  # not JSON, not UTF-8, nested too deep, no update_id
            self.set_status(400)
            return
        self.counts["updates"] += 1
        try:
            update = Update.de_json(data, self.bot)
            if update is None:
                raise ValueError("empty update")
        except Exception as e:  # noqa: BLE001 - whatever PTB cannot read: park it, do not make Telegram retry
            self.counts["parked"] += 1
            try:
                await self.sink.park(
                    data, f"python-telegram-bot cannot read it: {describe(e)}"
                )
            except Exception as e2:  # noqa: BLE001 - the parking place is down too: the log says it
                log.warning("update %s cannot be read (%s) nor parked (%s); dropped", data["update_id"],
                            describe(e), describe(e2))  # fmt: skip
            self.set_status(200)
            return
        try:
            await self.sink.deliver(data, update)
        except Exception:  # noqa: BLE001 - Telegram must retry rather than lose it
            self.counts["failed"] += 1
            log.exception(
                "update %s could not be taken; 503 (Telegram retries it)",
                data["update_id"],
            )
            self.set_status(503)
            return
        self.set_status(200)

    def log_exception(self, typ, value, tb) -> None:  # type: ignore[no-untyped-def]
        log.warning(
            "webhook: %s",
            describe(value) if value is not None else typ,
            exc_info=(typ, value, tb),
        )
