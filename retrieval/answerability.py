"""The answerability model: the probability that a candidate article answers the question.

Either a logistic regression over the named signals of :mod:`retrieval.evidence` (standardized
with the training means and scales) or gradient-boosted trees over the same signals (``trees``:
each tree as flat lists of split feature, threshold, children and leaf values; the logit is the
``intercept`` plus one leaf value per tree), stored as plain JSON in
``retrieval/data/answerability.json``: the feature names, means, scales, coefficients, intercept,
trees, the default threshold, the data it was trained on, its threshold table, and the command
that retrains it deterministically (``sanad train answerability``). No pickle: a model
file is data, read with ``json``.

Candidates are ordered by this probability (BM25's order breaks ties; where BM25 ranked a
candidate is no signal, see :data:`~retrieval.evidence.FEATURES`), and the first one's is the
answer's ``confidence``. The choice of trees over a logistic regression, and the training data,
are in docs/answering.md.
"""

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
    _packed: tuple = field(default=(), init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_packed", _pack(self.trees))

    def logit(self, ev: Evidence) -> float:
        return self.logits([ev.vector()])[0]

    def logits(self, xs: Sequence[Sequence[float]]) -> list[float]:
        """The log-odds of many feature vectors: the trees walked for all of them at once with
        NumPy (one step per level), each vector's leaf values summed exactly (``math.fsum``), so
        a vector's log-odds do not depend on the others beside it."""
        if any(len(x) != len(FEATURES) for x in xs):
            raise ValueError(f"feature vectors must have {len(FEATURES)} values ({', '.join(FEATURES)})")
        linear = any(self.coef)
        out = []
        for x in xs:
            z = self.intercept
            if linear:  # trees store zero coefficients: 0 * (inf - m) would be NaN
                for v, m, s, c in zip(x, self.means, self.scales, self.coef):
                    z += c * (v - m) / s
            out.append(z)
        if not self._packed or not len(xs):
            return out
        feature, threshold, left, right, value, roots = self._packed
        x = np.asarray(xs, dtype=np.float64)
        n, width = x.shape
        # Every (tree, vector) pair walks from its tree's root; nodes are numbered across all
        # trees (flat arrays), and a vector's feature j is x.flat[row * width + j].
        node = np.repeat(roots, n)
        row = np.tile(np.arange(n, dtype=np.int64) * width, len(roots))
        while True:
            lo = left[node]
            inner = lo >= 0
            if not inner.any():
                break
            go_left = x.ravel()[row + feature[node]] <= threshold[node]
            node = np.where(inner, np.where(go_left, lo, right[node]), node)
        leaves = value[node].reshape(len(roots), n).T.tolist()
        return [math.fsum([z, *v]) for z, v in zip(out, leaves)]

    def probability(self, ev: Evidence) -> float:
        return self.probabilities([ev.vector()])[0]

    def probabilities(self, xs: Sequence[Sequence[float]]) -> list[float]:
        """The probabilities of many feature vectors (:data:`FEATURES` order; see :meth:`logits`)."""
        return [_sigmoid(z) for z in self.logits(xs)]

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
                "retrain it with `sanad train answerability`"
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


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def _pack(trees: Sequence[tuple]) -> tuple:
    """The trees as flat arrays (feature, threshold, left, right, value) over all their nodes,
    children numbered across trees (-1 for a leaf), and each tree's root."""
    if not trees:
        return ()
    sizes = [len(t[0]) for t in trees]
    roots = np.cumsum([0, *sizes[:-1]]).astype(np.int64)
    feature = np.concatenate([np.asarray(t[0], dtype=np.int64) for t in trees])
    threshold = np.concatenate([np.asarray(t[1], dtype=np.float64) for t in trees])
    left = np.concatenate([np.where(np.asarray(t[2]) >= 0, np.asarray(t[2]) + r, -1) for t, r in zip(trees, roots)])
    right = np.concatenate([np.where(np.asarray(t[3]) >= 0, np.asarray(t[3]) + r, -1) for t, r in zip(trees, roots)])
    value = np.concatenate([np.asarray(t[4], dtype=np.float64) for t in trees])
    return feature, threshold, left.astype(np.int64), right.astype(np.int64), value, roots


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
