"""The character classes of retrieval/charsets.py against Unicode, and their users."""

from __future__ import annotations

import unicodedata

import pytest
from camel_tools.utils.charsets import AR_DIAC_CHARSET
from camel_tools.utils.dediac import dediac_ar

from retrieval import charsets as cs
from retrieval.actors.spans import clean
from retrieval.actors.tagger import tokenize as anercorp_tokens
from retrieval.answer import clean_question
from retrieval.normalize import normalize_token, strip_article, tokenize


def _block(lo: int, hi: int, categories: tuple[str, ...]) -> frozenset[str]:
    return frozenset(chr(c) for c in range(lo, hi + 1) if unicodedata.category(chr(c)) in categories)


def test_arabic_letters_are_the_letters_of_the_arabic_blocks() -> None:
    letters = _block(0x0600, 0x06FF, ("Lo", "Lm")) | _block(0x0750, 0x077F, ("Lo", "Lm"))
    assert letters == cs.ARABIC_LETTERS_CHARSET
    assert all(cs.ARABIC_LETTER_RE.fullmatch(c) for c in letters)
    assert not any(cs.ARABIC_LETTER_RE.search(c) for c in "٠١٩؟،؛" + cs.FATHATAN + cs.SHADDA + "abc1")
    assert cs.ARABIC_ONLY_RE.match("القذافي") and not cs.ARABIC_ONLY_RE.match("ب52")


def test_arabic_script_covers_presentation_forms_and_punctuation() -> None:
    for text in ("ﻻ", "ﺍﻟﻘﺬﺍﻓﻲ", "؟", "١٦٦", "ـ"):
        assert cs.ARABIC_SCRIPT_RE.search(text), text
    assert not cs.ARABIC_SCRIPT_RE.search("What did Kobler say?")


def test_diacritics_are_camel_tools_and_word_marks_are_combining() -> None:
    assert cs.DIACRITICS_CHARSET == AR_DIAC_CHARSET
    assert dediac_ar("مُقَتَّلٌ") == "مقتل"
    assert all(unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Lm", "So", "Cf")
               for c in cs.WORD_MARKS_CHARSET)
    assert cs.DIACRITICS_CHARSET <= cs.WORD_MARKS_CHARSET


@pytest.mark.parametrize("word", ["مقُتل", "شخصاً", "الليـــبي", "هٰذا", "١٦٦", "NATO"])
def test_a_word_run_keeps_its_marks_and_tatweel(word: str) -> None:
    text = f"«{word}»،"
    assert [t.surface for t in tokenize(text)] == [word]
    assert anercorp_tokens(text) == ["«", word, "»", "،"]


def test_format_marks_are_invisible_and_cleaned_everywhere() -> None:
    assert all(unicodedata.category(c) == "Cf" for c in cs.FORMAT_MARKS_CHARSET)
    for mark in ("\u200e", "\u200f", "\u061c", "\u202b", "\u2067", "\u200c", "\u200d", "\ufeff"):
        assert mark in cs.FORMAT_MARKS_CHARSET
        assert clean(f"{mark}لبنان{mark}") == "لبنان"
        assert clean_question(f"ما{mark}هذا")[0] == "ما هذا"
        assert [t.surface for t in tokenize(f"لبنان{mark}سوريا")] == ["لبنان", "سوريا"]
    assert clean_question("a\tb\nc\x00d\x85e") == ("a b c d e", [])


def test_every_arabic_digit_translates_to_ascii() -> None:
    digits = _block(0x0600, 0x06FF, ("Nd",))
    assert digits == frozenset(cs.ARABIC_INDIC_DIGITS + cs.EASTERN_ARABIC_INDIC_DIGITS)
    assert {c: c.translate(cs.DIGITS_TO_ASCII) for c in digits} == {c: str(unicodedata.digit(c)) for c in digits}
    assert "الكتيبة ١٦٦ و۱۶۶".translate(cs.DIGITS_TO_ASCII) == "الكتيبة 166 و166"
    assert normalize_token("١٦٦") == "166"


def test_normalized_letters_are_what_normalization_leaves() -> None:
    assert len(set(cs.NORMALIZED_LETTERS)) == len(cs.NORMALIZED_LETTERS)
    folded = cs.ALEF_VARIANTS_CHARSET | set(cs.LETTER_FOLDS) | {cs.TATWEEL}
    assert not folded & set(cs.NORMALIZED_LETTERS)
    assert set(normalize_token("أإآٱىةیک")) <= set(cs.NORMALIZED_LETTERS)


@pytest.mark.parametrize(
    ("word", "lucene", "clitics"),
    [
        ("الامارات", "امارات", "امارات"),
        ("والامارات", "امارات", "امارات"),
        ("للقذافي", "قذافي", "قذافي"),
        ("وبالمدينه", "وبالمدينه", "مدينه"),  # two proclitics: only the tagger's set
        ("وللقذافي", "وللقذافي", "قذافي"),
        ("الى", "الى", "الى"),  # two letters must stay
        ("بال", "بال", "بال"),
        ("حفتر", "حفتر", "حفتر"),
    ],
)
def test_strip_article_keeps_two_letters_with_either_prefix_set(word: str, lucene: str, clitics: str) -> None:
    assert strip_article(word) == lucene
    assert strip_article(word, cs.CLITIC_ARTICLE_PREFIXES) == clitics


def test_article_prefix_sets_nest() -> None:
    assert cs.ARTICLE_PREFIXES == (*cs.PROCLITIC_ARTICLE_PREFIXES, cs.DEFINITE_ARTICLE)
    assert set(cs.ARTICLE_PREFIXES) <= set(cs.CLITIC_ARTICLE_PREFIXES)
    assert all(p.endswith(("ال", "لل")) for p in cs.CLITIC_ARTICLE_PREFIXES)
    assert cs.PROCLITICS == ("و", "ف", "ب", "ل", "ك")
