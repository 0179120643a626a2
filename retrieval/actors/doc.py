"""One text for the actor rules: its tokens, the lexicon, and cached word predicates.

:class:`Doc` answers the questions every rule asks about a normalized word ("a stopword?", "seen
as a person in ANERcorp?", "can it be part of a name?", "a role word?"), each computed once per
word and text. :class:`Mention` is what the rules (:mod:`.rules`, :mod:`.persons`) propose and
:mod:`.extract` resolves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..charsets import (
    ARABIC_LETTER_RE,
    CONJUNCTION_PROCLITICS,
    DEFINITE_ARTICLE,
    PREPOSITION_PROCLITICS,
    PROCLITIC_ARTICLE_PREFIXES,
    PROCLITICS,
)
from .lexicon import Lexicon, WordStats
from .spans import CACHE_SIZE, Analysis, Tok, clean, clitic_analyses, display, unglue
from .words import STOPWORDS, TRIGGER_WORDS

__all__ = [
    "AFAAL_RE",
    "NUMBER_RE",
    "PRIO_GAZ",
    "PRIO_LOCAL",
    "PRIO_RULE",
    "PRIO_WEAK",
    "VERB_PREFIXES",
    "Doc",
    "Mention",
]

PRIO_WEAK = 1  # first-name rule
PRIO_GAZ = 2  # gazetteer
PRIO_RULE = 3  # title/apposition/organisation/place rules
PRIO_LOCAL = 4  # a name already found elsewhere in the same text

#: A token that is a number (digits are ASCII once normalized).
NUMBER_RE = re.compile(r"^\d+$")
#: Prefixes of unseen words that are verbs rather than names (يتولى، يستعد، سيتم).
VERB_PREFIXES = ("يت", "تت", "يست", "تست", "نست", "سيت", "ستت", "سي")
# Suffixes of unseen words that are verbs or pronoun-suffixed nouns rather than names.
_NON_NAME_SUFFIXES = ("وا", "تم", "هم", "هما", "هن", "كم", "ها", "ه")
#: أفعال broken plurals: اشباح، اسلحه (never names when unseen).
AFAAL_RE = re.compile("^ا[^ا]{2}ا[^ا]$")
_NISBA_RE = re.compile("(?:ي|يه)$")
_UNKNOWN = object()  # not cached yet


@dataclass(slots=True)
class Mention:
    """A candidate span of tokens ``i..j-1`` (the first read with analysis ``a``)."""

    i: int
    j: int
    type: str
    key: tuple[str, ...]
    a: Analysis
    prio: int
    role: str | None = None
    rule: str = ""

    @property
    def size(self) -> int:
        return self.j - self.i


class _WordCache:
    """Answers about words under one lexicon, shared by every :class:`Doc` that reads with it: they
    depend on the word and the lexicon alone. Each table is emptied when it reaches
    :data:`~.spans.CACHE_SIZE` entries (:meth:`tidy`; answers never depend on what is cached)."""

    __slots__ = ("gaz_starts", "lex", "misc", "reading_keys", "readings", "tables")

    def __init__(self, lex: Lexicon) -> None:
        self.lex = lex
        self.readings: dict[str, tuple[Analysis, ...]] = {}
        self.reading_keys: dict[str, frozenset[str]] = {}
        self.gaz_starts: dict[str, tuple[tuple[Analysis, str | None, bool, str | None], ...]] = {}
        self.misc: dict = {}
        self.tables: dict[object, dict] = {}  # more answers per word, by question (Doc.table)

    def tidy(self) -> None:
        for table in (self.readings, self.reading_keys, self.gaz_starts, self.misc, *self.tables.values()):
            if len(table) >= CACHE_SIZE:
                table.clear()


_WORD_CACHES: dict[int, _WordCache] = {}


def _word_cache(lex: Lexicon) -> _WordCache:
    """The :class:`_WordCache` of ``lex`` (the last few lexicons used keep theirs)."""
    c = _WORD_CACHES.get(id(lex))
    if c is None or c.lex is not lex:
        if len(_WORD_CACHES) >= 4:
            _WORD_CACHES.clear()
        c = _WORD_CACHES[id(lex)] = _WordCache(lex)
    c.tidy()
    return c


@dataclass
class Doc:
    """One text's tokens and the lexicon, with cached word predicates (shared by the texts read
    with the same lexicon) and the gazetteer's match at each token (this text's)."""

    text: str
    toks: list[Tok]
    lex: Lexicon
    _words: _WordCache = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n = len(self.toks)
        # adj[j]: token j follows token j-1 with only whitespace between them (a wrapped line
        # is fine, a blank line between paragraphs is not).
        self.adj = [False] + [
            g == " " or (clean(g).strip() == "" and g.count("\n") < 2) for g in (self.toks[j].gap for j in range(1, n))
        ]
        self.norms = [t.norm for t in self.toks]
        self.words = set(self.norms)  # the distinct words of the text
        self._words = _word_cache(self.lex)
        self._cache = self._words.misc
        self._readings = self._words.readings
        #: token -> the lexicon's longest entry there (see :func:`.rules.lexicon_at`), filled as asked
        self.gaz: dict[int, tuple[int, Analysis, str, str] | None] = {}

    # -- word predicates (cached per normalized form) -------------------------------------

    def stats(self, n: str) -> WordStats:
        return self.lex.stats(n)

    def is_stop(self, n: str) -> bool:
        return n in STOPWORDS or (len(n) > 1 and n[0] in CONJUNCTION_PROCLITICS and n[1:] in STOPWORDS)

    def pers_like(self, n: str) -> bool:
        s = self.stats(n)
        return s.pers > 0 and s.pers >= s.o

    def o_word(self, n: str) -> bool:
        s = self.stats(n)
        return s.o > 0 and s.o > s.pers

    def first_name(self, n: str) -> bool:
        """A word ANERcorp tags as a person nearly always (محمد، أسامة، خليفة)."""
        s = self.stats(n)
        return s.pers >= 2 and s.pers >= 0.75 * s.total and self.lex.entity(n) in (None, "person")

    def definite(self, n: str) -> bool:
        return n.startswith(DEFINITE_ARTICLE) and len(n) >= 4

    def nisba(self, n: str) -> bool:
        """A relational adjective: الوطني، الليبية، البريطانية."""
        return len(n) >= 4 and bool(_NISBA_RE.search(n)) and not self.pers_like(n)

    def arabic(self, n: str) -> bool:
        return bool(ARABIC_LETTER_RE.search(n))

    def readings(self, n: str) -> tuple[Analysis, ...]:
        """Clitic readings the lexicon allows: proclitics are stripped only from a word that
        is not itself a known O word (``بيان`` stays ``بيان``)."""
        v = self._readings.get(n)
        if v is None:
            v = self._readings[n] = self._find_readings(n)
        return v

    def reading_keys(self, n: str) -> frozenset[str]:
        """The keys of :meth:`readings` (cached per word)."""
        keys = self._words.reading_keys
        v = keys.get(n)
        if v is None:
            v = keys[n] = frozenset(a.key for a in self.readings(n))
        return v

    def gaz_starts(self, n: str) -> tuple[tuple[Analysis, str | None, bool, str | None], ...]:
        """The readings of ``n`` (in :meth:`readings` order) that can start an entry of the
        lexicon: ``(reading, its type as a whole entry or None, starts a longer entry, the glued
        entry it is or None)``; the others can match nothing."""
        starts = self._words.gaz_starts
        v = starts.get(n)
        if v is None:
            lex = self.lex
            v = starts[n] = tuple(
                (a, lex.entities.get(a.key), a.key in lex.prefixes, lex.glued.get(a.key))
                for a in self.readings(n)
                if a.key in lex.entities or a.key in lex.prefixes or a.key in lex.glued
            )
        return v

    def _find_readings(self, n: str) -> tuple[Analysis, ...]:
        out = clitic_analyses(n)
        if self.lex.entity(n):
            return out[:1]
        o = self.stats(n).o if self.o_word(n) else 0
        keep = [out[0]]
        for a in out[1:]:
            s = self.stats(a.key)
            named = s.loc + s.org + s.pers + (5 if a.key in self.lex.curated else 0)
            if o >= 2:
                continue  # بيان، كبرى، لصالح are words (but للقاهرة, once an O word, is ل + القاهرة)
            if len(a.key) == 3 and named < 3:
                continue
            keep.append(a)
        return tuple(keep)

    def table(self, question: object) -> dict:
        """A cache of answers to ``question`` (any hashable name) per word, shared like the
        predicates': for answers that depend on the word and the lexicon alone."""
        t = self._words.tables.get(question)
        if t is None:
            t = self._words.tables[question] = {}
        return t

    def triggered(self, words: frozenset[str]) -> list[tuple[int, Analysis]]:
        """``(token, reading)`` of every token with a reading in ``words`` (:meth:`trigger`), in order."""
        seen = self.table(words)
        hits = {}
        for n in self.words:
            a = seen.get(n, _UNKNOWN)
            if a is _UNKNOWN:
                a = seen[n] = next((a for a in clitic_analyses(n) if a.key in words), None)
            if a is not None:
                hits[n] = a
        return [(i, hits[n]) for i, n in enumerate(self.norms) if n in hits] if hits else []

    def trigger(self, n: str, words: frozenset[str]) -> Analysis | None:
        """The reading of ``n`` (proclitics allowed) that is one of ``words``."""
        seen = self.table(words)
        if n in seen:
            return seen[n]
        a = seen[n] = next((a for a in clitic_analyses(n) if a.key in words), None)
        return a

    def gaz_word(self, n: str, types: tuple[str, ...] = ("place", "organization")) -> bool:
        """A one-word gazetteer entity of these types, with or without proclitics."""
        k = ("gaz_word", n, types)
        v = self._cache.get(k)
        if v is None:
            v = any(self.lex.entity(a.key) in types for a in self.readings(n))
            if not v and n in self.lex.glued:
                v = self.lex.entity(self.lex.glued[n]) in types
            self._cache[k] = v
        return v  # type: ignore[return-value]

    def is_trigger_word(self, n: str) -> bool:
        return any(a.key in TRIGGER_WORDS for a in clitic_analyses(n))

    def name_word(self, n: str, first: bool, strict: bool = True) -> bool:
        """A word that can be (``first``: start) a person's name. ``strict=False`` skips the
        verb-shape checks, for contexts that already make a name likely (before a title)."""
        k = ("name", n, first, strict)
        v = self._cache.get(k)
        if v is None:
            v = self._cache[k] = self._name_word(n, first, strict)
        return v  # type: ignore[return-value]

    def _name_word(self, n: str, first: bool, strict: bool) -> bool:
        if not self.arabic(n) or len(n) < 2 or self.is_stop(n) or self.is_trigger_word(n) or n == "الله":
            return False  # الله only after عبد
        if self.gaz_word(n, ("place",)) or (first and self.gaz_word(n)):
            return False  # ليبيا، طرابلس، لمصراتة؛ رويترز (but ليون of برناردينو ليون)
        if n.startswith(PROCLITIC_ARTICLE_PREFIXES) and not self.pers_like(n):
            return False  # للزمالك، بالمدينة، والمصالحة
        s = self.stats(n)
        if s.total:
            if s.pers and s.pers >= s.o:
                # ومحمد after a name starts a second person, it does not continue the first.
                return first or not (n[0] in CONJUNCTION_PROCLITICS and self.pers_like(n[1:]))
            if s.o:
                return False
            # Seen only inside place/organisation names (ليون): fine after a first name.
            return not first and self.lex.entity(n) != "place"
        # Never seen in ANERcorp. و + word is a coordination (وجونيور، ووكيل), not a name.
        if n[0] == "و" or (n[0] == "ف" and (self.stats(n[1:]).total or self.lex.entity(n[1:]))):
            return False
        for a in clitic_analyses(n)[1:]:
            if a.key.startswith(DEFINITE_ARTICLE) and n[0] in PROCLITICS:
                return False  # بالمدينة، للدعم، والمصالحة
            if a.key in TRIGGER_WORDS or self.lex.entity(a.key) in ("place", "organization"):
                return False  # لهيئة، لوكالة، لمصراتة
        if first and self.definite(n):
            return False
        if not strict:
            return True
        if len(n) >= 5 and n.startswith(VERB_PREFIXES):
            return False
        if len(n) >= 4 and n.endswith(_NON_NAME_SUFFIXES):
            return False
        return not AFAAL_RE.match(n)

    def o_like(self, n: str) -> bool:
        """An indefinite noun that may head a construct (بلدية، أركان، لرئاسة، باسم)."""
        if self.is_stop(n) or not self.arabic(n):
            return False
        if self.o_word(n):
            return True
        if self.stats(n).total == 0 and len(n) >= 4 and n.endswith("ه"):
            return True
        return any(self.o_word(a.key) for a in clitic_analyses(n)[1:] if n[0] in PREPOSITION_PROCLITICS)

    def anchor(self, n: str) -> bool:
        """A role/genitive word: definite, preposition + article, known place/org, number."""
        if self.is_stop(n):
            return False
        if NUMBER_RE.match(n):
            return True
        if self.definite(n) and not self.pers_like(n):
            return True
        if n[:3] in ("بال", "كال") or (n.startswith("لل") and len(n) >= 4):
            return True
        return self.gaz_word(n)

    # -- token helpers ------------------------------------------------------------------

    def norm(self, j: int) -> str:
        return self.toks[j].norm

    def gap_has(self, j: int, chars: frozenset[str]) -> bool:
        return not chars.isdisjoint(self.toks[j].gap)

    def display(self, i: int, j: int, a: Analysis) -> str:
        """Display form of tokens ``i..j-1``; glued names are split (الأممالمتحدة)."""
        keys = [a.key] + [t.norm for t in self.toks[i + 1 : j]]
        glued = [self.lex.glued.get(k) for k in keys]
        if not any(glued):
            return display(self.text, self.toks, i, j, a)
        parts = []
        for k in range(i, j):
            b = a if k == i else Analysis(0, "", self.toks[k].norm)
            piece = display(self.text, self.toks, k, k + 1, b)
            g = glued[k - i]
            parts.append(unglue(piece, g) if g else piece)
        return " ".join(parts)

    def key(self, i: int, j: int, a: Analysis) -> tuple[str, ...]:
        return (a.key, *(t.norm for t in self.toks[i + 1 : j]))
