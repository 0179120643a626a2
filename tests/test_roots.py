"""retrieval/roots.py against its reference, NLTK's ISRI stemmer, on the default articles' words."""

from __future__ import annotations

import pytest

from retrieval.corpus import load_default_corpus
from retrieval.normalize import normalize_token, tokenize
from retrieval.roots import root

isri = pytest.importorskip("nltk.stem.isri")


def _reference_form(surface: str) -> str:
    """The word as NLTK's stemmer expects it: normalized like Sanad's words, but with its ``ة``
    kept (Sanad's ``ه`` stands for both, and tests both where ISRI tests ``ة``)."""
    word = normalize_token(surface)
    return word[:-1] + "ة" if surface.endswith("ة") else word


def test_roots_equal_nltk_isri_word_for_word_on_real_text() -> None:
    stemmer = isri.ISRIStemmer()
    words = {t.surface for a in load_default_corpus() for t in tokenize(a.text)}
    # A final ه that is a pronoun (كتابه) is read as ة by Sanad's port: compare the others.
    arabic = sorted(w for w in words if w.isalpha() and not w.isascii() and not w.endswith("ه"))
    assert len(arabic) > 900
    differ = [(w, normalize_token(stemmer.stem(_reference_form(w))), root(normalize_token(w))) for w in arabic]
    differ = [d for d in differ if d[1] != d[2]]
    assert not differ, differ[:10]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("المجتمعون", "الاجتماع"),  # issue #23: a shared root, not a shared stem
        ("تشكيل", "يتشكل"),
        ("قتل", "مقتل"),
        ("هاجم", "هجوم"),
        ("صرح", "تصريح"),
        ("مقاتلين", "قاتلوا"),
        ("انسحاب", "انسحبت"),
    ],
)
def test_related_words_share_a_root(a: str, b: str) -> None:
    assert root(normalize_token(a)) == root(normalize_token(b))


def test_unrelated_words_do_not() -> None:
    assert root(normalize_token("الاجتماع")) != root(normalize_token("الانتخابات"))
    assert root(normalize_token("منطقة")) == "نطق"  # ة (written ه) read as the feminine ending
