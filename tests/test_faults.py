"""Faults and hostile input (#15): real files, real bytes, the commands a user runs.

Each case once broke Sanad: a large article that never finished indexing, batch lines that got no
output or broke UTF-8, a corrupted gzip that lost half a corpus silently, unreadable or tampered
indexes, an interrupted save, a byte order mark.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from bot.telegram import pages
from bot.telegram.store.codec import view_to_json
from retrieval.corpus import MAX_ARTICLE_CHARS, load_default_corpus, make_article
from retrieval.index import Index
from retrieval.segment import segment_article, unique_sentences

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[1]
Q_KOBLER = "ماذا قال كوبلر عن الجيش الليبي؟"


def sanad(*args: str, stdin: bytes | None = None, env: dict | None = None, user: bool = False) -> subprocess.CompletedProcess:
    """``sanad ARGS`` as a process (bytes in, bytes out); ``user``: as an unprivileged uid when run as root."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")} | (env or {})
    cmd = [sys.executable, "-m", "bot.cli", *args]
    if user and os.geteuid() == 0:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    return subprocess.run(cmd, input=stdin, capture_output=True, env=full_env, cwd=ROOT, timeout=300)


def _texts() -> list[str]:
    return [a.text for a in load_default_corpus()]


def _jsonl(path: Path, articles: list[dict], gz: bool = False) -> Path:
    data = "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles).encode()
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def _many(n: int) -> list[dict]:
    texts = _texts()
    return [{"id": f"a{i:04d}", "text": f"{texts[i % len(texts)]}\nالعدد {i} من النشرة."} for i in range(n)]


# ----------------------------------------------------------------------------- large articles
def test_repeated_sentences_are_dropped_in_one_pass_over_a_large_article() -> None:
    texts = _texts()
    body = "\n".join(texts)
    article = "\n".join([body] * 80)  # near the size limit: every copy after the first repeats
    assert 0.5 * MAX_ARTICLE_CHARS < len(article) < MAX_ARTICLE_CHARS
    segs = segment_article(article)
    kept = unique_sentences(article, segs)
    once = unique_sentences(body, segment_article(body))
    assert [article[s.start : s.end] for s in kept] == [body[s.start : s.end] for s in once]
    # a sentence repeating the middle run of an earlier one is dropped; a new one is kept
    a = "قال المبعوث الأممي إن الحوار بين الأطراف الليبية سيستأنف في جنيف الأسبوع المقبل بحضور الجميع."
    b = "وأضاف أن الحوار بين الأطراف الليبية سيستأنف في جنيف."
    text = f"{a}\nالحوار بين الأطراف الليبية سيستأنف في جنيف\n{b}"
    assert [text[s.start : s.end] for s in unique_sentences(text, segment_article(text))] == [a, b]
    index = Index.build([make_article("big", article)], tagger="rules")
    assert index.n_passages == len(Index.build([make_article("one", body)], tagger="rules").passages)


def test_an_article_over_the_limit_is_skipped_with_a_report(tmp_path: Path) -> None:
    huge = "، ".join(["ذكر المجلس البلدي لمصراتة أن الاجتماع شمل التشكيلات العسكرية"] * 20000)
    corpus = _jsonl(tmp_path / "c.jsonl", [{"id": "huge", "text": huge}, {"id": "ok", "text": _texts()[3]}])
    out = sanad("index", str(corpus), "--out", str(tmp_path / "ix"), env={"SANAD_ACTORS_BACKEND": "rules"})
    err = out.stderr.decode()
    assert out.returncode == 0, err
    assert f"c.jsonl:1: article over {MAX_ARTICLE_CHARS:,} characters: skipped, split it into several articles" in err
    assert "indexed 1 articles" in err


def test_an_article_view_keeps_offsets_not_the_article(default_articles) -> None:
    long = make_article("long", "\n".join(a.text for a in default_articles) * 20)
    index = Index.build([long], tagger="rules")
    view = pages.article_view("v1", 1, index, "long", bold=[(0, 40)])
    stored = json.dumps(view_to_json(view), ensure_ascii=False)
    assert view.n_pages > 20 and len(stored) < 40 * view.n_pages  # a few numbers per page
    first, last = pages.text(view, 0, index), pages.text(view, view.n_pages - 1, index)
    assert "<b>" in first and f"الصفحة {view.n_pages} من {view.n_pages}" in last.replace("\u2066", "").replace("\u2069", "")


