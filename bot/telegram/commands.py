"""The bot's commands and buttons, declared once: name, handler, the menu line, and when the menu
offers it. :meth:`~.handlers.SanadBot.install` registers them in this order; the menu Telegram
shows (``setMyCommands``) is made from the same table. Every command pays for its reply in the
user's rate limit before it runs (:class:`.pipeline.Pipeline`); each handler answers an empty or
bad argument with its own usage line (:mod:`.texts`).
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .actions import OPENERS
from .callbacks import Action, pattern
from .follows import TZ_PATTERN, UNFOLLOW_PATTERN

__all__ = ["BUTTONS", "COMMANDS", "Button", "Command", "menu", "resolve"]

#: When the menu offers a command: always; in groups only; when the articles are dated; when
#: the bot serves an index that grows (alerts); never (it still works when typed).
Menu = Literal["always", "group", "dated", "alerts", "hidden"]


@dataclass(frozen=True, slots=True)
class Command:
    """``/name``: ``handler`` is a :class:`~.handlers.SanadBot` method name, or ``module:function``
    (a function of the bot, the update and the context)."""

    name: str
    handler: str
    description: str
    menu: Menu = "always"


COMMANDS: tuple[Command, ...] = (
    Command("start", "cmd_start", "ما هو سند وكيف تسأله"),
    Command("help", "cmd_help", "مساعدة وأمثلة"),
    Command("sources", "cmd_sources", "المقالات التي أجيب منها"),
    Command("article", "cmd_article", "مقال كامل: /article ومعرّف المقال"),
    Command("actor", "cmd_actor", "فاعل في كل المقالات: /actor ثم الاسم"),
    Command("latest", "cmd_latest", "أحدث التقارير أولاً: /latest ثم سؤالك", "dated"),
    Command("timeline", "timelines:cmd_timeline", "رسم بياني أسبوعي لفاعل أو سؤال: /timeline ثم الاسم", "dated"),
    Command("follow", "follows:cmd_follow", "نبّهني بكل تقرير جديد عن فاعل أو موضوع: /follow ثم الاسم", "alerts"),
    Command("following", "follows:cmd_following", "ما أتابعه، وإيقاف متابعة", "alerts"),
    Command("unfollow", "follows:cmd_unfollow", "إيقاف متابعة: /unfollow ثم الاسم", "hidden"),
    Command("quiet", "follows:cmd_quiet", "ساعات الهدوء للتنبيهات: /quiet 23-7", "alerts"),
    Command("ask", "cmd_ask", "اسأل في المجموعة: /ask ثم سؤالك", "group"),
)


@dataclass(frozen=True, slots=True)
class Button:
    """Inline buttons whose data match ``pattern``, handled by ``handler`` (as :class:`Command`'s)."""

    pattern: re.Pattern[str]
    handler: str


BUTTONS: tuple[Button, ...] = (
    Button(pattern(Action.NOOP), "on_noop"),
    Button(pattern(Action.TIMELINE), "timelines:on_timeline_button"),
    Button(UNFOLLOW_PATTERN, "follows:on_unfollow_button"),
    Button(TZ_PATTERN, "follows:on_tz_button"),
    *(Button(pattern(a), "on_button") for a in (Action.PAGE, *OPENERS)),
)


def menu(group: bool, dated: bool, alerts: bool) -> list[tuple[str, str]]:
    """``(command, description)`` of the menu of private chats (``group``: of groups)."""
    offered = {"always": True, "group": group, "dated": dated, "alerts": alerts, "hidden": False}
    return [(c.name, c.description) for c in COMMANDS if offered[c.menu]]


def resolve(bot: object, handler: str) -> Callable:
    """The callable a table entry names, bound to ``bot``."""
    if ":" not in handler:
        return getattr(bot, handler)
    module, name = handler.split(":")
    return functools.partial(getattr(importlib.import_module(f"{__package__}.{module}"), name), bot)
