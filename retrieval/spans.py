"""The answer span: the words of a quoted sentence that answer the question (issue #24).

Sanad quotes whole sentences; this module points at the words inside them that answer a question
asking for a thing (who, where, when, how many, which organisation). It never changes which
results are shown, and it never shows a word that is not in the quote.

Candidates (:func:`candidates`) are runs of one to :data:`MAX_WORDS` words of one quoted sentence
that hold none of the question's matched words (nor a word of a mention naming one), cross no
strong punctuation, start and end on a content word, and stand at most :data:`REACH` words from a
matched word; the stored actor mentions, numbers and dates of the sentence are among them (a run
that cuts one in two is marked). Each is scored by a linear model over sparse named
features (:func:`span_features`): the words just before and after it (and which kind of answer
is asked), how far it stands from the matched question words and on which side, whether it is
exactly a mention of the asked kind, its length. The features split into those of the first
word, those of the last word and those of the whole run, so a sentence's candidates are scored
from one pass over its words (:meth:`SpanModel.best`).

The weights are a conditional logit (a softmax over one result's candidates, trained to put
the mass on the gold answer's words) fitted by ``sanad train spans`` on the QA
training parts; they ship as plain JSON in ``retrieval/data/spans.json`` with the calibration
that turns the best candidate's softmax share, lead and score into the probability that it is
right (token F1 >= 0.5), and the threshold under which no span is shown. Choices and figures:
docs/spans.md.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .evidence import DATE, NUMBER, term_kind
from .normalize import STOPWORDS, Analyzer, bare_word, normalize_token, tokenize
from .roots import root

__all__ = [
    "MAX_WORDS",
    "OPENERS",
    "REACH",
    "SPAN_KINDS",
    "FoundSpan",
    "SpanSentence",
    "COMMA",
    "Context",
    "STRONG",
    "candidates",
    "walk",
    "sentence_of",
]

#: The longest answer considered, in words.
MAX_WORDS = 8
#: A candidate stands at most this many words from a matched question word (on ARCD's train
#: part, 3.8% of the best candidates stand farther; a news sentence has many such words).
REACH = 12
#: The kinds of answer a span is looked for (retrieval.questions.answer_type); ``clause`` (why,
#: how) and questions of no kind get none.
SPAN_KINDS = frozenset(("person", "place", "organization", "date", "number", "thing"))
STRONG = re.compile(r"[.:؛;!?؟\n()\[\]«»\"]")  # a run of words never crosses these
COMMA = re.compile(r"[,،]")
_WINDOW = 4  # words either side counted for matched question words
#: Words an answer may open with though they are stopwords (``في مدينة پيلا``, ``من المطرب``).
OPENERS = frozenset(("في", "من", "الي", "علي", "بين", "نحو", "حوالي", "منذ", "عن", "قبل", "بعد", "خلال"))


@dataclass(frozen=True, slots=True)
class SpanSentence:
    """One quoted sentence as the span model reads it: its text, where it starts in the article,
    its words (offsets in ``text``), which of them matched question words, and the kind of each
    word that lies inside a stored mention, number or date (``None`` elsewhere)."""

    text: str
    start: int
    words: tuple[tuple[int, int], ...]
    norms: tuple[str, ...]
    matched: tuple[bool, ...]
    kinds: tuple[str | None, ...]
    marks: tuple[tuple[int, int, str], ...] = ()  # (first, last word, kind) of each mention / number / date
    best: bool = False  # the sentence that holds most of the question's words
    weights: tuple[float, ...] = ()  # each matched word's share of the question's evidence weight (0 elsewhere)
    rooted: tuple[bool, ...] = ()  # unmatched words sharing a root with a question word (retrieval.roots)
    focus: tuple[bool, ...] = ()  # words sharing a root with the noun the question asks about («عاصمتها» for «ما عاصمة»)


def sentence_of(
    text: str,
    start: int,
    highlights: Iterable[tuple[int, int, float]],
    marks: Iterable[tuple[int, int, str]],
    question_words: frozenset[str] = frozenset(),
    best: bool = False,
    wh: str = "",
) -> SpanSentence:
    """A :class:`SpanSentence` from a quote: ``highlights`` are the matched words' offsets and
    weights (their share of the question's weight), ``marks`` the (start, end, kind) of its
    mentions, numbers and dates, all in ``text``; a word equal to one of ``question_words``
    (normalized, without ``ال``) counts as matched too, with no weight. ``wh`` is the question
    word or the noun asked about (:func:`retrieval.questions.question_word`)."""
    toks = tokenize(text)
    hl = sorted(highlights)
    norms = tuple(_normalized(t.surface) for t in toks)
    matched, weights = [], []
    h = 0  # the first highlight that may still overlap a word (both in text order)
    for t, n in zip(toks, norms):
        while h < len(hl) and hl[h][1] <= t.start:
            h += 1
        hit = [w for a, b, w in hl[h : h + 4] if a < t.end and t.start < b]  # highlights do not nest
        matched.append(bool(hit) or _bare(n) in question_words)
        weights.append(max(hit, default=0.0))
    kinds: list[str | None] = [None] * len(toks)
    spans: list[tuple[int, int, str]] = []
    starts = [t.start for t in toks]
    for s, e, kind in sorted([*marks, *_numbers_and_dates(toks, norms)]):
        first = bisect.bisect_left(starts, s)
        inside = [i for i in range(first, bisect.bisect_left(starts, e)) if toks[i].end <= e]
        if not inside:
            continue
        for i in inside:
            kinds[i] = kinds[i] or kind
        spans.append((inside[0], inside[-1], kind))
    roots = {r for w in question_words if len(r := _root_of(w)) >= 3}
    focus = _root_of(wh) if wh else ""
    word_roots = [_root_of(n) for n in norms]
    rooted = tuple(not m and r in roots for m, r in zip(matched, word_roots))
    focused = tuple(len(focus) >= 3 and r == focus for r in word_roots)
    return SpanSentence(
        text, start, tuple((t.start, t.end) for t in toks), norms, tuple(matched), tuple(kinds), tuple(spans), best,
        tuple(weights), rooted, focused,
    )


_normalized = lru_cache(maxsize=100_000)(normalize_token)


@lru_cache(maxsize=50_000)
def _root_of(norm: str) -> str:
    return root(norm) if not norm.isdigit() else norm


_PLAIN = Analyzer()


@lru_cache(maxsize=50_000)
def _word_kind(norm: str) -> str | None:
    term = _PLAIN.term(norm)
    k = term_kind(term) if term else 0
    return None if not k else "year" if k == NUMBER | DATE else "date" if k & DATE else "number"


def _numbers_and_dates(toks: Sequence, norms: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start, end, kind) of each run of number words or digits (``number``; ``year`` for three
    or four digits) and of date words (a month, a weekday, «صباح»), consecutive words of one
    kind together (``نصف مليون``, ``13 أكتوبر``: a date and a year side by side stay apart)."""
    out: list[list] = []
    last = -2
    for i, (t, n) in enumerate(zip(toks, norms)):
        kind = _word_kind(n)
        if kind is None:
            continue
        if out and last == i - 1 and out[-1][2] == kind:
            out[-1][1] = t.end
        else:
            out.append([t.start, t.end, kind])
        last = i
    return [tuple(x) for x in out]


_bare = lru_cache(maxsize=100_000)(bare_word)


@dataclass(frozen=True, slots=True)
class FoundSpan:
    """The answer span of one result: ``text == article.text[start:end]``, inside the result's
    quote number ``sentence``; ``probability`` that it is right (calibrated: token F1 >= 0.5)."""

    text: str
    start: int
    end: int
    sentence: int
    probability: float
    kind: str | None = None  # the kind of mention it is exactly (person, place, ...), if any


def candidates(s: SpanSentence) -> list[tuple[int, int]]:
    """(first, last) word of each candidate run of ``s``: at most :data:`MAX_WORDS` words, none
    matched nor part of a mention that holds a matched word, no strong punctuation inside, the
    first word no stopword (but :data:`OPENERS`), the last word no stopword, at most
    :data:`REACH` words from a matched word."""
    return [(i, k) for i, k, _, _, _ in walk(Context(s, "", ""))]


def walk(c: Context) -> Iterator[tuple[int, int, tuple[str, ...], bool, bool]]:
    """The candidate runs of ``c``'s sentence (see :func:`candidates`), first word by first word,
    each with what it holds: the kinds of its words, whether a comma is inside, whether a word
    shares the root of the noun asked about."""
    s = c.s
    n = len(s.words)
    named = _named(s)
    focus = s.focus or (False,) * n
    matched, norms, word_kinds, breaks, gaps, left_match, right_match = (
        s.matched, s.norms, s.kinds, c.breaks, c.gaps, c.left_match, c.right_match
    )
    ending = [w not in STOPWORDS for w in norms]  # a run may end on word k
    for i in range(n):
        if matched[i] or named[i] or (norms[i] in STOPWORDS and norms[i] not in OPENERS):
            continue
        kinds: tuple[str, ...] = ()
        commas = infocus = False
        li = left_match[i]
        for k in range(i, min(n, i + MAX_WORDS)):
            if matched[k] or named[k]:
                break
            if k > i:
                if breaks[k]:
                    break
                commas = commas or gaps[k] == "comma"
            kind = word_kinds[k]
            if kind is not None and kind not in kinds:
                kinds = tuple(sorted((*kinds, kind)))
            infocus = infocus or focus[k]
            if ending[k] and _near(li, right_match[k]):
                yield i, k, kinds, commas, infocus


def _distances(matched: Sequence[bool]) -> tuple[list[int], list[int]]:
    """For each word, how far the nearest matched word before it and after it is (0: none)."""
    n = len(matched)
    left, right = [0] * n, [0] * n
    last = -1
    for i in range(n):
        left[i] = i - last if last >= 0 else 0
        if matched[i]:
            last = i
    nxt = -1
    for i in range(n - 1, -1, -1):
        right[i] = nxt - i if nxt >= 0 else 0
        if matched[i]:
            nxt = i
    return left, right


def _near(left: int, right: int) -> bool:
    """A run whose nearest matched word (``left`` words before it, ``right`` after; 0: none) is
    at most :data:`REACH` words away."""
    return 0 < left <= REACH or 0 < right <= REACH


def _named(s: SpanSentence) -> list[bool]:
    """The words of a mention that names a question word («خليفة» of «خليفة حفتر» for «من التقى حفتر»)."""
    named = [False] * len(s.words)
    for f, l, _ in s.marks:
        if any(s.matched[f : l + 1]):
            named[f : l + 1] = [True] * (l + 1 - f)
    return named


def _breaks(s: SpanSentence, left: int, right: int) -> bool:
    """Strong punctuation between two neighbouring words, but for the point or comma inside a
    number (``309.500``, ``11،787``)."""
    between = s.text[s.words[left][1] : s.words[right][0]]
    if between in (".", ",", "،", "٫", "٬") and s.norms[left][-1:].isdigit() and s.norms[right][:1].isdigit():
        return False
    return bool(STRONG.search(between))











def _gap(s: SpanSentence, left: int, right: int) -> str:
    """What stands between word ``left`` and word ``right``: a strong mark, a comma, or nothing."""
    if left < 0 or right >= len(s.words):
        return "edge"
    between = s.text[s.words[left][1] : s.words[right][0]]
    if between == " ":
        return "space"
    return "strong" if STRONG.search(between) else "comma" if COMMA.search(between) else "space"

class Context:
    """The per-word facts of one sentence that the features read (computed once)."""

    __slots__ = ("s", "asks", "left_match", "right_match", "near", "before", "after", "wh", "wbefore", "wafter", "w", "paren",
                 "gaps", "breaks", "exact", "cut_left", "cut_right")

    def __init__(self, s: SpanSentence, asks: str, wh: str = "") -> None:
        self.s, self.asks, self.wh = s, asks, wh
        n = len(s.words)
        # Distance to the nearest matched word before / after (0: none).
        self.left_match, self.right_match = _distances(s.matched)
        cm = list(itertools.accumulate(s.matched, initial=0))  # cm[i]: matched words before word i
        self.near = [cm[min(n, i + _WINDOW + 1)] - cm[max(0, i - _WINDOW)] for i in range(n)]
        self.before = [cm[i] - cm[max(0, i - 2 * _WINDOW)] for i in range(n)]  # matched words just before i
        self.after = [cm[min(n, i + 1 + 2 * _WINDOW)] - cm[i + 1] for i in range(n)]  # and just after
        w = self.w = s.weights or (0.0,) * n
        depth, self.paren = 0, [False] * n  # inside parentheses («(بالإنجليزية: Cancer)»)
        for i, (a, _) in enumerate(s.words):
            before = s.text[s.words[i - 1][1] if i else 0 : a]
            if before != " ":
                depth = max(0, depth + before.count("(") - before.count(")"))
            self.paren[i] = depth > 0
        self.wbefore = [sum(w[max(0, i - 2 * _WINDOW) : i]) for i in range(n)]  # their weight
        self.wafter = [sum(w[i + 1 : i + 1 + 2 * _WINDOW]) for i in range(n)]
        self.gaps = [_gap(s, j, j + 1) for j in range(-1, n)]  # gaps[j + 1]: between word j and j + 1
        self.breaks = [k > 0 and _breaks(s, k - 1, k) for k in range(n)]  # a run cannot reach word k from k - 1
        self.exact = {(f, l): kind for f, l, kind in s.marks}
        self.cut_left, self.cut_right = [False] * n, [False] * n  # a run starting (ending) at i cuts a mark
        for f, l, _ in s.marks:
            for i in range(f + 1, l + 1):
                self.cut_left[i] = True
            for i in range(f, l):
                self.cut_right[i] = True




































