"""Train, evaluate and ship the neural NER tagger (:mod:`.neural`) on ANERcorp (PyTorch, CPU).

Usage::

    sanad train neural [--conll PATH] [--epochs N] [--eval-only]

1. Read ANERcorp and split it as :mod:`.train` does: the last 10 % of the sentences is dev.
2. In two processes side by side (one thread each): train on the first 90 % (printing the dev
   micro-F1 after every epoch as progress) and, unless ``--eval-only``, train on *all*
   sentences with the same settings and epoch count (no early stopping: dev never picks the
   shipped weights).
   Beside them, a CRF (:mod:`.train`, shipped settings) is trained on the same 90 %.
3. Tag dev with the 90 % model through the NumPy inference code of :mod:`.neural` (what ships)
   and print :func:`.train.evaluate`'s exact-span table, tokens/s, load time and size; then the
   same table for ``ensemble`` (:mod:`.ensemble`: the 90 % CRF's spans, then the neural ones
   where the CRF found none).
4. Write ``data/neural.npz`` (the all-data weights) and ``data/neural.json`` (vocabularies,
   tag set, dimensions, settings, dev figures of ``neural`` and ``ensemble``, checksum).

Deterministic: fixed seeds, ``torch.use_deterministic_algorithms(True)``, one thread per
process, data order from a seeded generator.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..actors.conll import TAGS
from ..actors.ensemble import fill_tags
from ..actors.features import normalize, stem, stem_statistics
from ..actors.neural import (
    DATA,
    FORMAT,
    MAX_CHARS,
    N_FEATS,
    PAD,
    UNK,
    Encoder,
    NeuralTagger,
    pack,
)
from .ner import (
    C1,
    C2,
    DEFAULT_CONLL,
    FOLDS,
    MAX_ITERATIONS,
    RECIPE,
    assemble,
    curated_places,
    evaluate,
    labelled_sets,
    load,
    split,
    table,
    train_job,
    word_stats,
)
from . import TRAINERS, PACKAGE, write_section

REBUILD = "sanad train neural"
CARD = PACKAGE / TRAINERS["neural"].card
TAG_LIST = ["O"] + sorted(TAGS - {"O"})
DIMS = {"word": 100, "stem": 48, "char": 24, "filters": 48, "kernel": 3, "hidden": 150}
SETTINGS = {"epochs": 25, "lr": 2e-3, "batch": 16, "dropout": 0.5, "unk_singletons": 0.5, "chunk": 100, "seed": 12}

Sentence = tuple[list[str], list[str]]
VOCAB_KEYS = ("words", "stems", "chars", "places", "stats", "stem_stats")


def vocabularies(sents: Sequence[Sentence]) -> dict[str, list[str]]:
    """Words, stems and characters of the training sentences (sorted: deterministic ids)."""
    words = Counter(normalize(t) if t else "" for toks, _ in sents for t in toks)
    vocab = frozenset(words)
    stems: Counter[str] = Counter()
    for w, c in words.items():
        stems[stem(w, vocab)] += c
    chars = Counter(ch for w, c in words.items() for ch in w[:MAX_CHARS] for _ in range(c))
    stats = word_stats(sents)
    return {
        "stats": {w: stats[w] for w in sorted(stats)},
        "stem_stats": dict(sorted(stem_statistics(stats, vocab).items())),
        "words": sorted(words),
        "stems": sorted(stems),
        "chars": sorted(ch for ch, c in chars.items() if c >= 2),
        "places": curated_places(),
        "singleton_words": sorted(w for w, c in words.items() if c == 1),
        "singleton_stems": sorted(s for s, c in stems.items() if c == 1),
    }


def build_model(n_words: int, n_stems: int, n_chars: int, n_tags: int, dropout: float):
    import torch
    from torch import nn

    d = DIMS

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.word_emb = nn.Embedding(n_words, d["word"], padding_idx=PAD)
            self.stem_emb = nn.Embedding(n_stems, d["stem"], padding_idx=PAD)
            self.char_emb = nn.Embedding(n_chars, d["char"], padding_idx=PAD)
            self.conv = nn.Conv1d(d["char"], d["filters"], d["kernel"], padding=d["kernel"] // 2)
            width = d["word"] + d["stem"] + d["filters"] + N_FEATS
            self.fwd = nn.LSTM(width, d["hidden"], batch_first=True)
            self.bwd = nn.LSTM(width, d["hidden"], batch_first=True)
            self.out = nn.Linear(2 * d["hidden"], n_tags)
            self.trans = nn.Parameter(torch.zeros(n_tags, n_tags))
            self.start = nn.Parameter(torch.zeros(n_tags))
            self.end = nn.Parameter(torch.zeros(n_tags))
            self.drop = nn.Dropout(dropout)

        def emissions(self, a: dict) -> torch.Tensor:
            b, t, c = a["char"].shape
            ch = self.char_emb(a["char"]).view(b * t, c, -1).transpose(1, 2)
            conv = self.conv(ch).transpose(1, 2).view(b, t, c, -1)
            conv = conv.masked_fill((a["char"] == PAD).unsqueeze(-1), -1e4).max(2).values
            conv = torch.relu(conv) * a["mask"].unsqueeze(-1)
            x = torch.cat([self.word_emb(a["word"]), self.stem_emb(a["stem"]), conv, a["feat"]], -1)
            x = self.drop(x)
            lens = a["lens"].numpy()
            f, _ = self.fwd(x)
            xr = x[_rev_index(lens, t, b)]
            r, _ = self.bwd(xr)
            r = r[_rev_index(lens, t, b)]
            h = torch.cat([f, r], -1) * a["mask"].unsqueeze(-1)
            return self.out(self.drop(h))

        def nll(self, a: dict, tags: torch.Tensor) -> torch.Tensor:
            e = self.emissions(a)
            mask = a["mask"]
            b, t, _ = e.shape
            ar = torch.arange(b)
            gold = self.start[tags[:, 0]] + e[ar, 0, tags[:, 0]]
            alpha = self.start.unsqueeze(0) + e[:, 0]
            for k in range(1, t):
                m = mask[:, k]
                step = self.trans[tags[:, k - 1], tags[:, k]] + e[ar, k, tags[:, k]]
                gold = gold + step * m
                nxt = torch.logsumexp(alpha.unsqueeze(2) + self.trans.unsqueeze(0), 1) + e[:, k]
                alpha = torch.where(m.unsqueeze(1), nxt, alpha)
            last = tags[ar, a["lens"] - 1]
            gold = gold + self.end[last]
            z = torch.logsumexp(alpha + self.end.unsqueeze(0), 1)
            return (z - gold).sum()

    return Net()


def _rev_index(lens: np.ndarray, t: int, b: int):
    idx = np.arange(t)[None, :]
    rev = np.where(idx < lens[:, None], lens[:, None] - 1 - idx, idx)
    import torch

    return (torch.arange(b).unsqueeze(1), torch.from_numpy(rev))


def export(net) -> dict[str, np.ndarray]:
    """The NumPy arrays :func:`.neural.emissions` reads."""
    p = {k: v.detach().numpy().astype(np.float32) for k, v in net.state_dict().items()}
    return {
        "word_emb": p["word_emb.weight"], "stem_emb": p["stem_emb.weight"], "char_emb": p["char_emb.weight"],
        "conv_w": p["conv.weight"], "conv_b": p["conv.bias"],
        "lstm_w_ih": p["fwd.weight_ih_l0"], "lstm_w_hh": p["fwd.weight_hh_l0"],
        "lstm_b": p["fwd.bias_ih_l0"] + p["fwd.bias_hh_l0"],
        "lstm_w_ih_r": p["bwd.weight_ih_l0"], "lstm_w_hh_r": p["bwd.weight_hh_l0"],
        "lstm_b_r": p["bwd.bias_ih_l0"] + p["bwd.bias_hh_l0"],
        "out_w": p["out.weight"], "out_b": p["out.bias"],
        "crf_trans": p["trans"], "crf_start": p["start"], "crf_end": p["end"],
    }  # fmt: skip


def chunks(sents: Sequence[tuple[list, list[str]]], size: int) -> list[tuple[list, list[str]]]:
    return [(t[k : k + size], g[k : k + size]) for t, g in sents for k in range(0, len(t), size)]


def oof_encoded(sents: Sequence[Sentence], vocab: dict, folds: int = FOLDS) -> list[list[tuple]]:
    """Encoded training tokens, their gazetteer shares out-of-fold (as :func:`.train.oof_features`)."""
    n = len(sents)
    out: list[list[tuple]] = []
    for k in range(folds):
        lo, hi = n * k // folds, n * (k + 1) // folds
        stats = word_stats(list(sents[:lo]) + list(sents[hi:]))
        enc = Encoder(vocab["words"], vocab["stems"], vocab["chars"], vocab["places"], stats,
                      stem_statistics(stats, frozenset(vocab["words"])))  # fmt: skip
        out.extend([enc.token(w) for w in toks] for toks, _ in sents[lo:hi])
    return out


def write_model(weights: dict[str, np.ndarray], vocab: dict, out: Path, extra: dict) -> Path:
    buf = io.BytesIO()
    np.savez_compressed(buf, **{k: weights[k] for k in sorted(weights)})
    data = buf.getvalue()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    meta = {
        "format": FORMAT,
        "weights_file": out.name,
        "weights_sha256": hashlib.sha256(data).hexdigest(),
        "tags": TAG_LIST,
        "dims": DIMS,
        "settings": SETTINGS,
        "vocab": {k: vocab[k] for k in VOCAB_KEYS},
        **extra,
    }
    side = out.with_suffix(".json")
    side.write_text(json.dumps(meta, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    return side


def train_run(args: tuple) -> str:
    """One training run (in a worker process): write the weights to ``out``; return its side file."""
    sents, dev, out, epochs, label, dims, settings = args
    import torch

    DIMS.update(dims)  # a spawned worker re-imports the module: overrides travel with the job
    SETTINGS.update(settings)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(SETTINGS["seed"])
    rng = np.random.default_rng(SETTINGS["seed"])
    vocab = vocabularies(sents)
    enc = Encoder(vocab["words"], vocab["stems"], vocab["chars"], vocab["places"])  # ids only
    single_w = np.zeros(len(vocab["words"]) + 2, bool)
    single_w[[enc.words[w] for w in vocab["singleton_words"]]] = True
    single_s = np.zeros(len(vocab["stems"]) + 2, bool)
    single_s[[enc.stems[w] for w in vocab["singleton_stems"]]] = True
    net = build_model(len(vocab["words"]) + 2, len(vocab["stems"]) + 2, len(vocab["chars"]) + 2, len(TAG_LIST), SETTINGS["dropout"])
    opt = torch.optim.Adam(net.parameters(), lr=SETTINGS["lr"])
    encoded = oof_encoded(sents, vocab)
    data = sorted(chunks([(e, g) for e, (_, g) in zip(encoded, sents)], SETTINGS["chunk"]), key=lambda s: len(s[0]))
    bs = SETTINGS["batch"]
    batches = [data[k : k + bs] for k in range(0, len(data), bs)]
    tag_id = {t: i for i, t in enumerate(TAG_LIST)}
    t0 = time.perf_counter()
    for ep in range(1, epochs + 1):
        net.train()
        for group in opt.param_groups:  # linear decay: the last epochs settle instead of jumping
            group["lr"] = SETTINGS["lr"] * (1 - (ep - 1) / epochs)
        total = 0.0
        for bi in rng.permutation(len(batches)):
            batch = batches[bi]
            a = pack([t for t, _ in batch])
            p = SETTINGS["unk_singletons"]
            a["word"] = np.where(single_w[a["word"]] & (rng.random(a["word"].shape) < p), UNK, a["word"])
            a["stem"] = np.where(single_s[a["stem"]] & (rng.random(a["stem"].shape) < p), UNK, a["stem"])
            ta = {k: torch.from_numpy(v) for k, v in a.items()}
            tags = torch.zeros(a["word"].shape, dtype=torch.int64)
            for i, (_, g) in enumerate(batch):
                tags[i, : len(g)] = torch.tensor([tag_id[x] for x in g])
            opt.zero_grad()
            loss = net.nll(ta, tags)
            (loss / len(batch)).backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            opt.step()
            total += float(loss.detach())
        msg = f"[{label}] epoch {ep}/{epochs}: loss {total / len(data):.3f}, {time.perf_counter() - t0:.0f} s"
        if dev:
            net.eval()
            with torch.no_grad():
                tagger = NeuralTagger(export(net), {"tags": TAG_LIST, "vocab": vocab}, Path(out))
                pred = tagger.tag_sentences([t for t, _ in dev])
            msg += f", dev micro-F1 {100 * evaluate([g for _, g in dev], pred)['micro']['f1']:.2f}"
        print(msg, file=sys.stderr, flush=True)
    net.eval()
    side = write_model(export(net), vocab, Path(out), {"train_seconds": round(time.perf_counter() - t0, 1)})
    return str(side)


def speed(path: Path, sents: Sequence[list[str]]) -> tuple[float, float, list[list[str]]]:
    """``(load s, tokens/s, predictions)`` of a fresh tagger over ``sents``."""
    t0 = time.perf_counter()
    tagger = NeuralTagger.load(path)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = tagger.tag_sentences(sents)
    return load_s, sum(map(len, sents)) / (time.perf_counter() - t0), pred


def ensemble_dev(crf_path: Path, dev: Sequence[Sentence], neural_pred: Sequence[list[str]]) -> dict:
    """:func:`.train.evaluate` of the ensemble on ``dev``: the CRF at ``crf_path``, filled by ``neural_pred``."""
    from ..actors.tagger import Tagger

    crf = Tagger.load(crf_path)
    pred = [fill_tags(list(crf.tag(t)), p) for (t, _), p in zip(dev, neural_pred)]
    return evaluate([g for _, g in dev], pred)


def rounded(res: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """An evaluation with its ratios rounded to 4 places (as the side file keeps them)."""
    return {t: {k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()} for t, r in res.items()}


def _settings_args(argv: Sequence[str]) -> list[str]:
    """The arguments that make the model (``--out`` says only where it goes: the same model's
    side file must not depend on it)."""
    out, skip = [], False
    for a in argv:
        if skip or a == "--out":
            skip = not skip
            continue
        if not a.startswith("--out="):
            out.append(a)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog=REBUILD, description=__doc__.split("\n")[0])
    ap.add_argument("--conll", type=Path, default=DEFAULT_CONLL)
    ap.add_argument("--out", type=Path, default=DATA / "neural.npz")
    ap.add_argument("--epochs", type=int, default=SETTINGS["epochs"])
    ap.add_argument("--eval-only", action="store_true", help="train on 90 %%, print the dev table, write nothing")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a DIMS/SETTINGS value")
    args = ap.parse_args(argv)
    try:
        import torch  # noqa: F401 - training needs it; Sanad's own install leaves it out
    except ImportError:
        print(f"{REBUILD}: training needs PyTorch, not installed here: pip install 'sanad[train]' "
              "(./dev.sh setup --train)", file=sys.stderr)  # fmt: skip
        return 2
    SETTINGS["epochs"] = args.epochs
    for kv in args.set:
        key, value = kv.split("=", 1)
        table_ = DIMS if key in DIMS else SETTINGS
        table_[key] = type(table_[key])(value)
    sents = load(args.conll)
    train, dev = split(sents, 0.1)
    print(f"{len(train)} training and {len(dev)} dev sentences", file=sys.stderr)
    from multiprocessing import get_context

    with tempfile.TemporaryDirectory(prefix="sanad-neural-") as tmp:
        dev_path = Path(tmp) / "neural-dev.npz"
        full_path = Path(tmp) / "neural.npz"
        crf_path = Path(tmp) / "crf-dev" / "ner-crf.crfsuite"
        jobs = [(train, dev, str(dev_path), args.epochs, "90 %", DIMS, SETTINGS)]
        if not args.eval_only:
            jobs.append((sents, [], str(full_path), args.epochs, "all", DIMS, SETTINGS))
        with get_context("spawn").Pool(2) as pool:
            crf_data = assemble(RECIPE, train, labelled_sets(args.conll.parent, measuring=True), args.conll.parent)
            crf_job = pool.apply_async(train_job, ((RECIPE, *crf_data, crf_path, C1, C2, MAX_ITERATIONS, FOLDS),))
            pool.map(train_run, jobs, chunksize=1)
            crf_job.get()
        load_s, tps, pred = speed(dev_path, [t for t, _ in dev])
        res = evaluate([g for _, g in dev], pred)
        ens = ensemble_dev(crf_path, dev, pred)
        train_s = json.loads(dev_path.with_suffix(".json").read_text(encoding="utf-8"))["train_seconds"]
        extra = [("tokens/s (batched)", f"{tps:,.0f}"), ("load", f"{load_s * 1000:.0f} ms"),
                 ("weights", f"{dev_path.stat().st_size / 1e6:.1f} MB"), ("training (90 %)", f"{train_s:.0f} s")]  # fmt: skip
        print(table(res, extra))
        print("\nensemble (CRF spans, then neural spans where the CRF found none), same dev tenth:\n")
        print(table(ens, []))
        if args.eval_only:
            return 0
        full = json.loads(full_path.with_suffix(".json").read_text(encoding="utf-8"))
        weights = dict(np.load(full_path, allow_pickle=False))
        dev_fig, ens_fig = rounded(res), rounded(ens)
        vocab = {k: full["vocab"][k] for k in VOCAB_KEYS}
        side = write_model(weights, vocab, args.out, {
            "version": 1, "command": " ".join([REBUILD, *_settings_args(sys.argv[1:] if argv is None else argv)]),
            "trained_on": f"{args.conll.name}: all {len(sents)} sentences",
            "dev": dev_fig, "ensemble_dev": ens_fig, "dev_split": "last 10 % of the sentences, model trained on the first 90 %",
        })  # fmt: skip
        print(f"wrote {args.out} and {side}", file=sys.stderr)
        if args.out == DATA / "neural.npz":  # the shipped model: its card gets the figures and times
            timing = [*extra, ("training (all)", f"{full['train_seconds']:.0f} s")]
            write_section(CARD, "figures", "\n".join([
                "## Dev figures", "", f"From `{side.name}`'s last training (dev: {len(dev)} sentences, "
                "the last 10 %, tagged by the model trained on the first 90 %; times on the machine that trained it).", "",
                "neural:", "", table(res, timing), "", "ensemble (CRF spans, then neural spans where the CRF found none):", "",
                table(ens, [])]))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
