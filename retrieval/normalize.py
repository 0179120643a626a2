"""One analysis chain for index and query: Arabic text -> normalized, stemmed terms with offsets.

Steps, in order (each step is a pure function below):

1. ``tokenize``: word runs of the *original* text, with character offsets, so every term maps
   back to the exact source characters (quotes are shown verbatim, highlights use offsets).
2. ``normalize_token``: Unicode NFKC, diacritics (also inside words: ``مقُتل``), tatweel,
   alef variants ``أ إ آ ٱ -> ا``, ``ى -> ي``, ``ة -> ه``, Eastern Arabic digits -> ASCII,
   Latin lowercase.
3. stopwords and question words are dropped (``من ما ماذا كم أين متى لماذا هل`` ...).
4. ``Analyzer.stem``: clitics and light suffixes. The definite article family
   (``ال وال بال كال فال لل``) is stripped by rule, as in Lucene's light stemmer (Larkey et
   al., 2007). Single-letter proclitics ``و ف ب ل ك`` are stripped only when the remainder is
   *attested* in the corpus lexicon: ``لحفتر -> حفتر`` because ``حفتر`` occurs, while
   ``بنغازي`` stays whole because ``نغازي`` never does; likewise ``لليبيا`` is ``ل + ليبيا``,
   not ``لل + يبيا``. Suffixes are then stripped lightly (``ها ات ون ين يه ه ي``), never below
   two letters, and a teh marbuta written ``ت`` before a pronoun goes with the pronoun
   (``مساحتها``, ``مساحة`` -> ``مساح``).

The lexicon is built from the corpus (``build_lexicon``) and saved with the index, so the
query sees exactly the analysis the index saw.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

from .charsets import (
    ALEF,
    ALEF_VARIANTS_RE,
    ARTICLE_PREFIXES,
    CONJUNCTION_PROCLITICS,
    DIACRITICS_CHARSET,
    DIGITS_TO_ASCII,
    FATHATAN,
    LETTER_FOLDS,
    PROCLITICS,
    TATWEEL_RE,
    WORD_RE,
)
from .questions import INDEXED_QUESTION_WORDS

__all__ = [
    "ANALYZER_VERSION",
    "CACHE_SIZE",
    "QUERY_PROCLITICS",
    "STOPWORDS",
    "WORD_RE",
    "Analyzer",
    "Term",
    "Token",
    "bare_word",
    "build_lexicon",
    "normalize_token",
    "strip_article",
    "tokenize",
]

#: Bump when the chain changes: saved indexes record it and are rejected when it differs.
ANALYZER_VERSION = 5

#: Cached analyses per analyzer (word runs -> term, and -> pieces) stop growing at this size.
CACHE_SIZE = 500_000
# The alef that carries a tanween fatha is a seat, not a letter of the word: عموداً -> عمود.
_TANWEEN_ALEF_RE = re.compile(f"(?:{FATHATAN}{ALEF}|{ALEF}{FATHATAN})$")
_CHARMAP = str.maketrans(LETTER_FOLDS)
# camel_tools' ``normalize_unicode`` and ``dediac_ar``, character for character (tests/test_normalize.py
# compares them): importing its charsets module costs 0.7 s, every Unicode category built at import.
_UNICODE_FIX = str.maketrans({"\ufdfc": "ريال", "\ufdfd": "بسم الله الرحمن الرحيم"})
_DEDIAC = str.maketrans(dict.fromkeys(DIACRITICS_CHARSET))


def normalize_unicode(s: str) -> str:
    """camel_tools' ``normalize_unicode``: ﷼ and ﷽ spelled out, then NFKC."""
    return unicodedata.normalize("NFKC", s.translate(_UNICODE_FIX))


def dediac_ar(s: str) -> str:
    """camel_tools' ``dediac_ar``: the diacritics of :data:`~retrieval.charsets.DIACRITICS_CHARSET` removed."""
    return s.translate(_DEDIAC)


class Token(NamedTuple):
    """A word run of the original text: ``text[start:end] == surface``."""

    surface: str
    start: int
    end: int


