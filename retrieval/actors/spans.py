"""Tokens with offsets, clitic analyses and display forms for actor spans.

An actor span is a run of word tokens of the *original* text. Only its first token may carry
proclitics (``و ف`` then ``ب ل ك``; ``ل`` + ``ال`` is written ``لل``), which are dropped from
the display form but kept in the offsets::

    "لحفتر"      -> key "حفتر",     display "حفتر"
    "والإمارات"  -> key "الامارات", display "الإمارات"
    "للقذافي"    -> key "القذافي",  display "القذافي"   (ال restored)

Keys are :func:`retrieval.normalize.normalize_token` forms, so ``الإمارات``/``الامارات``
and ``مصراتة``/``مصراته`` meet. The same analysis is used by ``retrieval/training/gazetteer.py`` when
it canonicalizes ANERcorp entities, so gazetteer keys and text keys agree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from ..charsets import (
    CONJUNCTION_PROCLITICS,
    DEFINITE_ARTICLE,
    FORMAT_MARKS_RE,
    PREPOSITION_PROCLITICS,
    WORD_PATTERN,
)
from ..normalize import WORD_RE, normalize_token

__all__ = [
    "CACHE_SIZE",
    "MIN_STEM",
    "TOKEN_RE",
    "Analysis",
    "Tok",
    "clean",
    "clitic_analyses",
    "display",
    "norm",
    "surface_offset",
    "token_spans",
    "tokens",
    "unglue",
]

_SPACE_RE = re.compile(r"\s+")

_CONJ = ("", *CONJUNCTION_PROCLITICS)
_PREP = ("", *PREPOSITION_PROCLITICS)
#: The tagger's tokens, ANERcorp-style: word runs (:data:`~retrieval.charsets.WORD_PATTERN`, as the
#: analysis chain's) and single punctuation marks; clitics stay attached, as in the training data.
TOKEN_RE = re.compile(WORD_PATTERN + r"|[^\w\s]|_")
#: The shortest key a stripped token may leave (``بمصر -> مصر``; never ``لدى -> دى``).
MIN_STEM = 3
#: Per-token caches of the actor layer (normalized forms, clitic readings, token features) stop
#: growing at this many entries.
CACHE_SIZE = 200_000


class Tok(NamedTuple):
    """A word token of the original text."""

    surface: str
    start: int
    end: int
    norm: str
    gap: str  # the original characters between the previous token and this one


class Analysis(NamedTuple):
    """One reading of a token: ``drop`` normalized letters are clitics, ``add`` is restored."""

    drop: int
    add: str
    key: str


def clean(surface: str) -> str:
    """Remove bidi/zero-width format marks, which ANERcorp (and web text) leaves inside tokens
    (``"\u200fلبنان"`` -> ``"لبنان"``; :data:`~retrieval.charsets.FORMAT_MARKS_CLASS`)."""
    return FORMAT_MARKS_RE.sub("", surface)


@lru_cache(maxsize=CACHE_SIZE)
def norm(surface: str) -> str:
    """Normalized form of one token (format marks removed first)."""
    return normalize_token(clean(surface))


def token_spans(text: str, offset: int = 0, end: int | None = None) -> list[tuple[str, int, int]]:
    """:data:`TOKEN_RE` tokens of ``text`` with their offsets (plus ``offset``); with ``end``, the
    tokens of ``text[offset:end]`` with their offsets in ``text``."""
    if end is not None:  # the pattern has no anchors or look-arounds: the same tokens as a slice's
        return [(m.group(), m.start(), m.end()) for m in TOKEN_RE.finditer(text, offset, end)]
    return [(m.group(), m.start() + offset, m.end() + offset) for m in TOKEN_RE.finditer(text)]


def tokens(text: str, spans: Sequence[tuple[str, int, int]] | None = None) -> list[Tok]:
    """Word tokens of ``text`` with offsets and the gap before each token.

    ``spans``, the text's :func:`token_spans` when the caller has them, gives the same tokens
    without a second scan: the word runs are those of its tokens that start with a letter or digit
    (:data:`TOKEN_RE` tries :data:`~retrieval.charsets.WORD_PATTERN` first, which starts with one).
    """
    out: list[Tok] = []
    prev_end = 0
    new = tuple.__new__  # Tok(...) without the keyword-handling __new__ (4x faster)
    if spans is None:
        spans = [(m.group(), *m.span()) for m in WORD_RE.finditer(text)]  # retrieval.normalize.tokenize's word runs
    for surface, start, end in spans:
        if surface[0].isalnum():  # [^\W_]: \w without "_"
            n = norm(surface)
            if n:
                out.append(new(Tok, (surface, start, end, n, text[prev_end:start])))
                prev_end = end
    return out


@lru_cache(maxsize=CACHE_SIZE)
def clitic_analyses(n: str) -> tuple[Analysis, ...]:
    """Readings of a normalized token, the whole token first, then by clitic length.

    ``"وللقذافي"`` -> ``(0, "", "وللقذافي")``, ``(1, "", "للقذافي")``, ``(2, "", "لقذافي")``,
    ``(3, "ال", "القذافي")``. Callers keep the reading their lexicon knows.
    """
    out = [Analysis(0, "", n)]
    seen = {n}
    for conj in _CONJ:
        for prep in _PREP:
            p = conj + prep
            if not p or not n.startswith(p):
                continue
            rest = n[len(p) :]
            if prep == "ل" and rest.startswith("ل") and not rest.startswith(DEFINITE_ARTICLE):
                # ل + ال is written لل: للقذافي -> القذافي
                key = DEFINITE_ARTICLE + rest[1:]
                if len(rest) - 1 >= MIN_STEM and key not in seen:
                    out.append(Analysis(len(p) + 1, DEFINITE_ARTICLE, key))
                    seen.add(key)
            if len(rest) >= MIN_STEM and rest not in seen:
                out.append(Analysis(len(p), "", rest))
                seen.add(rest)
    out.sort(key=lambda a: a.drop)
    return tuple(out)


def surface_offset(surface: str, drop: int) -> int:
    """Index in ``surface`` after its first ``drop`` normalized letters (skips diacritics)."""
    if drop <= 0:
        return 0
    count = 0
    for i, ch in enumerate(surface):
        count += len(norm(ch))
        if count >= drop:
            # Diacritics that belong to the dropped clitic go with it.
            j = i + 1
            while j < len(surface) and not norm(surface[j]):
                j += 1
            return j
    return len(surface)


def display(text: str, toks: list[Tok], i: int, j: int, a: Analysis) -> str:
    """Display form of tokens ``i..j-1`` read with analysis ``a`` for the first token."""
    first = toks[i]
    start = first.start + surface_offset(first.surface, a.drop)
    s = a.add + text[start : toks[j - 1].end]
    return clean(_SPACE_RE.sub(" ", s)).strip()


def unglue(piece: str, key: str) -> str:
    """Split a glued display form at the word boundaries of ``key``:
    ``unglue("الأممالمتحدة", "الامم المتحده") == "الأمم المتحدة"``."""
    bounds = []
    total = 0
    for w in key.split(" ")[:-1]:
        total += len(w)
        bounds.append(total)
    out = []
    count = 0
    for ch in piece:
        if bounds and count >= bounds[0] and norm(ch):
            out.append(" ")
            bounds.pop(0)
        out.append(ch)
        count += len(norm(ch))
    return "".join(out)
