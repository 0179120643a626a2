"""Measuring a CRF tagger (``sanad train ner``): exact-span precision, recall and F1 per type and
micro over PERS, ORG and LOC (:func:`evaluate`), and the dev and AQMAR held-out figures, load time
and tagging speed of a trained model on one core (:func:`measure`)."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from ..actors.conll import bio_spans
from .ner_corpora import TokensTags as Sentence

__all__ = ["evaluate", "measure", "pin_one_core"]


def evaluate(
    gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]
) -> dict[str, dict[str, float]]:
    """Exact-span precision, recall and F1 per type, plus ``micro`` over PERS+ORG+LOC."""
    tp: Counter[str] = Counter()
    n_gold: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    for g, p in zip(gold, pred):
        gs, ps = set(bio_spans(g)), set(bio_spans(p))
        for s in gs:
            n_gold[s[2]] += 1
        for s in ps:
            n_pred[s[2]] += 1
        for s in gs & ps:
            tp[s[2]] += 1

    def prf(t: int, np_: int, ng: int) -> dict[str, float]:
        p = t / np_ if np_ else 0.0
        r = t / ng if ng else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {"p": p, "r": r, "f1": f, "gold": ng, "pred": np_}

    out = {t: prf(tp[t], n_pred[t], n_gold[t]) for t in ("PERS", "ORG", "LOC", "MISC")}
    main3 = ("PERS", "ORG", "LOC")
    out["micro"] = prf(
        sum(tp[t] for t in main3),
        sum(n_pred[t] for t in main3),
        sum(n_gold[t] for t in main3),
    )
    return out


def _speed(
    model_path: Path, sents: Sequence[list[str]]
) -> tuple[float, float, float, list[list[str]]]:
    """``(load s, tokens per CPU-second, tokens per wall-second, predictions)`` of a fresh tagger.

    Tagging is single-threaded; CPU time is what one core spends, wall time also counts
    whatever else the machine was doing.
    """
    from ..actors.tagger import Tagger

    t0 = time.perf_counter()
    tagger = Tagger.load(model_path)
    load_s = time.perf_counter() - t0
    n = sum(len(s) for s in sents)
    t0, c0 = time.perf_counter(), time.process_time()
    pred = list(
        tagger.tag_sentences(sents)
    )  # in batches, as articles are tagged (the NumPy decoder)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return load_s, n / max(cpu, 1e-9), n / max(wall, 1e-9), pred


def pin_one_core() -> None:
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    except (AttributeError, OSError):
        pass


def measure(
    model: Path, dev: Sequence[Sentence], aqmar: Sequence[Sentence]
) -> tuple[dict, dict, float, float, float]:
    """``(ANERcorp dev figures, AQMAR held-out figures, load s, tokens per CPU-second, wall)``."""
    load_s, tok_cpu, tok_wall, pred = _speed(model, [t for t, _ in dev])
    res = evaluate([g for _, g in dev], pred)
    _, _, _, pred_aq = _speed(model, [t for t, _ in aqmar])
    return res, evaluate([g for _, g in aqmar], pred_aq), load_s, tok_cpu, tok_wall
