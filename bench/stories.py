"""Stories on SaudiNewsNet (#14): how articles fold, how precise the folding is on hand-labelled
pairs, how many distinct stories answers show, and what folding costs at index time — against the
previous version of Sanad in the same run.

Steps (every build and answer through the ``sanad`` command, as a user runs it):

1. ``sanad index ARCHIVE --out WORK/new`` with this checkout and with ``--prev`` (a checkout of
   the previous version, e.g. ``git worktree add /tmp/prev <commit>``), each timed (wall, CPU),
   with ``SANAD_ACTORS_BACKEND=rules`` for both unless ``--tagger`` says otherwise (the tagger is
   the same in both, so the ratio is what folding and dates add);
2. the fold: articles, stories, stories of several articles and the articles in them, the largest;
3. precision and recall on the hand-labelled pairs of ``--labels`` (TSV: ``id_a id_b label``,
   label 1 = the same story, 0 = not; ``tune`` or ``held-out`` in a 4th column): precision over
   the labelled pairs the index folds, recall over the labelled same-story pairs;
4. two question samples are asked through ``sanad ask --json -`` on both indexes: ``titles``,
   ``--questions N`` titles of articles of stories three or more outlets ran (seeded), and
   ``people``, ``ماذا قال NAME؟`` for the N/2 most-named people (questions many stories answer);
   each split in half, "tune" and "held-out" by position. Per half: distinct stories among the top
   3 (stories as this version's index groups them), results shown, answered share, and the
   seconds each batch took (start-up included).

``--label-sample N`` prints N folded and N unfolded candidate pairs to label by hand (titles and
the first words of each text) instead of running the bench.

Usage: ``python bench/stories.py --prev /tmp/prev --labels bench/labels/stories.tsv [--work DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARCHIVE = REPO.parent / "shared" / "corpus" / "saudinewsnet" / "articles.jsonl.gz"
sys.path.insert(0, str(REPO))


def _build(checkout: Path, out: Path, tagger: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")} | {"SANAD_ACTORS_BACKEND": tagger}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "bot.cli", "index", str(ARCHIVE), "--out", str(out)], cwd=checkout,
                         env=env, capture_output=True, text=True)  # fmt: skip
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if run.returncode:
        raise SystemExit(f"sanad index failed in {checkout}: {run.stderr[-2000:]}")
    return {"wall_s": round(wall, 1), "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1)}


def _ask(checkout: Path, index: Path, questions: list[str]) -> tuple[list[dict], float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")} | {"SANAD_INDEX": str(index)}
    t0 = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "bot.cli", "ask", "--json", "-"], cwd=checkout, env=env,
                         input="\n".join(questions) + "\n", capture_output=True, text=True)  # fmt: skip
    return [json.loads(x) for x in run.stdout.splitlines() if x.strip()], time.perf_counter() - t0


def _fold_figures(index) -> dict:
    import numpy as np

    story = np.asarray(index.stories.story)
    sizes = Counter(story.tolist())
    multi = [s for s, n in sizes.items() if n > 1]
    return {"articles": len(story), "stories": len(sizes), "multi_article_stories": len(multi),
            "articles_in_them": sum(sizes[s] for s in multi), "largest": max(sizes.values())}  # fmt: skip


def _labels(path: Path, index) -> dict:
    import numpy as np

    story = np.asarray(index.stories.story)
    out = {}
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    for part in ("tune", "held-out"):
        pairs = [(a, b, int(lab)) for a, b, lab, p in rows if p.strip() == part
                 and index.articles.position(a) >= 0 and index.articles.position(b) >= 0]  # an empty article is not indexed
        folded = [(a, b, lab) for a, b, lab in pairs
                  if story[index.articles.position(a)] == story[index.articles.position(b)]]  # fmt: skip
        same = [x for x in pairs if x[2] == 1]
        tp = sum(lab for *_, lab in folded)
        out[part] = {"pairs": len(pairs), "same_story": len(same), "folded": len(folded),
                     "precision": round(tp / len(folded), 3) if folded else None,
                     "recall": round(tp / len(same), 3) if same else None}  # fmt: skip
    return out


def _questions(index, n: int, seed: int) -> list[str]:
    import numpy as np

    story = np.asarray(index.stories.story)
    sizes = Counter(story.tolist())
    multi = sorted(i for i in range(len(story)) if sizes[int(story[i])] > 2)
    rng = random.Random(seed)
    picked, seen = [], set()
    for i in rng.sample(multi, len(multi)):
        title = index.articles.at(i).title
        if int(story[i]) in seen or len(title.split()) < 4:
            continue
        seen.add(int(story[i]))
        picked.append(" ".join(title.split()))
        if len(picked) == n:
            break
    return picked


def _actor_questions(index, n: int) -> list[str]:
    """``ماذا قال NAME؟`` for the ``n`` most-named people: questions many stories answer."""
    from retrieval.actor_index import ActorIndex

    return [f"ماذا قال {e.name}؟" for e in ActorIndex(index).top("person", n)]


def _distinct(index, replies: list[dict]) -> dict:
    import numpy as np

    story = np.asarray(index.stories.story)
    shown = distinct = 0
    for r in replies:
        ids = [x["article_id"] for x in r.get("results", [])[:3]]
        shown += len(ids)
        distinct += len({int(story[index.articles.position(a)]) for a in ids})
    n = max(1, len(replies))
    return {"questions": len(replies), "answered": round(sum(1 for r in replies if r.get("answered")) / n, 3),
            "results_top3": shown, "distinct_stories_top3": distinct, "mean_distinct_per_answer": round(distinct / n, 3)}  # fmt: skip


def _answers(checkout: Path, index_dir: Path, index, samples: dict[str, list[str]]) -> dict:
    """Each sample asked in one batch: its first half ("tune") and second half ("held-out") apart."""
    out = {}
    for name, questions in samples.items():
        half = len(questions) // 2
        replies, secs = _ask(checkout, index_dir, questions)
        out[name] = {"tune": _distinct(index, replies[:half]), "held-out": _distinct(index, replies[half:]),
                     "batch_s": round(secs, 1)}  # fmt: skip
    return out


def _label_sample(index, n: int, seed: int) -> None:
    import numpy as np

    from retrieval.stories import FOLD_JACCARD

    sigs = np.asarray(index.stories.signatures)
    story = np.asarray(index.stories.story)
    rng = random.Random(seed)
    members = [g for g in index.stories.members.values()]
    folded = []
    for g in rng.sample(members, min(n, len(members))):
        a, b = rng.sample(g, 2)
        folded.append((a, b))
    near = []
    order = rng.sample(range(len(story)), len(story))
    for i in order:  # unfolded pairs that share a good part of their shingles
        for j in order[:4000]:
            if i != j and story[i] != story[j] and FOLD_JACCARD * 0.5 <= float(np.mean(sigs[i] == sigs[j])) < 1:
                near.append((i, j))
                break
        if len(near) >= n:
            break
    for kind, pairs in (("folded", folded), ("not folded", near)):
        for a, b in pairs:
            x, y = index.articles.at(a), index.articles.at(b)
            jac = float(np.mean(sigs[a] == sigs[b]))
            print(f"# {kind} J≈{jac:.2f}\n{x.id}\t{y.id}\t?\theld-out")
            for art in (x, y):
                print(f"#   {art.source}/{art.date} {art.title[:70]} :: {' '.join(art.text.split())[:160]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prev", type=Path, help="a checkout of the previous version, to compare in the same run")
    ap.add_argument("--labels", type=Path, default=REPO / "bench" / "labels" / "stories.tsv")
    ap.add_argument("--work", type=Path, default=Path("/tmp/sanad-stories"))
    ap.add_argument("--tagger", default="rules", help="SANAD_ACTORS_BACKEND of both builds (default rules)")
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--reuse", action="store_true", help="reuse the indexes in --work")
    ap.add_argument("--label-sample", type=int, help="print pairs to label by hand, then stop")
    args = ap.parse_args()

    from retrieval.index import Index

    new_dir = args.work / "new"
    report: dict = {"load": os.getloadavg()[0], "cores": os.cpu_count()}
    if not (args.reuse and (new_dir / "manifest.json").exists()):
        report["build_new"] = _build(REPO, new_dir, args.tagger)
    index = Index.load(new_dir, verify=False)
    if args.label_sample:
        _label_sample(index, args.label_sample, args.seed)
        return
    report["fold"] = _fold_figures(index)
    if args.labels.exists():
        report["labels"] = _labels(args.labels, index)
    samples = {"titles": _questions(index, args.questions, args.seed), "people": _actor_questions(index, args.questions // 2)}
    report["answers_new"] = _answers(REPO, new_dir, index, samples)
    if args.prev is not None:
        prev_dir = args.work / "prev"
        if not (args.reuse and (prev_dir / "manifest.json").exists()):
            report["build_prev"] = _build(args.prev, prev_dir, args.tagger)
        report["answers_prev"] = _answers(args.prev, prev_dir, index, samples)
        if "build_prev" in report and "build_new" in report:
            report["build_ratio_wall"] = round(report["build_new"]["wall_s"] / report["build_prev"]["wall_s"], 2)
    report["load_after"] = os.getloadavg()[0]
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
