"""The ``sanad`` command line's arguments: one function a group of commands (:func:`build_parser`)."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["build_parser"]


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", type=Path, help="saved index directory (from `sanad index`); env SANAD_INDEX")
    p.add_argument(
        "--corpus",
        type=Path,
        action="append",
        help="corpus path to index at start (.txt dir, .jsonl, .jsonl.gz); repeatable; env SANAD_CORPUS",
    )
    p.add_argument("--top-k", type=int, help="articles per answer (1-20, default 3); env SANAD_TOP_K")


def _day(text: str):
    """An argparse type: a date as ``sanad ask --since`` takes it (ISO, or an Arabic form)."""
    from retrieval import parse_date

    d = parse_date(text)
    if d is None:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (give it as 2015-10-01, or «1 أكتوبر 2015»)")
    return d


def _dates(p: argparse.ArgumentParser, latest: bool = True) -> None:
    p.add_argument("--since", type=_day, help="only articles dated on or after this day (2015-10-01)")
    p.add_argument("--until", type=_day, help="only articles dated on or before this day (2015-10-31)")
    if latest:
        p.add_argument("--latest", action="store_true", help="the newest answering reports first")


def _add_eval(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser(
        "eval",
        help="measure Sanad on your own questions: R@1, R@5, MRR@10, refusals, calibration",
        description="Ask every question of QUESTIONS (JSON lines {\"question\": ..., \"article_id\": ...}; "
        "an empty or missing article_id means the question must be refused) through the same path as "
        "`sanad ask`, with the same settings, and print R@1, R@5 and MRR@10 over the answerable questions "
        "(a refusal counts as a miss), the answered and refused rates, and a calibration table "
        "(confidence bins: mean predicted probability against the observed share whose first result "
        "is the right article). With --holdout H, a seeded random share H of the corpus's articles is "
        "left out of the index: questions on them must then be refused.",
    )
    ev.add_argument("questions", type=Path, help="JSON-lines file of questions")
    ev.add_argument("--holdout", type=float, default=0.0, help="share of the corpus's articles to leave out (0-1, with --corpus or the default corpus)")
    ev.add_argument("--seed", type=int, default=0, help="seed of the held-out sample (random.Random(seed).sample)")
    ev.add_argument("--min-confidence", type=float, help="probability the first result needs (0-1); env SANAD_MIN_CONFIDENCE")
    ev.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    _common(ev)


def _add_index(sub: argparse._SubParsersAction) -> None:
    index = sub.add_parser(
        "index",
        help="build and save an index of a corpus (or --add articles to a saved one)",
        description="Build a saved index of .txt directories, .jsonl and .jsonl.gz files (read directly), "
        "showing progress (articles/s, ETA) and reporting every skipped article and why. "
        "With --add, the articles are added to the index already in --out: only they are read and "
        "analysed, and the BM25 statistics of the whole index are recomputed.",
    )
    index.add_argument("paths", nargs="+", type=Path, help=".txt directories, .jsonl or .jsonl.gz files")
    index.add_argument("--out", type=Path, required=True, help="directory to write the index to")
    index.add_argument("--add", action="store_true", help="add the articles to the index in --out instead of rebuilding it")
    index.add_argument("--strict", action="store_true", help="stop at the first bad file or line (default: skip it)")


def _add_answering(sub: argparse._SubParsersAction) -> None:
    ask = sub.add_parser("ask", help="answer one question (or one per line from stdin with '-')")
    ask.add_argument("question", help="the question, in Arabic; '-' reads one question per line from stdin")
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.add_argument("--min-confidence", type=float, help="probability the first result needs (0-1; 0 refuses only a question about a time the articles never reach); env SANAD_MIN_CONFIDENCE")
    _common(ask)
    _dates(ask)


def _add_timeline(sub: argparse._SubParsersAction) -> None:
    tl = sub.add_parser(
        "timeline",
        help="reports per week of an actor or a question: a sparkline, and a PNG chart with --out",
        description="Count the dated reports naming an actor (one the actor index knows), or holding a "
        "question's most specific words, week by week over the archive; print a one-line sparkline, and "
        "with --out draw the chart as a PNG (right to left, Arabic labels).",
    )
    tl.add_argument("query", help="an actor's name or a question, in Arabic")
    tl.add_argument("--out", type=Path, help="write the chart to this PNG file")
    tl.add_argument("--json", action="store_true", help="print the weeks as one JSON object")
    _common(tl)


def _add_actors(sub: argparse._SubParsersAction) -> None:
    tag = sub.add_parser(
        "tag",
        help="tag a CoNLL file with the actor tagger (token<TAB>tag per line)",
        description="Read one token per line (a second tab-separated column is ignored; blank lines "
        "separate sentences) and write token<TAB>tag with the same lines: tags O or B-/I- with PERS, "
        "ORG, LOC, MISC. Uses SANAD_ACTORS_BACKEND (auto, model, neural, ensemble or camel).",
    )
    tag.add_argument("--conll", required=True, help="input file, or - for stdin")

    actors = sub.add_parser(
        "actors",
        help="the corpus's most-named actors by type, or one actor: aliases, roles, dates, who is named with it, its sentences",
        description="Without NAME: the most-named people, organisations and places (by articles), --limit of each type. With NAME: "
        "the actor it names (a family name is enough: حفتر), its aliases and roles, how many articles and "
        "when, the actors named in the same articles, and every sentence naming it, best first.",
    )
    actors.add_argument("name", nargs="?", help="an actor's name, in Arabic")
    actors.add_argument("--type", choices=("person", "organization", "place"), help="only actors of this type")
    actors.add_argument("--limit", type=int, default=20, help="actors listed, or sentences shown (default 20)")
    actors.add_argument("--json", action="store_true", help="one JSON object")
    _common(actors)


def _add_serving(sub: argparse._SubParsersAction) -> None:
    console = sub.add_parser("console", help="interactive console (:help for commands)")
    _common(console)
    _dates(console, latest=False)

    follow = sub.add_parser(
        "follow",
        help="read news feeds (RSS/Atom) and add their new articles to an index, now and every --every",
        description="Read each feed, fetch each new item's page, extract its text and add the new articles "
        "to the index (created when absent). An article is added once (its URL, normalized, is its id). "
        "A failing feed or page is named with its reason and never stops the others.",
    )
    follow.add_argument("feeds", nargs="*", help="feed URLs (default: SANAD_FEEDS, comma-separated)")
    follow.add_argument("--index", type=Path, required=True, help="index directory to add to (created when absent)")
    follow.add_argument("--every", help="read again after this long: 90s, 10m, 1h (default SANAD_FEED_EVERY, 10m)")
    follow.add_argument("--once", action="store_true", help="read every feed once, print a summary line each, exit")

    sources = sub.add_parser("sources", help="list the articles of the corpus")
    sources.add_argument("--json", action="store_true", help="one JSON object per article")
    _common(sources)

    telegram = sub.add_parser(
        "telegram",
        help="run the Telegram bot (token in SANAD_TELEGRAM_TOKEN; polling, or webhook if SANAD_TELEGRAM_WEBHOOK_URL is set)",
    )
    _common(telegram)

    health = sub.add_parser(
        "health",
        help="exit 0 while the running bot's heartbeat is fresh, else 1 with the reason (a container's HEALTHCHECK)",
        description="Check the heartbeat file the Telegram bot refreshes while it serves "
        "(SANAD_HEARTBEAT_FILE; refreshed every SANAD_HEARTBEAT_INTERVAL seconds after a successful "
        "Bot API call). Exit 0 when it is at most SANAD_HEARTBEAT_MAX_AGE seconds old, else 1.",
    )
    health.add_argument("--file", type=Path, help="heartbeat file; env SANAD_HEARTBEAT_FILE")
    health.add_argument("--max-age", type=float, help="seconds (default 90); env SANAD_HEARTBEAT_MAX_AGE")


def _add_train(sub: argparse._SubParsersAction) -> None:
    train = sub.add_parser(
        "train",
        help="retrain a learned part from ../shared (from a checkout, with ./dev.sh setup --train)",
        description="Retrain one learned part deterministically and write its artifacts into the package data, "
        "then its card's SHA-256 table: answerability, spans, ner, neural or gazetteer (retrieval/training). "
        "Arguments after NAME go to that part's trainer (sanad train ner --help).",
    )
    train.add_argument("name", choices=("answerability", "spans", "ner", "neural", "gazetteer"), help="the learned part")
    train.add_argument(
        "--check", action="store_true",
        help="train into a temporary directory and compare with the shipped artifacts byte for byte (exit 1 when one differs)",
    )  # fmt: skip
    train.add_argument("args", nargs=argparse.REMAINDER, help="the trainer's own options")


def build_parser() -> argparse.ArgumentParser:
    """The ``sanad`` command line: one sub-parser a command, grouped by what they are for."""
    parser = argparse.ArgumentParser(
        prog="sanad",
        description="Sanad (سند): sourced answers from Arabic news. Every sentence shown is a verbatim quote.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_answering, _add_eval, _add_timeline, _add_index, _add_actors, _add_serving, _add_train):
        add(sub)
    return parser