class Term(NamedTuple):
    """An index term and the original characters it came from."""

    term: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into word runs with offsets into ``text`` (punctuation is dropped)."""
    return [Token(m.group(), m.start(), m.end()) for m in WORD_RE.finditer(text)]


def normalize_token(surface: str) -> str:
    """Orthographic normalization of one word run (no stemming)."""
    s = normalize_unicode(surface)
    s = _TANWEEN_ALEF_RE.sub("", s)
    s = dediac_ar(s)
    s = TATWEEL_RE.sub("", s)
    s = ALEF_VARIANTS_RE.sub(ALEF, s)
    s = s.translate(_CHARMAP).translate(DIGITS_TO_ASCII)
    # Any combining mark camel's dediac does not know (e.g. Latin accents).
    if not s.isascii():
        s = "".join(c for c in s if not unicodedata.combining(c))
    return s.lower()


def _norm_list(words: str) -> frozenset[str]:
    return frozenset(normalize_token(w) for w in words.split())


#: Question words: informative for *how* to answer, never for *what* to retrieve.
QUESTION_WORDS = _norm_list(INDEXED_QUESTION_WORDS)

#: Function words: pronouns, prepositions, conjunctions, particles, auxiliaries, demonstratives
#: (and ``اللذي``/``اللتي``, frequent misspellings of ``الذي``/``التي`` in typed questions).
STOPWORDS = QUESTION_WORDS | _norm_list(
    """في على علي إلى الى إلي عن مع منذ مذ حتى حتي عند لدى لدي لدن بين بينما خلال نحو حول دون
    ضد عبر تحت فوق أمام امام خلف وراء قبل بعد عبر لأن لان لكن لكنه لكنها بل أو او أم ام ثم
    إن ان أن إنه انه أنه إنها انها أنها لن لم لا ليس ليست لست ما قد لقد سوف كان كانت كانوا
    يكون تكون يكونوا أصبح اصبح صار ظل هذا هذه هذان هاتان هؤلاء ذلك تلك أولئك اولئك الذي
    التي الذين اللذان اللتان اللاتي اللواتي هنا هناك هنالك هو هي هم هن هما أنا انا نحن أنت
    انت أنتم انتم أنتما انتن كل بعض غير سوى أي إذ اذ إذا اذا لو لولا كما كذلك أيضا ايضا
    أيضاً ايضاً فقط جدا جداً حيث عندما بينما أما اما إما اما وقد فقد كي لكي حين حينما له لها
    لهم لهن به بها بهم فيه فيها فيهم منه منها منهم عنه عنها عليه عليها عليهم إليه اليه إليها
    اليها لدينا عليك يا و ف ب ل ك ال تم يتم ذات ذو ذي إلا الا إلى هل ليت لعل كأن مثل
    اللذين اللتين اللذي اللتي الدي التى اللتى مند إلى الي عليهما بينهما لهما منهما فيهما عنهما
    إليهما اليهما بهما معهما عندهما"""
)

# Single-letter proclitics (and their pairs) stripped only when the rest is attested.
_PROCLITIC_SEQS = ("و", "ف", "ب", "ل", "ك", "وب", "ول", "وك", "فب", "فل")
#: Proclitics a query term is expanded with when the index holds the clitic form whole.
QUERY_PROCLITICS = PROCLITICS
# Light suffixes, tried in this order, each at most once. Not ``ان``: in news it ends far more
# names and stems (لبنان ايران السودان سكان بيان مكان برلمان) than duals, which mostly take ``ين``.
_SUFFIXES = ("ها", "ات", "ون", "ين", "يه", "ه", "ي")
# Dual endings of nouns in teh marbuta: مدينة -> مدينتان / مدينتين.
_DUAL_FEMININE = frozenset(("تان", "تين"))
# Pronoun suffixes before which a teh marbuta is written ``ت`` (مساحة -> مساحتها).
_ENCLITICS = frozenset(("ها", "ه"))


def strip_article(w: str, prefixes: tuple[str, ...] = ARTICLE_PREFIXES, keep: int = 2) -> str:
    """Strip one definite-article prefix (with its proclitics) from a normalized word, keeping at
    least ``keep`` letters (``الى`` is not ``ال + ى``).

    ``prefixes`` default to Lucene's (:data:`~retrieval.charsets.ARTICLE_PREFIXES`: ``وال بال كال
    فال لل ال``); the actor tagger's stems use
    :data:`~retrieval.charsets.CLITIC_ARTICLE_PREFIXES`, which adds two proclitics (``وبال ولل``);
    answer spans and actor names compare words by :func:`bare_word` (``ال`` alone, three letters kept).
    """
    for p in prefixes:
        if w.startswith(p) and len(w) >= len(p) + keep:
            return w[len(p):]
    return w


def bare_word(word: str) -> str:
    """A normalized word without the article ``ال`` (a word of more than four letters): how answer
    spans, and an answer span against an actor's name, compare words."""
    return strip_article(word, ("ال",), keep=3)


def _strip_suffixes(w: str) -> str:
    """Light suffix stripping: each suffix at most once, in order, keeping two letters.

    After a pronoun suffix (``ها``, ``ه``) a final ``ت`` is the teh marbuta of the noun it is
    attached to, so it goes too and ``مساحتها``/``عاصمته`` meet ``مساحة``/``عاصمة`` (``مساح``,
    ``عاصم``). Kept in three-letter stems (``وقتها`` -> ``وقت``) and after ``ا``, where it is
    the plural or part of the name (``مصراته`` -> ``مصرات``, ``قواته`` -> ``قوات`` -> ``قو``).
    """
    for s in _SUFFIXES:
        if w.endswith(s) and len(w) >= len(s) + 2:
            w = w[: -len(s)]
            if s in _ENCLITICS and len(w) >= 4 and w[-1] == "ت" and w[-2] != "ا":
                w = w[:-1]
    return w


