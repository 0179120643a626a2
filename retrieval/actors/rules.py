"""Candidate mentions: gazetteer matches and trigger rules over one text's tokens.

Every rule reads a :class:`~.doc.Doc` (tokens + lexicon) and returns :class:`~.doc.Mention`
candidates; :func:`candidates` runs them all and :mod:`.extract` resolves overlaps and merges
aliases. The gazetteer, organisation and place rules are here, the person rules in
:mod:`.persons`, the word predicates they share in :mod:`.doc`. The rules, in short:

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

from ..charsets import CONJUNCTION_PROCLITICS, DEFINITE_ARTICLE, PREPOSITION_PROCLITICS
from . import words
from .doc import AFAAL_RE, NUMBER_RE, PRIO_GAZ, PRIO_RULE, VERB_PREFIXES, Doc, Mention
from .persons import (
    apposition_mentions,
    first_name_mentions,
    quoted_apposition_mentions,
    speaker_mentions,
    title_mentions,
)
from .spans import Analysis, clitic_analyses

__all__ = ["candidates", "gazetteer_at", "gazetteer_mentions", "lexicon_at", "org_mentions", "place_mentions"]

_VERBISH = ("ي", *VERB_PREFIXES)  # inside an organisation name: يتولى، تتولى are verbs
_ORG_HEADS = words.ORG_HEADS | words.DEFINITE_ORG_HEADS
_PLACE_HEADS = words.PLACE_TRIGGERS | words.PLACE_DUALS


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


def lexicon_at(doc: Doc, i: int) -> tuple[int, Analysis, str, str] | None:
    """:func:`gazetteer_at` with the document's lexicon (``doc.lex``), computed once per token of
    the text and only over the readings that can start an entry (:meth:`.doc.Doc.gaz_starts`)."""
    memo = doc.gaz
    if i in memo:
        return memo[i]
    best: tuple[int, Analysis, str, str] | None = None
    starts = doc.gaz_starts(doc.norm(i))
    if starts:
        lex = doc.lex
        entities, prefixes, max_tokens = lex.entities, lex.prefixes, lex.max_tokens
        n_toks = len(doc.toks)
        for a, t, longer, glued in starts:  # gazetteer_at's loop, minus readings that match nothing
            key = a.key
            j = i + 1
            while True:
                if t is not None and (best is None or j > best[0]):
                    best = (j, a, key, t)
                if not longer or j >= n_toks or j - i >= max_tokens or not doc.adj[j]:
                    break
                key = key + " " + doc.norm(j)
                j += 1
                t = entities.get(key)
                longer = key in prefixes
            if best is None and glued is not None:
                best = (i + 1, a, glued, entities[glued])
    memo[i] = best
    return best


def gazetteer_mentions(doc: Doc) -> list[Mention]:
    out = []
    # An Arabic word with a reading that can start an entry (once per distinct word of the text).
    arabic = doc.table("arabic")
    for n in doc.words:
        if n not in arabic:
            arabic[n] = doc.arabic(n)
    starting = {n for n in doc.words if arabic[n] and doc.gaz_starts(n)}
    for i in (i for i, n in enumerate(doc.norms) if n in starting):
        m = lexicon_at(doc, i)
        if m is not None:
            j, a, key, t = m
            out.append(Mention(i, j, t, tuple(key.split(" ")), a, PRIO_GAZ, rule="gazetteer"))
    return out


# -- organisations and places --------------------------------------------------------------


def org_mentions(doc: Doc) -> list[Mention]:
    """Head noun + genitives/adjectives: ``مجلس شورى ثوار بنغازي``, ``الكتيبة 166``."""
    out = []
    n_toks = len(doc.toks)
    for i, a in doc.triggered(_ORG_HEADS):
        reached = a.key in words.DEFINITE_ORG_HEADS
        strict = a.key in words.AMBIGUOUS_ORG_HEADS
        last = None
        inner = 0
        j = i + 1
        while j < n_toks and doc.adj[j] and j - i <= 6:
            m = doc.norm(j)
            if doc.is_stop(m) or (m[0] in CONJUNCTION_PROCLITICS and (doc.stats(m).total == 0 or doc.is_trigger_word(m[1:])
                                                     or doc.definite(m[1:]))):
                break  # ولواء المحجوب، والمصالحة: a coordinated phrase
            if NUMBER_RE.match(m):
                last = j
                break
            if doc.trigger(m, words.PERSON_TITLES) or m in words.NON_NAME_ADJECTIVES:
                break  # حكومة رئيس الوزراء، الحكومة الحالية
            g = lexicon_at(doc, j)
            if not reached:
                if g is not None and g[3] in ("place", "organization"):
                    last = g[0] - 1
                    j = g[0]
                    reached = True
                    continue
                s = doc.stats(m)
                if strict and not (m in words.NAME_LIKE_GENITIVES or s.total == 0 or s.org + s.loc > s.o):
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
    if len(n) >= 5 and n.startswith(VERB_PREFIXES) or n.endswith(("وا", "هم", "ها")) or AFAAL_RE.match(n):
        return False
    # لحظر، بالمدينة: a preposition + a known word, not a name.
    if n[0] in PREPOSITION_PROCLITICS:
        return not any(a.key.startswith(DEFINITE_ARTICLE) or doc.stats(a.key).total for a in clitic_analyses(n)[1:])
    return True


def _place_at(doc: Doc, j: int) -> tuple[int, Analysis] | None:
    """A place name starting at token ``j``: a gazetteer place, or an unknown name."""
    g = lexicon_at(doc, j)
    if g is not None:
        return (g[0], g[1]) if g[3] == "place" else None
    n = doc.norm(j)
    a = Analysis(0, "", n)
    if n in words.PLACE_PREFIXES and j + 1 < len(doc.toks) and doc.adj[j + 1] and _placeable(doc, doc.norm(j + 1)):
        return j + 2, a
    if _placeable(doc, n):
        return j + 1, a
    return None


def place_mentions(doc: Doc) -> list[Mention]:
    """``مدينة مصراتة``, ``منطقة راس لانوف``, ``بمنطقتي الصابري وجروثة``."""
    out = []
    n_toks = len(doc.toks)
    for i, a in doc.triggered(_PLACE_HEADS):
        if i >= n_toks - 1:
            break
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
        if a.key in words.PLACE_DUALS and p[0] < n_toks and doc.adj[p[0]]:
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
