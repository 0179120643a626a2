"""The bot's commands and buttons, declared once: name, handler, the menu line, when the menu
offers it, the usage line sent for a missing argument, and what it costs in the user's rate limit.
:meth:`~.handlers.SanadBot.install` registers them in this order; the menu Telegram shows
(``setMyCommands``) is made from the same table, and :class:`.pipeline.Pipeline` charges each
update the cost the table gives before any handler runs. The wording lives in :mod:`.texts`.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from . import texts
from .actions import OPENERS
from .callbacks import TZ_PATTERN, UNFOLLOW_PATTERN, Action, pattern

__all__ = ["BUTTONS", "BUTTON_COST", "COMMANDS", "Button", "Command", "button_cost", "menu", "resolve", "usage"]

#: A button press costs this share of a question in the user's rate limit (it edits a message).
BUTTON_COST = 0.25

#: When the menu offers a command: always; in groups only; when the articles are dated; when
#: the bot serves an index that grows (alerts); never (it still works when typed).
Menu = Literal["always", "group", "dated", "alerts", "hidden"]


@dataclass(frozen=True, slots=True)
class Command:
    """``/name``: ``handler`` is a :class:`~.handlers.SanadBot` method name, or ``module:function``
    (a function of the bot, the update and the context); ``usage`` is what it answers when its
    argument is missing (a :mod:`.texts` template, ``{example}`` filled by the handler); ``cost``
    is its share of the user's rate limit (a question is 1)."""

    name: str
    handler: str
    description: str
    menu: Menu = "always"
    usage: str = ""
    cost: float = 1.0


COMMANDS: tuple[Command, ...] = (
    Command("start", "cmd_start", "ما هو سند وكيف تسأله"),
    Command("help", "cmd_help", "مساعدة وأمثلة"),
    Command("sources", "cmd_sources", "المقالات التي أجيب منها"),
    Command("article", "cmd_article", "مقال كامل: /article ومعرّف المقال", usage=texts.MSG_ARTICLE_USAGE),
    Command("actor", "cmd_actor", "فاعل في كل المقالات: /actor ثم الاسم", usage=texts.MSG_ACTOR_USAGE),
    Command("latest", "cmd_latest", "أحدث التقارير أولاً: /latest ثم سؤالك", "dated", texts.MSG_LATEST_USAGE),
    Command("timeline", "timelines:cmd_timeline", "رسم بياني أسبوعي لفاعل أو سؤال: /timeline ثم الاسم", "dated",
            texts.MSG_TIMELINE_USAGE),  # fmt: skip
    Command("follow", "follows:cmd_follow", "نبّهني بكل تقرير جديد عن فاعل أو موضوع: /follow ثم الاسم", "alerts",
            texts.MSG_FOLLOW_USAGE),  # fmt: skip
    Command("following", "follows:cmd_following", "ما أتابعه، وإيقاف متابعة", "alerts"),
    Command("unfollow", "follows:cmd_unfollow", "إيقاف متابعة: /unfollow ثم الاسم", "hidden"),
    Command("quiet", "follows:cmd_quiet", "ساعات الهدوء للتنبيهات: /quiet 23-7", "alerts", texts.MSG_QUIET_USAGE),
    Command("ask", "cmd_ask", "اسأل في المجموعة: /ask ثم سؤالك", "group", texts.MSG_EMPTY),
)
_BY_NAME = {c.name: c for c in COMMANDS}


@dataclass(frozen=True, slots=True)
class Button:
    """Inline buttons whose data match ``pattern``, handled by ``handler`` (as :class:`Command`'s),
    costing ``cost`` in the user's rate limit."""

    pattern: re.Pattern[str]
    handler: str
    cost: float = BUTTON_COST


BUTTONS: tuple[Button, ...] = (
    Button(pattern(Action.NOOP), "on_noop"),
    Button(pattern(Action.TIMELINE), "timelines:on_timeline_button", 1.0),  # draws a chart, sends a photo
    Button(UNFOLLOW_PATTERN, "follows:on_unfollow_button"),
    Button(TZ_PATTERN, "follows:on_tz_button"),
    *(Button(pattern(a), "on_button") for a in (Action.PAGE, *OPENERS)),
)


def menu(group: bool, dated: bool, alerts: bool) -> list[tuple[str, str]]:
    """``(command, description)`` of the menu of private chats (``group``: of groups)."""
    offered = {"always": True, "group": group, "dated": dated, "alerts": alerts, "hidden": False}
    return [(c.name, c.description) for c in COMMANDS if offered[c.menu]]


def usage(name: str, **fill: str) -> str:
    """The usage line of command ``name`` (its ``{example}`` and other fields filled from ``fill``)."""
    return _BY_NAME[name].usage.format(**fill)


def button_cost(data: str | None) -> float:
    """What pressing a button with callback data ``data`` costs (a forged one: as any button)."""
    return next((b.cost for b in BUTTONS if data is not None and b.pattern.match(data)), BUTTON_COST)


def resolve(bot: object, handler: str) -> Callable:
    """The callable a table entry names, bound to ``bot``."""
    if ":" not in handler:
        return getattr(bot, handler)
    module, name = handler.split(":")
    return functools.partial(getattr(importlib.import_module(f"{__package__}.{module}"), name), bot)
