"""Tagger backends for actor extraction, and the gap-filling step that uses them.

``SANAD_ACTORS_BACKEND`` picks the statistical tagger that complements the rules:

* ``model``: the CRF trained on ANERcorp and AQMAR with outside name lists, shipped in ``data/`` (:mod:`.tagger`);
* ``camel``: camel-tools' AraBERT NER when ``camel_data -i ner-arabert`` installed it (:mod:`.camel`);
* ``neural``: the character-aware BiLSTM-CRF trained on ANERcorp and shipped in ``data/``
  (:mod:`.neural`, NumPy inference);
* ``ensemble``: the CRF's spans, then the neural tagger's where the CRF found none (:mod:`.ensemble`);
* ``auto``: ``camel`` when its data is present, else whichever of ``model``, ``neural`` and
  ``ensemble`` has the best dev micro-F1 on record (the CRF's :data:`CRF_DEV_MICRO_F1`, the others'
  in ``neural.json``, which ``auto`` reads before loading any weights; the CRF on a tie, or when the
  side file marks the neural model ``auto: false``). A camel or neural model that fails to load
  falls back to the CRF with one log line; named explicitly, it fails with :class:`ModelLoadError`.

**Building an index, ``auto`` weighs the cost** (:func:`auto_for`): a new index whose articles hold
at most :data:`AUTO_BUDGET_TOKENS` (100,000) tokens is tagged with that best tagger, a larger one
with the CRF. A slower tagger must beat the CRF by :data:`AUTO_MARGIN` (one point of dev
micro-F1): measured with #25's CRF, the ensemble scores 75.71 against the CRF's 75.01 (the neural
tagger 72.49), within the dev tenth's noise, and on the embedded corpus it takes the verb «تشن» for
a place, so ``auto`` tags every new index with the CRF today; the budget keeps a slower tagger that
does beat it (a retrained neural model, camel-tools) to small corpora: the ensemble tags about
9,000 tokens/s on one core, its neural half reading every token, while the CRF with the rules tags
tens of thousands (``bench/tagger_speed.py``; figures in ``docs/actors.md``).
Tokens are counted only up to the budget (:func:`count_tokens`). Adding to an index, ``auto``
keeps the tagger the index records (its last addition's ``actors``;
:func:`retrieval.index.tagging.choose_tagger`), so an index is tagged by one tagger; a tagger named
explicitly is used as named, with a warning when it is not the index's.

The rules (gazetteer, titles, appositions, organisation and place heads) stay first: they give
clean spans and roles. The tagger's spans are added where no rule matched, so a name the
gazetteer never saw (``كوبلر``) is still found, and a tagger's over-long span cannot displace a
rule's clean one. Taggers are not thread-safe (CRFsuite), so each is used under a lock.
"""

from __future__ import annotations

import logging
import threading
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Protocol, get_args

from ..errors import ModelLoadError
from ..options import TaggerBackend
from ..segment import split_sentences
from .doc import PRIO_WEAK, Doc, Mention
from .spans import TOKEN_RE, clitic_analyses, token_spans
from .words import WRITTEN_FUNCTION_WORDS

__all__ = [
    "AUTO_BUDGET_TOKENS",
    "BACKENDS",
    "CRF_DEV_MICRO_F1",
    "Backend",
    "TaggerSpec",
    "TokenTagger",
    "auto_choice",
    "auto_for",
    "count_tokens",
    "get_tagger",
    "model_mentions",
    "model_sentences",
    "resolve_tagger",
    "tagged_mentions",
]

log = logging.getLogger(__name__)

#: The statistical taggers :func:`get_tagger` loads (one home: :data:`retrieval.options.TaggerBackend`).
Backend = TaggerBackend
BACKENDS: tuple[str, ...] = get_args(TaggerBackend)
#: Dev micro-F1 (PERS+ORG+LOC) of the shipped CRF, from ``sanad train ner --eval-only``.
CRF_DEV_MICRO_F1 = 0.7501
#: What a slower tagger must gain over the CRF in dev micro-F1 for ``auto`` to take it: one point
#: (the dev tenth holds 977 spans; a smaller difference is within its noise, about 1.4 points a
#: standard error, while the neural half costs several times the CRF's tagging time).
AUTO_MARGIN = 0.01
#: ``auto`` indexes at most this many tokens with the best tagger on record, a larger corpus with
#: the CRF (see the module docstring for the figures behind it).
AUTO_BUDGET_TOKENS = 100_000
_TYPES = {"PERS": "person", "ORG": "organization", "LOC": "place"}


