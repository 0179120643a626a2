"""Candidate mentions: gazetteer matches and trigger rules over one text's tokens.

Every function here reads a :class:`Doc` (tokens + lexicon) and returns :class:`Mention`
candidates; :mod:`.extract` resolves overlaps and merges aliases. The rules, in short:

* **gazetteer** - the longest ANERcorp/curated entity string starting at a token, the first
  token read with or without proclitics (``بمصراتة``, ``والإمارات``, ``للقذافي``);
* **title** - a person title, its role words, then a name: ``الرئيس الفرنسي نيكولا ساركوزي``,
  ``عميد البلدية " محمد اشتيوي "``, ``اللواء حفتر``;
* **apposition** - a name followed by a title: ``فرانسوا باروان المتحدث باسم ...``;
* **speaker** - a reporting verb, a name, a complementizer: ``قال كوبلر إن``;
* **first name** - a word ANERcorp knows as a first name, or ``عبد ال...``, then name words:
  ``أسامة بادي``, ``عبد الجليل``, ``عبدالجليل``;
* **organisation** - a head noun and its genitives/adjectives: ``مجلس شورى ثوار بنغازي``,
  ``المجلس الوطني الانتقالي الليبي``, ``الكتيبة 166``, ``وكالة رويترز``;
* **place** - ``مدينة/منطقة/بلدية ...`` and the place after it: ``منطقة راس لانوف``.

A *name word* is one ANERcorp saw as a person more often than as an O word, or one it never
saw at all and that does not look like a verb, a pronoun-suffixed noun or a clitic + known word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..charsets import (
    ARABIC_LETTER_RE,
    COMMAS,
    PROCLITIC_ARTICLE_PREFIXES,
    QUOTATION_MARKS,
)
from .lexicon import Lexicon, WordStats
from .spans import Analysis, Tok, clean, clitic_analyses, display, unglue
from .words import (
    AMBIGUOUS_FIRST_NAMES,
    AMBIGUOUS_ORG_HEADS,
    COMPLEMENTIZERS,
    DEFINITE_ORG_HEADS,
    HONORIFICS,
    NAME_LIKE_GENITIVES,
    NAME_PARTICLES,
    NON_NAME_ADJECTIVES,
    OPEN_PARTICLES,
    ORG_HEADS,
    PERSON_TITLES,
    PLACE_DUALS,
    PLACE_PREFIXES,
    PLACE_TRIGGERS,
    PREPOSITIONS,
    SPEECH_VERBS,
    STOPWORDS,
    TRIGGER_WORDS,
)

__all__ = ["Doc", "Mention", "PRIO_GAZ", "PRIO_LOCAL", "PRIO_RULE", "PRIO_WEAK", "candidates"]

PRIO_WEAK = 1  # first-name rule
PRIO_GAZ = 2  # gazetteer
PRIO_RULE = 3  # title/apposition/organisation/place rules
PRIO_LOCAL = 4  # a name already found elsewhere in the same text

_DIGITS_RE = re.compile(r"^\d+$")
_QUOTES = QUOTATION_MARKS
_COMMAS = COMMAS
# Unseen words that are verbs or pronoun-suffixed nouns rather than names.
_VERB_PREFIXES = ("يت", "تت", "يست", "تست", "نست", "سيت", "ستت", "سي")
_NON_NAME_SUFFIXES = ("وا", "تم", "هم", "هما", "هن", "كم", "ها", "ه")
# أفعال broken plurals: اشباح، اسلحه (never names when unseen).
_AFAAL_RE = re.compile("^ا[^ا]{2}ا[^ا]$")
_VERBISH = ("ي", *_VERB_PREFIXES)  # inside an organisation name: يتولى، تتولى are verbs
_NISBA_RE = re.compile("(?:ي|يه)$")


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


@dataclass
class Doc:
    """One text's tokens and the lexicon, with cached word predicates."""

    text: str
    toks: list[Tok]
    lex: Lexicon
    _cache: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.toks)
        # adj[j]: token j follows token j-1 with only whitespace between them (a wrapped line
        # is fine, a blank line between paragraphs is not).
        self.adj = [False] + [
            clean(g).strip() == "" and g.count("\n") < 2 for g in (self.toks[j].gap for j in range(1, n))
        ]

    # -- word predicates (cached per normalized form) -------------------------------------

    def _memo(self, name: str, n: str, fn) -> object:
        k = (name, n)
        v = self._cache.get(k)
        if v is None:
            v = fn(n)
            self._cache[k] = v
        return v

    def stats(self, n: str) -> WordStats:
        return self.lex.stats(n)

    def is_stop(self, n: str) -> bool:
        return n in STOPWORDS or (len(n) > 1 and n[0] in "وف" and n[1:] in STOPWORDS)

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
        return n.startswith("ال") and len(n) >= 4

    def nisba(self, n: str) -> bool:
        """A relational adjective: الوطني، الليبية، البريطانية."""
        return len(n) >= 4 and bool(_NISBA_RE.search(n)) and not self.pers_like(n)

    def arabic(self, n: str) -> bool:
        return bool(ARABIC_LETTER_RE.search(n))

    def readings(self, n: str) -> tuple[Analysis, ...]:
        """Clitic readings the lexicon allows: proclitics are stripped only from a word that
        is not itself a known O word (``بيان`` stays ``بيان``)."""
        return self._memo("readings", n, self._readings)  # type: ignore[return-value]

    def _readings(self, n: str) -> tuple[Analysis, ...]:
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

    def trigger(self, n: str, words: frozenset[str]) -> Analysis | None:
        """The reading of ``n`` (proclitics allowed) that is one of ``words``."""
        for a in clitic_analyses(n):
            if a.key in words:
                return a
        return None

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
                return first or not (n[0] in "وف" and self.pers_like(n[1:]))
            if s.o:
                return False
            # Seen only inside place/organisation names (ليون): fine after a first name.
            return not first and self.lex.entity(n) != "place"
        # Never seen in ANERcorp. و + word is a coordination (وجونيور، ووكيل), not a name.
        if n[0] == "و" or (n[0] == "ف" and (self.stats(n[1:]).total or self.lex.entity(n[1:]))):
            return False
        for a in clitic_analyses(n)[1:]:
            if a.key.startswith("ال") and n[0] in "وفبلك":
                return False  # بالمدينة، للدعم، والمصالحة
            if a.key in TRIGGER_WORDS or self.lex.entity(a.key) in ("place", "organization"):
                return False  # لهيئة، لوكالة، لمصراتة
        if first and self.definite(n):
            return False
        if not strict:
            return True
        if len(n) >= 5 and n.startswith(_VERB_PREFIXES):
            return False
        if len(n) >= 4 and n.endswith(_NON_NAME_SUFFIXES):
            return False
        if _AFAAL_RE.match(n):
            return False
        return True

    def o_like(self, n: str) -> bool:
        """An indefinite noun that may head a construct (بلدية، أركان، لرئاسة، باسم)."""
        if self.is_stop(n) or not self.arabic(n):
            return False
        if self.o_word(n):
            return True
        if self.stats(n).total == 0 and len(n) >= 4 and n.endswith("ه"):
            return True
        return any(self.o_word(a.key) for a in clitic_analyses(n)[1:] if n[0] in "بلك")

    def anchor(self, n: str) -> bool:
        """A role/genitive word: definite, preposition + article, known place/org, number."""
        if self.is_stop(n):
            return False
        if _DIGITS_RE.match(n):
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
        return any(c in chars for c in self.toks[j].gap)

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


