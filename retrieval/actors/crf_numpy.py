"""The CRF tagger's decoding in NumPy: CRFsuite's own weights, CRFsuite's arithmetic, its tags.

:class:`CrfModel` is read from the CRFsuite model file itself (:func:`read_model`: the labels,
the attributes and every feature's weight as the file stores them, 8-byte doubles; the text of
``Tagger.dump()`` prints weights to 6 decimals and is no use here). :class:`Decoder` tags
sentences with it as CRFsuite does, a batch of sentences at a time:

* **state scores**: CRFsuite scores token *t* for label *l* by starting from 0.0 and adding, for
  each attribute of the item in the order it is listed, the weight of the feature (attribute,
  *l*) (``crf1dt_state_score``; an attribute the model lacks is dropped when the item is read).
  Here the same float64 weights are added in the same order; an attribute without a feature for
  *l* adds 0.0, which leaves a sum unchanged. The token's own attributes
  (:meth:`.features.Featurizer.own`) depend only on its surface, so their running sum is kept per
  surface; the attributes it shows its neighbours (``_Info.seen``: its context features, by
  offset), the bigram and the pattern
  attributes are then added one by one, vectorised over all the tokens of a batch;
* **Viterbi** (``crf1dc_viterbi``): ``max_i(alpha[t-1, i] + trans[i, j]) + state[t, j]``, the
  first best ``i`` on a tie, the first best last label; vectorised over the sentences of a batch.

So the scores are CRFsuite's bit for bit and the tags are its tags (``tests/test_crf_decoder.py``
compares them on ANERcorp and archive sentences with python-crfsuite as the reference), about
ten times faster: no feature strings are built per token, no ``ItemSequence``.

Per-surface rows are kept for up to :data:`~.spans.CACHE_SIZE` surfaces, then dropped all at
once and rebuilt as tokens come (the output never depends on what is cached).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from typing import NamedTuple

import numpy as np

from .features import Featurizer
from .spans import CACHE_SIZE

__all__ = ["BATCH_TOKENS", "CrfModel", "Decoder", "read_model", "token_batches", "viterbi"]

#: Tokens decoded in one batch (bounds the arrays of a batch: about 2 KB per token).
BATCH_TOKENS = 16_384


def token_batches(sentences: Iterable[Sequence[str]], limit: int = BATCH_TOKENS) -> Iterator[list[Sequence[str]]]:
    """``sentences`` in consecutive batches of about ``limit`` tokens (the last may be smaller)."""
    batch: list[Sequence[str]] = []
    n = 0
    for s in sentences:
        batch.append(s)
        n += len(s)
        if n >= limit:
            yield batch
            batch, n = [], 0
    if batch:
        yield batch
_KINDS = ("", "adj", "title", "orghead", "placehead")  # what :func:`.features.kind` returns
_ADJ = 1


class CrfModel(NamedTuple):
    """A CRFsuite model as arrays: ``state[a, l]`` is the weight of attribute ``a`` for label
    ``l`` (0.0 where the model has no such feature; the last row, :attr:`pad`, is all zeros) and
    ``trans[i, j]`` the weight of label ``i`` followed by label ``j``."""

    labels: tuple[str, ...]
    attrs: dict[str, int]
    state: np.ndarray  # (attributes + 1, labels) float64
    trans: np.ndarray  # (labels, labels) float64

    @property
    def pad(self) -> int:
        """The id of the all-zero row: an attribute the model does not have."""
        return len(self.state) - 1


def _cqdb(data: bytes, base: int, count: int) -> list[str]:
    """The strings of a CRFsuite CQDB chunk at ``base``, by id (``ValueError`` if malformed)."""
    if data[base : base + 4] != b"CQDB":
        raise ValueError("no CQDB chunk where the header points")
    size, _flag, _order, n, bwd = struct.unpack_from("<5I", data, base + 4)
    if n != count or base + size > len(data) or bwd + 4 * n > size:
        raise ValueError("a CQDB chunk does not match the header")
    out = []
    for i, off in enumerate(struct.unpack_from(f"<{n}I", data, base + bwd)):
        if off + 8 > size:
            raise ValueError("a CQDB record is outside its chunk")
        vid, ksize = struct.unpack_from("<2I", data, base + off)
        key = data[base + off + 8 : base + off + 8 + ksize]
        if vid != i or ksize < 1 or off + 8 + ksize > size or key[-1:] != b"\0":
            raise ValueError("a CQDB record is malformed")
        out.append(key[:-1].decode("utf-8"))
    return out


def read_model(data: bytes) -> CrfModel:
    """The labels, attributes and weights of a CRFsuite (``crf1d``) model file's bytes.

    Raises ``ValueError`` (or ``struct.error``/``UnicodeDecodeError``) when the bytes are no such
    model; callers check the file's checksum first.
    """
    if data[:4] != b"lCRF" or data[8:12] != b"FOMC":
        raise ValueError("not a CRFsuite model")
    _version, _nf, n_labels, n_attrs, off_feat, off_labels, off_attrs = struct.unpack_from("<7I", data, 12)
    labels = _cqdb(data, off_labels, n_labels)
    attrs = _cqdb(data, off_attrs, n_attrs)
    if data[off_feat : off_feat + 4] != b"FEAT":
        raise ValueError("no feature chunk where the header points")
    size, n_feat = struct.unpack_from("<2I", data, off_feat + 4)
    if 12 + 20 * n_feat != size or off_feat + size > len(data):
        raise ValueError("the feature chunk does not match its size")
    feats = np.frombuffer(
        data, dtype=np.dtype([("type", "<u4"), ("src", "<u4"), ("dst", "<u4"), ("w", "<f8")]), count=n_feat,
        offset=off_feat + 12,
    )
    st, tr = feats[feats["type"] == 0], feats[feats["type"] == 1]
    if len(st) + len(tr) != n_feat or np.any(st["src"] >= n_attrs) or np.any(st["dst"] >= n_labels) \
            or np.any(tr["src"] >= n_labels) or np.any(tr["dst"] >= n_labels):
        raise ValueError("a feature refers to no label or attribute")
    state = np.zeros((n_attrs + 1, n_labels), np.float64)
    state[st["src"].astype(np.intp), st["dst"].astype(np.intp)] = st["w"]
    trans = np.zeros((n_labels, n_labels), np.float64)
    trans[tr["src"].astype(np.intp), tr["dst"].astype(np.intp)] = tr["w"]
    return CrfModel(tuple(labels), {a: i for i, a in enumerate(attrs)}, state, trans)


def viterbi(state: np.ndarray, lens: np.ndarray, trans: np.ndarray) -> np.ndarray:
    """Best label paths of a batch, as ``crf1dc_viterbi`` finds them: ``state`` (B, T, L) scores of
    sentences of ``lens`` tokens (each at least 1, in ascending order; padding is never read);
    (B, T) label ids. Step ``k`` only touches the sentences longer than ``k`` (a suffix)."""
    b, t, n_labels = state.shape
    first = np.searchsorted(lens, np.arange(t), side="right")  # the rows longer than k start here
    alpha = state[:, 0].copy()
    back = np.zeros((t, b, n_labels), np.int8 if n_labels < 128 else np.int32)
    for k in range(1, t):
        f = first[k]
        cand = alpha[f:, :, None] + trans  # (rows, from, to)
        back[k, f:] = cand.argmax(1)  # the first best on a tie, as CRFsuite's strict comparison
        alpha[f:] = cand.max(1) + state[f:, k]
    cur = alpha.argmax(1)
    out = np.zeros((b, t), np.intp)
    rows = np.arange(b)
    for k in range(t - 1, 0, -1):
        f = first[k]
        out[f:, k] = cur[f:]
        cur[f:] = back[k, rows[f:], cur[f:]]
    out[:, 0] = cur
    return out


def _padded(lists: list[list[int]], pad: int) -> np.ndarray:
    """``lists`` as the rows of a matrix, each filled up with ``pad`` (at least one column)."""
    lens = np.fromiter(map(len, lists), np.intp, len(lists))
    out = np.full((len(lists), max(1, int(lens.max(initial=0)))), pad, np.int32)
    total = int(lens.sum())
    if total:
        flat = np.fromiter(chain.from_iterable(lists), np.int32, total)
        starts = np.repeat(np.cumsum(lens) - lens, lens)
        out[np.repeat(np.arange(len(lists)), lens), np.arange(total) - starts] = flat
    return out


class _Table:
    """Per-surface rows: the running sum of the surface's own attributes' weights, the ids of
    the attributes it shows a token at each offset, its bigram codes and its kind."""

    def __init__(self, n_labels: int, pad: int) -> None:
        self.pad = pad
        self.ids: dict[str, int] = {}
        cap = 1024
        self.own = np.zeros((cap, n_labels), np.float64)
        self.seen = {d: np.full((cap, 1), pad, np.int32) for d in (-2, -1, 1, 2)}
        self.left = np.full(cap, -1, np.int64)  # bigram code of the stem (-1: in no bigram)
        self.kind = np.zeros(cap, np.int8)

    def __len__(self) -> int:
        return len(self.ids)

    def clear(self) -> None:
        self.ids.clear()

    def reserve(self, n: int) -> None:
        cap = len(self.own)
        if n <= cap:
            return
        new = max(n, 2 * cap)
        self.own = np.resize(self.own, (new, self.own.shape[1]))
        self.seen = {d: np.vstack((s, np.full((new - cap, s.shape[1]), self.pad, np.int32))) for d, s in self.seen.items()}
        self.left = np.concatenate((self.left, np.full(new - cap, -1, np.int64)))
        self.kind = np.concatenate((self.kind, np.zeros(new - cap, np.int8)))

    def widen(self, d: int, width: int) -> None:
        s = self.seen[d]
        if width > s.shape[1]:
            self.seen[d] = np.hstack((s, np.full((len(s), width - s.shape[1]), self.pad, np.int32)))


class Decoder:
    """Tags sentences with a :class:`CrfModel` and the :class:`~.features.Featurizer` it was
    trained with, exactly as CRFsuite would. Not thread-safe (per-surface rows are cached)."""

    def __init__(self, model: CrfModel, featurizer: Featurizer, cache_size: int = CACHE_SIZE) -> None:
        self.model = model
        self.featurizer = featurizer
        self.cache_size = max(1, cache_size)
        groups = featurizer.groups
        self._ctx = "context" in groups
        self._bigram = "bigram" in groups
        self._pattern = "pattern" in groups
        attrs, pad = model.attrs, model.pad
        self._table = _Table(len(model.labels), pad)
        # What a token at offset d sees of its neighbour is "d:<its ctx/near feature>": by d, the
        # feature -> attribute id (no string built per surface).
        self._seen_ids: dict[int, dict[str, int]] = {d: {} for d in (-2, -1, 1, 2)}
        for name, i in attrs.items():
            head, sep, rest = name.partition(":")
            if sep and head in ("-2", "-1", "1", "2"):
                self._seen_ids[int(head)][rest] = i
        self._bound = {d: attrs.get(f"{d}:BOUND", pad) for d in (-1, 1)}
        self._kind_attr = np.array([attrs.get("L=" + k, pad) if k not in ("", "adj") else pad for k in _KINDS], np.intp)
        # Bigram attributes "bg-=A|B" / "bg+=A|B" as sorted integer keys code(A) * K + code(B); a
        # name with several '|' is entered under every split (the lookup builds the same string).
        codes: dict[str, int] = {"BOUND": 0}
        pairs: dict[str, list[tuple[str, str, int]]] = {"-": [], "+": []}
        for name, i in attrs.items():
            if name.startswith(("bg-=", "bg+=")):
                body = name[4:]
                for k, ch in enumerate(body):
                    if ch == "|":
                        a, b = body[:k], body[k + 1 :]
                        codes.setdefault(a, len(codes))
                        codes.setdefault(b, len(codes))
                        pairs[name[2]].append((a, b, i))
        self._codes = codes
        self._k = max(1, len(codes))
        self._bg: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for side, rows in pairs.items():
            keys = np.array([codes[a] * self._k + codes[b] for a, b, _ in rows], np.int64)
            ids = np.array([i for _, _, i in rows], np.intp)
            order = np.argsort(keys, kind="stable")
            self._bg[side] = (keys[order], ids[order])

    # ------------------------------------------------------------------ tagging
    def tag(self, tokens: Sequence[str]) -> list[str]:
        """Labels of one sentence's tokens."""
        return next(self.tag_sentences([tokens])) if tokens else []

    def tag_sentences(self, sentences: Iterable[Sequence[str]]) -> Iterator[list[str]]:
        """Labels of each sentence, lazily: sentences are read and decoded in batches of about
        :data:`BATCH_TOKENS` tokens."""
        for batch in token_batches(sentences):
            yield from self.decode(batch)

    def decode(
        self, sents: Sequence[Sequence[str]], extras: Sequence[Sequence[Sequence[str]]] | None = None
    ) -> list[list[str]]:
        """Labels of each of ``sents``, decoded together; ``extras``, when given, are more features
        of each token of each sentence (what its document says of it:
        :meth:`.features.Featurizer.document`)."""
        labels = self.model.labels
        out: list[list[str]] = [[] for _ in sents]
        live = [i for i, s in enumerate(sents) if len(s)]
        if not live:
            return out
        flat = [w for i in live for w in sents[i]]
        if len(self._table) + len(flat) > self.cache_size:
            self._table.clear()
        sid = self._surface_ids(flat)
        lens = np.array([len(sents[i]) for i in live], np.intp)
        state = self._state(sid, lens)
        if extras is not None:
            attrs = self.model.attrs
            rows: list[int] = []
            cols: list[int] = []
            k = 0
            for i in live:
                for feats in extras[i]:
                    for f in feats:
                        a = attrs.get(f)
                        if a is not None:
                            rows.append(k)
                            cols.append(a)
                    k += 1
            if rows:
                np.add.at(state, np.array(rows, np.intp), self.model.state[np.array(cols, np.intp)])
        # Sentences of similar lengths are decoded together (little padding).
        order = np.argsort(lens, kind="stable")
        starts = np.concatenate(([0], np.cumsum(lens)[:-1]))
        lo = 0
        while lo < len(order):
            hi, width = lo, 0
            while hi < len(order) and (hi - lo + 1) * max(width, lens[order[hi]]) <= max(BATCH_TOKENS, lens[order[hi]]):
                width = max(width, int(lens[order[hi]]))
                hi += 1
            group = order[lo:hi]
            glens = lens[group]
            idx = starts[group][:, None] + np.minimum(np.arange(width)[None, :], glens[:, None] - 1)
            paths = viterbi(state[idx], glens, self.model.trans)
            for row, g in enumerate(group.tolist()):
                out[live[g]] = [labels[j] for j in paths[row, : glens[row]].tolist()]
            lo = hi
        return out

    # ------------------------------------------------------------------ state scores
    def _surface_ids(self, flat: list[str]) -> np.ndarray:
        table = self._table
        ids = table.ids
        sid = [ids.get(w, -1) for w in flat]
        new: dict[str, int] = {}
        for k, w in enumerate(flat):
            if sid[k] < 0:
                i = new.get(w)
                if i is None:
                    i = new[w] = len(ids) + len(new)
                sid[k] = i
        if new:
            self._add(list(new))
        return np.array(sid, np.intp)

    def _add(self, surfaces: list[str]) -> None:
        """Rows for ``surfaces`` (numbered after the table's), own sums added in attribute order."""
        table, attrs, pad = self._table, self.model.attrs, self.model.pad
        first = len(table.ids)
        table.reserve(first + len(surfaces))
        infos = [self.featurizer.compute(w) for w in surfaces]
        rows = slice(first, first + len(surfaces))
        own = _padded([[a for a in map(attrs.get, info.own) if a is not None] for info in infos], pad)
        acc = np.zeros((len(surfaces), self.model.state.shape[1]), np.float64)
        for k in range(own.shape[1]):
            acc += self.model.state[own[:, k]]
        table.own[rows] = acc
        for e in (-2, -1, 1, 2):  # info.seen(e): what the token at offset e sees, "{-e}:" + feature
            ids = self._seen_ids[-e]
            if e in (-1, 1):
                seen = [[a for a in map(ids.get, info.ctx + info.near) if a is not None] for info in infos]
            else:
                seen = [[a for a in map(ids.get, info.ctx) if a is not None] for info in infos]
            block = _padded(seen, pad)
            table.widen(e, block.shape[1])
            table.seen[e][rows] = pad
            table.seen[e][rows, : block.shape[1]] = block
        codes = self._codes
        table.left[rows] = [codes.get(info.stem, -1) for info in infos]
        table.kind[rows] = [_KINDS.index(info.kind) for info in infos]
        for i, w in enumerate(surfaces):
            table.ids[w] = first + i

    def _bigram_ids(self, side: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        keys, ids = self._bg[side]
        if not len(keys):
            return np.full(len(a), self.model.pad, np.intp)
        q = a * self._k + b
        pos = np.minimum(np.searchsorted(keys, q), len(keys) - 1)
        return np.where((a >= 0) & (b >= 0) & (keys[pos] == q), ids[pos], self.model.pad)

    def _state(self, sid: np.ndarray, lens: np.ndarray) -> np.ndarray:
        """State scores (tokens, labels) of the concatenated sentences of ``lens`` tokens."""
        table, w, pad = self._table, self.model.state, self.model.pad
        n = len(sid)
        pos = np.arange(n) - np.repeat(np.cumsum(lens) - lens, lens)  # position in its sentence
        size = np.repeat(lens, lens)
        state = table.own[sid]  # a copy: fancy indexing
        if self._bigram:
            code = table.left[sid]
            prev = np.where(pos > 0, np.roll(code, 1), 0)  # 0: "BOUND"
            nxt = np.where(pos + 1 < size, np.roll(code, -1), 0)
            state += w[self._bigram_ids("-", prev, code)]
            state += w[self._bigram_ids("+", code, nxt)]
        if self._ctx:
            for d in (-2, -1, 1, 2):
                inside = (pos + d >= 0) & (pos + d < size)
                block = table.seen[-d][sid[np.clip(np.arange(n) + d, 0, n - 1)]]
                block[~inside] = pad
                if d in (-1, 1):
                    block[~inside, 0] = self._bound[d]
                for k in range(block.shape[1]):
                    col = block[:, k]
                    if k < 3:  # the form, stem and shape of (nearly) every neighbour
                        state += w[col]
                    else:  # sparser: only the rows with an attribute here (adding 0.0 changes nothing)
                        rows = np.flatnonzero(col != pad)
                        state[rows] += w[col[rows]]
        if self._pattern:
            kind = table.kind[sid]

            def at(back: int) -> np.ndarray:
                return np.where(pos >= back, np.roll(kind, back), 0)

            a1 = at(1) == _ADJ
            a2 = a1 & (at(2) == _ADJ)
            a3 = a2 & (at(3) == _ADJ)
            # A head left of 1-3 modifiers: at i-2 (one modifier), i-3 (two) or i-4 (three).
            head = np.where(a3, at(4), np.where(a2, at(3), np.where(a1, at(2), 0)))
            state += w[self._kind_attr[head]]
        return state
