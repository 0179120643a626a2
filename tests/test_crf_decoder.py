"""The CRF's NumPy decoder (retrieval/actors/crf_numpy.py) against python-crfsuite, the reference.

The decoder must give exactly CRFsuite's tags: on every ANERcorp training sentence, on archive
sentences (SaudiNewsNet from ``../shared``, skipped when it is absent), on the default articles and
on odd input, whatever the batch and the cache.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import numpy as np
import pytest

from retrieval.actors.conll import read_conll
from retrieval.actors.crf_numpy import Decoder, read_model, viterbi
from retrieval.actors.tagger import SMALL_INPUT, Tagger, token_spans, tokenize
from retrieval.segment import split_sentences

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
ANERCORP = SHARED / "ner" / "anercorp-train.conll"
ARCHIVE = SHARED / "corpus" / "saudinewsnet" / "articles.jsonl.gz"


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger.load()


def _sentences(text: str) -> list[list[str]]:
    sents = [[w for w, _, _ in token_spans(text[s:e])] for s, e in split_sentences(text)]
    return [s for s in sents if s]


def _reference(tagger: Tagger, sents: list[list[str]]) -> list[list[str]]:
    """CRFsuite's tags, every ``doc_block`` sentences read as one document (as tag_sentences reads them)."""
    k = tagger.doc_block or 1
    return [t for i in range(0, len(sents), k) for t in tagger.tag_document_crfsuite(sents[i : i + k])]


def _decoded(decoder: Decoder, tagger: Tagger, doc: list[list[str]]) -> list[list[str]]:
    """The NumPy decoder's tags of one document, its document features given."""
    return decoder.decode(doc, tagger.featurizer.document(doc))


def test_weights_are_the_model_files_own(tagger: Tagger) -> None:
    import pycrfsuite

    model = read_model(tagger._data)
    crf = pycrfsuite.Tagger()
    crf.open_inmemory(tagger._data)
    info = crf.info()
    assert list(model.labels) == crf.labels()
    assert len(model.attrs) == len(info.attributes)
    lab = {x: i for i, x in enumerate(model.labels)}
    assert np.count_nonzero(model.state) <= len(info.state_features)
    for (attr, label), w in info.state_features.items():  # the dump prints 6 decimals
        assert model.state[model.attrs[attr], lab[label]] == pytest.approx(w, abs=1e-6)
    for (a, b), w in info.transitions.items():
        assert model.trans[lab[a], lab[b]] == pytest.approx(w, abs=1e-6)
    assert not model.state[model.pad].any()


@pytest.mark.slow
def test_tags_are_crfsuites_on_every_anercorp_sentence(tagger: Tagger) -> None:
    if not ANERCORP.exists():
        pytest.skip("ANERcorp is not in ../shared")
    sents = read_conll(ANERCORP.read_text(encoding="utf-8").split("\n"))
    assert len(sents) > 4000
    assert list(tagger.tag_sentences(sents)) == _reference(tagger, sents)


@pytest.mark.slow
def test_tags_are_crfsuites_on_archive_sentences(tagger: Tagger) -> None:
    if not ARCHIVE.exists():
        pytest.skip("SaudiNewsNet is not in ../shared")
    sents: list[list[str]] = []
    with gzip.open(ARCHIVE, "rt", encoding="utf-8") as f:
        for line, _ in zip(f, range(150)):
            sents.extend(_sentences(json.loads(line).get("text") or ""))
    assert sum(map(len, sents)) > 50_000
    assert list(tagger.tag_sentences(sents)) == _reference(tagger, sents)


def test_tags_are_crfsuites_on_the_default_articles(tagger: Tagger, default_articles) -> None:
    docs = [_sentences(a.text) for a in default_articles]
    want = [tagger.tag_document_crfsuite(d) for d in docs]
    assert [_decoded(tagger.decoder, tagger, d) for d in docs] == want
    assert tagger.tag_documents(docs) == want  # all five at once: the decoder's


def test_odd_input_is_tagged_as_crfsuite_tags_it(tagger: Tagger) -> None:
    long = tokenize("قال المبعوث الأممي مارتن كوبلر إن الحكومة الليبية في طرابلس وافقت .") * 120
    sents = [
        ["ليبيا"],
        ["BOUND", "BOUND", "|", "a|b", "||", "bg-=x|y", "-1:BOUND"],  # the feature strings' own syntax
        ["", "\u200f", "ـــ", "مُحَمَّد", "😀", "ليبيا" * 50, "2011", "F16", "ب52", "«", "»"],
        ["الزعيم", "الليبي", "السابق", "الراحل", "معمر", "القذافي"],  # a head across modifiers
        ["وزير", "الخارجية", "الليبي", "الاسبق", "العام", "عبد", "العاطي", "العبيدي"],
        long,  # 1,800 tokens in one sentence
        ["كوبلر"] * 3,
    ]
    assert [_decoded(tagger.decoder, tagger, [s])[0] for s in sents] == [tagger.tag_crfsuite(s) for s in sents]
    assert _decoded(tagger.decoder, tagger, sents) == tagger.tag_document_crfsuite(sents)
    assert list(tagger.tag_sentences(sents)) == _reference(tagger, sents)


