"""A saved index on disk: the manifest, writing an index safely, loading and checking one.

``manifest.json`` holds the format version, analyzer version, BM25 parameters, counts, build
date, the corpus paths the index was built from (and what was added later), and the SHA-256 of
every other file. Anything wrong with a saved index is an :class:`~retrieval.errors.IndexLoadError`
naming the index, the reason, and (from the manifest's sources) the command that rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import __version__
from ..errors import IndexLoadError
from ..normalize import ANALYZER_VERSION
from .columns import StringTable
from .lock import index_writer
from .mentions import MentionStore
from .postings import BM25Params, Postings
from .sentences import SentenceTerms
from .stores import ArticleStore, PassageStore
from .story_store import StoryStore

if TYPE_CHECKING:
    from .core import Index

__all__ = ["FORMAT_VERSION", "INDEX_FILES", "MANIFEST", "inputs_digest", "load_index", "read_manifest", "save_index", "tidy"]

#: 3: the actors' mentions (retrieval.index.mentions); 4: stories (retrieval.index.story_store); 5: the terms of every
#: sentence and title (retrieval.index.sentences), the actor keys (retrieval.index.actor_keys), each article's day.
FORMAT_VERSION = 5
MANIFEST = "manifest.json"
_FORMAT = "sanad-index"  # the manifest's "format": what marks a directory as a Sanad index
_HASH_CHUNK = 1 << 20  # bytes read at a time while checksumming
_HASH_THREADS = 4  # files checksummed at once (at most one per core)

#: Every file of a saved index but the manifest (what :func:`save_index` writes; a test checks it):
#: a manifest listing other files is refused, so files cannot be swapped in or left out unseen.
_TABLES = ("article_ids", "vocab", "lexicon", "actor_keys", "actor_words")  # string tables: hashed for look-ups
_COLUMNS = ("titles", "sources", "urls", "dates", "texts", "actor_texts", "actor_roles", *_TABLES)
INDEX_FILES = tuple(sorted(
    [f"{c}.bin" for c in _COLUMNS]
    + [f"{c}.off.npy" for c in _COLUMNS]
    + [f"{c}.{k}.npy" for c in _TABLES for k in ("hash", "order")]
    + [f"{c}.npy" for c in ("article_flags", "days", "article_passages", "passages", "sentence_ptr", "sentences", "df",
                            "post_docs", "post_tf", "doc_len", "idf", "mentions", "article_mentions", "actor_types",
                            "article_actors", "minhash", "stories", "sentence_term_ptr", "sentence_terms",
                            "sentence_term_spans", "title_term_ptr", "title_terms", "actor_forms", "actor_form_words",
                            "actor_form_ptr", "actor_key_ids", "actor_word_keys", "actor_word_key_ptr")]
))  # fmt: skip


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_HASH_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- saving
def save_index(index: Index, directory: str | Path) -> Path:
    """:meth:`Index.save`: write to a temporary sibling directory, then swap it in, holding the
    directory's writer lock (:func:`~retrieval.index.lock.index_writer`; already held by a caller
    that loaded the index it adds to, as ``sanad index --add`` does)."""
    out = Path(directory)
    if out.exists() and not (out.is_dir() and (not any(out.iterdir()) or (out / MANIFEST).is_file())):
        raise IndexLoadError(out, f"{out} exists and is not a Sanad index", hint="Choose another --out directory.")
    with index_writer(out):
        return _swap_in(index, out)


def _swap_in(index: Index, out: Path) -> Path:
    """Write ``index`` beside ``out`` and rename it into place (the writer lock held)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tidy(out)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        files = _write_files(index, tmp)
        manifest = _manifest(index, {name: _sha256(tmp / name) for name in files})
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        if out.exists():
            out.rename(old)
        tmp.rename(out)
        if old.exists():
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def signature(directory: str | Path) -> tuple[int, int, int] | None:
    """``(inode, size, mtime ns)`` of the index's manifest, or None when there is none (yet)."""
    try:
        st = os.stat(Path(directory) / MANIFEST)
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def tidy(out: str | Path) -> None:
    """Before a save (or an addition to ``out``): put back the previous index an interrupted save left aside (killed between
    its two renames), and remove the temporary copies of saves whose process is gone. Call it holding ``out``'s writer
    lock (:func:`~retrieval.index.lock.index_writer`): another writer's save may be between its renames."""
    out = Path(out)
    if not out.exists() and (old := _interrupted(out)):
        old[0].rename(out)
    for p in out.parent.glob(f".{out.name}.*-*"):
        kind, _, pid = p.name.rpartition("-")
        if kind.endswith((".tmp", ".old")) and pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True)


