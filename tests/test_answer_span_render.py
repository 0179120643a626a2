"""The answer span (issue #24) in every front end: the «الجواب» line, the span inside its quote
(distinct from the matched words), the JSON field, the Telegram keyboard and the stored views.

Spans are shown only over the span model's threshold, so most tests give a real result of the
default corpus the span its quote holds («مارتن كوبلر»), as the span model would.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace

import pytest
from fakebot import plain_text
from rich.console import Console
from test_cli import sanad

from bot.telegram import pages
from bot.telegram import render as tg
from bot.telegram.store.codec import view_from_json, view_to_json
from bot.telegram.views import AnswerView
from bot.terminal import SPAN_CLOSE, SPAN_OPEN, print_answer
from bot.wording import answer_actor
from retrieval.actors import Actor
from retrieval.answer import Answer, Quote, answer
from retrieval.index import Index
from retrieval.spans import FoundSpan

Q_MET = "من التقى حفتر في القاهرة؟"
KOBLER = "مارتن كوبلر"
_ISOLATES = str.maketrans("", "", "\u2066\u2067\u2068\u2069")


def _span(ans: Answer, words: str, result: int = 0, kind: str | None = "person") -> Answer:
    """``ans`` with result ``result`` answering ``words`` (the first quote holding them)."""
    r = ans.results[result]
    j = next(i for i, q in enumerate(r.quotes) if words in q.text)
    q = r.quotes[j]
    s = q.start + q.text.index(words)
    span = FoundSpan(words, s, s + len(words), j, 0.81, kind)
    assert r.article.text[span.start : span.end] == words
    results = list(ans.results)
    results[result] = replace(r, answer=span)
    return replace(ans, results=tuple(results))


@pytest.fixture(scope="module")
def met(default_index: Index) -> Answer:
    """«Who met Haftar in Cairo?»: its first result quotes «... مارتن كوبلر إنه التقى ... حفتر»."""
    ans = answer(Q_MET, default_index)
    assert ans.answered and any(KOBLER in q.text for q in ans.results[0].quotes)
    return replace(ans, results=tuple(replace(r, answer=None) for r in ans.results))


def _console(ans: Answer, color: bool = False, reshape: bool = False) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=200, color_system="standard" if color else None, force_terminal=color)
    print_answer(ans, console, reshape=reshape)
    return buf.getvalue()


# ------------------------------------------------------------------------------ console / ask
def test_console_plain_shows_the_answer_line_and_brackets_the_span(met: Answer) -> None:
    ans = _span(met, KOBLER)
    out = _console(ans)
    lines = out.splitlines()
    assert lines[0] == f"الجواب: {KOBLER} (مقتطف من النص)"  # the first thing the user reads
    assert lines[1].startswith("1. ")
    q = ans.results[0].quotes[ans.results[0].answer.sentence]
    quoted = f"« {q.text} »".replace(KOBLER, f"{SPAN_OPEN}{KOBLER}{SPAN_CLOSE}", 1)
    assert quoted in out  # the verbatim quote, only the span bracketed
    assert out.count(SPAN_OPEN) == out.count(SPAN_CLOSE) == 1
    # without a span: no line, no brackets, the output as before
    plain = _console(met)
    assert "الجواب" not in plain and SPAN_OPEN not in plain and f"« {q.text} »" in plain


def test_console_colour_marks_the_span_unlike_the_matched_words(met: Answer) -> None:
    ans = _span(met, KOBLER)
    out = _console(ans, color=True)
    assert SPAN_OPEN not in out  # styles, not brackets, on a terminal
    span_sgr = re.search(rf"\x1b\[([0-9;]+)m{KOBLER}\x1b\[0m «?", out.split("\n", 1)[1])
    match_sgr = re.search(r"\x1b\[([0-9;]+)mحفتر\x1b\[0m", out)
    assert span_sgr and match_sgr
    span_codes, match_codes = set(span_sgr.group(1).split(";")), set(match_sgr.group(1).split(";"))
    assert "4" in span_codes and "1" in span_codes  # bold and underlined
    assert "4" not in match_codes and span_codes != match_codes  # the matched words stay bold yellow
    assert re.search(rf"الجواب: \x1b\[0m\x1b\[[0-9;]*4[0-9;]*m{KOBLER}", out)  # the answer line, span styled


def test_console_reshaped_brackets_the_span(met: Answer) -> None:
    out = _console(_span(met, KOBLER), reshape=True)
    assert SPAN_OPEN in out and SPAN_CLOSE in out
    assert "الجواب" not in out  # shaped: presentation forms, not the logical letters


@pytest.mark.integration
def test_ask_text_has_the_answer_line_exactly_when_the_json_has_a_span() -> None:
    q = "الكتيبة 166 بتحارب الإرهاب فين؟"
    js = sanad("ask", "--json", q)
    text = sanad("ask", q)
    assert js.returncode == 0 and text.returncode == 0, js.stderr + text.stderr
    obj = json.loads(js.stdout)
    spans = [r["answer"] for r in obj["results"]]
    for r, a in zip(obj["results"], spans):
        if a is not None:
            s0, _ = r["offsets"][a["sentence"]]
            assert r["sentences"][a["sentence"]][a["start"] - s0 : a["end"] - s0] == a["text"]
            assert f"الجواب: {' '.join(a['text'].split())} (مقتطف من النص)" in text.stdout
            assert f"{SPAN_OPEN}{a['text']}{SPAN_CLOSE}" in text.stdout
    assert text.stdout.count("الجواب: ") == sum(a is not None for a in spans)


# ------------------------------------------------------------------------------ JSON
def test_json_answer_field(met: Answer) -> None:
    ans = _span(met, KOBLER)
    obj = json.loads(json.dumps(ans.to_dict(), ensure_ascii=False))
    r = obj["results"][0]
    a = r["answer"]
    assert set(a) == {"text", "start", "end", "sentence", "probability", "kind"}
    assert a["text"] == KOBLER and a["kind"] == "person" and a["probability"] == 0.81
    s0, e0 = r["offsets"][a["sentence"]]
    assert s0 <= a["start"] < a["end"] <= e0
    assert r["sentences"][a["sentence"]][a["start"] - s0 : a["end"] - s0] == KOBLER
    assert all(x["answer"] is None for x in obj["results"][1:])  # every result has the key
    assert all(x["answer"] is None for x in met.to_dict()["results"])


def test_json_answer_from_the_span_model_is_consistent(default_index: Index) -> None:
    from retrieval.span_model import load_span_model

    every = replace(load_span_model(), threshold=0.0)
    ans = answer("من هو المبعوث الدولي الخاص إلى ليبيا؟", default_index, span_model=every)
    obj = ans.to_dict()
    assert obj["results"] and all(r["answer"] is not None for r in obj["results"])
    for r, res in zip(obj["results"], ans.results):
        a = r["answer"]
        assert res.article.text[a["start"] : a["end"]] == a["text"]
        s0, _ = r["offsets"][a["sentence"]]
        assert r["sentences"][a["sentence"]][a["start"] - s0 : a["end"] - s0] == a["text"]


# ------------------------------------------------------------------------------ Telegram
def test_telegram_page_has_the_answer_line_and_the_span_in_its_quote(met: Answer) -> None:
    ans = _span(met, KOBLER)
    html = tg.answer_page(ans, 0, header=("في سياق سؤالك السابق عن: <b>حفتر</b>",))
    lines = html.split("\n")
    assert lines[1] == f"الجواب: <b>{KOBLER}</b> (مقتطف من النص)"  # first, after the follow-up header
    assert lines[2].startswith("<b>النتيجة ")
    assert f"<b><u>{KOBLER}</u></b>" in html  # bold and underlined inside the quote
    assert "<b>التقى</b>" in html and "<b>حفتر</b>" in html  # the matched words keep their bold
    assert html.count("<u>") == 1
    shown = plain_text(html).translate(_ISOLATES)  # raises like Telegram on bad nesting or escaping
    q = ans.results[0].quotes[0]
    assert f"« {q.text} »" in shown  # the quote stays verbatim
    assert "<u>" not in tg.answer_page(met, 0) and "الجواب" not in tg.answer_page(met, 0)


def test_telegram_span_overlapping_matched_words_nests_properly(met: Answer) -> None:
    words = f"{KOBLER} إنه التقى"  # «التقى» is a matched word
    ans = _span(met, words, kind=None)
    html = tg.answer_page(ans, 0)
    assert f"<b><u>{KOBLER} إنه التقى</u></b>" in html
    plain_text(html)
    q = ans.results[0].quotes[0]
    a, b = q.text.index("إنه"), q.text.index("التقى") + len("التقى")
    # a span ending inside a matched word and one starting inside it
    for span in ((a, b - 2), (b - 2, b + 6)):
        one = tg.quote(q, span=span)
        assert plain_text(one) == f"« {q.text} »"
        assert "<u>" in one


def test_telegram_quote_escapes_and_isolates_inside_the_span() -> None:
    text = "قالت شركة AT&T إن <الاتفاق> وقعه مارتن كوبلر في 2016 بالقاهرة"
    q = Quote(text, 0, len(text), ((text.index("وقعه"), text.index("وقعه") + 4),))
    s = text.index("AT&T")
    e = text.index("<الاتفاق>") + len("<الاتفاق>")
    html = tg.quote(q, span=(s, e))
    assert "&amp;" in html and "&lt;الاتفاق&gt;" in html and "<الاتفاق>" not in html
    assert "<b><u>\u2066AT&amp;T\u2069 إن &lt;الاتفاق&gt;</u></b>" in html
    assert plain_text(html).translate(_ISOLATES) == f"« {text} »"


def test_telegram_cut_quote_drops_a_span_cut_off(met: Answer) -> None:
    q = met.results[0].quotes[0]
    end = q.text.index("المدينة")
    html = tg.quote(q, limit=80, span=(end, end + len("المدينة")))
    assert "<u>" not in html and html.endswith("… »")
    plain_text(html)
    kept = tg.quote(q, limit=80, span=(q.text.index(KOBLER), q.text.index(KOBLER) + len(KOBLER)))
    assert f"<u>{KOBLER}</u>" in kept


def _actor_buttons(ans: Answer, index: Index) -> list[tuple[str, str]]:
    view = AnswerView(id="1a", chat_id=5, answer=ans)
    markup = pages.keyboard(view, 0, index)
    rows = [b for row in markup.inline_keyboard for b in row]
    return [(b.text, b.callback_data) for b in rows if b.callback_data.startswith("actor:")]


def test_telegram_answer_actor_button_comes_first(met: Answer, default_index: Index) -> None:
    r = met.results[0]
    kobler = next(i for i, a in enumerate(r.actors) if a.text == KOBLER)
    assert kobler > 0  # not first already
    before = _actor_buttons(met, default_index)
    after = _actor_buttons(_span(met, KOBLER), default_index)
    assert KOBLER not in before[0][0] and KOBLER in after[0][0]
    assert after[0][1] == f"actor:1a:0:{kobler}"  # the callback still names the actor by its index
    assert sorted(after) == sorted(before)  # the same buttons, reordered
    # a span holding the name, a span that is part of the name, a place: first / first / unchanged
    assert answer_actor(_span(met, f"الخاص إلى ليبيا {KOBLER}", kind=None).results[0]) == kobler
    assert answer_actor(_span(met, "كوبلر", kind="person").results[0]) == kobler
    assert answer_actor(_span(met, "كوبلر", kind=None).results[0]) is None
    assert _actor_buttons(_span(met, "للقاهرة", kind="place"), default_index) == before


def test_telegram_answer_actor_past_the_button_limit_still_gets_its_button(met: Answer) -> None:
    r = _span(met, KOBLER).results[0]
    places = [a for a in r.actors if a.type == "place"]
    kobler = next(a for a in r.actors if a.text == KOBLER)
    many = tuple((places * 3)[: pages.MAX_ACTOR_BUTTONS + 1]) + (kobler,)
    order = pages.actor_buttons(replace(r, actors=many))
    assert order[0] == len(many) - 1 and len(order) == pages.MAX_ACTOR_BUTTONS


# ------------------------------------------------------------------------------ stored views
def test_stored_view_keeps_the_answer_and_reads_old_rows(met: Answer, default_index: Index) -> None:
    ans = _span(met, KOBLER)
    view = AnswerView(id="1a", chat_id=5, answer=ans)
    stored = json.loads(json.dumps(view_to_json(view), ensure_ascii=False))
    back = view_from_json(stored, default_index.articles)
    assert back is not None and back.answer.results[0].answer == ans.results[0].answer
    assert back.answer == ans
    assert tg.answer_page(back.answer, 0) == tg.answer_page(ans, 0)
    # a result stored without its answer span: read back without one
    for r in stored["answer"]["results"]:
        del r["answer"]
    old = view_from_json(stored, default_index.articles)
    assert old is not None and old.answer.results[0].answer is None
    assert old.answer.results[0].quotes == ans.results[0].quotes
    # a span that no longer matches the article reads back as stale
    stored = view_to_json(view)
    stored["answer"]["results"][0]["answer"]["text"] = "خليفة حفتر"
    assert view_from_json(stored, default_index.articles) is None


def test_answer_actor_reads_names_with_proclitics() -> None:
    """answer_actor reads ``Actor.text``: a sentence's «لمارتن كوبلر» is the actor «مارتن كوبلر»."""
    from retrieval.answer import Result
    from retrieval.corpus import Article

    text = "وأكد المبعوث لمارتن كوبلر أمس"
    art = Article("x", text, "عنوان")
    s = text.index("لمارتن")
    r = Result(art, "x#0", 1.0, 1.0, (Quote(text, 0, len(text)),),
               actors=(Actor("المبعوث", "organization", 0, 0), Actor(KOBLER, "person", s + 1, s + 12)),
               answer=FoundSpan("لمارتن كوبلر", s, s + 12, 0, 0.9, None))  # fmt: skip
    assert answer_actor(r) == 1
