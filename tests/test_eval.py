"""`sanad eval` as a user runs it on their own questions, and answers that never depend on the hash seed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli import sanad

QUESTIONS = [
    {"question": "من افتتح الاجتماع في مصراتة؟", "article_id": "004_ef08cb0ada45bef9"},
    {"question": "بماذا تعهد ساركوزي؟", "article_id": "000_5f3d3eafb9d575e6"},
    {"question": "ماذا قال كوبلر عن الجيش الليبي؟", "article_id": "002_09255eaf65b40f2d"},
    {"question": "ما هي عاصمة اليابان؟", "article_id": ""},
    {"question": "كيف أطبخ الكبسة؟"},
]


def _write(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.integration
def test_eval_prints_ranking_refusals_and_calibration(tmp_path: Path) -> None:
    out = sanad("eval", str(_write(tmp_path, QUESTIONS)))
    assert out.returncode == 0, out.stderr
    assert "| R@1 | R@5 | MRR@10 |" in out.stdout and "| confidence | questions | predicted | observed |" in out.stdout
    assert "5 questions (3 answerable, 2 must be refused)" in out.stdout


@pytest.mark.integration
def test_eval_json_figures(tmp_path: Path) -> None:
    out = sanad("eval", str(_write(tmp_path, QUESTIONS)), "--json", "--top-k", "5")
    assert out.returncode == 0, out.stderr
    obj = json.loads(out.stdout)
    assert obj["answerable"] == 3 and obj["unanswerable"] == 2 and obj["top_k"] == 5
    assert obj["recall_at_1"] == 1.0 and obj["mrr_at_10"] == 1.0 and obj["refused_of_unanswerable"] == 1.0
    assert sum(b["n"] for b in obj["calibration"]) == 5
    assert 0.0 < obj["min_confidence"] < 1.0


@pytest.mark.integration
def test_eval_holdout_leaves_articles_out_and_their_questions_must_be_refused(tmp_path: Path) -> None:
    out = sanad("eval", str(_write(tmp_path, QUESTIONS[:3])), "--json", "--holdout", "0.6", "--seed", "1")
    assert out.returncode == 0, out.stderr
    obj = json.loads(out.stdout)
    assert obj["articles_indexed"] == 2 and obj["holdout"] == 0.6
    assert obj["answerable"] + obj["unanswerable"] == 3 and obj["unanswerable"] >= 1


@pytest.mark.integration
def test_eval_bad_inputs_are_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "بماذا تعهد ساركوزي؟"}\n{"article_id": "x"}\n', encoding="utf-8")
    out = sanad("eval", str(bad))
    assert out.returncode == 2 and "bad.jsonl:2" in out.stderr and "Traceback" not in out.stderr
    out = sanad("eval", str(tmp_path / "missing.jsonl"))
    assert out.returncode == 2 and "no such questions file" in out.stderr
    out = sanad("eval", str(_write(tmp_path, QUESTIONS)), "--holdout", "0.5", "--index", str(tmp_path))
    assert out.returncode == 2 and "--corpus" in out.stderr
    out = sanad("eval", str(_write(tmp_path, QUESTIONS)), "--min-confidence", "1.5")
    assert out.returncode == 2 and "between 0 and 1" in out.stderr


@pytest.mark.integration
def test_answers_are_identical_under_different_hash_seeds(tmp_path: Path) -> None:
    questions = "\n".join(q["question"] for q in QUESTIONS) + "\nماذا طلب المجلس البلدي لمصراتة؟\nكم عدد النازحين في ليبيا؟\n"
    runs = [sanad("ask", "--json", "-", stdin=questions, env={"PYTHONHASHSEED": seed}) for seed in ("1", "2", "31337")]
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    assert runs[0].stdout == runs[1].stdout == runs[2].stdout
    assert len(runs[0].stdout.splitlines()) == 7


@pytest.mark.integration
def test_retired_min_coverage_setting_says_what_to_use() -> None:
    out = sanad("ask", "بماذا تعهد ساركوزي؟", env={"SANAD_MIN_COVERAGE": "0.5"})
    assert out.returncode == 2 and "SANAD_MIN_CONFIDENCE" in out.stderr


def test_span_scores_are_squad_style_for_arabic() -> None:
    from retrieval.evaluation import answer_words, span_scores

    # Diacritics, tatweel, alef forms, punctuation and the article fold away; ة and ه do not.
    assert answer_words("«المُبعوث الأمـمي» مارتن كوبلر،") == ["مبعوث", "اممي", "مارتن", "كوبلر"]
    assert span_scores("مارتن كوبلر", ["المبعوث مارتن كوبلر", "كوبلر"]) == (0.0, 0.8)
    assert span_scores("إبراهيم", ["ابراهيم"]) == (1.0, 1.0)
    assert span_scores("٣٢ عسكريا", ["32 عسكريا"]) == (1.0, 1.0)
    assert span_scores("", ["كوبلر"]) == (0.0, 0.0) and span_scores("كوبلر", []) == (0.0, 0.0)
    assert span_scores("مدينة", ["مدينه"])[1] == 0.0
