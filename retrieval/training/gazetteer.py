"""Build ``retrieval/actors/data/gazetteer.tsv`` from ANERcorp (plus a short curated place list).

Usage::

    sanad train gazetteer [--conll /work/shared/ner/anercorp-train.conll] [--out PATH]

ANERcorp (Benajiba et al., 2007; CC BY-SA 4.0) is ``token<TAB>BIO tag`` with PERS/LOC/ORG/MISC.
What is kept:

* **Entity strings** (``E`` lines): every tagged span, normalized with ``normalize_token``
  (bidi marks removed), its first token read without proclitics when that reading is the more
  common entity start (``ولبنان -> لبنان``, but ``وليد`` stays). A string is kept as type T
  when T is not MISC and at least ``--min-ratio`` (70 %) of *all* its occurrences in the
  corpus (tagged or not, inside longer entities included) are tagged T, so common words that
  are sometimes part of a name (``مجلس``, ``الدولي``, ``علي``) stay out; so do stopwords and
  the rule trigger words (titles, organisation and place heads).
* **Word counts** (``W`` lines): for every Arabic word, how often it was tagged O/PERS/LOC/ORG/MISC;
  the trigger rules use them ("seen as a name", "never seen as an O word").
* **Curated places** (``E ... curated``): ANERcorp (2007) has almost no Libyan geography (not
  one ``ليبيا``, ``بنغازي`` or ``طرابلس``), so a list of countries, capitals and Libyan towns
  is added by hand below. They override ANERcorp types.

The output is sorted, so rebuilding from the same inputs gives the same bytes.
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # a checkout

from retrieval.actors.spans import clitic_analyses, norm  # noqa: E402
from retrieval.actors.words import NAME_PARTICLES, STOPWORDS, TRIGGER_WORDS  # noqa: E402
from retrieval.charsets import ARABIC_LETTER_RE, DEFINITE_ARTICLE  # noqa: E402

DEFAULT_CONLL = ROOT.parent / "shared" / "ner" / "anercorp-train.conll"
DEFAULT_OUT = ROOT / "retrieval" / "actors" / "data" / "gazetteer.tsv"
MAX_TOKENS = 6
TYPES = ("PERS", "LOC", "ORG", "MISC")

#: Places ANERcorp lacks: countries and regions, capitals, Libyan cities, towns and bases.
#: Words that are also common Arabic words (البيضاء, الخمس, هون, مالي, القبة) are left out.
CURATED_PLACES = """
ليبيا مصر تونس الجزائر المغرب موريتانيا السودان تشاد النيجر السعودية قطر الإمارات الكويت
البحرين عمان اليمن العراق سوريا سورية لبنان الأردن فلسطين إسرائيل تركيا إيران روسيا الصين
اليابان الهند باكستان أفغانستان فرنسا ألمانيا بريطانيا إيطاليا إسبانيا اليونان مالطا هولندا
بلجيكا سويسرا النمسا السويد النرويج الدنمارك بولندا أوكرانيا أمريكا أميركا كندا البرازيل
المكسيك الأرجنتين أستراليا إثيوبيا نيجيريا كينيا قبرص أفريقيا إفريقيا أوروبا آسيا
القاهرة الإسكندرية الرباط الخرطوم نجامينا نيامي الرياض جدة الدوحة أبوظبي دبي المنامة مسقط
صنعاء عدن بغداد دمشق حلب بيروت القدس غزة أنقرة إسطنبول اسطنبول طهران موسكو بكين طوكيو باريس
لندن برلين روما مدريد أثينا فاليتا بروكسل جنيف فيينا واشنطن نيويورك الصخيرات باليرمو
طرابلس بنغازي مصراتة سرت طبرق درنة المرج أجدابيا إجدابيا البريقة بريجا السدرة العقيلة
الزاوية صبراتة زوارة الزنتان غريان ترهونة زليتن مسلاتة تاجوراء جنزور سبها الكفرة أوباري
غات مرزق الجفرة ودان سوكنة جالو أوجلة غدامس نالوت يفرن جادو الرجبان كاباو الأصابعة العزيزية
ورشفانة رقدالين العجيلات صرمان شحات توكرة قمينس سلوق الأبيار الجغبوب امساعد الوطية
""".split() + [
    "الولايات المتحدة",
    "جنوب أفريقيا",
    "راس لانوف",
    "رأس لانوف",
    "بن جواد",
    "بني وليد",
    "القره بوللي",
]


#: Tagged as entities in ANERcorp but never an actor in news (``الله`` of ``إن شاء الله``).
BLOCKLIST = {"الله"}


def read_conll(path: Path) -> list[list[tuple[str, str]]]:
    """Sentences of (normalized token, tag); tokens that normalize to nothing are dropped."""
    sents: list[list[tuple[str, str]]] = []
    cur: list[tuple[str, str]] = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                if cur:
                    sents.append(cur)
                    cur = []
                continue
            tok, _, tag = line.rpartition("\t")
            n = norm(tok.strip())
            if n:
                cur.append((n, tag.strip() or "O"))
    if cur:
        sents.append(cur)
    return sents


def _type(tag: str) -> str:
    return tag.split("-", 1)[1] if "-" in tag else "O"


def entity_spans(sent: list[tuple[str, str]]) -> list[tuple[int, int, str]]:
    """(start, end, type) of BIO entities; a stray I- starts a new entity."""
    spans = []
    i = 0
    while i < len(sent):
        t = _type(sent[i][1])
        if t == "O":
            i += 1
            continue
        j = i + 1
        while j < len(sent) and sent[j][1] == "I-" + t:
            j += 1
        spans.append((i, j, t))
        i = j
    return spans


def _has_letters(w: str) -> bool:
    return any(c.isalpha() for c in w)


Sentence = list[tuple[str, str]]
Span = tuple[int, int, str]


def _word_counts(sents: list[Sentence]) -> tuple[dict[str, Counter[str]], Counter[str], list[list[Span]]]:
    """Tag counts of every Arabic word, how often each word starts an entity, each sentence's entities."""
    words: dict[str, Counter[str]] = defaultdict(Counter)
    first_count: Counter[str] = Counter()
    spans_by_sent = []
    for sent in sents:
        for n, tag in sent:
            if ARABIC_LETTER_RE.search(n):
                words[n][_type(tag)] += 1
        spans = entity_spans(sent)
        spans_by_sent.append(spans)
        for i, _, _ in spans:
            first_count[sent[i][0]] += 1
    return words, first_count, spans_by_sent


