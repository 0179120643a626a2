"""Character classes of Arabic text, in one place (in the style of ``camel_tools.utils.charsets``).

Every class is given three ways where it is used so: a regex class body (``*_CLASS``, ranges
as ``\\uXXXX-\\uYYYY``, for building patterns), a ``frozenset`` of its characters
(``*_CHARSET``, for membership tests) and, for the classes searched or substituted, a compiled
regex (``*_RE``). Ranges are Unicode code points; block names are the Unicode ones.

Nothing here depends on the rest of Sanad: the analysis chain (:mod:`retrieval.normalize`),
the answer layer, the actor tagger and the benches import their classes from here.
"""

from __future__ import annotations

import re

__all__ = [
    "ALEF",
    "ALEF_MAKSURA",
    "ALEF_VARIANTS_CHARSET",
    "ALEF_VARIANTS_RE",
    "ARABIC_INDIC_DIGITS",
    "ARABIC_LETTERS_CHARSET",
    "ARABIC_LETTERS_CLASS",
    "ARABIC_LETTER_RE",
    "ARABIC_ONLY_RE",
    "ARABIC_SCRIPT_CLASS",
    "ARABIC_SCRIPT_RE",
    "ARTICLE_PREFIXES",
    "CLITIC_ARTICLE_PREFIXES",
    "COMMAS",
    "CONJUNCTION_PROCLITICS",
    "CONTROL_CLASS",
    "CONTROL_RE",
    "DEFINITE_ARTICLE",
    "DIACRITICS_CHARSET",
    "DIGITS_TO_ASCII",
    "EASTERN_ARABIC_INDIC_DIGITS",
    "FATHATAN",
    "FORMAT_MARKS_CHARSET",
    "FORMAT_MARKS_CLASS",
    "FORMAT_MARKS_RE",
    "HARAKAT",
    "LATIN_CLASS",
    "LETTER_FOLDS",
    "LRI",
    "NORMALIZED_LETTERS",
    "PDI",
    "PREPOSITION_PROCLITICS",
    "PROCLITICS",
    "PROCLITIC_ARTICLE_PREFIXES",
    "QUOTATION_MARKS",
    "SHADDA",
    "SUKUN",
    "SUPERSCRIPT_ALEF",
    "SURROGATE_CLASS",
    "SURROGATE_RE",
    "TANWEEN",
    "TATWEEL",
    "TATWEEL_RE",
    "WORD_MARKS_CHARSET",
    "WORD_MARKS_CLASS",
    "WORD_PATTERN",
    "WORD_RE",
]


def _charset(cls: str) -> frozenset[str]:
    """The characters of a regex class body made of single characters and ``a-b`` ranges."""
    out: set[str] = set()
    i = 0
    while i < len(cls):
        if i + 2 < len(cls) and cls[i + 1] == "-":
            out.update(chr(c) for c in range(ord(cls[i]), ord(cls[i + 2]) + 1))
            i += 3
        else:
            out.add(cls[i])
            i += 1
    return frozenset(out)


# -- letters --------------------------------------------------------------------------------

#: Arabic letters: the letters (Unicode categories Lo and Lm) of the Arabic block, U+0620-U+064A
#: (hamza to yeh; tatweel U+0640 is a modifier letter, as in camel_tools' ``AR_LETTERS_CHARSET``),
#: U+066E-U+066F, U+0671-U+06D3 (alef wasla, Persian and Urdu letters: پ چ ژ ڤ گ ی ک ...),
#: U+06D5, U+06E5-U+06E6 (small waw and yeh), U+06EE-U+06EF, U+06FA-U+06FC, U+06FF, and the
#: Arabic Supplement block U+0750-U+077F. Presentation forms are not letters here: NFKC (in
#: :func:`retrieval.normalize.normalize_token`) folds them to these.
ARABIC_LETTERS_CLASS = (
    "\u0620-\u064a\u066e-\u066f\u0671-\u06d3\u06d5\u06e5-\u06e6\u06ee-\u06ef\u06fa-\u06fc\u06ff\u0750-\u077f"
)
ARABIC_LETTERS_CHARSET = _charset(ARABIC_LETTERS_CLASS)
#: Finds an Arabic letter.
ARABIC_LETTER_RE = re.compile(f"[{ARABIC_LETTERS_CLASS}]")
#: Matches a string made of Arabic letters only.
ARABIC_ONLY_RE = re.compile(f"^[{ARABIC_LETTERS_CLASS}]+$")

