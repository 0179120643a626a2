"""Reading corpus files: directories of ``.txt``, and ``.jsonl(.gz)`` (the articles themselves: :mod:`retrieval.corpus`).

A corpus is a list of :class:`Article`. Problems with single files or lines are collected as
:class:`Problem` (file, line, message) so one bad line never loses the other articles; with
``strict=True`` the first problem stops loading with a :class:`CorpusError` instead.

Every corpus path is read the same way, whatever reads it (:func:`load_corpus`,
``retrieval.corpus_index``, the article count behind a progress ETA): :func:`corpus_files` is the one
file walker, :func:`read_articles` the one strictness rule and :func:`no_articles_error` the one
"nothing to index" error.

Hostile corpus directories (a shared upload folder, a mounted volume) are read safely:

* a path named by the user (on the command line, in ``SANAD_CORPUS``) is read even if it is a
  symbolic link: the user chose it;
* below a named directory, only regular files and directories are read. A symbolic link found
  while walking is never followed, wherever it points, even inside the corpus (a link to
  ``/proc/self/environ`` would put the bot's token in the index), nor is a FIFO (reading it would
  block forever), a device or a socket: each is skipped with a problem like any bad file;
* a walked file is opened without following a link (``O_NOFOLLOW``) and must still be the file
  the walk found (device and inode), so a file or directory swapped for a link between the walk
  and the read is refused too;
* a ``.txt`` file or ``.jsonl`` line too large to hold an article is skipped without being read
  into memory whole, and a ``.jsonl`` line that cannot be decoded for any reason (bad UTF-8, bad
  JSON, nested too deep, not an object, fields of the wrong type) is a problem naming its line.
"""

from __future__ import annotations

import codecs
import gzip
import json
import os
import stat
import sys
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from .corpus import (
    DUPLICATE_ID,
    MAX_ARTICLE_CHARS,
    Article,
    Problem,
    article_from_json,
    make_article,
)
from .errors import CorpusError

__all__ = [
    "CorpusLoad",
    "JSONL_SUFFIXES",
    "MAX_LINE_BYTES",
    "REST_LOST",
    "TEXT_SUFFIXES",
    "corpus_files",
    "iter_articles",
    "load_corpus",
    "no_articles_error",
    "read_articles",
]

#: The longest ``.jsonl`` line read, in bytes: room for an article of :data:`MAX_ARTICLE_CHARS`
#: characters written with ``\\uXXXX`` escapes, and its other fields. A longer line is skipped
#: (read in pieces, never held whole).
MAX_LINE_BYTES = 16 * MAX_ARTICLE_CHARS


#: The largest ``.txt`` file read: :data:`MAX_ARTICLE_CHARS` characters of 4 UTF-8 bytes, and a BOM.
_MAX_TXT_BYTES = 4 * MAX_ARTICLE_CHARS + len(codecs.BOM_UTF8)


_SKIP_CHUNK = (
    1 << 20
)  # bytes read at a time while skipping the rest of a line too long to read


TEXT_SUFFIXES = (".txt",)


JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")


_NOT_CORPUS_FILE = "skipped: not a .txt, .jsonl or .jsonl.gz file"


#: The problem reported where a file cannot be read any further (a corrupted or truncated gzip).
REST_LOST = "the rest of the file cannot be read (corrupted or truncated): every article from this line on is lost"


#: The problem reported for a symbolic link met while walking a corpus directory (never followed).
LINK_SKIPPED = (
    "symbolic link not followed (links inside a corpus directory never are: "
    "copy the file itself in, or name the link on the command line)"
)


@dataclass(slots=True)
class CorpusLoad:
    """Articles loaded from one or more paths, and what was skipped."""

    articles: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CorpusFile:
    """A file to read: its path, and its device and inode when it was found.

    ``named``: the user named this path (it may be a symbolic link, followed); a file found by
    walking a directory is opened without following a link and must still be that inode.
    """

    path: Path
    identity: tuple[int, int]
    named: bool = False


class _Refused(Exception):
    """A corpus file that is not read: its problem message."""


def _not_regular(mode: int) -> str:
    """The problem for a path that is neither a regular file nor a directory."""
    kind = (
        "named pipe" if stat.S_ISFIFO(mode)
        else "device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "socket" if stat.S_ISSOCK(mode)
        else "special file"
    )  # fmt: skip
    return f"{kind} not read (only regular files are: save the articles to a file)"


