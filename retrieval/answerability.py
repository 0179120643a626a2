"""The answerability model: the probability that a candidate article answers the question.

A logistic regression over the named signals of :mod:`retrieval.evidence` (standardized with the
training means and scales), stored as plain JSON in ``retrieval/data/answerability.json``: the
feature names, means, scales, coefficients, intercept, the default threshold, the data it was
trained on, its threshold table, and the command that retrains it deterministically
(``python bench/train_answerability.py``). No pickle: a model file is data, read with ``json``.

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
MODEL_VERSION = 1
_FILE = "answerability.json"


@dataclass(frozen=True, slots=True)
class Model:
    """A fitted logistic regression over :data:`FEATURES` (in that order)."""

    means: tuple[float, ...]
    scales: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float
    meta: dict

    def logit(self, ev: Evidence) -> float:
        z = self.intercept
        for x, m, s, c in zip(ev.vector(), self.means, self.scales, self.coef):
            z += c * (x - m) / s
        return z

    def probability(self, ev: Evidence) -> float:
        z = self.logit(ev)
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
        except (KeyError, TypeError, ValueError) as e:
            raise ModelLoadError(f"{where} is not a valid answerability model ({e}); retrain it") from None
        if not (len(means) == len(scales) == len(coef) == n) or any(s <= 0 for s in scales) or not 0 <= threshold <= 1:
            raise ModelLoadError(f"{where} is not a valid answerability model (needs {n} features, positive scales)")
        fixed = {"version", "features", "means", "scales", "coef", "intercept", "threshold"}
        meta = {key: v for key, v in obj.items() if key not in fixed}
        return cls(means, scales, coef, intercept, threshold, meta)


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
