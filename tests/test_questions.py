"""retrieval/questions.py: what a question asks for, in Modern Standard Arabic and dialect."""

from __future__ import annotations

import pytest

from retrieval.normalize import normalize_token, tokenize
from retrieval.questions import (
    answer_type,
    dialect_forms,
    is_question_only,
    question_time,
)


def _words(question: str) -> list[str]:
    return [normalize_token(t.surface) for t in tokenize(question)]


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("من هو المبعوث الأممي الذي التقى حفتر؟", "person"),
        ("شكون اللي ضربت طياراتو المخازن في درنة؟", "person"),  # Maghrebi
        ("منو ولد القذافي اللي يقود الكتيبة الأمنية؟", "person"),  # Gulf
        ("مين اللي بيهاجم مصراتة؟", "person"),  # Levantine, Egyptian
        ("وين تدور المعارك؟", "place"),
        ("الكتيبة 166 بتحارب الإرهاب فين؟", "place"),  # the question word last
        ("في أي مدينة يتحصن مقاتلو التنظيم؟", "place"),
        ("إلى أي منظمة ينتمي؟", "organization"),
        ("امتى وصل حفتر للقاهرة؟", "date"),
        ("في أي عام ولد القذافي؟", "date"),
        ("قديش في نازحين جوا ليبيا؟", "number"),
        ("كام واحد اتقتل في معارك الصابري؟", "number"),
        ("ما عدد النازحين؟", "number"),
        ("ليش فرنسا تبي ترسل عسكر لبنغازي؟", "clause"),
        ("إزاي هيتشكل الجيش؟", "clause"),
        ("ماذا قال كوبلر؟", None),
        ("هل انتهت الحرب؟", None),
    ],
)
def test_answer_type_reads_question_words_msa_and_dialect(question: str, kind: str | None) -> None:
    assert answer_type(_words(question)) == kind


def test_a_question_word_last_or_alone_is_read_without_error() -> None:
    # «أي» last (seen on bench/scale.py's fragments: IndexError before), «من» alone, nothing.
    assert answer_type(_words("الكتيبة تتبع أي")) is None
    assert answer_type(_words("من")) == "person"
    assert answer_type(_words("من أي")) is None
    assert answer_type([]) is None


def test_min_is_who_only_where_it_asks() -> None:
    # «من» opening a question (or before هو/هي) asks who; elsewhere it is the preposition "from".
    assert answer_type(_words("من افتتح الاجتماع؟")) == "person"
    assert answer_type(_words("ماذا طلب المجلس من البعثة؟")) is None
    assert answer_type(_words("من أين جاء الدعم؟")) == "place"


def test_dialect_words_are_question_only_msa_content_words_are_not() -> None:
    for word in ("شكون", "وين", "قديش", "اللي", "مش", "عشان", "هاد", "ده", "بدو", "ولا", "تبي", "لازم", "وشكون"):
        assert is_question_only(normalize_token(word)), word
    for word in ("الجيش", "المعارك", "مصراتة", "اجتماع", "شكل"):
        assert not is_question_only(normalize_token(word)), word


def test_dialect_verb_forms() -> None:
    assert dialect_forms(normalize_token("بيهاجم")) == ("يهاجم",)
    assert dialect_forms(normalize_token("هتبعت")) == ("تبعت",)
    assert dialect_forms(normalize_token("اتقتل")) == ("قتل",)
    # Only candidates: answer() takes one only where the index lacks the word as written, so
    # بنغازي (ب before ن) is searched as بنغازي.
    assert dialect_forms(normalize_token("بنغازي")) == ("نغازي",)
    assert dialect_forms(normalize_token("الجيش")) == ()


def test_question_time_years_and_relative_times() -> None:
    t = question_time(_words("من فاز بالانتخابات الرئاسية الفرنسية عام 2022؟"))
    assert t.years == (2022,) and t.horizon == 0 and t
    t = question_time(_words("كم سعر سهم شركة أبل اليوم؟"))
    assert t.years == () and t.horizon == 2 and t.words == "اليوم"
    t = question_time(_words("ماذا حدث هذا الأسبوع في طرابلس؟"))
    assert t.horizon == 8
    assert not question_time(_words("ماذا قال كوبلر عن الجيش؟"))
    assert question_time(_words("ماذا حدث في 2014 و2015؟")).years == (2014,)  # «و2015» is glued: one year read


def test_review_cases_of_time_and_type() -> None:
    # «اليوم العالمي» is a day's name, not "today"; «الحساب الجاري» no period; «2020م» a year.
    assert not question_time(_words("متى يوافق اليوم العالمي للمرأة؟"))
    assert not question_time(_words("ما الرصيد في الحساب الجاري؟"))
    assert question_time(_words("ماذا حدث الشهر الجاري؟")).horizon == 45
    assert question_time(_words("ماذا حدث عام 2020م؟")).years == (2020,)
    # A pronoun between the question word and its noun; «لم» is a negation, not "why".
    assert answer_type(_words("ما هو عدد النازحين؟")) == "number"
    assert answer_type(_words("ما هي نسبة البطالة؟")) == "number"
    assert answer_type(_words("ما هو تاريخ الاتفاق؟")) == "date"
    assert answer_type(_words("لم يحضر الوزير الاجتماع")) is None
    # Words that are also Modern Standard content stay in the question.
    for word in ("دول", "كي", "جوا", "طيب", "هلا"):
        assert not is_question_only(normalize_token(word)), word