# -- gazetteer ---------------------------------------------------------------------------


def gazetteer_at(doc: Doc, i: int, entities: dict[str, str], prefixes: frozenset[str], max_tokens: int,
                 glued: dict[str, str] | None = None) -> tuple[int, Analysis, str, str] | None:
    """Longest entry of ``entities`` starting at token ``i``: (end, analysis, key, type)."""
    n_toks = len(doc.toks)
    best: tuple[int, Analysis, str, str] | None = None
    for a in doc.readings(doc.norm(i)):
        key = a.key
        j = i + 1
        while True:
            t = entities.get(key)
            if t is not None and (best is None or j > best[0]):
                best = (j, a, key, t)
            if key not in prefixes or j >= n_toks or j - i >= max_tokens or not doc.adj[j]:
                break
            key = key + " " + doc.norm(j)
            j += 1
        if best is None and glued and a.key in glued:
            full = glued[a.key]
            best = (i + 1, a, full, entities[full])
    return best


def gazetteer_mentions(doc: Doc) -> list[Mention]:
    lex = doc.lex
    out = []
    for i in range(len(doc.toks)):
        if not doc.arabic(doc.norm(i)):
            continue
        m = gazetteer_at(doc, i, lex.entities, lex.prefixes, lex.max_tokens, lex.glued)
        if m is not None:
            j, a, key, t = m
            out.append(Mention(i, j, t, tuple(key.split(" ")), a, PRIO_GAZ, rule="gazetteer"))
    return out


