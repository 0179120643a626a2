"""Following news feeds into an index (``sanad follow``): fetch, extract, add, remember.

One read (:func:`follow_once`) asks every feed for what is new (``ETag``/``If-Modified-Since``),
fetches each new item's page (:class:`Fetcher`: timeouts, a size cap, bounded redirects, a
``User-Agent`` naming Sanad, one request at a time per host with a delay, http/https to public
addresses only unless ``allow_private``), takes its main text (:func:`retrieval.feeds.extract_text`;
the feed's own text when the page gives none, said in the log) and adds the new articles to the
index through the incremental path (:meth:`retrieval.index.Index.add`), under the index's writer
lock. An article is added once: its id is its normalized URL (:func:`retrieval.feeds.article_id`),
and the index remembers every id it holds. A feed's ``ETag``, last success, newest date and
failures in a row are kept beside the index (``DIR.feeds.json``: the index directory itself is
swapped on every save). A failing feed or page is named with its reason and never stops the others.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from retrieval import Article, FeedError

__all__ = [
    "FAILING_AFTER", "FeedReport", "FeedState", "Fetcher", "FollowRead", "feed_lines", "follow_once",
    "state_path",
]

log = logging.getLogger(__name__)

USER_AGENT = "Sanad/0.1 (news question answering; follows the feeds its operator configured)"
#: A page (or feed) larger than this is not read further.
MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
TIMEOUT_S = 10.0
#: Seconds between two requests to the same host.
HOST_DELAY_S = 1.0


class FetchError(Exception):
    """A URL that could not be fetched; the message is the reason (``timeout``, ``HTTP 404``…)."""


@dataclass(frozen=True, slots=True)
class Page:
    url: str
    status: int
    content: bytes
    headers: dict[str, str]


def _public(host: str) -> bool:
    """Every address ``host`` resolves to is a public one (no loopback, private, link-local...)."""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError as e:
        raise FetchError(f"cannot resolve {host} ({e.strerror or e})") from e
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified:
            return False
    return True


class Fetcher:
    """HTTP GETs with Sanad's limits (see the module docstring); not thread-safe."""

    def __init__(
        self,
        allow_private: bool = False,
        timeout_s: float = TIMEOUT_S,
        max_bytes: int = MAX_BYTES,
        max_redirects: int = MAX_REDIRECTS,
        host_delay_s: float = HOST_DELAY_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import httpx

        self.allow_private = allow_private
        self.max_bytes = max_bytes
        self.host_delay_s = host_delay_s
        self._sleep = sleep
        self._last: dict[str, float] = {}
        self._client = httpx.Client(
            follow_redirects=True, max_redirects=max_redirects, timeout=httpx.Timeout(timeout_s),
            headers={"User-Agent": USER_AGENT}, event_hooks={"request": [self._check]},
        )  # fmt: skip

    def close(self) -> None:
        self._client.close()

    def _check(self, request: object) -> None:
        """Every request, redirects included: http/https only, public hosts only, the host's delay."""
        url = request.url  # type: ignore[attr-defined]
        if url.scheme not in ("http", "https"):
            raise FetchError(f"only http and https are fetched, not {url.scheme}")
        host = url.host
        if not self.allow_private and not _public(host):
            raise FetchError(f"{host} is a private or loopback address (SANAD_FEEDS_ALLOW_PRIVATE=1 allows it)")
        wait = self._last.get(host, -1e9) + self.host_delay_s - time.monotonic()
        if wait > 0:
            self._sleep(wait)
        self._last[host] = time.monotonic()

    def get(self, url: str, headers: dict[str, str] | None = None) -> Page:
        import httpx

        try:
            with self._client.stream("GET", url, headers=headers or {}) as resp:
                if resp.status_code == 304:
                    return Page(str(resp.url), 304, b"", dict(resp.headers))
                if resp.status_code >= 400:
                    raise FetchError(f"HTTP {resp.status_code}")
                chunks, size = [], 0
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FetchError(f"larger than {self.max_bytes // (1024 * 1024)} MB, not read further")
                    chunks.append(chunk)
                return Page(str(resp.url), resp.status_code, b"".join(chunks), dict(resp.headers))
        except httpx.TooManyRedirects:
            raise FetchError(f"more than {MAX_REDIRECTS} redirects") from None
        except httpx.TimeoutException:
            raise FetchError("timeout") from None
        except httpx.HTTPError as e:
            raise FetchError(type(e).__name__ + (f": {e}" if str(e) else "")) from None


@dataclass
class FeedState:
    """What Sanad remembers of one feed between reads."""

    etag: str | None = None
    modified: str | None = None
    last_ok: str | None = None
    newest: str | None = None
    failures: int = 0
    last_error: str | None = None
    moved_to: str | None = None


@dataclass
class FeedReport:
    """What one read of one feed did."""

    feed: str
    new: int = 0
    known: int = 0
    failed: int = 0
    reasons: list[str] = field(default_factory=list)
    error: str | None = None
    not_modified: bool = False

    def line(self) -> str:
        if self.error:
            return f"feed {self.feed}: failed ({self.error})"
        if self.not_modified:
            return f"feed {self.feed}: not modified"
        why = f" ({', '.join(sorted(set(self.reasons)))})" if self.reasons else ""
        return f"feed {self.feed}: {self.new} new, {self.known} already indexed, {self.failed} failed{why}"


def state_path(index_dir: str | Path) -> Path:
    """Where the feeds' state of an index lives: beside it (``news`` → ``news.feeds.json``)."""
    p = Path(index_dir)
    return p.with_name(p.name + ".feeds.json")


#: A feed failing this many reads in a row is reported (``sanad sources``), never retried faster.
FAILING_AFTER = 3


def feed_lines(index_dir: str | Path) -> list[str]:
    """One line a followed feed of the index: last good read, newest article, failures in a row."""
    out = []
    for url, st in sorted(load_state(index_dir).items()):
        line = f"feed {url}: last read {st.last_ok or 'never'}, newest article {st.newest or '—'}"
        if st.failures >= FAILING_AFTER:
            line += f"; FAILING, {st.failures} reads in a row ({st.last_error})"
        elif st.failures:
            line += f"; last read failed ({st.last_error})"
        if st.moved_to:
            line += f"; moved to {st.moved_to}"
        out.append(line)
    return out


#: Text fingerprints remembered (the newest): a report reposted under an unrelated URL is added once.
MAX_TEXT_KEYS = 20_000


def _load(index_dir: str | Path) -> tuple[dict[str, FeedState], list[str]]:
    try:
        raw = json.loads(state_path(index_dir).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, []
    except (OSError, ValueError) as e:
        log.warning("follow: %s unreadable (%s): feeds start afresh", state_path(index_dir), e)
        return {}, []
    fields = FeedState.__dataclass_fields__
    feeds = {url: FeedState(**{k: v for k, v in d.items() if k in fields}) for url, d in raw.get("feeds", {}).items()}
    return feeds, [str(t) for t in raw.get("texts", [])]


def load_state(index_dir: str | Path) -> dict[str, FeedState]:
    """What Sanad remembers of each feed followed into the index at ``index_dir``."""
    return _load(index_dir)[0]


def save_state(index_dir: str | Path, states: dict[str, FeedState], texts: Sequence[str] = ()) -> None:
    path = state_path(index_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    data = {"feeds": {u: asdict(s) for u, s in sorted(states.items())}, "texts": list(texts)[-MAX_TEXT_KEYS:]}
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)


def _read_feed(
    feed: str, state: FeedState, fetcher: Fetcher, known: set[str], texts: dict[str, None], report: FeedReport
) -> list[Article]:
    """The new articles of one feed (``report`` filled in): an item is new when neither its URL
    (``known`` ids) nor its text (``texts`` fingerprints) was seen; raises :class:`FetchError`/:class:`FeedError`."""
    from retrieval import article_id, extract_text, item_article, parse_feed, text_key

    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.modified:
        headers["If-Modified-Since"] = state.modified
    page = fetcher.get(feed, headers)
    if page.status == 304:
        report.not_modified = True
        return []
    if page.url != feed:
        state.moved_to = page.url  # a 301 the operator may want to write into SANAD_FEEDS
    state.etag = page.headers.get("etag")
    state.modified = page.headers.get("last-modified")
    items = parse_feed(page.content, feed)
    articles = []
    for item in items:
        aid = article_id(item.url)
        if aid in known:
            report.known += 1
            continue
        known.add(aid)
        text = None
        try:
            text = extract_text(fetcher.get(item.url).content, item.url)
            if text is None:
                log.info("follow: %s: no article text in the page; the feed's own text is used", item.url)
        except FetchError as e:
            log.warning("follow: %s: page not fetched (%s); the feed's own text is used", item.url, e)
            report.reasons.append(str(e))
        try:
            article = item_article(item, text)
        except ValueError as e:
            report.failed += 1
            report.reasons.append(f"{item.url}: {e}")
            continue
        key = text_key(article.text)
        if key in texts:
            log.info("follow: %s: the text of an article already indexed (another URL): not added again", item.url)
            report.known += 1
            continue
        texts[key] = None
        articles.append(article)
        report.new += 1
        if item.date and (state.newest is None or item.date > state.newest):
            state.newest = item.date
    return articles


@dataclass(frozen=True)
class FollowRead:
    """One read of every feed: a report a feed, the articles added (their ids), the seconds adding took."""

    reports: list[FeedReport]
    added: int
    index_seconds: float
    articles: int
    new_ids: tuple[str, ...] = ()

    def lines(self, index_dir: str | Path) -> list[str]:
        out = [r.line() for r in self.reports]
        if self.added:
            out.append(f"index {index_dir}: +{self.added} articles in {self.index_seconds:.1f}s (now {self.articles})")
        return out


def follow_once(feeds: Sequence[str], index_dir: str | Path, fetcher: Fetcher, tagger: str = "auto") -> FollowRead:
    """Read every feed once and add what is new to the index at ``index_dir`` (created when absent)."""
    from retrieval import Index, index_writer

    index_dir = Path(index_dir)
    states, seen_texts = _load(index_dir)
    texts = dict.fromkeys(seen_texts)  # ordered: the oldest are forgotten first
    with index_writer(index_dir, waiting=lambda note: sys.stderr.write(f"sanad: {note}\n")):
        base = Index.load(index_dir) if (index_dir / "manifest.json").exists() else None
        known = set(base.articles) if base is not None else set()
        reports, articles = [], []
        for feed in feeds:
            state = states.setdefault(feed, FeedState())
            report = FeedReport(feed)
            try:
                articles += _read_feed(feed, state, fetcher, known, texts, report)
            except (FetchError, FeedError) as e:
                report.error = e.reason if isinstance(e, FeedError) else str(e)
                state.failures += 1
                state.last_error = report.error
            else:
                state.failures, state.last_error = 0, None
                state.last_ok = datetime.now(UTC).replace(microsecond=0).isoformat()
            reports.append(report)
        t0 = time.perf_counter()
        total = len(base.articles) if base is not None else 0
        if articles:
            index = base.add(articles, tagger=tagger) if base is not None else Index.build(articles, tagger=tagger)
            index.save(index_dir)
            total = len(index.articles)
        seconds = time.perf_counter() - t0
    save_state(index_dir, states, list(texts))
    return FollowRead(reports, len(articles), seconds, total, tuple(a.id for a in articles))
