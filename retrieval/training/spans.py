"""Train the answer-span model (retrieval/data/spans.json) deterministically: ``sanad train spans``.

Data: the train parts of ARCD (official split) and of Belebele's Arabic extractive set
(retrieval/training/splits.py); their paragraphs are split again by a hash of the paragraph id into a fitting
part (3/4) and a dev part (1/4), which chooses the regularisation, the calibration and the
threshold. The test parts are never read here (bench/spans.py reports them).

Our own dialect and paraphrase questions of the tune split (bench/questions/dialect.jsonl) are
fitted too, each counted :data:`DIALECT_COPIES` times: news in dialect, which the QA sets lack.

Each question is asked, with the answerability model out of the way (``min_confidence=0``), of an
index holding only its paragraph, the way a user's question reaches the span model: the first
result's quotes are its sentences. The gold answer's candidates (highest token F1 with a gold
answer, at least :data:`POSITIVE_F1`) are the positives of a conditional logit: one softmax over
the candidates of the question, the log of the mass on the positives maximised with an L2 penalty
(scipy's L-BFGS; the loss is convex, the start is zeros, so the fit is deterministic). Features
seen in fewer than :data:`MIN_QUESTIONS` fitting questions are dropped.

The calibration is a logistic regression of "the best candidate's token F1 >= 0.5" on the logit
of its softmax share, fitted on dev; the threshold is the lowest that keeps dev precision at or
above :data:`TARGET_PRECISION`. Run from the repository root; rows are cached under
``--cache``, keyed by the library's sources and data (about 4 minutes to build on 2 cores, seconds after).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]  # a checkout: training reads ../shared and bench/questions

from retrieval.answer import answer  # noqa: E402
from retrieval.asking import analyse_question  # noqa: E402
from retrieval.corpus import make_article  # noqa: E402
from retrieval.evaluation import span_scores  # noqa: E402
from retrieval.index import Index  # noqa: E402
from retrieval.matching import span_sentences  # noqa: E402
from retrieval.span_model import (  # noqa: E402
    SPAN_MODEL_VERSION,
    SpanModel,
    calibration_inputs,
    span_features,
)
from retrieval.spans import SpanSentence  # noqa: E402

from . import TRAINERS  # noqa: E402
from .splits import arcd_part, belebele_part, jsonl  # noqa: E402

SHARED = REPO.parent / "shared"
ARCD = SHARED / "benchmarks" / "arcd"
BELEBELE = SHARED / "qa" / "belebele-eqa-ar"
DIALECT = REPO / "bench" / "questions" / "dialect.jsonl"
OUT = REPO / "retrieval" / "data" / "spans.json"
DIALECT_COPIES = 5  # each dialect tune question counts as this many QA-set questions
POSITIVE_F1 = 0.5
MIN_QUESTIONS = 2
TARGET_PRECISION = 0.70
L2 = (2.0, 5.0, 10.0, 20.0)
_OFF = SpanModel({}, (0.0, 0.0, 0.0), {}, 2.0, {})  # shows no span: the rows are read from the sentences



def _fold(context_id: str) -> int:
    """One of four folds of the fitting part, by SHA-1 of the paragraph id."""
    return hashlib.sha1(("cv:" + context_id).encode("utf-8")).digest()[0] % 4


def dev_part(context_id: str) -> bool:
    """A quarter of the training paragraphs, by SHA-1 of their id."""
    return hashlib.sha1(("dev:" + context_id).encode("utf-8")).digest()[0] % 4 == 0


def questions(part: str) -> list[dict]:
    """ARCD's and Belebele's questions of ``part`` (``train`` or ``test``), with their paragraph."""
    arcd = arcd_part(ARCD)
    actx = {c["context_id"]: c for c in jsonl(ARCD / "contexts.jsonl")}
    bctx = {c["context_id"]: c for c in jsonl(BELEBELE / "contexts.jsonl")}
    out = [
        {**q, "set": "arcd", "context": actx[q["context_id"]]}
        for q in jsonl(ARCD / "questions.jsonl")
        if arcd.get(q["context_id"]) == part
    ]
    out += [
        {**q, "set": "belebele", "context": bctx[q["context_id"]]}
        for q in jsonl(BELEBELE / "questions.jsonl")
        if belebele_part(q["context_id"]) == part
    ]
    return out


def reading(q: dict) -> dict:
    """What the span model reads for ``q`` asked of its paragraph alone: the kind asked and the
    first result's sentences (none when the question asks for no thing)."""
    c = q["context"]
    index = Index.build([make_article(c["context_id"], c["text"], title=c.get("title") or None)], tagger="ensemble")
    asked = analyse_question(q["question"], index)
    ans = answer(q["question"], index, top_k=1, min_confidence=0.0, span_model=_OFF)
    sentences = span_sentences(index, asked, ans.results[0]) if ans.results else []
    return {
        "id": q["id"], "set": q["set"], "context_id": c["context_id"], "answers": q["answers"],
        "kind": asked.span_kind, "wh": asked.wh, "sentences": [asdict(s) for s in sentences],
    }