# -- persons -----------------------------------------------------------------------------


def name_analysis(doc: Doc, n: str) -> Analysis:
    """Reading of a name's first word: ``وسولانا -> سولانا`` when that is the known name."""
    for a in clitic_analyses(n)[1:]:
        if n[: a.drop] in ("و", "ف") and (doc.pers_like(a.key) or doc.lex.entity(a.key) == "person"):
            return a
    return Analysis(0, "", n)


def read_name(doc: Doc, j: int, first_ok: bool = False, max_unseen: int = 2, first_key: str = "") -> int:
    """End of the name starting at token ``j`` (``j`` itself when there is none).

    ``first_key`` is token ``j`` without its proclitics when the caller has read them off
    (``وعبد الجليل``)."""
    n_toks = len(doc.toks)

    def word(k: int) -> str:
        return first_key if k == j and first_key else doc.norm(k)

    k = j
    unseen = 0
    while k < n_toks and k - j < 4:
        if k > j and not doc.adj[k]:
            break
        n = word(k)
        if k > j and word(k - 1) in OPEN_PARTICLES:
            ok = not doc.is_stop(n) and doc.arabic(n) and not doc.is_trigger_word(n)
        elif k > j and word(k - 1) in NAME_PARTICLES:
            ok = doc.name_word(n, first=False) or doc.pers_like(n)
        elif k == j:
            ok = first_ok or doc.name_word(n, first=True) or (
                n in AMBIGUOUS_FIRST_NAMES
                and k + 1 < n_toks
                and doc.adj[k + 1]
                and (doc.norm(k + 1) in NAME_PARTICLES or doc.pers_like(doc.norm(k + 1)))
            )
        else:
            ok = doc.name_word(n, first=False)
        if not ok:
            break
        if doc.stats(n).total == 0:
            unseen += 1
            if unseen > max_unseen:
                break
        k += 1
    while k > j and word(k - 1) in NAME_PARTICLES:
        k -= 1
    return k


def read_quoted(doc: Doc, j: int) -> int:
    """End of a quoted name opening before token ``j`` (``" محمد اشتيوي "``), else ``j``."""
    n_toks = len(doc.toks)
    if not doc.gap_has(j, _QUOTES):
        return j
    k = j
    while k < n_toks and k - j < 4:
        if k > j and not doc.adj[k]:
            break
        n = doc.norm(k)
        if doc.is_stop(n) and n not in AMBIGUOUS_FIRST_NAMES or not doc.arabic(n) or doc.is_trigger_word(n):
            return j
        k += 1
    if k - j >= 1 and (k == n_toks or doc.gap_has(k, _QUOTES)):
        return k
    return j


def role_ok(doc: Doc, j: int) -> bool:
    """Token ``j`` can continue a role (``المبعوث الدولي الخاص إلى ليبيا``)."""
    n = doc.norm(j)
    if n[0] in "وف" and (n[1:].startswith("ال") or n[1:] in TRIGGER_WORDS):
        return False  # والفريق الركن: a second title
    if n[0] == "و" and len(n) > 3 and n not in TRIGGER_WORDS and \
            doc.stats(n).total <= 2 * doc.stats(n[1:]).total + 2:
        return False  # وخدعت الحارس: a coordinated clause (وطني، وحدة stay)
    nxt = j + 1 < len(doc.toks) and doc.adj[j + 1] and doc.anchor(doc.norm(j + 1))
    if n in PREPOSITIONS or n == "باسم":
        return nxt
    if doc.anchor(n):
        return True
    return doc.o_like(n) and nxt


