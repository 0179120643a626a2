"""The answer-span model: the sparse named features of a candidate run (:func:`span_features`: the
words around it and the kind of answer asked, distances to the matched question words, whether it
is exactly a mention of the asked kind, its length; split into the first word's, the last word's
and the whole run's so a sentence's candidates are scored in one pass), the conditional logit
that scores them and its calibration (:class:`SpanModel`, shipped as ``retrieval/data/spans.json``,
:func:`load_span_model`). The candidates themselves: :mod:`retrieval.spans`."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from .errors import ModelLoadError
from .spans import SPAN_KINDS, Context, FoundSpan, SpanSentence, walk

__all__ = ["SPAN_MODEL_VERSION", "SpanModel", "calibration_inputs", "load_span_model", "model_from_json", "span_features"]

#: The names of :func:`_first_key`'s facts and of :func:`_last_key`'s, in their order.
_FIRST_NAMES = ("gap<", "pm", "ld", "w1", "k1", "before", "pr", "pf", "wbefore")
_LAST_NAMES = ("gap>", "nm", "rd", "kn", "kafter", "after", "nr", "nf", "wafter")

#: Bump when the features or their meaning change: an older model file is refused.
SPAN_MODEL_VERSION = 1


_FILE = "spans.json"


_RUNS_KEPT = 200_000  # group weights kept between questions (SpanModel.scored)


def _shape(word: str) -> str:
    if word.isdigit():
        return "digit"
    if word.startswith(("ال", "وال", "بال", "لل", "فال", "كال")):
        return "al"
    if word.startswith(("و", "ف", "ب", "ل")) and len(word) > 4:
        return "clitic"
    return "plain"




def _share(w: float) -> str:
    """A share of the question's weight in five steps."""
    return "0" if w <= 0 else "<.2" if w < 0.2 else "<.4" if w < 0.4 else "<.6" if w < 0.6 else ">=.6"


def _bucket(d: int) -> str:
    return str(d) if d <= 3 else "4-6" if d <= 6 else "7+"


def _first_key(c: Context, i: int) -> tuple:
    """The word-free facts of a run's first word (many words share them)."""
    s = c.s
    d = c.left_match[i]
    return (
        "first", c.gaps[i], int(i > 0 and s.matched[i - 1]), _bucket(d) if d else "none", _shape(s.norms[i]), s.kinds[i],
        min(c.before[i], 4), int(i > 0 and bool(s.rooted) and s.rooted[i - 1]),
        int(i > 0 and bool(s.focus) and (s.focus[i - 1] or (i > 1 and s.focus[i - 2]))), _share(c.wbefore[i]),
    )


def _first_words(c: Context, i: int) -> list[str]:
    """The features of a run's first word that name words (the one before it, itself)."""
    s, a = c.s, c.asks
    prev = s.norms[i - 1] if i else "<s>"
    prev2 = s.norms[i - 2] if i > 1 else "<s>"
    return [f"p1={prev}", f"{a}|p1={prev}", f"p2={prev2}", f"w1={s.norms[i]}", f"{c.wh}|p1={prev}"]


def _named_facts(asks: str, names: Sequence[str], key: tuple) -> list[str]:
    """A word's facts as features, each named with the kind asked: ``person|pm=1``."""
    return [f"{asks}|{name}={value}" for name, value in zip(names, key[1:])]


def _first_features(c: Context, i: int) -> list[str]:
    return _first_words(c, i) + _named_facts(c.asks, _FIRST_NAMES, _first_key(c, i))


def _last_key(c: Context, k: int) -> tuple:
    """The word-free facts of a run's last word."""
    s = c.s
    n = len(s.words)
    d = c.right_match[k]
    return (
        "last", c.gaps[k + 1], int(k + 1 < n and s.matched[k + 1]), _bucket(d) if d else "none", s.kinds[k],
        s.kinds[k + 1] if k + 1 < n else None, min(c.after[k], 4), int(k + 1 < n and bool(s.rooted) and s.rooted[k + 1]),
        int(k + 1 < n and bool(s.focus) and s.focus[k + 1]), _share(c.wafter[k]),
    )


def _last_words(c: Context, k: int) -> list[str]:
    s, a = c.s, c.asks
    nxt = s.norms[k + 1] if k + 1 < len(s.words) else "</s>"
    return [f"n1={nxt}", f"{a}|n1={nxt}", f"{c.wh}|n1={nxt}", f"wn={s.norms[k]}"]