def _base_form(normalized: str) -> str:
    """Clitic-free form used for the lexicon: article family stripped.

    Words in ``لل`` stay whole: ``للغة`` is ``ل + اللغة``, and cutting ``لل`` would put the
    non-word ``غة`` in the lexicon (and make ``لغات`` look like ``ل + غات``).
    """
    return normalized if normalized.startswith("لل") else strip_article(normalized)


def build_lexicon(texts: Iterable[str], min_count: int = 1) -> frozenset[str]:
    """Attested base forms of a corpus (normalized, article stripped; stopwords included)."""
    counts: Counter[str] = Counter()
    for text in texts:
        for tok in tokenize(text):
            counts[_base_form(normalize_token(tok.surface))] += 1
    return frozenset(w for w, c in counts.items() if c >= min_count and len(w) >= 2)


class Analyzer:
    """The analysis chain, bound to a corpus lexicon (for attested clitic stripping).

    ``Analyzer()`` with no lexicon strips only rule-based clitics; an index always builds and
    saves its own lexicon so index and query agree.
    """

    def __init__(self, lexicon: frozenset[str] = frozenset()) -> None:
        self.lexicon = lexicon
        self._cache: dict[str, str | None] = {}
        self._pieces_cache: dict[str, tuple[tuple[int, int, str], ...]] = {}

    def _attested(self, w: str) -> bool:
        """``w`` occurs in the corpus, as is or with a light suffix (``لاعبين`` via ``لاعب``)."""
        return w in self.lexicon or _strip_suffixes(w) in self.lexicon

    def stem(self, normalized: str) -> str:
        """Clitic and light-suffix stripping of one normalized word."""
        if (
            normalized.startswith("لل")
            and len(normalized) >= 4
            and not self._attested(normalized[2:])
            and self._attested(normalized[1:])
        ):
            # ل before a word in ل, or before ال + a word in ل (whose alef and one lam drop):
            # لليبيا -> ليبيا, للغة -> لغة, للاعب -> لاعب, where Lucene's ``لل`` rule gives the
            # non-words يبيا غة اعب. Only then: للحد stays ل + الحد because حد is a word.
            return self.stem(normalized[1:])
        w = strip_article(normalized)
        if len(w) >= 6 and w[-3:] in _DUAL_FEMININE and w[:-3] + "ه" in self.lexicon:
            w = w[:-3] + "ه"  # المدينتان, المدينتين -> مدينة (when the corpus has the singular)
        elif w == normalized:
            # Attested proclitics: لحفتر -> حفتر, وبمصراته -> مصراته (never بنغازي -> نغازي).
            for seq in _PROCLITIC_SEQS:
                if w.startswith(seq) and len(w) >= len(seq) + 3:
                    rest = strip_article(w[len(seq):])
                    if rest in self.lexicon:
                        w = rest
                        break
        return _strip_suffixes(w)

    def term(self, surface: str) -> str | None:
        """The index term of one word run, or ``None`` for stopwords and one-letter runs."""
        cached = self._cache.get(surface, "")
        if cached != "":
            return cached
        n = normalize_token(surface)
        result: str | None
        if (
            n in STOPWORDS
            or len(n) < 2
            or (n[0] in CONJUNCTION_PROCLITICS and n[1:] in STOPWORDS)
            or (n[0] in PROCLITICS and n[1:] in QUESTION_WORDS)  # بماذا لأي بأي وكيف
        ):
            result = None
        else:
            result = self.stem(n)
        if len(self._cache) < CACHE_SIZE:
            self._cache[surface] = result
        return result

    def split_glued(self, surface: str) -> int:
        """Where a word run is two attested words glued before ``ال`` (``الأممالمتحدة``), else 0."""
        n = normalize_token(surface)
        if len(n) < 8 or n in self.lexicon or len(n) != len(surface):
            return 0
        i = n.find("ال", 3)
        while i != -1:
            left, right = strip_article(n[:i]), n[i + 2 :]
            if len(left) >= 3 and len(right) >= 3 and left in self.lexicon and right in self.lexicon:
                return i
            i = n.find("ال", i + 1)
        return 0

    def _pieces(self, surface: str) -> tuple[tuple[int, int, str], ...]:
        """Terms of one word run as ``(start, end, term)`` relative to the run (cached)."""
        cached = self._pieces_cache.get(surface)
        if cached is not None:
            return cached
        cut = self.split_glued(surface) if self.lexicon else 0
        bounds = ((0, cut), (cut, len(surface))) if cut else ((0, len(surface)),)
        result = tuple((s, e, t) for s, e in bounds if (t := self.term(surface[s:e])) is not None)
        if len(self._pieces_cache) < CACHE_SIZE:
            self._pieces_cache[surface] = result
        return result

    def terms(self, text: str) -> list[Term]:
        """Index terms of ``text`` with the offsets of the word runs they came from."""
        out = []
        for m in WORD_RE.finditer(text):
            base = m.start()
            for s, e, t in self._pieces(m.group()):
                out.append(Term(t, base + s, base + e))
        return out

    def tokens(self, text: str) -> list[str]:
        """Index terms of ``text`` (what BM25 sees)."""
        return [t.term for t in self.terms(text)]