def dialect_rows() -> list[dict]:
    """Our dialect and paraphrase questions of the tune split that ask for a thing
    (bench/questions/dialect.jsonl; the held-out ones are never read here), asked of the default
    corpus: rows when the first result is the expected article. News, unlike the QA sets."""
    from retrieval.corpus import load_default_corpus

    index = Index.build(load_default_corpus())
    out = []
    for q in jsonl(DIALECT):
        if q["split"] != "tune" or q["kind"] in ("why", "how"):
            continue
        asked = analyse_question(q["question"], index)
        ans = answer(q["question"], index, top_k=1, min_confidence=0.0, span_model=_OFF)
        if not ans.results or ans.results[0].article.id != q["article_id"]:
            continue
        out.append({
            "id": q["question"], "set": "dialect", "context_id": q["article_id"], "answers": [q["answer"]],
            "kind": asked.span_kind, "wh": asked.wh,
            "sentences": [asdict(s) for s in span_sentences(index, asked, ans.results[0])],
        })
    return out


def load_rows(part: str, cache: Path) -> list[dict]:
    """The questions of ``part`` read as a user's question is (see :func:`reading`), cached under
    ``cache`` by a digest of the library (its sources, lists and models, this trainer's artifact
    aside): edited code or a retrained tagger reads them again instead of fitting stale rows."""
    key = Index.inputs_digest(f"spans rows {part}", skip=frozenset(TRAINERS["spans"].artifacts))[:16]
    path = cache / f"spans-{part}-{key}.jsonl"
    if path.exists():
        return jsonl(path)
    cache.mkdir(parents=True, exist_ok=True)
    from multiprocessing import Pool

    rows = []
    t0 = time.perf_counter()
    qs = questions(part)
    with Pool(2) as pool:  # order kept: imap
        for n, row in enumerate(pool.imap(reading, qs, chunksize=8), 1):
            rows.append(row)
            if n % 100 == 0:
                print(f"  {part}: {n}/{len(qs)} questions read, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return rows


def _sentence(d: dict) -> SpanSentence:
    return SpanSentence(
        d["text"], d["start"], tuple(map(tuple, d["words"])), tuple(d["norms"]), tuple(d["matched"]),
        tuple(d["kinds"]), tuple(map(tuple, d["marks"])), d["best"], tuple(d["weights"]),
        tuple(d["rooted"]), tuple(d["focus"]),
    )


def expand(row: dict) -> tuple[list[list[tuple[str, float]]], list[float], list[str]]:
    """Every candidate of ``row``: its features, its token F1 against the gold answers, its text."""
    feats, f1s, texts = [], [], []
    if row["kind"] is None:
        return feats, f1s, texts
    for d in row["sentences"]:
        s = _sentence(d)
        for i, k, features in span_features(s, row["kind"], row["wh"]):
            text = s.text[s.words[i][0] : s.words[k][1]]
            feats.append(features)
            f1s.append(span_scores(text, row["answers"])[1])
            texts.append(text)
    return feats, f1s, texts


class Data:
    """Candidates of many questions as one sparse matrix, rows grouped by question."""

    def __init__(self, rows: list[dict], vocab: dict[str, int] | None = None) -> None:
        from scipy.sparse import csr_matrix

        expanded = [expand(r) for r in rows]
        if vocab is None:
            seen: Counter[str] = Counter()
            counted: set[str] = set()  # a question fitted several times counts once here
            for r, (feats, f1s, _) in zip(rows, expanded):
                if f1s and max(f1s) >= POSITIVE_F1 and r["id"] not in counted:
                    counted.add(r["id"])
                    seen.update({f for row in feats for f, _ in row})
            vocab = {f: i for i, f in enumerate(sorted(f for f, n in seen.items() if n >= MIN_QUESTIONS))}
        self.vocab = vocab
        data, cols, ptr = [], [], [0]
        self.group: list[int] = []
        self.f1: list[float] = []
        self.texts: list[str] = []
        self.starts = [0]
        for g, (feats, f1s, texts) in enumerate(expanded):
            for row, f1, text in zip(feats, f1s, texts):
                for f, v in row:
                    if (j := vocab.get(f)) is not None:
                        cols.append(j)
                        data.append(v)
                ptr.append(len(cols))
                self.group.append(g)
                self.f1.append(f1)
                self.texts.append(text)
            self.starts.append(len(self.f1))
        self.X = csr_matrix((np.array(data, float), np.array(cols, int), np.array(ptr, int)), shape=(len(self.f1), len(vocab)))
        self.n = len(rows)
        f1 = np.array(self.f1)
        best = np.zeros_like(f1)
        for g in range(self.n):
            a, b = self.starts[g], self.starts[g + 1]
            if b > a and f1[a:b].max() >= POSITIVE_F1:
                best[a:b] = f1[a:b] >= f1[a:b].max() - 1e-9
        self.positive = best


def _group_softmax(s: np.ndarray, starts: list[int]) -> np.ndarray:
    p = np.zeros_like(s)
    for a, b in zip(starts[:-1], starts[1:]):
        if b > a:
            e = np.exp(s[a:b] - s[a:b].max())
            p[a:b] = e / e.sum()
    return p


def fit(d: Data, l2: float) -> np.ndarray:
    from scipy.optimize import minimize

    groups = [(a, b) for a, b in zip(d.starts[:-1], d.starts[1:]) if b > a and d.positive[a:b].any()]
    keep = np.zeros(len(d.f1), bool)
    for a, b in groups:
        keep[a:b] = True
    X = d.X[keep]
    pos = d.positive[keep]
    starts = [0]
    for a, b in groups:
        starts.append(starts[-1] + b - a)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = X @ w
        total = 0.0
        grad_s = np.zeros_like(s)
        for a, b in zip(starts[:-1], starts[1:]):
            z = s[a:b]
            m = z.max()
            e = np.exp(z - m)
            all_ = e.sum()
            pe = e * pos[a:b]
            mass = pe.sum()
            total += math.log(all_) - math.log(mass)
            grad_s[a:b] = e / all_ - pe / mass
        return total + 0.5 * l2 * float(w @ w), X.T @ grad_s + l2 * w

    res = minimize(loss, np.zeros(X.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return res.x


def predict(d: Data, w: np.ndarray) -> list[tuple[list[float], float, str]]:
    """Per question: (the scores of its candidates, the best one's token F1, its text); ([], 0, '') for none."""
    s = d.X @ w
    out = []
    for a, b in zip(d.starts[:-1], d.starts[1:]):
        if b == a:
            out.append(([], 0.0, ""))
            continue
        i = a + int(np.argmax(s[a:b]))
        out.append((s[a:b].tolist(), d.f1[i], d.texts[i]))
    return out


def calibrate(preds: list[tuple[list[float], float, str]], rows: list[dict]) -> tuple[tuple[float, ...], dict[str, float]]:
    """``a`` and ``b[kind]`` of :class:`SpanModel`: a logistic regression of "right" on
    :func:`calibration_inputs` and the kind asked (one intercept per kind; ``b["*"]``, their mean,
    for a kind unseen on dev)."""
    from sklearn.linear_model import LogisticRegression

    kinds = sorted({r["kind"] for (_, _, t), r in zip(preds, rows) if t})
    x = np.array([list(calibration_inputs(sc)) + [float(r["kind"] == k) for k in kinds]
                  for (sc, _, t), r in zip(preds, rows) if t])
    y = np.array([f1 >= 0.5 for (_, f1, t) in preds if t], int)
    lr = LogisticRegression(C=1.0, fit_intercept=False).fit(x, y)
    b = {k: round(float(v), 6) for k, v in zip(kinds, lr.coef_[0][3:])}
    b["*"] = round(float(np.mean(list(b.values()))), 6)
    return tuple(round(float(v), 6) for v in lr.coef_[0][:3]), b


def scores(preds: list[tuple[float, float, str]], rows: list[dict], model: SpanModel | None = None) -> dict:
    """EM, F1 and the precision of shown spans over ``rows`` (a question with no span scores 0)."""
    em = f1 = shown = right = 0.0
    for (p, _, text), row in zip(preds, rows):
        if not text or (model is not None and model.probability(p, row["kind"]) < model.threshold):
            continue
        e, f = span_scores(text, row["answers"])
        em, f1, shown, right = em + e, f1 + f, shown + 1, right + (f >= 0.5)
    n = max(len(rows), 1)
    return {"questions": len(rows), "EM": round(em / n, 3), "F1": round(f1 / n, 3), "shown": int(shown),
            "precision": round(right / shown, 3) if shown else None}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, default=Path("/tmp/sanad-spans"))
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    import scipy
    import sklearn

    started = time.perf_counter()

    rows = load_rows("train", args.cache)
    fit_rows = [r for r in rows if not dev_part(r["context_id"])] + dialect_rows() * DIALECT_COPIES
    dev_rows = [r for r in rows if dev_part(r["context_id"])]
    train = Data(fit_rows)
    dev = Data(dev_rows, train.vocab)
    print(f"fit {len(fit_rows)} questions (dialect tune questions x{DIALECT_COPIES} among them), {train.X.shape[0]} candidates, {train.X.shape[1]} features; "
          f"dev {len(dev_rows)} questions", file=sys.stderr)
    best = None
    folds = []  # 4-fold cross-validation over the fitting part, by paragraph: it chooses the L2 penalty
    for fold in range(4):
        held = [r for r in fit_rows if _fold(r["context_id"]) == fold]
        rest = Data([r for r in fit_rows if _fold(r["context_id"]) != fold])
        folds.append((rest, Data(held, rest.vocab), held))
    for l2 in L2:
        cv = [scores(predict(d, fit(rest, l2)), held)["F1"] for rest, d, held in folds]
        print(f"  l2 {l2}: cross-validated F1 {np.mean(cv):.4f} {cv}", file=sys.stderr)
        if best is None or np.mean(cv) > best[0]:
            best = (float(np.mean(cv)), l2, None)
    l2 = best[1]
    w = fit(train, l2)
    best = (None, l2, w)
    _, l2, w = best
    preds = predict(dev, w)
    a, b = calibrate(preds, dev_rows)
    probe = SpanModel({}, a, b, 0.0, {})
    shown = sorted((probe.probability(sc, r["kind"]), f1 >= 0.5) for (sc, f1, t), r in zip(preds, dev_rows) if t)
    threshold = 1.0
    for i, (p, _) in enumerate(shown):
        tail = shown[i:]
        if sum(r for _, r in tail) / len(tail) >= TARGET_PRECISION:
            threshold = round(p, 3)
            break
    inv = {i: f for f, i in train.vocab.items()}
    weights = {inv[i]: round(float(v), 6) for i, v in enumerate(w) if abs(v) >= 1e-6}
    model = SpanModel(weights, a, b, threshold, {})
    dev_all, dev_shown = scores(preds, dev_rows), scores(preds, dev_rows, model)
    print(f"chosen l2 {l2}; calibration a={a} b={b}; threshold {threshold}", file=sys.stderr)
    print(f"dev, every span: {dev_all}\ndev, spans over the threshold: {dev_shown}", file=sys.stderr)
    doc = {
        "version": SPAN_MODEL_VERSION,
        "a": list(model.a),
        "b": model.b,
        "threshold": threshold,
        "meta": {
            "command": "sanad train spans",
            "data": "train parts of ARCD (official split) and Belebele-EQA-ar (retrieval/training/splits.py); "
                    "dev: a quarter of their paragraphs (retrieval/training/spans.py dev_part)",
            "fit_questions": len(fit_rows), "dev_questions": len(dev_rows), "l2": l2,
            "target_precision": TARGET_PRECISION, "dev_every_span": dev_all, "dev_shown": dev_shown,
            "scipy": scipy.__version__, "scikit-learn": sklearn.__version__,  # the fit is deterministic for these
        },
        "weights": dict(sorted(weights.items())),
    }
    args.out.write_text(json.dumps(doc, ensure_ascii=False, indent=0, sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(weights)} weights)", file=sys.stderr)
    if args.out == OUT:
        CARD.write_text(card(doc, time.perf_counter() - started), encoding="utf-8")
    return 0


CARD = OUT.with_suffix(".md")


def card(doc: dict, seconds: float | None = None) -> str:
    """The model card of a spans model (``doc``: the JSON written), in Markdown."""
    m = doc["meta"]
    row = lambda name, d: f"| {name} | {d['questions']} | {d['EM']} | {d['F1']} | {d['shown']} | {d['precision']} |"  # noqa: E731
    took = f" in {seconds / 60:.1f} minutes on this machine" if seconds else ""
    return "\n".join([
        "# Answer spans model", "",
        "`spans.json` scores the candidate answer spans of a result's best sentence (a conditional logit over each "
        "question's candidates, then calibrated: the probability that a span's token F1 is at least 0.5). Plain JSON, "
        "read by `retrieval/spans.py`.", "",
        "## Data and licence", "",
        f"{m['data']}. ARCD is MIT-licensed; Belebele-EQA-ar is CC BY-SA 4.0 (see `../shared/README.md`). Our dialect "
        "questions (`bench/questions/dialect.jsonl`, tune split) are repeated among the fitting questions. The test "
        "parts are never read here (`bench/spans.py` reports them).", "",
        "## Settings", "",
        f"- {m['fit_questions']} fitting questions, {m['dev_questions']} dev questions (calibration and threshold);",
        f"- L2 penalty {m['l2']}, chosen by 4-fold cross-validation by paragraph;",
        f"- threshold {doc['threshold']}: the lowest whose dev precision is at least {m['target_precision']};",
        f"- scikit-learn {m['scikit-learn']}, SciPy {m['scipy']}; {len(doc['weights'])} weights.", "",
        "## Dev figures", "",
        "| spans | questions | EM | F1 | shown | precision |", "|---|---:|---:|---:|---:|---:|",
        row("every span", m["dev_every_span"]), row("over the threshold", m["dev_shown"]), "",
        "## Rebuild", "", f"    {m['command']}", "",
        f"Deterministic: the same data give the same bytes{took}.", "",
    ])


if __name__ == "__main__":
    raise SystemExit(main())
