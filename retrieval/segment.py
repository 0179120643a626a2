"""Segmentation of raw news text into paragraphs, sentences and passages, keeping offsets.

Every span is a pair of character offsets into the article's original text, so
``text[span.start:span.end]`` is always the verbatim quote. Real news text is messy:

* paragraphs are newline-separated in some articles; in others a whole article is one line;
* headings, photo captions and source lines are glued into the running text
  (``... للثوار . تعليق حكومي و تعليقا على ...``, ``... في بريجا -أ ف ب و تشن ...``);
* the same sentence can be repeated within an article.

Sentences are classified (``sentence``, ``heading``, ``caption``, ``source``); only real
sentences are indexed and quoted, and a sentence whose terms repeat an earlier one is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .normalize import Analyzer

__all__ = [
    "Passage",
    "Segment",
    "passages",
    "segment_article",
    "source_line",
    "split_paragraphs",
    "split_sentences",
    "unique_sentences",
]

Kind = Literal["sentence", "heading", "caption", "source"]

_PARAGRAPH_RE = re.compile(r"[^\n]+")
# End of sentence: . ! ? ؟ … (repeated), then closing quotes/brackets, then space, end, or a
# letter glued to the dot ("مصراتة.وأضاف"). Digits after a dot ("3.5") never end a sentence.
_END_RE = re.compile(r"[.!?؟…]+[\"”»)\]’']*(?=\s|$|[^\W\d_])")
# A single-letter word before a dot is an abbreviation (أ. ف. ب, د.), not a sentence end.
_ABBREV_RE = re.compile(r"(?:^|\s)[^\W\d_]\s*$")
# Photo credit glued before the next sentence: "... في بريجا -أ ف ب و تشن ..."
_CREDIT_RE = re.compile(r"[-(]\s*(?:أ\s?\.?\s?ف\s?\.?\s?ب|رويترز|الجزيرة|الأناضول|الفرنسية)\s*\)?(?=\s+و)")
# Credit closing a caption paragraph: "المعارك احتدمت ... (الجزيرة)"
_CAPTION_END_RE = re.compile(r"[-(]\s*(?:أ\s?\.?\s?ف\s?\.?\s?ب|رويترز|الجزيرة|الأناضول|الفرنسية|أرشيف)\s*\)?\s*$")
# Source line closing an article: "المصدر : الجزيرة", "المصدر: وكالات"
_SOURCE_RE = re.compile(r"^\s*(?:المصدر|المصادر)\s*[:：]\s*(?P<name>\S.*?)\s*$")
# A heading glued to the sentence it introduces: 1-3 words, then a lone "و" or "وفي".
_GLUED_HEADING_RE = re.compile(r"^(?P<head>(?:[^\W\d_]+\s+){0,2}[^\W\d_]+)\s+(?=و\s|وفي\s)")
_FINAL_PUNCT = frozenset(".!?؟…\"”»)")

_plain = Analyzer()


@dataclass(frozen=True, slots=True)
class Segment:
    """A classified span of an article's text."""

    kind: Kind
    start: int
    end: int
    paragraph: int


