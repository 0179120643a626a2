"""Corpus loading (txt, jsonl, jsonl.gz, bad lines) and saved indexes (round trip, corruption)."""

from __future__ import annotations

import gzip
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bot.errors import exit_code
from retrieval.corpus_files import load_corpus
from retrieval.errors import CorpusError, IndexLoadError
from retrieval.index import FORMAT_VERSION, Index

ARTICLE = "قال المبعوث الدولي إلى ليبيا مارتن كوبلر إنه التقى اللواء خليفة حفتر في القاهرة. وأكد أن الحوار مهم."


def test_default_corpus_has_five_articles_with_derived_titles(default_articles) -> None:
    assert len(default_articles) == 5
    for a in default_articles:
        assert a.title_derived and a.title and len(a.title.split()) <= 13
        assert a.text.startswith(a.title.rstrip("…").split()[0])
    assert {a.id[:3]: a.source for a in default_articles}["002"] == "الجزيرة"


def test_txt_directory_and_jsonl_with_metadata(tmp_path: Path) -> None:
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "kobler.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "news" / "notes.md").write_text("ignored", encoding="utf-8")
    rows = [{"id": 7, "text": ARTICLE, "title": "كوبلر يلتقي حفتر", "source": "الجزيرة", "url": "https://example.org/a", "date": "2016-11-28"}]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    load = load_corpus([tmp_path / "news", tmp_path / "a.jsonl"])
    by_id = {a.id: a for a in load.articles}
    assert set(by_id) == {"kobler", "7"}
    assert by_id["kobler"].title_derived and by_id["7"].title == "كوبلر يلتقي حفتر"
    assert by_id["7"].date == "2016-11-28" and not by_id["7"].title_derived
    assert any("notes.md" in str(p) for p in load.problems)


def test_bad_jsonl_lines_are_reported_with_file_and_line_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl.gz"
    lines = [
        json.dumps({"id": "a", "text": ARTICLE}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "b"}),
        json.dumps({"id": "c", "text": ARTICLE}, ensure_ascii=False),
        json.dumps({"id": "a", "text": ARTICLE}, ensure_ascii=False),
    ]
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines))
    load = load_corpus([path])
    assert [a.id for a in load.articles] == ["a", "c"]
    msgs = [str(p) for p in load.problems]
    assert any(m.startswith(f"{path}:2: not valid JSON") for m in msgs)
    assert any(m.startswith(f"{path}:3: missing required field 'text'") for m in msgs)
    assert any("duplicate" in m for m in msgs)
    with pytest.raises(CorpusError, match=r":2: not valid JSON"):
        load_corpus([path], strict=True)


