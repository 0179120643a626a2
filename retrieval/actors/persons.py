"""Person rules: a title, a reporting verb, an apposition or a first name around a name.

* **title** - a person title, its role words, then a name: ``الرئيس الفرنسي نيكولا ساركوزي``,
  ``عميد البلدية " محمد اشتيوي "``, ``اللواء حفتر``;
* **apposition** - a name followed by a title: ``فرانسوا باروان المتحدث باسم ...``;
* **speaker** - a reporting verb, a name, a complementizer: ``قال كوبلر إن``;
* **first name** - a word ANERcorp knows as a first name, or ``عبد ال...``, then name words:
  ``أسامة بادي``, ``عبد الجليل``, ``عبدالجليل``.

Each rule reads a :class:`~.doc.Doc` and returns person :class:`~.doc.Mention` candidates.
"""

from __future__ import annotations

from ..charsets import (
    COMMAS,
    CONJUNCTION_PROCLITICS,
    DEFINITE_ARTICLE,
    QUOTATION_MARKS,
)
from .doc import PRIO_RULE, PRIO_WEAK, Doc, Mention
from .spans import Analysis, clean, clitic_analyses
from .words import (
    AMBIGUOUS_FIRST_NAMES,
    COMPLEMENTIZERS,
    HONORIFICS,
    NAME_PARTICLES,
    OPEN_PARTICLES,
    PERSON_TITLES,
    PREPOSITIONS,
    SPEECH_VERBS,
    TRIGGER_WORDS,
)

__all__ = [
    "apposition_mentions",
    "first_name_mentions",
    "name_analysis",
    "quoted_apposition_mentions",
    "read_name",
    "read_quoted",
    "role_end",
    "role_ok",
    "speaker_mentions",
    "title_after",
    "title_mentions",
]

# Stripped from the ends of a role: spaces, commas and quotation marks.
_ROLE_PUNCT = " " + "".join(sorted(COMMAS | QUOTATION_MARKS))


def name_analysis(doc: Doc, n: str) -> Analysis:
    """Reading of a name's first word: ``وسولانا -> سولانا`` when that is the known name."""
    for a in clitic_analyses(n)[1:]:
        if n[: a.drop] in CONJUNCTION_PROCLITICS and (doc.pers_like(a.key) or doc.lex.entity(a.key) == "person"):
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
    if not doc.gap_has(j, QUOTATION_MARKS):
        return j
    k = j
    while k < n_toks and k - j < 4:
        if k > j and not doc.adj[k]:
            break
        n = doc.norm(k)
        if doc.is_stop(n) and n not in AMBIGUOUS_FIRST_NAMES or not doc.arabic(n) or doc.is_trigger_word(n):
            return j
        k += 1
    if k - j >= 1 and (k == n_toks or doc.gap_has(k, QUOTATION_MARKS)):
        return k
    return j


def role_ok(doc: Doc, j: int) -> bool:
    """Token ``j`` can continue a role (``المبعوث الدولي الخاص إلى ليبيا``)."""
    n = doc.norm(j)
    if n[0] in CONJUNCTION_PROCLITICS and (n[1:].startswith(DEFINITE_ARTICLE) or n[1:] in TRIGGER_WORDS):
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
    heads = dict(doc.triggered(HONORIFICS))
    heads.update(doc.triggered(PERSON_TITLES))  # a title reading first, as `trigger(titles) or trigger(honorifics)`
    for i, a in sorted(heads.items()):
        honorific = a.key in HONORIFICS
        j = i + 1
        while j < n_toks and j - i <= 8 and doc.adj[j] and not honorific:
            m = doc.norm(j)
            if doc.name_word(m, first=True) or m in AMBIGUOUS_FIRST_NAMES or not role_ok(doc, j):
                break
            j += 1
        if j >= n_toks:
            continue
        if j == i + 1 and not honorific and not a.key.startswith(DEFINITE_ARTICLE):
            continue  # an indefinite title needs its complement: وزير الخارجية X, not أمر طارق
        gap = clean(doc.toks[j].gap)
        if j > i + 1 and gap.strip() and not (set(gap.strip()) <= QUOTATION_MARKS | COMMAS):
            continue
        if j == i + 1 and gap.strip() and not (set(gap.strip()) <= QUOTATION_MARKS):
            continue
        k = read_quoted(doc, j)
        if k == j:
            k = read_name(doc, j)
        if k == j:
            continue
        r = j
        while r > i + 1 and doc.norm(r - 1) in PERSON_TITLES | HONORIFICS:
            r -= 1  # رئيس هيئة الكتاب الدكتور فارس السقاف: the role ends before الدكتور
        role = None if honorific else doc.display(i, r, a).strip(_ROLE_PUNCT)
        b = name_analysis(doc, doc.norm(j))
        out.append(Mention(j, k, "person", doc.key(j, k, b), b, PRIO_RULE, role or None, rule="title"))
    return out


