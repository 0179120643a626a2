"""Train, evaluate and ship the CRF named-entity tagger (:mod:`.tagger`) on ANERcorp.

Usage::

    python -m retrieval.actors.train [--conll PATH] [--out PATH] [--dev-fraction 0.1] [--eval-only]

1. Read the CoNLL file (``token<TAB>BIO tag``; a bad line is reported with its number).
2. Split: the last ``--dev-fraction`` of the sentences (10 %) is the dev split.
3. Train a linear-chain CRF (python-crfsuite, L-BFGS, L1 ``--c1`` + L2 ``--c2``) on the rest,
   tag dev, and print a markdown table: conlleval-style exact-span P/R/F1 per type, the
   micro average over PERS+ORG+LOC (MISC is reported but left out of it), tagging speed on
   one core, model size and load time. These figures come from a model that never saw dev.
4. Unless ``--eval-only``: train with the same settings on *all* sentences (train + dev; in a
   second process, beside step 3) and write the shipped model (``--out``, default
   ``retrieval/actors/data/ner-crf.crfsuite``), its JSON side file (``ner-crf.json``: feature
   settings, training statistics, checksum) and ``NER-MODEL.md`` (licence and rebuild note).

Gazetteer features use only the sentences the model is trained on; while training they are
computed out-of-fold (:func:`oof_features`). The one outside resource is the hand-made list of
place names of ``data/gazetteer.tsv`` (:func:`curated_places`). ``--tune`` runs the c1/c2 grid on dev (two
processes) and prints one line per setting. Everything is deterministic: the same file gives
the same model bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from .conll import bio_spans, read_tagged_conll
from .features import FEATURE_GROUPS, Featurizer, normalize

__all__ = ["evaluate", "main", "split", "train_job", "train_model", "word_stats"]

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONLL = ROOT.parent / "shared" / "ner" / "anercorp-train.conll"
DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_OUT = DATA_DIR / "ner-crf.crfsuite"
REBUILD = "python -m retrieval.actors.train"

#: Hyper-parameters chosen on the dev split (``--tune``).
C1 = 0.05
C2 = 0.05
MAX_ITERATIONS = 200
FOLDS = 5
SIDE_FORMAT = 1

Sentence = tuple[list[str], list[str]]


# --- data ------------------------------------------------------------------------------------


def load(path: Path) -> list[Sentence]:
    """Tagged sentences of a CoNLL file; ``SystemExit`` with the line number on a bad line."""
    try:
        with open(path, encoding="utf-8") as f:
            return read_tagged_conll(f)
    except OSError as e:
        raise SystemExit(f"cannot read {path}: {e}") from e
    except ValueError as e:
        raise SystemExit(f"{path}: {e}") from e


def split(sents: Sequence[Sentence], dev_fraction: float) -> tuple[list[Sentence], list[Sentence]]:
    """``(train, dev)``: dev is the last ``dev_fraction`` of the sentences (rounded)."""
    n_dev = round(len(sents) * dev_fraction)
    if not 0 <= n_dev < len(sents):
        raise SystemExit(f"--dev-fraction {dev_fraction} leaves no training sentences")
    cut = len(sents) - n_dev
    return list(sents[:cut]), list(sents[cut:])


def word_stats(sents: Sequence[Sentence]) -> dict[str, list[int]]:
    """``normalized form -> [O, PERS, LOC, ORG, MISC]`` tag counts."""
    col = {"O": 0, "PERS": 1, "LOC": 2, "ORG": 3, "MISC": 4}
    out: dict[str, list[int]] = {}
    for toks, tags in sents:
        for t, g in zip(toks, tags):
            acc = out.setdefault(normalize(t), [0, 0, 0, 0, 0])
            acc[col[g[2:] if g != "O" else "O"]] += 1
    return out


def curated_places() -> list[str]:
    """Single-word hand-made place names (the ``curated`` lines of ``data/gazetteer.tsv``).

    Only the curated lines: the ANERcorp-derived entries of that file were built from the
    whole corpus, dev included, so they are never used here.
    """
    from .lexicon import lexicon

    lex = lexicon()
    return sorted(k for k in lex.curated if " " not in k and lex.entities.get(k) == "place")


def oof_features(sents: Sequence[Sentence], groups: Sequence[str], folds: int = FOLDS) -> list[list[list[str]]]:
    """Features of training sentences with out-of-fold gazetteer statistics.

    The sentences are cut into ``folds`` contiguous blocks (articles stay together); a block's
    gazetteer features come from the other blocks, so the model sees unseen words as often as
    it will on new text. The clitic vocabulary is the whole training vocabulary (no labels).
    """
    full = word_stats(sents)
    vocab = frozenset(full)
    places = curated_places()
    n = len(sents)
    out: list[list[list[str]]] = []
    for k in range(folds):
        lo, hi = n * k // folds, n * (k + 1) // folds
        stats = word_stats(list(sents[:lo]) + list(sents[hi:]))
        fz = Featurizer(vocab, stats, groups, places=places)
        out.extend(fz.sentence(toks) for toks, _ in sents[lo:hi])
    return out


# --- training --------------------------------------------------------------------------------


def train_model(
    sents: Sequence[Sentence],
    model_path: Path,
    c1: float = C1,
    c2: float = C2,
    max_iterations: int = MAX_ITERATIONS,
    groups: Sequence[str] = FEATURE_GROUPS,
    folds: int = FOLDS,
) -> Path:
    """Train on ``sents``; write ``model_path`` and its JSON side file; return the side file."""
    import pycrfsuite

    stats = word_stats(sents)
    places = curated_places()
    fz = Featurizer(stats.keys(), stats, groups, places=places)
    if folds > 1:
        xs = oof_features(sents, groups, folds)
    else:
        xs = [fz.sentence(toks) for toks, _ in sents]
    trainer = pycrfsuite.Trainer(algorithm="lbfgs", verbose=False)
    for x, (_, tags) in zip(xs, sents):
        trainer.append(x, tags)
    trainer.set_params(
        {
            "c1": c1,
            "c2": c2,
            "max_iterations": max_iterations,
            "feature.possible_transitions": True,
        }
    )
    model_path.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(model_path))
    side = side_path(model_path)
    meta = {
        "format": SIDE_FORMAT,
        "model_file": model_path.name,
        "model_sha256": hashlib.sha256(model_path.read_bytes()).hexdigest(),
        "groups": sorted(groups),
        "params": {"c1": c1, "c2": c2, "max_iterations": max_iterations, "folds": folds},
        "sentences": len(sents),
        "tokens": sum(len(t) for t, _ in sents),
        "stats": {w: stats[w] for w in sorted(stats)},
        "stem_stats": {w: list(fz.stem_stats[w]) for w in sorted(fz.stem_stats)},
        "places": sorted(places),
    }
    side.write_text(json.dumps(meta, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    return side


def side_path(model_path: Path) -> Path:
    """The JSON side file of a model file (``ner-crf.crfsuite -> ner-crf.json``)."""
    return model_path.with_suffix(".json")


# --- evaluation ------------------------------------------------------------------------------


def evaluate(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> dict[str, dict[str, float]]:
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
    out["micro"] = prf(sum(tp[t] for t in main3), sum(n_pred[t] for t in main3), sum(n_gold[t] for t in main3))
    return out


def _speed(model_path: Path, sents: Sequence[list[str]]) -> tuple[float, float, float, list[list[str]]]:
    """``(load s, tokens per CPU-second, tokens per wall-second, predictions)`` of a fresh tagger.

    Tagging is single-threaded; CPU time is what one core spends, wall time also counts
    whatever else the machine was doing.
    """
    from .tagger import Tagger

    t0 = time.perf_counter()
    tagger = Tagger.load(model_path)
    load_s = time.perf_counter() - t0
    n = sum(len(s) for s in sents)
    t0, c0 = time.perf_counter(), time.process_time()
    pred = list(tagger.tag_sentences(sents))  # in batches, as articles are tagged (the NumPy decoder)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return load_s, n / max(cpu, 1e-9), n / max(wall, 1e-9), pred


def table(res: dict[str, dict[str, float]], extra: Sequence[tuple[str, str]]) -> str:
    """The markdown table ``main`` prints."""
    lines = ["| type | precision | recall | F1 | gold spans | predicted |", "|---|---:|---:|---:|---:|---:|"]
    for t in ("PERS", "ORG", "LOC", "MISC", "micro"):
        r = res[t]
        name = "**micro (PERS+ORG+LOC)**" if t == "micro" else t
        lines.append(
            f"| {name} | {100 * r['p']:.2f} | {100 * r['r']:.2f} | {100 * r['f1']:.2f} | {r['gold']} | {r['pred']} |"
        )
    lines.append("")
    lines.append("| measure | value |")
    lines.append("|---|---:|")
    lines.extend(f"| {k} | {v} |" for k, v in extra)
    return "\n".join(lines)


def _pin_one_core() -> None:
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    except (AttributeError, OSError):
        pass


def train_job(args: tuple) -> tuple[float, float]:
    """Train one model (in a worker process): ``(wall s, CPU s)``."""
    sents, path, c1, c2, max_iterations, groups, folds = args
    t0, c0 = time.perf_counter(), time.process_time()
    train_model(sents, Path(path), c1, c2, max_iterations, groups, folds)
    return time.perf_counter() - t0, time.process_time() - c0


def _tune_one(args: tuple) -> tuple[float, float, float]:
    train, dev, c1, c2, groups, folds, max_iterations, workdir = args
    path = Path(workdir) / f"dev-{c1}-{c2}.crfsuite"
    train_model(train, path, c1, c2, max_iterations, groups, folds)
    _, _, _, pred = _speed(path, [t for t, _ in dev])
    return c1, c2, evaluate([g for _, g in dev], pred)["micro"]["f1"]


NOTE = """# Arabic NER model (CRF)

