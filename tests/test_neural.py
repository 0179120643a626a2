"""The neural NER tagger (:mod:`retrieval.actors.neural`): shipped weights, bad input, side file, backends."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from retrieval.actors import extract_actors, neural
from retrieval.actors.backend import AUTO_MARGIN, CRF_DEV_MICRO_F1, auto_choice
from retrieval.actors.backend import get_tagger as cached_get_tagger
from retrieval.actors.ensemble import fill_tags
from retrieval.actors.neural import DEFAULT_WEIGHTS, NeuralTagger
from retrieval.actors.tagger import tokenize
from retrieval.errors import ModelLoadError

KOBLER = "قال المبعوث الأممي مارتن كوبلر إن الحوار سيستأنف في جنيف"


@pytest.fixture(scope="module")
def tagger() -> NeuralTagger:
    return NeuralTagger.load()


def test_tags_a_known_name_and_a_place(tagger: NeuralTagger) -> None:
    toks = tokenize(KOBLER)
    tags = tagger.tag(toks)
    assert len(tags) == len(toks)
    assert tags[toks.index("مارتن")] == "B-PERS" and tags[toks.index("كوبلر")] == "I-PERS"
    assert tags[toks.index("جنيف")] == "B-LOC"
    assert tags[toks.index("قال")] == "O"


def test_deterministic_and_batch_independent(tagger: NeuralTagger) -> None:
    sents = [tokenize(KOBLER), tokenize("وصل معمر القذافي إلى طرابلس"), ["ليبيا"]]
    once = tagger.tag_sentences(sents)
    assert once == tagger.tag_sentences(sents)
    assert once == [tagger.tag(s) for s in sents]
    assert NeuralTagger.load().tag_sentences(sents) == once


def test_bad_input(tagger: NeuralTagger) -> None:
    sents = [[], ["ا" * 5000], ["Kobler", "2011", "F16", "ب52"], ["☃", "𝔸", "\u200f", ""], ["."] * 600]
    out = tagger.tag_sentences(sents)
    assert [len(t) for t in out] == [len(s) for s in sents]
    valid = set(tagger.tags)
    assert all(t in valid for s in out for t in s)
    assert tagger.tag_sentences([]) == []


def test_side_file_fields() -> None:
    meta = json.loads(DEFAULT_WEIGHTS.with_suffix(".json").read_text(encoding="utf-8"))
    for key in ("format", "version", "weights_sha256", "tags", "vocab", "command", "dev", "dims", "settings"):
        assert key in meta, key
    assert set(meta["tags"]) == {"O"} | {f"{p}-{t}" for p in "BI" for t in ("PERS", "ORG", "LOC", "MISC")}
    assert meta["command"] == "sanad train neural"  # the command that made it
    assert 0 < meta["dev"]["micro"]["f1"] <= 1 and {"PERS", "ORG", "LOC"} <= set(meta["dev"])
    assert DEFAULT_WEIGHTS.stat().st_size <= 25_000_000


def test_corrupted_weights_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "neural.npz"
    shutil.copy(DEFAULT_WEIGHTS.with_suffix(".json"), bad.with_suffix(".json"))
    bad.write_bytes(DEFAULT_WEIGHTS.read_bytes()[:1000])
    with pytest.raises(ModelLoadError, match="sanad train neural"):
        NeuralTagger.load(bad)
    with pytest.raises(ModelLoadError):
        NeuralTagger.load(tmp_path / "missing.npz")


def test_neural_backend_explicit_and_auto(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CAMELTOOLS_DATA", str(tmp_path))  # no camel-tools NER data
    tagger = cached_get_tagger.__wrapped__("neural")
    assert tagger.name == "neural"
    assert tagger.tag(tokenize(KOBLER))[tokenize(KOBLER).index("كوبلر")] == "I-PERS"
    meta = json.loads(DEFAULT_WEIGHTS.with_suffix(".json").read_text(encoding="utf-8"))
    figures = {"model": CRF_DEV_MICRO_F1, "neural": meta["dev"]["micro"]["f1"]}
    figures["ensemble"] = meta.get("ensemble_dev", {}).get("micro", {}).get("f1", 0.0)
    best = max(figures, key=lambda k: (figures[k], k == "model"))
    if figures[best] < CRF_DEV_MICRO_F1 + AUTO_MARGIN:  # a slower tagger must gain a point
        best = "model"
    assert cached_get_tagger.__wrapped__("auto").name == best


def test_auto_picks_the_best_recorded_dev_figure() -> None:
    fig = lambda f1: {"micro": {"f1": f1}}  # noqa: E731
    crf = CRF_DEV_MICRO_F1
    assert auto_choice({"dev": fig(crf - 0.01), "ensemble_dev": fig(crf + 0.02)}) == "ensemble"
    assert auto_choice({"dev": fig(crf + 0.03), "ensemble_dev": fig(crf + 0.02)}) == "neural"
    assert auto_choice({"dev": fig(crf), "ensemble_dev": fig(crf)}) == "model"  # a tie keeps the CRF
    assert auto_choice({"ensemble_dev": fig(crf + 0.007)}) == "model"  # so does a gain under a point (the shipped one)
    assert auto_choice({"ensemble_dev": fig(crf + 0.01)}) == "ensemble"
    assert auto_choice({"dev": fig(crf + 0.05), "auto": False}) == "model"
    assert auto_choice({"dev": "broken"}) == "model"


def test_ensemble_fills_the_crfs_gaps_with_neural_spans(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert fill_tags(["B-PERS", "I-PERS", "O", "O", "O"], ["O", "B-ORG", "I-ORG", "O", "B-LOC"]) == [
        "B-PERS", "I-PERS", "O", "O", "B-LOC",
    ]  # fmt: skip  (the ORG span overlaps the CRF's person: dropped whole)
    monkeypatch.setenv("CAMELTOOLS_DATA", str(tmp_path))
    ens = cached_get_tagger.__wrapped__("ensemble")
    crf, net = cached_get_tagger.__wrapped__("model"), cached_get_tagger.__wrapped__("neural")
    sents = [tokenize(KOBLER), tokenize("قال رئيس المجلس الرئاسي فايز السراج في طرابلس إن الحكومة ستعمل")]
    assert ens.name == "ensemble"
    assert ens.tag_sentences(sents) == [fill_tags(a, b) for a, b in zip(crf.tag_sentences(sents), net.tag_sentences(sents))]
    monkeypatch.setattr(neural, "DEFAULT_WEIGHTS", tmp_path / "missing.npz")
    with pytest.raises(ModelLoadError, match="sanad train neural"):  # named explicitly: no silent fallback
        cached_get_tagger.__wrapped__("ensemble")


def test_auto_falls_back_to_the_crf_when_neural_is_broken(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CAMELTOOLS_DATA", str(tmp_path))
    monkeypatch.setattr(neural, "DEFAULT_WEIGHTS", tmp_path / "missing.npz")
    assert cached_get_tagger.__wrapped__("auto").name == "model"
    with pytest.raises(ModelLoadError):
        cached_get_tagger.__wrapped__("neural")


@pytest.mark.parametrize("backend", ["neural", "ensemble"])
def test_neural_backends_beside_the_rules_keep_the_default_lists(default_articles, backend: str) -> None:
    locked, crf = cached_get_tagger(backend), cached_get_tagger("model")
    for a in default_articles:
        rules = {(x.text, x.type) for x in extract_actors(a.text)}
        both = [(x.text, x.type) for x in extract_actors(a.text, locked)]
        assert rules <= set(both)
        assert len(both) == len(set(both))
        assert not any(t.startswith(("وقال", "قال", "وأكد", "أكد")) for t, _ in both)
        # On the embedded corpus the CRF's lists hold theirs, but for one verb they take for a name
        # («و تشن القوات»: the reason the CRF, better on dev too, is the default).
        assert set(both) - {("تشن", "place")} <= {(x.text, x.type) for x in extract_actors(a.text, crf)}


def test_the_default_tagger_finds_new_names_and_no_junk_on_the_embedded_corpus(default_articles) -> None:
    auto = cached_get_tagger("auto")
    assert auto.name == "model"
    lists = {a.id[:3]: {(x.text, x.type) for x in extract_actors(a.text, auto)} for a in default_articles}
    assert ("خميس", "person") in lists["001"]  # «يقودها خميس نجل الزعيم القذافي»: no rule finds him
    assert "تشن" not in {t for t, _ in lists["001"]}
    assert not any(t.startswith(("على ", "إلى ")) for lst in lists.values() for t, _ in lst)  # «على القذافي»
    assert {"معمر القذافي", "جاي كارني", "موسى إبراهيم"} <= {t for t, _ in lists["001"]}


def test_index_workers_load_the_neural_backend(default_articles) -> None:
    from retrieval.index import tagging
    from retrieval.index.mentions import groups_of

    texts = [a.text for a in default_articles[:2]] + [KOBLER + "."]
    pooled = [g for chunk in tagging._pooled(texts, "neural", 2) for g in chunk]
    assert pooled == [groups_of(t, cached_get_tagger("neural")) for t in texts]
    assert any("كوبلر" in name for _, name, _, _ in pooled[-1])
