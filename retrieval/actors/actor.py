"""The public result type of the actor extractor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Actor", "ActorType"]

ActorType = Literal["person", "organization", "place"]


@dataclass(frozen=True, slots=True)
class Actor:
    """A person, organisation or place named in a text.

    ``text`` is the display form without proclitics (``لحفتر -> حفتر``) and with internal
    whitespace collapsed; ``text[start:end]`` of the *input* is the original span of the mention
    the display form came from (clitics included). Aliases (``خليفة حفتر``/``حفتر``) are merged
    into the longest form; ``role`` is a title or apposition the text gives
    (``المبعوث الدولي الخاص إلى ليبيا``), else ``None``.
    """

    text: str
    type: ActorType
    start: int
    end: int
    role: str | None = None
