"""What a CRF tagger is trained on (``sanad train ner``): a :class:`Recipe` (the other labelled sets
trained on as sentences, the outside lists read as features, the document block), the labelled
sets read for it, and the sentences, domains and lists a recipe assembles; :func:`ablations`
takes one source away at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..actors.conll import DOC_SENTENCES
from ..actors.features import FEATURE_GROUPS, Lists
from .ner_corpora import Labelled
from .ner_corpora import TokensTags as Sentence

__all__ = [
    "DOMAINS",
    "NEWS",
    "RECIPE",
    "SETS",
    "Recipe",
    "ablations",
    "assemble",
    "labelled_sets",
]


#: The register Sanad tags; sentences of other registers train extra, domain-marked copies of
#: their features (:func:`domain_copies`), which tagging never computes.
NEWS = "news"


@dataclass(frozen=True)
class Recipe:
    """What a model is trained on besides ANERcorp, and how (:data:`RECIPE` is the shipped one).

    * ``extra``: labelled sets trained on beside ANERcorp (``aqmar``, ``wojood``, ``idrisi``), each
      with domain copies of its features (:func:`domain_copies`);
    * ``lists``: outside lists read as features (``names``: Wikidata person names; ``places``:
      country and city names; ``sets``: entity words of the labelled sets *not* trained on);
    * ``doc_block``: document features over runs of this many sentences (0: none).
    """

    extra: tuple[str, ...] = ("aqmar",)
    lists: tuple[str, ...] = ("names", "places", "sets")
    doc_block: int = DOC_SENTENCES

    @property
    def groups(self) -> list[str]:
        base = [g for g in FEATURE_GROUPS if g not in ("names", "lists", "document")]
        return (
            base
            + (["names"] if "names" in self.lists else [])
            + (["lists"] if {"places", "sets"} & set(self.lists) else [])
            + (["document"] if self.doc_block else [])
        )

    def label(self) -> str:
        return f"extra={'+'.join(self.extra) or '-'} lists={'+'.join(self.lists) or '-'} doc={self.doc_block}"


#: The shipped recipe, chosen on the ANERcorp dev tenth (``--ablate`` prints each part's share).
RECIPE = Recipe()


#: The registers of the labelled sets (ANERcorp and Wojood are news).
DOMAINS = {"anercorp": NEWS, "aqmar": "wiki", "wojood": "wojood", "idrisi": "tweet"}


#: The labelled sets besides ANERcorp, by name (:mod:`.corpora`).
SETS = ("aqmar", "wojood", "idrisi")


def _joined(parts: Sequence[Labelled]) -> Labelled:
    """The parts of one set (Wojood's train/val/test, IDRISI's train/dev) as one."""
    first = parts[0]
    return replace(first, sentences=tuple(s for p in parts for s in p.sentences))


def labelled_sets(ner_dir: Path, measuring: bool) -> dict[str, Labelled]:
    """The other labelled sets (:data:`SETS`); ``measuring``: AQMAR without its held-out articles
    (:data:`.corpora.AQMAR_HELD_OUT`). Wojood's three parts and IDRISI's two are all used: neither
    is a measure here."""
    from . import ner_corpora as corpora

    try:
        return {
            "aqmar": corpora.read_aqmar(ner_dir / "aqmar", held_out=False if measuring else None),
            "wojood": _joined([corpora.read_wojood(ner_dir / "wojood-sample" / f"{part}.txt") for part in ("train", "val", "test")]),
            "idrisi": _joined([corpora.read_idrisi(ner_dir / "idrisi-locations" / "gold-random-bilou", part) for part in ("train", "dev")]),
        }  # fmt: skip
    except OSError as e:
        raise SystemExit(
            f"cannot read the NER sets in {ner_dir}: {e}. Point --ner-dir at them, or train on ANERcorp "
            "alone with --extra '' --lists ''"
        ) from e


def assemble(
    recipe: Recipe,
    anercorp: Sequence[Sentence],
    others: dict[str, Labelled],
    ner_dir: Path,
) -> tuple[list[Sentence], list[str], Lists]:
    """``(sentences, domains, lists)`` a model of ``recipe`` trains on. A set that does not label
    people and organisations (IDRISI) lends only its entity words to the lists: its ``O`` is no
    evidence against them."""
    from .namelists import build_lists

    sents, domains = list(anercorp), [NEWS] * len(anercorp)
    for name in recipe.extra:
        pairs = others[name].pairs()
        sents += pairs
        domains += [DOMAINS[name]] * len(pairs)
    unused = (
        [
            (others[k].pairs(), not {"PERS", "ORG"} <= others[k].labels)
            for k in sorted(others)
            if k not in recipe.extra
        ]
        if "sets" in recipe.lists
        else []
    )
    names = (
        ner_dir / "person-names" / "wd_arabic.normalized.aligned.tokens"
        if "names" in recipe.lists
        else None
    )
    try:
        return sents, domains, build_lists(names, "places" in recipe.lists, unused)
    except OSError as e:
        raise SystemExit(
            f"cannot read the person-name list {names}: {e}. Point --ner-dir at it, or leave "
            "names out of --lists"
        ) from e


#: The recipes ``--ablate`` compares with the shipped one: each list and the document features
#: taken away, each other labelled set added.
def ablations(recipe: Recipe) -> list[tuple[str, Recipe]]:
    out = [("shipped", recipe)]
    for lst in recipe.lists:
        out.append(
            (
                f"without {lst}",
                replace(recipe, lists=tuple(x for x in recipe.lists if x != lst)),
            )
        )
    if recipe.doc_block:
        out.append(("without document features", replace(recipe, doc_block=0)))
    for name in SETS:
        if name in recipe.extra:
            out.append(
                (
                    f"without training on {name}",
                    replace(recipe, extra=tuple(x for x in recipe.extra if x != name)),
                )
            )
        else:
            out.append(
                (
                    f"also training on {name}",
                    replace(recipe, extra=(*recipe.extra, name)),
                )
            )
    out.append(("ANERcorp alone, no lists, no document features", Recipe((), (), 0)))
    return out
