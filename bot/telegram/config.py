"""Settings checks and logging for the Telegram bot; light to import (no PTB, no retrieval).

``sanad telegram`` checks the token with this module before anything heavy is imported, so a
missing or malformed token fails at once. No message here ever contains a secret.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from urllib.parse import urlsplit

from retrieval import ConfigError

from ..settings import Settings

__all__ = [
    "TOKEN_RE",
    "api_host",
    "check_token",
    "configure_logging",
    "protect_secrets",
    "quiet_http_loggers",
    "webhook_secret",
]

log = logging.getLogger("bot.telegram")

#: What a bot token from @BotFather looks like: the bot's numeric id, a colon, a secret.
TOKEN_RE = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{30,200}")
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")


def check_token(settings: Settings) -> str:
    """The bot token, or :class:`ConfigError` (exit code 2). The message never contains the token."""
    secret = settings.telegram_token.get_secret_value().strip() if settings.telegram_token else ""
    if not secret:
        raise ConfigError(
            "SANAD_TELEGRAM_TOKEN is not set: create a bot with @BotFather and put its token in "
            "SANAD_TELEGRAM_TOKEN (environment or .env)"
        )
    if not TOKEN_RE.fullmatch(secret):
        raise ConfigError(
            "SANAD_TELEGRAM_TOKEN is malformed: expected the form 123456789:AAE... that @BotFather gives "
            "(the value is not shown)"
        )
    return secret


def webhook_secret(settings: Settings) -> str:
    if settings.telegram_webhook_secret is None:
        return secrets.token_urlsafe(32)
    value = settings.telegram_webhook_secret.get_secret_value()
    if not _SECRET_RE.fullmatch(value):
        raise ConfigError(
            "SANAD_TELEGRAM_WEBHOOK_SECRET is malformed: 1-256 characters A-Z a-z 0-9 _ - (the value is not shown)"
        )
    return value


def api_host(settings: Settings) -> str:
    return urlsplit(settings.telegram_base_url).netloc or settings.telegram_base_url.split("{", 1)[0]


class _Redact(logging.Filter):
    """Replaces secrets in log records (message, arguments and traceback) by ``<redacted>``."""

    def __init__(self, secrets_: Sequence[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets_ if s]

    def _clean(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, "<redacted>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error path
            return True
        if any(s in message for s in self.secrets):
            record.msg, record.args = self._clean(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True


_REDACT = _Redact(())
#: PTB's loggers (module-level, created at import) and the HTTP client's: a token can reach them.
_GUARDED_LOGGERS = ("telegram", "httpx", "httpcore", "bot.telegram")


def protect_secrets(*secrets_: str) -> None:
    """Redact ``secrets_`` from every record of PTB's, httpx's and this bot's loggers.

    PTB logs the API URL, token included, at DEBUG when a bot is created, and puts the token in
    the message of ``InvalidToken``. A filter on those loggers (not only on handlers) also
    covers handlers added later, such as pytest's caplog.
    """
    _REDACT.secrets = sorted({*_REDACT.secrets, *(s for s in secrets_ if s)}, key=len, reverse=True)
    names = {"telegram.Bot", "telegram.ext.ExtBot", "telegram.ext.Application", "telegram.ext.Updater", "telegram.ext"}
    names.update(n for n in logging.root.manager.loggerDict if n.split(".")[0] in ("telegram", "httpx", "httpcore"))
    names.update(_GUARDED_LOGGERS)
    for name in names:
        logger = logging.getLogger(name)
        if _REDACT not in logger.filters:
            logger.addFilter(_REDACT)


def quiet_http_loggers() -> None:
    """httpx logs every request URL at INFO, and a Bot API URL holds the token: keep it at WARNING."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


def configure_logging(settings: Settings, secrets_: Sequence[str] = ()) -> None:
    """Logging for ``sanad telegram``: timestamps, start-up lines at INFO, secrets redacted."""
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_http_loggers()
    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        log.setLevel(logging.INFO)  # what the bot serves and its summaries are always shown
    protect_secrets(*secrets_)
    for handler in logging.getLogger().handlers:  # a second line of defence, for every logger
        if _REDACT not in handler.filters:
            handler.addFilter(_REDACT)
