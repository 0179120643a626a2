"""Actor extraction: candidates -> non-overlapping mentions -> local aliases -> merged actors.

1. :func:`.rules.candidates` proposes mentions (gazetteer and trigger rules).
2. :func:`resolve` keeps non-overlapping ones: longer spans first, then rule priority.
3. Names found once are looked for again in the same text (``خليفة حفتر`` makes every
   ``حفتر``/``لحفتر`` a person; ``برناردينو ليون`` turns the gazetteer's ``ليون`` into him).
4. :func:`merge` groups aliases (``حفتر`` into ``خليفة حفتر``, ``عبدالجليل`` with
   ``عبد الجليل``, ``المجلس الوطني الانتقالي`` into ``... الليبي``) and returns one
   :class:`Actor` per group, longest form first seen, in order of first mention.

Every step is linear in the number of tokens (spans are at most a few tokens long).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..charsets import COMMAS, QUOTATION_MARKS
from .actor import Actor
from .backend import LockedTagger, model_sentences, tagged_mentions
from .doc import PRIO_LOCAL, Doc, Mention
from .lexicon import lexicon
from .persons import role_end, title_after
from .rules import candidates, gazetteer_at
from .spans import Analysis, token_spans, tokens
from .words import NAME_PARTICLES, TRIGGER_WORDS

__all__ = ["ActorMentions", "article_actors", "article_actors_of", "extract_actors", "mentions", "mentions_of"]

_RULE_ORDER = {"title": 0, "quoted": 1, "apposition": 2, "org": 3, "place": 4, "gazetteer": 5, "local": 6,
               "first-name": 7}
# Stripped from the ends of a display form: spaces, commas, quotation marks, brackets, dashes.
_PUNCT = " ()-" + "".join(sorted(COMMAS | QUOTATION_MARKS))


def resolve(cands: list[Mention], n_toks: int) -> list[Mention]:
    """Non-overlapping mentions: longest first, then priority, then leftmost."""
    cands = sorted(cands, key=lambda m: (-m.size, -m.prio, m.i, _RULE_ORDER.get(m.rule, 9)))
    taken = bytearray(n_toks)
    kept: dict[tuple[int, int, str], Mention] = {}
    for m in cands:
        span = (m.i, m.j, m.type)
        if span in kept:
            if kept[span].role is None and m.role is not None:
                kept[span].role = m.role
            continue
        if any(taken[m.i : m.j]):
            continue
        taken[m.i : m.j] = b"\x01" * m.size
        kept[span] = m
    return sorted(kept.values(), key=lambda m: m.i)


def _local_lexicon(doc: Doc, chosen: list[Mention]) -> tuple[dict[str, str], frozenset[str], int]:
    """Names found in this text, plus person aliases (last name, glued ``عبدالجليل``)."""
    entries: dict[str, str] = {}
    conflicts: set[str] = set()

    def add(key: str, t: str, override: bool = False) -> None:
        if key in TRIGGER_WORDS or doc.is_stop(key) or len(key.replace(" ", "")) < 3:
            return
        if key in entries and entries[key] != t:
            if not override:
                return
            conflicts.add(key)
        entries[key] = t

    # Person names and their aliases first: they win over the gazetteer (ليون of
    # برناردينو ليون is no longer the organisation ANERcorp knew).
    for m in chosen:
        if m.type == "person":
            add(" ".join(m.key), "person")
            if len(m.key) >= 2:
                add("".join(m.key), "person")
                # Last name: حفتر of خليفة حفتر; أبو ستة and نصر الله keep two words.
                two = m.key[-2] in NAME_PARTICLES or m.key[-1] == "الله" or doc.o_word(m.key[-1])
                tail = m.key[-2:] if two else m.key[-1:]
                if len(tail) < len(m.key):
                    add(" ".join(tail), "person")
    for m in chosen:
        if m.type != "person":
            add(" ".join(m.key), m.type)
    for key in conflicts:
        del entries[key]
    prefixes = frozenset(" ".join(k.split(" ")[:m]) for k in entries for m in range(1, len(k.split(" "))))
    max_tokens = max((len(k.split(" ")) for k in entries), default=1)
    return entries, prefixes, max_tokens


def _local_mentions(doc: Doc, chosen: list[Mention]) -> list[Mention]:
    entries, prefixes, max_tokens = _local_lexicon(doc, chosen)
    if not entries:
        return []
    have = {(m.i, m.j, m.type) for m in chosen}
    out = []
    # Only a word with a reading that is an entry or starts one can start a match.
    first = {k for k in entries if " " not in k} | {p for p in prefixes if " " not in p}
    starts = {n for n in doc.words if not first.isdisjoint(doc.reading_keys(n))}
    for i in (i for i, n in enumerate(doc.norms) if n in starts):
        g = gazetteer_at(doc, i, entries, prefixes, max_tokens)
        if g is not None and (i, g[0], g[3]) not in have:
            j, a, key, t = g
            out.append(Mention(i, j, t, tuple(key.split(" ")), a, PRIO_LOCAL, rule="local"))
    return out


def _attach_appositions(doc: Doc, chosen: list[Mention]) -> None:
    """Fill ``role`` from a title right after a person's name, unless that title introduces
    the next person (``التقى حفتر رئيس البرلمان عقيلة صالح``)."""
    starts = {m.i for m in chosen if m.type == "person"}
    for m in chosen:
        if m.type != "person" or not title_after(doc, m.j):
            continue
        e = role_end(doc, m.j)
        if e in starts or any(s in starts for s in range(m.j + 1, e + 1) if s < len(doc.toks) and s > m.j):
            if m.rule in ("apposition", "quoted"):
                m.role = None
            continue
        if m.role is None:
            m.role = doc.display(m.j, e, Analysis(0, "", doc.norm(m.j))).strip(_PUNCT) or None


def mentions(text: str, tagger: LockedTagger | None = None) -> tuple[Doc, list[Mention]]:
    """All resolved mentions of ``text`` (before alias merging); for debugging and tests.

    With a ``tagger``, its spans fill the tokens no rule took (see :mod:`.backend`).
    """
    return mentions_of([text], tagger)[0]


def mentions_of(texts: Sequence[str], tagger: LockedTagger | None = None) -> list[tuple[Doc, list[Mention]]]:
    """:func:`mentions` of each of ``texts``; the tagger tags all their sentences in one call
    (:meth:`~.backend.LockedTagger.tag_documents`), which gives each text the same mentions."""
    docs: list[tuple[Doc, list[Mention]]] = []
    scans = []
    for text in texts:
        spans = token_spans(text) if tagger is not None else None  # one scan for the rules and the tagger
        doc = Doc(text, tokens(text, spans), lexicon())
        docs.append((doc, resolve(candidates(doc), len(doc.toks)) if doc.toks else []))
        scans.append(spans)
    if tagger is not None:
        live = [k for k, (doc, _) in enumerate(docs) if doc.toks]
        sents = [model_sentences(docs[k][0], scans[k]) for k in live]
        tagged = tagger.tag_documents([[[w for w, _, _ in s] for s in ss] for ss in sents])
        for k, ss, tags in zip(live, sents, tagged):
            doc, chosen = docs[k]
            taken = bytearray(len(doc.toks))
            for m in chosen:
                taken[m.i : m.j] = b"\x01" * m.size
            docs[k] = (doc, resolve(chosen + tagged_mentions(doc, ss, tags, taken), len(doc.toks)))
    out = []
    for doc, chosen in docs:
        if doc.toks:
            chosen = resolve(chosen + _local_mentions(doc, chosen), len(doc.toks))
            _attach_appositions(doc, chosen)
        out.append((doc, chosen))
    return out


def _merge_key(doc: Doc, m: Mention) -> tuple[str, ...]:
    """Tokens compared when merging: a final ``لمصراتة`` of an organisation reads ``مصراته``."""
    if m.type != "organization" or len(m.key) < 2:
        return m.key
    last = m.key[-1]
    for a in doc.readings(last)[1:]:
        if doc.lex.entity(a.key) == "place":
            return (*m.key[:-1], a.key)
    return m.key


@dataclass(frozen=True, slots=True)
class ActorMentions:
    """One group of aliases of a text: the :class:`Actor` :func:`merge` gives for it, and the
    ``(start, end)`` of every mention of the group in the text (source order, clitics included)."""

    actor: Actor
    spans: tuple[tuple[int, int], ...]


def merge(doc: Doc, found: list[Mention]) -> list[Actor]:
    """One actor per group of aliases, in order of first mention (:func:`merge_groups`)."""
    return [g.actor for g in merge_groups(doc, found)]


def merge_groups(doc: Doc, found: list[Mention]) -> list[ActorMentions]:
    """One actor per group of aliases, in order of first mention, with the group's mentions.

    Mentions are taken longest first; a shorter one joins the single group whose key it
    matches without spaces (``عبدالجليل``), ends (persons: ``حفتر`` of ``خليفة حفتر``) or
    begins (organisations, two words or more), else it starts its own group. Groups are
    found through dictionaries of suffixes/prefixes, so this stays linear.
    """
    groups: list[dict] = []
    by_glued: dict[tuple[str, str], int] = {}
    by_part: dict[tuple[str, tuple[str, ...]], set[int]] = {}
    for m in sorted(found, key=lambda m: (-m.size, m.i)):
        key = _merge_key(doc, m)
        g = by_glued.get((m.type, "".join(key)))
        if g is None:
            hits = by_part.get((m.type, key), set())
            if len(hits) == 1:
                g = next(iter(hits))
        if g is None:
            g = len(groups)
            groups.append({"type": m.type, "key": key, "mentions": []})
            by_glued[(m.type, "".join(key))] = g
            for part in _key_parts(m.type, key):
                by_part.setdefault((m.type, part), set()).add(g)
        groups[g]["mentions"].append(m)

    actors: list[tuple[int, ActorMentions]] = []
    for grp in groups:
        ms = sorted(grp["mentions"], key=lambda m: m.i)
        texts = {id(m): doc.display(m.i, m.j, m.a).strip(_PUNCT) for m in ms}
        rep = max(ms, key=lambda m: (m.size, len(texts[id(m)]), -m.i))
        text = texts[id(rep)]
        if len(text.replace(" ", "")) < 2:
            continue
        role = next((m.role for m in ms if m.role), None)
        spans = tuple((doc.toks[m.i].start, doc.toks[m.j - 1].end) for m in ms)
        start, end = doc.toks[rep.i].start, doc.toks[rep.j - 1].end
        actors.append((ms[0].i, ActorMentions(Actor(text, grp["type"], start, end, role), spans)))
    actors.sort(key=lambda x: x[0])
    return [a for _, a in actors]


def _key_parts(kind: str, key: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The shorter keys that join a group of ``key``: a person's last words, an organisation's first ones."""
    parts: list[tuple[str, ...]] = []
    if kind == "person":
        parts = [key[-n:] for n in range(1, len(key))]
    elif kind == "organization":
        parts = [key[:n] for n in range(2, len(key))]
        if key[0] == "وكاله" and len(key) > 1:
            parts.append(key[1:])  # رويترز of وكالة رويترز
    return parts


