"""Token features for the CRF named-entity tagger (:mod:`.tagger`).

Every function here is pure: the same token (and the same training statistics) always gives
the same features, so training and tagging agree. Features are plain strings (binary
features for python-crfsuite)::

    >>> stem("وللقذافي", frozenset({"القذافي"}))
    'قذافي'
    >>> shape("2011")
    'D4'

Feature groups (:data:`FEATURE_GROUPS`, all used by the shipped model):

* ``form``/``stem``: the normalized token and its clitic-free stem (:func:`stem`);
* ``affix``: prefixes and suffixes of length 1-3 (of the token and of its stem);
* ``shape``: script and length bucket (:func:`shape`);
* ``context``: forms, stems and shapes of the tokens at -2..+2;
* ``trigger``/``kind``: title, organisation-head, place-head, particle and reporting-verb
  flags (:mod:`.words`), and the same for the neighbours at -1/+1 (plus "modifier");
* ``gazetteer``: tag shares of the form and the stem in the training sentences;
* ``bigram``: stem bigrams with the previous and the next token;
* ``pattern``: a title or head word to the left across modifiers (``الزعيم الليبي [معمر]``);
* ``places``: membership in a hand-made list of place names (countries, capitals, Libyan towns);
* ``names``: the token (or its stem) in Wikidata's list of person-name spellings, by frequency
  (``pn=3``), and one-word ``عبدال...`` names (:class:`Lists`);
* ``lists``: tag shares of the token in outside lists (country and city names, the entity words
  of labelled sets the model is not trained on), like ``gazetteer`` (:class:`Lists`);
* ``document``: what the rest of the document says of the token's stem (:meth:`Featurizer.document`).

A token's own features (:meth:`Featurizer.own`) are computed once per distinct surface form
and cached; a sentence's features (:meth:`Featurizer.sentence`) add the neighbours'.

Gazetteer features come from :data:`TagCountsByForm` tables that :mod:`.train` builds from the
*training* sentences only: how often a normalized form (and a stem) was tagged
O/PERS/LOC/ORG/MISC, reduced to a share bucket per type. While training they are computed
out-of-fold (each fold's statistics come from the other folds), so the model also learns what
to do with words it has never seen, as it must on new text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

from .spans import CACHE_SIZE, clitic_analyses
from .word_features import (
    ABD,
    TYPES,
    TagCountsByForm,
    affixes,
    is_modifier,
    kind,
    normalize,
    shape,
    share_features,
    stem,
    stem_statistics,
    trigger_flags,
)  # fmt: skip

__all__ = [
    "FEATURE_GROUPS",
    "TYPES",
    "Featurizer",
    "TagCountsByForm",
    "affixes",
    "is_modifier",
    "kind",
    "normalize",
    "runs",
    "shape",
    "share_features",
    "stem",
    "stem_statistics",
    "trigger_flags",
]


#: Feature groups a model can be trained with (recorded in the model's side file).
FEATURE_GROUPS = (
    "form", "stem", "affix", "shape", "context", "trigger", "kind", "gazetteer", "bigram", "pattern", "places",
    "names", "lists", "document",
)

























@dataclass(frozen=True)
class Lists:
    """Outside word lists the ``names`` and ``lists`` features read (:mod:`.namelists` builds them).

    * ``names``: normalized person-name tokens (Wikidata's Arabic spellings) -> frequency bucket;
    * ``typed``: normalized words of typed entity strings that are not training sentences (country
      and city names, other sets' entities) -> ``(O, PERS, LOC, ORG, MISC)`` counts.
    """

    names: Mapping[str, int] = field(default_factory=dict)
    typed: Mapping[str, Sequence[int]] = field(default_factory=dict)


NO_LISTS = Lists()

_T = TypeVar("_T")


def runs(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    """``items`` in consecutive runs of ``size`` (the last may be shorter): the documents of
    :meth:`Featurizer.document` where no article says where one ends (training, ``sanad tag``)."""
    run: list[_T] = []
    for x in items:
        run.append(x)
        if len(run) == size:
            yield run
            run = []
    if run:
        yield run


class _Info(NamedTuple):
    """Cached per-surface features of one token (see :meth:`Featurizer.own`)."""

    own: list[str]  # the token's own features
    ctx: list[str]  # what the tokens at -2..+2 see of it (form, stem, shape) ...
    near: list[str]  # ... and those at -1/+1 besides (trigger flags, kind, place, gazetteer)
    stem: str
    kind: str  # see :func:`kind`
    seen_by: dict[int, list[str]]  # seen()'s lists, made on first use

    def seen(self, d: int) -> list[str]:
        """What the token at offset ``d`` from this one sees of it: ``"-1:w=..."`` (``d`` = -2..2)."""
        out = self.seen_by.get(d)
        if out is None:
            out = self.seen_by[d] = [f"{-d}:{c}" for c in (self.ctx + self.near if d in (-1, 1) else self.ctx)]
        return out






class Featurizer:
    """Features of tokens and sentences for one set of training statistics.

    ``vocab`` (training words, for clitic stripping) and ``stats`` (tag counts per form, for
    gazetteer features) come from the training sentences; ``stem_stats`` (the same counts per
    stem) are computed from them when not given. ``places`` is a hand-made list of place names
    (normalized; the ``curated`` entries of ``data/gazetteer.tsv``: countries, capitals and the
    Libyan towns ANERcorp lacks), never derived from any evaluation data. ``groups`` selects feature groups
    (:data:`FEATURE_GROUPS`). Per-surface features are cached on the instance (bounded).
    """

    def __init__(
        self,
        vocab: Iterable[str] = (),
        stats: TagCountsByForm | None = None,
        groups: Iterable[str] = FEATURE_GROUPS,
        stem_stats: TagCountsByForm | None = None,
        places: Iterable[str] = (),
        lists: Lists = NO_LISTS,
    ) -> None:
        self.vocab = frozenset(vocab)
        self.lists = lists
        self.places = frozenset(places)
        self.stats: TagCountsByForm = stats or {}
        if stem_stats is None:
            stem_stats = stem_statistics(self.stats, self.vocab) if stats else {}
        self.stem_stats: TagCountsByForm = stem_stats
        self.groups = frozenset(groups)
        unknown = self.groups - set(FEATURE_GROUPS)
        if unknown:
            raise ValueError(f"unknown feature groups: {sorted(unknown)}")
        self._own: dict[str, _Info] = {}
        self._stem_kind: dict[str, tuple[str, str]] = {}

    def own(self, surface: str) -> _Info:
        """Features of one token, computed once per surface form."""
        hit = self._own.get(surface)
        if hit is not None:
            return hit
        hit = self.compute(surface)
        if len(self._own) < CACHE_SIZE:
            self._own[surface] = hit
        return hit

    def compute(self, surface: str) -> _Info:
        """Features of one token, computed now (:meth:`own` caches them)."""
        g = self.groups
        n = normalize(surface)
        sh = shape(surface)
        arabic = sh[0] == "A"
        s = stem(n, self.vocab) if arabic else n
        feats = ["b"]
        ctx: list[str] = []
        near: list[str] = []
        if "form" in g:
            feats.append("w=" + n)
            ctx.append("w=" + n)
        if "stem" in g:
            feats.append("s=" + s)
            ctx.append("s=" + s)
            if s != n:
                feats.append("cl=" + n[: len(n) - len(s)] if n.endswith(s) else "cl=?")
        if "affix" in g and arabic:
            feats.extend(affixes(n))
            if s != n:
                feats.extend("s" + f for f in affixes(s))
        if "shape" in g:
            feats.append("sh=" + sh)
            ctx.append("sh=" + sh)
        flags = trigger_flags(n) if arabic else []
        if "trigger" in g:
            feats.extend("t=" + f for f in flags)
            near.extend("t=" + f for f in flags)
        k = kind(n, flags) if arabic else ""
        if "kind" in g and k:
            near.append("k=" + k)
        if "places" in g and arabic and self.places and any(a.key in self.places for a in clitic_analyses(n)):
            feats.append("place")
            near.append("place")
        if "gazetteer" in g and self.stats:
            gw = share_features("gw", self.stats.get(n))
            gs = share_features("gs", self.stem_stats.get(s)) if s != n else []
            feats.extend(gw)
            feats.extend(gs)
            near.extend(f for f in gw if f != "gw:seen")
        if arabic and "names" in g:
            lists = self.lists
            bucket = lists.names.get(n) or lists.names.get(s)
            if bucket:
                feats.append(f"pn={bucket}")
                near.append(f"pn={bucket}")
            if n.startswith(ABD) and len(n) > 5:
                feats.append("nc=abd")
        if "lists" in g and self.lists.typed:
            gx = share_features("gx", self.lists.typed.get(n) or self.lists.typed.get(s))
            if gx[0] != "gx:unseen":
                feats.extend(gx)
                near.extend(f for f in gx if f != "gx:seen")
        # ctx (form, stem, shape) is seen from -2..+2, near (flags) from -1/+1 only.
        return _Info(feats, ctx, near, s, k, {})

    def document(self, sentences: Sequence[Sequence[str]]) -> list[list[list[str]]]:
        """What the rest of a document says of each token's stem (the ``document`` group; empty
        lists without it): the kinds of word seen left of it anywhere in the document (``dl=title``
        for «لحود» once «الرئيس لحود» was written, ``dl=orghead`` for «الليكود» after «حزب الليكود»),
        and whether a nisba adjective followed it (``dr=adj``: «ليون الفرنسي»). One pass over the
        document's tokens; no tags needed."""
        if "document" not in self.groups:
            return [[[] for _ in s] for s in sentences]
        infos = [[self.stem_kind(t) for t in s] for s in sentences]
        seen: dict[str, set[str]] = {}
        for sent in infos:
            for i, (stem_, kind_) in enumerate(sent):
                if kind_ or len(stem_) < 2:
                    continue
                acc = seen.setdefault(stem_, set())
                if i > 0 and sent[i - 1][1]:
                    acc.add(f"dl={sent[i - 1][1]}")
                if i + 1 < len(sent) and sent[i + 1][1] == "adj":
                    acc.add("dr=adj")
        return [[sorted(seen.get(st, ())) if not k else [] for st, k in sent] for sent in infos]

    def stem_kind(self, surface: str) -> tuple[str, str]:
        """A token's :func:`stem` and :func:`kind` (what :meth:`document` reads), cached apart from
        :meth:`own`: the decoder caches the full features in its own table."""
        hit = self._stem_kind.get(surface)
        if hit is None:
            n = normalize(surface)
            if shape(surface)[0] == "A":
                hit = (stem(n, self.vocab), kind(n, trigger_flags(n)))
            else:
                hit = (n, "")
            if len(self._stem_kind) < CACHE_SIZE:
                self._stem_kind[surface] = hit
        return hit

    def sentence(self, tokens: Sequence[str]) -> list[list[str]]:
        """Features of every token of a sentence: its own, its neighbours' (-2..+2), bigrams."""
        infos = [self.own(t) for t in tokens]
        ctx_on = "context" in self.groups
        bigram = "bigram" in self.groups
        pattern = "pattern" in self.groups
        n = len(infos)
        out = []
        for i, info in enumerate(infos):
            f = list(info.own)
            if bigram:
                prev = infos[i - 1].stem if i > 0 else "BOUND"
                nxt = infos[i + 1].stem if i + 1 < n else "BOUND"
                f.append(f"bg-={prev}|{info.stem}")
                f.append(f"bg+={info.stem}|{nxt}")
            if ctx_on:
                for d in (-2, -1, 1, 2):
                    j = i + d
                    if 0 <= j < n:
                        f.extend(infos[j].seen(-d))
                    elif d in (-1, 1):
                        f.append(f"{d}:BOUND")
            if pattern:
                # A head to the left across up to 3 modifiers: الزعيم الليبي [معمر].
                j = i - 1
                while j >= 0 and i - j <= 3 and infos[j].kind == "adj":
                    j -= 1
                if j >= 0 and j < i - 1 and infos[j].kind not in ("", "adj"):
                    f.append("L=" + infos[j].kind)
            out.append(f)
        return out
