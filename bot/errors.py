"""The front ends' errors and the CLI's exit codes.

The library's hierarchy (:mod:`retrieval.errors`) is extended by the one error only the bot has,
and each error class is given the exit code ``sanad`` ends with::

    SanadError                 1
    ├── InputError             2   a question or command-line input Sanad cannot use
    ├── ConfigError            2   a SANAD_* setting (or the bot's token) that is wrong
    ├── CorpusError            3   corpus files missing, unreadable or malformed (--strict)
    │   └── FeedError          3   a news feed that cannot be fetched or read
    ├── IndexLoadError         4   a saved index missing, corrupted or stale
    ├── ModelLoadError         5   a tagger or model file that cannot be loaded
    └── StateUnavailable       6   the bot's state store (SANAD_STATE_URL) cannot be reached now

``sanad ask`` also ends with 1 when the articles hold no answer (:data:`EXIT_NO_ANSWER`).
"""

from __future__ import annotations

from retrieval import (
    ConfigError,
    CorpusError,
    IndexLoadError,
    InputError,
    ModelLoadError,
    SanadError,
)

__all__ = ["EXIT_NO_ANSWER", "StateUnavailable", "exit_code"]

#: ``sanad ask`` (and ``eval``/``actors``) when nothing answers.
EXIT_NO_ANSWER = 1


class StateUnavailable(SanadError):
    """The bot's state store cannot be reached or written now (Redis down, SQLite file locked or
    unwritable). ``url`` is the store's address without its password. The bot keeps answering
    new questions without it and says "try again" for buttons it cannot look up."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(
            f"bot state at {url} unavailable: {reason}. Check SANAD_STATE_URL and that the store is running."
        )


#: Most specific first.
_CODES: tuple[tuple[type[SanadError], int], ...] = (
    (StateUnavailable, 6),
    (ModelLoadError, 5),
    (IndexLoadError, 4),
    (CorpusError, 3),
    (ConfigError, 2),
    (InputError, 2),
)


def exit_code(error: SanadError) -> int:
    """The exit code ``sanad`` ends with on ``error`` (see the module docstring)."""
    return next((code for cls, code in _CODES if isinstance(error, cls)), 1)