def test_batches_and_the_cache_change_nothing(tagger: Tagger, default_articles) -> None:
    docs = [_sentences(a.text) for a in default_articles]
    want = [tagger.tag_document_crfsuite(d) for d in docs]
    small = Decoder(read_model(tagger._data), tagger.featurizer, cache_size=40)  # emptied again and again
    assert [_decoded(small, tagger, d) for d in docs] == want
    order = list(range(len(docs)))
    random.Random(7).shuffle(order)
    got = tagger.tag_documents([docs[i] for i in order])
    assert [got[order.index(i)] for i in range(len(docs))] == want
    assert tagger.tag_documents([docs[0], [], docs[1]]) == [want[0], [], want[1]]
    sents = [s for d in docs for s in d]
    assert list(tagger.tag_sentences(sents)) == _reference(tagger, sents)


def test_a_question_is_tagged_by_crfsuite_without_building_the_decoder(default_articles) -> None:
    fresh = Tagger.load()
    question = tokenize("ماذا قال المبعوث الأممي مارتن كوبلر عن اللواء خليفة حفتر؟")
    assert fresh.tag(question) == fresh.tag_crfsuite(question)
    assert [t for t in fresh.tag(question) if t != "O"]
    assert fresh._decoder is None  # ~0.1 s and a per-call cost a question does not need
    article = _sentences(default_articles[1].text)
    assert sum(map(len, article)) >= SMALL_INPUT
    assert list(fresh.tag_sentences(article)) == _reference(fresh, article)
    assert fresh._decoder is not None


def test_a_document_says_what_a_name_is_where_the_sentence_alone_does_not(tagger: Tagger) -> None:
    """«الليكود» alone after «حزب الليكود» earlier in the article: the document features see the head."""
    first = tokenize("قال حزب الليكود إنه يرفض الخطة .")
    later = tokenize("وأضاف أن الليكود سيصوت ضدها .")
    fz = tagger.featurizer
    assert "dl=orghead" in fz.document([first, later])[1][2]
    assert fz.document([later])[0][2] == []
    assert tagger.tag_documents([[first, later]])[0] == tagger.tag_document_crfsuite([first, later])


def _crfsuite_viterbi(state: np.ndarray, trans: np.ndarray) -> list[int]:
    """``crf1dc_viterbi`` transcribed loop for loop (crfsuite/lib/crf/src/crf1d_context.c)."""
    t_len, n = state.shape
    alpha = [list(state[0])]
    back = [[0] * n for _ in range(t_len)]
    for t in range(1, t_len):
        cur = []
        for j in range(n):
            best, arg = -np.finfo(np.float64).max, -1
            for i in range(n):
                score = alpha[t - 1][i] + trans[i, j]
                if best < score:
                    best, arg = score, i
            back[t][j] = arg
            cur.append(best + state[t, j])
        alpha.append(cur)
    best, last = -np.finfo(np.float64).max, 0
    for i in range(n):
        if best < alpha[-1][i]:
            best, last = alpha[-1][i], i
    path = [last]
    for t in range(t_len - 1, 0, -1):
        path.append(back[t][path[-1]])
    return path[::-1]


def test_viterbi_is_crfsuites_loop_ties_included() -> None:
    rng = np.random.default_rng(3)
    for trial in range(40):
        n = int(rng.integers(2, 6))
        lens = np.sort(rng.integers(1, 12, size=int(rng.integers(1, 7))))
        # Small integers: many exact ties, broken as CRFsuite breaks them (the first best).
        trans = rng.integers(-2, 3, size=(n, n)).astype(np.float64)
        state = rng.integers(-2, 3, size=(len(lens), int(lens.max()), n)).astype(np.float64)
        got = viterbi(state, lens, trans)
        for b, k in enumerate(lens):
            assert got[b, :k].tolist() == _crfsuite_viterbi(state[b, :k], trans), trial


def test_a_damaged_model_is_refused_by_the_reader(tagger: Tagger) -> None:
    data = bytearray(tagger._data)
    with pytest.raises(ValueError):
        read_model(bytes(data[:1000]))
    off_feat = int.from_bytes(data[28:32], "little")
    data[off_feat : off_feat + 4] = b"JUNK"
    with pytest.raises(ValueError):
        read_model(bytes(data))
