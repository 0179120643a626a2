"""Segmentation of the five default articles: offsets, headings, captions, duplicates."""

from __future__ import annotations

from retrieval.segment import (
    passages,
    segment_article,
    source_line,
    split_sentences,
    unique_sentences,
)


def _texts(text: str, kind: str) -> list[str]:
    return [text[s.start : s.end] for s in segment_article(text) if s.kind == kind]


def test_every_segment_and_passage_maps_back_to_the_exact_source(default_articles) -> None:
    for a in default_articles:
        segs = segment_article(a.text)
        assert segs
        for s in segs:
            chunk = a.text[s.start : s.end]
            assert chunk == chunk.strip() and chunk
        for p in passages(a.id, a.text, segs):
            assert p.start == p.sentences[0].start and p.end == p.sentences[-1].end
            assert all(p.start <= s.start < s.end <= p.end for s in p.sentences)


def test_glued_headings_are_detached_and_not_sentences(article_text) -> None:
    text = article_text("001")
    headings = _texts(text, "heading")
    assert headings == ["تعليق حكومي", "راس لانوف", "خطوة مهمة"]
    sentences = _texts(text, "sentence")
    assert any(s.startswith("و تعليقا على ما يجري في مصراتة") for s in sentences)
    assert any(s.startswith("وفي تطورات أخرى شن الطيران الليبي") for s in sentences)
    assert not any(s.startswith(("تعليق حكومي", "راس لانوف", "خطوة مهمة")) for s in sentences)


def test_photo_captions_and_source_lines_are_not_sentences(article_text) -> None:
    t1 = article_text("001")
    assert _texts(t1, "caption") == ["أحد الثوار الليبيين في بريجا -أ ف ب"]
    t2 = article_text("002")
    assert _texts(t2, "caption") == ["المعارك احتدمت في عدة محاور\xa0بمدينة بنغازي (الجزيرة)"]  # verbatim: NBSP
    assert _texts(t2, "heading") == ["معارك بنغازي وسرت"]
    assert _texts(t2, "source") == ["المصدر : الجزيرة"]
    assert source_line(t2, segment_article(t2)) == "الجزيرة"


def test_a_line_broken_mid_sentence_is_one_sentence(article_text) -> None:
    text = article_text("002")
    first = _texts(text, "sentence")[0]
    assert first.startswith("قال المبعوث الدولي الخاص إلى ليبيا مارتن كوبلر")
    assert first.endswith("مع تزايد حدة الغارات الجوية على المدينة.")


def test_repeated_sentence_is_kept_once(article_text) -> None:
    text = article_text("001")
    repeated = "32 عسكريا ليبيا بينهم ضابط برتبة لواء في الكتيبة الأمنية"
    assert text.count(repeated) == 2
    kept = [text[s.start : s.end] for s in unique_sentences(text, segment_article(text))]
    assert sum(repeated in s for s in kept) == 1


def test_sentence_splitter_on_arabic_and_latin_punctuation() -> None:
    text = 'قال: "نحن نرحب" . هل هذا صحيح؟ نعم! بلغ 3.5 مليون في مصراتة.وأضاف أن أ. ف. ب نقلت الخبر، ثم انتهى'
    got = [text[s:e] for s, e in split_sentences(text)]
    assert got == [
        'قال: "نحن نرحب" .',
        "هل هذا صحيح؟",
        "نعم!",
        "بلغ 3.5 مليون في مصراتة.",
        "وأضاف أن أ. ف. ب نقلت الخبر، ثم انتهى",
    ]


def test_closing_quotes_stay_with_their_sentence() -> None:
    text = "قال ليون «إنه طلب الدعم.» ثم غادر."
    assert [text[s:e] for s, e in split_sentences(text)] == ["قال ليون «إنه طلب الدعم.»", "ثم غادر."]