def article_actors(text: str, tagger: LockedTagger | None = None) -> list[ActorMentions]:
    """:func:`extract_actors`'s actors of ``text``, each with the spans of all its mentions.

    What an index stores for every article (:mod:`retrieval.index.mentions`): the actors are
    exactly :func:`extract_actors`'s, in the same order.
    """
    return article_actors_of([text], tagger)[0]


def article_actors_of(texts: Sequence[str], tagger: LockedTagger | None = None) -> list[list[ActorMentions]]:
    """:func:`article_actors` of each of ``texts`` (their sentences tagged in one call: faster, the same actors)."""
    blank = [not t or not t.strip() for t in texts]
    found = iter(mentions_of([t for t, b in zip(texts, blank) if not b], tagger))
    return [[] if b else merge_groups(*next(found)) for b in blank]


def extract_actors(text: str, tagger: LockedTagger | None = None) -> list[Actor]:
    """Unique people, organisations and places named in ``text``, in order of first mention.

    ``tagger`` (from :func:`.backend.get_tagger`) adds a statistical tagger's names to the rules'.

    Aliases are merged into their longest form (``خليفة حفتر`` for ``حفتر``/``لحفتر``);
    proclitics are stripped from the display text but kept in the offsets.
    """
    return [g.actor for g in article_actors(text, tagger)]
