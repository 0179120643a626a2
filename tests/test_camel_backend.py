"""The camel-tools NER backend, run for real on a tiny random BERT that the test saves itself.

camel-tools' ``ner-arabert`` data (540 MB) cannot be downloaded here, so the test builds a
one-layer BertForTokenClassification with camel's label set and an Arabic word-piece vocabulary,
lays it out like ``camel_data -i ner-arabert`` would (with a catalogue, so importing
``camel_tools.ner`` does not try to download one), and runs Sanad's loading and prediction code
in a fresh interpreter with ``CAMELTOOLS_DATA`` pointing there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow]

LABELS = ["B-LOC", "B-ORG", "B-PERS", "B-MISC", "I-LOC", "I-ORG", "I-PERS", "I-MISC", "O"]
WORDS = "قال المبعوث الدولي مارتن كوبلر إنه التقى خليفة حفتر في القاهرة ليبيا".split()


def _tiny_camel_install(root: Path) -> Path:
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("torch")
    model_dir = root / "data" / "ner" / "arabert"
    model_dir.mkdir(parents=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, "##ة", "##ا"]
    (model_dir / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    config = transformers.BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=512,
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)},
    )
    transformers.BertForTokenClassification(config).save_pretrained(model_dir)
    transformers.BertTokenizer(str(model_dir / "vocab.txt"), do_lower_case=False).save_pretrained(model_dir)
    (root / "catalogue.json").write_text(json.dumps({"version": "1.6", "packages": {}, "components": {}}))
    return model_dir


def _run(code: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "CAMELTOOLS_DATA": str(data_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def camel_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("camel")
    _tiny_camel_install(root)
    return root


def test_camel_tagger_loads_and_tags_with_a_tiny_model(camel_home: Path) -> None:
    code = (
        "import json\n"
        "from retrieval.actors.camel import CamelTagger, camel_ner_path\n"
        "t = CamelTagger()\n"
        f"print(json.dumps({{'path': str(camel_ner_path()), 'tags': t.tag_sentences([{WORDS!r}, [], ['ليبيا']])}}))\n"
    )
    out = _run(code, camel_home)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["path"].endswith("data/ner/arabert")
    tags = result["tags"]
    assert [len(t) for t in tags] == [len(WORDS), 0, 1]
    assert all(tag in LABELS for sent in tags for tag in sent)


def test_missing_or_broken_camel_data_is_a_clear_model_error(tmp_path: Path) -> None:
    code = (
        "from retrieval.actors.camel import CamelTagger\n"
        "from retrieval.errors import ModelLoadError\n"
        "try:\n    CamelTagger()\nexcept ModelLoadError as e:\n    print('ERR', e)\n"
    )
    out = _run(code, tmp_path)
    assert "ERR camel-tools NER data not found" in out.stdout and "camel_data -i ner-arabert" in out.stdout
    broken = tmp_path / "data" / "ner" / "arabert"
    broken.mkdir(parents=True)
    (broken / "config.json").write_text("{not json")
    (tmp_path / "catalogue.json").write_text(json.dumps({"version": "1.6", "packages": {}, "components": {}}))
    out = _run(code, tmp_path)
    assert "ERR camel-tools NER model at" in out.stdout and "cannot be loaded" in out.stdout, out.stderr[-2000:]
