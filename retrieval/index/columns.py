"""Column storage for saved indexes: strings and arrays in plain files, read lazily, never unpickled.

The generic columns the index's tables (:mod:`retrieval.index.stores`) and postings are made of;
they know nothing of articles or passages.

A saved index must open in well under a second on a 30k-article archive and cost little memory
while it serves, so nothing is parsed into Python objects at load time:

* arrays are ``.npy`` files opened with ``np.load(..., mmap_mode="r", allow_pickle=False)``: the
  operating system pages in what a query touches, and shares it between processes;
* a column of strings is one UTF-8 file plus an ``int64`` array of byte offsets
  (:class:`StringColumn`); item ``i`` is decoded when asked for;
* a string *table* (vocabulary, article ids) adds a sorted array of 64-bit BLAKE2b hashes and the
  permutation that sorts them (:class:`StringTable`): ``table.find(s)`` is a binary search plus
  one string comparison, with no dictionary built at load;
* article texts are zlib-compressed one by one (:class:`BlobColumn`), so an answer decompresses
  only the articles it quotes.
"""

from __future__ import annotations

import hashlib
import mmap
import zlib
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from itertools import pairwise
from pathlib import Path
from typing import TypeVar

import numpy as np

__all__ = [
    "BlobColumn",
    "Rows",
    "StringColumn",
    "StringTable",
    "compress_text",
    "decompress_text",
    "load_array",
    "save_array",
    "string_hash",
]

T = TypeVar("T")

_HASH_BYTES = 8  # BLAKE2b-64: the keys of a StringTable are uint64
_FOUND = 50_000  # look-ups a StringTable remembers (a question's terms are looked up several times)
_ZLIB_LEVEL = 6  # zlib's default level (Z_DEFAULT_COMPRESSION): Arabic news text shrinks to about a third


def string_hash(s: str) -> int:
    """Stable 64-bit hash of a string (BLAKE2b-64 of its UTF-8), the key of :class:`StringTable`."""
    return int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=_HASH_BYTES).digest(), "little")


def _items(array: np.ndarray, fmt: str) -> memoryview:
    """Elements of a 1-d integer array as Python ints, ten times faster to index than numpy's."""
    return memoryview(np.ascontiguousarray(array)).cast("B").cast(fmt)


def save_array(path: Path, array: np.ndarray) -> None:
    np.save(path, np.ascontiguousarray(array), allow_pickle=False)


def load_array(path: Path, mmap: bool = True) -> np.ndarray:
    """A saved array, memory-mapped (read-only) unless ``mmap`` is false; never unpickled."""
    arr = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    if arr.dtype.hasobject:
        raise ValueError(f"{path.name} holds Python objects")
    # A plain ndarray view of the map: numpy.memmap's slicing costs microseconds per call.
    return arr.view(np.ndarray) if isinstance(arr, np.memmap) else arr


class Rows(Sequence[T]):
    """A read-only sequence whose items are made when asked for: subclasses give ``__len__`` and
    ``_item(i)`` (``0 <= i < len``); negative indexes and slices are handled here."""

    def _item(self, i: int) -> T:
        raise NotImplementedError

    def __getitem__(self, i):  # type: ignore[override]
        n = len(self)
        if isinstance(i, slice):
            return [self._item(j) for j in range(*i.indices(n))]
        if not -n <= i < n:
            raise IndexError(i)
        return self._item(i % n)


class BlobColumn:
    """A column of byte strings: one buffer and ``n + 1`` offsets."""

    def __init__(self, data: bytes | mmap.mmap, offsets: np.ndarray) -> None:
        self.data = data
        self.offsets = offsets
        self._off = _items(offsets.astype(np.int64, copy=False), "q")
        self._n = len(offsets) - 1
        if self._n < 0 or (self._n and int(offsets[-1]) != len(data)):
            raise ValueError("column offsets do not match its data")

    @classmethod
    def from_items(cls, items: Iterable[bytes]) -> BlobColumn:
        parts = list(items)
        offsets = np.zeros(len(parts) + 1, dtype=np.int64)
        np.cumsum([len(p) for p in parts], out=offsets[1:])
        return cls(b"".join(parts), offsets)

    def __len__(self) -> int:
        return self._n

    def raw(self, i: int) -> bytes:
        if not -self._n <= i < self._n:
            raise IndexError(i)
        i %= self._n
        return self.data[self._off[i] : self._off[i + 1]]

    def save(self, directory: Path, name: str) -> list[str]:
        """Writes ``NAME.bin`` and ``NAME.off.npy``; returns the file names."""
        with (directory / f"{name}.bin").open("wb") as fh:
            if len(self.data):
                fh.write(self.data)
        save_array(directory / f"{name}.off.npy", self.offsets)
        return [f"{name}.bin", f"{name}.off.npy"]

    @classmethod
    def load(cls, directory: Path, name: str) -> BlobColumn:
        path = directory / f"{name}.bin"
        data: bytes | mmap.mmap = b""
        if path.stat().st_size:
            with path.open("rb") as fh:
                data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        return cls(data, load_array(directory / f"{name}.off.npy"))

    def concat(self, other: BlobColumn) -> BlobColumn:
        offsets = np.concatenate((self.offsets[:-1], other.offsets + int(self.offsets[-1])))
        return BlobColumn(self.data[:] + other.data[:], offsets)


