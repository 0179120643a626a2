"""Following feeds (bot/follow.py, retrieval/feeds.py) against a news site served on 127.0.0.1.

The site is built here from the embedded articles: an RSS feed and an Atom feed whose items link
to article pages with menus, related links and comments around the Arabic text.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from bot.follow import (
    Fetcher,
    FetchError,
    feed_lines,
    follow_once,
    load_state,
    state_path,
)
from bot.settings import parse_every
from retrieval.errors import FeedError
from retrieval.feeds import article_id, extract_text, normalize_url, parse_feed
from retrieval.index import Index

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[1]
LIBYA = sorted((ROOT / "retrieval" / "data" / "libya-news").glob("*.txt"))

Route = Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]]


class Site:
    """A local web server: ``routes[path] -> (status, headers, body)``, requests recorded."""

    def __init__(self) -> None:
        self.routes: dict[str, Route | tuple[int, dict[str, str], bytes]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                site.requests.append((self.path, dict(self.headers)))
                route = site.routes.get(self.path.split("?")[0])
                if route is None:
                    status, headers, body = 404, {}, b"not found"
                else:
                    status, headers, body = route(self) if callable(route) else route
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def site():
    s = Site()
    yield s
    s.close()


def paragraphs(path: Path) -> list[str]:
    return [p.strip() for p in path.read_text(encoding="utf-8").split("\n") if len(p.strip()) > 40]


def page(title: str, paras: list[str]) -> bytes:
    """An article page with a site's boilerplate around it."""
    menu = "".join(f'<li><a href="/section/{i}">قسم {i}</a></li>' for i in range(12))
    related = "".join(f'<li><a href="/old/{i}">خبر ذو صلة رقم {i} عن الأحداث في المنطقة</a></li>' for i in range(8))
    body = "".join(f"<p>{escape(p)}</p>" for p in paras)
    return f"""<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{escape(title)} - موقع الأخبار</title></head>
<body><header><nav><ul>{menu}</ul></nav></header>
<main><article><h1>{escape(title)}</h1>{body}</article>
<aside><h2>أخبار ذات صلة</h2><ul>{related}</ul></aside>
<section class="comments"><h2>التعليقات</h2><div class="comment">تعليق: شكرا على الخبر المفيد جدا</div></section></main>
<footer>جميع الحقوق محفوظة © موقع الأخبار 2016</footer></body></html>""".encode()


def rss(site: Site, items: list[tuple[str, str, str]], title: str = "أخبار ليبيا") -> bytes:
    """An RSS 2.0 feed of ``(path, title, summary)`` items."""
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>{site.base}{p}</link><description>{escape(s)}</description>"
        f"<pubDate>Mon, 0{k + 1} Mar 2016 08:00:00 GMT</pubDate></item>"
        for k, (p, t, s) in enumerate(items)
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}</title>{entries}</channel></rss>'.encode()


def atom(site: Site, items: list[tuple[str, str, str]]) -> bytes:
    """An Atom feed without dates."""
    entries = "".join(
        f'<entry><title>{escape(t)}</title><link href="{site.base}{p}"/><id>{p}</id><summary>{escape(s)}</summary></entry>'
        for p, t, s in items
    )
    return f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>وكالة الأخبار</title>{entries}</feed>'.encode()


def publish(site: Site, k: int, path: str | None = None) -> tuple[str, str, str]:
    """Serve embedded article ``k`` as a page; return its feed item."""
    paras = paragraphs(LIBYA[k])
    path = path or f"/news/{k}.html"
    title = paras[0][:60]
    site.routes[path.split("?")[0]] = (200, {"Content-Type": "text/html; charset=utf-8"}, page(title, paras))
    return path, title, paras[0]


def fetcher() -> Fetcher:
    return Fetcher(allow_private=True, timeout_s=1.0, max_bytes=2 * 1024 * 1024, host_delay_s=0.0)


# --------------------------------------------------------------------------- pure parts
def test_urls_are_normalized_and_tracking_is_dropped() -> None:
    assert normalize_url("HTTPS://Example.COM:443/a/b?utm_source=x&id=3&utm_medium=rss#top") == "https://example.com/a/b?id=3"
    assert normalize_url("http://example.com:8080") == "http://example.com:8080/"
    a = article_id("https://site.ly/n/1?utm_campaign=feed")
    assert a == article_id("https://SITE.ly/n/1") != article_id("https://site.ly/n/2")
    assert parse_every("90s") == 90 and parse_every("10m") == 600 and parse_every("1h") == 3600 and parse_every("2") == 120
    with pytest.raises(ValueError):
        parse_every("0m")


def test_the_page_text_is_the_article_without_the_boilerplate() -> None:
    paras = paragraphs(LIBYA[2])
    text = extract_text(page(paras[0][:60], paras), "http://127.0.0.1/x.html")
    got = [" ".join(line.split()) for line in (text or "").split("\n") if line.strip()]
    assert sum(" ".join(p.split()) in got for p in paras) >= 0.9 * len(paras)  # spaces as the page shows them
    assert not any("قسم" in line or "ذو صلة" in line or "تعليق" in line or "الحقوق" in line for line in got)