def _write_files(index: Index, d: Path) -> list[str]:
    """Every file of the index but the manifest, written to ``d``; returns their names."""
    files = (index.articles.save(d) + index.passages.save(d) + index.postings.save(d) + index.mentions.save(d)
             + index.stories.save(d) + index.analysed.save(d))
    # The lexicon, sorted, as a string table: memory-mapped and looked up by hash, no set built at load.
    return files + StringTable.from_strings(sorted(index.analyzer.lexicon)).save(d, "lexicon")


def _manifest(index: Index, checksums: dict[str, str]) -> dict:
    return {
        "format": _FORMAT,
        "format_version": FORMAT_VERSION,
        "analyzer_version": ANALYZER_VERSION,
        "sanad_version": __version__,
        "built_at": index.built_at,
        "params": asdict(index.params),
        "counts": {
            "articles": len(index.articles),
            "passages": len(index.passages),
            "terms": len(index.postings.vocab),
            "postings": len(index.postings.docs),
            "mentions": len(index.mentions),
            "stories": len(set(np.asarray(index.stories.story).tolist())),
        },
        "sources": index.sources,
        "history": index.history,
        "files": checksums,
    }


# --------------------------------------------------------------------------- loading
def _unreadable(d: Path, path: Path) -> IndexLoadError:
    """The error for an index file or directory this process may not read."""
    return IndexLoadError(
        d,
        f"cannot read {path}: permission denied",
        hint=f"Give the user running Sanad read access (`chmod -R a+rX {d}`, or run as its owner), or rebuild the index as this user.",
    )


def _interrupted(d: Path) -> list[Path]:
    """The previous index an interrupted save left beside ``d`` (``.NAME.old-PID``), newest first."""
    olds = [p for p in d.parent.glob(f".{d.name}.old-*") if (p / MANIFEST).is_file()] if d.parent.is_dir() else []
    return sorted(olds, key=lambda p: p.stat().st_mtime, reverse=True)


def read_manifest(d: Path) -> dict:
    """The manifest of a saved index, validated; raises :class:`IndexLoadError`."""
    path = d / MANIFEST
    if not d.is_dir():
        old = _interrupted(d)
        if old:
            raise IndexLoadError(d, f"no index directory at {d}: a save was interrupted and left the previous index at {old[0]}",
                                 hint=f"Restore it with `mv {old[0]} {d}`, or run `sanad index` again (it restores it first).")  # fmt: skip
        raise IndexLoadError(d, f"no index directory at {d}", missing=True)
    if not os.access(d, os.R_OK | os.X_OK):
        raise _unreadable(d, d)
    if not path.is_file():
        raise IndexLoadError(d, f"{d} is not a Sanad index (no {MANIFEST})", missing=True)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT:
            raise ValueError(f"not a {_FORMAT} manifest")
    except PermissionError as e:
        raise _unreadable(d, path) from e
    except (ValueError, UnicodeDecodeError) as e:
        raise IndexLoadError(d, f"index manifest {path} is corrupted ({e})") from e
    sources = _sources(manifest)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexLoadError(
            d,
            f"index at {d} has format version {manifest.get('format_version')}, this Sanad reads {FORMAT_VERSION}",
            sources=sources,
        )
    if manifest.get("analyzer_version") != ANALYZER_VERSION:
        raise IndexLoadError(
            d,
            f"index at {d} was analysed with analyzer version {manifest.get('analyzer_version')}, "
            f"this Sanad uses {ANALYZER_VERSION}",
            sources=sources,
        )
    return manifest


def _sources(manifest: dict) -> list[str]:
    """The corpus paths a manifest names (what a rebuild indexes again)."""
    sources = manifest.get("sources")
    return [s for s in sources if isinstance(s, str)] if isinstance(sources, list) else []


def _digests(paths: list[Path]) -> dict[Path, str | OSError]:
    """The SHA-256 of each file (or the error reading it), on up to :data:`_HASH_THREADS` threads:
    hashing and reading release the GIL, and the checksum pass is most of loading an archive's index."""
    n = max(1, min(_HASH_THREADS, os.cpu_count() or 1, len(paths)))
    buckets: list[list[Path]] = [[] for _ in range(n)]
    loads = [0] * n
    for path, size in sorted(((p, p.stat().st_size) for p in paths), key=lambda ps: -ps[1]):  # largest first, to the least loaded
        i = loads.index(min(loads))
        buckets[i].append(path)
        loads[i] += size
    out: dict[Path, str | OSError] = {}

    def work(bucket: list[Path]) -> None:
        for path in bucket:
            try:
                out[path] = _sha256(path)
            except OSError as e:
                out[path] = e

    threads = [threading.Thread(target=work, args=(b,), daemon=True) for b in buckets[1:]]
    for t in threads:
        t.start()
    work(buckets[0])
    for t in threads:
        t.join()
    return out


