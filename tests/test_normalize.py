"""The analysis chain on real Arabic words: one chain for index and query."""

from __future__ import annotations

import pytest

from retrieval.normalize import Analyzer, build_lexicon, normalize_token, tokenize


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("علي", "على"),  # alef maksura / ya, as both occur in the seeds
        ("إلي", "إلى"),
        ("مقُتل", "مقتل"),  # a damma inside the word (002)
        ("عدّة", "عدة"),  # shadda
        ("الأمم", "الامم"),  # hamza on alef
        ("إعلان", "اعلان"),
        ("آمر", "امر"),
        ("ٱلله", "الله"),  # alef wasla
        ("الليـــبي", "الليبي"),  # tatweel
        ("مدينة", "مدينه"),  # ta marbuta
        ("١٦٦", "166"),  # Eastern Arabic digits
        ("۱۶۶", "166"),  # Persian digits
        ("ﻻ", "لا"),  # presentation-form ligature (NFKC)
        ("NATO", "nato"),
    ],
)
def test_orthographic_variants_normalize_identically(a: str, b: str) -> None:
    assert normalize_token(a) == normalize_token(b)


def test_tokenize_keeps_offsets_into_the_original_text() -> None:
    text = "قال «كوبلر»، مقُتل ١٦٦ شخصاً!"
    for tok in tokenize(text):
        assert text[tok.start : tok.end] == tok.surface
    assert [t.surface for t in tokenize(text)] == ["قال", "كوبلر", "مقُتل", "١٦٦", "شخصاً"]


LEXICON = build_lexicon(
    [
        "قال كوبلر إن حفتر التقى الإمارات في مصراتة ومدينة بنغازي والوزير",
        "قوات حفتر في بنغازي ومصراتة",
    ]
)


@pytest.mark.parametrize(
    ("clitic", "bare"),
    [
        ("لحفتر", "حفتر"),
        ("لمصراتة", "مصراتة"),
        ("بمصراتة", "مصراتة"),
        ("وبمصراتة", "مصراتة"),
        ("والإمارات", "الإمارات"),
        ("بالإمارات", "الإمارات"),
        ("للإمارات", "الإمارات"),
        ("البريطانية", "البريطاني"),
    ],
)
def test_clitics_match_the_bare_word(clitic: str, bare: str) -> None:
    a = Analyzer(LEXICON)
    assert a.term(clitic) == a.term(bare)


def test_single_letter_proclitics_are_only_stripped_when_the_rest_is_attested() -> None:
    a = Analyzer(LEXICON)
    assert a.term("بنغازي") != a.term("نغازي")  # ب is part of the name
    assert a.term("وزير").startswith("وز")  # و is part of the word
    assert a.term("كوبلر").startswith("كو")


@pytest.mark.parametrize("word", ["من", "ما", "ماذا", "كم", "أين", "متى", "لماذا", "هل", "كيف", "في", "على", "علي"])
def test_question_words_and_stopwords_are_dropped(word: str) -> None:
    assert Analyzer().term(word) is None


def test_query_and_index_share_terms() -> None:
    a = Analyzer(LEXICON)
    question = a.tokens("ماذا قال كوبلر لحفتر في مصراتة؟")
    passage = a.tokens("قال كوبلر إن حفتر التقى الإمارات في مصراتة")
    assert question and set(question) <= set(passage)


def test_glued_words_are_split_when_both_halves_are_attested() -> None:
    a = Analyzer(build_lexicon(["بعثة الأمم المتحدة", "الأممالمتحدة"]))
    terms = a.terms("بعثة الأممالمتحدة")
    assert [t.term for t in terms] == a.tokens("بعثة الأمم المتحدة")
    assert "بعثة الأممالمتحدة"[terms[1].start : terms[2].end] == "الأممالمتحدة"


def test_unicode_and_diacritics_steps_are_camel_tools_own_on_every_code_point() -> None:
    # normalize.py spells out camel_tools' normalize_unicode and dediac_ar (importing camel_tools'
    # charsets costs 0.7 s of every fresh `sanad ask`): they must agree on every character.
    from camel_tools.utils.dediac import dediac_ar as camel_dediac
    from camel_tools.utils.normalize import normalize_unicode as camel_unicode

    from retrieval.normalize import dediac_ar, normalize_unicode

    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    text = "".join(chars)
    assert normalize_unicode(text) == camel_unicode(text)
    assert dediac_ar(text) == camel_dediac(text)
    for word in ("﷼", "﷽", "مُقَتَّلٌ", "شخصاً", "ﻻ", "هٰذا", "NATO"):
        assert normalize_unicode(word) == camel_unicode(word) and dediac_ar(word) == camel_dediac(word)
    assert normalize_token("﷼") == normalize_token("ريال")