def test_a_malformed_feed_is_refused_with_its_url() -> None:
    with pytest.raises(FeedError, match="not an RSS or Atom feed"):
        parse_feed(b"<html><body>not a feed</body></html>", "http://x/feed")


# --------------------------------------------------------------------------- following
def test_first_read_then_only_the_new_item_then_not_modified(site: Site, tmp_path: Path) -> None:
    items = [publish(site, 0), publish(site, 1)]
    etag = {"v": '"v1"'}

    def feed(h: BaseHTTPRequestHandler):
        if h.headers.get("If-None-Match") == etag["v"]:
            return 304, {"ETag": etag["v"]}, b""
        return 200, {"Content-Type": "application/rss+xml", "ETag": etag["v"]}, rss(site, items)

    site.routes["/rss"] = feed
    idx = tmp_path / "news"
    f = fetcher()
    first = follow_once([f"{site.base}/rss"], idx, f, tagger="rules")
    assert first.added == 2 and first.articles == 2
    assert first.reports[0].line() == f"feed {site.base}/rss: 2 new, 0 already indexed, 0 failed"
    index = Index.load(idx)
    assert len(index.articles) == 2
    art = index.articles[article_id(f"{site.base}/news/0.html")]
    assert art.url == f"{site.base}/news/0.html" and art.source == "أخبار ليبيا" and art.date == "2016-03-01"
    assert " ".join(paragraphs(LIBYA[0])[1].split()) in art.text and "جميع الحقوق" not in art.text

    assert follow_once([f"{site.base}/rss"], idx, f, tagger="rules").reports[0].not_modified
    items.append(publish(site, 2))
    etag["v"] = '"v2"'
    third = follow_once([f"{site.base}/rss"], idx, f, tagger="rules")
    assert third.lines(idx)[1] == f"index {idx}: +1 articles in {third.index_seconds:.1f}s (now 3)"
    assert third.reports[0].line() == f"feed {site.base}/rss: 1 new, 2 already indexed, 0 failed"
    assert len(Index.load(idx).articles) == 3
    state = load_state(idx)[f"{site.base}/rss"]
    assert state.etag == '"v2"' and state.failures == 0 and state.newest == "2016-03-03"
    assert state_path(idx).name == "news.feeds.json"
    assert all(h.get("User-Agent", "").startswith("Sanad/") for _, h in site.requests)


def test_bad_pages_fall_back_to_the_feed_text_and_bad_feeds_stop_nothing(site: Site, tmp_path: Path) -> None:
    ok = publish(site, 3)

    def slow(_: BaseHTTPRequestHandler):
        time.sleep(2.5)
        return 200, {}, b"<html></html>"

    site.routes["/slow.html"] = slow
    site.routes["/empty.html"] = (200, {"Content-Type": "text/html"}, b"<html><body><nav>menu</nav></body></html>")
    site.routes["/huge.html"] = (200, {"Content-Type": "text/html"}, b"<p>" + b"x" * (20 * 1024 * 1024) + b"</p>")
    site.routes["/loop.html"] = (302, {"Location": "/loop.html"}, b"")
    summary = "قال المبعوث الأممي مارتن كوبلر إن الحوار الليبي سيستأنف الأسبوع المقبل في تونس بحضور الأطراف."
    items = [ok, ("/slow.html", "بطيء", summary + " 1"), ("/empty.html", "فارغ", summary + " 2"),
             ("/huge.html", "ضخم", summary + " 3"), ("/loop.html", "حلقة", summary + " 4"),
             ("/nothing.html", "لا شيء", "")]  # fmt: skip
    site.routes["/rss"] = (200, {"Content-Type": "application/rss+xml"}, rss(site, items))
    site.routes["/broken"] = (200, {"Content-Type": "text/html"}, b"<html>no feed here</html>")
    site.routes["/gone"] = (404, {}, b"")
    site.routes["/moved"] = (301, {"Location": "/rss2"}, b"")
    site.routes["/rss2"] = (200, {}, atom(site, [publish(site, 4, "/news/4.html?utm_source=atom")]))
    idx = tmp_path / "news"
    reports = follow_once([f"{site.base}/broken", f"{site.base}/rss", f"{site.base}/gone", f"{site.base}/moved"],
                          idx, fetcher(), tagger="rules").reports  # fmt: skip
    lines = [r.line() for r in reports]
    assert lines[0].startswith(f"feed {site.base}/broken: failed (not an RSS or Atom feed")
    assert lines[1].startswith(f"feed {site.base}/rss: 5 new, 0 already indexed, 1 failed (")
    for reason in ("timeout", "larger than 2 MB", "more than 5 redirects", "HTTP 404"):
        assert reason in lines[1], (reason, lines[1])
    assert lines[2] == f"feed {site.base}/gone: failed (HTTP 404)"
    assert lines[3] == f"feed {site.base}/moved: 1 new, 0 already indexed, 0 failed"
    index = Index.load(idx)
    for path, k in (("/slow.html", 1), ("/empty.html", 2), ("/huge.html", 3), ("/loop.html", 4)):
        assert index.articles[article_id(site.base + path)].text == f"{summary} {k}"
    atom_article = index.articles[article_id(f"{site.base}/news/4.html")]  # utm dropped, no date in Atom
    assert atom_article.date is None and atom_article.source == "وكالة الأخبار"
    states = load_state(idx)
    assert states[f"{site.base}/moved"].moved_to == f"{site.base}/rss2"
    assert states[f"{site.base}/gone"].failures == 1 and states[f"{site.base}/broken"].failures == 1
    follow_once([f"{site.base}/gone"], idx, fetcher(), tagger="rules")
    assert load_state(idx)[f"{site.base}/gone"].failures == 2
    follow_once([f"{site.base}/gone"], idx, fetcher(), tagger="rules")
    lines = feed_lines(idx)
    assert f"feed {site.base}/gone: last read never, newest article —; FAILING, 3 reads in a row (HTTP 404)" in lines
    assert any(ln.startswith(f"feed {site.base}/moved: last read 20") and ln.endswith(f"moved to {site.base}/rss2") for ln in lines)
    assert any(ln.startswith(f"feed {site.base}/rss: last read 20") and "newest article 2016-03-0" in ln for ln in lines)