def _candidate_keys(
    sents: list[Sentence], spans_by_sent: list[list[Span]], words: dict[str, Counter[str]], first_count: Counter[str],
    curated: frozenset[str] = frozenset(),
) -> set[str]:
    """Every entity string, its first token clitic-free when that is the usual form or one of our
    curated places (ANERcorp's one «وليبيا» is «ليبيا»; «بكين», curated itself, stays whole)."""

    def seen(w: str) -> int:
        return sum(words[w].values()) if w in words else 0

    def canonical_first(n: str) -> str:
        """The clitic-free reading when it is the more common one (ولبنان -> لبنان, not وليد)."""
        readings = clitic_analyses(n)[1:]
        if n not in curated and (place := next((a.key for a in readings if a.key in curated), None)):
            return place
        best = n
        for a in readings:
            if first_count[a.key] > first_count[best] or (
                first_count[best] <= 1 and (seen(a.key) > seen(best) or a.key.startswith(DEFINITE_ARTICLE))
            ):
                best = a.key
                break
        return best

    candidates: set[str] = set()
    for sent, spans in zip(sents, spans_by_sent):
        for i, j, _ in spans:
            if j - i > MAX_TOKENS:
                continue
            toks = [canonical_first(sent[i][0])] + [w for w, _ in sent[i + 1 : j]]
            candidates.add(" ".join(toks))
    return candidates


def _tagged_as(sent: Sentence, i: int, j: int) -> str:
    """The type tokens ``i..j-1`` are tagged as one entity, else ``"O"``.

    Tagged T: all its tokens in one T entity, which ends with it (a last name inside a full name
    counts; "الامم" of "الامم المتحده" does not). Places and organisations: the whole entity
    ("الاوسط" of "الشرق الاوسط" is no place).
    """
    t = _type(sent[i][1])
    ends = j >= len(sent) or sent[j][1] != "I-" + t
    starts = t == "PERS" or not sent[i][1].startswith("I-")
    inside = all(tag == "I-" + t for _, tag in sent[i + 1 : j])
    return t if t != "O" and ends and starts and inside else "O"


