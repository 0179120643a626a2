"""Evidence signals and the answerability model: pure functions on real Arabic questions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.answerability import MODEL_VERSION, Model, load_model
from retrieval.errors import ModelLoadError
from retrieval.evidence import (
    FEATURES,
    FRAME_TERMS,
    SentenceMatch,
    evidence,
    expected_type,
    question_terms,
    sentence_types,
)
from retrieval.normalize import Analyzer


def test_frame_words_are_analysed_and_weigh_nothing() -> None:
    plain = Analyzer()
    for word in ("اسم", "عدد", "سبب", "يبلغ", "قام"):
        assert plain.term(word) in FRAME_TERMS
    q = question_terms(["اسم", "قو", "اجنب"], {"اسم": 3.0, "قو": 2.0, "اجنب": 4.0}, {"قو": 5, "اجنب": 1}, 9.0)
    assert q.weights == (0.0, 2.0, 4.0)
    assert q.unseen == (True, False, False)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("متى ولد جمال خاشقجي؟", "date"),
        ("في أي عام تأسست جامعة القاهرة؟", "date"),
        ("كم عدد النازحين في ليبيا؟", "number"),
        ("ما عدد ضباط الاتصال الفرنسيين؟", "number"),
        ("من هو الأمين العام للأمم المتحدة؟", None),
        ("ماذا قال كوبلر عن الجيش الليبي؟", None),
    ],
)
def test_expected_answer_type_from_the_question_words(question: str, kind: str | None) -> None:
    assert expected_type(question) == kind


def test_sentence_types_see_numbers_years_and_months() -> None:
    words = Analyzer().tokens
    assert sentence_types(words("انضم 32 عسكريا للثوار")) == (True, False)
    assert sentence_types(words("ولد في 13 أكتوبر 1958 بالمدينة المنورة")) == (True, True)
    assert sentence_types(words("تأسست الجامعة سنة 1908")) == (True, True)  # a year alone is a date
    assert sentence_types(words("نزح 32 شخصا")) == (True, False)  # two digits are not a year
    assert sentence_types(words("نحو نصف مليون نازح داخلي")) == (True, False)
    assert sentence_types(words("قال كوبلر إن الجيش يحتاج السلاح")) == (False, False)


def _q() -> object:
    # "ماذا طلب المجلس البلدي لمصراتة": focus طلب, then مجلس بلد مصرات (weights by rarity)
    terms = ["طلب", "مجلس", "بلد", "مصرات"]
    idf = {"طلب": 2.0, "مجلس": 1.0, "بلد": 1.5, "مصرات": 3.0}
    return question_terms(terms, idf, {t: 3 for t in terms}, 6.0, "ماذا طلب المجلس البلدي لمصراتة؟", terms, 7.5)


def test_evidence_counts_what_the_best_sentence_and_its_neighbours_hold() -> None:
    q = _q()
    sentences = [
        SentenceMatch(frozenset({1, 2}), (3, 4), (1, 2)),
        SentenceMatch(frozenset({0, 1, 2, 3}), (0, 2, 3, 5), (3, 0, 1, 2)),
        SentenceMatch(frozenset(), ()),
    ]
    ev = evidence(q, sentences, frozenset(), rank=1, score=7.5, top_score=7.5, next_score=5.0)
    assert ev.best == 1
    assert ev.cov_sentence == ev.cov_window == ev.cov_passage == pytest.approx(1.0)
    assert ev.focus_missing == 0.0 and ev.rarest_matched == 1.0
    assert ev.margin == pytest.approx(1 / 3)
    assert ev.score_norm == pytest.approx(1.0)
    assert ev.pairs == pytest.approx(2 / 3)  # (طلب, مجلس) and (مجلس, بلد) adjacent; (بلد, مصرات) not
    assert len(ev.vector()) == len(FEATURES)


def test_evidence_without_the_asked_about_verb_and_the_rarest_word() -> None:
    q = _q()
    only_council = [SentenceMatch(frozenset({1, 2}), (0, 1), (1, 2))]
    ev = evidence(q, only_council, frozenset(), rank=2, score=3.0, top_score=7.5, next_score=None)
    assert ev.focus_missing == 1.0 and ev.rarest_matched == 0.0
    assert ev.cov_window == pytest.approx(2.5 / 7.5)
    assert ev.max_missing == pytest.approx(3.0 / 6.0)
    assert ev.margin == 0.0 and ev.score_ratio == pytest.approx(0.4)


def test_title_words_count_in_the_window_but_not_in_the_body_share() -> None:
    q = _q()
    ev = evidence(q, [SentenceMatch(frozenset({0}), (0,), (0,))], frozenset({3}), 1, 5.0, 5.0, None)
    assert ev.cov_window == pytest.approx(5.0 / 7.5)
    assert ev.cov_body == pytest.approx(2.0 / 4.5)


def test_the_shipped_model_loads_and_prefers_evidence() -> None:
    model = load_model()
    assert 0.0 < model.threshold < 1.0 and model.meta["command"] == "sanad train answerability"  # the command that made it
    q = _q()
    full = evidence(q, [SentenceMatch(frozenset({0, 1, 2, 3}), (0, 1, 2, 3), (0, 1, 2, 3))], frozenset(), 1, 7.5, 7.5, 2.0)
    thin = evidence(q, [SentenceMatch(frozenset({1}), (0,), (1,))], frozenset(), 1, 1.0, 1.0, 0.9)
    assert model.probability(full) > model.threshold > model.probability(thin)


def test_model_files_of_another_version_or_shape_are_refused(tmp_path: Path) -> None:
    good = load_model().to_json()
    path = tmp_path / "m.json"
    path.write_text(json.dumps({**good, "version": MODEL_VERSION + 1}), encoding="utf-8")
    with pytest.raises(ModelLoadError, match="retrain"):
        load_model(str(path))
    path.write_text(json.dumps({**good, "coef": good["coef"][:-1]}), encoding="utf-8")
    with pytest.raises(ModelLoadError, match="not a valid"):
        load_model(str(path))
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ModelLoadError, match="cannot read"):
        load_model(str(path))
    assert Model.from_json(good).to_json() == good
