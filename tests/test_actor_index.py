"""The actor index: actors across articles from the mentions stored at index time, and `sanad actors`."""

from __future__ import annotations

import json

import pytest
from test_cli import sanad

from retrieval.errors import InputError
from retrieval.index import Index
from retrieval.service import Sanad


@pytest.fixture(scope="module")
def service(default_index: Index) -> Sanad:
    return Sanad(default_index)


def _articles(report) -> set[str]:
    return {s.article_id[:3] for s in report.sentences}


def test_haftar_is_one_actor_across_articles_with_his_role(service: Sanad) -> None:
    report = service.actor("حفتر")
    assert report is not None and report.entry.name == "خليفة حفتر" and report.entry.type == "person"
    assert any("اللواء المتقاعد" in r for r in report.entry.roles)
    assert {"002", "003"} <= _articles(report)
    assert all("حفتر" in s.text for s in report.sentences)  # every sentence names him
    text_of = {a.id: a.text for a in service.sources()}
    assert all(text_of[s.article_id][s.start : s.end] == s.text for s in report.sentences)  # verbatim, with offsets
    assert report.sentences[0].text.count("خليفة حفتر") >= 1  # the full name first
    assert report.co_actors and all(e.key != report.entry.key for e, _ in report.co_actors)


def test_leon_is_found_by_word_never_inside_million(service: Sanad) -> None:
    report = service.actor("ليون")
    assert report is not None and report.entry.name == "برناردينو ليون"
    assert {"003", "004"} <= _articles(report)
    assert all("مليون" not in s.text[s.mention[0] - s.start : s.mention[1] - s.start] for s in report.sentences)
    assert all(e.name != "مليون" for e in service.actors.top(n=1000))


def test_bad_names_are_clear(service: Sanad) -> None:
    assert service.actor("زيدان الخرافي") is None
    for bad in ("ح", "؟", "حفتر " * 100):
        with pytest.raises(InputError):
            service.actor(bad)


def test_top_actors_by_type(service: Sanad) -> None:
    places = service.actors.top("place", 5)
    assert places and all(e.type == "place" for e in places)
    counts = [len(e.articles) for e in places]
    assert counts == sorted(counts, reverse=True)
    assert "ليبيا" in [e.name for e in places]


def test_added_articles_merge_into_the_actor_index(default_articles) -> None:
    by_prefix = sorted(default_articles, key=lambda a: a.id)
    grown = Index.build(by_prefix[:3]).add(by_prefix[3:])  # 003 before, 004 added
    report = Sanad(grown).actor("ليون")
    assert report is not None and {"003", "004"} <= _articles(report)


@pytest.mark.integration
def test_sanad_actors_cli() -> None:
    out = sanad("actors", "حفتر")
    assert out.returncode == 0, out.stderr
    assert "خليفة حفتر" in out.stdout and "اللواء المتقاعد" in out.stdout and "002_" in out.stdout and "003_" in out.stdout
    data = json.loads(sanad("actors", "ليون", "--json").stdout)
    assert data["found"] and data["name"] == "برناردينو ليون"
    assert {s["article_id"][:3] for s in data["sentences"]} >= {"003", "004"}
    top = json.loads(sanad("actors", "--type", "person", "--limit", "3", "--json").stdout)
    assert list(top) == ["person"] and len(top["person"]) == 3 and all(a["type"] == "person" for a in top["person"])
    every = json.loads(sanad("actors", "--json").stdout)
    assert list(every) == ["person", "organization", "place"] and "ليبيا" in [a["name"] for a in every["place"]]
    missing = sanad("actors", "زيدان الخرافي")
    assert missing.returncode == 1 and "no actor named" in missing.stdout
    short = sanad("actors", "ح")
    assert short.returncode == 2 and "at least 2 letters" in short.stderr and "Traceback" not in short.stderr


@pytest.mark.integration
def test_console_actor_command_pages_the_sentences(tmp_path) -> None:
    stdin = ":actor حفتر\n:more\n:actor\n:quit\n"
    out = sanad("console", stdin=stdin, env={"XDG_STATE_HOME": str(tmp_path), "COLUMNS": "300"})
    assert out.returncode == 0, out.stderr
    assert "خليفة حفتر (شخص)" in out.stdout and "الصفة:" in out.stdout
    assert "Give a name: :actor" in out.stdout


README_ACTORS = {  # docs/actors.md lists these as found on the five default articles
    "person": ["معمر القذافي", "نيكولا ساركوزي", "عبد الجليل", "فرانسوا باروان", "مارتن كوبلر", "خليفة حفتر",
               "برناردينو ليون", "أسامة بادي", "محمد اشتيوي", "خميس"],
    "organization": ["بعثة الأمم المتحدة", "مجلس النواب", "الكتيبة 166", "وكالة رويترز"],
    "place": ["ليبيا", "مصراتة", "بنغازي", "طرابلس", "القاهرة", "طبرق", "سرت", "درنة"],
}


def test_every_actor_the_docs_name_is_in_the_actor_index(service: Sanad) -> None:
    for type_, names in README_ACTORS.items():
        for name in names:
            found = [e for e in service.actors.find(name) if e.type == type_]
            assert found and name in found[0].name, (name, [e.name for e in found])
