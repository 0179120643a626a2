"""What Sanad learns (retrieval/training): every shipped artifact is the one its card names, and the
runtime never imports the training code."""

from __future__ import annotations

import hashlib

from test_layers import _imports

from retrieval.training import PACKAGE, TRAINERS, card_checksums


def test_every_shipped_artifact_matches_its_cards_checksum() -> None:
    for name, trainer in TRAINERS.items():
        stated = card_checksums(name)
        assert set(stated) == set(trainer.artifacts), f"{trainer.card}: run `sanad train {name}`"
        for artifact, sha in stated.items():
            got = hashlib.sha256((PACKAGE / artifact).read_bytes()).hexdigest()
            assert got == sha, f"{artifact} is not the file its card names: retrain with `sanad train {name}`"


def test_the_runtime_never_imports_training_code() -> None:
    runtime = [
        (f, n, m) for package in ("retrieval", "bot") for f, n, m, _ in _imports(package)
        if not f.startswith("retrieval/training/") and (m == "retrieval.training" or m.startswith("retrieval.training."))
    ]  # fmt: skip
    assert runtime == []


def test_a_cards_generated_section_is_replaced_and_the_rest_kept(tmp_path) -> None:
    from retrieval.training import write_section

    card = tmp_path / "card.md"
    card.write_text("# Model\n\nHand-written.\n", encoding="utf-8")
    write_section(card, "figures", "| a |\n|---|\n| 1 |")
    write_section(card, "artifacts", "table")
    write_section(card, "figures", "| a |\n|---|\n| 2 |")
    text = card.read_text(encoding="utf-8")
    assert text.startswith("# Model\n\nHand-written.\n") and "| 2 |" in text and "| 1 |" not in text
    assert text.index("| 2 |") < text.index("table") and text.count("<!-- /figures -->") == 1