def role_end(doc: Doc, k: int, limit: int = 7) -> int:
    """End of the role that starts with the title at token ``k``."""
    j = k + 1
    while j < len(doc.toks) and j - k <= limit and doc.adj[j] and role_ok(doc, j):
        j += 1
    while j > k + 1 and doc.norm(j - 1) in PREPOSITIONS:
        j -= 1
    return j


def title_mentions(doc: Doc) -> list[Mention]:
    """Title, role words, then a name: ``وزير الخارجية الليبي عبد العاطي العبيدي``."""
    out = []
    n_toks = len(doc.toks)
    for i in range(n_toks):
        n = doc.norm(i)
        a = doc.trigger(n, PERSON_TITLES) or doc.trigger(n, HONORIFICS)
        if a is None:
            continue
        honorific = a.key in HONORIFICS
        j = i + 1
        while j < n_toks and j - i <= 8 and doc.adj[j] and not honorific:
            m = doc.norm(j)
            if doc.name_word(m, first=True) or m in AMBIGUOUS_FIRST_NAMES or not role_ok(doc, j):
                break
            j += 1
        if j >= n_toks:
            continue
        if j == i + 1 and not honorific and not a.key.startswith("ال"):
            continue  # an indefinite title needs its complement: وزير الخارجية X, not أمر طارق
        gap = clean(doc.toks[j].gap)
        if j > i + 1 and gap.strip() and not (set(gap.strip()) <= _QUOTES | _COMMAS):
            continue
        if j == i + 1 and gap.strip() and not (set(gap.strip()) <= _QUOTES):
            continue
        k = read_quoted(doc, j)
        if k == j:
            k = read_name(doc, j)
        if k == j:
            continue
        r = j
        while r > i + 1 and doc.norm(r - 1) in PERSON_TITLES | HONORIFICS:
            r -= 1  # رئيس هيئة الكتاب الدكتور فارس السقاف: the role ends before الدكتور
        role = None if honorific else doc.display(i, r, a).strip(" ,،\"'“”«»")
        b = name_analysis(doc, doc.norm(j))
        out.append(Mention(j, k, "person", doc.key(j, k, b), b, PRIO_RULE, role or None, rule="title"))
    return out


def _title_after(doc: Doc, k: int) -> bool:
    """Token ``k`` is a clitic-free person title, after whitespace or a closing quote."""
    if k >= len(doc.toks) or doc.norm(k) not in PERSON_TITLES:
        return False
    return set(clean(doc.toks[k].gap).strip()) <= _QUOTES


def apposition_mentions(doc: Doc) -> list[Mention]:
    """Name then title: ``فرانسوا باروان المتحدث باسم الحكومة الفرنسية``."""
    out = []
    for k in range(2, len(doc.toks)):
        if doc.norm(k) not in PERSON_TITLES or not doc.adj[k]:
            continue
        s = k
        while s >= 1 and k - s < 3 and (s == k or doc.adj[s]):
            prev = doc.norm(s - 1)
            particle = s >= 2 and doc.adj[s - 1] and doc.norm(s - 2) in NAME_PARTICLES
            if not (doc.name_word(prev, first=False, strict=False) or particle):
                break
            s -= 1
        while s < k and not doc.name_word(doc.norm(s), first=True, strict=False):
            s += 1
        if k - s < 2:
            continue
        a = Analysis(0, "", doc.norm(s))
        e = role_end(doc, k)
        out.append(Mention(s, k, "person", doc.key(s, k, a), a, PRIO_RULE,
                           doc.display(k, e, Analysis(0, "", doc.norm(k))), rule="apposition"))
    return out


def quoted_apposition_mentions(doc: Doc) -> list[Mention]:
    """A quoted name followed by a title: ``" سليم رعد " مسؤول الملف الأمني``."""
    out = []
    for j in range(len(doc.toks)):
        if not doc.gap_has(j, _QUOTES):
            continue
        k = read_quoted(doc, j)
        if k == j or not _title_after(doc, k):
            continue
        a = Analysis(0, "", doc.norm(j))
        e = role_end(doc, k)
        out.append(Mention(j, k, "person", doc.key(j, k, a), a, PRIO_RULE,
                           doc.display(k, e, Analysis(0, "", doc.norm(k))), rule="quoted"))
    return out


