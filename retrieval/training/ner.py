"""Train, evaluate and ship the CRF named-entity tagger (:mod:`.tagger`) on ANERcorp and the open NER sets.

Usage::

    sanad train ner [--conll PATH] [--ner-dir DIR] [--out PATH] [--eval-only]
                                     [--extra aqmar] [--lists names,places,sets] [--doc-block 15]
                                     [--ablate | --tune]

1. Read ANERcorp (``token<TAB>BIO tag``; a bad line is reported with its number) and, from
   ``--ner-dir``, the other sets (:mod:`.corpora`) and the person-name list (:mod:`.namelists`).
2. Split: the last ``--dev-fraction`` of ANERcorp's sentences (10 %) is the dev split; AQMAR's
   :data:`.corpora.AQMAR_HELD_OUT` articles are held out too.
3. Train a linear-chain CRF (python-crfsuite, L-BFGS, L1 ``--c1`` + L2 ``--c2``) of the
   :class:`Recipe` (:data:`RECIPE`) on the rest: ANERcorp, the ``--extra`` sets with domain copies
   of their features (:func:`domain_copies`), the ``--lists`` as features, document features over
   runs of ``--doc-block`` sentences. Tag dev and the AQMAR held-out articles and print a markdown
   table: conlleval-style exact-span P/R/F1 per type, the micro average over PERS+ORG+LOC (MISC
   is reported but left out of it), tagging speed on one core, model size and load time. These
   figures come from a model that never saw either.
4. Unless ``--eval-only``: train with the same settings on *all* of it (in a second process,
   beside step 3) and write the shipped model (``--out``, default
   ``retrieval/actors/data/ner-crf.crfsuite``), its JSON side file (``ner-crf.json``: feature
   settings, training statistics, lists, checksum) and ``NER-MODEL.md`` (sources, licences,
   rebuild note).

Gazetteer features use only the sentences the model is trained on; while training they are
computed out-of-fold (:func:`oof_features`). The outside resources are the hand-made list of
place names of ``data/gazetteer.tsv`` (:func:`curated_places`) and the lists of
:mod:`.namelists`. ``--ablate`` trains the recipe without each of its parts (and with each other
set) and prints one row each; ``--tune`` runs the c1/c2 grid; both on dev, two processes.
Everything is deterministic: the same files give the same model bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from ..actors.conll import read_tagged_conll
from ..actors.features import (
    FEATURE_GROUPS,
    NO_LISTS,
    Featurizer,
    Lists,
    normalize,
    runs,
)
from .ner_card import NOTE, SOURCES, table, use
from .ner_corpora import TokensTags as Sentence
from .ner_measure import evaluate, measure, pin_one_core
from .ner_recipe import (
    NEWS,
    RECIPE,
    SETS,
    Recipe,
    ablations,
    assemble,
    labelled_sets,
)

__all__ = ["evaluate", "main", "split", "train_job", "train_model", "word_stats"]

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONLL = ROOT.parent / "shared" / "ner" / "anercorp-train.conll"
DATA_DIR = Path(__file__).resolve().parents[1] / "actors" / "data"
DEFAULT_OUT = DATA_DIR / "ner-crf.crfsuite"
REBUILD = "sanad train ner"

#: Hyper-parameters chosen on the dev split (``--tune``).
C1 = 0.05
C2 = 0.05
MAX_ITERATIONS = 200
FOLDS = 5
SIDE_FORMAT = 1



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
    from ..actors.lexicon import lexicon

    lex = lexicon()
    return sorted(k for k in lex.curated if " " not in k and lex.entities.get(k) == "place")


def oof_features(
    sents: Sequence[Sentence], groups: Sequence[str], folds: int = FOLDS, lists: Lists = NO_LISTS
) -> list[list[list[str]]]:
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
        fz = Featurizer(vocab, stats, groups, places=places, lists=lists)
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
    lists: Lists = NO_LISTS,
    domains: Sequence[str] | None = None,
    doc_block: int = 0,
) -> Path:
    """Train on ``sents``; write ``model_path`` and its JSON side file; return the side file."""
    import pycrfsuite

    stats = word_stats(sents)
    places = curated_places()
    fz = Featurizer(stats.keys(), stats, groups, places=places, lists=lists)
    if folds > 1:
        xs = oof_features(sents, groups, folds, lists)
    else:
        xs = [fz.sentence(toks) for toks, _ in sents]
    if doc_block:
        xs = with_document_features(fz, sents, xs, doc_block)
    if domains is not None:
        xs = [x if d == NEWS else domain_copies(x, d) for x, d in zip(xs, domains)]
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
        "doc_block": doc_block,
        "lists": {
            "names": {w: lists.names[w] for w in sorted(lists.names)},
            "typed": {w: list(lists.typed[w]) for w in sorted(lists.typed)},
        },
    }
    side.write_text(json.dumps(meta, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    return side


def with_document_features(fz: Featurizer, sents: Sequence[Sentence], xs: list, block: int) -> list:
    """``xs`` with :meth:`.features.Featurizer.document` added, documents being runs of ``block`` sentences."""
    out = []
    for doc, doc_xs in zip(runs(sents, block), runs(xs, block)):
        docf = fz.document([t for t, _ in doc])
        out.extend([f + e for f, e in zip(x, d)] for x, d in zip(doc_xs, docf))
    return out




def domain_copies(x: list[list[str]], domain: str) -> list[list[str]]:
    """Features of a sentence from another register (``wiki``, ``tweet``), each also copied under
    the register's name (``w=دمشق`` and ``wiki|w=دمشق``): the shared weights learn what holds in
    every register, the copies what holds only in that one (Daumé's "frustratingly easy" domain
    adaptation, with the news copies left out since news is all the tagger ever reads)."""
    return [f + [f"{domain}|{a}" for a in f] for f in x]


def side_path(model_path: Path) -> Path:
    """The JSON side file of a model file (``ner-crf.crfsuite -> ner-crf.json``)."""
    return model_path.with_suffix(".json")


# --- evaluation ------------------------------------------------------------------------------






















def train_job(args: tuple) -> tuple[float, float]:
    """Train one model (in a worker process): ``(wall s, CPU s)``."""
    recipe, sents, domains, lists, path, c1, c2, max_iterations, folds = args
    t0, c0 = time.perf_counter(), time.process_time()
    train_model(sents, Path(path), c1, c2, max_iterations, recipe.groups, folds, lists, domains, recipe.doc_block)
    return time.perf_counter() - t0, time.process_time() - c0




def _tune_one(args: tuple) -> tuple[str, dict, dict]:
    recipe, sents, domains, lists, path, c1, c2, max_iterations, folds, dev, aqmar = args
    train_job((recipe, sents, domains, lists, path, c1, c2, max_iterations, folds))
    res, aq, *_ = measure(Path(path), dev, aqmar)
    return f"c1={c1} c2={c2} {recipe.label()}", res, aq










def _arguments() -> argparse.ArgumentParser:
    """``sanad train ner``'s options."""
    ap = argparse.ArgumentParser(prog="sanad train ner", description=__doc__.split("\n")[0])
    ap.add_argument("--conll", type=Path, default=DEFAULT_CONLL, help="ANERcorp-style token<TAB>tag file")
    ap.add_argument("--ner-dir", type=Path, default=DEFAULT_CONLL.parent, help="the other NER sets and lists")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="shipped model file (side files beside it)")
    ap.add_argument("--dev-fraction", type=float, default=0.1, help="last share of sentences held out (0.1)")
    ap.add_argument("--eval-only", action="store_true", help="train on train, print the dev table, write nothing")
    ap.add_argument("--c1", type=float, default=C1, help=f"L1 coefficient ({C1})")
    ap.add_argument("--c2", type=float, default=C2, help=f"L2 coefficient ({C2})")
    ap.add_argument("--max-iterations", type=int, default=MAX_ITERATIONS)
    ap.add_argument("--folds", type=int, default=FOLDS, help="out-of-fold gazetteer folds (1: in-sample)")
    ap.add_argument("--extra", default=",".join(RECIPE.extra), help="other labelled sets trained on (aqmar,wojood,idrisi)")
    ap.add_argument("--lists", default=",".join(RECIPE.lists), help="outside lists read as features (names,places,sets)")
    ap.add_argument("--doc-block", type=int, default=RECIPE.doc_block, help="document features over runs of N sentences (0: none)")
    ap.add_argument("--tune", action="store_true", help="grid over c1/c2 on dev (two processes), then stop")
    ap.add_argument("--ablate", action="store_true", help="each source's share on dev (two processes), then stop")
    return ap