class StringColumn(Sequence[str]):
    """A column of strings (UTF-8 :class:`BlobColumn`), decoded per item."""

    def __init__(self, blob: BlobColumn) -> None:
        self.blob = blob

    @classmethod
    def from_strings(cls, items: Iterable[str]) -> StringColumn:
        return cls(BlobColumn.from_items(s.encode("utf-8") for s in items))

    def __len__(self) -> int:
        return len(self.blob)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self.blob.raw(i).decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        data, off = self.blob.data[:], self.blob.offsets.tolist()
        for a, b in pairwise(off):
            yield data[a:b].decode("utf-8")

    def save(self, directory: Path, name: str) -> list[str]:
        return self.blob.save(directory, name)

    @classmethod
    def load(cls, directory: Path, name: str) -> StringColumn:
        return cls(BlobColumn.load(directory, name))


class StringTable(StringColumn):
    """Distinct strings with ids ``0..n-1`` (their order) and a hash index to find an id by string."""

    def __init__(self, blob: BlobColumn, hashes: np.ndarray, order: np.ndarray) -> None:
        super().__init__(blob)
        if len(hashes) != len(blob) or len(order) != len(blob):
            raise ValueError("string table index does not match its strings")
        self.hashes = hashes
        self.order = order
        self._hashes = _items(hashes.astype(np.uint64, copy=False), "Q")
        self._order = _items(order.astype(np.int32, copy=False), "i")
        self._found: dict[str, int] = {}

    @classmethod
    def from_strings(cls, items: Iterable[str]) -> StringTable:
        strings = list(items)
        keys = np.fromiter((string_hash(s) for s in strings), dtype=np.uint64, count=len(strings))
        order = np.argsort(keys, kind="stable").astype(np.int32)
        blob = BlobColumn.from_items(s.encode("utf-8") for s in strings)
        return cls(blob, keys[order], order)

    def find(self, s: str) -> int:
        """Id of ``s``, or -1 (the answers to the first :data:`_FOUND` distinct look-ups are kept)."""
        j = self._found.get(s)
        if j is None:
            j = self._search(s)
            if len(self._found) < _FOUND:
                self._found[s] = j
        return j

    def _search(self, s: str) -> int:
        hashes = self._hashes
        h = string_hash(s)
        i = bisect_left(hashes, h)
        n = len(hashes)
        while i < n and hashes[i] == h:
            j = self._order[i]
            if self.blob.raw(j) == s.encode("utf-8"):
                return j
            i += 1
        return -1

    def __contains__(self, s: object) -> bool:
        return isinstance(s, str) and self.find(s) >= 0

    def extend(self, items: Iterable[str]) -> StringTable:
        """A new table: these strings, then ``items`` (which must be new), with ids continuing."""
        new = list(items)
        if not new:
            return self
        keys = np.concatenate(
            (np.asarray(self.hashes)[np.argsort(self.order, kind="stable")],
             np.fromiter((string_hash(s) for s in new), dtype=np.uint64, count=len(new)))
        )
        order = np.argsort(keys, kind="stable").astype(np.int32)
        blob = self.blob.concat(BlobColumn.from_items(s.encode("utf-8") for s in new))
        return StringTable(blob, keys[order], order)

    def save(self, directory: Path, name: str) -> list[str]:
        files = self.blob.save(directory, name)
        save_array(directory / f"{name}.hash.npy", self.hashes)
        save_array(directory / f"{name}.order.npy", self.order)
        return files + [f"{name}.hash.npy", f"{name}.order.npy"]

    @classmethod
    def load(cls, directory: Path, name: str) -> StringTable:
        return cls(
            BlobColumn.load(directory, name),
            load_array(directory / f"{name}.hash.npy"),
            load_array(directory / f"{name}.order.npy"),
        )


def compress_text(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), _ZLIB_LEVEL)


def decompress_text(data: bytes) -> str:
    return zlib.decompress(data).decode("utf-8")
