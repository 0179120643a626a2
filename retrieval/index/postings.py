"""Term-major postings of the passages and their BM25Okapi statistics (:mod:`retrieval.bm25`)."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..bm25 import accumulate, length_norms, okapi_idf, term_scores
from .columns import StringTable, load_array, save_array

__all__ = ["DEFAULT_PARAMS", "BM25Params", "DocFreq", "Postings"]


@dataclass(frozen=True, slots=True)
class BM25Params:
    """BM25Okapi parameters (rank-bm25 names)."""

    k1: float = 1.2
    b: float = 0.75
    epsilon: float = 0.25


#: rank-bm25's defaults: ``k1 = 1.2``, ``b = 0.75``, ``epsilon = 0.25``.
DEFAULT_PARAMS = BM25Params()


class Postings:
    """Term-major postings of the passages and their BM25Okapi statistics.

    ``docs[ptr[t]:ptr[t+1]]`` are the passages holding term ``t`` (ascending) and ``tf`` their
    term frequencies; ``vocab`` gives term ids in first-occurrence order, the order rank-bm25
    sums IDFs in. :meth:`scores` is ``BM25Okapi(passage_terms, k1, b, epsilon).get_scores``.
    """

    def __init__(
        self,
        params: BM25Params,
        vocab: StringTable,
        df: np.ndarray,
        docs: np.ndarray,
        tf: np.ndarray,
        doc_len: np.ndarray,
        idf: np.ndarray | None = None,
    ) -> None:
        self.params = params
        self.vocab = vocab
        self.df = df
        self.docs = docs
        self.tf = tf
        self.doc_len = doc_len
        self.n_docs = len(doc_len)
        if len(df) != len(vocab) or int(df.sum()) != len(docs) or len(tf) != len(docs):
            raise ValueError("postings arrays do not match")
        self.ptr = np.zeros(len(df) + 1, dtype=np.int64)
        np.cumsum(df, out=self.ptr[1:])
        total = int(np.asarray(doc_len, dtype=np.int64).sum())
        self.avgdl = total / self.n_docs if self.n_docs else 0.0
        self.idf = okapi_idf(df, self.n_docs, params.epsilon) if idf is None else idf
        if len(self.idf) != len(df):
            raise ValueError("IDF array does not match the vocabulary")
        if self.avgdl:
            self.norms = length_norms(doc_len, self.avgdl, params.k1, params.b)
        else:  # no tokens at all: no postings either
            self.norms = np.full(self.n_docs, params.k1 * (1 - params.b))

    @classmethod
    def empty(cls, params: BM25Params) -> Postings:
        i32 = np.zeros(0, dtype=np.int32)
        return cls(params, StringTable.from_strings([]), i32, i32, np.zeros(0, np.uint16), i32)

    @classmethod
    def from_documents(cls, documents: Iterable[Sequence[str]], params: BM25Params = DEFAULT_PARAMS) -> Postings:
        """Postings of token lists (what ``BM25Okapi(documents)`` is given)."""
        ids: dict[str, int] = {}
        tokens = array("i")
        lens = []
        for doc in documents:
            tokens.extend(ids.setdefault(t, len(ids)) for t in doc)
            lens.append(len(doc))
        return cls.empty(params).extend(list(ids), np.frombuffer(tokens, dtype=np.int32), np.asarray(lens, np.int32))

    def extend(self, new_terms: Sequence[str], tokens: np.ndarray, lens: np.ndarray) -> Postings:
        """These postings plus documents ``tokens`` (term ids; ``lens`` tokens per document).

        Term ids ``>= len(vocab)`` are ``new_terms`` in order. Statistics are recomputed.
        """
        v_old, n_old = len(self.vocab), self.n_docs
        n_new = n_old + len(lens)
        v_new = v_old + len(new_terms)
        doc_of = np.repeat(np.arange(n_old, n_new, dtype=np.int64), lens)
        stride = max(n_new, 1)  # key = term * stride + passage: sorting keys sorts by term, then passage
        key = tokens.astype(np.int64) * stride + doc_of
        key, tf = np.unique(key, return_counts=True)
        terms = key // stride
        new_docs = (key % stride).astype(np.int32)
        # New passages come after every old one: insert each term's new postings at its end.
        if v_old:
            at = np.where(terms < v_old, self.ptr[np.minimum(terms, v_old - 1) + 1], len(self.docs))
        else:
            at = np.zeros(len(terms), dtype=np.int64)
        docs = np.insert(np.asarray(self.docs), at, new_docs)
        tf_max = max(int(tf.max()) if len(tf) else 0, int(self.tf.max()) if len(self.tf) else 0)
        tf_dtype = np.uint16 if tf_max <= np.iinfo(np.uint16).max else np.uint32
        tfs = np.insert(np.asarray(self.tf, dtype=tf_dtype), at, tf.astype(tf_dtype))
        df = np.zeros(v_new, dtype=np.int32)
        df[:v_old] = self.df
        df += np.bincount(terms, minlength=v_new).astype(np.int32)
        doc_len = np.concatenate((np.asarray(self.doc_len, dtype=np.int32), np.asarray(lens, dtype=np.int32)))
        return Postings(self.params, self.vocab.extend(new_terms), df, docs, tfs, doc_len)

    def term_id(self, term: str) -> int:
        return self.vocab.find(term)

    def term_contributions(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        """The passages holding the term and its BM25Okapi contribution to each."""
        a, b = int(self.ptr[term_id]), int(self.ptr[term_id + 1])
        docs = self.docs[a:b]
        return docs, term_scores(float(self.idf[term_id]), self.tf[a:b], self.norms[docs], self.params.k1)

    def matching(self, query_terms: Sequence[str]) -> list[int]:
        """Passages holding any of ``query_terms``, in corpus order."""
        ids = [tid for q in dict.fromkeys(query_terms) if (tid := self.vocab.find(q)) >= 0]
        if not ids:
            return []
        return np.unique(np.concatenate([self.docs[int(self.ptr[t]) : int(self.ptr[t + 1])] for t in ids])).tolist()

    def scores(self, query_terms: Sequence[str]) -> np.ndarray:
        """BM25Okapi score of every passage for ``query_terms`` (rank-bm25's ``get_scores``)."""
        found: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}
        parts = []
        for q in query_terms:
            if q not in found:
                tid = self.vocab.find(q)
                found[q] = self.term_contributions(tid) if tid >= 0 else None
            part = found[q]
            if part is not None:
                parts.append(part)
        return accumulate(self.n_docs, parts)

    def document_terms(self, doc: int) -> list[str]:
        """Document ``doc`` as a bag of terms (term-id order, repeated ``tf`` times)."""
        at = np.flatnonzero(np.asarray(self.docs) == doc)
        tids = np.searchsorted(self.ptr, at, side="right") - 1
        return [self.vocab[int(t)] for t, n in zip(tids, self.tf[at].tolist()) for _ in range(n)]

    def save(self, d: Path) -> list[str]:
        files = self.vocab.save(d, "vocab")
        for name, arr in (("df", self.df), ("post_docs", self.docs), ("post_tf", self.tf),
                          ("doc_len", self.doc_len), ("idf", self.idf)):
            save_array(d / f"{name}.npy", arr)
            files.append(f"{name}.npy")
        return files

    @classmethod
    def load(cls, d: Path, params: BM25Params) -> Postings:
        return cls(
            params,
            StringTable.load(d, "vocab"),
            load_array(d / "df.npy", mmap=False),
            load_array(d / "post_docs.npy"),
            load_array(d / "post_tf.npy"),
            load_array(d / "doc_len.npy", mmap=False),
            load_array(d / "idf.npy", mmap=False),
        )


class DocFreq(Mapping[str, int]):
    """``term -> number of passages holding it``, read from the postings (no dict built)."""

    def __init__(self, postings: Postings) -> None:
        self._p = postings

    def __getitem__(self, term: str) -> int:
        tid = self._p.vocab.find(term) if isinstance(term, str) else -1
        if tid < 0:
            raise KeyError(term)
        return int(self._p.df[tid])

    def get(self, term: str, default=None):  # type: ignore[override]
        tid = self._p.vocab.find(term)
        return int(self._p.df[tid]) if tid >= 0 else default

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self._p.vocab.find(term) >= 0

    def __iter__(self) -> Iterator[str]:
        return iter(self._p.vocab)

    def __len__(self) -> int:
        return len(self._p.vocab)
