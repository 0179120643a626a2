"""The character-aware neural NER tagger: char CNN + word/stem embeddings + BiLSTM + CRF (NumPy).

    >>> from retrieval.actors.neural import NeuralTagger
    >>> tagger = NeuralTagger.load()
    >>> tagger.tag("قال المبعوث الأممي مارتن كوبلر".split())
    ['O', 'O', 'O', 'B-PERS', 'I-PERS']

Per token: embeddings of the normalized form and of its clitic-free stem (:func:`.features.stem`),
a character CNN over the normalized form (max-pooled), and a few binary features the CRF also
uses (shape, trigger-word lists of :mod:`.words`, modifier, the curated place list, a stripped
proclitic). A one-layer BiLSTM reads them and a linear-chain CRF layer decodes (Viterbi).

Trained with PyTorch by ``sanad train neural``; *inference is NumPy only*
(torch is no runtime dependency): the weights are ``data/neural.npz`` (plain arrays, read with
``allow_pickle=False``: nothing in it can run code) and ``data/neural.json`` (vocabularies, tag
set, dimensions, dev figures, the weights' SHA-256 checked before loading). Sentences are tagged
in length-sorted batches. Not thread-safe (use it under :class:`.backend.LockedTagger`).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ..charsets import ARABIC_ONLY_RE
from ..errors import ModelLoadError
from .spans import clitic_analyses
from .word_features import TRIGGERS as _TRIGGERS
from .word_features import is_modifier, normalize, shape, stem, trigger_flags

__all__ = ["DEFAULT_WEIGHTS", "FORMAT", "Encoder", "NeuralTagger", "read_side", "share_cores", "viterbi"]

DATA = Path(__file__).resolve().parent / "data"
DEFAULT_WEIGHTS = DATA / "neural.npz"
REBUILD = "sanad train neural"
FORMAT = 1
MAX_CHARS = 24  # characters of a token the CNN reads (a longer token is cut)
MAX_LEN = 256  # a longer sentence is tagged in pieces
BATCH = 64  # sentences per batch
#: BLAS threads while tagging (bounded with threadpoolctl when installed): at most 2, and never
#: more than the cores this process may use (more threads than cores spin: 50x slower).
#: Inputs shorter than this (tokens) are tagged on one BLAS thread.
SMALL_INPUT = 512
THREADS = max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))
PAD, UNK = 0, 1
_SHAPES = ("E", "Q", "P", "M") + tuple(f"{s}{k}" for s in "ALD" for k in "1234")
FLAGS = tuple(name for name, _ in _TRIGGERS) + ("stop", "for")
#: Features per token: shapes, trigger flags, modifier, curated place, stripped clitic (binary),
#: then for the form and for the stem: seen in training, and the share of each tag (O, PERS, LOC, ORG, MISC).
N_FEATS = len(_SHAPES) + len(FLAGS) + 3 + 12
_GAZ = len(_SHAPES) + len(FLAGS) + 3
Counts = dict[str, list[int]]


def share_cores(processes: int) -> None:
    """Lower :data:`THREADS` for one of ``processes`` taggers sharing this machine's cores (the index
    workers): together they run no more BLAS threads than there are cores."""
    global THREADS
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    THREADS = max(1, min(THREADS, cores // max(1, processes)))


def _shares(f: np.ndarray, at: int, counts: Sequence[int] | None) -> None:
    total = sum(counts) if counts else 0
    if total > 0:
        f[at] = 1.0
        f[at + 1 : at + 6] = np.asarray(counts, np.float32) / total


class Encoder:
    """Token -> (word id, stem id, char ids, binary features), from the vocabularies of the side file."""

    def __init__(
        self,
        words: Sequence[str],
        stems: Sequence[str],
        chars: Sequence[str],
        places: Iterable[str],
        stats: Counts | None = None,
        stem_stats: Counts | None = None,
    ) -> None:
        # id 0 is padding, 1 unknown: the lists start at id 2
        self.words = {w: i + 2 for i, w in enumerate(words)}
        self.stems = {w: i + 2 for i, w in enumerate(stems)}
        self.chars = {c: i + 2 for i, c in enumerate(chars)}
        self.vocab = frozenset(words)
        self.places = frozenset(places)
        self.stats = stats or {}
        self.stem_stats = stem_stats or {}
        self._cache: dict[str, tuple[int, int, list[int], np.ndarray]] = {}

    def token(self, surface: str) -> tuple[int, int, list[int], np.ndarray]:
        hit = self._cache.get(surface)
        if hit is not None:
            return hit
        n = normalize(surface) if surface else ""
        sh = shape(surface)
        arabic = sh[0] == "A"
        s = stem(n, self.vocab) if arabic else n
        f = np.zeros(N_FEATS, np.float32)
        f[_SHAPES.index(sh)] = 1.0
        if arabic:
            base = len(_SHAPES)
            for flag in trigger_flags(n):
                f[base + FLAGS.index(flag)] = 1.0
            base += len(FLAGS)
            f[base] = float(is_modifier(n))
            keys = (
                [a.key for a in clitic_analyses(n)] if ARABIC_ONLY_RE.match(n) else [n]
            )
            f[base + 1] = float(any(k in self.places for k in keys))
            f[base + 2] = float(s != n)
        _shares(f, _GAZ, self.stats.get(n))
        _shares(f, _GAZ + 6, self.stem_stats.get(s))
        chars = [self.chars.get(c, UNK) for c in n[:MAX_CHARS]] or [UNK]
        hit = (self.words.get(n, UNK), self.stems.get(s, UNK), chars, f)
        if len(self._cache) < 200_000:
            self._cache[surface] = hit
        return hit

    def batch(self, sents: Sequence[Sequence[str]]) -> dict[str, np.ndarray]:
        """Padded arrays of a batch of non-empty sentences: ``word``, ``stem`` (B, T), ``char``
        (B, T, C), ``feat`` (B, T, F), ``mask`` (B, T) and ``lens`` (B,)."""
        return pack([[self.token(w) for w in s] for s in sents])


def pack(
    toks: Sequence[Sequence[tuple[int, int, list[int], np.ndarray]]],
) -> dict[str, np.ndarray]:
    """Padded arrays of encoded sentences (see :meth:`Encoder.batch`)."""
    b, t = len(toks), max(len(s) for s in toks)
    c = max(len(x[2]) for s in toks for x in s)
    out = {
        "word": np.zeros((b, t), np.int64),
        "stem": np.zeros((b, t), np.int64),
        "char": np.zeros((b, t, max(c, 3)), np.int64),
        "feat": np.zeros((b, t, N_FEATS), np.float32),
        "mask": np.zeros((b, t), bool),
        "lens": np.array([len(s) for s in toks], np.int64),
    }
    for i, s in enumerate(toks):
        for j, (w, st, ch, f) in enumerate(s):
            out["word"][i, j] = w
            out["stem"][i, j] = st
            out["char"][i, j, : len(ch)] = ch
            out["feat"][i, j] = f
            out["mask"][i, j] = True
    return out


def viterbi(
    emit: np.ndarray,
    lens: np.ndarray,
    trans: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
) -> list[list[int]]:
    """Best tag paths of a batch: ``emit`` (B, T, K) scores, ``trans[i, j]`` for tag i -> j."""
    b, t, _ = emit.shape
    score = start[None, :] + emit[:, 0]
    back = np.zeros((t, b, emit.shape[2]), np.int64)
    for k in range(1, t):
        cand = score[:, :, None] + trans[None, :, :]
        best = cand.argmax(1)
        new = np.take_along_axis(cand, best[:, None, :], 1)[:, 0] + emit[:, k]
        live = (k < lens)[:, None]
        score = np.where(live, new, score)
        back[k] = best
    out = []
    for i in range(b):
        n = int(lens[i])
        tag = int((score[i] + end).argmax())
        path = [tag]
        for k in range(n - 1, 0, -1):
            tag = int(back[k, i, tag])
            path.append(tag)
        out.append(path[::-1])
    return out


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _lstm(
    x: np.ndarray, lens: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """One LSTM direction over padded ``x`` (B, T, I), PyTorch gate order (i, f, g, o)."""
    bsz, t, _ = x.shape
    h_dim = w_hh.shape[1]
    pre = x @ w_ih.T + b
    h = np.zeros((bsz, h_dim), np.float32)
    c = np.zeros((bsz, h_dim), np.float32)
    out = np.zeros((bsz, t, h_dim), np.float32)
    for k in range(t):
        g = pre[:, k] + h @ w_hh.T
        i, f, gg, o = (g[:, j * h_dim : (j + 1) * h_dim] for j in range(4))
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(gg)
        h = _sigmoid(o) * np.tanh(c)
        out[:, k] = h
    return out * (np.arange(t)[None, :] < lens[:, None])[:, :, None]


def reverse_padded(x: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Each row's first ``lens[i]`` steps reversed (padding stays at the end)."""
    t = x.shape[1]
    idx = np.arange(t)[None, :]
    rev = np.where(idx < lens[:, None], lens[:, None] - 1 - idx, idx)
    return np.take_along_axis(x, rev.reshape(rev.shape + (1,) * (x.ndim - 2)), 1)


