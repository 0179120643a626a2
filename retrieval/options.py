"""How answers are made: the options a front end gives :class:`~retrieval.service.Sanad`.

Light on purpose (no NumPy, no models): the settings import it to validate ``SANAD_*`` values
before anything heavy loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

__all__ = ["ActorsBackend", "Options", "TaggerBackend"]

#: The statistical taggers :func:`retrieval.actors.get_tagger` loads.
TaggerBackend = Literal["auto", "model", "camel", "neural", "ensemble"]
#: ``SANAD_ACTORS_BACKEND``: a statistical tagger beside the rules, or ``rules`` alone.
ActorsBackend = Literal["auto", "model", "camel", "neural", "ensemble", "rules"]


@dataclass(frozen=True, slots=True)
class Options:
    """Answers per question, the probability needed to answer (None: the model's threshold), the
    actor tagger, and the dates answers are taken from (``since``/``until``, both included; on a
    corpus with dates)."""

    top_k: int = 3
    min_confidence: float | None = None
    actors_backend: ActorsBackend = "auto"
    since: date | None = None
    until: date | None = None
