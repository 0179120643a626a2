"""CoNLL files for the NER tagger: one token per line, blank lines between sentences.

Input lines are ``token`` or ``token<TAB>anything`` (a second column, e.g. a gold tag, is
ignored); more columns is an error naming the line (ANERcorp has a few ``<TAB>O`` lines with
an empty token: they are kept as empty tokens, so line numbers stay aligned)::

    >>> read_conll(["ليبيا\\tB-LOC", "", "في"])
    [['ليبيا'], ['في']]

:func:`tag_conll` streams: it reads one sentence, tags it, writes it, so memory stays bounded
by the longest sentence (and sentences longer than :data:`MAX_SENTENCE` tokens are tagged in
pieces). The output has exactly the input's lines: ``token<TAB>tag`` for every token line and
every blank line where it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from .tagger import Tagger

__all__ = ["MAX_SENTENCE", "TAGS", "bio_spans", "iter_conll", "read_conll", "read_tagged_conll", "tag_conll"]

#: Longest run of tokens tagged at once (a file without blank lines is still streamed).
MAX_SENTENCE = 1000
#: Sentences :func:`tag_conll` reads as one document (the CRF's training runs: ``train.RECIPE.doc_block``).
DOC_SENTENCES = 15
#: Tags of a training file (BIO over ANERcorp's four types).
TAGS = frozenset({"O"} | {f"{p}-{t}" for p in "BI" for t in ("PERS", "LOC", "ORG", "MISC")})


def bio_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Entity spans ``(start, end, type)`` of a BIO sequence, in order, as conlleval reads them.

    A span starts at ``B-X``, or at ``I-X`` that does not continue an ``X`` span, and goes on
    over the following ``I-X`` tags.

        >>> bio_spans(["B-PERS", "I-PERS", "O", "I-LOC"])
        [(0, 2, 'PERS'), (3, 4, 'LOC')]
    """
    out: list[tuple[int, int, str]] = []
    start, typ = -1, ""
    for i, tag in enumerate([*tags, "O"]):
        p, t = (tag[0], tag[2:]) if tag != "O" else ("O", "")
        if typ and (p != "I" or t != typ):
            out.append((start, i, typ))
            start, typ = -1, ""
        if p == "B" or (p == "I" and not typ):
            start, typ = i, t
    return out


def _split(line: str, lineno: int, tagged: bool) -> list[str] | None:
    """Columns of one line, ``None`` for a blank line; ``ValueError`` naming the line otherwise."""
    s = line.rstrip("\r\n")
    if not s.strip():
        return None
    cols = s.split("\t")
    want = "2 columns (token<TAB>tag)" if tagged else "1 or 2 tab-separated columns"
    if len(cols) > 2 or (tagged and len(cols) != 2):
        raise ValueError(f"line {lineno}: expected {want}, found {len(cols)}: {s[:80]!r}")
    return cols


def iter_conll(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """``(blank lines before, tokens)`` per sentence, lazily; a final item may have no tokens.

    The blank-line count lets :func:`tag_conll` write blank lines exactly where they were.
    """
    blanks = 0
    sent: list[str] = []
    for lineno, line in enumerate(lines, 1):
        cols = _split(line, lineno, tagged=False)
        if cols is None:
            if sent:
                yield blanks, sent
                blanks, sent = 0, []
            blanks += 1
            continue
        sent.append(cols[0])
    if sent or blanks:
        yield blanks, sent


def read_conll(lines: Iterable[str]) -> list[list[str]]:
    """Sentences (lists of tokens) of a CoNLL text; the second column, if any, is ignored."""
    return [sent for _, sent in iter_conll(lines) if sent]


def read_tagged_conll(lines: Iterable[str]) -> list[tuple[list[str], list[str]]]:
    """``(tokens, tags)`` per sentence of a training file (``token<TAB>BIO tag`` lines)."""
    out: list[tuple[list[str], list[str]]] = []
    toks: list[str] = []
    tags: list[str] = []
    for lineno, line in enumerate(lines, 1):
        cols = _split(line, lineno, tagged=True)
        if cols is None:
            if toks:
                out.append((toks, tags))
                toks, tags = [], []
            continue
        tag = cols[1].strip()
        if tag not in TAGS:
            raise ValueError(f"line {lineno}: unknown tag {tag!r} (expected O or B-/I- PERS, LOC, ORG, MISC)")
        toks.append(cols[0])
        tags.append(tag)
    if toks:
        out.append((toks, tags))
    return out


def tag_conll(in_lines: Iterable[str], out_stream: TextIO, tagger: Tagger, block: int = DOC_SENTENCES) -> int:
    """Tag a CoNLL text line by line into ``out_stream``; returns the number of tokens tagged.

    Every token line becomes ``token<TAB>tag`` and every blank line stays blank, so the
    output has the input's line count. Sentences are tagged ``block`` at a time, read as one
    document (a CoNLL file does not say where its articles end; the CRF was trained on runs of as
    many sentences), long ones in pieces of :data:`MAX_SENTENCE` tokens.
    """
    count = 0
    pending: list[tuple[int, list[str]]] = []  # (blank lines before, a piece of a sentence)

    def flush() -> None:
        nonlocal count
        pieces = [piece for _, piece in pending]
        tagged = list(tagger.tag_sentences(pieces)) if any(pieces) else [[] for _ in pieces]
        for (blanks, piece), tags in zip(pending, tagged):
            out_stream.write("\n" * blanks)
            out_stream.write("".join(f"{t}\t{g}\n" for t, g in zip(piece, tags)))
            count += len(piece)
        pending.clear()

    for blanks, sent in iter_conll(in_lines):
        if not sent:
            pending.append((blanks, []))
            continue
        for k in range(0, len(sent), MAX_SENTENCE):
            pending.append((blanks if k == 0 else 0, sent[k : k + MAX_SENTENCE]))
        if len(pending) >= block:
            flush()
    flush()
    return count