def test_the_same_article_under_two_links_is_added_once(site: Site, tmp_path: Path) -> None:
    a = publish(site, 0)
    twin = (a[0] + "?utm_source=twitter&utm_medium=social", a[1], a[2])
    site.routes["/rss"] = (200, {}, rss(site, [a, twin]))
    site.routes["/atom"] = (200, {}, atom(site, [twin]))
    reports = follow_once([f"{site.base}/rss", f"{site.base}/atom"], tmp_path / "i", fetcher(), tagger="rules").reports
    assert [(r.new, r.known) for r in reports] == [(1, 1), (0, 1)]
    assert len(Index.load(tmp_path / "i").articles) == 1
    # the same report reposted at an unrelated address (another outlet's page, other boilerplate):
    # its text identifies it, across reads
    repost = publish(site, 0, "/syndicated/report-77.html")
    site.routes["/rss"] = (200, {}, rss(site, [a, repost, publish(site, 1)]))
    (r,) = follow_once([f"{site.base}/rss"], tmp_path / "i", fetcher(), tagger="rules").reports
    assert (r.new, r.known) == (1, 2) and len(Index.load(tmp_path / "i").articles) == 2


def test_private_addresses_are_refused_unless_allowed(site: Site) -> None:
    publish(site, 0)
    with pytest.raises(FetchError, match="private or loopback"):
        Fetcher(host_delay_s=0.0).get(f"{site.base}/news/0.html")
    with pytest.raises(FetchError, match="only http and https"):
        fetcher().get("file:///etc/passwd")


def test_sanad_follow_once_then_ask_finds_the_new_report(site: Site, tmp_path: Path) -> None:
    site.routes["/rss"] = (200, {}, rss(site, [publish(site, 2)]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
    env |= {"SANAD_FEEDS": f"{site.base}/rss", "SANAD_FEEDS_ALLOW_PRIVATE": "1", "SANAD_ACTORS_BACKEND": "rules"}
    idx = tmp_path / "news"

    def sanad(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, env=env,
                              timeout=120, cwd=ROOT)  # fmt: skip

    out = sanad("follow", "--once", "--index", str(idx))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == f"feed {site.base}/rss: 1 new, 0 already indexed, 0 failed"
    assert out.stdout.splitlines()[1].startswith(f"index {idx}: +1 articles in ")
    ans = json.loads(sanad("ask", "--json", "--index", str(idx), "كم عدد النازحين في ليبيا؟").stdout)
    assert ans["answered"] and ans["results"][0]["url"] == f"{site.base}/news/2.html"
    assert sanad("follow", "--once", "--index", str(idx)).stdout.strip().endswith("0 new, 1 already indexed, 0 failed")
    state = json.loads(state_path(idx).read_text(encoding="utf-8"))
    state["feeds"]["http://127.0.0.1:9/gone"] = {"failures": 4, "last_error": "HTTP 404"}
    state_path(idx).write_text(json.dumps(state), encoding="utf-8")
    beat = tmp_path / "heartbeat"
    beat.write_text("")
    env["SANAD_INDEX"] = str(idx)
    health = sanad("health", "--file", str(beat))
    assert health.returncode == 0 and "FAILING, 4 reads in a row (HTTP 404)" in health.stdout, health.stdout
    del env["SANAD_INDEX"]
    listed = sanad("sources", "--index", str(idx)).stdout
    assert f"feed {site.base}/rss: last read 20" in listed and "newest article 2016-03-01" in listed
    bad = sanad("follow", "--once", "--index", str(idx), "ftp://x/feed")
    assert bad.returncode == 2 and "only http and https" in bad.stderr
