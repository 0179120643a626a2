"""Sanad on Telegram: ``sanad telegram``.

* :mod:`bot.telegram.config`: token and settings checks, logging with secrets redacted (light);
* :mod:`bot.telegram.state`: bounded in-memory state (views behind buttons, contexts, rate limits);
* :mod:`bot.telegram.app`: the handlers, the PTB ``Application``, running it.

Names are imported lazily, so checking the token does not import PTB or the retrieval stack.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "ALLOWED_UPDATES",
    "EXAMPLES",
    "SanadBot",
    "build_application",
    "check_token",
    "configure_logging",
    "run_bot",
    "running",
    "serve",
]

_WHERE = {"check_token": "config", "configure_logging": "config"}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE.get(name, 'app')}"), name)
