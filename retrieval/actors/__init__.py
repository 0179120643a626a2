"""Actors of a news text: people, organisations and places, with roles where the text gives them.

    >>> from retrieval.actors import extract_actors
    >>> [(a.text, a.type) for a in extract_actors("وكان اللواء خليفة حفتر قد وصل القاهرة")]
    [('خليفة حفتر', 'person'), ('القاهرة', 'place')]

Rules first: an ANERcorp-derived gazetteer (``data/gazetteer.tsv``, rebuilt by
``bench/build_gazetteer.py``) plus trigger rules (titles, organisation and place heads); see
:mod:`.rules`. Pure Python, deterministic, linear in the text length; only offline-safe
camel-tools parts are used (through :mod:`retrieval.normalize`). A statistical tagger
(:func:`get_tagger`: the shipped CRF, or camel-tools' AraBERT NER when installed) fills the gaps.
"""

from .backend import Backend, LockedTagger, get_tagger
from .extract import extract_actors
from .model import Actor, ActorType

__all__ = ["Actor", "ActorType", "Backend", "LockedTagger", "extract_actors", "get_tagger"]