#: Any character of the Arabic script blocks: Arabic U+0600-U+06FF (letters, marks, digits,
#: ``؟ ، ؛``), Arabic Supplement U+0750-U+077F, Arabic Extended-A U+08A0-U+08FF, Arabic
#: Presentation Forms-A U+FB50-U+FDFF and -B U+FE70-U+FEFF (text that was never normalized,
#: e.g. a question pasted from a PDF).
ARABIC_SCRIPT_CLASS = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
ARABIC_SCRIPT_RE = re.compile(f"[{ARABIC_SCRIPT_CLASS}]")

ALEF = "\u0627"  # ا
ALEF_MAKSURA = "\u0649"  # ى
TATWEEL = "\u0640"  # ـ (kashida: stretches a word, carries no sound)
TATWEEL_RE = re.compile(TATWEEL)
#: Alef with madda, hamza above, hamza below, wasla, wavy hamza above and below (U+0622, U+0623,
#: U+0625, U+0671-U+0673): ``آ أ إ ٱ ٲ ٳ``, all written ``ا`` once normalized.
ALEF_VARIANTS_CHARSET = frozenset("\u0622\u0623\u0625\u0671\u0672\u0673")
ALEF_VARIANTS_RE = re.compile("[" + "".join(sorted(ALEF_VARIANTS_CHARSET)) + "]")
#: One-letter folds of the normalization: alef maksura ``ى`` -> yeh ``ي``, teh marbuta ``ة`` ->
#: heh ``ه``, Farsi yeh ``ی`` (U+06CC) -> ``ي``, keheh ``ک`` (U+06A9) -> kaf ``ك``.
LETTER_FOLDS = {"\u0649": "\u064a", "\u0629": "\u0647", "\u06cc": "\u064a", "\u06a9": "\u0643"}
#: The letters of a normalized term (no alef variant, ``ى`` or ``ة``: they are folded), in
#: alphabetical order, then ``ؤ ئ``: what spelling correction inserts and replaces.
NORMALIZED_LETTERS = "ءابتثجحخدذرزسشصضطظعغفقكلمنهوي" + "ؤئ"

# -- diacritics and word-internal marks -----------------------------------------------------

FATHATAN = "\u064b"
#: Tanween: fathatan, dammatan, kasratan (U+064B-U+064D).
TANWEEN = "\u064b\u064c\u064d"
#: Short vowels: fatha, damma, kasra (U+064E-U+0650).
HARAKAT = "\u064e\u064f\u0650"
SHADDA = "\u0651"
SUKUN = "\u0652"
SUPERSCRIPT_ALEF = "\u0670"  # the dagger alef of هٰذا
#: The diacritics camel_tools' ``dediac_ar`` removes (its ``AR_DIAC_CHARSET``): U+064B-U+0652, U+0670.
DIACRITICS_CHARSET = frozenset(TANWEEN + HARAKAT + SHADDA + SUKUN + SUPERSCRIPT_ALEF)

#: Combining marks that sit inside Arabic words: honorific signs and small high letters
#: U+0610-U+061A, harakat, tanween, shadda, sukun and the other marks U+064B-U+065F, superscript
#: alef U+0670, Quranic annotation marks U+06D6-U+06ED.
WORD_MARKS_CLASS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
WORD_MARKS_CHARSET = _charset(WORD_MARKS_CLASS)

#: A word run: a letter or digit (``\\w`` without the underscore), then letters, digits, the
#: marks of :data:`WORD_MARKS_CLASS` and tatweel. ``مقُتل``, ``الليـــبي``, ``شخصاً``, ``١٦٦``.
WORD_PATTERN = rf"[^\W_][\w{WORD_MARKS_CLASS}{TATWEEL}]*"
WORD_RE = re.compile(WORD_PATTERN)

