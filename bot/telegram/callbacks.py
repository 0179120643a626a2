"""Inline button data: a named :class:`Action` on a view's page and item, within Telegram's 64 bytes.

``actor:1a:0:3`` is "the passages naming actor 3 of page 0 of view 1a". Each action has its own
``CallbackQueryHandler(pattern=...)`` (:func:`pattern`), and :func:`parse` refuses anything this
bot did not make (forged or truncated data).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

__all__ = ["CALLBACK_MAX_BYTES", "TZ_PATTERN", "UNFOLLOW_PATTERN", "Action", "Callback", "parse", "pattern"]

#: Telegram's limit on an inline button's callback_data.
CALLBACK_MAX_BYTES = 64
#: The buttons of alerts (:mod:`.follows`), which point at a chat's records, not at a view:
#: ``unfollow:ID`` stops following ``ID``; ``tz:MINUTES`` sets the chat's UTC offset.
UNFOLLOW_PATTERN = re.compile(r"^unfollow:[0-9a-f]{1,12}$")
TZ_PATTERN = re.compile(r"^tz:-?[0-9]{1,4}$")


class Action(str, Enum):
    """What a button does."""

    PAGE = "page"  # show page ``page`` of the view
    ACTOR = "actor"  # the passages naming actor ``item`` of the page's result
    ARTICLE = "article"  # the full article of the page's result
    OPEN = "open"  # open article ``item`` of a sources view
    PLAIN = "plain"  # answer a follow-up again, without its context
    TIMELINE = "timeline"  # send the chart of an actor view's actor, week by week, as a photo
    NOOP = "noop"  # the page counter: nothing to do


_VIEW_RE = "[0-9a-z]{1,16}"
_DATA_RE = re.compile(
    rf"(?P<action>{'|'.join(a.value for a in Action if a is not Action.NOOP)})"
    rf":(?P<view>{_VIEW_RE}):(?P<page>[0-9]{{1,6}}):(?P<item>[0-9]{{1,4}})"
)


@dataclass(frozen=True, slots=True)
class Callback:
    """A parsed button press: ``action`` on ``view`` (page ``page``, item ``item``)."""

    action: Action
    view: str = ""
    page: int = 0
    item: int = 0

    def encode(self) -> str:
        if self.action is Action.NOOP:
            return Action.NOOP.value
        data = f"{self.action.value}:{self.view}:{self.page}:{self.item}"
        if len(data.encode()) > CALLBACK_MAX_BYTES:
            raise ValueError(f"callback data over {CALLBACK_MAX_BYTES} bytes: {data!r}")
        return data


def pattern(action: Action) -> re.Pattern[str]:
    """The ``CallbackQueryHandler`` pattern of ``action``'s buttons."""
    if action is Action.NOOP:
        return re.compile(rf"^{Action.NOOP.value}$")
    return re.compile(rf"^{action.value}:{_VIEW_RE}:")


def parse(data: str | None) -> Callback | None:
    """The button press ``data`` encodes, or None for anything this bot did not make."""
    if data == Action.NOOP.value:
        return Callback(Action.NOOP)
    m = _DATA_RE.fullmatch(data or "")
    if m is None:
        return None
    return Callback(Action(m["action"]), m["view"], int(m["page"]), int(m["item"]))
