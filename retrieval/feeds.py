"""News feeds as articles: URLs, feed items and a page's main text (pure: bytes in, values out).

* :func:`normalize_url` gives one spelling of an article's address (scheme and host in lower case,
  default ports, fragments and tracking parameters such as ``utm_*`` dropped), so the same report
  reached through two links is one article; :func:`article_id` names it in the index.
* :func:`parse_feed` reads RSS 2.0 and Atom with **feedparser** into :class:`FeedItem` values.
* :func:`extract_text` takes a page's main text with **trafilatura** (menus, related links and
  comments left out); :func:`item_article` makes the :class:`~retrieval.corpus.Article`, with the
  feed item's title, date, outlet and link where the page lacks them, and the feed's own text when
  the page gives none.

Fetching (HTTP, timeouts, caps, politeness) is the front end's: :mod:`bot.follow`.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .corpus import Article, make_article
from .errors import FeedError

__all__ = [
    "FeedError", "FeedItem", "article_id", "extract_text", "item_article", "normalize_url", "parse_feed", "text_key",
]

#: Query parameters that say where a click came from, not which page it is.
TRACKING = re.compile(r"^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid|ref|ref_src|igshid)$", re.IGNORECASE)
#: Less text than this from a page (a menu, a caption) is no article: the feed's own text is used.
MIN_PAGE_CHARS = 100
_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t\u00a0]+")


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry of a feed: its (normalized) link, title, date (ISO, UTC) and the feed's own text."""

    url: str
    title: str
    date: str | None
    summary: str
    outlet: str


def normalize_url(url: str) -> str:
    """One spelling of a web address: ``HTTPS://Example.COM:443/a?utm_source=x&id=3#top`` →
    ``https://example.com/a?id=3``."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING.match(k)])
    return urlunsplit((scheme, host, parts.path or "/", query, ""))


def article_id(url: str) -> str:
    """The index id of the article at ``url`` (its normalized form, hashed: ``feed-3f2a…``)."""
    return "feed-" + hashlib.sha256(normalize_url(url).encode("utf-8")).hexdigest()[:20]


#: A text's fingerprint reads this many characters of it (normalized): a report reposted under an
#: unrelated URL with a new footer is still the same report.
TEXT_KEY_CHARS = 2000


def text_key(text: str) -> str:
    """A fingerprint of an article's text: its first :data:`TEXT_KEY_CHARS` letters and digits
    after Arabic normalization (diacritics, tatweel, alef/yeh/teh marbuta forms, punctuation and
    spacing ignored), hashed. Two pages of one report share it; two reports do not."""
    from .normalize import dediac_ar, normalize_token, normalize_unicode

    words = [normalize_token(w) for w in re.findall(r"\w+", dediac_ar(normalize_unicode(text)))]
    flat = " ".join(w for w in words if w)[:TEXT_KEY_CHARS]
    return hashlib.sha256(flat.encode("utf-8")).hexdigest()[:20]


def _plain(html: str) -> str:
    return _SPACES.sub(" ", _TAGS.sub(" ", html)).strip()


def _iso(parsed: object) -> str | None:
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC).date().isoformat()  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None


def parse_feed(data: bytes, feed_url: str) -> list[FeedItem]:
    """The items of an RSS or Atom document, in the feed's order (items without a link left out).

    Raises :class:`FeedError` when ``data`` is no feed (not XML, or XML without a channel or
    entries)."""
    import feedparser

    parsed = feedparser.parse(data)
    if parsed.bozo and not parsed.entries:
        raise FeedError(feed_url, f"not an RSS or Atom feed ({parsed.get('bozo_exception', 'unreadable')})")
    if not parsed.get("version") and not parsed.entries:
        raise FeedError(feed_url, "not an RSS or Atom feed (no channel and no entries)")
    outlet = _plain(parsed.feed.get("title", "")) or (urlsplit(feed_url).hostname or feed_url)
    items = []
    for e in parsed.entries:
        link = e.get("link") or ""
        if not link.startswith(("http://", "https://")):
            continue
        content = e.get("content") or []
        text = content[0].get("value", "") if content else e.get("summary", "")
        items.append(FeedItem(
            url=normalize_url(link),
            title=_plain(e.get("title", "")),
            date=_iso(e.get("published_parsed") or e.get("updated_parsed")),
            summary=_plain(text),
            outlet=outlet,
        ))  # fmt: skip
    return items


def extract_text(html: bytes | str, url: str) -> str | None:
    """The main text of an article page (paragraphs kept, boilerplate dropped), or ``None`` when
    the page holds less than :data:`MIN_PAGE_CHARS` of it.

    trafilatura first favours precision; a page it then finds nothing in (an older site that lays
    the article out in a table) is read again with its balanced settings (``bench/extraction.py``).
    No cross-page deduplication: a paragraph two reports share stays in both."""
    import trafilatura

    for precise in (True, False):
        text = trafilatura.extract(html, url=url, include_comments=False, include_tables=False, favor_precision=precise)
        text = (text or "").strip()
        if len(text) >= MIN_PAGE_CHARS:
            return text
    return None


def item_article(item: FeedItem, page_text: str | None) -> Article:
    """The article of a feed item: the page's text, else the feed's own (raises ``ValueError``
    when both are empty)."""
    text = page_text or item.summary
    return make_article(
        id=article_id(item.url), text=text, title=item.title or None, source=item.outlet, url=item.url, date=item.date
    )
