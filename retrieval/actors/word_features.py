"""What one word says on its own, for the CRF tagger's features (:mod:`.features`) and the neural
tagger: its normalized form and stem, its shape, its affixes, the trigger lists it is on (titles,
honorifics, organisation and place heads, name particles, speech verbs), its kind, and the shares
of the tags its form or stem had in training."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ..charsets import (
    ARABIC_LETTER_RE,
    ARABIC_ONLY_RE,
    CLITIC_ARTICLE_PREFIXES,
    DEFINITE_ARTICLE,
    QUOTATION_MARKS,
)
from ..normalize import normalize_token, strip_article
from .spans import clitic_analyses, norm
from .words import (
    DEFINITE_ORG_HEADS,
    HONORIFICS,
    NAME_PARTICLES,
    NON_NAME_ADJECTIVES,
    ORG_HEADS,
    PERSON_TITLES,
    PLACE_DUALS,
    PLACE_PREFIXES,
    PLACE_TRIGGERS,
    SPEECH_VERBS,
    STOPWORDS,
)

__all__ = ["ABD", "TRIGGERS", "TYPES", "TagCountsByForm", "affixes", "is_modifier", "kind", "normalize", "shape", "share_features", "stem", "stem_statistics", "trigger_flags"]

#: Entity types of ANERcorp, in the order of the count columns after ``O``.
TYPES = ("PERS", "LOC", "ORG", "MISC")


#: ``form -> (O, PERS, LOC, ORG, MISC)`` tag counts in the training sentences (a form or a stem).
TagCountsByForm = Mapping[str, Sequence[int]]


_LATIN_RE = re.compile("[a-z]")


_DIGIT_RE = re.compile("[0-9]")


_DIGITS_ONLY_RE = re.compile("^[0-9][0-9.,/:-]*$")


_PUNCT_RE = re.compile(r"^[^\w]+$")


# Trigger lists (normalized, from :mod:`.words`), checked on every clitic reading of a token.
TRIGGERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("title", PERSON_TITLES | frozenset(("اللواء", "المبعوث", "السيد", "عميد", "امر"))),
    ("honor", HONORIFICS),
    ("orghead", ORG_HEADS | DEFINITE_ORG_HEADS),
    ("placehead", PLACE_TRIGGERS | PLACE_DUALS | frozenset("ال" + w for w in PLACE_TRIGGERS)),
    ("placeprefix", PLACE_PREFIXES),
    ("particle", NAME_PARTICLES),
    ("speech", SPEECH_VERBS),
)


def _trigger_bits() -> dict[str, int]:
    """Word -> a bit per trigger list it is in (bit ``i``: the ``i``-th of :data:`TRIGGERS`)."""
    out: dict[str, int] = {}
    for bit, (_, words) in enumerate(TRIGGERS):
        for w in words:
            out[w] = out.get(w, 0) | 1 << bit
    return out


_TRIGGER_BITS = _trigger_bits()


_SPOKEN_FOR = normalize_token("باسم")


ABD = normalize_token("عبدال")


_MODIFIERS = frozenset(normalize_token(w) for w in "المتقاعد الأسبق الاسبق العام الخاص الأعلى الأول".split())


def normalize(surface: str) -> str:
    """Normalized form of one token: format marks removed, then :func:`normalize_token`.

    A token that normalizes to nothing (only diacritics or bidi marks) keeps its surface.
    """
    return norm(surface) or surface


def stem(n: str, vocab: frozenset[str] | Mapping[str, object]) -> str:
    """Clitic-stripped, article-less stem of a normalized token.

    The article with up to two proclitics is stripped by rule (``والامارات -> امارات``,
    ``للقذافي -> قذافي``: :func:`retrieval.normalize.strip_article` with
    :data:`~retrieval.charsets.CLITIC_ARTICLE_PREFIXES`); single-letter proclitics (``و ف ب ل ك``)
    only when the rest is a word of ``vocab`` (the training vocabulary): ``لحفتر -> حفتر`` when
    ``حفتر`` was seen, while ``بنغازي`` stays whole.
    """
    s = strip_article(n, CLITIC_ARTICLE_PREFIXES)
    if s != n:
        return s
    for a in clitic_analyses(n)[1:]:
        if a.key in vocab:
            return strip_article(a.key, CLITIC_ARTICLE_PREFIXES)
    return n


def shape(surface: str) -> str:
    """Script and length bucket: ``A1..A4`` Arabic, ``L..`` Latin, ``D..`` digits, ``P`` punctuation.

    ``Q`` is a quotation mark, ``M`` a mix (``F16``, ``ب52``); the bucket is the length capped
    at 4 (``A4`` is four letters or more).
    """
    if not surface:
        return "E"
    if surface in QUOTATION_MARKS:
        return "Q"
    if _PUNCT_RE.match(surface):
        return "P"
    n = len(surface)
    bucket = str(min(n, 4))
    if _DIGITS_ONLY_RE.match(surface):
        return "D" + bucket
    low = surface.lower()
    arabic = bool(ARABIC_LETTER_RE.search(low))
    latin = bool(_LATIN_RE.search(low))
    digit = bool(_DIGIT_RE.search(low))
    if arabic and not latin and not digit:
        return "A" + bucket
    if latin and not arabic and not digit:
        return "L" + bucket
    return "M"


def affixes(n: str) -> list[str]:
    """Prefixes and suffixes of length 1-3 of a normalized Arabic word (none for short words)."""
    out = []
    for k in (1, 2, 3):
        if len(n) > k:
            out.append(f"p{k}={n[:k]}")
            out.append(f"x{k}={n[-k:]}")
    return out


def trigger_flags(n: str) -> list[str]:
    """Which trigger lists a token (or one of its clitic-stripped readings) belongs to.

    ``للرئيس -> ["title"]``, ``ووزارة -> ["orghead"]``, ``بمدينة -> ["placehead"]``; a
    stopword gets ``stop`` and ``باسم`` (``المتحدث باسم``) gets ``for``.
    """
    keys = [a.key for a in clitic_analyses(n)] if ARABIC_ONLY_RE.match(n) else [n]
    hits = 0
    for k in keys:
        hits |= _TRIGGER_BITS.get(k, 0)
    out = [name for bit, (name, _) in enumerate(TRIGGERS) if hits >> bit & 1] if hits else []
    if n in STOPWORDS:
        out.append("stop")
    if n == _SPOKEN_FOR:
        out.append("for")
    return out


def _bucket(share: float) -> str:
    if share <= 0:
        return "0"
    if share < 0.25:
        return "1"
    if share < 0.5:
        return "2"
    if share < 0.75:
        return "3"
    return "4"


def share_features(prefix: str, counts: Sequence[int] | None) -> list[str]:
    """Gazetteer features of one form: unseen, or per type the share of its tags (bucketed).

    ``counts`` are ``(O, PERS, LOC, ORG, MISC)``; ``share_features("g", (1, 3, 0, 0, 0))`` gives
    ``["g:seen", "g:PERS=4", "g:ent=4", "g:top=PERS"]`` (no feature for a zero share but ``ent``).
    """
    if not counts:
        return [f"{prefix}:unseen"]
    total = sum(counts)
    if total <= 0:
        return [f"{prefix}:unseen"]
    out = [f"{prefix}:seen"]
    ent = total - counts[0]
    for t, c in zip(TYPES, counts[1:]):
        if c:
            out.append(f"{prefix}:{t}={_bucket(c / total)}")
    out.append(f"{prefix}:ent={_bucket(ent / total)}")
    if ent:
        best = max(range(4), key=lambda i: (counts[i + 1], -i))
        out.append(f"{prefix}:top={TYPES[best]}")
    if total == 1:
        out.append(f"{prefix}:once")
    return out


def stem_statistics(stats: TagCountsByForm, vocab: frozenset[str] | Mapping[str, object]) -> dict[str, list[int]]:
    """Tag counts per :func:`stem`, summed over the forms of ``stats``."""
    out: dict[str, list[int]] = {}
    for w, c in stats.items():
        s = stem(w, vocab)
        acc = out.setdefault(s, [0, 0, 0, 0, 0])
        for i, v in enumerate(c):
            acc[i] += v
    return out


def is_modifier(n: str) -> bool:
    """A definite adjective that may sit between a title and a name (``الرئيس اللبناني``).

    Nisba adjectives (``ال...ي``, ``ال...يه``) and the temporal/ordinal ones of
    :data:`.words.NON_NAME_ADJECTIVES` (``السابق``, ``الحالي``).
    """
    if n in NON_NAME_ADJECTIVES or n in _MODIFIERS:
        return True
    return n.startswith(DEFINITE_ARTICLE) and len(n) >= 5 and n.endswith(("ي", "يه")) and n not in STOPWORDS


def kind(n: str, flags: Sequence[str]) -> str:
    """What a neighbour is for a name: ``title``, ``orghead``, ``placehead``, ``adj`` or ``""``."""
    if "title" in flags or "honor" in flags:
        return "title"
    if "orghead" in flags:
        return "orghead"
    if "placehead" in flags:
        return "placehead"
    return "adj" if is_modifier(n) else ""
