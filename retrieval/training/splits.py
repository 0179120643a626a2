"""Train/test parts of the QA sets, by paragraph (never one paragraph on two sides).

ARCD has its official split (``../shared/benchmarks/arcd/split.json``). Belebele's Arabic
extractive set has none: its passages are split here by a hash of their ``context_id``, so the
split needs no file and never changes. The shipped answerability model is trained on the train
parts only; ``bench/answering.py`` reports the test parts.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

__all__ = ["arcd_part", "belebele_part", "jsonl"]


def belebele_part(context_id: str) -> str:
    """``"train"`` or ``"test"`` for a Belebele passage: the first byte of SHA-1 of its id, even or odd."""
    return "train" if hashlib.sha1(context_id.encode("utf-8")).digest()[0] % 2 == 0 else "test"


def arcd_part(arcd_dir: Path) -> dict[str, str]:
    """``{context_id: "train" | "test"}`` from ARCD's official split (the 5 paragraphs in both: train)."""
    split = json.loads((arcd_dir / "split.json").read_text(encoding="utf-8"))
    return {**{c: "test" for c in split["test"]}, **{c: "train" for c in split["train"]}}


def jsonl(path: Path) -> list[dict]:
    """The JSON objects of a JSON-lines file (the QA sets, our question files), blank lines skipped."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
