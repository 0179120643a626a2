"""The one service every front end answers through: options, follow-ups, actors, articles."""

from __future__ import annotations

import pytest

from retrieval.corpus import make_article
from retrieval.errors import InputError
from retrieval.followup import Context, actor_query, is_follow_up
from retrieval.index import Index
from retrieval.options import Options
from retrieval.service import Sanad

Q_KOBLER = "ماذا قال كوبلر عن الجيش الليبي؟"
FOLLOW_UP = "وماذا قال أيضاً؟"
# A small corpus where the CRF finds a person the rules miss (عمر الحاسي, named once, no title).
TALKS = (
    "قال المبعوث الأممي مارتن كوبلر إن الحوار الليبي سيستأنف في جنيف الأسبوع المقبل.\n"
    "وقال عمر الحاسي إن كوبلر وعد بحضور الجلسة الأولى من الحوار في طرابلس.\n"
    "وشهدت العاصمة هدوءا حذرا بعد اشتباكات متقطعة في الضواحي الجنوبية."
)
HEALTH = (
    "أعلنت وزارة الصحة أن المستشفيات في بنغازي تعاني نقصا حادا في الأدوية.\n"
    "وطالبت الوزارة المنظمات الدولية بإرسال شحنات عاجلة من المعدات الطبية."
)
Q_TALKS = "أين سيستأنف الحوار الليبي؟"


def talks_index(backend: str) -> Index:
    """The talks corpus, its actors tagged with ``backend`` (``SANAD_ACTORS_BACKEND`` acts at index time)."""
    return Index.build(
        [
            make_article(id="t01-talks", text=TALKS, title="استئناف الحوار الليبي في جنيف"),
            make_article(id="t02-health", text=HEALTH, title="نقص الأدوية في بنغازي"),
        ],
        tagger=backend,
    )


def _names(reply_or_answer) -> list[list[str]]:
    ans = getattr(reply_or_answer, "answer", reply_or_answer)
    return [[a.text for a in r.actors] for r in ans.results]


def test_follow_up_is_about_the_previous_actor_and_shows_only_new_quotes(default_index: Index) -> None:
    sanad = Sanad(default_index)
    first = sanad.ask(Q_KOBLER)
    assert first.follow_up is None and first.context is not None
    assert first.context.actor.text == "مارتن كوبلر"
    shown = {q.text for r in first.answer.results for q in r.quotes}
    more = sanad.ask(FOLLOW_UP, first.context)
    assert more.follow_up is not None and more.follow_up.actor.text == "مارتن كوبلر"
    assert more.follow_up.question == FOLLOW_UP and not more.follow_up.nothing_new
    new = [q.text for r in more.answer.results for q in r.quotes]
    assert new and not set(new) & shown
    assert any("ورأى كوبلر أن الوضع الإنساني" in q for q in new)
    assert more.context is not None and more.context.shown > first.context.shown  # the shown quotes add up
    # A question naming an actor is a new question, not a follow-up; without context nothing is a follow-up.
    assert sanad.ask("ماذا عن حفتر؟", more.context).follow_up is None
    assert sanad.ask(FOLLOW_UP).follow_up is None


def test_unanswered_and_wordless_questions_keep_the_context(default_index: Index) -> None:
    sanad = Sanad(default_index)
    first = sanad.ask(Q_KOBLER)
    refused = sanad.ask("ما هي عاصمة فرنسا؟", first.context)
    assert not refused.answer.answered and refused.context == first.context
    with pytest.raises(InputError):
        sanad.ask("؟؟", first.context)


@pytest.mark.parametrize(("backend", "has_hasi"), [("model", True), ("rules", False)])
def test_answers_and_follow_ups_use_the_configured_tagger(backend: str, has_hasi: bool) -> None:
    sanad = Sanad(talks_index(backend), Options(actors_backend=backend))
    direct = sanad.answer("ماذا قال عمر الحاسي عن كوبلر؟")
    assert ("عمر الحاسي" in sum(_names(direct), [])) is has_hasi
    first = sanad.ask(Q_TALKS)
    assert first.context is not None and first.context.actor.text == "مارتن كوبلر"
    more = sanad.ask(FOLLOW_UP, first.context)
    assert more.follow_up is not None
    # The follow-up's result lost the quote already shown: its actors are read again from the index.
    assert [q.text[:9] for r in more.answer.results for q in r.quotes] == ["وقال عمر "]
    assert ("عمر الحاسي" in sum(_names(more), [])) is has_hasi
    assert "طرابلس" in sum(_names(more), [])


def test_about_an_actor_and_article_lookup(default_index: Index) -> None:
    sanad = Sanad(default_index)
    kobler = sanad.ask(Q_KOBLER).context.actor
    assert actor_query(kobler) == "كوبلر"
    about = sanad.about(kobler)
    assert about.answered and all("كوبلر" in " ".join(q.text for q in r.quotes) for r in about.results)
    ids = [a.id for a in sanad.sources()]
    assert len(ids) == 5 and sanad.article(ids[1]).id == ids[1]
    assert sanad.article(ids[1][:3]).id == ids[1]  # a unique prefix
    assert sanad.article("0") is None and sanad.article("no-such-id") is None  # ambiguous, unknown


def test_follow_up_rules(default_index: Index) -> None:
    sanad = Sanad(default_index)
    ctx = sanad.ask(Q_KOBLER).context
    assert isinstance(ctx, Context)
    yes = [FOLLOW_UP, "ومتى؟ وأين؟"]
    no = ["وماذا قال مارتن كوبلر أيضاً؟", "ماذا قال رئيس المجلس البلدي لمصراتة عن الوضع الإنساني في المدينة؟", "؟"]
    for text in yes:
        assert is_follow_up(text, ctx, default_index.analyzer, sanad.names_an_actor), text
    for text in no:
        assert not is_follow_up(text, ctx, default_index.analyzer, sanad.names_an_actor), text
    assert ctx.fresh(ctx.at + 60 * 29, 30) and not ctx.fresh(ctx.at + 60 * 31, 30) and not ctx.fresh(ctx.at, 0)
