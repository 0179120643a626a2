"""The one answer schema (retrieval/schema.py): every field carried, and an answer with a story
round-trips through ``to_dict(complete=True)`` and through a state store's view."""

from __future__ import annotations

import asyncio
import dataclasses
import json

from test_alerts import REPORT

from bot.telegram.store import MemoryStore
from bot.telegram.store.codec import view_from_json, view_to_json
from bot.telegram.views import AnswerView
from retrieval.answer import Answer
from retrieval.corpus import make_article
from retrieval.index import Index
from retrieval.schema import CARRIED, answer_to_dict
from retrieval.service import Sanad


def test_the_schema_carries_every_field_of_every_answer_dataclass() -> None:
    for cls, carried in CARRIED.items():  # a new field fails here until the schema carries it
        assert {f.name for f in dataclasses.fields(cls)} == carried, cls.__name__


def _story_answer(default_articles) -> tuple[Index, Answer]:
    index = Index.build([
        *default_articles,
        make_article(id="wasat-1", text=REPORT, source="بوابة الوسط", date="2016-09-12", url="https://alwasat.ly/1"),
        make_article(id="khabar-1", text=REPORT, source="ليبيا الخبر", date="2016-09-12"),
    ], tagger="rules")  # fmt: skip
    ans = Sanad(index).answer("من سيطر على ميناء الزويتينة؟")
    assert ans.answered and ans.results[0].also_reported_in, "the two reports are one story"
    return index, ans


def test_an_answer_with_a_story_round_trips_whole(default_articles) -> None:
    index, ans = _story_answer(default_articles)
    data = json.loads(json.dumps(ans.to_dict(complete=True), ensure_ascii=False))
    assert Answer.from_dict(data, index.articles) == ans
    public = ans.to_dict()  # the CLI contract: the same dict without what only rebuilding needs
    assert public == answer_to_dict(ans) and "terms" not in public and "highlights" not in public["results"][0]
    assert public["results"][0]["also_reported_in"][0]["source"] in ("بوابة الوسط", "ليبيا الخبر")


def test_a_stored_answer_view_keeps_its_story_after_a_button_press(default_articles) -> None:
    index, ans = _story_answer(default_articles)
    store = MemoryStore()
    view = AnswerView(id="1a", chat_id=3, answer=ans)

    async def round_trip() -> AnswerView:
        await store.put_view(view.id, view_to_json(view))
        return view_from_json(await store.get_view(view.id), index.articles)

    back = asyncio.run(round_trip())
    assert back.answer == ans and len(back.answer.results[0].also_reported_in) == 1
    old = dict(view_to_json(view), v=2)  # a row written by the previous version: a stale button, no error
    assert view_from_json(old, index.articles) is None

