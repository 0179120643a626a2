"""What the index stores so that answers analyse nothing (#22): sentence and title terms, days, actor keys.

Each stored structure is checked against the computation it replaces, done here from the text as
the previous version did at query time (the analyzer over each sentence, the actor keys of every
group built in memory), on real articles: the default corpus and the first articles of the
SaudiNewsNet archive (real titles, sources and dates).
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections import defaultdict
from datetime import date
from itertools import islice
from pathlib import Path

import numpy as np
import pytest

from retrieval.answer import answer
from retrieval.corpus import Article, make_article
from retrieval.evidence import SentenceMatch, sentence_types
from retrieval.index import Index
from retrieval.index.actor_keys import key_words
from retrieval.index.mentions import TYPES
from retrieval.matching import _sentence_matches, _title_matches, candidates
from retrieval.service import Sanad
from retrieval.stories import NO_DAY

ARCHIVE = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "saudinewsnet" / "articles.jsonl.gz"
N_ARCHIVE = 120


def _archive_articles(n: int = N_ARCHIVE) -> list[Article]:
    if not ARCHIVE.is_file():
        pytest.skip(f"{ARCHIVE} is not here")
    out = []
    with gzip.open(ARCHIVE, "rt", encoding="utf-8") as fh:
        for line in islice(fh, n):
            o = json.loads(line)
            out.append(make_article(id=o["id"], text=o["text"], title=o.get("title"), source=o.get("source"),
                                    url=o.get("url"), date=o.get("date")))  # fmt: skip
    return out


@pytest.fixture(scope="module")
def articles(default_articles) -> list[Article]:
    return list(default_articles) + _archive_articles()


@pytest.fixture(scope="module")
def index(articles) -> Index:
    return Index.build(articles, tagger="rules")


def _questions(articles: list[Article], n: int = 60) -> list[str]:
    """Questions made as bench/scale.py makes them: a question word, then a run of an article's words."""
    out = []
    for i, a in enumerate(articles[:n]):
        words = a.text.split()
        start = (7 * i) % max(1, len(words) - 8)
        out.append(f"{('ماذا', 'من', 'متى', 'كم', 'أين')[i % 5]} {' '.join(words[start:start + 4 + i % 5])}؟")
    return out


# --------------------------------------------------------------------------- sentences and titles
def test_stored_sentence_terms_are_the_analyzers_own(index: Index, articles: list[Article]) -> None:
    vocab, analysed, analyzer = index.postings.vocab, index.analysed, index.analyzer
    sentences = np.asarray(index.passages.sentences)
    arts = np.repeat(np.asarray(index.passages.spans)[:, 0], np.diff(np.asarray(index.passages.sentence_ptr)))
    assert analysed.n_sentences == len(sentences) > 1000 and analysed.n_titles == len(articles)
    long = 0
    for row, ((s, e, _), pos) in enumerate(zip(sentences.tolist(), arts.tolist())):
        text = index.articles.at(pos).text
        a, b = analysed.term_ptr[row : row + 2].tolist()
        stored = [(vocab[t], s + x, s + y) for t, (x, y) in zip(analysed.terms[a:b].tolist(), analysed.spans[a:b].tolist())]
        assert stored == [(t.term, s + t.start, s + t.end) for t in analyzer.terms(text[s:e])], (pos, row)
        long += b - a > 20
    assert long > 100
    real = 0
    for pos, art in enumerate(articles):
        expected = [] if art.title_derived else [vocab.find(t) for t in analyzer.tokens(art.title)]
        assert analysed.title(pos) == expected and -1 not in expected
        real += bool(expected)
    assert real >= N_ARCHIVE - 5  # the archive's titles are real, the default corpus's derived


def _reanalysed(index: Index, article: Article, sentences, slot: dict[str, int]) -> list[tuple[SentenceMatch, tuple]]:
    """The previous version's sentence matches: each sentence of the passage analysed at query time."""
    out = []
    for seg in sentences:
        terms = index.analyzer.terms(article.text[seg.start : seg.end])
        hits = [(pos, slot[t.term], (t.start, t.end)) for pos, t in enumerate(terms) if t.term in slot]
        number, date_ = sentence_types([t.term for t in terms])
        match = SentenceMatch(frozenset(h[1] for h in hits), tuple(h[0] for h in hits), tuple(h[1] for h in hits), number, date_)
        out.append((match, tuple(h[2] for h in hits)))
    return out


def test_answers_read_the_matches_the_analysis_gave(index: Index, articles: list[Article]) -> None:
    checked = quoted = 0
    for question in _questions(articles):
        asked, cands = candidates(question, index)
        for c in cands:
            article = index.articles.at(c.position)
            for hit in (c.hit, *c.extra):
                stored = [(m.match, m.highlights) for m in _sentence_matches(index, hit, asked.slot_ids)]
                assert stored == _reanalysed(index, article, hit.passage.sentences, asked.slot), question
                checked += 1
            title = frozenset() if article.title_derived else frozenset(
                asked.slot[t] for t in index.analyzer.tokens(article.title) if t in asked.slot)  # fmt: skip
            assert _title_matches(index, c.position, asked.slot_ids) == title
        for r in answer(question, index).results:
            for qt in r.quotes:
                assert r.article.text[qt.start : qt.end] == qt.text
                assert set(qt.highlights) <= {(t.start, t.end) for t in index.analyzer.terms(qt.text)}
                quoted += 1
    assert checked > 300 and quoted > 50


