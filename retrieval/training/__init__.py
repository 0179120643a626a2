"""What Sanad learns, one module per learned part, each retrained by one deterministic command:
``sanad train NAME`` (from a checkout, with ``./dev.sh setup --train``: training reads
``../shared`` and our own questions in ``bench/questions``).

=============  =========================================  =====================================
NAME           artifacts (package data)                    card
=============  =========================================  =====================================
answerability  retrieval/data/answerability.json           retrieval/data/answerability.md
spans          retrieval/data/spans.json                   retrieval/data/spans.md
ner            retrieval/actors/data/ner-crf.{crfsuite,json} retrieval/actors/data/NER-MODEL.md
neural         retrieval/actors/data/neural.{npz,json}     retrieval/actors/data/neural.md
gazetteer      retrieval/actors/data/gazetteer.tsv         retrieval/actors/data/README.md
=============  =========================================  =====================================

Each card ends with its artifacts' sizes and SHA-256, written by :func:`stamp` after training; a
test checks every shipped artifact against its card. The runtime never imports this package
(a test enforces it); PyTorch, scikit-learn and SciPy are the ``train`` extra.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TRAINERS", "Trainer", "card_checksums", "run", "stamp", "write_section"]

PACKAGE = Path(__file__).resolve().parents[1]  # retrieval/


@dataclass(frozen=True)
class Trainer:
    """A learned part: its training module (``main(argv) -> int``), its artifacts and its card."""

    module: str
    artifacts: tuple[str, ...]  # paths under retrieval/
    card: str

    def paths(self) -> list[Path]:
        return [PACKAGE / a for a in self.artifacts]


TRAINERS: dict[str, Trainer] = {
    "answerability": Trainer("answerability", ("data/answerability.json",), "data/answerability.md"),
    "spans": Trainer("spans", ("data/spans.json",), "data/spans.md"),
    "ner": Trainer("ner", ("actors/data/ner-crf.crfsuite", "actors/data/ner-crf.json"), "actors/data/NER-MODEL.md"),
    "neural": Trainer("neural", ("actors/data/neural.npz", "actors/data/neural.json"), "actors/data/neural.md"),
    "gazetteer": Trainer("gazetteer", ("actors/data/gazetteer.tsv",), "actors/data/README.md"),
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_section(card: Path, key: str, block: str) -> None:
    """Write (or replace) the generated section ``key`` of a card: ``block`` between the markers
    ``<!-- KEY: written by sanad train, do not edit -->`` and ``<!-- /KEY -->``."""
    begin, end = f"<!-- {key}: written by sanad train, do not edit -->", f"<!-- /{key} -->"
    block = f"{begin}\n{block}\n{end}"
    text = card.read_text(encoding="utf-8") if card.exists() else f"# {card.stem}\n"
    if begin in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    card.write_text(text, encoding="utf-8")


def stamp(name: str) -> None:
    """Write (or replace) the artifacts table at the end of ``name``'s card: file, bytes, SHA-256."""
    t = TRAINERS[name]
    rows = [f"| `{a}` | {p.stat().st_size:,} | `{_sha256(p)}` |" for a, p in zip(t.artifacts, t.paths(), strict=True)]
    block = "\n".join(["## Artifacts", "", f"Written by `sanad train {name}`.", "",
                       "| file (under `retrieval/`) | bytes | SHA-256 |", "|---|---:|---|", *rows])  # fmt: skip
    write_section(PACKAGE / t.card, "artifacts", block)


def card_checksums(name: str) -> dict[str, str]:
    """``{artifact: SHA-256}`` as ``name``'s card states them."""
    text = (PACKAGE / TRAINERS[name].card).read_text(encoding="utf-8")
    return dict(re.findall(r"^\| `([^`]+)` \| [\d,]+ \| `([0-9a-f]{64})` \|$", text, flags=re.M))


def run(name: str, argv: list[str], check: bool = False) -> int:
    """``sanad train NAME ARGS``: train, then stamp the card (when the shipped artifacts were written).

    ``check``: train into a temporary directory instead and compare with the shipped artifacts,
    byte for byte; 0 when every one is identical, 1 (naming what differs) otherwise."""
    if name not in TRAINERS:
        raise SystemExit(f"sanad train: unknown part {name!r}: {', '.join(TRAINERS)}")
    main = importlib.import_module(f"{__name__}.{TRAINERS[name].module}").main
    if check:
        return _check(name, main, argv)
    code = main(argv)
    if not code and "--out" not in argv and all(p.exists() for p in TRAINERS[name].paths()):
        stamp(name)
    return int(code or 0)


def _check(name: str, main, argv: list[str]) -> int:  # type: ignore[no-untyped-def]
    import sys
    import tempfile

    if "--out" in argv:
        raise SystemExit("sanad train --check: it writes to a temporary directory; leave out --out")
    t = TRAINERS[name]
    with tempfile.TemporaryDirectory(prefix=f"sanad-check-{name}-") as tmp:
        code = main([*argv, "--out", str(Path(tmp) / Path(t.artifacts[0]).name)])
        if code:
            return int(code)
        differ = []
        for artifact, shipped in zip(t.artifacts, t.paths(), strict=True):
            built = Path(tmp) / Path(artifact).name
            same = built.exists() and shipped.exists() and built.read_bytes() == shipped.read_bytes()
            print(f"{'identical' if same else 'DIFFERS'}: {artifact}", file=sys.stderr)
            if not same:
                differ.append(artifact)
    if differ:
        print(f"sanad train {name}: {len(differ)} artifact(s) differ from the shipped ones: retrain with "
              f"`sanad train {name}` and commit them with their card", file=sys.stderr)  # fmt: skip
        return 1
    return 0