def speaker_mentions(doc: Doc) -> list[Mention]:
    """Reporting verb, name, complementizer: ``قال كوبلر إن``, ``وأكد بادي أنه``."""
    out = []
    n_toks = len(doc.toks)
    for i in range(n_toks - 2):
        if doc.trigger(doc.norm(i), SPEECH_VERBS) is None or not doc.adj[i + 1]:
            continue
        j = i + 1
        k = read_name(doc, j, max_unseen=2)
        if k == j or k >= n_toks or k - j > 3 or doc.norm(k) not in COMPLEMENTIZERS:
            continue
        if not set(clean(doc.toks[k].gap).strip()) <= _COMMAS:
            continue
        n = doc.norm(j)
        if k - j == 1 and doc.stats(n).total == 0 and n.endswith(("ون", "ين", "ات")):
            continue  # قال مسؤولون إن: a plural noun, not a name
        b = name_analysis(doc, n)
        out.append(Mention(j, k, "person", doc.key(j, k, b), b, PRIO_RULE, rule="speaker"))
    return out


def first_name_mentions(doc: Doc) -> list[Mention]:
    """A first name or ``عبد ال...`` then name words: ``أسامة بادي``, ``عبد الجليل``."""
    out = []
    n_toks = len(doc.toks)
    for i in range(n_toks):
        n = doc.norm(i)
        conj = tuple(x for x in clitic_analyses(n)[1:] if n[: x.drop] in ("و", "ف"))
        for a in conj + clitic_analyses(n)[:1]:
            key = a.key
            if key.startswith("عبدال") and len(key) >= 7 and not doc.o_word(key):
                k = read_name(doc, i, first_ok=True, max_unseen=1, first_key=key)
            elif key == "عبد" and i + 1 < n_toks and doc.adj[i + 1] and doc.definite(doc.norm(i + 1)):
                k = read_name(doc, i, first_ok=True, max_unseen=1, first_key=key)
            elif doc.first_name(key) and not doc.is_stop(key) and key not in NAME_PARTICLES - OPEN_PARTICLES:  # not بن غشير
                k = read_name(doc, i, first_ok=True, max_unseen=1, first_key=key)
                if k - i < 2:
                    continue
            else:
                continue
            if k > i:
                out.append(Mention(i, k, "person", doc.key(i, k, a), a, PRIO_WEAK, rule="first-name"))
            break
    return out


# -- organisations and places --------------------------------------------------------------


def org_mentions(doc: Doc) -> list[Mention]:
    """Head noun + genitives/adjectives: ``مجلس شورى ثوار بنغازي``, ``الكتيبة 166``."""
    out = []
    lex = doc.lex
    n_toks = len(doc.toks)
    for i in range(n_toks):
        n = doc.norm(i)
        a = doc.trigger(n, ORG_HEADS | DEFINITE_ORG_HEADS)
        if a is None:
            continue
        reached = a.key in DEFINITE_ORG_HEADS
        strict = a.key in AMBIGUOUS_ORG_HEADS
        last = None
        inner = 0
        j = i + 1
        while j < n_toks and doc.adj[j] and j - i <= 6:
            m = doc.norm(j)
            if doc.is_stop(m) or (m[0] in "وف" and (doc.stats(m).total == 0 or doc.is_trigger_word(m[1:])
                                                     or doc.definite(m[1:]))):
                break  # ولواء المحجوب، والمصالحة: a coordinated phrase
            if _DIGITS_RE.match(m):
                last = j
                break
            if doc.trigger(m, PERSON_TITLES) or m in NON_NAME_ADJECTIVES:
                break  # حكومة رئيس الوزراء، الحكومة الحالية
            g = gazetteer_at(doc, j, lex.entities, lex.prefixes, lex.max_tokens, lex.glued)
            if not reached:
                if g is not None and g[3] in ("place", "organization"):
                    last = g[0] - 1
                    j = g[0]
                    reached = True
                    continue
                s = doc.stats(m)
                if strict and not (m in NAME_LIKE_GENITIVES or s.total == 0 or s.org + s.loc > s.o):
                    break  # تنظيم حماية السكان
                if doc.definite(m) and not doc.pers_like(m):
                    last = j
                    reached = True
                elif doc.stats(m).total == 0 and doc.name_word(m, first=True):
                    last = j  # وكالة سبوتنيك
                    reached = True
                elif doc.o_like(m) and inner < 2 and not (len(m) >= 4 and m.startswith(_VERBISH)):
                    inner += 1  # مجلس شورى ثوار ...
                else:
                    break
            else:
                if g is not None and g[3] == "place":
                    if g[1].drop == 0 or m[g[1].drop - 1] == "ل":
                        last = g[0] - 1  # المجلس البلدي لمصراتة (not الاتحاد الافريقي بدارفور)
                    break
                if doc.definite(m) and doc.nisba(m):
                    last = j
                else:
                    break
            j += 1
        if last is None:
            continue
        # Strip the clitics of the head only.
        out.append(Mention(i, last + 1, "organization", doc.key(i, last + 1, a), a, PRIO_RULE, rule="org"))
    return out


