"""An article and what names it: :class:`Article` (text, title, source, date, url, its segments),
:class:`ArticleMeta`, :func:`make_article` (checks and fills in a title), the :class:`Problem` a
corpus file or line can have, and the five embedded articles (:func:`load_default_corpus`).
Reading corpus files safely, every format: :mod:`retrieval.corpus_files`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources

from .charsets import SURROGATE_RE
from .segment import Segment, segment_article, source_line

__all__ = [
    "DUPLICATE_ID", "MAX_ARTICLE_CHARS", "Article", "ArticleMeta", "Problem", "article_from_json", "derive_title",
    "load_default_corpus", "make_article", "problem_counts", "rest_lost",
]  # fmt: skip

#: The longest article indexed, in characters (about 150,000 words: a news article is a hundredth
#: of it). A longer one is skipped with a problem that says so: split it into several articles.
MAX_ARTICLE_CHARS = 1_000_000
_TITLE_WORDS = 12
_WS_RE = re.compile(r"\s+")
_DETAIL_RE = re.compile(r"\s*\(.*\)\s*$")  # a problem message's trailing "(details)"
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




































def article_from_json(obj: object) -> Article:
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


def load_default_corpus() -> list[Article]:
    """The five Libya news articles embedded in the package."""
    folder = resources.files("retrieval") / "data" / "libya-news"
    articles = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".txt"):
            articles.append(make_article(id=entry.name.removesuffix(".txt"), text=entry.read_text("utf-8")))
    return articles
