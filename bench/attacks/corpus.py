"""Issue #21 attacks on reading a corpus and writing an index, run against any checkout.

Each runs the checkout's ``sanad index`` (rules-only tagging, for speed) in ``work``:

* 1, a link in the corpus: ``c/env.txt`` is a symbolic link to ``/proc/self/environ`` and
  ``c/secret.txt`` one to a file outside the corpus; ``sanad index c`` runs with
  ``SANAD_TELEGRAM_TOKEN`` set. Held: neither the token nor the secret is in ``sanad sources``
  nor in any indexed article's text.
* 3, two writers: ``sanad index --add`` of 3 articles each, twice at once, into an index of 8;
  four rounds. Held: never two silent successes with articles lost (every round ends with 14
  articles, or one writer refuses with a message and a non-zero exit).
* 6, a ``.jsonl`` line nested 100,000 levels deep between two good lines. Held: exit 0, no
  traceback, the line reported as ``FILE:2``, the two good articles indexed.

Each attack is ``fn(checkout, work) -> (held, observed)`` (see :data:`ATTACKS`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["ATTACKS"]

TOKEN = "123456:AAHcorpus-attack-token"
SECRET = "كلمة-السر-السرية-للخادم-٧٧٣١"
SAID = "قال المتحدث باسم الحكومة إن الحكومة ستعقد اجتماعا في طرابلس يوم الأحد المقبل."
_TEXTS = [
    "قال المجلس البلدي لمصراتة إن الاجتماع شمل التشكيلات العسكرية في المدينة.",
    "أعلنت بعثة الأمم المتحدة أن الحوار بين الأطراف الليبية سيستأنف في جنيف الأسبوع المقبل.",
    "ذكر مصدر في وزارة الصحة أن المستشفى استقبل عشرات الجرحى بعد الاشتباكات في بنغازي.",
    "قال رئيس الحكومة إن الميزانية الجديدة تشمل رواتب الموظفين في جميع المدن.",
]
#: Prints the text of every article of the index at argv[1], one JSON string a line (run in the checkout).
_DUMP = """
import json, sys
from retrieval.index import Index
for a in Index.load(sys.argv[1]).articles.values():
    print(json.dumps(a.text))
"""


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without SANAD_*, with ``extra`` first (so it leads /proc/self/environ)."""
    rest = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
    return {**(extra or {}), **rest, "SANAD_ACTORS_BACKEND": "rules"}


def _sanad(checkout: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=checkout, env=env or _env(), capture_output=True,
                          text=True, errors="replace", timeout=timeout)  # fmt: skip


def _news(path: Path, prefix: str, n: int) -> Path:
    path.write_text("".join(json.dumps({"id": f"{prefix}{i}", "text": f"{_TEXTS[i % 4]} النشرة {prefix} رقم {i}."},
                                       ensure_ascii=False) + "\n" for i in range(n)), encoding="utf-8")  # fmt: skip
    return path


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:160] if lines else "(nothing)"


