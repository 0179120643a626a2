"""Actor extraction on real sentences of the five default Libya articles."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from retrieval.actors import Actor, extract_actors
from retrieval.actors.words import (
    AMBIGUOUS_FIRST_NAMES,
    NAME_PARTICLES,
    NAME_PARTICLES_WRITTEN,
    TRIGGER_WORDS,
)
from retrieval.charsets import FORMAT_MARKS_RE
from retrieval.normalize import STOPWORDS, normalize_token

ARTICLES = sorted((Path(__file__).resolve().parents[1] / "retrieval" / "data" / "libya-news").glob("*.txt"))

# Sentences quoted verbatim from the articles.
SARKOZY = (
    "عقب محادثات هي الأولي من نوعها بين الرئيس الفرنسي نيكولا ساركوزي ورئيس المجلس الوطني "
    "الانتقالي الليبي المعارض في قصر الإليزيه بباريس, تعهد ساركوزي بأن تكثف فرنسا الضربات "
    "الجوية علي قوات الزعيم الليبي معمر القذافي."
)
ABDELJALIL = (
    "ومن جانبه, وجه عبد الجليل الدعوة للرئيس الفرنسي لزيارة بنغازي, معتبرا أن هذه الزيارة "
    "ستكون بمثابة دعم ومساندة للثورة الليبية.\n"
    "وعبر عبدالجليل عن شكره لكل الدول العربية وخاصة قطر والإمارات, مشيرا إلي أن الدعم "
    "الأساسي لليبيين جاء من الدول العربية"
)
BAROIN = (
    "ونقلت وكالة رويترز عن فرانسوا باروان المتحدث باسم الحكومة الفرنسية قوله: سيكون هناك "
    "عدد صغير من ضباط الاتصال مع المجلس الوطني الانتقالي لتنظيم حماية السكان المدنيين"
)
KOBLER = (
    "قال المبعوث الدولي الخاص إلى ليبيا مارتن كوبلر إنه التقى اللواء المتقاعد خليفة حفتر\n"
    " خلال زيارته للقاهرة، بينما تتواصل المعارك في بنغازي بمشاركة قوات غربية إلى جانب قوات "
    "حفتر، مع تزايد حدة الغارات الجوية على المدينة.\n\n"
    "وكان اللواء حفتر قد وصل القاهرة الاثنين قادما من طبرق، ليلتقي مسؤولين مصريين.\n\n"
    "وفي درنة، قال مراسل الجزيرة بليبيا نقلا عن مصادر أمنية بالمدينة إن طائرة حربية تابعة "
    "لحفتر قصفت المخازن الرئيسة للمواد التموينية."
)
MISRATA = (
    "وقال الناطق باسم المجلس البلدي لمصراتة أسامة بادي إن الاجتماع الذي شمل التشكيلات، "
    "تم بناءً على طلب بعثة الأممالمتحدة للدعم في ليبيا. وأكد بادي أنه تم الاتفاق خلال "
    "الاجتماع. وأشار بادي إلى أن المبعوث الدولي اُستُقبِل لدى وصوله مصراتة من قبل كل من "
    "عميد بلدية مصراتة محمد اشتيوي ووكيل البلدية مفتاح عظام."
)
QUOTED = (
    "وافتتح الاجتماع عميد البلدية ” محمد اشتيوي ” بكلمة أكد فيها أهمية الوصول إلى توافق.\n"
    "وطالب أمر الكتيبة 166 التابعة لرئاسة الاركان العامة ” محمد الحصان ” من المجتمع الدولي "
    "بتقديم الدعم للثوار لمكافحة الإرهاب."
)


def _by_text(actors: list[Actor]) -> dict[str, Actor]:
    return {a.text: a for a in actors}


def _article(prefix: str) -> str:
    (path,) = [p for p in ARTICLES if p.name.startswith(prefix)]
    return path.read_text(encoding="utf-8")


def test_display_text_drops_clitics_and_offsets_keep_them() -> None:
    found = _by_text(extract_actors(SARKOZY + "\n" + ABDELJALIL))
    for display, span in [("باريس", "بباريس"), ("الإمارات", "والإمارات"), ("فرنسا", "فرنسا")]:
        a = found[display]
        assert a.type == "place"
        assert (SARKOZY + "\n" + ABDELJALIL)[a.start : a.end] == span

    found = _by_text(extract_actors(KOBLER))
    cairo = found["القاهرة"]  # first mention "للقاهرة": ل + ال written لل
    assert KOBLER[cairo.start : cairo.end] in ("للقاهرة", "القاهرة")

    found = _by_text(extract_actors(QUOTED))
    brigade = found["الكتيبة 166"]
    assert brigade.type == "organization" and QUOTED[brigade.start : brigade.end] == "الكتيبة 166"


def test_a_place_written_with_a_proclitic_is_shown_without_it() -> None:
    """ANERcorp holds «وبلجيكا», «لفرنسا», «وليبيا» more often than the bare names: the gazetteer
    reads them as the curated places, so no actor keeps the «و» or the «ل»."""
    text = "يبدأ وزير الخارجية اليمني جولة تشمل بريطانيا وبلجيكا وموريتانيا وليبيا، ثم زيارة لفرنسا."
    places = [a.text for a in extract_actors(text) if a.type == "place"]
    assert places == ["بريطانيا", "بلجيكا", "موريتانيا", "ليبيا", "فرنسا"]


def test_offsets_always_point_at_the_display_form() -> None:
    for path in ARTICLES:
        text = path.read_text(encoding="utf-8")
        for a in extract_actors(text):
            span = normalize_token(text[a.start : a.end].replace(" ", "").replace("\n", ""))
            shown = normalize_token(a.text.replace(" ", ""))
            # proclitics only ever precede the display form (ل + ال is written لل)
            assert span.endswith(shown) or span.endswith(shown[2:]) and shown.startswith("ال"), (a, span)
            assert len(span) - len(shown) <= 3, (a, span)


def test_aliases_merge_into_the_longest_form() -> None:
    actors = extract_actors(KOBLER)
    haftar = [a for a in actors if "حفتر" in a.text]
    assert [(a.text, a.type) for a in haftar] == [("خليفة حفتر", "person")]
    assert KOBLER[haftar[0].start : haftar[0].end] == "خليفة حفتر"

    names = [a.text for a in extract_actors(ABDELJALIL) if a.type == "person"]
    assert names == ["عبد الجليل"]  # "عبدالجليل" (glued) is the same man

    actors = extract_actors(SARKOZY)
    assert [a.text for a in actors if "ساركوزي" in a.text] == ["نيكولا ساركوزي"]

    names = [a.text for a in extract_actors(MISRATA) if a.type == "person"]
    assert names.count("أسامة بادي") == 1 and "بادي" not in names


def test_actors_are_unique_and_in_order_of_first_mention() -> None:
    actors = extract_actors(KOBLER)
    texts = [a.text for a in actors]
    assert len(texts) == len(set(texts))
    assert texts[:4] == ["ليبيا", "مارتن كوبلر", "خليفة حفتر", "القاهرة"]


def test_no_junk_verbs_or_bare_titles() -> None:
    junk = {
        normalize_token(w)
        for w in "وقال قال أكد وأكد الرئيس رئيس المبعوث المتحدث الناطق اللواء عميد السيد الحكومة المجلس".split()
    }
    for path in ARTICLES:
        for a in extract_actors(path.read_text(encoding="utf-8")):
            words = [normalize_token(w) for w in a.text.split()]
            assert normalize_token(a.text) not in junk, a
            assert " ".join(words) not in TRIGGER_WORDS, a
            assert words[0] not in STOPWORDS - AMBIGUOUS_FIRST_NAMES and words[-1] not in STOPWORDS, a


def test_types_of_known_actors() -> None:
    expected = {
        "000": {
            ("نيكولا ساركوزي", "person"), ("معمر القذافي", "person"), ("عبد الجليل", "person"),
            ("فرانسوا باروان", "person"), ("عبد العاطي العبيدي", "person"), ("وكالة رويترز", "organization"),
            ("الأمم المتحدة", "organization"), ("حلف شمال الأطلسي", "organization"), ("فرنسا", "place"),
            ("ليبيا", "place"), ("بنغازي", "place"), ("مصراتة", "place"), ("طرابلس", "place"),
            ("قطر", "place"),
        },
        "001": {
            ("معمر القذافي", "person"), ("موسى إبراهيم", "person"), ("مصراتة", "place"), ("القاهرة", "place"),
            ("راس لانوف", "place"), ("الجامعة العربية", "organization"),
        },
        "002": {
            ("مارتن كوبلر", "person"), ("خليفة حفتر", "person"), ("مجلس النواب", "organization"),
            ("وكالة سبوتنيك الروسية", "organization"), ("بنغازي", "place"), ("القاهرة", "place"),
            ("طبرق", "place"), ("سرت", "place"), ("درنة", "place"),
        },
        "003": {
            ("برناردينو ليون", "person"), ("أسامة بادي", "person"), ("محمد اشتيوي", "person"),
            ("خليفة حفتر", "person"), ("صقر الجاروشي", "person"), ("المجلس البلدي لمصراتة", "organization"),
            ("بعثة الأمم المتحدة", "organization"), ("الكتيبة 166", "organization"), ("مصراتة", "place"),
            ("طبرق", "place"), ("سرت", "place"),
        },
        "004": {
            ("برناردينو ليون", "person"), ("محمد اشتيوي", "person"), ("محمد الحصان", "person"),
            ("سليم رعد", "person"), ("بعثة الأمم المتحدة", "organization"), ("الكتيبة 166", "organization"),
            ("مصراتة", "place"), ("ليبيا", "place"),
        },
    }
    for prefix, want in expected.items():
        got = {(a.text, a.type) for a in extract_actors(_article(prefix))}
        assert want <= got, (prefix, want - got)


def test_gazetteer_place_name_is_not_taken_for_a_person() -> None:
    # ANERcorp knows "ليون" (Lyon) as an organisation; here it is Bernardino Leon.
    text = _article("004")
    found = _by_text(extract_actors(text))
    assert "ليون" not in found
    assert found["برناردينو ليون"].type == "person"


def test_roles_from_titles_and_apposition() -> None:
    roles = {a.text: a.role for a in extract_actors(KOBLER + "\n" + BAROIN + "\n" + MISRATA + "\n" + QUOTED)}
    assert roles["مارتن كوبلر"] == "المبعوث الدولي الخاص إلى ليبيا"
    assert roles["خليفة حفتر"] == "اللواء المتقاعد"
    assert roles["فرانسوا باروان"] == "المتحدث باسم الحكومة الفرنسية"
    assert roles["أسامة بادي"] == "الناطق باسم المجلس البلدي لمصراتة"
    assert roles["محمد اشتيوي"] == "عميد بلدية مصراتة"
    assert roles["محمد الحصان"] == "أمر الكتيبة 166 التابعة لرئاسة الاركان العامة"
    assert roles["القاهرة"] is None


def test_a_lone_last_name_is_found_after_a_reporting_verb() -> None:
    # A quote shown on its own has no "مارتن كوبلر" to learn the alias from.
    sentence = "بينما قال كوبلر إن من المهم جدا بناء جيش قوي موحد لليبيا، على حد قوله."
    assert [(a.text, a.type) for a in extract_actors(sentence)] == [("كوبلر", "person"), ("ليبيا", "place")]
    for plural in ("قال مسؤولون إن الوضع خطير.", "وقالت مصادر إن القتال مستمر.", "وقال المتحدث إن القتال مستمر."):
        assert extract_actors(plural) == []


def test_glued_organisation_name_is_split_for_display() -> None:
    found = _by_text(extract_actors(MISRATA))
    unsmil = found["بعثة الأمم المتحدة"]
    assert unsmil.type == "organization"
    assert MISRATA[unsmil.start : unsmil.end] == "بعثة الأممالمتحدة"


@pytest.mark.parametrize(
    "text",
    ["", "   \n\t", "Reuters: Haftar met Kobler in Cairo on Monday.", "12 , 13 ."],
    ids=["empty", "blank", "latin", "digits"],
)
def test_empty_or_non_arabic_input_gives_no_actors(text: str) -> None:
    assert extract_actors(text) == []


def test_actors_are_deterministic_and_bidi_marks_change_nothing() -> None:
    """Web text carries RLM/LRM/ALM marks around words: the same actors, roles and display forms."""
    text = _article("003")
    first, second = extract_actors(text), extract_actors(text)
    assert first == second and len(first) >= 10
    for marks in (("\u200f", "\u200e"), ("\u061c", "\u2069"), ("\u202b", "\u202c")):
        marked = re.sub(r"(\w+)", lambda m, a=marks: a[0] + m.group(1) + a[1], text)
        again = extract_actors(marked)
        assert [(a.text, a.type, a.role) for a in again] == [(a.text, a.type, a.role) for a in first], marks
        # Offsets point into the marked text, at the same words.
        assert [FORMAT_MARKS_RE.sub("", marked[a.start : a.end]) for a in again] == [text[a.start : a.end] for a in first]


def test_written_name_particles_are_the_rules_particles_as_written() -> None:
    normalized = {normalize_token(p) for p in NAME_PARTICLES_WRITTEN}
    assert normalized - {"ابي"} <= NAME_PARTICLES  # the genitive أبي is only read off display text
    assert {"عبد", "أبو", "ابن", "آل"} <= set(NAME_PARTICLES_WRITTEN)


def test_long_input_is_linear_and_deduplicated() -> None:
    text = _article("002")
    once = extract_actors(text)
    big = "\n".join([text] * 40)  # about 20,000 tokens
    many = extract_actors(big)  # how fast: bench/time_limits.py
    assert [(a.text, a.type, a.role) for a in many] == [(a.text, a.type, a.role) for a in once]


def test_one_scan_gives_the_rules_and_the_tagger_their_own_tokens() -> None:
    """The rules' word tokens and the tagger's sentences, cut from one scan of the text, are those
    of their own scans (real articles, and text where a word, a mark or a dot could fall between)."""
    from retrieval.actors.backend import model_sentences
    from retrieval.actors.doc import Doc
    from retrieval.actors.lexicon import lexicon
    from retrieval.actors.spans import token_spans, tokens

    odd = ["a.b", "_abc x_y", "،ـ", "\u064e\u064fكلمة", "3.5 و 4.", "ـــ ليبيا", ". . نص", "مصراتة.وأضاف",
           "«قال» (هو)…؟!", "٣٫٥ مليون.", "\u200fلبنان\u200f.", "", "   ", "..."]
    texts = [p.read_text(encoding="utf-8") for p in ARTICLES] + odd
    for text in texts:
        spans = token_spans(text)
        assert tokens(text, spans) == tokens(text), text
        doc = Doc(text, tokens(text), lexicon())
        assert model_sentences(doc, spans) == model_sentences(doc), text
    assert [t.surface for t in tokens("مصراتة.وأضاف «قال» _x")] == ["مصراتة", "وأضاف", "قال", "x"]
