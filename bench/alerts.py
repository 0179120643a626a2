"""Alerts at scale: 1,000 follows across 200 chats against 100 reports just added to an archive index.

The index at ``--index`` is loaded, 100 SaudiNewsNet articles are added under new ids (measurement
only), and :func:`retrieval.alerts.match` is timed on 1,000 follows: actor follows drawn from the
names the new articles carry (and from the archive's most-named actors), subject follows from their
headlines. Prints the time, the alerts, and the follows per kind.

Usage: ``python bench/alerts.py --index DIR``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARCHIVE = REPO.parent / "shared" / "corpus" / "saudinewsnet" / "articles.jsonl.gz"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True, type=Path)
    ap.add_argument("--follows", type=int, default=1000)
    ap.add_argument("--chats", type=int, default=200)
    a = ap.parse_args()
    sys.path.insert(0, str(REPO))
    from retrieval.alerts import Follow, match
    from retrieval.corpus import make_article
    from retrieval.index import Index
    from retrieval.service import Sanad

    base = Index.load(a.index)
    new = []
    with gzip.open(ARCHIVE, "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if len(d.get("text") or "") > 400:
                new.append(make_article(id="alert-" + d["id"], text=d["text"], title=d.get("title"), source=d.get("source"), date=d.get("date")))
            if len(new) >= 100:
                break
    service = Sanad(base.add(new))
    ids = [x.id for x in new]
    rng = random.Random(0)
    names = [e.name for e in service.actors.top(n=60)]
    for x in new[:40]:
        names += [m.text for m in service.index.mentions.of_article(x.id)][:3]
    subjects = [x.title for x in new if x.title][:100]
    follows = []
    for k in range(a.follows):
        chat = f"chat{k % a.chats}"
        follows.append(Follow(chat, "actor", rng.choice(names)) if k % 3 else Follow(chat, "subject", rng.choice(subjects)))
    t0 = time.perf_counter()
    alerts = match(service, ids, follows)
    dt = time.perf_counter() - t0
    kinds = {k: sum(f.kind == k for f in follows) for k in ("actor", "subject")}
    distinct = len({(f.kind, f.text) for f in follows})
    print(f"{a.follows} follows ({kinds['actor']} actor, {kinds['subject']} subject; {distinct} distinct) across "
          f"{a.chats} chats, 100 new reports on {len(service.index.articles)} articles (load average {os.getloadavg()[0]:.2f}):")
    print(f"matched in {dt:.2f} s (target <= 2 s): {len(alerts)} alerts, {len({a.follow.chat for a in alerts})} chats alerted")
    return 0 if dt <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
