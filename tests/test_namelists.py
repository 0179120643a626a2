"""The tagger's outside lists (retrieval/training/namelists.py), the features that read them, and how
the trainer mixes registers (domain copies, AQMAR's held-out articles)."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.actors.features import Featurizer, Lists, normalize
from retrieval.training.namelists import (
    build_lists,
    entity_words,
    merge_counts,
    person_names,
    place_names,
)
from retrieval.training.ner import Recipe, domain_copies

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
AQMAR = SHARED / "ner" / "aqmar"


def test_person_names_are_normalized_and_bucketed(tmp_path: Path) -> None:
    f = tmp_path / "names.tsv"
    f.write_text(
        "mogherini\tم و غ ي ر ي ن ي\t1\n"
        "antun\tأ ن ط و ن\t3\n"
        "mohamed\tم ح م د\t40\n"
        "mohammed\tم ح م د\t5\n"  # the same Arabic spelling: counts add up
        "x\tس\t9\n"  # one letter: no name
        "broken line\n",
        encoding="utf-8",
    )
    names = person_names(f)
    assert names == {"موغيريني": 1, normalize("أنطون"): 2, "محمد": 3}


def test_place_names_hold_arabic_countries_and_cities_only() -> None:
    places = place_names()
    for word in ("ليبيا", "مصراته", "بنغازي", "طرابلس", "فرنسا"):
        assert places[normalize(word)] > 0, word
    assert not any(ch in w for w in places for ch in "پچژگک")  # Persian and Urdu spellings left out
    assert "the" not in places


def test_entity_words_count_only_what_a_set_labels() -> None:
    anerlike = [(["زار", "كوبلر", "طرابلس"], ["O", "B-PERS", "B-LOC"])]
    tweets = [(["كوبلر", "في", "طرابلس"], ["O", "O", "B-LOC"])]  # IDRISI: O says nothing of people
    counts = entity_words([(anerlike, False), (tweets, True)])
    assert counts["كوبلر"] == [0, 1, 0, 0, 0]
    assert counts["طرابلس"] == [0, 0, 2, 0, 0]
    assert counts["زار"] == [1, 0, 0, 0, 0]
    assert "في" not in counts
    assert merge_counts({"a": [1, 0, 0, 0, 0]}, {"a": [0, 2, 0, 0, 0], "b": [0, 0, 1, 0, 0]}) == {
        "a": [1, 2, 0, 0, 0], "b": [0, 0, 1, 0, 0],
    }  # fmt: skip


def test_lists_become_features_of_unseen_names() -> None:
    lists = build_lists(None, False, [([(["دولانويه"], ["B-PERS"])], False)])
    lists = Lists(names={"دولانويه": 2}, typed=lists.typed)
    fz = Featurizer(groups=("form", "context", "names", "lists"), lists=lists)
    feats = fz.sentence(["برتران", "دولانويه"])
    assert "pn=2" in feats[1] and "gx:PERS=4" in feats[1]
    assert "1:pn=2" in feats[0]  # the word before sees it
    assert not any(f.startswith(("pn=", "gx:")) for f in Featurizer(groups=("form",), lists=lists).sentence(["دولانويه"])[0])
    assert "nc=abd" in fz.sentence(["عبدالرحيم"])[0]


def test_other_registers_train_extra_copies_of_their_features() -> None:
    x = [["b", "w=دمشق"], ["b", "w=مدينه"]]
    assert domain_copies(x, "wiki") == [["b", "w=دمشق", "wiki|b", "wiki|w=دمشق"], ["b", "w=مدينه", "wiki|b", "wiki|w=مدينه"]]
    assert Recipe(lists=(), doc_block=0).groups == [
        g for g in Recipe().groups if g not in ("names", "lists", "document")
    ]


@pytest.mark.skipif(not AQMAR.exists(), reason="AQMAR is not in ../shared")
def test_aqmar_held_out_articles_are_a_tenth_and_never_in_training() -> None:
    from retrieval.training.ner_corpora import read_aqmar

    held = read_aqmar(AQMAR, held_out=True)
    rest = read_aqmar(AQMAR, held_out=False)
    every = read_aqmar(AQMAR)
    assert held.tokens + rest.tokens == every.tokens == 73_853
    assert 0.08 < held.tokens / every.tokens < 0.12
    assert not {s for s in held.sentences} & {s for s in rest.sentences if len(s) > 8}


def test_a_model_carries_its_lists_and_document_block_into_tagging(tmp_path: Path) -> None:
    from retrieval.actors.tagger import Tagger
    from retrieval.training.ner import train_model

    sents = [
        (["قال", "الرئيس", "دولانويه", "في", "باريس", "."], ["O", "O", "B-PERS", "O", "B-LOC", "O"]),
        (["وزار", "حزب", "الليكود", "طرابلس", "."], ["O", "B-ORG", "I-ORG", "B-LOC", "O"]),
    ] * 10
    lists = Lists(names={"دولانويه": 2}, typed={"باريس": [0, 0, 3, 0, 0]})
    path = tmp_path / "m.crfsuite"
    train_model(sents, path, groups=Recipe().groups, folds=1, lists=lists, doc_block=15)
    tagger = Tagger.load(path)
    assert tagger.doc_block == 15
    assert dict(tagger.featurizer.lists.names) == {"دولانويه": 2}
    assert "gx:LOC=4" in tagger.featurizer.sentence(["باريس"])[0]
    tags = tagger.tag(["قال", "الرئيس", "دولانويه", "في", "باريس", "."])
    assert tags[2] == "B-PERS" and tags[4] == "B-LOC"
