"""Actors' mentions found once at index time and stored in the index (retrieval.index.mentions)."""

from __future__ import annotations

import json
import re
from itertools import pairwise
from pathlib import Path

import pytest

import retrieval.actors.extract
from retrieval.actors import Actor, extract_actors, get_tagger
from retrieval.actors.extract import article_actors
from retrieval.answer import answer
from retrieval.corpus import Article, make_article
from retrieval.corpus_index import build_index
from retrieval.index import Index, StoredMention

# The CRF finds عمر الحاسي (named once, no title); the rules alone do not.
HASI = "وقال عمر الحاسي إن كوبلر وعد بحضور الجلسة الأولى من الحوار في طرابلس."
KOBLER = "قال المبعوث الأممي مارتن كوبلر إن الحوار الليبي سيستأنف في جنيف الأسبوع المقبل."


def _by_prefix(index: Index, prefix: str) -> list[StoredMention]:
    (aid,) = [a for a in index.articles if a.startswith(prefix)]
    return index.mentions.of_article(aid)


def _key(ms) -> list[tuple]:
    return [(m.article_id, m.start, m.end, m.type, m.text, m.group, m.role) for m in ms]


def test_haftar_is_stored_with_his_role_in_articles_002_and_003(default_index: Index) -> None:
    for prefix in ("002", "003"):
        haftar = [m for m in _by_prefix(default_index, prefix) if m.text == "خليفة حفتر"]
        assert len(haftar) >= 2 and {m.type for m in haftar} == {"person"}
        assert len({m.group for m in haftar}) == 1  # one group of aliases: حفتر, لحفتر, خليفة حفتر
        assert any("اللواء المتقاعد" in (m.role or "") for m in haftar), prefix
        text = default_index.articles[haftar[0].article_id].text
        assert all("حفتر" in text[m.start : m.end] for m in haftar)  # the span names him (clitics kept)
    # In 002 the bare حفتر and لحفتر (its span keeps the clitic) are shown with the article-wide longest form.
    haftar = [m for m in _by_prefix(default_index, "002") if m.text == "خليفة حفتر"]
    text = default_index.articles[haftar[0].article_id].text
    forms = {text[m.start : m.end] for m in haftar}
    assert {"خليفة حفتر", "حفتر", "لحفتر"} <= forms


def test_leon_inside_million_is_never_a_mention(default_index: Index) -> None:
    millions = 0
    for a in default_index.articles.values():
        inside = [(k.start(), k.end()) for k in re.finditer("مليون", a.text)]
        millions += len(inside)
        for m in default_index.mentions.of_article(a.id):
            assert not any(s < m.end and m.start < e for s, e in inside), (a.id, m)
            # A mention starts and ends at word boundaries.
            assert m.start == 0 or not a.text[m.start - 1].isalpha(), (a.id, m, a.text[m.start - 5 : m.end])
            assert m.end == len(a.text) or not a.text[m.end].isalpha(), (a.id, m)
    leon = [m for m in default_index.mentions if m.text == "برناردينو ليون"]
    assert millions >= 1 and len(leon) >= 2  # the test sees both words


def test_mention_store_reads_by_article_span_and_in_corpus_order(default_index: Index) -> None:
    store = default_index.mentions
    every = list(store)
    assert len(store) == len(every) > 100
    assert every == [m for aid in default_index.articles for m in store.of_article(aid)]
    assert store[0] == every[0] and store[-1] == every[-1] and store[3:5] == every[3:5]
    for aid in default_index.articles:
        ms = store.of_article(aid)
        assert [m.start for m in ms] == sorted(m.start for m in ms)
        assert all(a.end <= b.start for a, b in pairwise(ms))  # no overlap
        assert {m.group for m in ms} == set(range(len({m.group for m in ms})))  # 0, 1, ... per article
    kobler = [m for m in _by_prefix(default_index, "002") if m.text == "مارتن كوبلر"]
    first, last = kobler[0], kobler[-1]
    inside = store.in_span(first.article_id, first.start, last.end)
    assert inside[0] == first and inside[-1] == last and all(first.start <= m.start and m.end <= last.end for m in inside)
    assert store.in_span(first.article_id, first.start + 1, last.end)[0] != first  # not entirely inside
    assert store.in_span(first.article_id, first.start, first.end - 1) == []
    with pytest.raises(KeyError):
        store.of_article("no-such-article")