def test_missing_and_empty_corpora_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="not found"):
        load_corpus([tmp_path / "nope"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="no articles"):
        load_corpus([tmp_path / "empty"])


def test_saved_index_round_trip_gives_identical_answers(default_index, tmp_path: Path) -> None:
    default_index.save(tmp_path / "idx")
    loaded = Index.load(tmp_path / "idx")
    q = default_index.analyzer.tokens("ماذا طلب المجلس البلدي لمصراتة من بعثة الأمم المتحدة؟")
    assert [(h.passage, round(h.score, 9)) for h in loaded.search(q)] == [
        (h.passage, round(h.score, 9)) for h in default_index.search(q)
    ]
    assert loaded.articles == default_index.articles


def test_corrupted_or_foreign_index_says_how_to_rebuild(default_index, tmp_path: Path) -> None:
    d = default_index.save(tmp_path / "idx")
    data = bytearray((d / "post_docs.npy").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (d / "post_docs.npy").write_bytes(bytes(data))
    with pytest.raises(IndexLoadError, match=r"corrupted.*sanad index"):
        Index.load(d)
    with pytest.raises(IndexLoadError, match="no index directory"):
        Index.load(tmp_path / "missing")
    (tmp_path / "other").mkdir()
    with pytest.raises(IndexLoadError, match="not a Sanad index"):
        Index.load(tmp_path / "other")


def test_index_load_error_carries_path_and_reason_and_the_rebuild_command(default_articles, tmp_path: Path) -> None:
    d = Index.build(default_articles, sources=["corpus/libya-news", "extra.jsonl"]).save(tmp_path / "idx")
    data = bytearray((d / "post_docs.npy").read_bytes())
    data[-1] ^= 0xFF
    (d / "post_docs.npy").write_bytes(bytes(data))
    with pytest.raises(IndexLoadError) as err:
        Index.load(d)
    e = err.value
    assert e.path == d and exit_code(e) == 4
    assert e.reason == f"index file corrupted (checksum mismatch): {d / 'post_docs.npy'}"
    assert str(e) == f"{e.reason}. Rebuild it with `sanad index corpus/libya-news extra.jsonl --out {d}`."
    # No index there yet: the command builds one; nothing names the corpus, so a placeholder does.
    with pytest.raises(IndexLoadError) as err:
        Index.load(tmp_path / "nope")
    assert err.value.path == tmp_path / "nope" and err.value.reason == f"no index directory at {tmp_path / 'nope'}"
    assert str(err.value).endswith(f". Build one with `sanad index CORPUS_PATH --out {tmp_path / 'nope'}`.")


# 3: the format before the stories; 4: before the stored sentence terms, days and actor keys
@pytest.mark.parametrize("version", [3, 4, 999])
def test_index_of_another_format_version_is_rejected(default_index, tmp_path: Path, version: int) -> None:
    assert FORMAT_VERSION == 5
    d = default_index.save(tmp_path / "idx")
    manifest = json.loads((d / "manifest.json").read_text())
    manifest["format_version"] = version
    manifest["sources"] = ["corpus/libya-news"]
    new_in_5 = ("sentence_term", "title_term", "days", "actor_keys", "actor_words", "actor_form", "actor_key_ids",
                "actor_word_key")  # fmt: skip
    older = {3: ("minhash", "stories", *new_in_5), 4: new_in_5}.get(version, ())
    for name in [f for f in manifest["files"] if f.startswith(older)]:  # what an index of that version holds
        (d / name).unlink()
        del manifest["files"][name]
    (d / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexLoadError, match=f"format version {version}, this Sanad reads 5. Rebuild it with `sanad index") as err:
        Index.load(d)
    assert err.value.path == d and str(err.value).endswith(f"Rebuild it with `sanad index corpus/libya-news --out {d}`.")
    shutil.rmtree(d)


def test_an_article_is_segmented_once_from_file_to_index(tmp_path: Path, monkeypatch) -> None:
    import retrieval.corpus
    import retrieval.index.builder
    from retrieval.segment import segment_article

    texts = {
        "kobler": ARTICLE,
        "misrata": "عقد المجلس البلدي لمصراتة اجتماعا مع بعثة الأمم المتحدة. وطلب المجلس دعم الكتيبة 166.\nالمصدر : الجزيرة",
        "sabha": "افتتح وزير الصحة مستشفى جديدا في سبها يوم الاثنين.",
    }
    for name, text in texts.items():
        (tmp_path / f"{name}.txt").write_text(text, encoding="utf-8")
    calls: list[str] = []

    def counting(text: str):
        calls.append(text)
        return segment_article(text)

    monkeypatch.setattr(retrieval.corpus, "segment_article", counting)
    monkeypatch.setattr(retrieval.index.builder, "segment_article", counting)
    articles = load_corpus([tmp_path]).articles
    assert articles[1].source == "الجزيرة" and articles[1].segments is not None
    index = Index.build(articles)
    assert sorted(calls) == sorted(texts.values())  # once each: the index reuses make_article's segments
    assert all(a.segments is None for a in index.articles.values())  # not stored, nor kept in memory
    # An article made without make_article is segmented by the index, to the same passages.
    calls.clear()
    plain = [replace(a, segments=None) for a in articles]
    again = Index.build(plain)
    assert len(calls) == 3 and list(again.passages) == list(index.passages)
    q = index.analyzer.tokens("ماذا طلب المجلس البلدي لمصراتة؟")
    assert [(h.passage, h.score) for h in again.search(q)] == [(h.passage, h.score) for h in index.search(q)]
