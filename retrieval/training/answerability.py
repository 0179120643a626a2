"""Retrain the answerability model (``retrieval/data/answerability.json``) deterministically.

Training data, all from ``../shared`` and ``bench/questions`` (never the default corpus's own
questions, which test it):

* ARCD held-out halves, seeds 1-4 (seed 0 is the evaluation split of docs/answering.md and is never
  trained on): ``random.Random(seed).sample(contexts, len(contexts) // 2)`` indexed, every
  question asked; each of the first 10 candidate articles is an example, labelled 1 when it is
  the question's gold paragraph. Questions whose paragraph is left out have no positive.
* ARCD questions asked of the default (Libya news) corpus: every candidate is a negative.
* The ``tune`` half of ``bench/questions/out_of_corpus.jsonl`` asked of the default corpus and
  of each ARCD half: negatives. The ``heldout`` half is only for evaluation.
* Belebele's Arabic extractive set (``../shared/qa/belebele-eqa-ar``, another register: Wikinews
  and Wikivoyage) the same way: held-out halves of its passages, seeds 1-4, every question asked.
* The ``tune`` halves of ``bench/questions/dialect.jsonl`` (dialect and paraphrase questions on
  the default articles: positives where the article answers) and ``dialect_off_topic.jsonl``
  (negatives), asked of the default corpus. Their ``heldout`` halves are only for evaluation.

The shipped model is scikit-learn's HistGradientBoostingClassifier (200 trees of at most 15
leaves, learning rate 0.05, no early stopping, random_state 0: deterministic), written out as plain
trees; ``--kind logistic`` fits the previous logistic regression (lbfgs, L2, C=1, standardized
features) instead. On the ARCD and Belebele halves of seeds 1-3, tested on seed 4, the trees kept
the right article first as often and refused more unanswerable questions at the same rate of right
answers (ARCD 0.638 against 0.571, Belebele 0.753 against 0.673). scikit-learn is the ``train``
extra. The default threshold is then chosen on the training data (see ``choose_threshold``). Usage::

    sanad train answerability [--out retrieval/data/answerability.json] [--dump FILE] [--kind trees|logistic]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]  # a checkout: training reads ../shared and bench/questions

from retrieval.answerability import Model  # noqa: E402
from retrieval.corpus import load_default_corpus, make_article  # noqa: E402
from retrieval.errors import InputError  # noqa: E402
from retrieval.evidence import FEATURES  # noqa: E402
from retrieval.index import Index  # noqa: E402
from retrieval.matching import candidates  # noqa: E402

from .splits import arcd_part, belebele_part, jsonl  # noqa: E402

SHARED = REPO.parent / "shared"
ARCD = SHARED / "benchmarks" / "arcd"
OOC = REPO / "bench" / "questions" / "out_of_corpus.jsonl"
BELEBELE = SHARED / "qa" / "belebele-eqa-ar"
DIALECT = REPO / "bench" / "questions" / "dialect.jsonl"
DIALECT_OFF = REPO / "bench" / "questions" / "dialect_off_topic.jsonl"
TRAIN_SEEDS = (1, 2, 3, 4)
#: The actors tagger of the training indexes, named rather than ``auto`` (which takes camel-tools'
#: NER where its data is installed): the answer-candidate signals read the stored actors, and the
#: same command must write the same file on every machine.
TAGGER = "ensemble"
PER_QUESTION = 10
COMMAND = "sanad train answerability"



def arcd_index(contexts: list[dict]) -> Index:
    return Index.build([make_article(id=c["context_id"], text=c["text"], title=c["title"]) for c in contexts], tagger=TAGGER)


def holdout(contexts: list[dict], seed: int) -> list[dict]:
    """The evaluation's held-out split: a seeded random half of the paragraphs, in file order."""
    return random.Random(seed).sample(contexts, len(contexts) // 2)


def examples(index: Index, questions: list[tuple[str, str]], group: str) -> list[dict]:
    """One row per candidate (first ``PER_QUESTION``): features, label, question number, rank,
    and whether the question's article is in the index at all (``answerable``)."""
    rows = []
    for qi, (text, gold) in enumerate(questions):
        try:
            _, cands = candidates(text, index)
        except InputError:
            continue
        for c in cands[:PER_QUESTION]:
            rows.append(
                {
                    "group": group,
                    "q": qi,
                    "rank": c.rank,
                    "label": int(c.hit.passage.article_id == gold),
                    "answerable": int(bool(gold) and gold in index.articles),
                    "x": list(c.evidence.vector()),
                }
            )
    return rows


def collect() -> list[dict]:
    # The train parts only (retrieval/training/splits.py): ARCD's official train split, half of Belebele's
    # passages; their test parts stay unseen (docs/answering.md reports them).
    part = arcd_part(ARCD)
    contexts = [c for c in jsonl(ARCD / "contexts.jsonl") if part.get(c["context_id"]) == "train"]
    arcd_q = [(q["question"], q["context_id"]) for q in jsonl(ARCD / "questions.jsonl")
              if part.get(q["context_id"]) == "train"]
    ooc = [(q["question"], "") for q in jsonl(OOC) if q.get("split") == "tune"]
    bb_contexts = [c for c in jsonl(BELEBELE / "contexts.jsonl") if belebele_part(c["context_id"]) == "train"]
    bb_q = [(q["question"], q["context_id"]) for q in jsonl(BELEBELE / "questions.jsonl")
            if belebele_part(q["context_id"]) == "train"]
    dialect = [(q["question"], q["article_id"]) for q in jsonl(DIALECT) if q.get("split") == "tune"]
    dialect_off = [(q["question"], "") for q in jsonl(DIALECT_OFF) if q.get("split") == "tune"]
    rows: list[dict] = []
    t0 = time.perf_counter()
    for seed in TRAIN_SEEDS:
        index = arcd_index(holdout(contexts, seed))
        rows += examples(index, arcd_q, f"arcd-half-{seed}")
        rows += examples(index, ooc, f"ooc-arcd-half-{seed}")
        index = arcd_index(holdout(bb_contexts, seed))
        rows += examples(index, bb_q, f"belebele-half-{seed}")
        print(f"seed {seed}: {len(rows)} rows, {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    libya = load_default_corpus()
    index = Index.build(libya, tagger=TAGGER)
    rows += examples(index, arcd_q, "arcd-on-libya")
    rows += examples(index, ooc, "ooc-on-libya")
    rows += examples(index, dialect, "dialect-on-libya")
    rows += examples(index, dialect_off, "dialect-off-on-libya")
    # Every openly licensed paragraph indexed together with the default articles: questions whose
    # answer is there among many distractors of other registers, and questions that have none.
    together = Index.build(
        [*libya, *(make_article(id=c["context_id"], text=c["text"], title=c["title"]) for c in contexts + bb_contexts)],
        tagger=TAGGER,
    )
    rows += examples(together, arcd_q + dialect, "together")
    rows += examples(together, ooc + dialect_off, "off-together")
    print(f"all: {len(rows)} rows, {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    return rows


def _logistic(x: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Means, scales, coefficients and intercept of an L2 logistic regression on standardized ``x``."""
    from sklearn.linear_model import LogisticRegression

    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales == 0] = 1.0
    lr = LogisticRegression(C=c, solver="lbfgs", max_iter=2000)
    lr.fit((x - means) / scales, y)
    return means, scales, lr.coef_[0], float(lr.intercept_[0])


#: Two signals constrained to raise the probability only: more of the question in the best
#: sentence, and a higher score against a full match. Unconstrained, the trees learned a quirk of
#: Wikipedia paragraphs: a short news passage scoring twice a full match of the question fell
#: below one holding a fifth of it. Constraining eight signals cost refusals on the archive's
#: off-topic questions (0.64 -> 0.56 at the same threshold); all 22, the dialect questions.
MONOTONIC = {"cov_sentence": 1, "score_norm": 1}


def _trees(x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> tuple[float, tuple]:
    """The baseline logit and the trees of a HistGradientBoostingClassifier, as plain lists."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    hgb = HistGradientBoostingClassifier(
        max_iter=200, learning_rate=0.05, max_leaf_nodes=15, early_stopping=False, random_state=0,
        monotonic_cst=[MONOTONIC.get(f, 0) for f in FEATURES],
    )
    hgb.fit(x, y, sample_weight=w)
    trees = []
    for (predictor,) in hgb._predictors:
        nodes = predictor.nodes
        leaf = nodes["is_leaf"].astype(bool)
        trees.append((
            tuple(int(v) for v in nodes["feature_idx"]),
            tuple(float(v) for v in nodes["num_threshold"]),
            tuple(-1 if lf else int(v) for v, lf in zip(nodes["left"], leaf)),
            tuple(-1 if lf else int(v) for v, lf in zip(nodes["right"], leaf)),
            tuple(float(v) for v in nodes["value"]),
        ))
    baseline = float(np.ravel(hgb._baseline_prediction)[0])
    check = hgb.predict_proba(x[:2000])[:, 1]
    model = Model((0.0,) * x.shape[1], (1.0,) * x.shape[1], (0.0,) * x.shape[1], baseline, 0.5, {}, tuple(trees))
    ours = np.array(model.probabilities(x[:2000].tolist()))
    if not np.allclose(ours, check, atol=1e-9):
        raise SystemExit("the trees written out do not reproduce scikit-learn's probabilities")
    return baseline, tuple(trees)


#: Our own dialect questions are few beside the QA sets' thousands of rows: each counts as this many.
GROUP_WEIGHT = {"dialect-on-libya": 10.0, "dialect-off-on-libya": 10.0}


def fit(rows: list[dict], c: float = 1.0, kind: str = "trees") -> Model:
    """The answerability model on every row (threshold 0.5 until :func:`choose_threshold`)."""
    x = np.array([r["x"] for r in rows], dtype=np.float64)
    y = np.array([r["label"] for r in rows], dtype=np.int64)
    n = x.shape[1]
    if kind == "trees":
        w = np.array([GROUP_WEIGHT.get(r["group"], 1.0) for r in rows], dtype=np.float64)
        baseline, trees = _trees(x, y, w)
        return Model((0.0,) * n, (1.0,) * n, (0.0,) * n, baseline, 0.5, {}, trees)
    means, scales, coef, intercept = _logistic(x, y, c)
    floats = lambda a: tuple(float(v) for v in a)  # noqa: E731
    return Model(floats(means), floats(scales), floats(coef), intercept, 0.5, {})


def decisions(rows: list[dict], threshold: float) -> dict[str, float]:
    """What ``answer()`` would do at ``threshold`` on the training questions: candidates ordered
    by their probability ``p``, answered when the first reaches the threshold."""
    by_q: dict[tuple[str, int], list[dict]] = {}
    for r in rows:
        by_q.setdefault((r["group"], r["q"]), []).append(r)
    right = answerable = refused = unanswerable = 0
    for _, cands in sorted(by_q.items()):
        best = max(cands, key=lambda r: (r["p"], -r["rank"]))
        answered = best["p"] >= threshold
        if cands[0]["answerable"]:
            answerable += 1
            right += answered and best["label"] == 1
        else:
            unanswerable += 1
            refused += not answered
    return {
        "gold_at_1_of_answerable": right / max(answerable, 1),
        "refused_of_unanswerable": refused / max(unanswerable, 1),
    }


def _scored(model: Model, rows: list[dict]) -> list[dict]:
    """``rows``, each with ``p``, the model's probability (all rows at once)."""
    return [{**r, "p": p} for r, p in zip(rows, model.probabilities([r["x"] for r in rows]))]


def out_of_fold(rows: list[dict], kind: str) -> list[dict]:
    """The held-out halves' rows, each with ``p`` from a model that never saw its seed: for each
    training seed, a model fitted on every row of the other seeds (and the rows of no seed)."""
    out = []
    for seed in TRAIN_SEEDS:
        mine = f"-{seed}"
        model = fit([r for r in rows if not r["group"].endswith(mine)], kind=kind)
        out += _scored(model, [r for r in rows if r["group"].endswith(mine)])
    return out


#: The share of answerable training questions whose right article must stay first (and answered),
#: measured out of fold: issue #23's target for the held-out split (gold@1 >= 0.80). With 0.75 the
#: trees' out-of-fold threshold was 0.27, which refused right answers on the full index.
KEEP_RIGHT = 0.80


def choose_threshold(model: Model, rows: list[dict], folds: list[dict]) -> tuple[float, list[dict]]:
    """The highest threshold at which the held-out halves (ARCD and Belebele, every training
    seed, scored out of fold: ``folds``) still answer with the right article first for
    ``KEEP_RIGHT`` of their answerable questions: refuse as much as possible without losing right
    answers. The table also shows the refusals of off-topic questions (ARCD, out-of-corpus and
    dialect off-topic questions asked of the Libya news; scored by ``model``)."""
    halves = [r for r in folds if r["group"].startswith(("arcd-half", "ooc-arcd", "belebele-half"))]
    off = _scored(model, [r for r in rows if r["group"] in ("arcd-on-libya", "ooc-on-libya", "dialect-off-on-libya")])
    table = []
    for t in [round(0.01 * i, 2) for i in range(1, 61)]:
        d = decisions(halves, t)
        d_off = decisions(off, t)
        table.append({"threshold": t, **{k: round(float(v), 4) for k, v in d.items()},
                      "refused_off_topic": round(float(d_off["refused_of_unanswerable"]), 4)})
    ok = [r for r in table if r["gold_at_1_of_answerable"] >= KEEP_RIGHT] or table[:1]
    return ok[-1]["threshold"], table[4::5]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=REPO / "retrieval" / "data" / "answerability.json")  # OUT
    ap.add_argument("--dump", type=Path, help="also write the training rows (JSON lines) here")
    ap.add_argument("--rows", type=Path, help="fit on rows written by --dump instead of collecting them again")
    ap.add_argument("--threshold", type=float, default=None, help="default threshold (else chosen by choose_threshold)")
    ap.add_argument("--kind", choices=("trees", "logistic"), default="trees", help="boosted trees (shipped) or logistic regression")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    rows = jsonl(args.rows) if args.rows else collect()
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r) + "\n")
    model = fit(rows, kind=args.kind)
    # Trees fit their training rows closely: the threshold is chosen out of fold.
    chosen, table = choose_threshold(model, rows, out_of_fold(rows, args.kind))
    threshold = chosen if args.threshold is None else args.threshold
    for r in table:
        print(r, file=sys.stderr)
    meta = {
        "threshold_table": table,
        "command": COMMAND,
        "trained_on": {
            "arcd_half_seeds": list(TRAIN_SEEDS),
            "candidates_per_question": PER_QUESTION,
            "rows": len(rows),
            "positives": sum(r["label"] for r in rows),
            "groups": sorted({r["group"] for r in rows}),
            "out_of_corpus": "bench/questions/out_of_corpus.jsonl, split=tune",
            "belebele_half_seeds": list(TRAIN_SEEDS),
            "dialect": "bench/questions/dialect.jsonl and dialect_off_topic.jsonl, split=tune, on the default corpus",
        },
        "threshold_rule": f"highest threshold keeping the right article first for >= {KEEP_RIGHT} of the "
        f"answerable questions of the ARCD and Belebele halves of seeds {list(TRAIN_SEEDS)}, each seed scored by a "
        "model fitted without it (out of fold); see choose_threshold",
    }
    import sklearn

    meta["model"] = (
        "HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15, early_stopping=False, "
        f"random_state=0, monotonic_cst: {MONOTONIC})" if args.kind == "trees"
        else "LogisticRegression(C=1, lbfgs) on standardized features"
    )
    # Another scikit-learn may grow other trees from the same rows: the version is part of the recipe.
    meta["trained_with"] = {"scikit-learn": sklearn.__version__, "actors_tagger": TAGGER}
    out = Model(model.means, model.scales, model.coef, model.intercept, float(threshold), meta, model.trees)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if not model.trees:
        for name, coef in zip(FEATURES, model.coef):
            print(f"{name:16s} {coef:+.3f}", file=sys.stderr)
    print(f"threshold {threshold}; wrote {args.out}", file=sys.stderr)
    if args.out == OUT:
        CARD.write_text(card(out.to_json(), time.perf_counter() - started), encoding="utf-8")
    return 0


