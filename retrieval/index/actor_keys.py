"""The actor index's keys, computed at index time: which groups of aliases across articles are one actor.

Inside an article the extractor merged aliases into groups (:mod:`retrieval.index.mentions`). Across
articles (:mod:`retrieval.actor_index`) a group is keyed by its type and the normalized words of its
display text, and a one-word person (``حفتر`` of an article that never gives his first name) joins
the one person of the corpus whose name ends with that word, when there is exactly one. Normalizing
the words of every group (115,000 on the SaudiNewsNet archive) is the costly part, so it is done
once, when the group is indexed, and what the actor index looks up is stored:

* ``actor_words.*``: every distinct normalized word of a group's text (a
  :class:`~retrieval.index.columns.StringTable`);
* ``actor_form_words.npy``, ``actor_form_ptr.npy``: every distinct word sequence (a *form*) as word
  ids, and where each starts; ``actor_forms.npy``: each group's form;
* ``actor_keys.*``: the keys (``type:words``), in the order of their first group;
  ``actor_key_ids.npy``: each group's key;
* ``actor_word_keys.npy``, ``actor_word_key_ptr.npy``: for each word, the keys whose groups' forms
  hold it (ascending): how a name is found by any of its words.

An addition normalizes only its new groups' texts; the keys (a new ``صدام حفتر`` makes a one-word
``حفتر`` ambiguous) and the word index are computed again from the stored ids.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..normalize import normalize_token
from .columns import StringTable, load_array, save_array

__all__ = ["KEY_CACHE_SIZE", "ActorKeys", "key_words"]

#: Names whose normalized words are kept (the display forms of a large archive's actors).
KEY_CACHE_SIZE = 200_000
_WORD_RE = re.compile(r"\S+")
_PERSON = 0  # the code of "person" in actor_types.npy (mentions.TYPES)
_ARRAYS = ("actor_forms.npy", "actor_form_words.npy", "actor_form_ptr.npy", "actor_key_ids.npy", "actor_word_keys.npy",
           "actor_word_key_ptr.npy")  # fmt: skip


@functools.lru_cache(maxsize=KEY_CACHE_SIZE)
def key_words(text: str) -> tuple[str, ...]:
    """The normalized words of an actor's name (what keys and look-ups compare)."""
    return tuple(normalize_token(w) for w in _WORD_RE.findall(text))


class ActorKeys:
    """Each group's key and form, the words of the forms, and the keys by word."""

    def __init__(
        self,
        words: StringTable,
        forms: np.ndarray,
        form_words: np.ndarray,
        form_ptr: np.ndarray,
        keys: StringTable,
        key_ids: np.ndarray,
        word_keys: np.ndarray,
        word_key_ptr: np.ndarray,
    ) -> None:
        if len(forms) != len(key_ids) or len(word_key_ptr) != len(words) + 1 or not len(form_ptr):
            raise ValueError("actor key arrays do not match")
        if int(form_ptr[-1]) != len(form_words) or int(word_key_ptr[-1]) != len(word_keys):
            raise ValueError("actor key arrays do not match")
        self.words = words
        self.forms = forms  # per group: its form
        self.form_words = form_words
        self.form_ptr = form_ptr
        self.keys = keys
        self.key_ids = key_ids  # per group: its key
        self.word_keys = word_keys
        self.word_key_ptr = word_key_ptr

    @classmethod
    def empty(cls) -> ActorKeys:
        none, ptr = np.zeros(0, np.int32), np.zeros(1, np.int64)
        table = StringTable.from_strings(())
        return cls(table, none, none, ptr, table, none, none, ptr)

    def __len__(self) -> int:
        return len(self.key_ids)

    # ------------------------------------------------------------------ reading
    def form(self, f: int) -> tuple[str, ...]:
        """The normalized words of form ``f``."""
        a, b = self.form_ptr[f : f + 2].tolist()
        return tuple(self.words[w] for w in self.form_words[a:b].tolist())

    def form_len(self, f: int) -> int:
        return int(self.form_ptr[f + 1] - self.form_ptr[f])

    def keys_with(self, word: str) -> np.ndarray:
        """The keys whose forms hold ``word`` (a normalized word), ascending."""
        w = self.words.find(word)
        if w < 0:
            return np.zeros(0, np.int32)
        return self.word_keys[int(self.word_key_ptr[w]) : int(self.word_key_ptr[w + 1])]

    # ------------------------------------------------------------------ building
    def extend(self, texts: Sequence[str], types: np.ndarray) -> ActorKeys:
        """These keys and the groups ``texts`` adds (``types``: the type code of every group, old
        and new); only the new texts are normalized."""
        n_old = len(self.forms)
        if len(types) != n_old + len(texts):
            raise ValueError("actor types and groups differ in number")
        new_words: list[str] = []
        word_id: dict[str, int] = {}

        def wid(w: str) -> int:
            i = word_id.get(w)
            if i is None:
                i = self.words.find(w)
                if i < 0:
                    i = len(self.words) + len(new_words)
                    new_words.append(w)
                word_id[w] = i
            return i

        ptr = self.form_ptr.tolist()
        flat = self.form_words.tolist()
        form_id = {tuple(flat[a:b]): f for f, (a, b) in enumerate(zip(ptr, ptr[1:]))}
        forms = np.asarray(self.forms).tolist()
        for text in texts:
            seq = tuple(wid(w) for w in key_words(text))
            f = form_id.get(seq)
            if f is None:
                f = form_id[seq] = len(ptr) - 1
                flat.extend(seq)
                ptr.append(len(flat))
            forms.append(f)
        words = self.words.extend(new_words)
        form_words, form_ptr = np.asarray(flat, np.int32), np.asarray(ptr, np.int64)
        group_forms = np.asarray(forms, np.int32)
        keys, key_ids = _keys(words, form_words, form_ptr, group_forms, np.asarray(types, np.int64))
        word_keys, word_key_ptr = _word_keys(len(words), form_words, form_ptr, group_forms, key_ids, len(keys))
        return ActorKeys(words, group_forms, form_words, form_ptr, keys, key_ids, word_keys, word_key_ptr)

    # ------------------------------------------------------------------ files
    def save(self, d: Path) -> list[str]:
        arrays = (self.forms, self.form_words, self.form_ptr, self.key_ids, self.word_keys, self.word_key_ptr)
        for name, arr in zip(_ARRAYS, arrays):
            save_array(d / name, arr)
        return [*_ARRAYS, *self.words.save(d, "actor_words"), *self.keys.save(d, "actor_keys")]

    @classmethod
    def load(cls, d: Path) -> ActorKeys:
        forms, form_words, form_ptr, key_ids, word_keys, word_key_ptr = (load_array(d / name) for name in _ARRAYS)
        return cls(StringTable.load(d, "actor_words"), forms, form_words, form_ptr, StringTable.load(d, "actor_keys"),
                   key_ids, word_keys, word_key_ptr)  # fmt: skip