def _tune_or_ablate(args: argparse.Namespace, recipe: Recipe, train: list, dev: list, measuring: dict, aq_held: list, tmp: str) -> int:
    """``--tune`` (a c1/c2 grid) or ``--ablate`` (each source's share): dev and AQMAR figures, two processes."""
    from multiprocessing import get_context

    if args.tune:
        grid = [(c1, c2, recipe) for c1 in (0.02, 0.05, 0.1, 0.2) for c2 in (0.01, 0.05, 0.1)]
    else:
        grid = [(args.c1, args.c2, r) for _, r in ablations(recipe)]
    jobs = []
    for k, (c1, c2, r) in enumerate(grid):
        data = assemble(r, train, measuring, args.ner_dir)
        jobs.append((r, *data, str(Path(tmp) / f"m{k}.crfsuite"), c1, c2, args.max_iterations, args.folds, dev, aq_held))
    names = [n for n, _ in ablations(recipe)] if args.ablate else [""] * len(jobs)
    rows = ["| model | ANERcorp dev micro-F1 | PERS | ORG | LOC | AQMAR held-out micro-F1 |", "|---|---:|---:|---:|---:|---:|"]
    print("\n".join(rows), flush=True)
    with get_context("fork").Pool(2) as pool:
        for name, (label, res, aq) in zip(names, pool.imap(_tune_one, jobs)):
            rows.append(f"| {name or label} | {100 * res['micro']['f1']:.1f} | {100 * res['PERS']['f1']:.1f} | "
                        f"{100 * res['ORG']['f1']:.1f} | {100 * res['LOC']['f1']:.1f} | {100 * aq['micro']['f1']:.1f} |")  # fmt: skip
            print(rows[-1], flush=True)
    if args.ablate and not args.eval_only:
        sources = args.out.parent / "NER-SOURCES.md"
        sources.write_text(SOURCES.format(rebuild=REBUILD, recipe=recipe.label(), table="\n".join(rows)), encoding="utf-8")
        print(f"\nwritten: {sources}", file=sys.stderr)
    return 0


