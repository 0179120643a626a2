"""The answer span (issue #24): candidates, the shipped model through answer(), follow-ups."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from bot.telegram.store.codec import context_from_json, context_to_json
from retrieval.answer import answer
from retrieval.errors import ModelLoadError
from retrieval.followup import asks_about_event, drop_shown, follow_up_query
from retrieval.normalize import normalize_token, tokenize
from retrieval.questions import question_word, span_type
from retrieval.service import Sanad
from retrieval.span_model import load_span_model
from retrieval.spans import FoundSpan, candidates, sentence_of

KOBLER = "قال المبعوث الدولي الخاص إلى ليبيا مارتن كوبلر إنه التقى اللواء المتقاعد خليفة حفتر خلال زيارته للقاهرة."
EVERY = replace(load_span_model(), threshold=0.0)
LETTER = re.compile(r"\w")


def _words(q: str) -> list[str]:
    return [normalize_token(t.surface) for t in tokenize(q)]


def _at(text: str, word: str) -> tuple[int, int]:
    i = text.index(word)
    return i, i + len(word)


def _texts(s) -> set[str]:
    return {s.text[s.words[i][0] : s.words[k][1]] for i, k in candidates(s)}


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("ما هي عاصمة فرنسا؟", "thing"),
        ("وين صار الاجتماع؟", "place"),
        ("إيمتى ولعت الاشتباكات؟", "date"),
        ("قديش في نازحين؟", "number"),
        ("ضد من قاد صلاح الدين حملاته؟", "person"),
        ("بماذا يشتهر صلاح الدين؟", "thing"),
        ("لماذا التقى كوبلر حفتر؟", None),
        ("كيف بدأ مشواره الفني؟", None),
        ("هل كرة القدم رياضة جماعية؟", None),
    ],
)
def test_span_type_says_what_span_is_asked_for(question: str, kind: str | None) -> None:
    assert span_type(_words(question)) == kind


def test_question_word_is_the_noun_asked_about() -> None:
    assert question_word(_words("ما هي عاصمة فرنسا؟")) == "عاصمه"
    assert question_word(_words("متى وصل كوبلر؟")) == "متي"


def test_candidates_hold_no_question_word_nor_a_mention_naming_one() -> None:
    hl = [(*_at(KOBLER, "التقى"), 0.4), (*_at(KOBLER, "حفتر"), 0.5), (*_at(KOBLER, "للقاهرة"), 0.1)]
    marks = [(*_at(KOBLER, "مارتن كوبلر"), "person"), (*_at(KOBLER, "خليفة حفتر"), "person")]
    s = sentence_of(KOBLER, 100, hl, marks)
    texts = _texts(s)
    assert "مارتن كوبلر" in texts
    assert not any("خليفة" in t or "حفتر" in t or "التقى" in t for t in texts)
    assert s.marks[0] == (6, 7, "person")


def test_candidates_stop_at_strong_punctuation_but_keep_a_number_whole() -> None:
    text = "وتغطي عمان مساحة اجمالية تبلغ 309.500 كم². ويبلغ عدد سكانها ٤٫٥ مليون نسمة"
    s = sentence_of(text, 0, [(*_at(text, "مساحة"), 0.5)], [])
    texts = _texts(s)
    assert "309.500 كم²" in texts
    assert not any("كم" in t and "ويبلغ" in t for t in texts)  # never across the full stop


def test_numbers_in_eastern_digits_and_words_are_marked() -> None:
    text = "قتل ٣٠٠ مقاتل واتفقوا على أربع نقاط أساسية في 13 أكتوبر"
    s = sentence_of(text, 0, [], [])
    kinds = {s.text[s.words[f][0] : s.words[l][1]]: k for f, l, k in s.marks}
    assert kinds["٣٠٠"] == "year"  # three digits: a year or a number
    assert kinds["أربع"] == "number"
    assert kinds["أكتوبر"] == "date"


def test_the_shipped_model_points_at_four_points(default_index) -> None:
    ans = answer("كم نقطة أساسية تمحور حولها اجتماع مصراتة؟", default_index)
    span = ans.results[0].answer
    assert span is not None and span.text == "أربع نقاط"
    text = ans.results[0].article.text
    quote = ans.results[0].quotes[span.sentence]
    assert text[span.start : span.end] == span.text
    assert quote.start <= span.start < span.end <= quote.end
    assert 0.0 < span.probability <= 1.0


def test_why_and_how_get_no_span(default_index) -> None:
    for q in ("لماذا التقى كوبلر حفتر؟", "ليش فرنسا تبي ترسل عسكر لبنغازي؟", "كيف وصل حفتر إلى القاهرة؟"):
        ans = answer(q, default_index, span_model=EVERY)
        assert ans.results and all(r.answer is None for r in ans.results)


def test_every_span_is_verbatim_inside_its_quote_and_cuts_no_word(default_index) -> None:
    path = Path(__file__).resolve().parent.parent / "bench" / "questions" / "dialect.jsonl"
    questions = [json.loads(line)["question"] for line in path.open(encoding="utf-8")]
    seen = 0
    for q in questions:
        for r in answer(q, default_index, span_model=EVERY).results:
            if r.answer is None:
                continue
            seen += 1
            a, text = r.answer, r.article.text
            quote = r.quotes[a.sentence]
            assert text[a.start : a.end] == a.text and a.text.strip() == a.text
            assert quote.start <= a.start < a.end <= quote.end
            assert a.start == 0 or not LETTER.match(text[a.start - 1])
            assert a.end == len(text) or not LETTER.match(text[a.end])
    assert seen >= 50


def test_a_model_file_of_another_version_is_refused(tmp_path) -> None:
    bad = tmp_path / "spans.json"
    bad.write_text(json.dumps({"version": 0, "a": [0, 0, 0], "b": {}, "threshold": 0.5, "weights": {}}))
    with pytest.raises(ModelLoadError, match="sanad train spans"):
        load_span_model(bad)
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ModelLoadError, match="retrain"):
        load_span_model(tmp_path / "broken.json")


def test_a_follow_up_about_the_event_is_searched_with_the_opening_question(default_index) -> None:
    sanad = Sanad(default_index)
    first = sanad.ask("من التقى حفتر في القاهرة؟")
    assert first.context is not None and first.context.topic == "من التقى حفتر في القاهرة؟"
    assert asks_about_event("ومتى حدث ذلك؟") and not asks_about_event("وماذا قال أيضاً؟")
    assert "التقى" in follow_up_query("ومتى حدث ذلك؟", first.context)
    assert "التقى" not in follow_up_query("وماذا قال أيضاً؟", first.context)
    then = sanad.ask("ومتى حدث ذلك؟", first.context)
    assert then.follow_up is not None and not then.follow_up.nothing_new  # not "nothing new": a new question
    # The same article answers, its sentence shown before quoted again: «وصل القاهرة الاثنين».
    assert then.answer.results[0].article.id == first.answer.results[0].article.id
    assert any("الاثنين" in q.text for q in then.answer.results[0].quotes)
    assert then.context is not None and then.context.topic == first.context.topic
    assert context_from_json(context_to_json(then.context)) == then.context


def test_dropping_shown_quotes_renumbers_or_drops_the_span(default_index) -> None:
    ans = answer("من التقى حفتر في القاهرة؟", default_index)
    r = ans.results[0]
    assert len(r.quotes) == 2
    second = r.quotes[1]
    at = r.article.text.index("الاثنين", second.start)
    with_span = replace(ans, results=(replace(r, answer=FoundSpan("الاثنين", at, at + 7, 1, 0.9, "date")),))
    kept = drop_shown(with_span, {(r.article.id, r.quotes[0].start)}, lambda a, q: ())
    assert kept is not None and kept.results[0].answer.sentence == 0
    assert kept.results[0].quotes[0].text[at - second.start : at - second.start + 7] == "الاثنين"
    gone = drop_shown(with_span, {(r.article.id, second.start)}, lambda a, q: ())
    assert gone is not None and gone.results[0].answer is None


def test_one_pass_scores_equal_the_features_training_reads(default_index) -> None:
    """SpanModel.scored sums weights by groups kept between questions; the sums must be those of
    span_features, which retrieval/training/spans.py fits (else the shipped weights mean something else)."""
    from retrieval.answer import analyse_question, span_sentences
    from retrieval.span_model import span_features

    model = load_span_model()
    checked = 0
    for q in ("كم نقطة أساسية تمحور حولها اجتماع مصراتة؟", "من التقى حفتر في القاهرة؟", "وين صارت القعدة بين ساركوزي وعبد الجليل؟",
              "متى وجهت قوات طبرق تحذيرها للسفن الأوروبية؟", "ما الذي رصده مراسل الوكالة الفرنسية فوق العقيلة؟"):
        asked = analyse_question(q, default_index)
        sentences = span_sentences(default_index, asked, answer(q, default_index).results[0])
        fast = model.scored(sentences, asked.span_kind, asked.wh)
        slow = [(sum(model.weights.get(f, 0.0) * v for f, v in features), j, i, k)
                for j, s in enumerate(sentences) for i, k, features in span_features(s, asked.span_kind, asked.wh)]
        assert [x[1:] for x in fast] == [x[1:] for x in slow] == [(j, i, k) for j, s in enumerate(sentences)
                                                                  for i, k in candidates(s)]
        assert all(abs(a[0] - b[0]) < 1e-9 for a, b in zip(fast, slow))
        checked += len(fast)
    assert checked > 100
