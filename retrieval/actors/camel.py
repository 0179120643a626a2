"""camel-tools NER backend: CAMeL Lab's AraBERT tagger, used when its data is installed.

Users with internet install it with ``camel_data -i ner-arabert``; the model lands in
``$CAMELTOOLS_DATA/data/ner/arabert`` (``CAMELTOOLS_DATA`` defaults to ``~/.camel_tools``).
Importing ``camel_tools.ner`` loads camel's data catalogue and *downloads* it when it is missing,
so this module imports it only once the model directory exists, and every failure is reported
as :class:`~retrieval.errors.ModelLoadError` for the caller to fall back on the shipped model.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ModelLoadError

__all__ = ["CamelTagger", "camel_data_dir", "camel_ner_path"]


def camel_data_dir() -> Path:
    """Where camel-tools keeps its data (``$CAMELTOOLS_DATA`` or ``~/.camel_tools``)."""
    return Path(os.environ.get("CAMELTOOLS_DATA") or Path.home() / ".camel_tools").expanduser()


def camel_ner_path() -> Path | None:
    """The installed ``ner-arabert`` model directory, or ``None`` when it is not installed."""
    path = camel_data_dir() / "data" / "ner" / "arabert"
    return path if (path / "config.json").is_file() else None


class CamelTagger:
    """BIO tags (``B-PERS``, ``I-ORG``, ``B-LOC``, ``B-MISC``, ``O``) from camel-tools' NERecognizer."""

    name = "camel"

    def __init__(self, model_path: Path | str | None = None) -> None:
        path = Path(model_path) if model_path is not None else camel_ner_path()
        if path is None or not (path / "config.json").is_file():
            raise ModelLoadError(
                f"camel-tools NER data not found in {camel_data_dir() / 'data' / 'ner' / 'arabert'}: "
                "install it with `camel_data -i ner-arabert` (needs internet), or use SANAD_ACTORS_BACKEND=model"
            )
        try:
            from camel_tools.ner import NERecognizer
        except ImportError as e:  # Sanad's own install leaves camel-tools, PyTorch and transformers out
            raise ModelLoadError(
                f"camel-tools NER needs camel-tools with PyTorch and transformers, not installed here "
                f"(no module {e.name or e}): pip install 'sanad[camel]' (./dev.sh setup --camel), "
                "or use SANAD_ACTORS_BACKEND=model"
            ) from e
        try:
            self._ner = NERecognizer(str(path), use_gpu=False)
        except Exception as e:  # camel/transformers raise many kinds; all mean "cannot use it"
            raise ModelLoadError(
                f"camel-tools NER model at {path} cannot be loaded ({type(e).__name__}: {e}); "
                "reinstall it with `camel_data -i ner-arabert`, or use SANAD_ACTORS_BACKEND=model"
            ) from e
        self.path = path

    def tag_sentences(self, sentences: list[list[str]]) -> list[list[str]]:
        """Tags for each sentence (lists of tokens); empty sentences get empty tag lists."""
        todo = [(i, s) for i, s in enumerate(sentences) if s]
        out: list[list[str]] = [[] for _ in sentences]
        if todo:
            for (i, sent), tags in zip(todo, self._ner.predict([s for _, s in todo])):
                # Words the BERT tokenizer truncates (over 256 pieces) come back untagged: O.
                out[i] = list(tags) + ["O"] * (len(sent) - len(tags))
        return out