def _write_card(args: argparse.Namespace, recipe: Recipe, sents: list, figures: str, times: list) -> None:
    """NER-MODEL.md beside the shipped files, and a line on the shipped model."""
    n_tok = lambda ss: sum(len(t) for t, _ in ss)  # noqa: E731
    note = NOTE.format(
        rebuild=REBUILD, train_pct=round(100 * (1 - args.dev_fraction)), dev_pct=round(100 * args.dev_fraction),
        n_sents=len(sents), n_tokens=n_tok(sents), c1=args.c1, c2=args.c2, iters=args.max_iterations,
        groups=", ".join(recipe.groups), folds=args.folds, model=args.out.name, side=side_path(args.out).name,
        recipe=f"`{recipe.label()}`", figures=figures.replace("(1 core, cold cache)", "(1 core, cold cache, when trained)"),
        aqmar_use=use("aqmar", recipe), wojood_use=use("wojood", recipe), idrisi_use=use("idrisi", recipe),
    )
    (args.out.parent / "NER-MODEL.md").write_text(note, encoding="utf-8")
    from ..actors.tagger import Tagger

    t0 = time.perf_counter()
    Tagger.load(args.out)
    ship_load = time.perf_counter() - t0
    ship_size = args.out.stat().st_size + side_path(args.out).stat().st_size
    print(
        f"\nshipped: {args.out} + {side_path(args.out).name}: trained on all {len(sents)} ANERcorp sentences "
        f"(train + dev) with the settings above ({times[1][0]:.0f} s wall, {times[1][1]:.0f} s CPU); "
        f"{ship_size / 1e6:.2f} MB; loads in {1000 * ship_load:.0f} ms"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments().parse_args(argv)
    recipe = Recipe(
        tuple(x for x in args.extra.split(",") if x), tuple(x for x in args.lists.split(",") if x), args.doc_block
    )
    if set(recipe.extra) - set(SETS) or set(recipe.lists) - {"names", "places", "sets"}:
        raise SystemExit(f"unknown --extra or --lists in {recipe.label()}")
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
    from multiprocessing import get_context

    from . import ner_corpora as corpora

    needs_sets = bool(recipe.extra) or "sets" in recipe.lists or args.ablate
    measuring = labelled_sets(args.ner_dir, measuring=True) if needs_sets else {}
    try:
        aq_held = corpora.read_aqmar(args.ner_dir / "aqmar", held_out=True).pairs()
    except OSError:
        aq_held = []
    params = (args.c1, args.c2, args.max_iterations, args.folds)

    with tempfile.TemporaryDirectory(prefix="sanad-ner-") as tmp:
        if args.tune or args.ablate:
            return _tune_or_ablate(args, recipe, train, dev, measuring, aq_held, tmp)

        # The dev model and the shipped model train side by side (one process each).
        dev_model = Path(tmp) / "dev" / args.out.name
        ship_model = Path(tmp) / "ship" / args.out.name
        jobs = [(recipe, *assemble(recipe, train, measuring, args.ner_dir), dev_model, *params)]
        if not args.eval_only:
            shipping = labelled_sets(args.ner_dir, measuring=False) if needs_sets else {}
            jobs.append((recipe, *assemble(recipe, sents, shipping, args.ner_dir), ship_model, *params))
        with get_context("fork").Pool(len(jobs)) as pool:
            times = pool.map(train_job, jobs)

        pin_one_core()
        res, aq, load_s, tok_cpu, tok_wall = measure(dev_model, dev, aq_held)
        size = dev_model.stat().st_size + side_path(dev_model).stat().st_size
        extra = [
            ("dev sentences / tokens", f"{len(dev)} / {n_tok(dev)}"),
            ("AQMAR held-out micro-F1 (PERS / ORG / LOC)",
             f"{100 * aq['micro']['f1']:.2f} ({100 * aq['PERS']['f1']:.1f} / {100 * aq['ORG']['f1']:.1f} / "
             f"{100 * aq['LOC']['f1']:.1f}; {len(aq_held)} sentences)"),
            ("training time (train split, 1 process)", f"{times[0][0]:.0f} s wall, {times[0][1]:.0f} s CPU"),
            ("tagging speed (1 core, cold cache)", f"{tok_cpu:,.0f} tokens/s CPU ({tok_wall:,.0f} wall)"),
            ("model size (model + side file)", f"{size / 1e6:.2f} MB"),
            ("load time", f"{1000 * load_s:.0f} ms"),
            ("settings", f"c1={args.c1} c2={args.c2} iters≤{args.max_iterations} folds={args.folds}; {recipe.label()}"),
        ]  # fmt: skip
        figures = table(res, extra)
        print(figures)
        if args.eval_only:
            return 0

        # Replace the shipped files only once the new ones exist (model first, side file last).
        args.out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ship_model, args.out)
        shutil.copyfile(side_path(ship_model), side_path(args.out))
    _write_card(args, recipe, sents, figures, times)
    return 0


if __name__ == "__main__":
    sys.exit(main())
