"""How much of an article page's text `sanad follow` keeps, and how much boilerplate comes with it.

Twenty article pages are written here (our own fixtures, built from the five embedded articles
and fifteen SaudiNewsNet articles when ``../shared`` has them, under four page layouts a news
site uses: a plain article, a portal with menus, related links and share buttons, a page with
comments and a cookie banner, and a table-laid page with a sidebar of "most read" headlines).
Each page goes through :func:`retrieval.feeds.extract_text`; a sentence of the article counts as
recovered when it is in the extracted text (spaces normalized); a line of the extracted text counts
as boilerplate when it is neither the page's headline nor part of the article.

Usage: ``python bench/extraction.py``; prints the table and exits 1 below 0.9 recovered or above
5% boilerplate.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parent.parent
ARCHIVE = REPO.parent / "shared" / "corpus" / "saudinewsnet" / "articles.jsonl.gz"
sys.path.insert(0, str(REPO))

from retrieval.feeds import extract_text  # noqa: E402
from retrieval.segment import split_sentences  # noqa: E402

MENU = ["الرئيسية", "سياسة", "اقتصاد", "رياضة", "ثقافة", "منوعات", "تكنولوجيا", "صحة", "رأي", "فيديو"]
RELATED = [f"اقرأ أيضا: تطورات جديدة في الملف رقم {k} بحسب مصادر مطلعة" for k in range(6)]
MOST_READ = [f"الأكثر قراءة: {k}. عنوان خبر آخر لا علاقة له بالمقال" for k in range(1, 8)]


def articles() -> list[tuple[str, list[str]]]:
    out = []
    for p in sorted((REPO / "retrieval" / "data" / "libya-news").glob("*.txt")):
        paras = [x.strip() for x in p.read_text(encoding="utf-8").split("\n") if len(x.strip()) > 30]
        out.append((paras[0][:70], paras))
    if ARCHIVE.exists():
        with gzip.open(ARCHIVE, "rt", encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                paras = [x.strip() for x in (d.get("text") or "").split("\n") if len(x.strip()) > 30]
                if len(paras) >= 3:
                    out.append((d.get("title") or paras[0][:70], paras))
                if len(out) >= 20:
                    break
    return out[:20]


def layout(k: int, title: str, paras: list[str]) -> str:
    body = "".join(f"<p>{escape(p)}</p>" for p in paras)
    nav = "<nav><ul>" + "".join(f'<li><a href="/{i}">{m}</a></li>' for i, m in enumerate(MENU)) + "</ul></nav>"
    head = f'<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{escape(title)}</title></head><body>'
    if k == 0:
        return f"{head}<article><h1>{escape(title)}</h1>{body}</article></body></html>"
    if k == 1:
        related = "<ul class='related'>" + "".join(f"<li><a href='/r{i}'>{r}</a></li>" for i, r in enumerate(RELATED)) + "</ul>"
        share = "<div class='share'>شارك: فيسبوك تويتر واتساب</div>"
        return (f"{head}<header>{nav}</header><main><h1>{escape(title)}</h1><div class='meta'>نشر في 12 مارس 2016</div>"
                f"{share}<div class='content'>{body}</div>{share}<h3>أخبار ذات صلة</h3>{related}</main>"
                "<footer>جميع الحقوق محفوظة للموقع 2016 - اتصل بنا - سياسة الخصوصية</footer></body></html>")  # fmt: skip
    if k == 2:
        comments = "".join(
            f"<div class='comment'><b>زائر {i}</b><p>تعليق القارئ رقم {i}: أتفق مع ما جاء في الخبر تماما</p></div>" for i in range(5)
        )
        return (f"{head}<div id='cookie'>يستخدم هذا الموقع ملفات تعريف الارتباط لتحسين تجربتك. موافق</div>{nav}"
                f"<div class='post'><h2>{escape(title)}</h2><div class='entry'>{body}</div></div>"
                f"<section id='comments'><h3>التعليقات (5)</h3>{comments}</section></body></html>")  # fmt: skip
    side = "<td class='side'><h4>الأكثر قراءة</h4><ul>" + "".join(f"<li><a href='/m'>{m}</a></li>" for m in MOST_READ) + "</ul></td>"
    return (f"{head}<table><tr><td colspan='2'>{nav}</td></tr><tr><td class='main'><h1>{escape(title)}</h1>{body}</td>"
            f"{side}</tr><tr><td colspan='2'>© الصحيفة</td></tr></table></body></html>")  # fmt: skip


def sentences(text: str) -> list[str]:
    return [" ".join(text[s:e].split()) for s, e in split_sentences(text) if len(text[s:e].split()) >= 3]


def main() -> int:
    rows = []
    total_sent = total_found = total_out = total_junk = 0
    for i, (title, paras) in enumerate(articles()):
        want = [s for p in paras for s in sentences(p)]
        got_text = extract_text(layout(i % 4, title, paras), f"https://news.example/{i}.html") or ""
        got = [" ".join(line.split()) for line in got_text.split("\n") if line.strip()]
        flat = " ".join(got_text.split())
        found = sum(s in flat for s in want)
        joined = " ".join(" ".join(p.split()) for p in paras)
        junk = sum(1 for line in got if line != " ".join(title.split()) and line not in joined)
        rows.append((i, i % 4, len(want), found, len(got), junk))
        total_sent, total_found, total_out, total_junk = total_sent + len(want), total_found + found, total_out + len(got), total_junk + junk
    print("| page | layout | article sentences | recovered | extracted lines | boilerplate lines |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print("| " + " | ".join(map(str, r)) + " |")
    rec, junk = total_found / max(total_sent, 1), total_junk / max(total_out, 1)
    print(f"\n{len(rows)} pages: {rec:.3f} of the articles' sentences recovered (target >= 0.9), "
          f"{junk:.3f} of the extracted lines boilerplate (target <= 0.05)")  # fmt: skip
    return 0 if rec >= 0.9 and junk <= 0.05 else 1


if __name__ == "__main__":
    sys.exit(main())
