"""Hostile corpora and concurrent writers (#21): real files, links, FIFOs and processes.

Each case once broke Sanad: a ``.txt`` link to ``/proc/self/environ`` put the bot's token in the
index, a FIFO hung indexing, a ``.jsonl`` line nested 100,000 levels deep ended ``sanad index``
with a traceback, and two ``sanad index --add`` at once both said "added" while one's articles
were lost.
"""

from __future__ import annotations

import gzip
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.errors import exit_code
from retrieval import corpus, corpus_files
from retrieval.corpus import load_default_corpus
from retrieval.corpus_files import MAX_LINE_BYTES, load_corpus
from retrieval.errors import IndexLoadError
from retrieval.index import Index
from retrieval.index.lock import index_writer, lock_path

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "SANAD_TELEGRAM_TOKEN=123456:hostile-corpus-secret"
SAID = "قال المتحدث إن الحكومة ستعقد اجتماعا في طرابلس."
RULES = {"SANAD_ACTORS_BACKEND": "rules"}


def sanad(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """``sanad ARGS`` as a process, without the caller's SANAD_* settings."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")} | (env or {})
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, env=full_env, cwd=ROOT,
                          timeout=timeout)  # fmt: skip


def _sanad_popen(*args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")} | RULES
    return subprocess.Popen([sys.executable, "-m", "bot.cli", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def _texts() -> list[str]:
    return [a.text for a in load_default_corpus()]


# ----------------------------------------------------------------------------- links, FIFOs, devices
@pytest.mark.integration
def test_a_link_to_the_environment_is_skipped_and_the_token_never_indexed(tmp_path: Path) -> None:
    c = tmp_path / "c"
    c.mkdir()
    (c / "a.txt").write_text(SAID + "\n", encoding="utf-8")
    (c / "env.txt").symlink_to("/proc/self/environ")
    out = sanad("index", str(c), "--out", str(tmp_path / "i"), env=RULES | {"SANAD_TELEGRAM_TOKEN": TOKEN.split("=", 1)[1]})
    assert out.returncode == 0, out.stderr
    assert f"sanad: skipped {c / 'env.txt'}: symbolic link not followed" in out.stderr
    assert "indexed 1 articles" in out.stderr and "(1 skipped, see above)" in out.stderr
    listed = sanad("sources", "--index", str(tmp_path / "i"), "--json")
    assert listed.returncode == 0 and "hostile-corpus-secret" not in listed.stdout
    assert [json.loads(row)["article_id"] for row in listed.stdout.splitlines()] == ["a"]
    assert not any("hostile-corpus-secret" in a.text for a in Index.load(tmp_path / "i").articles.values())


def test_no_link_found_while_walking_is_followed_wherever_it_points(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "secret.txt").write_text("كلمة السر السرية للخادم هي ١٢٣.\n", encoding="utf-8")
    (outside / "deep" / "more.txt").write_text("ملف سري آخر خارج المدونة.\n", encoding="utf-8")
    c = tmp_path / "c"
    (c / "sub").mkdir(parents=True)
    texts = _texts()
    (c / "a.txt").write_text(texts[0], encoding="utf-8")
    (c / "sub" / "b.txt").write_text(texts[1], encoding="utf-8")
    (c / "out.txt").symlink_to(outside / "secret.txt")  # a file outside the root
    (c / "up.txt").symlink_to("../outside/secret.txt")  # the same through ..
    (c / "alias.txt").symlink_to("a.txt")  # inside the root: not followed either (one rule)
    (c / "linked").symlink_to(outside)  # a directory
    (c / "sub" / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    load = load_corpus([c])
    problems = load.problems
    assert sorted(a.id for a in load.articles) == ["a", "b"]
    skipped = {Path(p.path).name: p.reason for p in problems}
    assert skipped == dict.fromkeys(["alias.txt", "linked", "out.txt", "up.txt", "dangling.txt"], "symbolic link not followed")
    assert all("copy the file itself in, or name the link on the command line" in p.message for p in problems)
    assert not any("السر" in a.text or "سري" in a.text for a in load.articles)


def test_a_link_the_user_names_is_read(tmp_path: Path) -> None:
    target = tmp_path / "news-2015-10.jsonl"
    target.write_text(json.dumps({"id": "k1", "text": _texts()[2]}, ensure_ascii=False) + "\n", encoding="utf-8")
    (tmp_path / "latest.jsonl").symlink_to(target.name)
    (tmp_path / "dir-link").symlink_to(tmp_path, target_is_directory=True)
    assert [a.id for a in load_corpus([tmp_path / "latest.jsonl"]).articles] == ["k1"]
    # a named directory link is walked; the links inside it are still not followed
    load = load_corpus([tmp_path / "dir-link"])
    assert [a.id for a in load.articles] == ["k1"]
    assert {Path(p.path).name for p in load.problems} == {"latest.jsonl", "dir-link"}


@pytest.mark.integration
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_never_opened_so_indexing_never_hangs(tmp_path: Path) -> None:
    c = tmp_path / "c"
    c.mkdir()
    (c / "a.txt").write_text(SAID + "\n", encoding="utf-8")
    os.mkfifo(c / "pipe.txt")
    os.mkfifo(c / "pipe.jsonl")
    out = sanad("index", str(c), "--out", str(tmp_path / "i"), env=RULES, timeout=60)
    assert out.returncode == 0, out.stderr
    assert f"sanad: skipped {c / 'pipe.txt'}: named pipe not read (only regular files are: save the articles to a file)" in out.stderr
    assert f"{c / 'pipe.jsonl'}: named pipe not read" in out.stderr and "indexed 1 articles" in out.stderr
    named = sanad("index", str(c / "pipe.jsonl"), "--out", str(tmp_path / "j"), env=RULES, timeout=60)
    assert named.returncode == 3 and "named pipe not read" in named.stderr and "Traceback" not in named.stderr
    assert len(named.stderr.strip().splitlines()) == 1


def test_a_named_device_is_not_read() -> None:
    problems: list[corpus.Problem] = []
    assert corpus_files.corpus_files(Path("/dev/zero"), problems) == []  # /dev/zero would be read forever
    assert [p.reason for p in problems] == ["device not read"]


def test_a_file_swapped_for_a_link_after_the_walk_is_refused(tmp_path: Path) -> None:
    """The walk found regular files; before they are read, one becomes a link and a directory
    becomes a link to another holding a file of the same name: neither is read."""
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "b.txt").write_text("كلمة السر السرية للخادم هي ١٢٣.\n", encoding="utf-8")
    c = tmp_path / "c"
    (c / "sub").mkdir(parents=True)
    (c / "a.txt").write_text(_texts()[0], encoding="utf-8")
    (c / "sub" / "b.txt").write_text(_texts()[1], encoding="utf-8")
    problems: list[corpus.Problem] = []
    files = corpus_files._corpus_files(c, problems)
    assert [f.path.name for f in files] == ["a.txt", "b.txt"] and not problems
    (c / "a.txt").unlink()
    (c / "a.txt").symlink_to(secret / "b.txt")
    (c / "sub").rename(tmp_path / "old-sub")
    (c / "sub").symlink_to(secret)
    articles = [a for f in files for a in corpus_files._read_txt(f, problems)]
    assert articles == []
    assert [(Path(p.path).name, p.reason) for p in problems] == [
        ("a.txt", "symbolic link not followed"),
        ("b.txt", "file replaced while the corpus was read"),
    ]


# ----------------------------------------------------------------------------- lines that cannot be decoded
@pytest.mark.integration
def test_every_undecodable_jsonl_line_is_a_skipped_file_line(tmp_path: Path) -> None:
    texts = _texts()
    good = [json.dumps({"id": f"g{i}", "text": t}, ensure_ascii=False).encode() for i, t in enumerate(texts[:2])]
    lines = [
        good[0],
        b"[" * 100_000 + b"]" * 100_000,  # 2: nested 100,000 levels deep
        b'{"id": "n", "text": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_000 + b"}",  # 3: a deep field
        b'{"id": 1' + b"0" * 5000 + b', "text": "x"}',  # 4: a number longer than Python converts
        b'"just a string"',  # 5
        b'{"id": "t", "text": "' + SAID.encode() + b'", "title": {"a": 1}}',  # 6
        b'{"id": ["x"], "text": "' + SAID.encode() + b'"}',  # 7
        b'{"id": "u", "text": "\xff\xfe"}',  # 8: not UTF-8
        b'{"id": "big", "text": "' + b"a" * (MAX_LINE_BYTES + 10) + b'"}',  # 9: too long to read
        b'{"id": "half", "text": "',  # 10: cut short
        good[1],
    ]
    for name, data in (("c.jsonl", b"\n".join(lines) + b"\n"), ("c.jsonl.gz", gzip.compress(b"\n".join(lines), mtime=0))):
        path = tmp_path / name
        path.write_bytes(data)
        out = sanad("index", str(path), "--out", str(tmp_path / f"ix-{name}"), env=RULES)
        assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr[-3000:]
        for lineno, reason in [
            (2, "JSON nested too deeply"), (3, "JSON nested too deeply"), (4, "not valid JSON (a number over 4300 digits long)"),
            (5, "line is not a JSON object"), (6, "field 'title' must be a string"), (7, "field 'id' must be a string"),
            (8, "not valid UTF-8"), (9, f"line over {MAX_LINE_BYTES:,} bytes: skipped"), (10, "not valid JSON"),
        ]:  # fmt: skip
            assert f"sanad: skipped {path}:{lineno}: {reason}" in out.stderr, (lineno, out.stderr[-3000:])
        assert "indexed 2 articles" in out.stderr and "(9 skipped, see above)" in out.stderr
        assert sorted(Index.load(tmp_path / f"ix-{name}").articles) == ["g0", "g1"]


@pytest.mark.integration
def test_a_deep_line_with_strict_is_the_one_line_corpus_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_bytes(b'{"id": "d", "text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n")
    out = sanad("index", str(path), "--out", str(tmp_path / "ix"), "--strict", env=RULES)
    assert out.returncode == 3 and len(out.stderr.strip().splitlines()) == 1, out.stderr[-2000:]
    assert f"{path}:1: JSON nested too deeply" in out.stderr


# ----------------------------------------------------------------------------- one writer per index
def _news(path: Path, prefix: str, n: int) -> Path:
    """A ``.jsonl`` of ``n`` articles with ids ``PREFIX0``, ``PREFIX1``..."""
    texts = _texts()
    path.write_text("".join(json.dumps({"id": f"{prefix}{i}", "text": f"{texts[i % 5]}\nالنشرة {prefix} رقم {i}."},
                                       ensure_ascii=False) + "\n" for i in range(n)), encoding="utf-8")  # fmt: skip
    return path


def _base(tmp_path: Path) -> Path:
    """A saved index of 8 articles at tmp_path/ix."""
    out = sanad("index", str(_news(tmp_path / "base.jsonl", "b", 8)), "--out", str(tmp_path / "ix"), env=RULES)
    assert out.returncode == 0, out.stderr
    return tmp_path / "ix"


def test_two_concurrent_adds_keep_every_article(tmp_path: Path) -> None:
    ix = _base(tmp_path)
    for round_ in range(2):
        adds = [_news(tmp_path / f"add-{round_}-{k}.jsonl", f"x{round_}{k}-", 3) for k in range(2)]
        procs = [_sanad_popen("index", str(p), "--add", "--out", str(ix)) for p in adds]
        results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
        assert [rc for rc, _ in results] == [0, 0], results
        assert all("added 3 articles" in err for _, err in results)
        assert len(Index.load(ix).articles) == 8 + 6 * (round_ + 1), results
    assert not lock_path(ix).exists()  # the lock file goes with its last holder


@pytest.mark.parametrize("add", [True, False], ids=["add", "rebuild"])
def test_a_second_writer_waits_for_the_first_and_says_so(tmp_path: Path, add: bool) -> None:
    ix = _base(tmp_path)
    more = _news(tmp_path / "more.jsonl", "m", 3)
    with index_writer(ix):  # another writer, holding the directory
        proc = _sanad_popen("index", str(more), *(["--add"] if add else []), "--out", str(ix))
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()  # type: ignore[union-attr]
        try:
            first = lines.get(timeout=60)
        except queue.Empty:
            proc.kill()
            pytest.fail("the second writer said nothing in 60 s")
        assert first.startswith(f"sanad: another Sanad process (pid {os.getpid()}) is writing the index at {ix}: "
                                "waiting for it to finish (up to 30 min; Ctrl-C stops)"), first  # fmt: skip
        time.sleep(0.5)
        assert proc.poll() is None  # still waiting: nothing written
        assert len(Index.load(ix).articles) == 8
    assert proc.wait(timeout=120) == 0, list(lines.queue)
    assert len(Index.load(ix).articles) == (11 if add else 3)


def test_a_writer_that_cannot_wait_is_refused_with_the_index_error(tmp_path: Path, default_index: Index) -> None:
    ix = default_index.save(tmp_path / "ix")
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with index_writer(ix):
            held.set()
            release.wait(30)

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert held.wait(30)
        t0 = time.monotonic()
        with pytest.raises(IndexLoadError) as e:
            with index_writer(ix, wait=0.5):
                pass
        assert 0.4 < time.monotonic() - t0 < 5
        assert exit_code(e.value) == 4
        assert str(e.value) == (f"another Sanad process (pid {os.getpid()}) is writing the index at {ix} after waiting 0.5 s: "
                                "nothing was written. Run this command again once it has finished.")  # fmt: skip
    finally:
        release.set()
        t.join()
    with index_writer(ix, wait=0):  # free again
        assert Index.load(ix).save(ix) == ix  # re-entrant: the save inside takes the same lock


@pytest.mark.integration
def test_a_lock_file_left_by_a_killed_writer_does_not_block(tmp_path: Path, default_index: Index) -> None:
    ix = default_index.save(tmp_path / "ix")
    lock_path(ix).write_text("999999\n")  # what a SIGKILL leaves: a file nobody holds
    corpus_dir = ROOT / "retrieval" / "data" / "libya-news"
    out = sanad("index", str(corpus_dir), "--out", str(ix), env=RULES, timeout=60)
    assert out.returncode == 0 and "waiting" not in out.stderr, out.stderr
    assert not lock_path(ix).exists()


@pytest.mark.integration
def test_a_link_planted_as_the_lock_file_is_refused(tmp_path: Path, default_index: Index) -> None:
    ix = default_index.save(tmp_path / "ix")
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    lock_path(ix).symlink_to(victim)
    out = sanad("index", str(ROOT / "retrieval" / "data" / "libya-news"), "--out", str(ix), env=RULES, timeout=60)
    assert out.returncode == 4 and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert f"{lock_path(ix)} is a symbolic link" in out.stderr and f"rm {lock_path(ix)}" in out.stderr
    assert victim.read_text() == "keep me"