class TokenTagger(Protocol):
    """Anything that tags tokenized sentences with BIO tags (``B-PERS``, ``I-ORG``, ``O`` ...)."""

    def tag_sentences(self, sentences: list[list[str]]) -> object: ...


class LockedTagger:
    """A tagger shared by threads (the Telegram bot answers in a thread pool)."""

    def __init__(self, tagger: TokenTagger, name: str) -> None:
        self.tagger = tagger
        self.name = name
        self._lock = threading.Lock()

    def tag(self, tokens: list[str]) -> list[str]:
        """Tags of one sentence."""
        return self.tag_sentences([list(tokens)])[0]

    def tag_sentences(self, sentences: list[list[str]]) -> list[list[str]]:
        """Tags of each sentence."""
        with self._lock:
            return [list(t) for t in self.tagger.tag_sentences(sentences)]  # type: ignore[attr-defined]

    def tag_documents(self, documents: list[list[list[str]]]) -> list[list[list[str]]]:
        """Tags of each sentence of each document: in one call where the tagger has
        ``tag_documents`` (the CRF: a sentence's tags depend on its document, never on what it is
        batched with),
        else one :meth:`tag_sentences` call per document, as when documents are tagged alone."""
        with self._lock:
            batched = getattr(self.tagger, "tag_documents", None)
            if batched is not None:
                return [[list(t) for t in doc] for doc in batched(documents)]
            return [[list(t) for t in self.tagger.tag_sentences(doc)] for doc in documents]  # type: ignore[attr-defined]


#: A tagger as building and the service take it: a backend name (``rules`` or ``None``: the rules
#: alone) or a loaded tagger.
TaggerSpec = LockedTagger | str | None


@lru_cache(maxsize=4)
def get_tagger(backend: Backend = "auto") -> LockedTagger:
    """The tagger of ``backend`` (loaded once). Raises :class:`ModelLoadError` if the shipped model is broken."""
    if backend not in BACKENDS:
        raise ModelLoadError(f"unknown actors backend {backend!r}: use one of {', '.join(BACKENDS)}")
    if backend in ("auto", "camel"):
        from .camel import CamelTagger, camel_ner_path

        if backend == "camel" or camel_ner_path() is not None:
            try:
                return LockedTagger(CamelTagger(), "camel")
            except ModelLoadError as e:
                log.warning("actors: camel-tools NER unavailable, using the shipped model instead: %s", e)
    if backend in ("auto", "neural", "ensemble"):
        from .neural import read_side

        if backend != "auto":
            return _neural_tagger(backend)
        try:  # the side file's dev figures decide: the weights are loaded only when they are used
            choice = auto_choice(read_side())
            if choice != "model":
                return _neural_tagger(choice)
        except ModelLoadError as e:
            log.warning("actors: neural NER unavailable, using the CRF instead: %s", e)
    from .tagger import Tagger

    return LockedTagger(Tagger.load(), "model")


def _neural_tagger(backend: str) -> LockedTagger:
    from .neural import NeuralTagger

    if backend == "neural":
        return LockedTagger(NeuralTagger.load(), "neural")
    from .ensemble import EnsembleTagger
    from .tagger import Tagger

    return LockedTagger(EnsembleTagger(Tagger.load(), NeuralTagger.load()), "ensemble")


def resolve_tagger(tagger: TaggerSpec) -> LockedTagger | None:
    """The tagger a :data:`TaggerSpec` names (``None``: the rules alone)."""
    if tagger is None or tagger == "rules":
        return None
    if isinstance(tagger, str):
        return get_tagger(tagger)  # type: ignore[arg-type]
    return tagger


def count_tokens(texts: Iterable[str], limit: int) -> int:
    """The tagger's tokens (ANERcorp-style: words and punctuation marks) in ``texts``, counted only
    until they pass ``limit`` (the count then is some number above it): cheap on any corpus."""
    n = 0
    for text in texts:
        n += len(TOKEN_RE.findall(text))
        if n > limit:
            break
    return n


def auto_for(texts: Sequence[str], budget: int = AUTO_BUDGET_TOKENS) -> Backend:
    """What ``auto`` tags the articles of a new index with: ``auto`` (:func:`get_tagger`'s best
    tagger on record) while ``texts`` hold at most ``budget`` tokens, ``model`` (the CRF) above."""
    return "auto" if count_tokens(texts, budget) <= budget else "model"


