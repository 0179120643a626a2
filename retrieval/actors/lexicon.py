"""The gazetteer and word statistics derived from ANERcorp (``data/gazetteer.tsv``).

The file is written by ``retrieval/training/gazetteer.py``; it has two kinds of lines::

    E <TAB> type <TAB> key <TAB> typed <TAB> total <TAB> source    # an entity string
    W <TAB> word <TAB> O <TAB> PERS <TAB> LOC <TAB> ORG <TAB> MISC  # a word's tag counts

``type`` is ``PERS``/``LOC``/``ORG``; ``key`` is space-joined normalized tokens, the first one
clitic-free; ``typed/total`` is how often the string was tagged ``type`` out of all its
occurrences (``source`` is ``anercorp`` or ``curated``). ``W`` lines cover every ANERcorp word
(normalized, as written, clitics included), so rules can ask "was this ever an O word?".

Loaded once, lazily (:func:`lexicon`), so importing the package costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import NamedTuple

from ..errors import ModelLoadError

__all__ = ["DATA_FILE", "Lexicon", "WordStats", "lexicon", "load"]

DATA_FILE = "gazetteer.tsv"
TYPES = {"PERS": "person", "LOC": "place", "ORG": "organization"}


class WordStats(NamedTuple):
    o: int = 0
    pers: int = 0
    loc: int = 0
    org: int = 0
    misc: int = 0

    @property
    def total(self) -> int:
        return self.o + self.pers + self.loc + self.org + self.misc


_UNSEEN = WordStats()


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Entity keys (with their actor type), their prefixes, and per-word tag counts."""

    entities: dict[str, str]  # key -> "person" | "place" | "organization"
    prefixes: frozenset[str]  # every proper token-prefix of a multi-token key
    glued: dict[str, str]  # multi-token key without spaces -> key ("الاممالمتحده")
    curated: frozenset[str]  # keys from the hand-made list (not ANERcorp)
    words: dict[str, WordStats]
    max_tokens: int

    def stats(self, word: str) -> WordStats:
        return self.words.get(word, _UNSEEN)

    def entity(self, key: str) -> str | None:
        return self.entities.get(key)


def parse(lines: list[str]) -> Lexicon:
    entities: dict[str, str] = {}
    curated: set[str] = set()
    words: dict[str, WordStats] = {}
    for line in lines:
        if not line or line.startswith("#"):
            continue
        parts = line.rstrip("\n").split("\t")
        if parts[0] == "E" and len(parts) >= 3 and parts[1] in TYPES:
            entities[parts[2]] = TYPES[parts[1]]
            if parts[-1] == "curated":
                curated.add(parts[2])
        elif parts[0] == "W" and len(parts) == 7:
            words[parts[1]] = WordStats(*(int(x) for x in parts[2:]))
    prefixes: set[str] = set()
    glued: dict[str, str] = {}
    max_tokens = 1
    for key in entities:
        toks = key.split(" ")
        max_tokens = max(max_tokens, len(toks))
        for k in range(1, len(toks)):
            prefixes.add(" ".join(toks[:k]))
        joined = "".join(toks)
        if len(toks) > 1 and len(joined) >= 8 and joined not in entities and joined not in words:
            glued.setdefault(joined, key)
    return Lexicon(entities, frozenset(prefixes), glued, frozenset(curated), words, max_tokens)


def load(path: str | None = None) -> Lexicon:
    """Parse a gazetteer file (the packaged one by default)."""
    where = path or f"retrieval/actors/data/{DATA_FILE}"
    fix = "Rebuild it with `sanad train gazetteer`."
    try:
        if path is None:
            text = resources.files(__package__).joinpath("data", DATA_FILE).read_text(encoding="utf-8")
        else:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        lex = parse(text.split("\n"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ModelLoadError(
            f"cannot read the actor gazetteer {where}: {e}. {fix}"
        ) from e
    if not lex.entities or not lex.words:
        raise ModelLoadError(
            f"the actor gazetteer {where} is empty or truncated. {fix}"
        )
    return lex


@cache
def lexicon() -> Lexicon:
    """The packaged gazetteer, loaded on first use."""
    return load()
