"""Corpus loading: the embedded default corpus, directories of ``.txt``, and ``.jsonl(.gz)``.

A corpus is a list of :class:`Article`. Problems with single files or lines are collected as
:class:`Problem` (file, line, message) so one bad line never loses the other articles; with
``strict=True`` the first problem stops loading with a :class:`CorpusError` instead.

Every corpus path is read the same way, whatever reads it (:func:`load_corpus`,
``retrieval.build``, the article count behind a progress ETA): :func:`corpus_files` is the one
file walker, :func:`read_articles` the one strictness rule and :func:`no_articles_error` the one
"nothing to index" error.
"""

from __future__ import annotations

import codecs
import gzip
import json
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .charsets import SURROGATE_RE
from .errors import CorpusError
from .segment import Segment, segment_article, source_line

__all__ = [
    "MAX_ARTICLE_CHARS",
    "Article",
    "ArticleMeta",
    "CorpusLoad",
    "Problem",
    "corpus_files",
    "derive_title",
    "iter_articles",
    "load_corpus",
    "load_default_corpus",
    "make_article",
    "no_articles_error",
    "problem_counts",
    "rest_lost",
    "read_articles",
]

#: The longest article indexed, in characters (about 150,000 words: a news article is a hundredth
#: of it). A longer one is skipped with a problem that says so: split it into several articles.
MAX_ARTICLE_CHARS = 1_000_000
TEXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
_TITLE_WORDS = 12
_WS_RE = re.compile(r"\s+")
_DETAIL_RE = re.compile(r"\s*\(.*\)\s*$")  # a problem message's trailing "(details)"
_NOT_CORPUS_FILE = "skipped: not a .txt, .jsonl or .jsonl.gz file"
#: The problem reported where a file cannot be read any further (a corrupted or truncated gzip).
REST_LOST = "the rest of the file cannot be read (corrupted or truncated): every article from this line on is lost"
#: The problem reported for a second article with an id already read (the first one is kept).
DUPLICATE_ID = "duplicate article id: kept the first one"


@dataclass(frozen=True, slots=True)
class Article:
    """One news article. ``text`` is kept verbatim: every quote is a slice of it.

    ``segments``: the article's segmentation (:func:`~retrieval.segment.segment_article`) when
    :func:`make_article` computed it, so that indexing does not segment the text again; ``None``
    for an article made otherwise (or read back from an index). Not part of equality.
    """

    id: str
    text: str
    title: str
    title_derived: bool = False
    source: str | None = None
    url: str | None = None
    date: str | None = None
    segments: tuple[Segment, ...] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ArticleMeta:
    """What names an article without its text: id, title, source, url, date (as the corpus gives them)."""

    id: str
    title: str
    source: str | None = None
    url: str | None = None
    date: str | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    """A file or line that was skipped, and why. ``rest_lost``: the file could not be read past
    ``line`` (a corrupted or truncated ``.gz``): every article from there on is lost, not one."""

    path: str
    line: int | None
    message: str
    rest_lost: bool = False

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"

    @property
    def reason(self) -> str:
        """The kind of problem, without its details: ``not valid JSON (Expecting value)`` -> ``not valid JSON``."""
        return _DETAIL_RE.sub("", self.message).strip() or self.message


def rest_lost(problems: Iterable[Problem]) -> list[Problem]:
    """The problems after which a file could not be read at all (its remaining articles lost)."""
    return [p for p in problems if p.rest_lost]


def problem_counts(problems: Iterable[Problem]) -> list[tuple[str, int]]:
    """How many problems of each :attr:`Problem.reason`, the most frequent first."""
    return Counter(p.reason for p in problems).most_common()


@dataclass(slots=True)
class CorpusLoad:
    """Articles loaded from one or more paths, and what was skipped."""

    articles: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def derive_title(text: str, segments: Sequence[Segment] | None = None) -> str:
    """A title a reader recognises: the first sentence, trimmed to a dozen words."""
    if segments is None:
        segments = segment_article(text)
    first = next((s for s in segments if s.kind in ("sentence", "heading")), None)
    head = text[first.start : first.end] if first else text
    words = _WS_RE.sub(" ", head).strip().split(" ")
    if len(words) > _TITLE_WORDS:
        return " ".join(words[:_TITLE_WORDS]) + "…"
    return " ".join(words).rstrip(" .")


def _opt_str(value: object, name: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, (str, int, float)):
        return _utf8(str(value))
    raise ValueError(f"field '{name}' must be a string")


def _utf8(text: str) -> str:
    """``text`` with any lone surrogate (a JSON ``\\ud800`` escape) as U+FFFD: no UTF-8 holds one,
    and every quote and index file is UTF-8."""
    return SURROGATE_RE.sub("\ufffd", text)


def make_article(
    id: str,
    text: str,
    title: str | None = None,
    source: str | None = None,
    url: str | None = None,
    date: str | None = None,
) -> Article:
    """Build an article, deriving its title (marked as derived) and source line when absent.

    The text is segmented here, once: the article carries its segments to the index.
    """
    if not text.strip():
        raise ValueError("empty text")
    if len(text) > MAX_ARTICLE_CHARS:
        raise ValueError(
            f"article over {MAX_ARTICLE_CHARS:,} characters: skipped, split it into several articles "
            f"({len(text):,} characters)"
        )
    derived = not (title and title.strip())
    segments = tuple(segment_article(text))
    if source is None:
        source = source_line(text, segments)
    return Article(
        id=id,
        text=text,
        title=derive_title(text, segments) if derived else title.strip(),  # type: ignore[union-attr]
        title_derived=derived,
        source=source,
        url=url,
        date=date,
        segments=segments,
    )


