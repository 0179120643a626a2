"""One error hierarchy for Sanad. Every message says what happened and what to do next::

    SanadError
    ├── InputError        a question or command-line input Sanad cannot use
    ├── ConfigError       a setting (SANAD_*, an option, the bot's token) that is wrong
    ├── CorpusError       corpus files missing, unreadable or malformed (--strict)
    │   └── FeedError     a news feed that cannot be fetched or read as RSS/Atom: carries ``url``
    ├── IndexLoadError    a saved index missing, corrupted or stale: carries ``path`` and ``reason``
    └── ModelLoadError    a tagger or model file that cannot be loaded

Front ends print the message on one line; the CLI's exit codes and the bot's own error
(``StateUnavailable``) live in :mod:`bot.errors`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


class SanadError(Exception):
    """Base of every error Sanad raises on purpose; front ends print it without a traceback."""


class InputError(SanadError):
    """A question (or other user input) that cannot be answered as given."""


class CorpusError(SanadError):
    """A corpus path or corpus file that cannot be read."""


class FeedError(CorpusError):
    """A news feed that cannot be fetched, or read as RSS or Atom; ``url`` is the feed's."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"feed {url}: {reason}")
        self.url = url
        self.reason = reason


class IndexLoadError(SanadError):
    """A saved index that is missing, stale, corrupted or of another format version.

    ``path`` is the index directory and ``reason`` what is wrong with it; the message is the
    reason followed by the command that (re)builds the index there, naming the corpus paths the
    index was built from (``sources``) when they are known. ``missing``: there is no index at
    ``path`` yet ("build one" rather than "rebuild it"). ``hint`` replaces that command where a
    rebuild is not the way out (an ``--out`` directory that holds something else).
    """

    def __init__(
        self,
        path: str | Path,
        reason: str,
        *,
        sources: Iterable[str] = (),
        missing: bool = False,
        hint: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.reason = reason
        self.sources = tuple(sources)
        if hint is None:
            command = _rebuild_command(self.path, self.sources)
            hint = (
                f"Build one with `{command}`."
                if missing
                else f"Rebuild it with `{command}`."
            )
        self.hint = hint
        super().__init__(f"{reason}. {hint}")


class ConfigError(SanadError):
    """A setting (environment variable, .env, command-line option) with an invalid value."""


class ModelLoadError(SanadError):
    """A model file (actor tagger, answerability model) that is missing, corrupted or of another version."""


def _rebuild_command(path: str | Path, sources: Iterable[str] = ()) -> str:
    """The ``sanad index`` command that builds the index at ``path`` from ``sources``."""
    corpus = " ".join(sources) or "CORPUS_PATH"
    return f"sanad index {corpus} --out {path}"
