"""The trained Arabic named-entity tagger: a linear-chain CRF over ANERcorp (offline).

    >>> from retrieval.actors.tagger import Tagger, tokenize
    >>> tagger = Tagger.load()
    >>> toks = tokenize("علي قوات الزعيم الليبي معمر القذافي.")
    >>> tagger.tag(toks)
    ['O', 'O', 'O', 'O', 'B-PERS', 'I-PERS', 'O']

Tags are BIO over ``PERS``, ``ORG``, ``LOC`` and ``MISC``. The model is two files written by
``sanad train ner``: ``ner-crf.crfsuite`` (CRFsuite weights) and
``ner-crf.json`` (feature settings, the training word statistics the gazetteer features use,
and the model's SHA-256, checked before the model is opened). Neither file can run code.
Loading takes a few tens of milliseconds; one :class:`Tagger` may be reused for any number of
sentences (not from several threads at once). Batches of sentences are decoded in NumPy from the
model's own weights (:mod:`.crf_numpy`: CRFsuite's tags, exactly, several times faster); a
question, too short to pay for that, and :meth:`Tagger.tag_crfsuite` (the reference) ask
python-crfsuite itself.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from ..errors import ModelLoadError
from .crf_numpy import BATCH_TOKENS, Decoder, read_model
from .features import FEATURE_GROUPS, Featurizer, Lists, runs
from .spans import TOKEN_RE, token_spans

__all__ = ["DEFAULT_MODEL", "REBUILD", "TOKEN_RE", "Tagger", "token_spans", "tokenize"]

DEFAULT_MODEL = Path(__file__).resolve().parent / "data" / "ner-crf.crfsuite"
REBUILD = "sanad train ner"
SIDE_FORMAT = 1
#: Fewer tokens than this (a question, a short sentence) are tagged by CRFsuite itself: the NumPy
#: decoder's fixed cost per call (~0.3 ms) is more than CRFsuite spends on them.
SMALL_INPUT = 100


def _header_ok(data: bytes) -> bool:
    """A CRFsuite model header: magic ``lCRF``, the file's own size, offsets inside it."""
    if len(data) < 48 or data[:4] != b"lCRF" or data[8:12] != b"FOMC":
        return False
    size = struct.unpack_from("<I", data, 4)[0]
    offsets = struct.unpack_from("<5I", data, 28)
    return size == len(data) and all(0 < o <= size for o in offsets)


def tokenize(text: str) -> list[str]:
    """Split raw text into ANERcorp-style tokens (words and single punctuation marks)."""
    return TOKEN_RE.findall(text)


