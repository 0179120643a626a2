"""Spelling correction of question words the corpus never saw (retrieval/spelling.py)."""

from __future__ import annotations

from retrieval.answer import answer
from retrieval.spelling import correct, edits1


def test_edits1_holds_each_kind_of_single_edit() -> None:
    edits = set(edits1("روتشليد"))
    assert "روتشيلد" in edits  # ARCD's misspelling of Rothschild: two letters swapped
    assert {"روتليد", "روتشلييد", "روتشلبد"} <= edits  # deletion, insertion, replacement
    assert "روتشيلدز" not in edits  # two edits away
    assert "روتشليد" in set(edits1("روتشليدد"))


def test_correct_picks_the_most_frequent_neighbour_and_leaves_short_or_latin_words() -> None:
    df = {"اضطراب": 7, "اضطرار": 2, "عدد": 40}.get
    frequency = lambda t: df(t) or 0  # noqa: E731
    assert correct("اظطراب", frequency) == "اضطراب"
    assert correct("عددد", frequency) is None  # four letters: too short to guess
    assert correct("kobler", frequency) is None
    assert correct("مستشفيات", frequency) is None  # no neighbour known


def test_a_misspelt_name_is_answered_with_a_note(default_index) -> None:
    ans = answer("ماذا قال كوبلرر عن الجيش الليبي؟", default_index)
    assert ans.answered and ans.results[0].article.id.startswith("002")
    assert any("«كوبلرر» is not in the corpus: searched «كوبلر» instead" in n for n in ans.notes)


def test_real_words_of_other_topics_are_not_corrected_into_corpus_words(default_index) -> None:
    ans = answer("أين يقع المغرب؟", default_index)
    assert not any("searched" in n for n in ans.notes)


def test_a_word_the_index_holds_with_a_clitic_is_not_corrected(default_index) -> None:
    ans = answer("من افتتح الاجتماع في مصراتة؟", default_index)  # the corpus has only وافتتح
    assert ans.answered and not any("searched" in n for n in ans.notes)
