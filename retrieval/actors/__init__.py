"""Actors of a news text: people, organisations and places, with roles where the text gives them.

    >>> from retrieval.actors import extract_actors
    >>> [(a.text, a.type) for a in extract_actors("وكان اللواء خليفة حفتر قد وصل القاهرة")]
    [('خليفة حفتر', 'person'), ('القاهرة', 'place')]

Rules first: an ANERcorp-derived gazetteer (``data/gazetteer.tsv``, rebuilt by
``retrieval/training/gazetteer.py``) plus trigger rules (titles, organisation and place heads); see
:mod:`.rules`. Pure Python, deterministic, linear in the text length; only offline-safe
camel-tools parts are used (through :mod:`retrieval.normalize`). A statistical tagger
(:func:`get_tagger`: the shipped CRF, or camel-tools' AraBERT NER when installed) fills the gaps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .actor import Actor, ActorType

if TYPE_CHECKING:
    from .backend import Backend, LockedTagger, get_tagger
    from .extract import extract_actors

__all__ = ["Actor", "ActorType", "Backend", "LockedTagger", "extract_actors", "get_tagger"]

# The rules and taggers are imported when first used: an answer reads the actors the index stored
# (retrieval.actors.actor) and a fresh `sanad ask` need not load the tagging code.
_LAZY = {"Backend": "backend", "LockedTagger": "backend", "get_tagger": "backend", "extract_actors": "extract"}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
