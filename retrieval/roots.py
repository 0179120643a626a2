"""Arabic roots without a root dictionary: the ISRI stemmer, for words already normalized.

Light stems (:mod:`retrieval.normalize`) join ``الاجتماع`` and ``اجتماع`` but not ``اجتماع``,
``اجتمع`` and ``المجتمعون``; roots join them (``جمع``), as they join ``هاجم``/``هجوم``,
``صرح``/``تصريح``, ``تشكيل``/``يتشكل``, ``مقاتلين``/``قاتلوا``. Evidence counts a question word
found only by its root as a weaker match (:mod:`retrieval.evidence`, ``cov_root``).

The algorithm is Taghva, Elkoury and Coombs (2005), "Arabic Stemming without a Root Dictionary"
(ITCC 2005), as NLTK implements it (``nltk.stem.isri.ISRIStemmer``, Apache License 2.0, with its
three changes: 60 stop words, the ``تفاعيل`` pattern, no hamza folding). This is a port, not a
dependency, for two reasons measured here: ``import nltk`` takes 1.7 s, three times a whole
fresh ``sanad ask``, and Sanad's words reach it normalized (``ة`` is ``ه``, ``ى`` is ``ي``), so
a final ``ه`` is read as the ``ة`` the patterns test. tests/test_roots.py checks it against NLTK's
stemmer word for word on real text. Of 18 pairs of related words listed in issue #23, ISRI joined
14 (Tashaphyne's root extractor 13, at a seventh of the speed).
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["root"]

_TA = "ة"  # a normalized word's final ه is read as ة (see root)

_P3 = ("كال", "بال", "ولل", "وال")
_P2 = ("ال", "لل")
_P1 = "لبفسويتنا"
_S3 = ("تمل", "همل", "تان", "تين", "كمل")
_S2 = ("ون", "ات", "ان", "ين", "تن", "كم", "هن", "نا", "يا", "ها", "تم", "كن", "ني", "وا", "ما", "هم")
_S1 = "ةهيكتان"

#: NLTK's stop words as NLTK writes them (never stemmed); those spelt with a hamza or ``ى`` never
#: meet a normalized word, as in NLTK when given normalized text.
_STOP = frozenset(
    """يكون وليس وكان كذلك التي وبين عليها مساء الذي وكانت ولكن والتي تكون اليوم اللذين عليه كانت
    لذلك أمام هناك منها مازال لازال لايزال مايزال اصبح أصبح أمسى امسى أضحى اضحى مابرح مافتئ ماانفك
    لاسيما ولايزال الحالي اليها الذين فانه والذي وهذا لهذا فكان ستكون اليه يمكن بهذا الذى""".split()
)


@lru_cache(maxsize=1 << 18)
def root(word: str) -> str:
    """The ISRI root of a normalized word (:func:`~retrieval.normalize.normalize_token`): usually
    three letters (``المجتمعون`` -> ``جمع``), four for quadriliteral patterns; a word no pattern
    fits comes back with its affixes stripped."""
    if word in _STOP:
        return word
    # normalize_token writes ة as ه: a final ه is read as ة (the feminine ending ISRI's patterns
    # test; a pronoun ه is stripped as a suffix either way), and the root written back with ه.
    return _root(word[:-1] + _TA if word.endswith("ه") else word).replace(_TA, "ه")


def _root(word: str) -> str:
    w = _pre32(word)
    w = _suf32(w)
    if len(w) >= 4 and w[:2] == "وو":
        w = w[1:]
    n = len(w)
    if n == 4:
        return _w4(w)
    if n == 5:
        return _end5(_w53(w))
    if n == 6:
        return _end6(_w6(w))
    if n == 7:
        w = _suf1(w)
        if len(w) == 7:
            w = _pre1(w)
        if len(w) == 6:
            return _end6(_w6(w))
    return w


def _pre32(w: str) -> str:
    if len(w) >= 6:
        for p in _P3:
            if w.startswith(p):
                return w[3:]
    if len(w) >= 5:
        for p in _P2:
            if w.startswith(p):
                return w[2:]
    return w


def _suf32(w: str) -> str:
    if len(w) >= 6:
        for s in _S3:
            if w.endswith(s):
                return w[:-3]
    if len(w) >= 5:
        for s in _S2:
            if w.endswith(s):
                return w[:-2]
    return w


def _suf1(w: str) -> str:
    return w[:-1] if w and w[-1] in _S1 else w


def _pre1(w: str) -> str:
    return w[1:] if w and w[0] in _P1 else w


def _w4(w: str) -> str:
    """Four letters to a three-letter root: مفعل فاعل فعال فعول فعيل فعلة."""
    if w[0] == "م":
        return w[1:]
    if w[1] == "ا":
        return w[:1] + w[2:]
    if w[2] in "اوي":
        return w[:2] + w[3]
    if w[3] == _TA:
        return w[:-1]
    w = _suf1(w)
    return _pre1(w) if len(w) == 4 else w


def _w53(w: str) -> str:
    """Five letters to a three-letter root (افتعل مفعول مفعلة مفتعل مفاعل فعولة انفعل افعال فعلان
    تفعيل فاعول فواعل فعائل فاعلة فعالي)."""
    if w[2] in "ات" and w[0] == "ا":
        return w[1] + w[3:]
    if w[3] in "ايو" and w[0] == "م":
        return w[1:3] + w[4]
    if w[0] in "اتم" and w[4] == _TA:
        return w[1:4]
    if w[0] in "ميت" and w[2] == "ت":
        return w[1] + w[3:]
    if w[0] in "مت" and w[2] == "ا":
        return w[1] + w[3:]
    if w[2] in "او" and w[4] == _TA:
        return w[:2] + w[3]
    if w[0] in "ام" and w[1] == "ن":
        return w[2:]
    if w[3] == "ا" and w[0] == "ا":
        return w[1:3] + w[4]
    if w[4] == "ن" and w[3] == "ا":
        return w[:3]
    if w[3] == "ي" and w[0] == "ت":
        return w[1:3] + w[4]
    if w[3] == "و" and w[1] == "ا":
        return w[0] + w[2] + w[4]
    if w[2] == "ا" and w[1] == "و":
        return w[0] + w[3:]
    if w[3] == "ئ" and w[2] == "ا":
        return w[:2] + w[4]
    if w[4] == _TA and w[1] == "ا":
        return w[0] + w[2:4]
    if w[4] == "ي" and w[2] == "ا":
        return w[:2] + w[3]
    w = _suf1(w)
    return _pre1(w) if len(w) == 5 else w


def _w54(w: str) -> str:
    """Five letters to a four-letter root: تفعلل افعلل مفعلل فعللة فعالل."""
    if w[0] in "اتم":
        return w[1:]
    if w[4] == _TA:
        return w[:4]
    if w[2] == "ا":
        return w[:2] + w[3:]
    return w


def _end5(w: str) -> str:
    if len(w) == 4:
        return _w4(w)
    if len(w) == 5:
        return _w54(w)
    return w


def _w6(w: str) -> str:
    """Six letters to a three-letter root: استفعل مستفعل مفعالة افتعال افعوعل تفاعيل."""
    if w.startswith(("است", "مست")):
        return w[3:]
    if w[0] == "م" and w[3] == "ا" and w[5] == _TA:
        return w[1:3] + w[4]
    if w[0] == "ا" and w[2] == "ت" and w[4] == "ا":
        return w[1] + w[3] + w[5]
    if w[0] == "ا" and w[3] == "و" and w[2] == w[4]:
        return w[1] + w[4:]
    if w[0] == "ت" and w[2] == "ا" and w[4] == "ي":
        return w[1] + w[3] + w[5]
    w = _suf1(w)
    return _pre1(w) if len(w) == 6 else w


def _end6(w: str) -> str:
    if len(w) == 5:
        return _end5(_w53(w))
    if len(w) == 6:
        if w[0] == "ا" and w[4] == "ا":  # افعلال
            return w[1:4] + w[5]
        if w.startswith("مت"):  # متفعلل
            return w[2:]
    return w
