"""What ``sanad`` writes as JSON lines: one object a line, valid UTF-8 whatever the corpus holds,
and one line for every line of ``sanad ask --json -`` (an answer, or the error that line got)."""

from __future__ import annotations

import json
import sys

from retrieval import SURROGATE_RE, InputError

__all__ = ["NOT_UTF8_NOTE", "as_text", "batch_line", "print_json"]

_LINE_SEPARATORS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029"})
NOT_UTF8_NOTE = "the question held bytes that are not UTF-8: each was replaced by U+FFFD (�)"


def print_json(obj: object) -> None:
    """One JSON object on one line of valid UTF-8, whatever its strings hold: a lone surrogate (from
    a corpus's ``\\ud800`` escape) becomes U+FFFD, and U+2028/U+2029 are escaped (readers that split
    lines on them would cut the object)."""
    text = SURROGATE_RE.sub("\ufffd", json.dumps(obj, ensure_ascii=False)).translate(_LINE_SEPARATORS)
    sys.stdout.buffer.write(text.encode("utf-8") + b"\n")
    sys.stdout.buffer.flush()


def as_text(raw: bytes) -> tuple[str, list[str]]:
    """A question's bytes as text: invalid UTF-8 replaced by U+FFFD, with a note saying so."""
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace"), [NOT_UTF8_NOTE]


def _error_json(question: str, message: str, notes: list[str]) -> dict:
    """A batch line that cannot be answered: the fields of an answer, and ``error``."""
    return {"question": question, "answered": False, "confidence": 0.0, "results": [], "notes": [*notes, message],
            "error": message}  # fmt: skip


def batch_line(sanad, raw: bytes, latest: bool) -> dict:
    """The JSON object answering one line of ``sanad ask --json -`` (every line gets one)."""

    question, notes = as_text(raw.removesuffix(b"\n").removesuffix(b"\r"))
    if not question.strip():
        return _error_json(question, "the line is empty: write one question per line", notes)
    try:
        obj = sanad.answer(question, latest=latest).to_dict()
    except InputError as e:
        return _error_json(question, str(e), notes)
    obj["notes"] = notes + obj["notes"]
    return obj
