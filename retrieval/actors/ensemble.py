"""Two taggers combined: the first one's spans, then the second one's where the first found none.

The CRF (:mod:`.tagger`) and the neural tagger (:mod:`.neural`) make different mistakes: on the
dev tenth of ANERcorp each alone scores about 72.5–72.9 micro-F1, and the CRF's spans completed by
the neural tagger's spans that overlap none of them score higher than either (the figure
``sanad train neural`` records as ``ensemble_dev`` in ``neural.json``). The
other order and "spans both agree on" were measured too and are lower (docs/actors.md).

    >>> fill_tags(["B-PERS", "I-PERS", "O", "O"], ["B-PERS", "O", "O", "B-LOC"])
    ['B-PERS', 'I-PERS', 'O', 'B-LOC']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from .conll import bio_spans

if TYPE_CHECKING:
    from .backend import TokenTagger

__all__ = ["EnsembleTagger", "fill_tags"]


def fill_tags(first: Sequence[str], second: Sequence[str]) -> list[str]:
    """``first``'s spans, plus each span of ``second`` that overlaps none of them (BIO, same length)."""
    if len(first) != len(second):
        raise ValueError(f"tag sequences differ in length ({len(first)} and {len(second)})")
    out = ["O"] * len(first)
    for s, e, t in bio_spans(first):
        out[s:e] = [f"B-{t}"] + [f"I-{t}"] * (e - s - 1)
    taken = [tag != "O" for tag in out]
    for s, e, t in bio_spans(second):
        if not any(taken[s:e]):
            out[s:e] = [f"B-{t}"] + [f"I-{t}"] * (e - s - 1)
    return out


class EnsembleTagger:
    """Tags with ``first`` and ``second`` and combines them with :func:`fill_tags`."""

    def __init__(self, first: TokenTagger, second: TokenTagger) -> None:
        self.first = first
        self.second = second

    def tag(self, tokens: Sequence[str]) -> list[str]:
        """BIO tags of one sentence's tokens."""
        return self.tag_sentences([tokens])[0]

    def tag_sentences(self, sentences: Iterable[Sequence[str]]) -> list[list[str]]:
        """Tags of each sentence."""
        sents = [list(s) for s in sentences]
        a = self.first.tag_sentences(sents)
        b = self.second.tag_sentences(sents)
        return [fill_tags(x, y) for x, y in zip(a, b)]  # type: ignore[arg-type]

    def tag_documents(self, documents: Sequence[Sequence[Sequence[str]]]) -> list[list[list[str]]]:
        """Tags of each sentence of each document: ``first`` tags them all at once where it can
        (``tag_documents``), ``second`` one document at a time (as when documents are tagged alone)."""
        docs = [[list(s) for s in d] for d in documents]
        batched = getattr(self.first, "tag_documents", None)
        a = batched(docs) if batched is not None else [self.first.tag_sentences(d) for d in docs]
        return [[fill_tags(x, y) for x, y in zip(fa, self.second.tag_sentences(d))] for fa, d in zip(a, docs)]