def emissions(w: dict[str, np.ndarray], arr: dict[str, np.ndarray]) -> np.ndarray:
    """Tag scores (B, T, K) of an encoded batch (the network without the CRF layer)."""
    ch = w["char_emb"][arr["char"]]  # B, T, C, E
    b, t, c, e = ch.shape
    k = w["conv_w"].shape[2]  # conv_w: (filters, E, k), padding k // 2
    padded = np.zeros((b, t, c + k - 1, e), np.float32)
    padded[:, :, k // 2 : k // 2 + c] = ch
    windows = np.stack([padded[:, :, j : j + c] for j in range(k)], -1)  # B, T, C, E, k
    conv = (
        np.tensordot(windows, w["conv_w"], axes=([3, 4], [1, 2])) + w["conv_b"]
    )  # B, T, C, filters
    valid = (arr["char"] != PAD)[..., None]
    conv = np.where(valid, conv, -1e4).max(2)
    conv = np.maximum(conv, 0.0) * arr["mask"][..., None]
    x = np.concatenate(
        [w["word_emb"][arr["word"]], w["stem_emb"][arr["stem"]], conv, arr["feat"]], -1
    )
    x = x.astype(np.float32)
    lens = arr["lens"]
    fwd = _lstm(x, lens, w["lstm_w_ih"], w["lstm_w_hh"], w["lstm_b"])
    bwd = reverse_padded(
        _lstm(
            reverse_padded(x, lens),
            lens,
            w["lstm_w_ih_r"],
            w["lstm_w_hh_r"],
            w["lstm_b_r"],
        ),
        lens,
    )
    return np.concatenate([fwd, bwd], -1) @ w["out_w"].T + w["out_b"]


def _load_error(what: str, cause: BaseException | None = None) -> ModelLoadError:
    err = ModelLoadError(f"neural NER model {what}. Rebuild it with `{REBUILD}`.")
    err.__cause__ = cause
    return err


def read_side(path: str | Path | None = None) -> dict:
    """The side file of the weights at ``path`` (default: the shipped ones), without the weights:
    vocabularies, tags, dev figures. :class:`ModelLoadError` if it is missing or corrupted."""
    side = (Path(path) if path is not None else DEFAULT_WEIGHTS).with_suffix(".json")
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
    except OSError as e:
        raise _load_error(f"file {e.filename} cannot be read ({e.strerror or e})", e) from e
    except (UnicodeDecodeError, ValueError) as e:
        raise _load_error(f"side file {side} is corrupted ({e})", e) from e
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _load_error(f"side file {side} has an unknown format")
    return meta


class NeuralTagger:
    """A loaded neural tagger; build it with :meth:`load`."""

    def __init__(self, weights: dict[str, np.ndarray], meta: dict, path: Path) -> None:
        self.w = weights
        self.meta = meta
        self.tags: list[str] = list(meta["tags"])
        self.path = path
        v = meta["vocab"]
        self.encoder = Encoder(
            v["words"],
            v["stems"],
            v["chars"],
            v["places"],
            v.get("stats"),
            v.get("stem_stats"),
        )

    @classmethod
    def load(cls, path: str | Path | None = None) -> NeuralTagger:
        """Load ``neural.npz`` and its side file ``neural.json``; :class:`ModelLoadError` if
        either is missing, corrupted, or does not match the other."""
        path = Path(path) if path is not None else DEFAULT_WEIGHTS
        side = path.with_suffix(".json")
        meta = read_side(path)
        try:
            data = path.read_bytes()
        except OSError as e:
            raise _load_error(f"file {e.filename} cannot be read ({e.strerror or e})", e) from e
        if hashlib.sha256(data).hexdigest() != meta.get("weights_sha256"):
            raise _load_error(f"file {path} is corrupted (its checksum does not match {side.name})")
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                weights = {k: z[k].astype(np.float32) for k in z.files}
            tagger = cls(weights, meta, path)
        except (KeyError, TypeError, ValueError, OSError) as e:
            raise _load_error(f"file {path} or {side.name} is corrupted ({e})", e) from e
        return tagger

    def tag(self, tokens: Sequence[str]) -> list[str]:
        """BIO tags of one sentence's tokens."""
        return self.tag_sentences([tokens])[0]

    def tag_sentences(self, sentences: Iterable[Sequence[str]]) -> list[list[str]]:
        """Tags of each sentence (batched by length; empty sentences get no tags), on at most
        :data:`THREADS` BLAS threads, and on one below :data:`SMALL_INPUT` tokens (a question:
        its matrices are too small to share, and idle BLAS threads spinning beside the bot's
        answer threads cost more CPU than the tagging itself)."""
        sents = [list(s) for s in sentences]
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # optional: without it NumPy's own thread setting applies
            return self._tag(sents)
        with threadpool_limits(1 if sum(map(len, sents)) < SMALL_INPUT else THREADS):
            return self._tag(sents)

    def _tag(self, sents: list[list[str]]) -> list[list[str]]:
        pieces: list[tuple[int, int, list[str]]] = []  # sentence, offset, tokens
        for i, s in enumerate(sents):
            pieces.extend((i, k, s[k : k + MAX_LEN]) for k in range(0, len(s), MAX_LEN))
        out: list[list[str]] = [["O"] * len(s) for s in sents]
        order = sorted(range(len(pieces)), key=lambda p: len(pieces[p][2]))
        for lo in range(0, len(order), BATCH):
            chunk = [pieces[p] for p in order[lo : lo + BATCH]]
            arr = self.encoder.batch([c[2] for c in chunk])
            emit = emissions(self.w, arr)
            paths = viterbi(
                emit,
                arr["lens"],
                self.w["crf_trans"],
                self.w["crf_start"],
                self.w["crf_end"],
            )
            for (i, k, toks), path in zip(chunk, paths):
                out[i][k : k + len(toks)] = [self.tags[j] for j in path]
        return out