# --------------------------------------------------------------------------- days
def test_a_day_in_the_future_is_kept_and_read_as_undated_until_it_comes(tmp_path: Path) -> None:
    text = "افتتح وزير الصحة اليوم مستشفى جديداً للأطفال في مدينة جدة بسعة مئتي سرير ويضم أقساماً للعناية المركزة."
    arts = [make_article(id="now", text=text, title="مستشفى في جدة", date="2015-10-04"),
            make_article(id="later", text=text.replace("جدة", "الدمام"), title="مستشفى في الدمام", date="2099-01-01"),
            make_article(id="never", text=text.replace("جدة", "تبوك"), title="مستشفى في تبوك", date="غداً")]  # fmt: skip
    index = Index.load(Index.build(arts, tagger="rules").save(tmp_path / "idx"))
    assert index.articles.days.tolist() == [date(2015, 10, 4).toordinal(), date(2099, 1, 1).toordinal(), NO_DAY]
    assert index.days.tolist() == [date(2015, 10, 4).toordinal(), NO_DAY, NO_DAY]  # 2099 has not come yet
    assert index.articles.days_until(date(2099, 1, 2))[1] == date(2099, 1, 1).toordinal()


# --------------------------------------------------------------------------- actor keys
def _old_keys(texts: list[str], types: list[str]) -> list[str]:
    """The previous version's keys, computed in memory at load from every group's text."""
    words = [key_words(t) for t in texts]
    endings: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for t, w in zip(types, words):
        if t == "person" and len(w) >= 2:
            endings[w[-1]].add(w)
    out = []
    for t, w in zip(types, words):
        if t == "person" and len(w) == 1 and len(endings.get(w[0], ())) == 1:
            w = next(iter(endings[w[0]]))
        out.append(f"{t}:{' '.join(w)}")
    return out


def _check_keys(index: Index) -> int:
    store, k = index.mentions, index.mentions.keys
    texts = [store.texts[g] for g in range(len(store.types))]
    types = [TYPES[t] for t in np.asarray(store.types).tolist()]
    old = _old_keys(texts, types)
    assert [k.keys[i] for i in k.key_ids.tolist()] == old
    assert list(k.keys) == list(dict.fromkeys(old))  # in the order of their first group
    by_word: dict[str, set[str]] = defaultdict(set)
    for text, key in zip(texts, old):
        for w in key_words(text):
            by_word[w].add(key)
    assert set(k.words) == set(by_word)
    for w, keys in by_word.items():
        assert {k.keys[i] for i in k.keys_with(w).tolist()} == keys, w
    return sum(1 for text, key in zip(texts, old) if len(key_words(text)) == 1 and key.count(" ") >= 1)


def test_stored_actor_keys_are_the_keys_built_in_memory(index: Index, default_index: Index) -> None:
    joined = _check_keys(index) + _check_keys(default_index)
    assert joined > 0  # some one-word persons joined a full name (حفتر -> خليفة حفتر)
    assert len(index.mentions.keys.keys) > 200


def test_an_addition_appends_and_keys_actors_as_a_rebuild_does(articles: list[Article], index: Index, tmp_path: Path) -> None:
    base = Index.build(articles[:60], tagger="rules")
    grown = Index.load(Index.load(base.save(tmp_path / "idx")).add(articles[60:], tagger="rules").save(tmp_path / "idx"))
    a, b = base.analysed, grown.analysed
    n = a.n_sentences
    assert np.array_equal(b.term_ptr[: n + 1], a.term_ptr) and np.array_equal(b.terms[: len(a.terms)], a.terms)
    assert np.array_equal(b.spans[: len(a.spans)], a.spans) and b.n_sentences == len(grown.passages.sentences)
    assert b.n_titles == len(grown.articles) and np.array_equal(b.title_ptr[: len(a.title_ptr)], a.title_ptr)
    assert np.array_equal(grown.articles.days, index.articles.days)
    # The keys are computed again over all the groups: the same as the one-pass build's.
    full, added = index.mentions.keys, grown.mentions.keys
    assert list(added.keys) == list(full.keys) and np.array_equal(added.key_ids, full.key_ids)
    assert np.array_equal(added.word_keys, full.word_keys) and np.array_equal(added.word_key_ptr, full.word_key_ptr)
    _check_keys(grown)
    report = Sanad(grown).actor("حفتر")
    assert report is not None and report.entry.name == "خليفة حفتر" and len(report.sentences) >= 2


# --------------------------------------------------------------------------- cold start
# What a fresh `sanad ask` and `sanad actors NAME` must not import: taggers, building, charts, the bot.
NOT_TO_ANSWER = ("camel_tools", "retrieval.index.builder", "retrieval.index.tagging", "retrieval.actors.backend",
                 "retrieval.actors.extract", "retrieval.actors.tagger", "multiprocessing", "matplotlib", "telegram")  # fmt: skip


def _imported(*args: str) -> set[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "bot.cli", *args], capture_output=True, text=True,
                         env=env, timeout=120)  # fmt: skip
    assert out.returncode in (0, 1), out.stderr[-2000:]
    return {line.split("|")[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}


def test_a_fresh_process_imports_only_what_answering_needs(default_index: Index, tmp_path: Path) -> None:
    d = default_index.save(tmp_path / "idx")
    for args in (("ask", "--json", "--index", str(d), "ماذا قال كوبلر عن الجيش الليبي؟"),
                 ("actors", "حفتر", "--json", "--index", str(d))):  # fmt: skip
        imported = _imported(*args)
        assert "retrieval.answer" in imported or "retrieval.actor_index" in imported
        loaded = sorted(m for m in imported if m.split(".")[0] in {n.split(".")[0] for n in NOT_TO_ANSWER}
                        and any(m == n or m.startswith(n + ".") for n in NOT_TO_ANSWER))  # fmt: skip
        assert not loaded, (args[0], loaded)