def _occurrences(sents: list[Sentence], candidates: set[str]) -> tuple[Counter[str], dict[str, Counter[str]]]:
    """How often each candidate occurs anywhere (first token read with or without clitics), and
    how often it is tagged as each type there."""
    prefixes = {" ".join(k.split(" ")[:m]) for k in candidates for m in range(1, len(k.split(" ")))}
    total: Counter[str] = Counter()
    typed: dict[str, Counter[str]] = defaultdict(Counter)
    for sent in sents:
        for i in range(len(sent)):
            found: set[str] = set()
            for a in clitic_analyses(sent[i][0]):
                key = a.key
                j = i + 1
                while True:
                    if key in candidates and key not in found:
                        found.add(key)
                        total[key] += 1
                        t = _tagged_as(sent, i, j)
                        if t != "O":
                            typed[key][t] += 1
                    if key not in prefixes or j >= len(sent) or j - i >= MAX_TOKENS:
                        break
                    key = key + " " + sent[j][0]
                    j += 1
    return total, typed


def _entity_lines(
    candidates: set[str], total: Counter[str], typed: dict[str, Counter[str]], curated: set[str], min_ratio: float,
    stats: Counter[str],
) -> list[str]:
    """``E`` lines of the ANERcorp candidates kept (counted in ``stats``, as the dropped ones)."""
    lines: list[str] = []
    for key in sorted(candidates):
        if not typed[key] or key in curated:
            continue
        t, c = typed[key].most_common(1)[0]
        toks = key.split(" ")
        if t == "MISC" or c / total[key] < min_ratio:
            stats["dropped_ratio_or_misc"] += 1
            continue
        if toks[0] in STOPWORDS or toks[-1] in STOPWORDS or key in TRIGGER_WORDS or key in BLOCKLIST \
                or key in NAME_PARTICLES:
            stats["dropped_stopword_or_trigger"] += 1
            continue
        if not all(_has_letters(w) for w in toks) or len(key) < 2 or not ARABIC_LETTER_RE.search(key):
            stats["dropped_no_letters"] += 1
            continue
        if len(toks) == 1 and total[key] == 1 and len(key) < 3:
            stats["dropped_short_hapax"] += 1
            continue
        lines.append(f"E\t{t}\t{key}\t{c}\t{total[key]}\tanercorp")
        stats[f"entities_{t}"] += 1
    return lines


def build(conll: Path, min_ratio: float = 0.7) -> tuple[list[str], dict[str, int]]:
    """The gazetteer's lines (entities, curated places, word counts) and counts of what was kept."""
    sents = read_conll(conll)
    words, first_count, spans_by_sent = _word_counts(sents)
    curated = {" ".join(norm(w) for w in p.split()) for p in CURATED_PLACES}
    candidates = _candidate_keys(sents, spans_by_sent, words, first_count, frozenset(curated))
    total, typed = _occurrences(sents, candidates)
    stats: Counter[str] = Counter()
    lines = _entity_lines(candidates, total, typed, curated, min_ratio, stats)
    for key in sorted(curated):
        lines.append(f"E\tLOC\t{key}\t0\t0\tcurated")
        stats["entities_curated_LOC"] += 1
    for w in sorted(words):
        c = words[w]
        lines.append(f"W\t{w}\t" + "\t".join(str(c[t]) for t in ("O", *TYPES)))
    stats["words"] = len(words)
    return lines, stats


HEADER = """\
# Sanad actor gazetteer, generated by retrieval/training/gazetteer.py from ANERcorp
# (Benajiba et al. 2007, CC BY-SA 4.0; see README.md beside this file) plus curated places.
# E<TAB>type<TAB>key<TAB>typed<TAB>total<TAB>source   W<TAB>word<TAB>O<TAB>PERS<TAB>LOC<TAB>ORG<TAB>MISC
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conll", type=Path, default=DEFAULT_CONLL)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--min-ratio", type=float, default=0.7)
    args = ap.parse_args(argv)
    lines, stats = build(args.conll, args.min_ratio)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    for k in sorted(stats):
        print(f"{k}: {stats[k]}")
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
