"""Actor backends: the shipped model beside the rules, auto/camel fallback, and `sanad tag`."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from retrieval.actors import extract_actors, get_tagger
from retrieval.actors.backend import (
    AUTO_BUDGET_TOKENS,
    auto_choice,
    auto_for,
    count_tokens,
)
from retrieval.actors.backend import get_tagger as cached_get_tagger
from retrieval.actors.neural import NeuralTagger
from retrieval.actors.tagger import tokenize
from retrieval.corpus import make_article
from retrieval.index import Index

pytestmark = [pytest.mark.integration]


def _auto_without_camel() -> str:
    """What ``auto`` gives without camel-tools: the best recorded dev figure of CRF, neural, ensemble."""
    return auto_choice(NeuralTagger.load().meta)


def test_model_backend_adds_to_the_rules_without_losing_or_junk(default_articles) -> None:
    tagger = get_tagger("model")
    assert tagger.name == "model"
    for a in default_articles:
        rules = {(x.text, x.type) for x in extract_actors(a.text)}
        both = [(x.text, x.type) for x in extract_actors(a.text, tagger)]
        assert rules <= set(both)
        assert len(both) == len(set(both))
        assert not any(t.startswith(("وقال", "قال", "وأكد", "أكد")) for t, _ in both)


def test_auto_falls_back_when_camel_is_missing_or_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CAMELTOOLS_DATA", str(tmp_path))
    assert cached_get_tagger.__wrapped__("auto").name == _auto_without_camel()
    broken = tmp_path / "data" / "ner" / "arabert"
    broken.mkdir(parents=True)
    (broken / "config.json").write_text("{broken")
    (tmp_path / "catalogue.json").write_text(json.dumps({"version": "1.6", "packages": {}, "components": {}}))
    with caplog.at_level(logging.WARNING, logger="retrieval.actors.backend"):
        assert cached_get_tagger.__wrapped__("auto").name == _auto_without_camel()
    assert sum("camel-tools NER unavailable" in r.getMessage() for r in caplog.records) == 1


def test_sanad_tag_keeps_lines_and_blank_lines(tmp_path: Path) -> None:
    src = tmp_path / "in.conll"
    src.write_text("قال\tO\nالزعيم\tO\nالليبي\tO\nمعمر\tB-PERS\nالقذافي\tI-PERS\n\nليبيا\n.\n", encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "tag", "--conll", str(src)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split("\n")
    assert len(lines) == len(src.read_text(encoding="utf-8").split("\n"))
    assert lines[5] == ""
    rows = [line.split("\t") for line in lines if line]
    assert [r[0] for r in rows] == ["قال", "الزعيم", "الليبي", "معمر", "القذافي", "ليبيا", "."]
    assert all(r[1] == "O" or r[1][:2] in ("B-", "I-") for r in rows)


def test_sanad_tag_reports_the_line_of_a_bad_row(tmp_path: Path) -> None:
    src = tmp_path / "bad.conll"
    src.write_text("قال\tO\nكوبلر\tB-PERS\textra\n", encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "tag", "--conll", str(src)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 2 and "line 2" in out.stderr and "Traceback" not in out.stderr


# --- auto weighs the corpus: the best tagger on record for a small one, the CRF for a large one ------


def _copies(articles, n: int) -> list:
    """``n`` copies of ``articles`` under new ids (a corpus of ``n`` times their tokens)."""
    return [make_article(id=f"{a.id}-{k}", text=a.text) for k in range(n) for a in articles]


def _tokens(articles) -> int:
    return sum(len(tokenize(a.text)) for a in articles)


def test_auto_counts_the_tokens_only_as_far_as_the_budget(default_articles) -> None:
    texts = [a.text for a in default_articles]
    assert count_tokens(texts, AUTO_BUDGET_TOKENS) == _tokens(default_articles) < AUTO_BUDGET_TOKENS
    assert auto_for(texts) == "auto"
    many = texts * (AUTO_BUDGET_TOKENS // _tokens(default_articles) + 1)
    assert AUTO_BUDGET_TOKENS < count_tokens(many, AUTO_BUDGET_TOKENS) < AUTO_BUDGET_TOKENS + max(map(len, texts))
    assert auto_for(many) == "model"
    assert auto_for(many, budget=10 * AUTO_BUDGET_TOKENS) == "auto"


def test_auto_tags_a_small_index_with_the_best_tagger_and_a_large_one_with_the_crf(default_articles) -> None:
    small = Index.build(default_articles)
    assert small.history[-1]["actors"] == cached_get_tagger("auto").name == _auto_without_camel()
    big_corpus = _copies(default_articles, AUTO_BUDGET_TOKENS // _tokens(default_articles) + 1)
    assert _tokens(big_corpus) > AUTO_BUDGET_TOKENS
    big = Index.build(big_corpus)
    assert big.history[-1]["actors"] == "model"
    crf = Index.build(big_corpus[:5], tagger="model")
    assert [(m.start, m.end, m.text) for m in big.mentions.of_article(big_corpus[0].id)] == [
        (m.start, m.end, m.text) for m in crf.mentions.of_article(big_corpus[0].id)
    ]


def test_sanad_index_add_keeps_the_index_tagger(default_articles, tmp_path: Path) -> None:
    def write(path: Path, articles) -> Path:
        lines = (json.dumps({"id": a.id, "text": a.text}, ensure_ascii=False) for a in articles)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    first = write(tmp_path / "first.jsonl", default_articles[2:])
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
    idx = tmp_path / "idx"

    def sanad(*args: str, **more: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, timeout=300,
                              env={**env, **more})  # fmt: skip

    other = "ensemble" if _auto_without_camel() == "model" else "model"  # not what auto takes alone
    assert sanad("index", str(first), "--out", str(idx), SANAD_ACTORS_BACKEND=other).returncode == 0
    more = write(tmp_path / "more.jsonl", default_articles[:2])
    out = sanad("index", str(more), "--add", "--out", str(idx))
    assert out.returncode == 0 and "two taggers" not in out.stderr
    steps = json.loads((idx / "manifest.json").read_text(encoding="utf-8"))["history"]
    assert [s["actors"] for s in steps] == [other, other]
    assert Index.build(default_articles[:2]).history[-1]["actors"] != other  # alone, auto tags them otherwise
    assert [m.text for m in Index.load(idx).mentions.of_article(default_articles[0].id)] == [
        m.text for m in Index.build(default_articles[:1], tagger=other).mentions
    ]


def test_a_tagger_other_than_the_index_is_used_and_said(default_articles, caplog: pytest.LogCaptureFixture) -> None:
    base = Index.build(default_articles[:2], tagger="rules")
    with caplog.at_level(logging.WARNING, logger="retrieval.index.tagging"):
        added = base.add(default_articles[2:], tagger="model")
    assert [h["actors"] for h in added.history] == ["rules", "model"]
    assert any("tagged with rules" in r.getMessage() and "two taggers" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="retrieval.index.tagging"):
        again = base.add(default_articles[2:])  # auto: the index's own tagger, nothing to say
    assert [h["actors"] for h in again.history] == ["rules", "rules"]
    assert not caplog.records


def test_a_large_corpus_is_tagged_on_other_cores_while_it_is_read(default_articles, monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    import retrieval.index.tagging

    corpus = _copies(default_articles, 2)
    alone = Index.build(corpus, tagger="model", workers=1)  # tagged here, after reading
    monkeypatch.setattr(retrieval.index.tagging, "POOL_MIN_ARTICLES", 2)  # as a large corpus is
    monkeypatch.setattr(retrieval.index.tagging, "_CHUNK", 2)
    pool_seen: list[bool] = []

    def reading():
        for k, a in enumerate(corpus):
            yield a
            if k == 5:  # the fourth new article after the pool's start: workers tag while we read
                pool_seen.append(bool(multiprocessing.active_children()))

    pooled = Index.build(reading(), tagger="model", workers=2)
    assert pool_seen == [True]
    assert pooled.history[-1]["actors"] == alone.history[-1]["actors"] == "model"
    assert list(pooled.mentions) == list(alone.mentions) and len(alone.mentions) > 0
    # An id repeated while reading is skipped by the reading and by the tagging alike.
    again = Index.build([*corpus[:3], corpus[1], *corpus[3:]], tagger="model", workers=2)
    assert list(again.mentions) == list(alone.mentions)


def test_articles_read_other_than_those_fed_are_all_tagged_then(default_articles) -> None:
    from retrieval.index.tagging import Tagging

    read = default_articles[1:]  # the reading kept four of the five articles fed
    with Tagging(Index.empty(), "model", workers=1) as tagging:
        for _ in tagging.feed(default_articles):
            pass
        tagged = tagging.finish(read)
    alone = Index.build(read, tagger="model").mentions
    assert list(tagged.rows) == np.asarray(alone.rows).ravel().tolist() and len(alone) > 0
    assert tagged.texts == [alone.texts[g] for g in range(len(alone.texts))]
    assert tagged.backend == "model"