# ----------------------------------------------------------------------------- 1: links in a corpus
def attack_links(checkout: Path, work: Path) -> tuple[bool, str]:
    c = work / "c"
    c.mkdir()
    (c / "a.txt").write_text(SAID + "\n", encoding="utf-8")
    (c / "env.txt").symlink_to("/proc/self/environ")
    (work / "secret.txt").write_text(f"{SECRET} هي كلمة السر.\n", encoding="utf-8")
    (c / "secret.txt").symlink_to(work / "secret.txt")
    out = _sanad(checkout, "index", str(c), "--out", str(work / "i"), env=_env({"SANAD_TELEGRAM_TOKEN": TOKEN}))
    if out.returncode != 0:
        return False, f"sanad index exited {out.returncode}: {_last_line(out.stderr)}"
    listed = _sanad(checkout, "sources", "--index", str(work / "i"))
    dump = subprocess.run([sys.executable, "-c", _DUMP, str(work / "i")], cwd=checkout, env=_env(), capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    texts = [json.loads(line) for line in dump.stdout.splitlines()]
    found = [
        what
        for what, marker in (("SANAD_TELEGRAM_TOKEN", TOKEN), ("the outside file's secret", SECRET))
        if marker in listed.stdout or any(marker in t for t in texts)
    ]
    where = "in sanad sources output" if any(m in listed.stdout for m in (TOKEN, SECRET)) else "in the index"
    if found:
        return False, f"{' and '.join(found)} found {where} ({len(texts)} articles indexed)"
    skipped = [n for n in ("env.txt", "secret.txt") if f"{c / n}: " in out.stderr]
    return True, f"token and secret not in the index ({len(texts)} article indexed); skipped as links: {', '.join(skipped) or 'none'}"


# ----------------------------------------------------------------------------- 3: two writers at once
def attack_concurrent_adds(checkout: Path, work: Path, rounds: int = 4) -> tuple[bool, str]:
    base = work / "base-ix"
    out = _sanad(checkout, "index", str(_news(work / "base.jsonl", "b", 8)), "--out", str(base))
    if out.returncode != 0:
        return False, f"the base index was not built: {_last_line(out.stderr)}"
    lost_rounds, refused, waited, counts = 0, 0, 0, []
    for r in range(rounds):
        ix = work / f"ix{r}"
        shutil.copytree(base, ix)
        adds = [_news(work / f"add-{r}-{k}.jsonl", f"r{r}k{k}-", 3) for k in range(2)]
        procs = [subprocess.Popen([sys.executable, "-m", "bot.cli", "index", str(p), "--add", "--out", str(ix)], cwd=checkout,
                                  env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for p in adds]  # fmt: skip
        results = []
        for p in procs:
            try:
                _, err = p.communicate(timeout=90)
            except subprocess.TimeoutExpired:
                p.kill()
                _, err = p.communicate()
            results.append((p.returncode, err))
        dump = subprocess.run([sys.executable, "-c", _DUMP, str(ix)], cwd=checkout, env=_env(), capture_output=True, text=True,
                              timeout=60)  # fmt: skip
        n = len(dump.stdout.splitlines())
        counts.append(n)
        silent = sum(1 for rc, err in results if rc == 0 and "added 3 articles" in err)
        refused += sum(1 for rc, err in results if rc != 0 and err.strip())
        waited += sum(1 for _, err in results if "is writing the index" in err)
        if silent == 2 and n < 14:
            lost_rounds += 1
    if lost_rounds:
        return False, (f"in {lost_rounds} of {rounds} rounds both writers said 'added 3 articles' (exit 0) but the index "
                       f"holds {min(counts)} articles, not 14 (counts {counts})")  # fmt: skip
    return True, f"every round kept every article (counts {counts}); {waited} writer(s) waited for the other, {refused} refused"


# ----------------------------------------------------------------------------- 6: a line nested too deep
def attack_deep_line(checkout: Path, work: Path) -> tuple[bool, str]:
    path = work / "deep.jsonl"
    good = [json.dumps({"id": f"g{i}", "text": t}, ensure_ascii=False).encode() for i, t in enumerate(_TEXTS[:2])]
    path.write_bytes(good[0] + b"\n" + b"[" * 100_000 + b"]" * 100_000 + b"\n" + good[1] + b"\n")
    try:
        out = _sanad(checkout, "index", str(path), "--out", str(work / "ix"))
    except subprocess.TimeoutExpired:
        return False, "sanad index did not finish in 60 s"
    if "Traceback" in out.stderr or out.returncode != 0:
        kind = next((w for w in ("RecursionError", "MemoryError", "Traceback") if w in out.stderr), _last_line(out.stderr))
        return False, f"sanad index exited {out.returncode} with {kind}"
    reported = next((line for line in out.stderr.splitlines() if f"{path}:2:" in line), "")
    if not reported:
        return False, f"exit 0 but line 2 was not reported as skipped: {_last_line(out.stderr)}"
    return True, f"exit 0, {_last_line(out.stderr).split(' in ')[0]}; {reported.removeprefix('sanad: skipped ').replace(str(work) + '/', '')}"


ATTACKS: list[tuple[int, str, Callable[[Path, Path], tuple[bool, str]]]] = [
    (1, "a corpus .txt linked to /proc/self/environ (and to a file outside the corpus)", attack_links),
    (3, "two `sanad index --add` into one index at once, four rounds", attack_concurrent_adds),
    (6, "a .jsonl line nested 100,000 levels deep", attack_deep_line),
]
