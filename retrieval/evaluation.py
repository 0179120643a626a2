"""Measuring Sanad on a user's own questions: ranks, refusals and calibration (``sanad eval``).

A question file is JSON lines ``{"question": ..., "article_id": ...}`` (``context_id`` is read
too); an empty or missing ``article_id`` means the question must be refused. Every question goes
through :func:`retrieval.answer.answer`, the path ``sanad ask`` takes, with the same settings.

* ``rank``: 1-based position of the gold article among the answer's results (a refusal has no
  results, so it counts as a miss); a result stands for its story, so the gold article counts
  where it is named in a result's ``also_reported_in`` (the same report in another outlet, which
  the user is shown); R@1, R@5 and MRR@10 are over the answerable questions.
* ``correct`` (for calibration): the first candidate is the gold article: the result shown first
  when answered, the ``closest`` article when refused (never correct for an unanswerable
  question). The calibration table bins the questions by ``confidence`` and compares the mean
  predicted probability with the observed share correct.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .charsets import ALEF, ALEF_VARIANTS_RE, DIGITS_TO_ASCII, TATWEEL_RE
from .errors import InputError
from .normalize import dediac_ar, normalize_unicode, tokenize
from .results import Answer, Result

__all__ = [
    "EvalQuestion",
    "Outcome",
    "Report",
    "answer_words",
    "holdout_sample",
    "load_questions",
    "outcome",
    "report",
    "span_scores",
]

T = TypeVar("T")
MRR_DEPTH = 10
BINS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


@dataclass(frozen=True, slots=True)
class EvalQuestion:
    question: str
    article_id: str  # "" = must be refused
    line: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """What ``answer()`` did with one question."""

    question: EvalQuestion
    answered: bool
    rank: int | None  # of the gold article among the results
    correct: bool  # the first candidate (result or closest) is the gold article
    confidence: float
    top_article: str | None  # first result, or closest for a refusal


@dataclass(frozen=True, slots=True)
class CalibrationBin:
    low: float
    high: float
    n: int
    predicted: float
    observed: float


@dataclass(frozen=True, slots=True)
class Report:
    """The figures of one evaluation run (``sanad eval``'s table and ``--json``)."""

    questions: int
    answerable: int
    unanswerable: int
    recall_at_1: float
    recall_at_5: float
    mrr_at_10: float
    answered_answerable: float
    refused_unanswerable: float | None
    answered: float
    calibration: tuple[CalibrationBin, ...]

    def to_json(self) -> dict:
        return {
            "questions": self.questions,
            "answerable": self.answerable,
            "unanswerable": self.unanswerable,
            "recall_at_1": round(self.recall_at_1, 4),
            "recall_at_5": round(self.recall_at_5, 4),
            "mrr_at_10": round(self.mrr_at_10, 4),
            "answered_of_answerable": round(self.answered_answerable, 4),
            "refused_of_unanswerable": None if self.refused_unanswerable is None else round(self.refused_unanswerable, 4),
            "answered": round(self.answered, 4),
            "calibration": [
                {"low": b.low, "high": b.high, "n": b.n, "predicted": round(b.predicted, 4), "observed": round(b.observed, 4)}
                for b in self.calibration
            ],
        }


def load_questions(path: Path) -> list[EvalQuestion]:
    """Questions of a JSON-lines file; raises :class:`InputError` naming the bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(f"no such questions file: {path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read {path} as UTF-8 text ({e})") from None
    out = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{path}:{n}: not valid JSON ({e.msg})") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("question"), str) or not obj["question"].strip():
            raise InputError(f'{path}:{n}: needs {{"question": "...", "article_id": "..."}} (article_id empty: must be refused)')
        gold = obj.get("article_id", obj.get("context_id")) or ""
        out.append(EvalQuestion(obj["question"], str(gold), n))
    if not out:
        raise InputError(f"{path} holds no questions")
    return out


def holdout_sample(items: Sequence[T], holdout: float, seed: int) -> list[T]:
    """The items kept when a share ``holdout`` is left out: ``random.Random(seed).sample``
    of ``int(len(items) * (1 - holdout))`` items (for 0.5, ``len(items) // 2``), in sample order."""
    if not 0.0 <= holdout < 1.0:
        raise InputError(f"--holdout must be at least 0 and below 1 (got {holdout})")
    return random.Random(seed).sample(list(items), int(len(items) * (1 - holdout)))


def _names(r: Result) -> set[str]:
    """The articles a result stands for: its own and those of its story folded into it."""
    return {r.article.id, *(a.id for a in r.also_reported_in)}


def outcome(q: EvalQuestion, ans: Answer) -> Outcome:
    gold = q.article_id
    rank = next((i for i, r in enumerate(ans.results, start=1) if gold in _names(r)), None) if gold else None
    shown = ans.results[0] if ans.results else ans.closest
    first = shown.article.id if shown is not None else None
    correct = bool(gold) and shown is not None and gold in _names(shown)
    return Outcome(q, ans.answered, rank, correct, ans.confidence, first)


def report(outcomes: Sequence[Outcome]) -> Report:
    answerable = [o for o in outcomes if o.question.article_id]
    unanswerable = [o for o in outcomes if not o.question.article_id]
    na = max(len(answerable), 1)

    def recall(k: int) -> float:
        return sum(o.rank is not None and o.rank <= k for o in answerable) / na

    mrr = sum(1.0 / o.rank for o in answerable if o.rank is not None and o.rank <= MRR_DEPTH) / na
    bins = []
    for low, high in zip(BINS, BINS[1:]):
        inside = [o for o in outcomes if low <= o.confidence < high or (high == 1.0 and o.confidence == 1.0)]
        if inside:
            bins.append(
                CalibrationBin(
                    low,
                    high,
                    len(inside),
                    sum(o.confidence for o in inside) / len(inside),
                    sum(o.correct for o in inside) / len(inside),
                )
            )
    return Report(
        questions=len(outcomes),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        recall_at_1=recall(1),
        recall_at_5=recall(5),
        mrr_at_10=mrr,
        answered_answerable=sum(o.answered for o in answerable) / na,
        refused_unanswerable=(sum(not o.answered for o in unanswerable) / len(unanswerable)) if unanswerable else None,
        answered=sum(o.answered for o in outcomes) / max(len(outcomes), 1),
        calibration=tuple(bins),
    )


# --------------------------------------------------------------------------- answer spans
def answer_words(text: str) -> list[str]:
    """An answer's words as span scores compare them (SQuAD style, for Arabic: issue #24):
    punctuation dropped, diacritics and tatweel removed, alef forms folded, digits made ASCII, and
    the article ``ال`` taken off a word of more than three letters. ``ة``/``ه`` and ``ى``/``ي``
    stay apart."""
    out = []
    for token in tokenize(text):
        w = ALEF_VARIANTS_RE.sub(ALEF, TATWEEL_RE.sub("", dediac_ar(normalize_unicode(token.surface))))
        w = w.translate(DIGITS_TO_ASCII).lower()
        out.append(w[2:] if w.startswith("ال") and len(w) > 3 else w)
    return out


def span_scores(prediction: str, golds: Sequence[str]) -> tuple[float, float]:
    """Exact match and token F1 of ``prediction`` against the best of ``golds`` (both 0 for an
    empty prediction or no gold), on :func:`answer_words`."""
    pred = answer_words(prediction)
    best_em = best_f1 = 0.0
    for gold in golds:
        ref = answer_words(gold)
        if not pred or not ref:
            continue
        best_em = max(best_em, float(pred == ref))
        common = sum(min(pred.count(w), ref.count(w)) for w in set(pred))
        if common:
            precision, recall = common / len(pred), common / len(ref)
            best_f1 = max(best_f1, 2 * precision * recall / (precision + recall))
    return best_em, best_f1