def _last_features(c: Context, k: int) -> list[str]:
    return _last_words(c, k) + _named_facts(c.asks, _LAST_NAMES, _last_key(c, k))


def _summary(c: Context, i: int, k: int, kinds: tuple[str, ...], commas: bool, infocus: bool) -> tuple:
    """What the whole run of words ``i..k`` is, as :func:`_run_groups` names it (``kinds``,
    ``commas``, ``infocus``: what :func:`_walk` found inside it)."""
    s = c.s
    left = "m" if i and s.matched[i - 1] else c.gaps[i]
    right = "m" if k + 1 < len(s.words) and s.matched[k + 1] else c.gaps[k + 1]
    return (
        _share(c.wbefore[i] + c.wafter[k]), c.paren[i] or c.paren[k], infocus, min(k - i + 1, 6),
        c.exact.get((i, k)), c.cut_left[i] or c.cut_right[k], min(max(c.near[i], c.near[k]), 4), commas, kinds,
        left, right,
    )


def _run_groups(a: str, wh: str, best: bool, run: tuple) -> list[list[tuple[str, float]]]:
    """The features of a run in five groups: :meth:`SpanModel.scored` sums those of the groups
    naming no question word (0, 1, 4) once per (kind asked, the part of the run they read), and
    those of the others (2, 3: length, exact mention, kinds) once per question word too."""
    around, paren, infocus, length, exact, cut, near, commas, kinds, left, right = run
    return [
        [(f"{a}|around={around}", 1.0), (f"{a}|best={int(best)}|around={around}", 1.0)],
        [
            (f"{a}|paren={int(paren)}", 1.0), (f"{a}|infocus={int(infocus)}", 1.0), (f"{a}|cut", float(cut)),
            (f"{a}|best={int(best)}", 1.0), (f"{a}|near={near}", 1.0), (f"{a}|commas", float(commas)),
        ],
        [(f"{a}|len={length}", 1.0), (f"{a}|exact={exact}", 1.0), (f"{wh}|exact={exact}", 1.0), (f"{wh}|len={length}", 1.0)],
        [(f"{a}|has={kind}", 1.0) for kind in kinds] + [(f"{wh}|has={kind}", 1.0) for kind in kinds],
        [(f"{a}|bounds={left}-{right}", 1.0)],
    ]


def _run_features(a: str, wh: str, best: bool, run: tuple) -> list[tuple[str, float]]:
    return [f for group in _run_groups(a, wh, best, run) for f in group]


def span_features(s: SpanSentence, asks: str, wh: str = "") -> list[tuple[int, int, list[tuple[str, float]]]]:
    """Every candidate of ``s`` (:func:`candidates`, in its order) with its named features for a
    question asking ``asks`` with question word ``wh``: what training reads; :meth:`SpanModel.scored`
    sums the same weights, each group once."""
    c = Context(s, asks, wh)
    return [
        (i, k, [(f, 1.0) for f in _first_features(c, i) + _last_features(c, k)]
         + _run_features(asks, wh, s.best, _summary(c, i, k, kinds, commas, infocus)))
        for i, k, kinds, commas, infocus in walk(c)
    ]


