"""The `sanad` command as a user runs it: JSON contract, batch mode, exit codes, clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration]

Q_MISRATA = "ماذا طلب المجلس البلدي لمصراتة من بعثة الأمم المتحدة؟"


def sanad(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


def _check_contract(obj: dict) -> None:
    assert set(obj) >= {"question", "answered", "results"}
    assert isinstance(obj["question"], str) and isinstance(obj["answered"], bool)
    for r in obj["results"]:
        assert set(r) >= {"article_id", "title", "source", "date", "url", "passage_id", "score", "sentences", "actors"}
        assert isinstance(r["score"], float) and r["sentences"] and all(isinstance(s, str) for s in r["sentences"])
        for a in r["actors"]:
            assert a["type"] in ("person", "organization", "place") and a["text"]


def test_ask_json_contract_and_verbatim_sentences(default_articles) -> None:
    out = sanad("ask", "--json", Q_MISRATA)
    assert out.returncode == 0, out.stderr
    obj = json.loads(out.stdout)
    _check_contract(obj)
    assert obj["answered"] and any(r["article_id"].startswith("003") for r in obj["results"][:2])
    texts = {a.id: a.text for a in default_articles}
    for r in obj["results"]:
        for s in r["sentences"]:
            assert s in texts[r["article_id"]]
    probabilities = [r["probability"] for r in obj["results"]]
    assert probabilities == sorted(probabilities, reverse=True) and obj["confidence"] == probabilities[0]


def test_ask_json_batch_from_stdin_one_object_per_line() -> None:
    questions = [Q_MISRATA, "ما هي عاصمة اليابان؟", "   ", "بماذا تعهد ساركوزي؟"]
    out = sanad("ask", "--json", "-", stdin="\n".join(questions) + "\n")
    assert out.returncode == 0, out.stderr
    objs = [json.loads(line) for line in out.stdout.splitlines()]
    assert [o["answered"] for o in objs] == [True, False, False, True]  # one object per line, blank lines too
    assert objs[2]["error"] == "the line is empty: write one question per line" and objs[2]["confidence"] == 0.0
    for o in objs:
        _check_contract(o)


def test_ask_prints_a_readable_answer_and_no_answer_exits_1() -> None:
    out = sanad("ask", Q_MISRATA, env={"SANAD_CONSOLE_RESHAPE": "off"})
    assert out.returncode == 0
    assert "طلب من بعثة الأممالمتحدة" in out.stdout and "003_aa4b05069897d8d0" in out.stdout
    out = sanad("ask", "ما هي عاصمة اليابان؟", env={"SANAD_CONSOLE_RESHAPE": "off"})
    assert out.returncode == 1 and "لا توجد إجابة" in out.stdout


@pytest.mark.parametrize(("question", "needle"), [("", "empty"), ("؟!.", "no words")])
def test_bad_questions_get_one_clear_line_and_exit_2(question: str, needle: str) -> None:
    out = sanad("ask", "--json", question)
    assert out.returncode == 2
    assert needle in out.stderr and "Traceback" not in out.stderr
    lines = out.stderr.splitlines()  # one message; before it at most the start-up progress lines
    assert len([x for x in lines if x.startswith("sanad:")]) == 1 and lines[-1].startswith("sanad: error:")
    assert all(x.startswith(("computing BM25", "tagging actors", "indexing")) for x in lines[:-1])


def test_invalid_setting_is_named(tmp_path: Path) -> None:
    out = sanad("ask", Q_MISRATA, env={"SANAD_TOP_K": "many"})
    assert out.returncode == 2 and "SANAD_TOP_K" in out.stderr and "Traceback" not in out.stderr


def test_index_command_then_ask_from_the_saved_index(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(
        json.dumps({"id": "k1", "title": "كوبلر", "text": "قال كوبلر إن ليبيا تحتاج إلى جيش موحد."}, ensure_ascii=False)
        + "\nnot json\n",
        encoding="utf-8",
    )
    out = sanad("index", str(corpus), "--out", str(tmp_path / "idx"))
    assert out.returncode == 0, out.stderr
    assert f"{corpus}:2: not valid JSON" in out.stderr and "indexed 1 articles" in out.stderr
    out = sanad("ask", "--json", "--index", str(tmp_path / "idx"), "ماذا قال كوبلر عن الجيش؟")
    obj = json.loads(out.stdout)
    assert obj["answered"] and obj["results"][0]["article_id"] == "k1"


def test_corrupted_index_and_missing_corpus_are_clear_errors(tmp_path: Path) -> None:
    sanad("index", str(Path(__file__).parents[1] / "retrieval" / "data" / "libya-news"), "--out", str(tmp_path / "idx"))
    (tmp_path / "idx" / "passages.npy").write_bytes(b"garbage")
    out = sanad("ask", "--index", str(tmp_path / "idx"), Q_MISRATA)
    assert out.returncode == 4 and "sanad index" in out.stderr and "Traceback" not in out.stderr
    out = sanad("ask", "--corpus", str(tmp_path / "nowhere"), Q_MISRATA)
    assert out.returncode == 3 and "not found" in out.stderr


def test_sources_lists_the_default_corpus() -> None:
    out = sanad("sources", "--json")
    ids = [json.loads(line)["article_id"] for line in out.stdout.splitlines()]
    assert len(ids) == 5 and ids[0].startswith("000")


def test_console_answers_follow_ups_in_context_and_new_drops_it(tmp_path: Path) -> None:
    lines = [
        "ماذا قال كوبلر عن الجيش الليبي؟",
        "وماذا قال أيضاً؟",  # about Kobler: what was not shown yet
        ":new",  # the same words on their own
        "وماذا قال أيضاً؟",  # no context any more
        ":quit",
    ]
    out = sanad("console", stdin="\n".join(lines) + "\n", env={"XDG_STATE_HOME": str(tmp_path), "COLUMNS": "400"})
    assert out.returncode == 0, out.stderr
    parts = out.stdout.split("في سياق سؤالك السابق عن:")
    assert len(parts) == 2, out.stdout  # exactly one answer given in context
    first, rest = parts
    assert "بينما قال كوبلر إن من المهم جدا" in first
    assert rest.lstrip().startswith("مارتن كوبلر")
    in_context, plain, again = rest.split(":new asks")[1].split("سؤال>")[:3]
    assert "ورأى كوبلر أن الوضع الإنساني" in in_context and "بينما قال كوبلر إن من المهم جدا" not in in_context
    assert "ورأى كوبلر" not in plain and "ورأى كوبلر" not in again  # :new asked the words alone, then forgot


def test_the_embedded_corpus_index_is_cached_between_starts(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    first = sanad("ask", "--json", Q_MISRATA, env=env)
    (cache,) = (tmp_path / "sanad").iterdir()
    assert first.returncode == 0 and (cache / "manifest.json").is_file()
    second = sanad("ask", "--json", Q_MISRATA, env=env)
    assert second.stdout == first.stdout and "tagging actors" not in second.stderr
    other = sanad("ask", "--json", Q_MISRATA, env=env | {"SANAD_ACTORS_BACKEND": "rules"})
    assert other.returncode == 0 and len(list((tmp_path / "sanad").iterdir())) == 2  # one cache per tagger
    (cache / "manifest.json").write_text("{damaged")
    again = sanad("ask", "--json", Q_MISRATA, env=env)
    assert again.stdout == first.stdout and json.loads((cache / "manifest.json").read_text())  # rebuilt


def test_ask_takes_min_confidence_as_the_readme_says() -> None:
    # Off-topic on the default corpus: refused with the defaults (exit 1), answered with 0.
    out = sanad("ask", "--json", "ما هي عاصمة فرنسا؟")
    assert out.returncode == 1 and not json.loads(out.stdout)["answered"]
    out = sanad("ask", "--json", "--min-confidence", "0", "ما هي عاصمة فرنسا؟")
    assert out.returncode == 0 and json.loads(out.stdout)["answered"]
    out = sanad("ask", "--min-confidence", "1.5", "ما هي عاصمة فرنسا؟")
    assert out.returncode == 2 and "--min-confidence must be between 0 and 1" in out.stderr


def test_a_refusal_explains_itself_in_arabic() -> None:
    out = sanad("ask", "ما هي عاصمة فرنسا؟")  # the JSON keeps the English notes: the contract
    assert out.returncode == 1 and "أقرب مقطع يحوي" in out.stdout and "أقرب مقال (لا يجيب)" in out.stdout
    assert "passage" not in out.stdout and "Try" not in out.stdout


def test_the_default_index_cache_key_covers_what_makes_an_index() -> None:
    """Editing the gazetteer, a rule or the segmenter must not leave a stale cached index (nor
    stale rows in a trainer's cache, which skips its own artifact)."""
    from retrieval import Index
    from retrieval.index import manifest

    names = {e.name for e in manifest._inputs(manifest.PACKAGE)}
    assert {"gazetteer.tsv", "rules.py", "segment.py", "normalize.py", "stories.py", "ner-crf.json"} <= names
    assert not any(n.endswith((".pyc", ".npz", ".crfsuite")) for n in names)
    key = Index.inputs_digest("actors model")
    assert key == Index.inputs_digest("actors model") != Index.inputs_digest("actors ensemble")
    assert Index.inputs_digest("actors model", skip=frozenset({"data/spans.json"})) != key
