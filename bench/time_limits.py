"""The time limits the tests do not assert (a busy 2-core machine makes wall-clock limits in unit
tests flake): each measured against its own reference in the same run, as a ratio.

* actor extraction is linear: 40 copies of an article take at most 60 times one copy;
* a 20,000-character question (cut to the question limit) takes at most 20 times an ordinary one;
* two replicas' flood limiters on one Redis (when ``redis-server`` is installed): 80 messages at 50
  a second with a burst of 50 take at most 1.5 times the 0.6 s the rate allows.

Usage: ``python bench/time_limits.py``; exits 1 when a ratio is over its limit.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def best(fn: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def flood_seconds() -> float | None:
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    from bot.telegram.flood import SharedRateLimiter

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    work = tempfile.mkdtemp()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", work, "--save", ""],
                            stdout=subprocess.DEVNULL)  # fmt: skip
    try:
        time.sleep(0.5)
        url = f"redis://127.0.0.1:{port}/0"

        async def main() -> float:
            a, b = SharedRateLimiter(url, per_second=50), SharedRateLimiter(url, per_second=50)
            t0 = time.monotonic()
            await asyncio.gather(*(x.wait_for_slot(1) for x in (a, b) for _ in range(40)))
            took = time.monotonic() - t0
            await a.shutdown()
            await b.shutdown()
            return took

        return asyncio.run(main())
    finally:
        proc.terminate()
        proc.wait()


def main() -> int:
    from retrieval import Index, load_default_corpus
    from retrieval.actors.extract import extract_actors
    from retrieval.answer import answer

    articles = load_default_corpus()
    text = next(a.text for a in articles if a.id.startswith("002"))
    index = Index.build(articles, tagger="rules")
    rows = []
    one = best(lambda: extract_actors(text))
    many = best(lambda: extract_actors("\n".join([text] * 40)), runs=1)
    rows.append(("actor extraction, 40 copies / 1 copy", many / one, 60.0))
    plain = best(lambda: answer("ماذا قال كوبلر عن الجيش الليبي؟", index))
    huge = best(lambda: answer(("ماذا قال كوبلر عن الجيش الليبي " * 700)[:20_000], index), runs=1)
    rows.append(("a 20,000-character question / an ordinary one", huge / plain, 20.0))
    flood = flood_seconds()
    if flood is not None:
        rows.append(("80 messages through two shared flood limiters / the 0.6 s the rate allows", flood / 0.6, 1.5))
    print(f"load average {os.getloadavg()[0]:.2f}")
    failed = 0
    for name, ratio, limit in rows:
        ok = ratio <= limit
        failed += not ok
        print(f"{name}: {ratio:.1f}x (limit {limit:g}x) {'ok' if ok else 'OVER'}")
    if flood is None:
        print("flood limiters: not measured (redis-server is not installed)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