@dataclass(frozen=True, slots=True)
class SpanModel:
    """Weights of named features (absent: 0), and the calibration of the best candidate into the
    probability that it is right (token F1 >= 0.5): ``sigmoid(a · (logit of its softmax share,
    its lead over the second, its score) + b[kind asked])`` (dates are found far more often
    than things; ``b["*"]`` for a kind the calibration never saw)."""

    weights: dict[str, float]
    a: tuple[float, float, float]
    b: dict[str, float]
    threshold: float
    meta: dict
    # The summed weights of each group of run features already met, by (kind asked, question word, key).
    _runs: dict = field(default_factory=dict, compare=False, repr=False)

    def _word_score(self, c: Context, key: tuple, words: list[str], features, at: int) -> float:
        """The weight of a first (or last) word's features: those naming words looked up, the
        rest (``key``) summed once per key and kind asked."""
        w = self.weights
        runs = self._runs
        full = (c.asks, key)
        rest = runs.get(full)
        if rest is None:
            named = set(words)
            rest = runs[full] = math.fsum(w.get(f, 0.0) for f in features(c, at) if f not in named)
        return math.fsum(w.get(f, 0.0) for f in words) + rest

    def scored(self, sentences: Sequence[SpanSentence], asks: str, wh: str = "") -> list[tuple[float, int, int, int]]:
        """Every candidate of ``sentences`` (:func:`candidates`, in its order) as (score, sentence,
        first, last word): the weights of :func:`span_features`, the first word's and the last
        word's summed once per word, those of the whole run once per kind of run."""
        out = []
        w = self.weights
        runs = self._runs
        if len(runs) > _RUNS_KEPT:
            runs.clear()
        for j, s in enumerate(sentences):
            c = Context(s, asks, wh)
            firsts: dict[int, float] = {}
            lasts: dict[int, float] = {}
            for i, k, kinds, commas, infocus in walk(c):
                first = firsts.get(i)
                if first is None:
                    first = firsts[i] = self._word_score(c, _first_key(c, i), _first_words(c, i), _first_features, i)
                last = lasts.get(k)
                if last is None:
                    last = lasts[k] = self._word_score(c, _last_key(c, k), _last_words(c, k), _last_features, k)
                run = _summary(c, i, k, kinds, commas, infocus)
                # The parts of the run read by the groups naming no question word, and by the others.
                plain = (asks, s.best, run[:3], run[5:8], run[9:])
                worded = (asks, wh, run[3], run[4], run[8])
                v, u = runs.get(plain), runs.get(worded)
                if v is None or u is None:
                    groups = _run_groups(asks, wh, s.best, run)
                    v = runs[plain] = math.fsum(w.get(f, 0.0) * x for g in (0, 1, 4) for f, x in groups[g])
                    u = runs[worded] = math.fsum(w.get(f, 0.0) * x for g in (2, 3) for f, x in groups[g])
                out.append((first + last + v + u, j, i, k))
        return out

    def probability(self, scores: Sequence[float], asks: str) -> float:
        """The calibrated probability that the best of ``scores`` (one result's candidates) is right."""
        z = math.fsum(a * x for a, x in zip(self.a, calibration_inputs(scores)))
        return 1.0 / (1.0 + math.exp(-(z + self.b.get(asks, self.b.get("*", 0.0)))))

    def best(self, sentences: Sequence[SpanSentence], asks: str | None, wh: str = "") -> FoundSpan | None:
        """The best candidate of ``sentences`` (the quotes of one result) with its calibrated
        probability, or ``None`` when the question asks for no thing, there is no candidate, or
        the probability is under the threshold."""
        if asks not in SPAN_KINDS:
            return None
        scored = self.scored(sentences, asks, wh)
        if not scored:
            return None
        top = max(scored, key=lambda t: (t[0], -t[1], -t[2], -t[3]))
        p = self.probability([t[0] for t in scored], asks)
        if p < self.threshold:
            return None
        _, j, i, k = top
        s = sentences[j]
        a, b = s.words[i][0], s.words[k][1]
        exact = next((kind for f, l, kind in s.marks if f == i and l == k), None)
        return FoundSpan(s.text[a:b], s.start + a, s.start + b, j, round(p, 3), exact)


def calibration_inputs(scores: Sequence[float]) -> tuple[float, float, float]:
    """What the calibration reads of one result's candidate scores: the logit of the best one's
    softmax share, its lead over the second best (5 when alone), and its score."""
    x = np.asarray(scores, dtype=np.float64)
    top = float(x.max())
    share = min(max(1.0 / float(np.exp(x - top).sum()), 1e-6), 1 - 1e-6)
    lead = top - float(np.partition(x, -2)[-2]) if len(x) > 1 else 5.0
    return math.log(share / (1 - share)), lead, top


def model_from_json(data: dict) -> SpanModel:
    if data.get("version") != SPAN_MODEL_VERSION:
        raise ModelLoadError(
            f"span model version {data.get('version')} is not {SPAN_MODEL_VERSION}: "
            "retrain it with sanad train spans"
        )
    return SpanModel(
        {str(k): float(v) for k, v in data["weights"].items()},
        tuple(float(x) for x in data["a"]),
        {str(k): float(v) for k, v in data["b"].items()},
        float(data["threshold"]),
        dict(data.get("meta", {})),
    )


def load_span_model(path: Path | None = None) -> SpanModel:
    """The span model at ``path`` (default: the shipped ``retrieval/data/spans.json``)."""
    if path is not None:
        return _load(str(path))
    return _shipped()


@lru_cache(maxsize=1)
def _shipped() -> SpanModel:
    return _load(str(resources.files("retrieval") / "data" / _FILE))


@lru_cache(maxsize=4)
def _load(path: str) -> SpanModel:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"cannot read the span model {path}: {e}; retrain it with sanad train spans") from e
    return model_from_json(data)