def auto_choice(meta: dict) -> str:
    """What ``auto`` picks without camel-tools: ``model``, ``neural`` or ``ensemble``, whichever has
    the best dev micro-F1 on record (neural side file ``meta``), a slower one only when it beats the
    CRF by at least :data:`AUTO_MARGIN` (the CRF on a smaller gain, a tie, or ``auto: false``)."""
    if meta.get("auto", True) is False:
        return "model"
    best, best_f1 = "model", CRF_DEV_MICRO_F1 + AUTO_MARGIN - 1e-9
    for name, key in (("neural", "dev"), ("ensemble", "ensemble_dev")):
        try:
            f1 = float(meta[key]["micro"]["f1"])
        except (KeyError, TypeError, ValueError):
            continue
        if f1 > best_f1:
            best, best_f1 = name, f1
    return best


def model_sentences(doc: Doc, spans: Sequence[tuple[str, int, int]] | None = None) -> list[list[tuple[str, int, int]]]:
    """The tagger's sentences of a text: ANERcorp-style tokens with their offsets (none empty).

    ``spans``, the whole text's :func:`~.spans.token_spans` when the caller has them, are cut at
    the sentences' bounds instead of scanning each sentence again: the same tokens, since no token
    crosses a sentence's bound (sentences end after a punctuation mark and start at a token).
    """
    text = doc.text
    if spans is None:
        sents = [token_spans(text, s, e) for s, e in split_sentences(text)]
        return [s for s in sents if s]
    starts = [s for _, s, _ in spans]
    out = []
    for s, e in split_sentences(text):
        a = bisect_left(starts, s)
        b = bisect_left(starts, e, a)
        if b > a:
            out.append(list(spans[a:b]))
    return out


def model_mentions(doc: Doc, tagger: LockedTagger, taken: bytearray) -> list[Mention]:
    """Person/organisation/place spans the tagger finds over tokens no rule took."""
    sents = model_sentences(doc)
    tags = tagger.tag_documents([[[w for w, _, _ in s] for s in sents]])[0]  # the text is one document
    return tagged_mentions(doc, sents, tags, taken)


def tagged_mentions(
    doc: Doc, sents: list[list[tuple[str, int, int]]], tagged: Sequence[Sequence[str]], taken: bytearray
) -> list[Mention]:
    """:func:`model_mentions` of the sentences :func:`model_sentences` gave, tagged ``tagged``."""
    counts: Counter[str] = Counter()
    by_start: dict[int, int] = {}
    by_end: dict[int, int] = {}
    out: list[Mention] = []
    for spans, tags in zip(sents, tagged):
        if tags.count("O") == len(tags):
            continue
        if not by_start:  # the first sentence with a span
            counts.update(doc.norms)
            by_start = dict(zip([t.start for t in doc.toks], range(len(doc.toks))))
            by_end = dict(zip([t.end for t in doc.toks], range(len(doc.toks))))
        # A function word is no name, whatever the tagger says: «على القذافي» is «القذافي».
        tags = ["O" if w in WRITTEN_FUNCTION_WORDS else t for (w, _, _), t in zip(spans, tags)]
        cur: list[int] | None = None  # [start_char, end_char, type]
        found = []
        prev = -2
        for k in [k for k, tag in enumerate(tags) if tag != "O"]:  # an "O" between two tags ends a span
            tag = tags[k]
            kind = _TYPES.get(tag[2:])
            if cur is not None and k == prev + 1 and tag.startswith("I-") and kind == cur[2]:
                cur[1] = spans[k][2]
            else:
                if cur is not None:
                    found.append(cur)
                cur = [spans[k][1], spans[k][2], kind] if kind else None
            prev = k
        if cur is not None:
            found.append(cur)
        for s, e, kind in found:
            i, j = by_start.get(s), by_end.get(e)
            if i is None or j is None or j < i or any(taken[i : j + 1]):
                continue
            n = doc.norm(i)
            if not doc.arabic(n) or (j == i and not _plausible_single(doc, n, counts)):
                continue
            # Strip proclitics only to a form the same text attests (للجزيرة -> الجزيرة).
            a = next((r for r in reversed(clitic_analyses(n)) if r.drop and r.key in counts), clitic_analyses(n)[0])
            out.append(Mention(i, j + 1, kind, doc.key(i, j + 1, a), a, PRIO_WEAK, rule="model"))
    return out


def _plausible_single(doc: Doc, n: str, counts: Counter[str]) -> bool:
    """A one-word tagger span is kept only if it is no common word (``الليبي``, ``تشن``) and is
    either a name ANERcorp has seen or a word the text repeats (``كوبلر``)."""
    if len(n) < 3 or doc.is_stop(n) or doc.o_word(n) or doc.nisba(n):
        return False
    stats = doc.stats(n)
    return stats.pers + stats.org + stats.loc > 0 or counts[n] >= 2
