"""The labelled NER sets read onto one tag set (retrieval/training/ner_corpora.py, issue #25 groundwork)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from retrieval.actors.conll import bio_spans
from retrieval.training.ner_corpora import (
    aqmar_tag,
    bilou_to_bio,
    parse_columns,
    read_anercorp,
    read_aqmar,
    read_idrisi,
    read_wojood,
    wojood_tag,
)

NER = Path(__file__).resolve().parents[1].parent / "shared" / "ner"


def test_aqmar_tags_map_onto_anercorps_and_drop_the_article_classes() -> None:
    assert [aqmar_tag(t) for t in ("B-PER", "I-PER", "B-LOC", "I--ORG", "B-MIS1", "I-MIS-2", "OO", "O", "inventory")] == [
        "B-PERS", "I-PERS", "B-LOC", "I-ORG", "O", "O", "O", "O", "O",
    ]


def test_wojood_keeps_the_outermost_person_organisation_or_place() -> None:
    lines = ["اللجنة I-OCC B-ORG", "القومية I-OCC I-ORG", "نابلس B-GPE", "الأسد I-ORG B-PERS", "أمس B-DATE", "", "سمير B-PERS"]
    sentences = [[(c[0], wojood_tag(c[1:])) for c in s] for s in parse_columns(lines, " ")]
    assert sentences == [
        [("اللجنة", "B-ORG"), ("القومية", "I-ORG"), ("نابلس", "B-LOC"), ("الأسد", "I-ORG"), ("أمس", "O")],
        [("سمير", "B-PERS")],
    ]


def test_idrisi_bilou_becomes_bio_locations() -> None:
    tags = bilou_to_bio(["O", "U-CTRY", "B-CITY", "L-CITY", "O", "B-ST", "I-ST", "L-ST"])
    assert tags == ["O", "B-LOC", "B-LOC", "I-LOC", "O", "B-LOC", "I-LOC", "I-LOC"]
    assert bio_spans(tags) == [(1, 2, "LOC"), (2, 4, "LOC"), (5, 8, "LOC")]


@pytest.mark.skipif(not NER.is_dir(), reason="../shared/ner is not here")
def test_the_shared_sets_read_with_their_published_counts() -> None:
    sets = [
        read_anercorp(NER / "anercorp-train.conll"),
        read_aqmar(NER / "aqmar"),
        read_wojood(NER / "wojood-sample" / "train.txt"),
        read_idrisi(NER / "idrisi-locations" / "gold-random-bilou"),
    ]
    assert {s.name: s.tokens for s in sets} == {"anercorp": 125_074, "aqmar": 73_853, "wojood": 18_887, "idrisi": 111_919}
    types = {s.name: {t[2:] for sent in s.sentences for _, t in sent if t != "O"} for s in sets}
    assert types == {"anercorp": {"PERS", "ORG", "LOC", "MISC"}, "aqmar": {"PERS", "ORG", "LOC"},
                     "wojood": {"PERS", "ORG", "LOC"}, "idrisi": {"LOC"}}
    assert sets[3].labels == frozenset({"LOC"})  # its O says nothing of people and organisations
    starts = Counter(t for s in sets[1].sentences for _, t in s if t.startswith("B-"))
    assert starts == {"B-PERS": 1472, "B-LOC": 1442, "B-ORG": 456}  # AQMAR's README counts
