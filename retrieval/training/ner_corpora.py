"""The labelled Arabic NER sets in ``../shared/ner``, read onto one tag set (issue #25 groundwork).

Every set becomes sentences of ``(token, tag)`` with BIO tags over ANERcorp's types ``PERS ORG LOC
MISC``, and says which types it labels at all (:attr:`Labelled.labels`): where a set does not
label a type, its ``O`` says nothing about that type, so training must not read it as "not a
person" (mask those positions, or use the set for the types it labels only).

=============  ========  ===================================================================
set            domain    mapping
=============  ========  ===================================================================
ANERcorp       news      as is (``PERS ORG LOC MISC``)
AQMAR          wiki      ``PER`` → ``PERS``; ``ORG``, ``LOC`` kept; the article-specific
                         ``MIS0``–``MIS3`` (and ``MIS``) dropped to ``O``, since they are
                         not one class across articles; typos ``I--ORG`` and ``OO`` repaired
Wojood sample  news/web  nested layers flattened to the outermost ``PERS``/``ORG``/``LOC``
                         (``GPE`` and ``LOC`` → ``LOC``); the other 17 classes → ``O``
IDRISI         tweet     BILOU location subtypes (``CTRY CITY PROV DIST ST NBHD HPOI NPOI
                         OTHR``) → ``LOC`` in BIO; labels ``LOC`` only
=============  ========  ===================================================================

Parsing is pure (lines in, sentences out); the ``read_*`` functions only open the files.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..actors.conll import read_tagged_conll

#: A sentence as two lists: its tokens and their BIO tags (what the trainer reads).
TokensTags = tuple[list[str], list[str]]

__all__ = [
    "AQMAR_HELD_OUT",
    "Labelled",
    "aqmar_tag",
    "bilou_to_bio",
    "parse_columns",
    "read_anercorp",
    "read_aqmar",
    "read_idrisi",
    "read_wojood",
    "wojood_tag",
]

Sentence = list[tuple[str, str]]
ALL_TYPES = frozenset(("PERS", "ORG", "LOC", "MISC"))


@dataclass(frozen=True, slots=True)
class Labelled:
    """One labelled set: its sentences (BIO over ``PERS ORG LOC MISC``), the types it labels, its
    register and licence (a model learned from it carries them in its card)."""

    name: str
    domain: str
    sentences: tuple[tuple[tuple[str, str], ...], ...]
    labels: frozenset[str]
    licence: str

    @property
    def tokens(self) -> int:
        return sum(len(s) for s in self.sentences)

    def pairs(self) -> list[tuple[list[str], list[str]]]:
        """The sentences as ``(tokens, tags)``, as the trainer takes them."""
        return [([t for t, _ in s], [g for _, g in s]) for s in self.sentences]


def parse_columns(lines: Iterable[str], sep: str | None = None) -> Iterator[list[list[str]]]:
    """Sentences of a column file: each line split on ``sep`` (any whitespace for ``None``) into
    the token and its tag columns; blank lines end sentences."""
    sentence: list[list[str]] = []
    for line in lines:
        cols = line.rstrip("\r\n").split(sep)
        if not line.strip():
            if sentence:
                yield sentence
            sentence = []
            continue
        sentence.append(cols)
    if sentence:
        yield sentence


def _bio(prefix: str, typ: str | None) -> str:
    return "O" if typ is None or prefix not in ("B", "I") else f"{prefix}-{typ}"


_AQMAR = {"PER": "PERS", "PERS": "PERS", "ORG": "ORG", "LOC": "LOC"}


def aqmar_tag(tag: str) -> str:
    """An AQMAR tag on ANERcorp's set: ``B-PER`` → ``B-PERS``, ``I--ORG`` → ``I-ORG``, the
    article-specific ``MIS*`` classes and anything unreadable (``OO``, ``inventory``) → ``O``."""
    tag = tag.strip()
    if "-" not in tag:
        return "O"
    prefix, _, typ = tag.partition("-")
    return _bio(prefix, _AQMAR.get(typ.lstrip("-")))


_WOJOOD = {"PERS": "PERS", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC"}


def wojood_tag(layers: Iterable[str]) -> str:
    """A Wojood token's nested tags (outermost first) as one tag: the outermost ``PERS``, ``ORG``
    or ``GPE``/``LOC`` (``I-ORG B-PERS`` → ``I-ORG``: «الأسد» inside an organisation's name)."""
    for tag in layers:
        prefix, _, typ = tag.partition("-")
        if typ in _WOJOOD and prefix in ("B", "I"):
            return f"{prefix}-{_WOJOOD[typ]}"
    return "O"


def bilou_to_bio(tags: list[str], typ: str = "LOC") -> list[str]:
    """IDRISI's BILOU tags as BIO of one type: ``U``/``B`` open (``B-LOC``), ``I``/``L``
    continue (``I-LOC``), anything else is ``O``."""
    out = []
    for tag in tags:
        prefix = tag.split("-", 1)[0] if "-" in tag else "O"
        out.append(f"B-{typ}" if prefix in ("B", "U") else f"I-{typ}" if prefix in ("I", "L") else "O")
    return out


def _read(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def read_anercorp(path: Path) -> Labelled:
    """ANERcorp's training portion, as the tagger's trainer reads it (:func:`.conll.read_tagged_conll`:
    ``token<TAB>tag``, a bad line named)."""
    sents = tuple(tuple(zip(toks, tags)) for toks, tags in read_tagged_conll(_read(path)))
    return Labelled("anercorp", "news", sents, ALL_TYPES, "CC BY-SA 4.0")


#: The AQMAR articles held out to measure a tagger on Wikipedia (a tenth of its tokens: one on
#: technology, one on history and buildings, one on sport); a model measured on them never
#: trains on them, nor lists their names.
AQMAR_HELD_OUT = ("Computer_Software", "Ibn_Tolun_Mosque", "Real_Madrid")


def read_aqmar(directory: Path, held_out: bool | None = None) -> Labelled:
    """AQMAR's 28 articles (``token tag``; ``SOURCE.txt`` and other notes skipped): all of them,
    only the :data:`AQMAR_HELD_OUT` ones (``held_out=True``) or all but those (``False``)."""
    sents: list[tuple[tuple[str, str], ...]] = []
    for path in sorted(directory.glob("*.txt")):
        if path.name.upper().startswith(("SOURCE", "README", "LICENSE")):
            continue
        if held_out is not None and (path.stem in AQMAR_HELD_OUT) != held_out:
            continue
        for s in parse_columns(_read(path)):
            sents.append(tuple((c[0], aqmar_tag(c[1]) if len(c) > 1 else "O") for c in s))
    return Labelled("aqmar", "wiki", tuple(sents), frozenset(("PERS", "ORG", "LOC")), "CC BY-SA 3.0")


def read_wojood(path: Path) -> Labelled:
    """One part of the Wojood sample (``token tag [tag ...]``, outermost layer first)."""
    sents = tuple(tuple((c[0], wojood_tag(c[1:])) for c in s) for s in parse_columns(_read(path), " "))
    return Labelled("wojood", "news", sents, frozenset(("PERS", "ORG", "LOC")), "MIT")


def read_idrisi(directory: Path, part: str = "train") -> Labelled:
    """IDRISI's location mentions in tweets, every event's ``part`` file (``token tag``, BILOU):
    it labels locations only."""
    sents: list[tuple[tuple[str, str], ...]] = []
    for path in sorted(directory.glob(f"*/{part}.txt")):
        for s in parse_columns(_read(path)):
            tokens = [c[0] for c in s]
            tags = bilou_to_bio([c[1] if len(c) > 1 else "O" for c in s])
            sents.append(tuple(zip(tokens, tags)))
    return Labelled("idrisi", "tweet", tuple(sents), frozenset(("LOC",)), "CC BY 4.0")