@dataclass(frozen=True, slots=True)
class Passage:
    """A few consecutive sentences of one paragraph: the unit BM25 scores."""

    passage_id: str
    article_id: str
    start: int
    end: int
    sentences: tuple[Segment, ...]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_paragraphs(text: str) -> list[tuple[int, int]]:
    """Non-empty lines of ``text`` as trimmed ``(start, end)`` spans.

    A long line that stops mid-sentence (no final punctuation) continues on the next line:
    ``... خليفة حفتر\n خلال زيارته للقاهرة، ...`` is one paragraph.
    """
    spans: list[tuple[int, int]] = []
    joinable = False
    for m in _PARAGRAPH_RE.finditer(text):
        s, e = _trim(text, m.start(), m.end())
        if s >= e:
            joinable = False
            continue
        if joinable and spans:
            spans[-1] = (spans[-1][0], e)
        else:
            spans.append((s, e))
        ps, pe = spans[-1]
        joinable = text[pe - 1] not in _FINAL_PUNCT and len(text[ps:pe].split()) > 8
        # Only a line directly followed by the next (no blank line) continues.
        joinable = joinable and text[m.end() : m.end() + 1] == "\n" and text[m.end() + 1 : m.end() + 2] != "\n"
    return spans


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans of ``text[start:end]`` (Arabic and Latin punctuation aware)."""
    end = len(text) if end is None else end
    spans = []
    cur = start
    for m in _END_RE.finditer(text, start, end):
        if m.group()[0] == "." and _ABBREV_RE.search(text, cur, m.start()):
            continue
        s, e = _trim(text, cur, m.end())
        if s < e and any(c.isalnum() for c in text[s:e]):
            spans.append((s, e))
        elif spans and s < e:  # a stray ". ." joins the previous sentence
            spans[-1] = (spans[-1][0], e)
        cur = m.end()
    s, e = _trim(text, cur, end)
    if s < e:
        if any(c.isalnum() for c in text[s:e]) or not spans:
            spans.append((s, e))
        else:
            spans[-1] = (spans[-1][0], e)
    return spans


def _split_glued(text: str, s: int, e: int, first_in_paragraph: bool) -> list[tuple[Kind, int, int]]:
    """Detach a glued caption credit or heading from the start of one sentence."""
    out: list[tuple[Kind, int, int]] = []
    m = _CREDIT_RE.search(text, s, e)
    if m:
        out.append(("caption", s, m.end()))
        s, e = _trim(text, m.end(), e)
    elif not first_in_paragraph:
        h = _GLUED_HEADING_RE.match(text[s:e])
        if h and not any(_plain.term(w) is None for w in h.group("head").split()):
            out.append(("heading", s, s + h.end("head")))
            s, e = _trim(text, s + h.end("head"), e)
    if s < e:
        out.append(("sentence", s, e))
    return out


def _classify_paragraph(text: str, s: int, e: int) -> Kind | None:
    """Kind of a whole paragraph that is not running text, else ``None``."""
    para = text[s:e]
    if _SOURCE_RE.match(para):
        return "source"
    if _CAPTION_END_RE.search(para) and len(para.split()) <= 25:
        return "caption"
    if text[e - 1] not in _FINAL_PUNCT and len(para.split()) <= 8:
        return "heading"
    return None


def segment_article(text: str) -> list[Segment]:
    """Classified segments of an article, in source order."""
    segments: list[Segment] = []
    for p, (ps, pe) in enumerate(split_paragraphs(text)):
        kind = _classify_paragraph(text, ps, pe)
        if kind is not None:
            segments.append(Segment(kind, ps, pe, p))
            continue
        for i, (s, e) in enumerate(split_sentences(text, ps, pe)):
            for k, ks, ke in _split_glued(text, s, e, first_in_paragraph=i == 0):
                segments.append(Segment(k, ks, ke, p))
    return segments


def source_line(text: str, segments: list[Segment]) -> str | None:
    """The source named by a closing ``المصدر : ...`` line, if the article has one."""
    for seg in reversed(segments):
        if seg.kind == "source":
            m = _SOURCE_RE.match(text[seg.start : seg.end])
            return m.group("name") if m else None
    return None


_MIN_TERMS = 4  # a sentence of at least this many terms that repeats an earlier one is dropped
_MAX_PROBES = 64  # earlier places of a sentence's rarest term compared with it, at most
_OFFSET_BITS = 24  # a place is (sentence << _OFFSET_BITS) | offset: one int, no tuple per term


def unique_sentences(text: str, segments: list[Segment]) -> list[Segment]:
    """Real sentences, without those whose terms repeat an earlier sentence's (the whole of it, or
    a run of its terms: a lead repeated inside the body, a caption repeating a sentence).

    Linear in the article's length: the places of every earlier term are indexed, so a sentence
    is compared only where its rarest term occurs before (at most :data:`_MAX_PROBES` places),
    and an exact repeat is one set look-up.
    """
    kept: list[Segment] = []
    seen: list[list[str]] = []
    exact: set[tuple[str, ...]] = set()
    places: dict[str, list[int]] = {}
    for seg in segments:
        if seg.kind != "sentence":
            continue
        terms = _plain.tokens(text[seg.start : seg.end])
        if not terms:
            continue
        if len(terms) >= _MIN_TERMS and _repeats(terms, seen, exact, places):
            continue
        kept.append(seg)
        exact.add(tuple(terms))
        base = len(seen) << _OFFSET_BITS
        for off, t in enumerate(terms):
            places.setdefault(t, []).append(base | off)
        seen.append(terms)
    return kept


def _repeats(terms: list[str], seen: list[list[str]], exact: set[tuple[str, ...]], places: dict[str, list[int]]) -> bool:
    """Whether ``terms`` occur as one run inside an earlier sentence."""
    if tuple(terms) in exact:
        return True
    anchor = min(range(len(terms)), key=lambda k: len(places.get(terms[k], ())))
    n, mask = len(terms), (1 << _OFFSET_BITS) - 1
    for place in places.get(terms[anchor], ())[:_MAX_PROBES]:
        sentence, start = place >> _OFFSET_BITS, (place & mask) - anchor
        if start >= 0 and seen[sentence][start : start + n] == terms:
            return True
    return False


def passages(
    article_id: str,
    text: str,
    segments: list[Segment],
    max_sentences: int = 6,
    max_words: int = 150,
) -> list[Passage]:
    """Group unique sentences into passages of a few sentences, never across paragraphs."""
    out: list[Passage] = []
    group: list[Segment] = []
    words = 0

    def flush() -> None:
        if group:
            pid = f"{article_id}#{len(out)}"
            out.append(Passage(pid, article_id, group[0].start, group[-1].end, tuple(group)))
            group.clear()

    for seg in unique_sentences(text, segments):
        n = len(text[seg.start : seg.end].split())
        if group and (
            seg.paragraph != group[-1].paragraph or len(group) >= max_sentences or words + n > max_words
        ):
            flush()
            words = 0
        group.append(seg)
        words += n
    flush()
    return out