def title_after(doc: Doc, k: int) -> bool:
    """Token ``k`` is a clitic-free person title, after whitespace or a closing quote."""
    if k >= len(doc.toks) or doc.norm(k) not in PERSON_TITLES:
        return False
    return set(clean(doc.toks[k].gap).strip()) <= QUOTATION_MARKS


def apposition_mentions(doc: Doc) -> list[Mention]:
    """Name then title: ``فرانسوا باروان المتحدث باسم الحكومة الفرنسية``."""
    out = []
    adj = doc.adj
    for k in [k for k, n in enumerate(doc.norms) if n in PERSON_TITLES and k >= 2 and adj[k]]:
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
        out.append(_named_before_title(doc, s, k, "apposition"))
    return out


def quoted_apposition_mentions(doc: Doc) -> list[Mention]:
    """A quoted name followed by a title: ``" سليم رعد " مسؤول الملف الأمني``."""
    out = []
    for j in [j for j, t in enumerate(doc.toks) if not QUOTATION_MARKS.isdisjoint(t.gap)]:
        k = read_quoted(doc, j)
        if k == j or not title_after(doc, k):
            continue
        out.append(_named_before_title(doc, j, k, "quoted"))
    return out


def _named_before_title(doc: Doc, s: int, k: int, rule: str) -> Mention:
    """The person named by tokens ``s..k-1``, with the title at ``k`` and its role words as role."""
    a = Analysis(0, "", doc.norm(s))
    role = doc.display(k, role_end(doc, k), Analysis(0, "", doc.norm(k)))
    return Mention(s, k, "person", doc.key(s, k, a), a, PRIO_RULE, role, rule=rule)


def speaker_mentions(doc: Doc) -> list[Mention]:
    """Reporting verb, name, complementizer: ``قال كوبلر إن``, ``وأكد بادي أنه``."""
    out = []
    n_toks = len(doc.toks)
    for i, _ in doc.triggered(SPEECH_VERBS):
        if i >= n_toks - 2 or not doc.adj[i + 1]:
            continue
        j = i + 1
        k = read_name(doc, j, max_unseen=2)
        if k == j or k >= n_toks or k - j > 3 or doc.norm(k) not in COMPLEMENTIZERS:
            continue
        if not set(clean(doc.toks[k].gap).strip()) <= COMMAS:
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
    starts = doc.table(_first_name_starts)
    found: dict[str, tuple[tuple[Analysis, bool, bool, bool], ...]] = {}
    for n in doc.words:  # once per distinct word of the text
        cands = starts.get(n)
        if cands is None:
            cands = starts[n] = _first_name_starts(doc, n)
        if cands:
            found[n] = cands
    for i, n in [(i, n) for i, n in enumerate(doc.norms) if n in found]:
        for a, glued_abd, abd, first in found[n]:
            if glued_abd or (abd and i + 1 < n_toks and doc.adj[i + 1] and doc.definite(doc.norm(i + 1))):
                k = read_name(doc, i, first_ok=True, max_unseen=1, first_key=a.key)  # عبدالجليل, عبد الجليل
            elif first:
                k = read_name(doc, i, first_ok=True, max_unseen=1, first_key=a.key)
                if k - i < 2:
                    continue
            else:
                continue
            if k > i:
                out.append(Mention(i, k, "person", doc.key(i, k, a), a, PRIO_WEAK, rule="first-name"))
            break
    return out


_NOT_FIRST = NAME_PARTICLES - OPEN_PARTICLES  # بن of بن غشير starts no name


def _first_name_starts(doc: Doc, n: str) -> tuple[tuple[Analysis, bool, bool, bool], ...]:
    """The readings of ``n`` that may start a name for :func:`first_name_mentions`, in the order
    it tries them (a conjunction read off first, then the whole word): ``(reading, a glued
    عبدال..., عبد, a first name)``; a word of the lexicon, so the answer is cached per word."""
    readings = clitic_analyses(n)
    conj = tuple(x for x in readings[1:] if n[: x.drop] in CONJUNCTION_PROCLITICS)
    out = []
    for a in conj + readings[:1]:
        key = a.key
        glued_abd = key.startswith("عبدال") and len(key) >= 7 and not doc.o_word(key)
        first = doc.first_name(key) and not doc.is_stop(key) and key not in _NOT_FIRST
        if glued_abd or key == "عبد" or first:
            out.append((a, glued_abd, key == "عبد", first))
    return tuple(out)