def _keys(
    words: StringTable, form_words: np.ndarray, form_ptr: np.ndarray, group_forms: np.ndarray, types: np.ndarray
) -> tuple[StringTable, np.ndarray]:
    """The keys (first group first) and each group's: ``type:words``; a one-word person takes the
    words of the one person form of two or more words ending with its word, when there is one."""
    from .mentions import TYPES

    lens = np.diff(form_ptr)
    last = np.where(lens > 0, form_words[np.maximum(form_ptr[1:] - 1, 0)], -1) if len(lens) else np.zeros(0, np.int32)
    # The person forms of two or more words, by last word: a one-word person joins the only one.
    people = np.unique(group_forms[(types == _PERSON)]) if len(group_forms) else np.zeros(0, np.int32)
    long = people[lens[people] >= 2]
    endings: dict[int, list[int]] = {}
    for f, w in zip(long.tolist(), last[long].tolist()):
        endings.setdefault(w, []).append(f)
    pairs = types * max(len(lens), 1) + group_forms
    uniq, first, inverse = np.unique(pairs, return_index=True, return_inverse=True)
    key_of_pair = np.zeros(len(uniq), np.int32)
    key_id: dict[str, int] = {}
    decoded: dict[int, str] = {}

    def text(f: int) -> str:
        s = decoded.get(f)
        if s is None:
            a, b = form_ptr[f : f + 2].tolist()
            s = decoded[f] = " ".join(words[w] for w in form_words[a:b].tolist())
        return s

    for j in np.argsort(first, kind="stable").tolist():  # pairs in the order of their first group
        t, f = divmod(int(uniq[j]), max(len(lens), 1))
        if t == _PERSON and lens[f] == 1 and len(endings.get(int(last[f]), ())) == 1:
            f = endings[int(last[f])][0]
        key = f"{TYPES[t]}:{text(f)}"
        key_of_pair[j] = key_id.setdefault(key, len(key_id))
    return StringTable.from_strings(key_id), key_of_pair[inverse.reshape(-1)].astype(np.int32)


def _word_keys(
    n_words: int, form_words: np.ndarray, form_ptr: np.ndarray, group_forms: np.ndarray, key_ids: np.ndarray, n_keys: int
) -> tuple[np.ndarray, np.ndarray]:
    """For each word, the keys one of whose groups' forms holds it (ascending), and where each word's run starts."""
    pairs = np.unique(group_forms.astype(np.int64) * max(n_keys, 1) + key_ids)  # distinct (form, key)
    f, k = pairs // max(n_keys, 1), pairs % max(n_keys, 1)
    lens = (form_ptr[f + 1] - form_ptr[f]) if len(f) else np.zeros(0, np.int64)
    starts = np.repeat(form_ptr[f], lens) if len(f) else np.zeros(0, np.int64)
    offsets = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
    w = form_words[(starts + offsets).astype(np.int64)].astype(np.int64)
    wk = np.unique(w * max(n_keys, 1) + np.repeat(k, lens))
    word_keys = (wk % max(n_keys, 1)).astype(np.int32)
    word_key_ptr = np.searchsorted(wk // max(n_keys, 1), np.arange(n_words + 1)).astype(np.int64)
    return word_keys, word_key_ptr