`{model}` (python-crfsuite / CRFsuite model) and `{side}` (its feature settings,
the ANERcorp word statistics its gazetteer features use, and the model's SHA-256) are
generated by `retrieval/actors/train.py`; do not edit them by hand. Load them with
`retrieval.actors.tagger.Tagger.load()`.

## Rebuild

    {rebuild}

Deterministic (the same CoNLL file gives the same bytes); a few minutes on two cores. The
command first trains on the first {train_pct} % of the sentences and prints the dev table
(last {dev_pct} %), then retrains with the same settings on **all** {n_sents} sentences
({n_tokens} tokens) and writes the shipped files. Settings: L-BFGS, c1={c1}, c2={c2},
{iters} iterations at most, feature groups {groups}, out-of-fold gazetteer statistics
({folds} folds). Besides ANERcorp, the `places` feature uses the hand-made place list of
`gazetteer.tsv` (its `curated` lines: countries, capitals, Libyan towns), copied into the side
file.

## Source and licence

Trained on **ANERcorp** (`anercorp-train.conll`):

> Yassine Benajiba, Paolo Rosso and José Miguel Benedí Ruiz. 2007. *ANERsys: An Arabic Named
> Entity Recognition System Based on Maximum Entropy*. CICLing 2007, LNCS 4394, pp. 143-153.

ANERcorp is distributed under the **Creative Commons Attribution-ShareAlike 4.0** licence
(CC BY-SA 4.0, https://creativecommons.org/licenses/by-sa/4.0/). The model and its side file
are adapted works (weights learnt from, and word statistics extracted from, the corpus), so
they are shared under the same licence, CC BY-SA 4.0, with attribution to the authors above.
The rest of Sanad keeps its own licence; only these data files carry the share-alike terms.
"""


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m retrieval.actors.train", description=__doc__.split("\n")[0])
    ap.add_argument("--conll", type=Path, default=DEFAULT_CONLL, help="ANERcorp-style token<TAB>tag file")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="shipped model file (side files beside it)")
    ap.add_argument("--dev-fraction", type=float, default=0.1, help="last share of sentences held out (0.1)")
    ap.add_argument("--eval-only", action="store_true", help="train on train, print the dev table, write nothing")
    ap.add_argument("--c1", type=float, default=C1, help=f"L1 coefficient ({C1})")
    ap.add_argument("--c2", type=float, default=C2, help=f"L2 coefficient ({C2})")
    ap.add_argument("--max-iterations", type=int, default=MAX_ITERATIONS)
    ap.add_argument("--folds", type=int, default=FOLDS, help="out-of-fold gazetteer folds (1: in-sample)")
    ap.add_argument("--groups", default=",".join(FEATURE_GROUPS), help="feature groups, comma-separated")
    ap.add_argument("--tune", action="store_true", help="grid over c1/c2 on dev (two processes), then stop")
    args = ap.parse_args(argv)
    groups = [g for g in args.groups.split(",") if g]

    sents = load(args.conll)
    if not sents:
        raise SystemExit(f"{args.conll}: no sentences")
    train, dev = split(sents, args.dev_fraction)
    if not dev:
        raise SystemExit("--dev-fraction leaves no dev sentences")
    n_tok = lambda ss: sum(len(t) for t, _ in ss)  # noqa: E731
    print(
        f"{args.conll.name}: {len(sents)} sentences; train {len(train)} ({n_tok(train)} tokens), "
        f"dev {len(dev)} ({n_tok(dev)} tokens)",
        file=sys.stderr,
    )

    with tempfile.TemporaryDirectory(prefix="sanad-ner-") as tmp:
        if args.tune:
            from multiprocessing import get_context

            grid = [(c1, c2) for c1 in (0.02, 0.05, 0.1, 0.2) for c2 in (0.01, 0.05, 0.1)]
            jobs = [(train, dev, c1, c2, groups, args.folds, args.max_iterations, tmp) for c1, c2 in grid]
            with get_context("fork").Pool(2) as pool:
                for c1, c2, f1 in pool.imap(_tune_one, jobs):
                    print(f"c1={c1:<5} c2={c2:<5} micro-F1={100 * f1:.2f}", flush=True)
            return 0

        # The dev model and the shipped model train side by side (one process each).
        from multiprocessing import get_context

        dev_model = Path(tmp) / "dev" / args.out.name
        ship_model = Path(tmp) / "ship" / args.out.name
        jobs = [(train, dev_model, args.c1, args.c2, args.max_iterations, groups, args.folds)]
        if not args.eval_only:
            jobs.append((sents, ship_model, args.c1, args.c2, args.max_iterations, groups, args.folds))
        with get_context("fork").Pool(len(jobs)) as pool:
            times = pool.map(train_job, jobs)

        _pin_one_core()
        load_s, tok_cpu, tok_wall, pred = _speed(dev_model, [t for t, _ in dev])
        res = evaluate([g for _, g in dev], pred)
        size = dev_model.stat().st_size + side_path(dev_model).stat().st_size
        extra = [
            ("dev sentences / tokens", f"{len(dev)} / {n_tok(dev)}"),
            ("training time (train split, 1 process)", f"{times[0][0]:.0f} s wall, {times[0][1]:.0f} s CPU"),
            ("tagging speed (1 core, cold cache)", f"{tok_cpu:,.0f} tokens/s CPU ({tok_wall:,.0f} wall)"),
            ("model size (model + side file)", f"{size / 1e6:.2f} MB"),
            ("load time", f"{1000 * load_s:.0f} ms"),
            ("settings", f"c1={args.c1} c2={args.c2} iters≤{args.max_iterations} folds={args.folds}"),
        ]
        print(table(res, extra))
        if args.eval_only:
            return 0

        # Replace the shipped files only once the new ones exist (model first, side file last).
        args.out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ship_model, args.out)
        shutil.copyfile(side_path(ship_model), side_path(args.out))
    note = NOTE.format(
        rebuild=REBUILD, train_pct=round(100 * (1 - args.dev_fraction)), dev_pct=round(100 * args.dev_fraction),
        n_sents=len(sents), n_tokens=n_tok(sents), c1=args.c1, c2=args.c2, iters=args.max_iterations,
        groups=", ".join(sorted(groups)), folds=args.folds, model=args.out.name, side=side_path(args.out).name,
    )
    (args.out.parent / "NER-MODEL.md").write_text(note, encoding="utf-8")
    from .tagger import Tagger

    t0 = time.perf_counter()
    Tagger.load(args.out)
    ship_load = time.perf_counter() - t0
    ship_size = args.out.stat().st_size + side_path(args.out).stat().st_size
    print(
        f"\nshipped: {args.out} + {side_path(args.out).name}: trained on all {len(sents)} sentences "
        f"(train + dev) with the settings above ({times[1][0]:.0f} s wall, {times[1][1]:.0f} s CPU); "
        f"{ship_size / 1e6:.2f} MB; loads in {1000 * ship_load:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