def _placeable(doc: Doc, n: str) -> bool:
    if doc.is_stop(n) or not doc.arabic(n) or doc.is_trigger_word(n) or len(n) < 3:
        return False
    s = doc.stats(n)
    if s.total:
        return s.loc + s.org >= s.o and s.loc > 0
    if len(n) >= 5 and n.startswith(_VERB_PREFIXES) or n.endswith(("وا", "هم", "ها")) or _AFAAL_RE.match(n):
        return False
    # لحظر، بالمدينة: a preposition + a known word, not a name.
    if n[0] in "بلك":
        return not any(a.key.startswith("ال") or doc.stats(a.key).total for a in clitic_analyses(n)[1:])
    return True


def _place_at(doc: Doc, j: int) -> tuple[int, Analysis] | None:
    """A place name starting at token ``j``: a gazetteer place, or an unknown name."""
    lex = doc.lex
    g = gazetteer_at(doc, j, lex.entities, lex.prefixes, lex.max_tokens, lex.glued)
    if g is not None:
        return (g[0], g[1]) if g[3] == "place" else None
    n = doc.norm(j)
    a = Analysis(0, "", n)
    if n in PLACE_PREFIXES and j + 1 < len(doc.toks) and doc.adj[j + 1] and _placeable(doc, doc.norm(j + 1)):
        return j + 2, a
    if _placeable(doc, n):
        return j + 1, a
    return None


def place_mentions(doc: Doc) -> list[Mention]:
    """``مدينة مصراتة``, ``منطقة راس لانوف``, ``بمنطقتي الصابري وجروثة``."""
    out = []
    n_toks = len(doc.toks)
    for i in range(n_toks - 1):
        n = doc.norm(i)
        a = doc.trigger(n, PLACE_TRIGGERS | PLACE_DUALS)
        if a is None:
            continue
        j = i + 1
        if a.key == "العاصمه":
            while j < n_toks - 1 and doc.adj[j] and doc.nisba(doc.norm(j)) and doc.definite(doc.norm(j)):
                j += 1
        if not doc.adj[j]:
            continue
        p = _place_at(doc, j)
        if p is None:
            continue
        out.append(Mention(j, p[0], "place", doc.key(j, p[0], p[1]), p[1], PRIO_RULE, rule="place"))
        if a.key in PLACE_DUALS and p[0] < n_toks and doc.adj[p[0]]:
            m = doc.norm(p[0])
            if m.startswith("و") and len(m) > 3:
                b = Analysis(1, "", m[1:])
                q = p[0]
                if _placeable(doc, m[1:]) or doc.lex.entity(m[1:]) == "place":
                    out.append(Mention(q, q + 1, "place", (m[1:],), b, PRIO_RULE, rule="place"))
    return out


def candidates(doc: Doc) -> list[Mention]:
    return (
        gazetteer_mentions(doc)
        + title_mentions(doc)
        + apposition_mentions(doc)
        + quoted_apposition_mentions(doc)
        + speaker_mentions(doc)
        + first_name_mentions(doc)
        + org_mentions(doc)
        + place_mentions(doc)
    )
