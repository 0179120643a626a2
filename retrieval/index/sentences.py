"""The analysed terms of every indexed sentence and real title, stored so that answering analyses nothing.

An answer weighs the sentences of its candidate passages: which of the question's terms each holds,
where (for adjacency and the highlights) and whether it holds a number or a date
(:mod:`retrieval.answer`). Those are the analyzer's terms of the sentence's text, computed once when
the article is indexed (with the index's own lexicon, as the passage's terms are) and stored here:

* ``sentence_term_ptr.npy``: ``int64``, the first term of each sentence (rows of ``sentences.npy``),
  then the end;
* ``sentence_terms.npy``: ``int32`` term ids (the postings' vocabulary), sentence after sentence, each
  in text order, repeats kept: ``Analyzer.terms(article.text[start:end])`` of the sentence;
* ``sentence_term_spans.npy``: ``(n, 2)``, each term's word run as offsets into its sentence
  (``uint16``, ``uint32`` when a sentence is longer than 65,535 characters);
* ``title_term_ptr.npy``, ``title_terms.npy``: the same of every article's real title (none for a
  title derived from the text).

Every term of a sentence is a term of its passage, so each has an id in the vocabulary. Like the
other arrays they are memory-mapped at load and appended to by :meth:`Index.add <retrieval.index.Index.add>`.
"""

from __future__ import annotations

from array import array
from pathlib import Path

import numpy as np

from .columns import load_array, save_array

__all__ = ["SentenceTerms"]

_FILES = ("sentence_term_ptr.npy", "sentence_terms.npy", "sentence_term_spans.npy", "title_term_ptr.npy",
          "title_terms.npy")  # fmt: skip
_U16 = np.iinfo(np.uint16).max


class SentenceTerms:
    """Term ids and offsets of every sentence (in ``sentences.npy`` order) and of every real title."""

    def __init__(
        self, term_ptr: np.ndarray, terms: np.ndarray, spans: np.ndarray, title_ptr: np.ndarray, title_terms: np.ndarray
    ) -> None:
        if spans.ndim != 2 or spans.shape[1] != 2 or len(spans) != len(terms):
            raise ValueError("sentence term arrays do not match")
        if not len(term_ptr) or int(term_ptr[-1]) != len(terms) or not len(title_ptr) or int(title_ptr[-1]) != len(title_terms):
            raise ValueError("sentence term arrays do not match")
        self.term_ptr = term_ptr
        self.terms = terms
        self.spans = spans
        self.title_ptr = title_ptr
        self.title_terms = title_terms

    @classmethod
    def empty(cls) -> SentenceTerms:
        ptr = np.zeros(1, np.int64)
        none = np.zeros(0, np.int32)
        return cls(ptr, none, np.zeros((0, 2), np.uint16), ptr, none)

    @property
    def n_sentences(self) -> int:
        return len(self.term_ptr) - 1

    @property
    def n_titles(self) -> int:
        return len(self.title_ptr) - 1

    def extend(self, term_ptr: array, terms: array, spans: array, title_ptr: array, title_terms: array) -> SentenceTerms:
        """These terms, then the new sentences' and titles' (flat arrays: ``int64`` pointers that
        continue these, ``int32`` term ids, ``int32`` span offsets in pairs)."""
        new_spans = np.frombuffer(spans, np.int32).reshape(-1, 2)
        wide = (len(new_spans) and int(new_spans.max()) > _U16) or self.spans.dtype != np.uint16
        dtype = np.uint32 if wide else np.uint16
        return SentenceTerms(
            np.concatenate((np.asarray(self.term_ptr)[:-1], np.frombuffer(term_ptr, np.int64))),
            np.concatenate((np.asarray(self.terms), np.frombuffer(terms, np.int32))),
            np.concatenate((np.asarray(self.spans, dtype=dtype), new_spans.astype(dtype))),
            np.concatenate((np.asarray(self.title_ptr)[:-1], np.frombuffer(title_ptr, np.int64))),
            np.concatenate((np.asarray(self.title_terms), np.frombuffer(title_terms, np.int32))),
        )

    def rows(self, first: int, last: int) -> tuple[list[int], list[int], list[list[int]]]:
        """The terms of sentences ``first..last-1``: each sentence's first term (relative to the
        first's, then the end), the term ids, and each term's ``[start, end]`` in its sentence."""
        ptr = self.term_ptr[first : last + 1].tolist()
        a, b = ptr[0], ptr[-1]
        return [p - a for p in ptr], self.terms[a:b].tolist(), self.spans[a:b].tolist()

    def title(self, position: int) -> list[int]:
        """The term ids of the real title of the article at ``position`` (``[]`` for a derived title)."""
        a, b = self.title_ptr[position : position + 2].tolist()
        return self.title_terms[a:b].tolist()

    def save(self, d: Path) -> list[str]:
        for name, arr in zip(_FILES, (self.term_ptr, self.terms, self.spans, self.title_ptr, self.title_terms)):
            save_array(d / name, arr)
        return list(_FILES)

    @classmethod
    def load(cls, d: Path) -> SentenceTerms:
        return cls(*(load_array(d / name) for name in _FILES))
