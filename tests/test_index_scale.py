"""Saved index format 2 and `sanad index` at scale: streaming .jsonl.gz, progress, skipped-article
report, incremental --add, safe replacement, lazy loading without pickle."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.indexing import report_problems
from bot.progress import Progress
from retrieval.corpus import Problem
from retrieval.corpus_index import build_index, count_articles
from retrieval.errors import CorpusError, IndexLoadError
from retrieval.index import FORMAT_VERSION, Index

TEXT = "قال المبعوث الدولي إلى ليبيا مارتن كوبلر إنه التقى اللواء خليفة حفتر في القاهرة. وأكد أن الحوار مهم."
OTHER = "افتتح وزير التعليم مدرسة جديدة في الرياض. وحضر الافتتاح عدد من المسؤولين."
NEW = "أعلنت وزارة الصحة السعودية افتتاح مستشفى جديد في مدينة جازان. ويضم المستشفى ثلاثمئة سرير."


def sanad(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, env=env, timeout=120, check=False)


def _jsonl_gz(path: Path, rows: list[object]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for r in rows:
            fh.write((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n")
    return path


@pytest.mark.integration
def test_index_add_then_ask_the_new_article(tmp_path: Path) -> None:
    # Three articles at least: with two passages, BM25Okapi's IDF of a term in one of them is 0.
    rows = [{"id": "k1", "title": "كوبلر", "text": TEXT}, "{oops", {"id": "x"}, {"id": "k2", "text": OTHER}]
    base = _jsonl_gz(tmp_path / "base.jsonl.gz", rows)
    out = sanad("index", str(base), "--out", str(tmp_path / "idx"))
    assert out.returncode == 0, out.stderr
    assert f"{base}:2: not valid JSON" in out.stderr and f"{base}:3: missing required field 'text'" in out.stderr
    assert "skipped 2 in all: 1 not valid JSON, 1 missing required field 'text'" in out.stderr
    new = _jsonl_gz(tmp_path / "new.jsonl.gz", [{"id": "h1", "title": "مستشفى جازان", "text": NEW}, {"id": "k1", "text": TEXT}])
    out = sanad("index", str(new), "--add", "--out", str(tmp_path / "idx"))
    assert out.returncode == 0, out.stderr
    assert "added 1 articles" in out.stderr and "now 3 articles" in out.stderr
    assert "k1: already in the index" in out.stderr
    again = sanad("index", str(new), "--add", "--out", str(tmp_path / "idx"))
    assert again.returncode == 0 and "nothing added" in again.stderr and "h1: already in the index" in again.stderr
    out = sanad("ask", "--json", "--index", str(tmp_path / "idx"), "ماذا أعلنت وزارة الصحة في جازان؟")
    obj = json.loads(out.stdout)
    assert obj["answered"] and obj["results"][0]["article_id"] == "h1"
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION and manifest["counts"]["articles"] == 3
    assert manifest["sources"] == [str(base), str(new)] and len(manifest["history"]) == 2
    # The rebuild hint names every source.
    (tmp_path / "idx" / "idf.npy").write_bytes(b"garbage")
    out = sanad("ask", "--index", str(tmp_path / "idx"), "كوبلر")
    assert out.returncode == 4 and f"sanad index {base} {new} --out" in out.stderr


@pytest.mark.integration
def test_add_to_a_missing_index_and_out_over_a_foreign_directory_are_refused(tmp_path: Path) -> None:
    corpus = _jsonl_gz(tmp_path / "c.jsonl.gz", [{"id": "k1", "text": TEXT}])
    out = sanad("index", str(corpus), "--add", "--out", str(tmp_path / "nope"))
    assert out.returncode == 4 and "no index directory" in out.stderr
    foreign = tmp_path / "home"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    out = sanad("index", str(corpus), "--out", str(foreign))
    assert out.returncode == 4 and "not a Sanad index" in out.stderr
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_saving_over_a_served_index_leaves_the_served_one_readable(default_articles, tmp_path: Path) -> None:
    d = Index.build(default_articles[:2]).save(tmp_path / "idx")
    served = Index.load(d)
    q = served.analyzer.tokens("ساركوزي الضربات الجوية")
    before = [(h.passage, h.score) for h in served.search(q)]
    Index.build(default_articles).save(d)  # replaced while `served` has its files mapped
    assert [(h.passage, h.score) for h in served.search(q)] == before
    assert served.articles[default_articles[0].id].text == default_articles[0].text
    assert len(Index.load(d).articles) == 5
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary directories left


def test_saved_arrays_load_without_pickle_and_articles_round_trip(default_index: Index, tmp_path: Path) -> None:
    d = default_index.save(tmp_path / "idx")
    for f in d.glob("*.npy"):
        assert not np.load(f, allow_pickle=False).dtype.hasobject
    loaded = Index.load(d)
    assert dict(loaded.articles) == dict(default_index.articles)
    assert [a.id for a in loaded.articles.values()] == list(default_index.articles)
    assert list(loaded.passages) == list(default_index.passages)
    assert loaded.df.get("كوبلر") == default_index.df.get("كوبلر") > 0
    assert "كوبلر" in loaded.df and "لا-يوجد" not in loaded.df and loaded.df.get("لا-يوجد", 0) == 0
    assert loaded.built_at == default_index.built_at and loaded.n_passages == default_index.n_passages


def test_a_tampered_manifest_cannot_point_outside_the_index(default_index: Index, tmp_path: Path) -> None:
    d = default_index.save(tmp_path / "idx")
    manifest = json.loads((d / "manifest.json").read_text())
    manifest["files"]["../secret"] = "0" * 64
    (d / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexLoadError, match="outside the index"):
        Index.load(d)


def test_build_index_streams_counts_and_reports(tmp_path: Path) -> None:
    corpus = _jsonl_gz(tmp_path / "c.jsonl.gz", [{"id": f"a{i}", "text": TEXT} for i in range(5)] + [{"id": "a0", "text": NEW}])
    assert count_articles([corpus]) == 6
    calls: list[tuple] = []
    report = build_index([corpus], progress=lambda *a: calls.append(a))
    assert report.added == 5 and [str(p) for p in report.problems] == ["a0: duplicate article id: kept the first one"]
    assert "reading" in {c[2] for c in calls} and (5, 5, "indexing") in calls
    with pytest.raises(CorpusError, match="duplicate article id"):
        build_index([corpus], strict=True)
    with pytest.raises(CorpusError, match="no articles found"):
        build_index([_jsonl_gz(tmp_path / "empty.jsonl.gz", ["{bad"])])


def test_progress_shows_rate_and_eta_only_for_long_work(monkeypatch) -> None:
    clock = iter([0.0, 0.1, 2.0, 4.0, 6.0, 6.1])
    monkeypatch.setattr("bot.progress.time.perf_counter", lambda: next(clock))
    stream = io.StringIO()
    p = Progress("indexing", stream=stream, min_seconds=1.0, log_every=1.0)  # created at t=0
    p(10, 1000, "indexing")  # t=0.1: too early
    p(100, 1000, "indexing")  # t=2.0
    p(300, 1000, "indexing")  # t=4.0
    p(1000, 1000, "indexing")  # t=6.0: done
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("indexing: 100/1,000 articles (10%),") and "/s, ETA" in lines[0]
    assert lines[-1].startswith("indexing: 1,000 articles in 6s, ")


def test_report_problems_lists_then_counts_by_reason() -> None:
    stream = io.StringIO()
    problems = [Problem("f.jsonl", i, "not valid JSON (Expecting value)") for i in range(1, 4)] + [Problem("f.jsonl", 9, "empty text")]
    report_problems(problems, stream=stream, limit=2)
    out = stream.getvalue().splitlines()
    assert out[0] == "sanad: skipped f.jsonl:1: not valid JSON (Expecting value)"
    assert out[2] == "sanad: ... and 2 more skipped"
    assert out[3] == "sanad: skipped 4 in all: 3 not valid JSON, 1 empty text"
