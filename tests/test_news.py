"""News-native answers (#14): dates parsed and used, one story from several outlets folded into
one result ("also reported in"), and timelines (a sparkline, a PNG, the bot's photo).

The corpus is built here: one wire story run by three papers with small edits and other
headlines (and once more, by one of them, a week later as a different story with the same
template), a template story of one outlet on two other days, and unrelated reports; all real
Arabic text written for these tests.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from fakebot import FakeBotAPI, plain_text

from bot.chart import ChartBusy, ChartGate, timeline_png
from retrieval.answer import answer
from retrieval.dates import DateRange, date_intent, parse_date
from retrieval.index import Index
from retrieval.timeline import sparkline, timeline

WIRE = (
    "أعلن مجلس التعاون لدول الخليج العربية اليوم أن أمينه العام عبداللطيف الزياني أعرب عن استغرابه "
    "الشديد من تناقض تصريحات القيادات الإيرانية بشأن العلاقات مع دول الجوار. وقال الزياني في بيان "
    "صدر في الرياض إن هذه التصريحات لا تساعد على بناء الثقة ولا تخدم أمن المنطقة واستقرارها، "
    "داعياً طهران إلى احترام مبادئ حسن الجوار وعدم التدخل في الشؤون الداخلية لدول المجلس. وأضاف "
    "أن دول المجلس حريصة على علاقات طيبة مع إيران تقوم على الاحترام المتبادل."
)
TEMPLATE = (
    "وصلت اليوم الطائرة الإغاثية السعودية {n} إلى مطار عدن الدولي محملة بـ{t} طناً من الأدوية "
    "والمستلزمات الطبية لمرضى الفشل الكلوي، يرافقها فريق إغاثي من مركز الملك سلمان للإغاثة "
    "والأعمال الإنسانية. وتأتي هذه الرحلة ضمن جسر جوي لتقديم المساعدات العاجلة للشعب اليمني "
    "الشقيق في المحافظات المتضررة من الحرب."
)
OTHER = (
    "افتتح وزير الصحة اليوم مستشفى جديداً للأطفال في مدينة جدة بسعة مئتي سرير، ويضم المستشفى "
    "أقساماً للعناية المركزة وجراحة القلب وعيادات خارجية تخدم سكان المحافظة والقرى المجاورة. وقال "
    "الوزير إن المشروع جزء من خطة لتوسيع الخدمات الصحية في المنطقة الغربية خلال العامين المقبلين."
)
FOOTBALL = (
    "فاز فريق الهلال على ضيفه النصر بهدفين مقابل هدف في مباراة مثيرة أقيمت مساء أمس على ملعب "
    "الملك فهد الدولي في الرياض ضمن الجولة الأولى من الدوري السعودي للمحترفين، وسجل هدفي الهلال "
    "مهاجمه في الشوط الثاني بعد أن تقدم النصر في الدقائق الأولى من المباراة."
)


def _articles() -> list[dict]:
    edited = WIRE.replace("اليوم", "أمس").replace("الشديد ", "")
    return [
        {"id": "w-okaz", "source": "okaz", "date": "2015-07-22", "title": "الزياني: تصريحات إيران متناقضة", "text": edited},
        {"id": "w-riyadh", "source": "alriyadh", "date": "21 يوليو 2015", "title": "أمين التعاون يستغرب تناقض التصريحات الإيرانية",
         "text": WIRE},
        {"id": "w-madina", "source": "almadina", "date": "٢٢/٠٧/٢٠١٥", "title": "الزياني يعرب عن استغرابه",
         "text": WIRE + " وكان المجلس قد عقد اجتماعاً وزارياً الأسبوع الماضي."},
        {"id": "t-5", "source": "alyaum", "date": "2015-08-06", "title": "وصول الطائرة الإغاثية الخامسة إلى عدن",
         "text": TEMPLATE.format(n="الخامسة", t="12")},
        {"id": "t-6", "source": "alyaum", "date": "2015-08-10", "title": "وصول الطائرة الإغاثية السادسة إلى عدن",
         "text": TEMPLATE.format(n="السادسة", t="11")},
        {"id": "h-1", "source": "okaz", "date": "2015-10-04", "title": "افتتاح مستشفى للأطفال في جدة", "text": OTHER},
        {"id": "f-1", "source": "sabq", "date": "غداً", "title": "الهلال يفوز على النصر", "text": FOOTBALL},
        {"id": "f-2", "source": "okaz", "date": "2099-01-01", "title": "فوز الهلال", "text": FOOTBALL.replace("مثيرة", "قوية")},
    ]


@pytest.fixture(scope="module")
def news_corpus(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("news") / "news.jsonl"
    path.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in _articles()) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def news_index(news_corpus: Path) -> Index:
    from retrieval.corpus_index import build_index

    return build_index([news_corpus], tagger="rules").index


def _sanad(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, env=env, timeout=timeout)


# ------------------------------------------------------------------------------------ dates
@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2015-07-21", date(2015, 7, 21)),
        ("2015-07-21T18:30:00+03:00", date(2015, 7, 21)),
        ("2015/7/21", date(2015, 7, 21)),
        ("21/07/2015", date(2015, 7, 21)),
        ("٢١ يوليو ٢٠١٥م", date(2015, 7, 21)),
        ("الثلاثاء 21 تموز 2015", date(2015, 7, 21)),
        ("3 تشرين الأول 2015", date(2015, 10, 3)),
        ("أكتوبر 2015", date(2015, 10, 1)),
        ("غداً", None),
        ("2015-02-30", None),
        ("", None),
        (None, None),
    ],
)
def test_dates_parse_iso_and_arabic_forms_or_nothing(text, day) -> None:
    assert parse_date(text) == day


def test_questions_say_what_they_ask_of_time() -> None:
    assert date_intent("ما آخر أخبار الزياني؟").latest
    assert date_intent("ما هي آخر التطورات في اليمن؟").latest
    assert date_intent("أحدث تصريحات الجبير").latest
    assert not date_intent("ماذا قال مسؤول آخر عن الحوثيين؟").latest  # «آخر»: another
    oct15 = date_intent("ماذا قال الزياني في أكتوبر 2015؟").period
    assert (oct15.since, oct15.until) == (date(2015, 10, 1), date(2015, 10, 31))
    assert date_intent("ماذا حدث عام 2015؟").period == DateRange(date(2015, 1, 1), date(2015, 12, 31))
    assert not date_intent("قُتل 2015 شخصاً").period  # a count, not a year
    assert not date_intent("ماذا مارس الحوثيون؟").period  # a verb, not March
    july = date_intent("ماذا حدث في يوليو؟", years=(2015,)).period
    assert july.since == date(2015, 7, 1)
    assert not date_intent("متى تجرى انتخابات الفيفا في 26 فبراير المقبل؟").period  # the event's date


# ------------------------------------------------------------------------------------ stories
def test_one_story_in_three_outlets_is_folded_and_templates_are_not(news_index: Index) -> None:
    pos = {a: news_index.articles.position(a) for a in ("w-okaz", "w-riyadh", "w-madina", "t-5", "t-6", "h-1", "f-1", "f-2")}
    story = np.asarray(news_index.stories.story)
    assert story[pos["w-okaz"]] == story[pos["w-riyadh"]] == story[pos["w-madina"]]
    assert story[pos["t-5"]] != story[pos["t-6"]]  # the same outlet's template, four days apart: two stories
    assert story[pos["f-1"]] == story[pos["f-2"]]  # undated (and future-dated) copies fold when nearly the same
    assert len({int(story[p]) for k, p in pos.items() if not k.startswith("w-")}) == 4
    # the earliest first
    assert [a.id for a in news_index.also_reported("w-okaz")] == ["w-riyadh", "w-madina"]


def test_articles_without_a_source_fold_and_are_named_by_id() -> None:
    from bot.wording import reported_in
    from retrieval.corpus import make_article

    a = make_article("no-src-1", WIRE, "الزياني", None, None, "2015-07-21")
    b = make_article("no-src-2", WIRE.replace("اليوم", "أمس"), "الزياني يستغرب", None, None, "2015-07-21")
    index = Index.build([a, b], tagger="rules")
    others = index.also_reported("no-src-1")
    assert [o.id for o in others] == ["no-src-2"] and reported_in(others) == "no-src-2 (2015-07-21)"


def test_signatures_and_candidate_pairs_match_datasketch() -> None:
    """The NumPy MinHash is datasketch's ``MinHash(scheme="affine32")``; the banding proposes
    every pair ``MinHashLSH`` finds (the reference implementation, as bm25s tests against rank-bm25)."""
    from datasketch import MinHash, MinHashLSH

    from retrieval import stories

    rng = np.random.default_rng(7)
    base = rng.integers(0, 5000, size=400)
    docs = [base.copy() for _ in range(6)] + [rng.integers(0, 5000, size=300) for _ in range(30)]
    for k, d in enumerate(docs[:6]):  # six edited copies of one text
        d[rng.integers(0, len(d), size=10 * k)] = rng.integers(0, 5000, size=10 * k)
    sigs = stories.signatures(docs)
    lsh = MinHashLSH(threshold=stories.LSH_THRESHOLD, num_perm=stories.NUM_PERM)
    for i, d in enumerate(docs):
        m = MinHash(num_perm=stories.NUM_PERM, seed=1, hashfunc=int, scheme="affine32")
        m.update_batch(stories.shingle_hashes(d).tolist())
        assert np.array_equal(np.asarray(m.hashvalues, dtype=np.uint32), sigs[i])
        lsh.insert(i, m)
    assert (lsh.b, lsh.r) == (stories.LSH_BANDS, stories.LSH_ROWS)
    from datasketch.minhash import _FMIX_CONSTANTS

    assert tuple(int(x) for x in _FMIX_CONSTANTS[32]) == stories.FMIX32
    theirs = {(min(i, j), max(i, j)) for i in range(len(docs))
              for j in lsh.query(MinHash(num_perm=stories.NUM_PERM, seed=1, hashvalues=sigs[i], scheme="affine32")) if i != j}
    ours = {tuple(p) for p in stories.candidate_pairs(sigs, np.ones(len(docs), bool)).tolist()}
    assert theirs == ours and {(0, 1), (0, 5)} <= ours
    assert len(set(stories.fold(sigs, [None] * len(docs), [1] * len(docs))[:6].tolist())) == 1


def test_added_articles_join_old_stories_and_stories_survive_a_reload(tmp_path: Path) -> None:
    from retrieval.corpus import make_article

    arts = {a["id"]: make_article(a["id"], a["text"], a["title"], a["source"], None, a["date"]) for a in _articles()}
    base = Index.build([arts["w-okaz"], arts["h-1"]], tagger="rules")
    grown = base.add([arts["w-madina"], arts["t-5"]], tagger="rules")
    assert [a.id for a in grown.also_reported("w-madina")] == ["w-okaz"]
    grown.save(tmp_path / "ix")
    again = Index.load(tmp_path / "ix")
    assert [a.id for a in again.also_reported("w-okaz")] == ["w-madina"]
    assert np.array_equal(np.asarray(again.stories.story), np.asarray(grown.stories.story))
    assert again.also_reported("h-1") == [] and again.also_reported("no-such-id") == []


def test_an_answer_quotes_one_report_per_story_with_the_others_named(news_index: Index) -> None:
    ans = answer("ماذا قال الزياني عن تصريحات القيادات الإيرانية؟", news_index)
    assert ans.answered
    wire = [r for r in ans.results if r.article.id.startswith("w-")]
    assert len(wire) == 1, [r.article.id for r in ans.results]
    first = wire[0]
    assert first.article.id == "w-riyadh"  # the earliest of the reports that match alike
    assert [a.id for a in first.also_reported_in] == ["w-okaz", "w-madina"]


@pytest.mark.integration
def test_eval_counts_a_gold_article_folded_into_a_result(news_corpus: Path, tmp_path: Path) -> None:
    qs = tmp_path / "q.jsonl"
    q = "ماذا قال الزياني عن تصريحات القيادات الإيرانية؟"
    qs.write_text("\n".join(json.dumps({"question": q, "article_id": g}, ensure_ascii=False) for g in ("w-okaz", "w-riyadh")) + "\n",
                  encoding="utf-8")  # fmt: skip
    out = _sanad("eval", str(qs), "--corpus", str(news_corpus), "--json")
    assert out.returncode == 0, out.stderr
    figures = json.loads(out.stdout)
    assert figures["recall_at_1"] == 1.0  # w-okaz is shown as "also reported in" under w-riyadh


@pytest.mark.integration
def test_json_and_console_show_dates_and_also_reported_in(news_corpus: Path) -> None:
    q = "ماذا قال الزياني عن تصريحات القيادات الإيرانية؟"
    out = _sanad("ask", "--json", "--corpus", str(news_corpus), q)
    assert out.returncode == 0, out.stderr
    obj = json.loads(out.stdout)
    r = obj["results"][0]
    assert (r["article_id"], r["date"], r["day"]) == ("w-riyadh", "21 يوليو 2015", "2015-07-21")
    assert [(x["source"], x["day"]) for x in r["also_reported_in"]] == [("okaz", "2015-07-22"), ("almadina", "2015-07-22")]
    text = _sanad("ask", "--corpus", str(news_corpus), q)
    assert "نُشر أيضاً في: okaz (2015-07-22)، almadina (2015-07-22)" in " ".join(text.stdout.split())
    assert "2015-07-21" in text.stdout


# ------------------------------------------------------------------------------------ dates used
@pytest.mark.integration
def test_since_until_filter_and_a_period_in_the_question_ranks(news_corpus: Path, news_index: Index) -> None:
    q = "ماذا قال الزياني عن تصريحات القيادات الإيرانية؟"
    none = json.loads(_sanad("ask", "--json", "--corpus", str(news_corpus), "--since", "2015-08-01", q).stdout)
    assert not none["answered"] and any("2015-08-01" in n for n in none["notes"])
    ans = answer("ماذا قال الزياني في يوليو 2015 عن تصريحات القيادات الإيرانية؟", news_index)
    assert ans.answered and ans.results[0].article.id.startswith("w-")
    assert "reports dated 2015-07-01 – 2015-07-31 first" in ans.notes
    # a period the question names orders the answer but never hides it: the date may be the event's
    late = answer("ماذا قال الزياني في أكتوبر 2015 عن تصريحات القيادات الإيرانية؟", news_index)
    assert late.answered and late.results[0].article.id.startswith("w-")
    relief = "ماذا وصل إلى مطار عدن الدولي على متن الطائرة الإغاثية السعودية"
    assert answer(relief + " في 10 أغسطس 2015؟", news_index).results[0].article.id == "t-6"
    assert answer(relief + " في 6 أغسطس 2015؟", news_index).results[0].article.id == "t-5"
    bad = _sanad("ask", "--corpus", str(news_corpus), "--since", "2015-08-01", "--until", "2015-07-01", q)
    assert bad.returncode == 2 and "give the earlier day first" in bad.stderr


def test_latest_puts_the_newest_answering_report_first(news_index: Index) -> None:
    q = "ماذا وصل إلى مطار عدن الدولي على متن الطائرة الإغاثية السعودية؟"
    plain = answer(q, news_index)
    assert {r.article.id for r in plain.results} == {"t-5", "t-6"}
    newest = answer("ما آخر ما وصل إلى مطار عدن الدولي على متن الطائرة الإغاثية السعودية؟", news_index)
    assert [r.article.id for r in newest.results] == ["t-6", "t-5"]
    assert "newest reports first" in newest.notes
    oldest_first = answer(q, news_index, latest=False, period=DateRange(until=date(2015, 8, 7)))
    assert [r.article.id for r in oldest_first.results] == ["t-5"]


def test_unparsable_and_future_dates_are_shown_but_never_ranked(news_index: Index) -> None:
    days = news_index.days
    assert days[news_index.articles.position("f-1")] == -1  # «غداً»: kept as text
    assert days[news_index.articles.position("f-2")] == -1  # 2099: a placeholder, not the latest
    ans = answer("ما آخر نتيجة لمباراة الهلال والنصر في الدوري السعودي؟", news_index)
    assert ans.answered and {r.article.date for r in ans.results} <= {"غداً", "2099-01-01"}


def test_an_undated_corpus_keeps_its_answers(default_index: Index) -> None:
    q = "ماذا قال كوبلر عن الجيش الليبي؟"
    latest = answer("ما آخر ما قاله كوبلر عن الجيش الليبي؟", default_index)
    assert not default_index.dated and "newest reports first" not in latest.notes
    assert answer(q, default_index).results[0].article.id == latest.results[0].article.id
    asked = answer(q, default_index, latest=True, period=DateRange(since=date(2015, 1, 1)))
    assert asked.answered and "the articles have no dates: --since, --until and --latest change nothing here" in asked.notes


# ------------------------------------------------------------------------------------ timelines
def test_timeline_counts_reports_per_week(news_index: Index) -> None:
    tl = timeline(news_index, "ماذا قال الزياني عن تصريحات القيادات الإيرانية؟")
    assert tl.kind == "question" and tl.total == 3 and tl.undated == 0
    assert tl.weeks[0].start == date(2015, 7, 20) and tl.weeks[0].count == 3
    assert tl.weeks[-1].start == date(2015, 9, 28)  # the archive's last dated week
    assert sum(w.count for w in tl.weeks) == 3
    line = sparkline(tl)
    assert len(line) == len(tl.weeks) and line[0] == "█" and set(line[1:]) == {" "}
    assert timeline(news_index, "مركبة فضائية على سطح المريخ").total == 0


def _png_pixels(png: bytes) -> np.ndarray:
    from matplotlib import image

    return (image.imread(io.BytesIO(png), format="png")[..., :3] * 255).round().astype(int)


def test_timeline_png_has_the_size_the_bars_and_the_arabic_title(news_index: Index, tmp_path: Path) -> None:
    tl = timeline(news_index, "الطائرة الإغاثية السعودية مطار عدن")
    png = timeline_png(tl)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    px = _png_pixels(png)
    assert px.shape == (360, 800, 3)
    bar, peak = np.array([0x1F, 0x6F, 0x8B]), np.array([0xD1, 0x49, 0x5B])
    assert (np.abs(px - peak).sum(axis=2) < 10).sum() > 200  # the peak week's bar
    assert (np.abs(px - bar).sum(axis=2) < 10).sum() > 200  # the other week's bar
    title = px[:40]
    assert (title.sum(axis=2) < 200).sum() > 300  # ink where the title is
    with pytest.raises(ValueError):
        timeline_png(timeline(news_index, "مركبة فضائية على سطح المريخ"))


@pytest.mark.integration
def test_sanad_timeline_writes_the_png_or_says_there_is_nothing(news_corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "tl.png"
    ok = _sanad("timeline", "--corpus", str(news_corpus), "الطائرة الإغاثية السعودية مطار عدن", "--out", str(out))
    assert ok.returncode == 0, ok.stderr
    assert out.read_bytes()[:4] == b"\x89PNG" and _png_pixels(out.read_bytes()).shape == (360, 800, 3)
    assert "2015-07-20" in ok.stdout and "█" in ok.stdout
    none = _sanad("timeline", "--corpus", str(news_corpus), "مركبة فضائية على سطح المريخ", "--out", str(tmp_path / "x.png"))
    assert none.returncode == 1 and not (tmp_path / "x.png").exists() and "لا تقارير" in none.stdout
    undated = _sanad("timeline", "كوبلر")
    assert undated.returncode == 2 and "no dates" in undated.stderr


def test_chart_gate_refuses_a_second_chart_while_one_is_drawn() -> None:
    gate = ChartGate(1)
    with gate.slot():
        with pytest.raises(ChartBusy):
            with gate.slot():
                pass
    with gate.slot():  # free again
        pass


# ------------------------------------------------------------------------------------ the bot
@pytest.mark.integration
def test_bot_timeline_is_a_photo_latest_and_also_reported(news_index: Index) -> None:
    from test_telegram import button, run_bot, shown

    async def scenario(server: FakeBotAPI, bot) -> None:
        menu = next(c.params for c in server.of("setMyCommands") if c.params["scope"] == {"type": "default"})
        assert {"latest", "timeline"} <= {c["command"] for c in menu["commands"]}  # dated articles: offered
        assert "/timeline" in shown((await server.reply_to("/help")).params["text"])
        server.push_message("/timeline الطائرة الإغاثية السعودية مطار عدن", 1)
        (photo,) = await server.wait_for(lambda: server.of("sendPhoto"))
        assert photo.params["photo"][:8] == b"\x89PNG\r\n\x1a\n" and photo.params["chat_id"] == 1
        assert _png_pixels(photo.params["photo"]).shape == (360, 800, 3)
        assert plain_text(photo.params["caption"]).startswith("تقارير عن")
        none = await server.reply_to("/timeline مركبة فضائية على سطح المريخ")
        assert "فلا رسم بيانياً له" in shown(none.params["text"])
        latest = await server.reply_to("/latest ماذا وصل إلى مطار عدن الدولي على متن الطائرة الإغاثية السعودية؟")
        assert "السادسة" in shown(latest.params["text"]) and "2015-08-10" in shown(latest.params["text"])
        wire = await server.reply_to("ماذا قال الزياني عن تصريحات القيادات الإيرانية؟")
        assert "نُشر أيضاً في: okaz (2015-07-22)، almadina (2015-07-22)" in " ".join(shown(wire.params["text"]).split())
        card = await server.reply_to("/actor الزياني")
        before = len(server.of("sendPhoto"))
        await server.press(card.result, button(card, "التغطية أسبوعياً"))
        await server.wait_for(lambda: len(server.of("sendPhoto")) > before)

    run_bot(news_index, scenario, timeout=60)
