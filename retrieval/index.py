"""The BM25 passage index: build from articles, search, save to and load from a directory.

Scoring is rank-bm25's ``BM25Okapi`` (Robertson/Sparck Jones IDF, negative IDF floored at
``epsilon * mean_idf``). A saved index is a directory of plain files, never a pickle:

* ``manifest.json``: format version, analyzer version, BM25 parameters, counts, build date,
  the corpus paths it was built from, and the SHA-256 of every other file;
* ``articles.jsonl.gz``: the articles (verbatim text and metadata);
* ``passages.json.gz``: passage and sentence offsets into the article texts;
* ``terms.npz``: the analysed passages as term ids (loaded with ``allow_pickle=False``);
* ``lexicon.txt.gz``: the attested word forms the analyzer strips clitics against.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple

import numpy as np
from rank_bm25 import BM25Okapi

from . import __version__
from .corpus import Article
from .errors import IndexLoadError
from .normalize import ANALYZER_VERSION, QUERY_PROCLITICS, Analyzer, build_lexicon
from .segment import Passage, Segment, passages, segment_article

__all__ = ["BM25Params", "FORMAT_VERSION", "Hit", "Index", "ProgressFn"]

FORMAT_VERSION = 1
_MANIFEST = "manifest.json"
_FILES = ("articles.jsonl.gz", "passages.json.gz", "terms.npz", "lexicon.txt.gz")

#: Called as ``progress(done, total)`` while building.
ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class BM25Params:
    """BM25Okapi parameters (rank-bm25 names)."""

    k1: float = 1.2
    b: float = 0.75
    epsilon: float = 0.25


class Hit(NamedTuple):
    """One scored passage."""

    passage: Passage
    score: float


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _passage_text(article: Article, passage: Passage) -> str:
    text = article.text[passage.start : passage.end]
    # A real title is part of every passage's evidence; a derived one is just its first sentence.
    return text if article.title_derived else f"{article.title}\n{text}"


class Index:
    """Passages of a corpus, their analysed terms, and a BM25Okapi scorer over them."""

    def __init__(
        self,
        articles: Sequence[Article],
        passage_list: Sequence[Passage],
        terms: list[list[str]],
        analyzer: Analyzer,
        params: BM25Params,
        built_at: str,
        sources: Sequence[str] = (),
    ) -> None:
        self.articles: dict[str, Article] = {a.id: a for a in articles}
        self.passages: list[Passage] = list(passage_list)
        self.terms = terms
        self.analyzer = analyzer
        self.params = params
        self.built_at = built_at
        self.sources = list(sources)
        self.bm25 = BM25Okapi(terms, k1=params.k1, b=params.b, epsilon=params.epsilon)
        self.df: Counter[str] = Counter(t for doc in terms for t in set(doc))

    # ----------------------------------------------------------------- building
    @classmethod
    def build(
        cls,
        articles: Iterable[Article],
        params: BM25Params = BM25Params(),
        progress: ProgressFn | None = None,
        sources: Sequence[str] = (),
    ) -> Index:
        """Segment, analyse and index ``articles``."""
        articles = list(articles)
        analyzer = Analyzer(build_lexicon(a.text for a in articles))
        plist: list[Passage] = []
        terms: list[list[str]] = []
        for i, article in enumerate(articles, start=1):
            for p in passages(article.id, article.text, segment_article(article.text)):
                plist.append(p)
                terms.append(analyzer.tokens(_passage_text(article, p)))
            if progress is not None:
                progress(i, len(articles))
        built_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        return cls(articles, plist, terms, analyzer, params, built_at, sources)

    # ----------------------------------------------------------------- searching
    @property
    def n_passages(self) -> int:
        return len(self.passages)

    def idf(self, term: str) -> float:
        """Specificity of ``term``: ``ln(1 + (N - df + 0.5) / (df + 0.5))``, always positive.

        This is the Lucene/BM25+ form of the Robertson-Sparck Jones IDF. It weighs question terms
        for the answer's confidence (never the ranking, which is rank-bm25's): unlike BM25Okapi's
        floored IDF it stays positive and ordered on tiny corpora, and a term the corpus never saw
        (df = 0) gets the highest weight.
        """
        n, df = len(self.passages), self.df.get(term, 0)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def expand(self, terms: Sequence[str]) -> dict[str, str]:
        """Search terms for analysed query ``terms``: each term, plus its clitic variants the index holds.

        The index strips a single-letter proclitic only when the bare word is attested, so a
        verb seen only as ``وافتتح`` stays whole; the query ``افتتح`` then also searches ``وافتتح``.
        Returns ``{search_term: query_term}``.
        """
        out: dict[str, str] = {}
        for t in terms:
            out.setdefault(t, t)
            for p in QUERY_PROCLITICS:
                if p + t in self.df:
                    out.setdefault(p + t, t)
        return out

    def search(self, query_terms: Sequence[str], k: int = 10) -> list[Hit]:
        """The ``k`` best passages containing any of ``query_terms``, best first.

        Scores are rank-bm25's BM25Okapi. On tiny corpora its floored IDF can be negative (every
        term in more than half the passages), so a match is a non-zero score, not a positive one.
        """
        if not query_terms or not self.passages:
            return []
        scores = self.bm25.get_scores(list(query_terms))
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((top, -scores[top]))]  # best first; ties in corpus order
        return [Hit(self.passages[i], float(scores[i])) for i in top if scores[i] != 0]

    # ----------------------------------------------------------------- persistence
    def save(self, directory: str | Path) -> Path:
        """Write the index to ``directory`` (created if needed); returns the directory."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        with gzip.open(out / "articles.jsonl.gz", "wt", encoding="utf-8") as fh:
            for a in self.articles.values():
                fh.write(json.dumps(asdict(a), ensure_ascii=False) + "\n")
        plist = [
            [p.article_id, p.start, p.end, [[s.start, s.end, s.paragraph] for s in p.sentences]]
            for p in self.passages
        ]
        with gzip.open(out / "passages.json.gz", "wt", encoding="utf-8") as fh:
            json.dump(plist, fh, ensure_ascii=False)
        vocab: dict[str, int] = {}
        ids = [vocab.setdefault(t, len(vocab)) for doc in self.terms for t in doc]
        ptr = np.cumsum([0] + [len(doc) for doc in self.terms], dtype=np.int64)
        with (out / "terms.npz").open("wb") as fh:
            np.savez_compressed(
                fh,
                ids=np.asarray(ids, dtype=np.int32),
                ptr=ptr,
                vocab=np.asarray(list(vocab), dtype=np.str_),
            )
        with gzip.open(out / "lexicon.txt.gz", "wt", encoding="utf-8") as fh:
            fh.write("\n".join(sorted(self.analyzer.lexicon)))
        manifest = {
            "format": "sanad-index",
            "format_version": FORMAT_VERSION,
            "analyzer_version": ANALYZER_VERSION,
            "sanad_version": __version__,
            "built_at": self.built_at,
            "params": asdict(self.params),
            "counts": {"articles": len(self.articles), "passages": len(self.passages)},
            "sources": self.sources,
            "files": {name: _sha256(out / name) for name in _FILES},
        }
        (out / _MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        return out

    @classmethod
    def load(cls, directory: str | Path) -> Index:
        """Load a saved index, checking its format, analyzer version and checksums."""
        d = Path(directory)
        manifest = read_manifest(d)
        rebuild = _rebuild_hint(d, manifest)
        for name in _FILES:
            path = d / name
            if not path.is_file():
                raise IndexLoadError(f"index file missing: {path}. {rebuild}")
            if _sha256(path) != manifest["files"].get(name):
                raise IndexLoadError(f"index file corrupted (checksum mismatch): {path}. {rebuild}")
        try:
            with gzip.open(d / "articles.jsonl.gz", "rt", encoding="utf-8") as fh:
                articles = [Article(**json.loads(line)) for line in fh if line.strip()]
            by_id = {a.id: a for a in articles}
            with gzip.open(d / "passages.json.gz", "rt", encoding="utf-8") as fh:
                raw = json.load(fh)
            plist = []
            counters: dict[str, int] = {}
            for aid, start, end, sents in raw:
                n = counters.get(aid, 0)
                counters[aid] = n + 1
                segs = tuple(Segment("sentence", s, e, para) for s, e, para in sents)
                plist.append(Passage(f"{aid}#{n}", aid, start, end, segs))
                if aid not in by_id:
                    raise ValueError(f"passage of unknown article {aid}")
            with np.load(d / "terms.npz", allow_pickle=False) as z:
                ids, ptr, vocab = z["ids"], z["ptr"], z["vocab"].tolist()
            terms = [[vocab[i] for i in ids[ptr[j] : ptr[j + 1]]] for j in range(len(ptr) - 1)]
            with gzip.open(d / "lexicon.txt.gz", "rt", encoding="utf-8") as fh:
                lexicon = frozenset(fh.read().split("\n")) - {""}
            params = BM25Params(**manifest["params"])
        except (OSError, ValueError, KeyError, TypeError, EOFError) as e:
            raise IndexLoadError(f"index at {d} cannot be read ({e}). {rebuild}") from e
        if len(terms) != len(plist):
            raise IndexLoadError(f"index at {d} is inconsistent (passages and terms differ). {rebuild}")
        return cls(articles, plist, terms, Analyzer(lexicon), params, manifest["built_at"], manifest.get("sources", []))


def read_manifest(d: Path) -> dict:
    """The manifest of a saved index, validated; raises :class:`IndexLoadError`."""
    path = d / _MANIFEST
    if not d.is_dir():
        raise IndexLoadError(f"no index directory at {d}: build one with `sanad index CORPUS_PATH --out {d}`")
    if not path.is_file():
        raise IndexLoadError(f"{d} is not a Sanad index (no {_MANIFEST}): build one with `sanad index CORPUS_PATH --out {d}`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or manifest.get("format") != "sanad-index":
            raise ValueError("not a sanad-index manifest")
    except (ValueError, UnicodeDecodeError) as e:
        raise IndexLoadError(f"index manifest {path} is corrupted ({e}): rebuild with `sanad index CORPUS_PATH --out {d}`") from e
    rebuild = _rebuild_hint(d, manifest)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexLoadError(
            f"index at {d} has format version {manifest.get('format_version')}, this Sanad reads {FORMAT_VERSION}. {rebuild}"
        )
    if manifest.get("analyzer_version") != ANALYZER_VERSION:
        raise IndexLoadError(
            f"index at {d} was analysed with analyzer version {manifest.get('analyzer_version')}, "
            f"this Sanad uses {ANALYZER_VERSION}. {rebuild}"
        )
    return manifest


def _rebuild_hint(d: Path, manifest: dict) -> str:
    sources = " ".join(manifest.get("sources") or []) or "CORPUS_PATH"
    return f"Rebuild it with `sanad index {sources} --out {d}`."