OUT = REPO / "retrieval" / "data" / "answerability.json"
CARD = OUT.with_suffix(".md")


def card(doc: dict, seconds: float | None = None) -> str:
    """The model card of an answerability model (``doc``: the JSON written), in Markdown."""
    on = doc["trained_on"]
    took = f" in {seconds / 60:.1f} minutes on this machine" if seconds else ""
    rows = [f"| {r['threshold']} | {r['gold_at_1_of_answerable']} | {r['refused_of_unanswerable']} | {r['refused_off_topic']} |"
            for r in doc["threshold_table"]]  # fmt: skip
    return "\n".join([
        "# Answerability model", "",
        "`answerability.json` gives the probability that an article answers a question from the evidence features "
        "of `retrieval/evidence.py`; an answer is refused under the threshold. Plain JSON (trees as arrays), read by "
        "`retrieval/answerability.py`.", "",
        "## Data and licence", "",
        "Train parts only (by paragraph: `retrieval/training/splits.py`): ARCD's official train split (MIT) and the "
        "train half of Belebele-EQA-ar (CC BY-SA 4.0), each indexed with distractors in halves of seeds "
        f"{on['arcd_half_seeds']}; {on['out_of_corpus']}; {on['dialect']}. Test parts and the held-out questions are "
        "never read here (`bench/answering.py` reports them).", "",
        "## Settings", "",
        f"- {doc['model']}; scikit-learn {doc['trained_with']['scikit-learn']}; actors tagger "
        f"{doc['trained_with']['actors_tagger']};",
        f"- {on['rows']} rows ({on['positives']} positive), {on['candidates_per_question']} candidates a question;",
        f"- threshold {doc['threshold']}: {doc['threshold_rule']}.", "",
        "## Thresholds (out of fold)", "",
        "| threshold | right article first, answerable | refused, unanswerable | refused, off topic |",
        "|---:|---:|---:|---:|", *rows, "",
        "## Rebuild", "", f"    {doc['command']}", "",
        f"Deterministic: the same data give the same bytes{took}.", "",
    ])


if __name__ == "__main__":
    raise SystemExit(main())
