"""One writer per saved index directory: a lock held from loading an index through adding to it
and swapping the new one in.

Two writers of one directory at once (two ``sanad index --add``, or an addition and a rebuild)
would each load the same index, add their own articles and swap in their own copy: the second
swap loses the first's articles, and both say they succeeded. :func:`index_writer` takes an
exclusive ``flock`` on ``.NAME.lock`` beside the index directory ``NAME`` (in its parent: the
directory itself is replaced by every save). A second writer waits for it, telling ``waiting``
once who holds it, for up to ``wait`` seconds; then it gets an
:class:`~retrieval.errors.IndexLoadError` (exit 4) and writes nothing.

The lock is the kernel's: a writer that dies or is killed releases it. The lock file holds its
holder's pid (for the message) and is removed by the holder before it lets go; a writer that
then gets the lock of the removed file sees it is no longer the file at ``.NAME.lock`` and locks
that one instead, so two writers never hold two different files. (A killed writer leaves its
file: the next one simply locks it.) Readers take no lock: a save swaps a complete directory in
with a rename. Within one thread the lock is re-entrant:
:func:`~retrieval.index.manifest.save_index` takes it too, so a save is never interleaved with
another writer's even where its caller took no lock.
"""

from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import IndexLoadError

try:
    import fcntl
except ImportError:  # not POSIX: no lock (Sanad runs on Linux and macOS)
    fcntl = None  # type: ignore[assignment]

__all__ = ["WRITER_WAIT_S", "index_writer", "lock_path"]

#: How long a second writer waits for the first before giving up: longer than the longest
#: indexing docs/scale.md reports (an archive of 100,000 articles with the ensemble tagger, 29 min).
WRITER_WAIT_S = 1800.0
_POLL_S = 0.2  # seconds between two tries while waiting
_STALE_TRIES = 100  # lock files removed under a writer in a row before it waits like any other
_held = threading.local()  # lock file path -> its descriptor, for the locks this thread holds


def lock_path(directory: str | Path) -> Path:
    """The lock file of the index directory ``directory``: ``.NAME.lock`` in its parent, the
    same file however the directory is spelled (relative, through a linked parent)."""
    d = Path(os.path.abspath(Path(directory).expanduser()))
    return d.parent.resolve() / f".{d.name}.lock"


@contextmanager
def index_writer(
    directory: str | Path,
    *,
    wait: float = WRITER_WAIT_S,
    waiting: Callable[[str], None] | None = None,
) -> Iterator[Path]:
    """Hold the one writer's lock of the index directory ``directory`` (yields the lock file).

    Waits up to ``wait`` seconds for another writer (``waiting`` is given one line saying so,
    once), then raises :class:`~retrieval.errors.IndexLoadError`; ``wait=0`` refuses at once.
    Also raised when the lock file cannot be created (a parent this user may not write to).
    """
    path = lock_path(directory)
    locks: dict[str, int] = _held.__dict__.setdefault("locks", {})
    if fcntl is None or str(path) in locks:
        yield path
        return
    fd = _acquire(directory, path, wait, waiting)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        locks[str(path)] = fd
        try:
            yield path
        finally:
            del locks[str(path)]
            try:
                path.unlink()  # still locked: a writer waiting on this file will see it is gone
            except OSError:
                pass
    finally:
        os.close(fd)  # releases the lock


def _is_current(fd: int, path: Path) -> bool:
    """Whether ``fd`` is (still) the file at ``path``: not one its holder removed meanwhile."""
    try:
        a, b = os.fstat(fd), os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _open_lock(directory: str | Path, path: Path) -> int:
    """The lock file, opened (created if absent); never through a link planted in its place."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0), 0o644)
    except OSError as e:
        if e.errno == errno.ELOOP:
            hint = f"Remove it (`rm {path}`): Sanad creates its own lock file."
            raise IndexLoadError(directory, f"cannot lock the index at {directory}: {path} is a symbolic link", hint=hint) from e
        raise IndexLoadError(
            directory,
            f"cannot lock the index at {directory}: cannot create {path} ({e.strerror or e})",
            hint=f"Give the user running Sanad write access to {path.parent}, or choose another --out directory.",
        ) from e


def _holder(path: Path) -> str:
    """`` (pid N)`` naming the process the lock file says holds it, or ``""``."""
    try:
        pid = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:g} s"


def _acquire(directory: str | Path, path: Path, wait: float, waiting: Callable[[str], None] | None) -> int:
    """The lock file, open and locked exclusively: waits up to ``wait`` seconds for the writer holding it."""
    deadline = time.monotonic() + wait
    told = False
    stale = 0
    while True:
        fd = _open_lock(directory, path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if _is_current(fd, path):
                return fd
            os.close(fd)  # its holder removed it as it let go: lock the one there now
            stale += 1
            if stale < _STALE_TRIES:
                continue
        except BlockingIOError:
            os.close(fd)
        except OSError as e:  # a file system without locks
            os.close(fd)
            raise IndexLoadError(
                directory,
                f"cannot lock the index at {directory}: {path} cannot be locked ({e.strerror or e})",
                hint="Write the index to a local disk (--out), then copy it there.",
            ) from e
        who = _holder(path)
        left = deadline - time.monotonic()
        if left <= 0:
            waited = f" after waiting {_duration(wait)}" if wait > 0 else ""
            raise IndexLoadError(
                directory,
                f"another Sanad process{who} is writing the index at {directory}{waited}: nothing was written",
                hint="Run this command again once it has finished.",
            )
        if not told and waiting is not None:
            waiting(f"another Sanad process{who} is writing the index at {directory}: "
                    f"waiting for it to finish (up to {_duration(wait)}; Ctrl-C stops)")  # fmt: skip
            told = True
        time.sleep(min(_POLL_S, left))