# ----------------------------------------------------------------------------- the batch contract
def _hostile_lines(n: int, seed: int = 15) -> list[bytes]:
    rng = random.Random(seed)
    words = "ماذا قال كوبلر عن الجيش الليبي المجلس البلدي لمصراتة بعثة الأمم المتحدة".split()
    pieces = [
        b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\xf0\x28\x8c\x28", b"\x00", b"\x1b[31m", b"\t",
        "\u2028".encode(), "\u2029".encode(), "\u202e".encode(), "\u2066".encode(), "\u200f".encode(),
        "\ufeff".encode(), "\u0640".encode(), b"\r", "؟".encode(), b"{\"question\": 1}", b"\\ud800",
    ]  # fmt: skip
    lines = [b"", b"   ", b"\t", "\u2028".encode(), b"\xff" * 50, ("كوبلر " * 20000).encode(), b"a" * 100_000]
    while len(lines) < n:
        parts = [rng.choice(words).encode() if rng.random() < 0.6 else rng.choice(pieces) for _ in range(rng.randint(1, 12))]
        lines.append(b" ".join(parts).replace(b"\n", b" "))
    rng.shuffle(lines)
    return lines


def test_fuzzed_batch_gives_one_valid_utf8_json_object_per_input_line() -> None:
    lines = _hostile_lines(300)
    out = sanad("ask", "--json", "-", stdin=b"\n".join(lines) + b"\n",
                env={"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8:strict"})  # fmt: skip
    assert out.returncode == 0, out.stderr.decode(errors="replace")[-2000:]
    text = out.stdout.decode("utf-8")  # strict: raises on any invalid byte
    rows = text.split("\n")
    assert rows[-1] == "" and len(rows) - 1 == len(lines)
    for raw, row in zip(lines, rows):
        obj = json.loads(row)
        assert {"question", "answered", "confidence", "results", "notes"} <= set(obj)
        if not raw.strip():
            assert obj["error"] == "the line is empty: write one question per line"
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            assert "not UTF-8" in obj["notes"][0]
        assert "\u2028" not in row and "\u2029" not in row


def test_a_lone_surrogate_in_a_corpus_comes_out_as_valid_utf8(tmp_path: Path) -> None:
    text = _texts()[1] + " رمز غريب: \\ud800 هنا."
    line = json.dumps({"id": "s", "text": text}, ensure_ascii=False).replace("\\\\ud800", "\\ud800")
    corpus = tmp_path / "s.jsonl"
    corpus.write_text(line + "\n", encoding="utf-8")
    out = sanad("ask", "--json", "--corpus", str(corpus), "ماذا يعني الرمز الغريب هنا؟", env={"SANAD_ACTORS_BACKEND": "rules"})
    row = out.stdout.decode("utf-8")
    assert json.loads(row)["question"]


# ----------------------------------------------------------------------------- corrupted corpora
@pytest.mark.parametrize("damage", ["flipped", "truncated"])
def test_a_damaged_gzip_says_the_rest_is_lost(tmp_path: Path, damage: str) -> None:
    good = _jsonl(tmp_path / "good.jsonl.gz", _many(400), gz=True)
    data = bytearray(good.read_bytes())
    if damage == "flipped":
        mid = len(data) // 2
        data[mid] ^= 0xFF
        data[mid + 1] ^= 0xFF
    else:
        data = data[: len(data) // 2]
    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(bytes(data))
    env = {"SANAD_ACTORS_BACKEND": "rules"}
    out = sanad("index", str(bad), "--out", str(tmp_path / "ix"), env=env)
    err = out.stderr.decode()
    assert out.returncode == 0, err
    assert f"sanad: LOST the rest of {bad} from line" in err
    assert f"the rest of {bad} from line" in err.splitlines()[-1] and "could not be read" in err.splitlines()[-1]
    indexed = int(err.splitlines()[-1].split("indexed ")[1].split(" ")[0])
    assert 0 < indexed < 400
    strict = sanad("index", str(bad), "--out", str(tmp_path / "ix2"), "--strict", env=env)
    assert strict.returncode == 3 and "Traceback" not in strict.stderr.decode()


def test_a_bot_starting_on_a_damaged_gzip_logs_it_as_an_error(tmp_path: Path, caplog) -> None:
    import logging

    from bot.indexing import served_index
    from bot.settings import Settings

    good = _jsonl(tmp_path / "g.jsonl.gz", _many(200), gz=True).read_bytes()
    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(good[: len(good) // 2])
    with caplog.at_level(logging.ERROR, logger="bot.indexing"):
        served_index(Settings(_env_file=None, corpus=[bad], actors_backend="rules"))
    assert any(r.levelno == logging.ERROR and "could not be read past line" in r.getMessage() for r in caplog.records)


def test_a_bom_does_not_cost_the_first_article(tmp_path: Path) -> None:
    corpus = tmp_path / "bom.jsonl"
    corpus.write_bytes(b"\xef\xbb\xbf" + _jsonl(tmp_path / "x.jsonl", _many(3)).read_bytes())
    out = sanad("index", str(corpus), "--out", str(tmp_path / "ix"), env={"SANAD_ACTORS_BACKEND": "rules"})
    assert out.returncode == 0 and "skipped" not in out.stderr.decode(), out.stderr.decode()
    assert "a0000" in Index.load(tmp_path / "ix").articles


# ----------------------------------------------------------------------------- unreadable and tampered indexes
@pytest.fixture()
def shared_dir():
    """A directory another user can read (pytest's tmp_path is private to root)."""
    d = Path(tempfile.mkdtemp(prefix="sanad-faults-", dir="/tmp"))
    d.chmod(0o755)
    yield d
    for p in d.rglob("*"):
        with __import__("contextlib").suppress(OSError):
            p.chmod(0o755 if p.is_dir() else 0o644)
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() == 0 and shutil.which("setpriv") is None, reason="running as root without setpriv to drop privileges")
@pytest.mark.parametrize("what", ["texts.bin", "manifest.json", "."])
def test_an_unreadable_index_is_the_one_line_index_error(default_index: Index, shared_dir: Path, what: str) -> None:
    d = default_index.save(shared_dir / "ix")
    for p in d.iterdir():
        p.chmod(0o644)
    target = d / what
    target.chmod(0o600 if what != "." else 0o700)
    out = sanad("ask", "--index", str(d), Q_KOBLER, user=True, env={"HOME": str(shared_dir), "XDG_CACHE_HOME": str(shared_dir / "c")})
    err = out.stderr.decode()
    assert out.returncode == 4, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    named = d if what == "." else target
    assert f"cannot read {named}: permission denied" in err and "chmod -R a+rX" in err


def test_a_manifest_that_leaves_files_out_is_refused(default_index: Index, tmp_path: Path) -> None:
    d = default_index.save(tmp_path / "ix")
    manifest = json.loads((d / "manifest.json").read_text())
    for name in ("texts.bin", "texts.off.npy"):
        del manifest["files"][name]
    (d / "texts.bin").rename(d / "swap")
    (d / "titles.bin").rename(d / "texts.bin")
    (d / "swap").rename(d / "titles.bin")
    (d / "manifest.json").write_text(json.dumps(manifest))
    out = sanad("ask", "--index", str(d), Q_KOBLER)
    assert out.returncode == 4 and "does not list the files an index has (texts.bin, texts.off.npy)" in out.stderr.decode()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_an_interrupted_save_is_named_then_restored_and_stale_copies_removed(default_index: Index, tmp_path: Path) -> None:
    out_dir = default_index.save(tmp_path / "ix")
    pid = _dead_pid()
    old = tmp_path / f".ix.old-{pid}"
    out_dir.rename(old)  # what a SIGKILL between the save's two renames leaves
    stale = tmp_path / f".ix.tmp-{pid}"
    stale.mkdir()
    (stale / "half-written").write_text("x")
    out = sanad("ask", "--index", str(out_dir), Q_KOBLER)
    err = out.stderr.decode()
    assert out.returncode == 4 and f"a save was interrupted and left the previous index at {old}" in err
    assert f"mv {old} {out_dir}" in err
    corpus = ROOT / "retrieval" / "data" / "libya-news"
    rebuilt = sanad("index", str(corpus), "--out", str(out_dir), "--add", env={"SANAD_ACTORS_BACKEND": "rules"})
    assert rebuilt.returncode == 0, rebuilt.stderr.decode()  # --add found the restored index (nothing new to add)
    assert not old.exists() and not stale.exists()
    assert sanad("ask", "--index", str(out_dir), Q_KOBLER).returncode == 0


def test_a_save_killed_midway_leaves_the_old_index_served(default_index: Index, tmp_path: Path) -> None:
    """SIGKILL while `sanad index` writes: the index at --out is the old one, whole."""
    d = default_index.save(tmp_path / "ix")
    before = (d / "manifest.json").read_bytes()
    corpus = _jsonl(tmp_path / "c.jsonl.gz", _many(3000), gz=True)
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "index", str(corpus), "--out", str(d)], cwd=ROOT,
                            stderr=subprocess.PIPE, env={**os.environ, "SANAD_ACTORS_BACKEND": "rules"})  # fmt: skip
    for line in proc.stderr:  # wait until it writes
        if b"writing" in line or b"folding" in line:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (d / "manifest.json").read_bytes() == before or not d.exists()
    if d.exists():
        assert sanad("ask", "--index", str(d), Q_KOBLER).returncode == 0
    else:  # killed between the renames: named, then restored by the next save
        assert "interrupted" in sanad("ask", "--index", str(d), Q_KOBLER).stderr.decode()
    assert stat.S_ISDIR(os.stat(tmp_path).st_mode)