class Tagger:
    """A loaded CRF model; build it with :meth:`load`."""

    def __init__(self, crf: object, featurizer: Featurizer, path: Path, data: bytes, doc_block: int = 0) -> None:
        self._crf = crf
        #: Sentences read as one document where no article says what a document is (the model's
        #: training blocks; 0: a model without ``document`` features).
        self.doc_block = doc_block
        self._data = data  # CRFsuite reads the model in place: the bytes must outlive it
        self.featurizer = featurizer
        self.path = path
        self._decoder: Decoder | None = None

    @property
    def decoder(self) -> Decoder:
        """The NumPy decoder of this model (its weights read from the file on first use, ~0.1 s)."""
        if self._decoder is None:
            try:
                weights = read_model(self._data)
            except (ValueError, struct.error, UnicodeDecodeError) as e:
                err = ModelLoadError(f"NER model file {self.path} is corrupted ({e}). Rebuild it with `{REBUILD}`.")
                raise err from e
            self._decoder = Decoder(weights, self.featurizer)
        return self._decoder

    @classmethod
    def load(cls, path: str | Path | None = None) -> Tagger:
        """Load a model file (the shipped one by default) and its JSON side file.

        Raises :class:`~retrieval.errors.ModelLoadError` naming the file and the rebuild
        command when either file is missing, unreadable, or does not match the other.
        """
        model = Path(path) if path is not None else DEFAULT_MODEL
        side = model.with_suffix(".json")

        def fail(what: str, cause: BaseException | None = None) -> ModelLoadError:
            err = ModelLoadError(f"NER model {what}. Rebuild it with `{REBUILD}` (a few minutes).")
            err.__cause__ = cause
            return err

        try:
            data = model.read_bytes()
        except OSError as e:
            raise fail(f"file {model} cannot be read ({e.strerror or e})", e) from e
        try:
            meta = json.loads(side.read_text(encoding="utf-8"))
        except OSError as e:
            raise fail(f"side file {side} cannot be read ({e.strerror or e})", e) from e
        except (UnicodeDecodeError, ValueError) as e:
            raise fail(f"side file {side} is corrupted ({e})", e) from e
        try:
            if meta["format"] != SIDE_FORMAT:
                raise fail(f"side file {side} has format {meta['format']!r}, expected {SIDE_FORMAT}")
            digest = meta["model_sha256"]
            groups = meta["groups"]
            stats = meta["stats"]
            stem_stats = meta["stem_stats"]
            if not isinstance(stats, dict) or not isinstance(stem_stats, dict):
                raise TypeError("stats")
            if not isinstance(groups, list) or not set(groups) <= set(FEATURE_GROUPS):
                raise TypeError("groups")
        except (KeyError, TypeError) as e:
            raise fail(f"side file {side} is corrupted (missing or invalid {e})", e) from e
        if hashlib.sha256(data).hexdigest() != digest or not _header_ok(data):
            # Checked before CRFsuite sees the bytes: it crashes on a truncated or damaged model.
            raise fail(f"file {model} is corrupted (its checksum does not match {side.name})")

        import pycrfsuite

        crf = pycrfsuite.Tagger()
        try:
            crf.open_inmemory(data)
        except (ValueError, OSError) as e:
            raise fail(f"file {model} is corrupted ({e})", e) from e
        lists = meta.get("lists") or {}
        featurizer = Featurizer(
            stats.keys(), stats, groups, stem_stats, places=meta.get("places", []),
            lists=Lists(lists.get("names", {}), lists.get("typed", {})),
        )
        return cls(crf, featurizer, model, data, int(meta.get("doc_block", 0)))

    def tag(self, tokens: Sequence[str]) -> list[str]:
        """BIO tags (``B-PERS``, ``I-ORG``, ``O`` ...) of one sentence's tokens."""
        if not tokens:
            return []
        return self._tag_batch([tokens], self.featurizer.document([tokens]))[0]

    def tag_sentences(self, sentences: Iterable[Sequence[str]]) -> Iterator[list[str]]:
        """Tags of each sentence, lazily (a generator over ``sentences``). With no articles to say
        what a document is, every :attr:`doc_block` sentences from the first are read as one
        (as the model was trained); documents are decoded in batches of about
        :data:`~.crf_numpy.BATCH_TOKENS` tokens, which change no tag."""
        batch: list[list[Sequence[str]]] = []
        n = 0
        for doc in runs(sentences, self.doc_block or 1):
            batch.append(doc)
            n += sum(map(len, doc))
            if n >= BATCH_TOKENS:
                yield from (tags for d in self.tag_documents(batch) for tags in d)
                batch, n = [], 0
        if batch:
            yield from (tags for d in self.tag_documents(batch) for tags in d)

    def tag_documents(self, documents: Sequence[Sequence[Sequence[str]]]) -> list[list[list[str]]]:
        """Tags of each sentence of each document (an article), all decoded together."""
        sents = [s for doc in documents for s in doc]
        extras = [e for doc in documents for e in self.featurizer.document(doc)]
        flat = iter(self._tag_batch(sents, extras))
        return [[next(flat) for _ in doc] for doc in documents]

    def _tag_batch(self, batch: Sequence[Sequence[str]], extras: Sequence[Sequence[Sequence[str]]]) -> list[list[str]]:
        """A batch below :data:`SMALL_INPUT` tokens (a question) goes to CRFsuite, which has no
        per-call cost to amortise; a larger one to the NumPy decoder. The tags are the same."""
        if sum(map(len, batch)) < SMALL_INPUT:
            return [self._crfsuite(s, e) for s, e in zip(batch, extras)]
        return self.decoder.decode(batch, extras)

    def tag_crfsuite(self, tokens: Sequence[str]) -> list[str]:
        """:meth:`tag` as CRFsuite computes it, from the feature strings (the reference the
        NumPy decoder is tested against; several times slower)."""
        return self.tag_document_crfsuite([tokens])[0]

    def tag_document_crfsuite(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        """The tags of one document's sentences as CRFsuite computes them (the reference)."""
        extras = self.featurizer.document(sentences)
        return [self._crfsuite(s, e) for s, e in zip(sentences, extras)]

    def _crfsuite(self, tokens: Sequence[str], extras: Sequence[Sequence[str]]) -> list[str]:
        if not tokens:
            return []
        feats = [f + list(e) for f, e in zip(self.featurizer.sentence(tokens), extras)]
        return list(self._crf.tag(feats))

    def tag_text(self, text: str) -> list[tuple[str, str]]:
        """``(token, tag)`` pairs of raw text (one sentence or a short paragraph)."""
        toks = tokenize(text)
        return list(zip(toks, self.tag(toks)))