# -- invisible characters -------------------------------------------------------------------

#: Format and bidi marks, invisible in text: zero width space, ZWNJ, ZWJ, LRM, RLM
#: (U+200B-U+200F), the Arabic letter mark ALM (U+061C), the embeddings and overrides LRE RLE
#: PDF LRO RLO (U+202A-U+202E), the isolates LRI RLI FSI PDI (U+2066-U+2069) and the
#: zero width no-break space / byte order mark (U+FEFF).
FORMAT_MARKS_CLASS = "\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff"
FORMAT_MARKS_CHARSET = _charset(FORMAT_MARKS_CLASS)
FORMAT_MARKS_RE = re.compile(f"[{FORMAT_MARKS_CLASS}]")
#: Control characters but tab and newline (C0 U+0000-U+0008, U+000B-U+001F; DEL and C1
#: U+007F-U+009F) and the format marks: what a typed question is cleaned of.
#: The left-to-right isolate and its closing pop (U+2066, U+2069): a run of Latin letters or
#: digits wrapped in them keeps its order inside right-to-left text.
LRI = "\u2066"
PDI = "\u2069"
#: Lone UTF-16 surrogates: a JSON ``\\ud800`` escape decodes to one, and no UTF-8 can hold it.
SURROGATE_CLASS = "\ud800-\udfff"
SURROGATE_RE = re.compile(f"[{SURROGATE_CLASS}]")
CONTROL_CLASS = "\x00-\x08\x0b-\x1f\x7f-\x9f" + FORMAT_MARKS_CLASS
CONTROL_RE = re.compile(f"[{CONTROL_CLASS}]")

#: Letters written left to right in Arabic news: ASCII letters and digits, Latin-1 and Latin
#: Extended-A/B letters (U+00C0-U+024F: ``Müller``, ``Ségolène``).
LATIN_CLASS = "A-Za-z0-9\u00c0-\u024f"

# -- digits ---------------------------------------------------------------------------------

#: Arabic-Indic digits U+0660-U+0669 (Arab East) and Extended (Eastern) Arabic-Indic digits
#: U+06F0-U+06F9 (Persian, Urdu).
ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
EASTERN_ARABIC_INDIC_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
#: ``str.translate`` table of both digit sets to ASCII: ``"١٦٦".translate(DIGITS_TO_ASCII) == "166"``.
DIGITS_TO_ASCII = str.maketrans(ARABIC_INDIC_DIGITS + EASTERN_ARABIC_INDIC_DIGITS, "0123456789" * 2)

# -- punctuation ----------------------------------------------------------------------------

#: Quotation marks: straight, curly double and single, guillemets, low-9 and reversed-9 quotes.
QUOTATION_MARKS = frozenset("\"'“”«»„‟‘’")
#: Latin and Arabic (U+060C) commas.
COMMAS = frozenset(",،")

# -- proclitics and the definite article (normalized spelling) ------------------------------

DEFINITE_ARTICLE = "ال"
#: Conjunctions written as one letter before a word: ``و ف``.
CONJUNCTION_PROCLITICS = ("و", "ف")
#: Prepositions written as one letter before a word: ``ب ل ك``.
PREPOSITION_PROCLITICS = ("ب", "ل", "ك")
PROCLITICS = CONJUNCTION_PROCLITICS + PREPOSITION_PROCLITICS
#: The article after one proclitic: ``وال بال كال فال`` and ``لل`` (ل + ال).
PROCLITIC_ARTICLE_PREFIXES = ("وال", "بال", "كال", "فال", "لل")
#: The definite article family stripped by rule, Lucene's Arabic light-stemmer prefixes
#: (Larkey et al., 2007): :data:`PROCLITIC_ARTICLE_PREFIXES` and ``ال``.
ARTICLE_PREFIXES = (*PROCLITIC_ARTICLE_PREFIXES, DEFINITE_ARTICLE)
#: The article after one or two proclitics (``وبال``, ``ولل`` = و + ل + ال), longest first.
CLITIC_ARTICLE_PREFIXES = ("وبال", "وكال", "فبال", "وال", "فال", "بال", "كال", "ولل", "فلل", "لل", "ال")