def _article_from_json(obj: object) -> Article:
    if not isinstance(obj, dict):
        raise ValueError("line is not a JSON object")
    if "id" not in obj or obj["id"] in (None, ""):
        raise ValueError("missing required field 'id'")
    if not isinstance(obj.get("text"), str):
        raise ValueError("missing required field 'text' (a string)")
    if not isinstance(obj["id"], (str, int)):
        raise ValueError("field 'id' must be a string")
    return make_article(
        id=_utf8(str(obj["id"])),
        text=_utf8(obj["text"]),
        title=_opt_str(obj.get("title"), "title"),
        source=_opt_str(obj.get("source"), "source"),
        url=_opt_str(obj.get("url"), "url"),
        date=_opt_str(obj.get("date"), "date"),
    )


def _open_lines(path: Path) -> Iterator[bytes]:
    """The raw lines of a ``.jsonl`` or ``.jsonl.gz`` file (each decoded by the caller: one bad
    byte costs its own line, not the rest of the file)."""
    opener: Callable[..., object] = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as fh:  # type: ignore[operator]
        yield from fh  # type: ignore[misc]


def _read_jsonl(path: Path, problems: list[Problem]) -> Iterator[Article]:
    lineno = 0
    try:
        for lineno, raw in enumerate(_open_lines(path), start=1):
            if lineno == 1 and raw.startswith(codecs.BOM_UTF8):  # a byte order mark (Windows editors)
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                problems.append(Problem(str(path), lineno, f"not valid UTF-8 (byte {e.start}: {e.reason})"))
                continue
            if not line.strip():
                continue
            try:
                yield _article_from_json(json.loads(line))
            except json.JSONDecodeError as e:
                problems.append(Problem(str(path), lineno, f"not valid JSON ({e.msg})"))
            except ValueError as e:
                problems.append(Problem(str(path), lineno, str(e)))
    except (OSError, EOFError, zlib.error) as e:
        problems.append(Problem(str(path), lineno + 1, f"{REST_LOST} ({e})", rest_lost=True))


def _read_txt(path: Path, problems: list[Problem]) -> Iterator[Article]:
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte order mark is not text
    except (UnicodeDecodeError, OSError) as e:
        problems.append(Problem(str(path), None, f"cannot read file as UTF-8 text: {e}"))
        return
    if not text.strip():
        problems.append(Problem(str(path), None, "empty file"))
        return
    try:
        yield make_article(id=path.stem, text=text)
    except ValueError as e:
        problems.append(Problem(str(path), None, str(e)))


def corpus_files(path: Path, problems: list[Problem]) -> list[Path]:
    """The corpus files of ``path``: the path itself if it is a file, else every ``.txt``,
    ``.jsonl`` and ``.jsonl.gz`` file below it in name order, skipping dotfiles (editor and
    system files) silently and any other file with a problem."""
    if path.is_file():
        return [path]
    files = []
    for p in sorted(path.rglob("*")):
        if not p.is_file() or p.name.startswith("."):
            continue
        if p.name.endswith(TEXT_SUFFIXES + JSONL_SUFFIXES):
            files.append(p)
        else:
            problems.append(Problem(str(p), None, _NOT_CORPUS_FILE))
    return files


def iter_articles(paths: Iterable[str | Path], problems: list[Problem]) -> Iterator[Article]:
    """Articles of every corpus path, in order; problems are appended as they are met."""
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise CorpusError(f"corpus path not found: {path} (give a directory of .txt files or a .jsonl file)")
        for f in corpus_files(path, problems):
            if f.name.endswith(JSONL_SUFFIXES):
                yield from _read_jsonl(f, problems)
            elif f.name.endswith(TEXT_SUFFIXES):
                yield from _read_txt(f, problems)
            else:
                problems.append(Problem(str(f), None, _NOT_CORPUS_FILE))


def read_articles(paths: Iterable[str | Path], problems: list[Problem], strict: bool = False) -> Iterator[Article]:
    """:func:`iter_articles`, and with ``strict`` a :class:`CorpusError` at the first problem.

    A problem the consumer appends to ``problems`` (a duplicate id) counts too: with ``strict``
    the next article is not read, and the problem is raised once the consumer asks for it.
    """
    for article in iter_articles(paths, problems):
        if strict and problems:
            break
        yield article
    if strict and problems:
        raise CorpusError(f"{problems[0]} (fix it, or index without --strict to skip bad lines)")


def no_articles_error(paths: Iterable[str | Path], problems: Sequence[Problem]) -> CorpusError:
    """The error for corpus ``paths`` that hold no article, naming the first problem met."""
    detail = f"; {len(problems)} problem(s), first: {problems[0]}" if problems else ""
    return CorpusError(f"no articles found in {', '.join(str(p) for p in paths)}{detail}")


def load_corpus(paths: Iterable[str | Path], strict: bool = False) -> CorpusLoad:
    """Load articles from files and directories.

    Raises :class:`CorpusError` for a missing path, an empty corpus, or (``strict``) the first
    bad file or line. Duplicate ids keep the first article and report the others.
    """
    paths = list(paths)
    load = CorpusLoad()
    seen: set[str] = set()
    for article in read_articles(paths, load.problems, strict):
        if article.id in seen:
            load.problems.append(Problem(article.id, None, DUPLICATE_ID))
            continue
        seen.add(article.id)
        load.articles.append(article)
    if not load.articles:
        raise no_articles_error(paths, load.problems)
    return load


def load_default_corpus() -> list[Article]:
    """The five Libya news articles embedded in the package."""
    folder = resources.files("retrieval") / "data" / "libya-news"
    articles = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".txt"):
            articles.append(make_article(id=entry.name.removesuffix(".txt"), text=entry.read_text("utf-8")))
    return articles