def _open(f: CorpusFile) -> BinaryIO:
    """``f`` opened for reading, if it is still the regular file found; raises :class:`_Refused`.

    Never blocks (``O_NONBLOCK``: a FIFO swapped in is refused, not waited on) and, for a walked
    file, never follows a link (``O_NOFOLLOW``).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    if not f.named:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(f.path, flags)
    except OSError as e:
        if not f.named and os.path.islink(f.path):
            raise _Refused(LINK_SKIPPED) from e
        raise _Refused(f"cannot read file: {e.strerror or e}") from e
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _Refused(_not_regular(st.st_mode))
        if (st.st_dev, st.st_ino) != f.identity:
            raise _Refused("file replaced while the corpus was read (index it again)")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _read_line(fh: BinaryIO, limit: int) -> tuple[bytes, bool]:
    """The next line of ``fh`` (``b""`` at the end) and whether it was longer than ``limit``
    bytes; a long line's rest is read and dropped in pieces, never held whole."""
    line = fh.readline(limit + 1)
    if len(line) <= limit or line.endswith(b"\n"):
        return line, False
    while True:
        rest = fh.readline(_SKIP_CHUNK)
        if not rest or rest.endswith(b"\n"):
            return line[:limit], True


def _open_lines(
    f: CorpusFile, limit: int = MAX_LINE_BYTES
) -> Iterator[tuple[bytes, bool]]:
    """The raw lines of a ``.jsonl`` or ``.jsonl.gz`` file, each with whether it was too long
    (and cut); each is decoded by the caller: one bad byte costs its own line, not the rest of
    the file. Raises :class:`_Refused` for a file that is not read at all."""
    with _open(f) as raw:
        fh: BinaryIO = (
            gzip.GzipFile(fileobj=raw, mode="rb")
            if f.path.name.endswith(".gz")
            else raw
        )  # type: ignore[assignment]
        with fh:
            while True:
                line, long = _read_line(fh, limit)
                if not line:
                    return
                yield line, long


def _read_jsonl(f: CorpusFile, problems: list[Problem]) -> Iterator[Article]:
    path, lineno = f.path, 0
    lines = _open_lines(f)
    try:
        for lineno, (raw, too_long) in enumerate(lines, start=1):
            if too_long:
                problems.append(Problem(str(path), lineno, f"line over {MAX_LINE_BYTES:,} bytes: skipped, "
                                                           "split it into several articles"))  # fmt: skip
                continue
            if lineno == 1 and raw.startswith(
                codecs.BOM_UTF8
            ):  # a byte order mark (Windows editors)
                raw = raw[len(codecs.BOM_UTF8) :]
            article = _decode_line(raw, path, lineno, problems)
            if article is not None:
                yield article
    except _Refused as e:
        problems.append(Problem(str(path), None, str(e)))
    except (OSError, EOFError, zlib.error) as e:
        problems.append(
            Problem(str(path), lineno + 1, f"{REST_LOST} ({e})", rest_lost=True)
        )
    finally:
        lines.close()


def _decode_line(
    raw: bytes, path: Path, lineno: int, problems: list[Problem]
) -> Article | None:
    """The article of one ``.jsonl`` line, or ``None`` (blank, or a problem appended for any reason
    it cannot be one: bad UTF-8, bad JSON, nested too deep, not an object, a field of the wrong type)."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        problems.append(
            Problem(str(path), lineno, f"not valid UTF-8 (byte {e.start}: {e.reason})")
        )
        return None
    if not line.strip():
        return None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        problems.append(Problem(str(path), lineno, f"not valid JSON ({e.msg})"))
        return None
    except RecursionError:
        problems.append(
            Problem(
                str(path),
                lineno,
                "JSON nested too deeply (an article is one flat JSON object a line)",
            )
        )
        return None
    except ValueError:  # an integer longer than Python converts
        problems.append(
            Problem(
                str(path),
                lineno,
                f"not valid JSON (a number over {sys.get_int_max_str_digits()} digits long)",
            )
        )
        return None
    try:
        return article_from_json(obj)
    except (ValueError, TypeError, RecursionError) as e:
        problems.append(Problem(str(path), lineno, str(e) or type(e).__name__))
        return None


def _read_txt(f: CorpusFile, problems: list[Problem]) -> Iterator[Article]:
    path = f.path
    try:
        with _open(f) as fh:
            data = fh.read(_MAX_TXT_BYTES + 1)
        if len(data) > _MAX_TXT_BYTES:
            raise ValueError(
                f"file over {_MAX_TXT_BYTES:,} bytes: skipped, split it into several articles"
            )
        text = data.decode("utf-8-sig")  # a byte order mark is not text
    except _Refused as e:
        problems.append(Problem(str(path), None, str(e)))
        return
    except (UnicodeDecodeError, OSError) as e:
        problems.append(
            Problem(str(path), None, f"cannot read file as UTF-8 text: {e}")
        )
        return
    except ValueError as e:
        problems.append(Problem(str(path), None, str(e)))
        return
    if not text.strip():
        problems.append(Problem(str(path), None, "empty file"))
        return
    try:
        yield make_article(id=path.stem, text=text)
    except ValueError as e:
        problems.append(Problem(str(path), None, str(e)))


def _walk(root: Path, problems: list[Problem]) -> list[CorpusFile]:
    """Every regular file below the directory ``root``, in name order, links not followed (each
    link, FIFO, device or socket a problem; dotfiles skipped silently). Iterative: a tree nested
    thousands of directories deep is walked like any other."""
    found: list[tuple[Path, os.stat_result]] = []
    stack = [root]
    while stack:
        d = stack.pop()
        try:
            with os.scandir(d) as entries:
                listed = list(entries)
        except OSError as e:
            problems.append(
                Problem(str(d), None, f"cannot read directory: {e.strerror or e}")
            )
            continue
        for entry in listed:
            p = Path(entry.path)
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as e:
                problems.append(
                    Problem(str(p), None, f"cannot read file: {e.strerror or e}")
                )
                continue
            if stat.S_ISDIR(st.st_mode):
                stack.append(p)
            elif not entry.name.startswith("."):
                found.append((p, st))
    files = []
    for p, st in sorted(found, key=lambda f: f[0]):
        if stat.S_ISLNK(st.st_mode):
            problems.append(Problem(str(p), None, LINK_SKIPPED))
        elif not stat.S_ISREG(st.st_mode):
            problems.append(Problem(str(p), None, _not_regular(st.st_mode)))
        elif p.name.endswith(TEXT_SUFFIXES + JSONL_SUFFIXES):
            files.append(CorpusFile(p, (st.st_dev, st.st_ino)))
        else:
            problems.append(Problem(str(p), None, _NOT_CORPUS_FILE))
    return files


def _corpus_files(path: Path, problems: list[Problem]) -> list[CorpusFile]:
    """:func:`corpus_files`, with each file's identity."""
    try:
        st = path.stat()  # followed: the user named this path
    except OSError as e:
        problems.append(Problem(str(path), None, f"cannot read: {e.strerror or e}"))
        return []
    if stat.S_ISDIR(st.st_mode):
        return _walk(path, problems)
    if not stat.S_ISREG(st.st_mode):
        problems.append(Problem(str(path), None, _not_regular(st.st_mode)))
        return []
    return [CorpusFile(path, (st.st_dev, st.st_ino), named=True)]


