"""The one corpus-to-index path (retrieval/corpus_index.py): one file walker and one --strict rule shared
with retrieval/corpus.py, opening a saved index or a corpus or the default corpus, a held-out
sample, and the same bytes from the same corpus."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest

from retrieval.corpus import load_default_corpus
from retrieval.corpus_files import load_corpus
from retrieval.corpus_index import build_index, count_articles, open_index
from retrieval.errors import CorpusError, IndexLoadError
from retrieval.evaluation import holdout_sample
from retrieval.index.manifest import INDEX_FILES

KOBLER = "قال المبعوث الدولي إلى ليبيا مارتن كوبلر إنه التقى اللواء خليفة حفتر في القاهرة. وأكد أن الحوار مهم."
SABHA = "افتتح وزير الصحة مستشفى جديدا في سبها يوم الاثنين. وحضر الافتتاح عدد من المسؤولين."
MISRATA = "عقد المجلس البلدي لمصراتة اجتماعا مع بعثة الأمم المتحدة. وطلب المجلس دعم الكتيبة 166."
DRAFT = "مسودة لم تنشر: أعلنت وزارة الصحة السعودية افتتاح مستشفى جديد في مدينة جازان."


def _jsonl(path: Path, rows: list[object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
    )
    return path


def _corpus(root: Path) -> Path:
    """A directory as people leave them: a dotfile draft, an editor's hidden copy, notes."""
    news = root / "news"
    news.mkdir()
    (news / "kobler.txt").write_text(KOBLER, encoding="utf-8")
    (news / ".draft.txt").write_text(DRAFT, encoding="utf-8")
    (news / "notes.md").write_text("ملاحظات التحرير", encoding="utf-8")
    _jsonl(news / "more" / "south.jsonl", [{"id": "sabha", "text": SABHA}, {"id": "misrata", "text": MISRATA}])
    _jsonl(news / "more" / ".south.jsonl.swp", [{"id": "swap", "text": DRAFT}])
    return news


def test_count_load_and_build_read_the_same_files(tmp_path: Path) -> None:
    news = _corpus(tmp_path)
    assert count_articles([news]) == 3  # dotfiles are not counted: they are not indexed either
    report = build_index([news], progress=lambda *a: None)
    load = load_corpus([news])
    assert list(report.index.articles) == [a.id for a in load.articles] == ["kobler", "sabha", "misrata"]
    assert [str(p) for p in report.problems] == [str(p) for p in load.problems] == [
        f"{news / 'notes.md'}: skipped: not a .txt, .jsonl or .jsonl.gz file"
    ]
    assert report.added == 3 and report.index.sources == [str(news)]
    assert not report.index.df.get("جازان")  # the dotfile draft's words are nowhere


def test_strict_stops_at_the_first_problem_with_one_message_for_load_and_build(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "c.jsonl", [{"id": "k", "text": KOBLER}, "{لا json", {"id": "s", "text": SABHA}])
    with pytest.raises(CorpusError) as built:
        build_index([path], strict=True)
    with pytest.raises(CorpusError) as loaded:
        load_corpus([path], strict=True)
    assert str(built.value) == str(loaded.value)
    assert str(built.value).startswith(f"{path}:2: not valid JSON") and "without --strict" in str(built.value)
    # Without --strict the line is skipped and the others indexed.
    report = build_index([path])
    assert list(report.index.articles) == ["k", "s"] and [p.line for p in report.problems] == [2]
    # A duplicate id is a problem too: strict stops at it, after the first article.
    dup = _jsonl(tmp_path / "d.jsonl", [{"id": "k", "text": KOBLER}, {"id": "k", "text": SABHA}])
    for run in (partial(build_index, [dup], strict=True), partial(load_corpus, [dup], strict=True)):
        with pytest.raises(CorpusError, match="k: duplicate article id: kept the first one"):
            run()


def test_nothing_to_index_is_one_error(tmp_path: Path) -> None:
    bad = _jsonl(tmp_path / "bad.jsonl", ["{bad", {"id": "x"}])
    messages = []
    for run in (build_index, load_corpus):
        with pytest.raises(CorpusError) as err:
            run([bad])
        messages.append(str(err.value))
    assert messages[0] == messages[1] == f"no articles found in {bad}; 2 problem(s), first: {bad}:1: not valid JSON (Expecting property name enclosed in double quotes)"


def test_open_index_loads_a_saved_index_or_builds_one(tmp_path: Path) -> None:
    news = _corpus(tmp_path)
    saved = build_index([news]).index.save(tmp_path / "idx")
    loaded = open_index(saved, [news])  # a saved index wins over the corpus
    assert loaded.added == 0 and loaded.problems == () and loaded.index.sources == [str(news)]
    assert list(loaded.index.articles) == ["kobler", "sabha", "misrata"]
    built = open_index(None, [news])
    assert built.added == 3 and len(built.problems) == 1
    default = open_index(None, [])
    assert [a.id for a in default.index.articles.values()] == [a.id for a in load_default_corpus()]
    with pytest.raises(IndexLoadError) as err:
        open_index(tmp_path / "nope", [news])
    assert err.value.path == tmp_path / "nope" and "sanad index CORPUS_PATH --out" in str(err.value)


def test_open_index_with_a_held_out_sample(tmp_path: Path) -> None:
    keep = partial(holdout_sample, holdout=0.4, seed=3)
    default = open_index(None, [], select=keep)
    assert list(default.index.articles) == [a.id for a in keep(load_default_corpus())] and default.added == 3
    news = _corpus(tmp_path)
    built = open_index(None, [news], select=keep)
    assert list(built.index.articles) == [a.id for a in keep(load_corpus([news]).articles)]
    assert len(built.index.articles) == 1 and len(built.problems) == 1
    with pytest.raises(ValueError, match="not of a saved one"):
        open_index(built.index.save(tmp_path / "idx"), [], select=keep)


def test_the_same_corpus_gives_the_same_index_bytes(tmp_path: Path, monkeypatch) -> None:
    import retrieval.index.tagging

    news = _corpus(tmp_path)
    dirs = [build_index([news]).index.save(tmp_path / name) for name in ("one", "two")]
    # The same corpus tagged by a pool of two processes (as a large corpus is) gives the same bytes.
    monkeypatch.setattr(retrieval.index.tagging, "POOL_MIN_ARTICLES", 2)
    monkeypatch.setattr(retrieval.index.tagging, "_CHUNK", 1)  # one article per task: order across tasks
    dirs.append(build_index([news], workers=2).index.save(tmp_path / "pooled"))
    files = sorted(p.name for p in dirs[0].iterdir())
    assert all(files == sorted(p.name for p in d.iterdir()) for d in dirs[1:]) and len(files) == len(INDEX_FILES) + 1 == 63
    assert json.loads((dirs[0] / "manifest.json").read_text())["counts"]["mentions"] > 0
    for name, d in ((n, d) for n in files for d in dirs[1:]):
        a, b = ((x / name).read_bytes() for x in (dirs[0], d))
        if name == "manifest.json":  # the build dates differ, nothing else
            a, b = (json.loads(x) for x in (a, b))
            for m in (a, b):
                m.pop("built_at")
                for h in m["history"]:
                    h.pop("at")
        assert a == b, name