def test_article_actors_are_extract_actors_with_every_mention(default_articles: list[Article]) -> None:
    tagger = get_tagger("model")
    for a in default_articles:
        groups = article_actors(a.text, tagger)
        assert [g.actor for g in groups] == extract_actors(a.text, tagger)
        for g in groups:
            assert (g.actor.start, g.actor.end) in g.spans and list(g.spans) == sorted(g.spans)
    # What extract_actors gives is unchanged by the index-time API (checked against the version before it).
    assert extract_actors(KOBLER + "\n" + HASI, tagger) == [
        Actor("مارتن كوبلر", "person", 19, 30, "المبعوث الأممي"),
        Actor("جنيف", "place", 59, 63, None),
        Actor("عمر الحاسي", "person", 85, 95, None),
        Actor("طرابلس", "place", 142, 148, None),
    ]
    both = article_actors(KOBLER + "\n" + HASI, tagger)
    assert both[0].spans == ((19, 30), (99, 104))  # كوبلر of the second sentence is in his group


HEALTH = "أعلنت وزارة الصحة أن المستشفيات في بنغازي تعاني نقصا حادا في الأدوية."


def _talks(backend: str) -> Index:
    talks = make_article(id="t01", text=f"{KOBLER}\n{HASI}", title="الحوار الليبي")
    return Index.build([talks, make_article(id="t02", text=HEALTH, title="الأدوية")], tagger=backend)


def test_answers_show_what_the_index_stored_and_run_no_tagger(monkeypatch) -> None:
    rules, model = _talks("rules"), _talks("model")
    assert "عمر الحاسي" in {m.text for m in model.mentions}
    assert "عمر الحاسي" not in {m.text for m in rules.mentions}
    assert rules.history[-1]["actors"] == "rules" and model.history[-1]["actors"] == "model"

    def no_tagging(*args, **kwargs):
        raise AssertionError("a tagger ran at query time")

    monkeypatch.setattr(retrieval.actors.extract, "mentions", no_tagging)
    for index, has_hasi in ((rules, False), (model, True)):
        ans = answer("ماذا قال عمر الحاسي عن كوبلر؟", index)
        (r,) = ans.results
        names = [a.text for a in r.actors]
        assert ("عمر الحاسي" in names) is has_hasi
        # The quote's bare كوبلر is the article's مارتن كوبلر, with his role, at its first span in the quotes.
        kobler = next(a for a in r.actors if a.text == "مارتن كوبلر")
        assert kobler.role == "المبعوث الأممي"
        assert r.article.text[kobler.start : kobler.end] in ("مارتن كوبلر", "كوبلر")
        stored = index.mentions.actors(r.article.id, [(q.start, q.end) for q in r.quotes])
        assert r.actors == stored


def test_added_articles_bring_their_mentions(default_articles: list[Article], tmp_path: Path) -> None:
    full = Index.build(default_articles)
    base = Index.build(default_articles[:3])
    base.save(tmp_path / "idx")
    corpus = tmp_path / "more.jsonl"
    corpus.write_text(
        "\n".join(json.dumps({"id": a.id, "text": a.text}, ensure_ascii=False) for a in default_articles[3:]) + "\n",
        encoding="utf-8",
    )
    added = build_index([corpus], base=Index.load(tmp_path / "idx")).index
    # Each article is tagged on its own: old and new articles' mentions are those of a full build.
    assert _key(added.mentions) == _key(full.mentions)
    assert {m.article_id[:3] for m in added.mentions} == {"000", "001", "002", "003", "004"}
    assert added.history[-1]["mentions"] == len(full.mentions) - len(base.mentions) > 0
    added.save(tmp_path / "idx")
    assert _key(Index.load(tmp_path / "idx").mentions) == _key(full.mentions)


def test_tagging_reports_progress_and_a_corpus_without_actors_is_fine() -> None:
    seen: list[tuple] = []
    index = Index.build(
        [make_article(id="x", text="وارتفعت الأسعار بشكل كبير هذا الأسبوع."), make_article(id="y", text=HASI)],
        tagger="rules",
        progress=lambda done, total, stage: seen.append((done, total, stage)),
    )
    assert [s for s in seen if s[2] == "tagging actors"][-1] == (2, 2, "tagging actors")
    assert index.mentions.of_article("x") == [] and index.mentions.actors("x", [(0, 40)]) == ()
    assert len(Index.empty().mentions) == 0
