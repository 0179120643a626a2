"""The trained CRF NER tagger (retrieval.actors.tagger) and its CoNLL reader/writer."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from retrieval.actors.conll import (
    MAX_SENTENCE,
    bio_spans,
    read_conll,
    read_tagged_conll,
    tag_conll,
)
from retrieval.actors.tagger import DEFAULT_MODEL, REBUILD, Tagger, tokenize
from retrieval.errors import ModelLoadError
from retrieval.training.ner_measure import evaluate

ARTICLES = Path(__file__).resolve().parents[1] / "retrieval" / "data" / "libya-news"

# Sentences quoted verbatim from the default articles (checked below).
GADDAFI = (
    "عقب محادثات هي الأولي من نوعها بين الرئيس الفرنسي نيكولا ساركوزي ورئيس المجلس الوطني "
    "الانتقالي الليبي المعارض في قصر الإليزيه بباريس, تعهد ساركوزي بأن تكثف فرنسا الضربات "
    "الجوية علي قوات الزعيم الليبي معمر القذافي."
)
# (This article line has no-break spaces, so it is read from the file.)
LIBYA = next(
    line
    for line in (ARTICLES / "002_09255eaf65b40f2d.txt").read_text(encoding="utf-8").splitlines()
    if "ليبيا لا تتحمل البقاء" in line
)
# ANERcorp-style news lines (one token per space, punctuation split off).
SECURITY_COUNCIL = "وطالب مجلس الأمن الدولي الحكومة السودانية بوقف العمليات العسكرية في دارفور ."
GERMANY = "أعلن اتحاد صناعة السيارات في ألمانيا امس ان الانتاج سيتراجع ."


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger.load()


def _entities(toks: list[str], tags: list[str]) -> set[tuple[str, str]]:
    return {(t, " ".join(toks[a:b])) for a, b, t in bio_spans(tags)}


def test_sentences_are_verbatim_from_the_articles():
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(ARTICLES.glob("*.txt")))
    assert GADDAFI in text
    assert LIBYA in text


def test_finds_a_person(tagger):
    toks = tokenize(GADDAFI)
    ents = _entities(toks, tagger.tag(toks))
    assert ("PERS", "معمر القذافي") in ents
    assert ("PERS", "نيكولا ساركوزي") in ents


def test_finds_a_place(tagger):
    toks = tokenize(LIBYA)
    ents = _entities(toks, tagger.tag(toks))
    assert ("LOC", "ليبيا") in ents
    toks = GERMANY.split()
    assert ("LOC", "ألمانيا") in _entities(toks, tagger.tag(toks))


def test_finds_an_organisation(tagger):
    toks = SECURITY_COUNCIL.split()
    tags = tagger.tag(toks)
    orgs = [toks[a:b] for a, b, t in bio_spans(tags) if t == "ORG"]
    assert any(o[:2] == ["مجلس", "الأمن"] for o in orgs), list(zip(toks, tags))


def test_tag_text_pairs_tokens_and_tags(tagger):
    pairs = tagger.tag_text("قال الزعيم الليبي معمر القذافي")
    assert [t for t, _ in pairs] == ["قال", "الزعيم", "الليبي", "معمر", "القذافي"]
    assert all(g == "O" or g[:2] in ("B-", "I-") for _, g in pairs)


def test_empty_input(tagger):
    assert tagger.tag([]) == []
    assert list(tagger.tag_sentences([])) == []
    assert next(iter(tagger.tag_sentences([[], ["ليبيا"]]))) == []
    assert tagger.tag_text("") == []


def test_latin_digits_and_punctuation_are_outside(tagger):
    toks = ["2011", "hello", "world", "123", "3.5", ".", "،", "(", ")", "x"]
    assert tagger.tag(toks) == ["O"] * len(toks)


def test_odd_tokens_do_not_break_it(tagger):
    toks = ["", "\u200f", "ـــ", "مُحَمَّد", "😀", "ليبيا" * 50]
    assert len(tagger.tag(toks)) == len(toks)


def test_tag_sentences_is_lazy_and_matches_tag(tagger):
    sents = [tokenize(GADDAFI), GERMANY.split()]
    gen = tagger.tag_sentences(iter(sents))
    assert not isinstance(gen, list)
    assert list(gen) == [tagger.tag(s) for s in sents]


# --- CoNLL -----------------------------------------------------------------------------------


def test_read_conll_ignores_the_second_column():
    lines = ["أعلن\tO", "اتحاد\tB-ORG", "", "", "ألمانيا", ""]
    assert read_conll(lines) == [["أعلن", "اتحاد"], ["ألمانيا"]]


def test_conll_round_trip_keeps_lines_and_blanks(tagger):
    text = "\n\nأعلن\tO\nاتحاد\tB-ORG\nصناعة\nالسيارات\n\n\nفي\nألمانيا\n.\n\nمعمر\nالقذافي\n"
    out = io.StringIO()
    n = tag_conll(io.StringIO(text), out, tagger)
    src = text.split("\n")
    got = out.getvalue().split("\n")
    assert n == 9
    assert len(got) == len(src)
    for s, g in zip(src, got):
        if not s:
            assert g == ""
        else:
            tok, tag = g.split("\t")
            assert tok == s.split("\t")[0]
            assert tag == "O" or tag[:2] in ("B-", "I-")
    toks = [line.split("\t")[0] for line in got if line]
    tags = [line.split("\t")[1] for line in got if line]
    assert ("LOC", "ألمانيا") in _entities(toks, tags)


def test_wrong_columns_name_the_line():
    with pytest.raises(ValueError, match="line 3"):
        read_conll(["ليبيا\tB-LOC", "", "a\tb\tc"])
    with pytest.raises(ValueError, match="line 2"):
        read_tagged_conll(["ليبيا\tB-LOC", "طرابلس"])
    with pytest.raises(ValueError, match="line 1: unknown tag"):
        read_tagged_conll(["ليبيا\tB-CITY"])
    with pytest.raises(ValueError, match="line 3"):
        tag_conll(["", "", "x\ty\tz"], io.StringIO(), None)  # fails before any tagging


def test_train_reports_a_bad_file_with_its_line(tmp_path):
    from retrieval.training.ner import main

    bad = tmp_path / "bad.conll"
    bad.write_text("أعلن\tO\nاتحاد\tB-ORG\textra\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="line 2"):
        main(["--conll", str(bad), "--eval-only"])


class _Counter(io.TextIOBase):
    """A sink that counts what is written and keeps nothing."""

    def __init__(self) -> None:
        self.lines = 0

    def write(self, s: str) -> int:
        self.lines += s.count("\n")
        return len(s)


def test_a_100k_token_input_is_streamed(tagger):
    words = tokenize(GADDAFI) + tokenize(LIBYA) + GERMANY.split()
    sink = _Counter()
    written_at_half: list[int] = []

    def lines(n_tokens: int):
        for i in range(n_tokens):
            if i == n_tokens // 2:
                written_at_half.append(sink.lines)
            yield words[i % len(words)] + "\n"
            if i % 40 == 39:
                yield "\n"

    n = tag_conll(lines(100_000), sink, tagger)
    assert n == 100_000
    assert sink.lines == 100_000 + 100_000 // 40
    # Streamed: half the output was written before the second half of the input was read.
    assert written_at_half[0] >= 50_000


def test_a_sentence_without_blank_lines_is_tagged_in_pieces(tagger):
    toks = (GERMANY.split() * (2 * MAX_SENTENCE // len(GERMANY.split()) + 1))[: 2 * MAX_SENTENCE + 5]
    out = io.StringIO()
    assert tag_conll((t + "\n" for t in toks), out, tagger) == len(toks)
    assert out.getvalue().count("\n") == len(toks)


# --- model files -----------------------------------------------------------------------------


def _copy_model(tmp_path: Path) -> Path:
    model = tmp_path / "m.crfsuite"
    shutil.copy(DEFAULT_MODEL, model)
    shutil.copy(DEFAULT_MODEL.with_suffix(".json"), model.with_suffix(".json"))
    return model


def test_missing_model_names_the_file_and_the_fix(tmp_path):
    missing = tmp_path / "nope.crfsuite"
    with pytest.raises(ModelLoadError) as e:
        Tagger.load(missing)
    assert str(missing) in str(e.value)
    assert REBUILD in str(e.value)


def test_missing_side_file(tmp_path):
    model = _copy_model(tmp_path)
    model.with_suffix(".json").unlink()
    with pytest.raises(ModelLoadError, match="m.json"):
        Tagger.load(model)


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
def test_corrupted_model_raises(tmp_path, damage):
    model = _copy_model(tmp_path)
    data = model.read_bytes()
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        data = data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]
    elif damage == "garbage":
        data = b"not a model" * 100
    else:
        data = b""
    model.write_bytes(data)
    with pytest.raises(ModelLoadError) as e:
        Tagger.load(model)
    assert str(model) in str(e.value)
    assert REBUILD in str(e.value)


@pytest.mark.parametrize("side", ["{not json", '{"format": 1}', "[]", "\xff"])
def test_corrupted_side_file_raises(tmp_path, side):
    model = _copy_model(tmp_path)
    model.with_suffix(".json").write_text(side, encoding="latin-1")
    with pytest.raises(ModelLoadError, match="m.json"):
        Tagger.load(model)


def test_a_side_file_is_data_not_code():
    meta = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["model_file"] == DEFAULT_MODEL.name
    assert set(meta) >= {"format", "model_sha256", "groups", "stats"}


def test_shipped_files_have_a_licence_note():
    note = (DEFAULT_MODEL.parent / "NER-MODEL.md").read_text(encoding="utf-8")
    assert "CC BY-SA 4.0" in note and "Benajiba" in note and REBUILD in note


# --- evaluation helpers ----------------------------------------------------------------------


def test_spans_read_bio_as_conlleval():
    assert bio_spans(["B-PERS", "I-PERS", "O", "I-LOC", "I-LOC", "B-LOC", "I-ORG"]) == [
        (0, 2, "PERS"),
        (3, 5, "LOC"),
        (5, 6, "LOC"),
        (6, 7, "ORG"),
    ]


def test_evaluate_exact_spans_and_micro_without_misc():
    gold = [["B-PERS", "I-PERS", "O", "B-LOC", "B-MISC"]]
    pred = [["B-PERS", "O", "O", "B-LOC", "B-MISC"]]
    res = evaluate(gold, pred)
    assert res["PERS"]["f1"] == 0.0
    assert res["LOC"]["f1"] == 1.0
    assert res["MISC"]["f1"] == 1.0
    assert res["micro"]["p"] == 0.5 and res["micro"]["r"] == 0.5
