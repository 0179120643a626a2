"""Actor backends: the shipped model beside the rules, auto/camel fallback, and `sanad tag`."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from retrieval.actors import extract_actors, get_tagger
from retrieval.actors.backend import auto_choice
from retrieval.actors.backend import get_tagger as cached_get_tagger
from retrieval.actors.neural import NeuralTagger


def _auto_without_camel() -> str:
    """What ``auto`` gives without camel-tools: the best recorded dev figure of CRF, neural, ensemble."""
    return auto_choice(NeuralTagger.load().meta)


def test_model_backend_adds_to_the_rules_without_losing_or_junk(default_articles) -> None:
    tagger = get_tagger("model")
    assert tagger.name == "model"
    for a in default_articles:
        rules = {(x.text, x.type) for x in extract_actors(a.text)}
        both = [(x.text, x.type) for x in extract_actors(a.text, tagger)]
        assert rules <= set(both)
        assert len(both) == len(set(both))
        assert not any(t.startswith(("وقال", "قال", "وأكد", "أكد")) for t, _ in both)


def test_auto_falls_back_when_camel_is_missing_or_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CAMELTOOLS_DATA", str(tmp_path))
    assert cached_get_tagger.__wrapped__("auto").name == _auto_without_camel()
    broken = tmp_path / "data" / "ner" / "arabert"
    broken.mkdir(parents=True)
    (broken / "config.json").write_text("{broken")
    (tmp_path / "catalogue.json").write_text(json.dumps({"version": "1.6", "packages": {}, "components": {}}))
    with caplog.at_level(logging.WARNING, logger="retrieval.actors.backend"):
        assert cached_get_tagger.__wrapped__("auto").name == _auto_without_camel()
    assert sum("camel-tools NER unavailable" in r.getMessage() for r in caplog.records) == 1


def test_sanad_tag_keeps_lines_and_blank_lines(tmp_path: Path) -> None:
    src = tmp_path / "in.conll"
    src.write_text("قال\tO\nالزعيم\tO\nالليبي\tO\nمعمر\tB-PERS\nالقذافي\tI-PERS\n\nليبيا\n.\n", encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "tag", "--conll", str(src)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split("\n")
    assert len(lines) == len(src.read_text(encoding="utf-8").split("\n"))
    assert lines[5] == ""
    rows = [line.split("\t") for line in lines if line]
    assert [r[0] for r in rows] == ["قال", "الزعيم", "الليبي", "معمر", "القذافي", "ليبيا", "."]
    assert all(r[1] == "O" or r[1][:2] in ("B-", "I-") for r in rows)


def test_sanad_tag_reports_the_line_of_a_bad_row(tmp_path: Path) -> None:
    src = tmp_path / "bad.conll"
    src.write_text("قال\tO\nكوبلر\tB-PERS\textra\n", encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "tag", "--conll", str(src)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 2 and "line 2" in out.stderr and "Traceback" not in out.stderr
