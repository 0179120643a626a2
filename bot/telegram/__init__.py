"""Sanad on Telegram: ``sanad telegram``.

* :mod:`bot.telegram.config`: token and settings checks, logging with secrets redacted (light);
* :mod:`bot.telegram.texts`: what the bot says (commands, examples, replies, help);
* :mod:`bot.telegram.render`: Telegram HTML of answers, articles and the source list;
* :mod:`bot.telegram.callbacks`: button data, a named action each;
* :mod:`bot.telegram.views`: what a message shows, one dataclass per kind, and their store;
* :mod:`bot.telegram.pages`: a view's page as text and keyboard;
* :mod:`bot.telegram.actions`: what each button opens;
* :mod:`bot.telegram.store`: the state store behind SANAD_STATE_URL (views, contexts, rate limits, answered updates);
* :mod:`bot.telegram.transport`: retried Bot API calls, per-chat order, sending;
* :mod:`bot.telegram.handlers`: the handlers (:class:`SanadBot`);
* :mod:`bot.telegram.lifecycle`: the PTB ``Application``, polling or webhook, start and stop.

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

_WHERE = {
    "check_token": "config",
    "configure_logging": "config",
    "EXAMPLES": "texts",
    "SanadBot": "handlers",
}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE.get(name, 'lifecycle')}"), name)