def corpus_files(path: Path, problems: list[Problem]) -> list[Path]:
    """The corpus files of ``path``: the path itself if it is a file (a link the user named is
    followed), else every ``.txt``, ``.jsonl`` and ``.jsonl.gz`` regular file below it in name
    order, skipping dotfiles (editor and system files) silently and any other file with a
    problem: a symbolic link below it is never followed, a FIFO, device or socket never read."""
    return [f.path for f in _corpus_files(path, problems)]


def iter_articles(
    paths: Iterable[str | Path], problems: list[Problem]
) -> Iterator[Article]:
    """Articles of every corpus path, in order; problems are appended as they are met."""
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise CorpusError(
                f"corpus path not found: {path} (give a directory of .txt files or a .jsonl file)"
            )
        for f in _corpus_files(path, problems):
            if f.path.name.endswith(JSONL_SUFFIXES):
                yield from _read_jsonl(f, problems)
            elif f.path.name.endswith(TEXT_SUFFIXES):
                yield from _read_txt(f, problems)
            else:
                problems.append(Problem(str(f.path), None, _NOT_CORPUS_FILE))


def read_articles(
    paths: Iterable[str | Path], problems: list[Problem], strict: bool = False
) -> Iterator[Article]:
    """:func:`iter_articles`, and with ``strict`` a :class:`CorpusError` at the first problem.

    A problem the consumer appends to ``problems`` (a duplicate id) counts too: with ``strict``
    the next article is not read, and the problem is raised once the consumer asks for it.
    """
    for article in iter_articles(paths, problems):
        if strict and problems:
            break
        yield article
    if strict and problems:
        raise CorpusError(
            f"{problems[0]} (fix it, or index without --strict to skip bad lines)"
        )


def no_articles_error(
    paths: Iterable[str | Path], problems: Sequence[Problem]
) -> CorpusError:
    """The error for corpus ``paths`` that hold no article, naming the first problem met."""
    detail = f"; {len(problems)} problem(s), first: {problems[0]}" if problems else ""
    return CorpusError(
        f"no articles found in {', '.join(str(p) for p in paths)}{detail}"
    )


def load_corpus(paths: Iterable[str | Path], strict: bool = False) -> CorpusLoad:
    """Load articles from files and directories.

    Raises :class:`CorpusError` for a missing path, an empty corpus, or (``strict``) the first
    bad file or line. Duplicate ids keep the first article and report the others.
    """
    paths = list(paths)
    load = CorpusLoad()
    seen: set[str] = set()
    for article in read_articles(paths, load.problems, strict):
        if article.id in seen:
            load.problems.append(Problem(article.id, None, DUPLICATE_ID))
            continue
        seen.add(article.id)
        load.articles.append(article)
    if not load.articles:
        raise no_articles_error(paths, load.problems)
    return load
