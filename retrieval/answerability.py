"""The answerability model: the probability that a candidate article answers the question.

Either a logistic regression over the named signals of :mod:`retrieval.evidence` (standardized
with the training means and scales) or gradient-boosted trees over the same signals (``trees``:
each tree as flat lists of split feature, threshold, children and leaf values; the logit is the
``intercept`` plus one leaf value per tree), stored as plain JSON in
``retrieval/data/answerability.json``: the feature names, means, scales, coefficients, intercept,
trees, the default threshold, the data it was trained on, its threshold table, and the command
that retrains it deterministically (``python bench/train_answerability.py``). No pickle: a model
file is data, read with ``json``.

Candidates are ordered by this probability (the BM25 rank and score ratio are among its signals),
and the first one's is the answer's ``confidence``. A separate ranker over a few of the same
signals was measured and ranked no better (README, "Answering").
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .errors import ModelLoadError
from .evidence import FEATURES, Evidence

__all__ = ["MODEL_VERSION", "Model", "load_model"]

#: Bump when :data:`retrieval.evidence.FEATURES` or their meaning changes: old files are refused.
MODEL_VERSION = 3
_FILE = "answerability.json"


@dataclass(frozen=True, slots=True)
class Model:
    """A fitted logistic regression over :data:`FEATURES` (in that order), or boosted ``trees``
    over them (then ``coef`` is all zeros): each tree is ``(feature, threshold, left, right,
    value)`` lists indexed by node, node 0 the root, ``left == -1`` for a leaf; a value goes left
    when ``x[feature] <= threshold``."""

    means: tuple[float, ...]
    scales: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float
    meta: dict
    trees: tuple[tuple[tuple[int, ...], tuple[float, ...], tuple[int, ...], tuple[int, ...], tuple[float, ...]], ...] = ()

    def logit(self, ev: Evidence) -> float:
        return self.logit_of(ev.vector())

    def logit_of(self, x: tuple[float, ...]) -> float:
        """The log-odds of the feature vector ``x`` (:data:`FEATURES` order)."""
        z = self.intercept
        for v, m, s, c in zip(x, self.means, self.scales, self.coef):
            z += c * (v - m) / s
        for feature, threshold, left, right, value in self.trees:
            node = 0
            while left[node] >= 0:
                node = left[node] if x[feature[node]] <= threshold[node] else right[node]
            z += value[node]
        return z

    def probability(self, ev: Evidence) -> float:
        return self.probability_of(ev.vector())

    def probability_of(self, x: tuple[float, ...]) -> float:
        """The probability of the feature vector ``x`` (:data:`FEATURES` order)."""
        z = self.logit_of(x)
        return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))

    def to_json(self) -> dict:
        return {
            "version": MODEL_VERSION,
            "features": list(FEATURES),
            "means": list(self.means),
            "scales": list(self.scales),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "threshold": self.threshold,
            "trees": [{"feature": list(f), "threshold": list(t), "left": list(a), "right": list(b), "value": list(v)}
                      for f, t, a, b, v in self.trees],
            **self.meta,
        }

    @classmethod
    def from_json(cls, obj: dict, where: str = _FILE) -> Model:
        if obj.get("version") != MODEL_VERSION or obj.get("features") != list(FEATURES):
            raise ModelLoadError(
                f"{where} is an answerability model of another version (features {obj.get('features')}); "
                "retrain it with `python bench/train_answerability.py`"
            )
        n = len(FEATURES)
        try:
            means, scales, coef = (tuple(float(v) for v in obj[k]) for k in ("means", "scales", "coef"))
            intercept, threshold = float(obj["intercept"]), float(obj["threshold"])
            trees = tuple(
                (
                    tuple(int(v) for v in t["feature"]), tuple(float(v) for v in t["threshold"]),
                    tuple(int(v) for v in t["left"]), tuple(int(v) for v in t["right"]),
                    tuple(float(v) for v in t["value"]),
                )
                for t in obj.get("trees", [])
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ModelLoadError(f"{where} is not a valid answerability model ({e}); retrain it") from None
        if not (len(means) == len(scales) == len(coef) == n) or any(s <= 0 for s in scales) or not 0 <= threshold <= 1:
            raise ModelLoadError(f"{where} is not a valid answerability model (needs {n} features, positive scales)")
        for feature, _, left, right, value in trees:
            size = len(value)
            if not (len(feature) == len(left) == len(right) == size > 0) or any(
                a >= 0 and not (i < a < size and i < b < size and 0 <= f < n)  # children after their parent
                for i, (f, a, b) in enumerate(zip(feature, left, right))
            ):
                raise ModelLoadError(f"{where} is not a valid answerability model (a tree's nodes do not fit); retrain it")
        fixed = {"version", "features", "means", "scales", "coef", "intercept", "threshold", "trees"}
        meta = {key: v for key, v in obj.items() if key not in fixed}
        return cls(means, scales, coef, intercept, threshold, meta, trees)


@lru_cache(maxsize=4)
def load_model(path: str | None = None) -> Model:
    """The shipped model, or the one in ``path``; raises :class:`ModelLoadError` with what to do."""
    where = path or f"retrieval/data/{_FILE}"
    try:
        if path is None:
            text = resources.files("retrieval").joinpath("data", _FILE).read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        obj = json.loads(text)
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"cannot read the answerability model {where} ({e}); reinstall Sanad or retrain it") from None
    return Model.from_json(obj, where)