def _check_files(d: Path, manifest: dict, verify: bool) -> None:
    """Every file the manifest lists is in ``d`` (and, with ``verify``, has its checksum)."""
    sources = _sources(manifest)
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise IndexLoadError(d, f"index manifest {d / MANIFEST} lists no files", sources=sources)
    for name in files:
        if "/" in name or "\\" in name or name.startswith("."):
            raise IndexLoadError(d, f"index manifest {d / MANIFEST} names a file outside the index ({name})", sources=sources)
    if set(files) != set(INDEX_FILES):  # every file the index is read from, and nothing else
        absent = sorted(set(INDEX_FILES) - set(files)) or sorted(set(files) - set(INDEX_FILES))
        raise IndexLoadError(d, f"index manifest {d / MANIFEST} does not list the files an index has ({', '.join(absent[:4])})",
                             sources=sources)  # fmt: skip
    digests = _digests([d / name for name in files if (d / name).is_file()]) if verify else {}
    for name, digest in files.items():
        path = d / name
        if not path.is_file():
            raise IndexLoadError(d, f"index file missing: {path}", sources=sources)
        try:
            if verify and (got := digests[path]) != digest:
                if isinstance(got, OSError):
                    raise got
                raise IndexLoadError(d, f"index file corrupted (checksum mismatch): {path}", sources=sources)
            if not verify and not os.access(path, os.R_OK):
                raise PermissionError(path)
        except PermissionError as e:
            raise _unreadable(d, path) from e


def load_index(make: Callable[..., Index], directory: str | Path, verify: bool = True) -> Index:
    """:meth:`Index.load`: check the manifest and the files, then map the arrays (``make`` is the class)."""
    d = Path(directory)
    manifest = read_manifest(d)
    _check_files(d, manifest, verify)
    try:
        params = BM25Params(**manifest["params"])
        store = ArticleStore.load(d)
        pstore = PassageStore.load(d, store.ids)
        postings = Postings.load(d, params)
        mstore = MentionStore.load(d, store.ids)
        stories = StoryStore.load(d)
        analysed = SentenceTerms.load(d)
        lexicon = StringTable.load(d, "lexicon")
        counts = manifest["counts"]
        if counts["articles"] != len(store) or counts["passages"] != len(pstore) or counts["mentions"] != len(mstore):
            raise ValueError("counts differ from the manifest")
        return make(store, pstore, postings, lexicon, manifest["built_at"], manifest.get("sources", []),
                    manifest.get("history", []), mstore, stories, analysed)
    except PermissionError as e:
        raise _unreadable(d, Path(e.filename) if e.filename else d) from e
    except (OSError, ValueError, KeyError, TypeError, EOFError) as e:
        raise IndexLoadError(d, f"index at {d} cannot be read ({e})", sources=_sources(manifest)) from e


#: What an index is made from besides its articles: the library's sources (what analyses, segments,
#: tags and folds) and its data (the embedded articles, the gazetteer, lists and the models' side
#: files, which hold their weights' checksums: the weights themselves are not read).
INPUT_SUFFIXES = (".py", ".txt", ".json", ".tsv")
PACKAGE = Path(__file__).resolve().parents[1]


def _inputs(folder: Path):  # type: ignore[no-untyped-def]
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            if entry.name != "__pycache__":
                yield from _inputs(entry)
        elif entry.name.endswith(INPUT_SUFFIXES):
            yield entry


def inputs_digest(salt: str, skip: frozenset[str] = frozenset()) -> str:
    """SHA-256 (hex) of ``salt``, the format version and every file of the library that makes an
    index what it is (:data:`INPUT_SUFFIXES`, in a fixed order), less ``skip`` (paths under
    ``retrieval/``): equal digests, equal indexes from equal articles."""
    h = hashlib.sha256(f"format {FORMAT_VERSION}; {salt}\n".encode())
    for entry in _inputs(PACKAGE):
        rel = entry.relative_to(PACKAGE).as_posix()
        if rel not in skip:
            h.update(entry.name.encode() + b"\0" + entry.read_bytes())
    return h.hexdigest()

