"""Settings from SANAD_* and .env; rendering for terminals with and without bidi support."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from bot.settings import load_settings
from bot.terminal import print_answer, wants_reshape
from retrieval.answer import answer
from retrieval.errors import ConfigError


def test_settings_from_env_and_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("SANAD_TOP_K=5\nSANAD_CORPUS=a.jsonl, news/\n", encoding="utf-8")
    s = load_settings()
    assert s.top_k == 5 and [p.name for p in s.corpus] == ["a.jsonl", "news"]
    monkeypatch.setenv("SANAD_TOP_K", "2")
    assert load_settings().top_k == 2  # the environment wins over .env
    assert load_settings(top_k=7).top_k == 7  # and the command line over both
    monkeypatch.setenv("SANAD_INDEX", "")  # left empty (compose files do): no index, not the current directory
    assert load_settings().index is None


@pytest.mark.parametrize(
    ("var", "value"),
    [("SANAD_TOP_K", "0"), ("SANAD_MIN_CONFIDENCE", "2"), ("SANAD_MIN_COVERAGE", "0.5"), ("SANAD_CONSOLE_RESHAPE", "maybe")],
)
def test_invalid_settings_name_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, var: str, value: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError, match=var):
        load_settings()


def test_reshape_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert wants_reshape("on") and not wants_reshape("off")
    assert not wants_reshape("auto", io.StringIO())  # pipes get logical order

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("KONSOLE_VERSION", raising=False)
    monkeypatch.setenv("VTE_VERSION", "7600")
    assert not wants_reshape("auto", Tty())  # VTE lays out RTL itself
    monkeypatch.delenv("VTE_VERSION")
    monkeypatch.setenv("TERM_PROGRAM", "vscode")
    assert wants_reshape("auto", Tty())


def _render(ans, reshape: bool) -> str:
    buf = io.StringIO()
    print_answer(ans, Console(file=buf, width=100, color_system=None), reshape=reshape)
    return buf.getvalue()


def test_terminal_rendering_logical_and_reshaped(default_index) -> None:
    ans = answer("كم عدد النازحين في ليبيا؟", default_index)
    plain = _render(ans, reshape=False)
    assert "نحو نصف مليون نازح داخلي" in plain and "[002_09255eaf65b40f2d]" in plain
    shaped = _render(ans, reshape=True)
    assert "نحو نصف مليون" not in shaped  # reordered and shaped into presentation forms
    assert any("\ufe70" <= c <= "\ufeff" for c in shaped)


def test_no_answer_rendering_is_honest(default_index) -> None:
    ans = answer("ما هي عاصمة اليابان؟", default_index)
    assert "لا توجد إجابة" in _render(ans, reshape=False)
    assert ans.to_dict()["results"] == []


def test_telegram_refusal_names_the_closest_article_in_arabic(default_index) -> None:
    from bot.telegram.render import no_answer, notes
    from retrieval.answer import answer

    ans = answer("ما هي عاصمة فرنسا؟", default_index)
    text = no_answer(ans)
    assert text.startswith("لم أجد") and "أقرب مقال" in text and ans.closest.article.title[:15] in text
    assert "closest" not in text and "probability" not in text  # the English note is translated
    notes = notes(answer("ماذا قال كوبلرر عن الجيش الليبي؟", default_index).notes)
    assert notes == ["(الكلمة «كوبلرر» ليست في المقالات: بحثتُ عن «كوبلر».)"]


def test_telegram_time_refusal_is_in_arabic() -> None:
    from bot.telegram.render import notes
    from retrieval.answer import answer
    from retrieval.corpus import make_article
    from retrieval.index import Index

    index = Index.build(
        [
            make_article("a", "فاز المرشح في الانتخابات الرئاسية الفرنسية بعد جولة ثانية.", date="2015-11-05"),
            make_article("b", "عقد المجلس البلدي اجتماعا في مصراتة مع بعثة الأمم المتحدة.", date="2015-10-01"),
        ]
    )
    lines = notes(answer("من فاز بالانتخابات الرئاسية الفرنسية عام 2022؟", index).notes)
    # Left-to-right runs (dates, years) are isolated with U+2066/U+2069 inside the Arabic line.
    assert "أحدث مقال في المصادر بتاريخ \u20662015-11-05\u2069؛ السؤال عن \u20662022\u2069" in lines[-2]
    assert "لا يتحدث عن الزمن الذي تسأل عنه" in lines[-1] and "speaks" not in " ".join(lines)
