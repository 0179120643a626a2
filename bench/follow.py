"""From a report on a feed to an answer: `sanad follow --every` against an index, timed from outside.

1. Copy ``--index`` (e.g. the SaudiNewsNet archive index) to a temporary folder and serve an RSS
   feed on 127.0.0.1 holding one old item.
2. Start ``sanad follow FEED --index COPY --every EVERY`` (SANAD_FEEDS_ALLOW_PRIVATE=1) and wait for
   its first read.
3. Publish a new item (a report written for this benchmark, naming «نوري الزنتاني», who is in no
   corpus here) and ask, every second, through :class:`retrieval.service.Sanad` over the index as
   saved (reloaded when its manifest changes, the old one kept if a load fails mid-swap, as a bot
   replica does), «ماذا افتتح نوري الزنتاني؟» until the new report answers; every question asked
   meanwhile must be answered without error.
4. Then publish ``--batch`` items at once (SaudiNewsNet texts under new links, measurement only) and
   read the follower's ``index DIR: +N articles in Xs`` line.

Usage: ``python bench/follow.py --index DIR [--every 1m] [--batch 100]``; prints a table.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parent.parent
ARCHIVE = REPO.parent / "shared" / "corpus" / "saudinewsnet" / "articles.jsonl.gz"
QUESTION = "ماذا افتتح نوري الزنتاني؟"
REPORT = (
    "افتتح وزير الموارد المائية نوري الزنتاني صباح اليوم محطة جديدة لتحلية مياه البحر في مدينة زوارة "
    "بطاقة خمسين ألف متر مكعب يوميا، وقال إن المحطة ستغطي حاجة المدينة والقرى المجاورة من مياه الشرب. "
    "وأضاف الزنتاني أن الوزارة تعمل على إنشاء محطتين أخريين في الساحل الغربي خلال العام المقبل."
)


class Site:
    def __init__(self) -> None:
        self.items: list[tuple[str, str, str]] = []  # (path, title, text)
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/rss":
                    body = site.feed()
                else:
                    found = [t for p, _, t in site.items if p == self.path]
                    body = (f"<html><body><article>{''.join(f'<p>{escape(x)}</p>' for x in found[0].split(chr(10)))}"
                            "</article></body></html>").encode() if found else b""  # fmt: skip
                self.send_response(200 if body else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def feed(self) -> bytes:
        entries = "".join(
            f"<item><title>{escape(t)}</title><link>{self.base}{p}</link><description>{escape(x[:200])}</description></item>"
            for p, t, x in self.items
        )
        return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>bench</title>{entries}</channel></rss>'.encode()


def manifest_key(idx: Path) -> tuple[int, int, int] | None:
    """What tells a reloading replica that a new index was saved (bot/telegram/reload.py watches the same)."""
    try:
        st = (idx / "manifest.json").stat()
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def archive_texts(n: int) -> list[str]:
    out = []
    with gzip.open(ARCHIVE, "rt", encoding="utf-8") as f:
        for line in f:
            text = json.loads(line).get("text") or ""
            if len(text) > 400:
                out.append(text)
            if len(out) >= n:
                break
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True, type=Path)
    ap.add_argument("--every", default="1m")
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--timeout", type=float, default=300)
    a = ap.parse_args()
    sys.path.insert(0, str(REPO))
    from retrieval.index import Index
    from retrieval.service import Sanad

    site = Site()
    texts = archive_texts(a.batch + 1)
    site.items.append(("/old.html", "خبر قديم", texts[0]))
    with tempfile.TemporaryDirectory(prefix="sanad-follow-") as tmp:
        idx = Path(tmp) / "index"
        shutil.copytree(a.index, idx)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")} | {"SANAD_FEEDS_ALLOW_PRIVATE": "1"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "follow", f"{site.base}/rss", "--index", str(idx), "--every", a.every],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        lines: list[tuple[float, str]] = []
        threading.Thread(target=lambda: [lines.append((time.monotonic(), ln.strip())) for ln in proc.stdout], daemon=True).start()
        try:
            while not any(ln.startswith("index ") for _, ln in lines):
                time.sleep(0.5)
            first_read = len(lines)
            t_pub = time.monotonic()
            site.items.append(("/zuwara.html", "افتتاح محطة تحلية في زوارة", REPORT))
            asked = errors = reload_retries = 0
            found_at = None
            service, seen = Sanad(Index.load(idx)), manifest_key(idx)
            while time.monotonic() - t_pub < a.timeout:
                key = manifest_key(idx)
                if key != seen:  # a new index was saved: load it, as a bot replica does, keeping the old one on failure
                    try:
                        service, seen = Sanad(Index.load(idx)), key
                    except Exception:  # noqa: BLE001 - caught mid-swap: retried at the next second
                        reload_retries += 1
                asked += 1
                try:
                    ans = service.answer(QUESTION)
                    if ans.results and (ans.results[0].article.url or "").endswith("/zuwara.html"):
                        found_at = time.monotonic()
                        break
                except Exception:  # noqa: BLE001 - counted: a question that failed
                    errors += 1
                time.sleep(1.0)
            added = [(t, ln) for t, ln in lines[first_read:] if ln.startswith("index ")]
            # the batch: a hundred reports at once
            for k, text in enumerate(texts[1:]):
                site.items.append((f"/batch/{k}.html", f"تقرير {k}", text))
            n_before = len(lines)
            t_batch = time.monotonic()
            while not any(ln.startswith("index ") for _, ln in lines[n_before:]) and time.monotonic() - t_batch < a.timeout * 3:
                time.sleep(0.5)
            batch = [ln for _, ln in lines[n_before:] if ln.startswith("index ")]
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            site.server.shutdown()
    load = os.getloadavg()[0]
    print(f"sanad follow --every {a.every} on {a.index} (load average {load:.2f}):")
    print("| measure | value |")
    print("|---|---:|")
    if found_at is None:
        print(f"| published → answerable | not within {a.timeout:.0f} s |")
    else:
        print(f"| published → answerable by `Sanad.answer` | {found_at - t_pub:.1f} s |")
    print(f"| its index update (follower's line) | {added[0][1] if added else '—'} |")
    print(f"| questions asked meanwhile / failed | {asked} / {errors} (reloads retried mid-swap: {reload_retries}) |")
    print(f"| {a.batch} new reports at once | {batch[0] if batch else 'not added in time'} |")
    return 0 if found_at is not None and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
