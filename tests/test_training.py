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
