"""Alerts (retrieval/alerts.py): new reports matched against what readers follow, one per story."""

from __future__ import annotations

from retrieval.alerts import Follow, match
from retrieval.corpus import make_article
from retrieval.index import Index
from retrieval.service import Sanad

REPORT = (
    "أعلن المشير خليفة حفتر اليوم أن قواته سيطرت على ميناء الزويتينة النفطي بعد معارك استمرت يومين. "
    "وقال حفتر في بيان إن الموانئ ستسلم إلى المؤسسة الوطنية للنفط لاستئناف التصدير في أقرب وقت. "
    "وأضاف البيان أن القوات أمنت الطرق المؤدية إلى الميناء وأن الحياة عادت إلى طبيعتها في المنطقة، "
    "فيما رحبت المؤسسة الوطنية للنفط بالخطوة ودعت إلى إبعاد المنشآت النفطية عن الصراع السياسي."
)
OTHER = "افتتح وزير الموارد المائية محطة جديدة لتحلية مياه البحر في مدينة زوارة بطاقة خمسين ألف متر مكعب يوميا."


def test_a_new_report_alerts_the_actor_and_subject_follows_once_per_story(default_articles) -> None:
    base = Index.build(default_articles, tagger="rules")
    new = [
        make_article(id="feed-a", text=REPORT, source="بوابة الوسط", date="2016-09-12"),
        make_article(id="feed-b", text=REPORT, source="ليبيا الخبر", date="2016-09-12"),  # the same report elsewhere
        make_article(id="feed-c", text=OTHER, source="بوابة الوسط", date="2016-09-12"),
    ]
    service = Sanad(base.add(new, tagger="rules"))
    follows = [
        Follow("chat1", "actor", "حفتر"),
        Follow("chat2", "actor", "حفتر"),
        Follow("chat2", "actor", "ساركوزي"),  # named in the old articles only
        Follow("chat3", "subject", "من سيطر على ميناء الزويتينة"),
        Follow("chat3", "subject", "ما هي عاصمة البرازيل"),  # nothing answers it
        Follow("chat4", "actor", "ح"),  # too short to look up: no alert, no error
    ]
    alerts = match(service, ["feed-a", "feed-b", "feed-c"], follows)
    got = [(a.follow.chat, a.follow.text, a.article_id, a.also) for a in alerts]
    assert got == [
        ("chat1", "حفتر", "feed-a", ("feed-b",)),
        ("chat2", "حفتر", "feed-a", ("feed-b",)),
        ("chat3", "من سيطر على ميناء الزويتينة", "feed-a", ("feed-b",)),
    ]
    assert all(a.sentence in REPORT for a in alerts) and all("حفتر" in a.sentence for a in alerts[:2])
    first = alerts[0].result  # shown as an answer's result: verbatim, its actors, the other outlet
    assert first.article.text[first.quotes[0].start : first.quotes[0].end] == first.quotes[0].text
    assert any("حفتر" in x.text for x in first.actors) and [m.source for m in first.also_reported_in] == ["ليبيا الخبر"]
    assert {a.story for a in alerts} == {"feed-a"} and alerts[0].result is alerts[1].result
    assert match(service, [], follows) == [] and match(service, ["feed-c"], follows[:2]) == []


def test_an_actors_sentences_can_be_read_for_some_articles_only(default_articles) -> None:
    service = Sanad(Index.build(default_articles, tagger="rules"))
    entry = service.actors.find("حفتر")[0]
    every = service.actors.sentences(entry)
    some = service.actors.sentences(entry, articles=[every[-1].article_id])
    assert some and {s.article_id for s in some} == {every[-1].article_id}
    assert [s for s in every if s.article_id == every[-1].article_id] == some
    assert service.actors.sentences(entry, articles=["no-such-article"]) == []


def test_what_was_added_since_and_what_a_follow_is(default_index) -> None:
    from retrieval.alerts import added_since, follow_kind

    ids = ["a", "b", "c", "d"]
    assert added_since(ids, 2, "b") == ["c", "d"] and added_since(ids, 4, "d") == [] and added_since(ids, 0, None) == ids
    assert added_since(ids, 2, "x") is None and added_since(ids, 5, "e") is None  # rebuilt: nothing is "new"
    service = Sanad(default_index)
    assert follow_kind(service, "حفتر") == "actor" and follow_kind(service, "ح") == "subject"
    assert follow_kind(service, "من سيطر على ميناء الزويتينة") == "subject"
