"""The ``sanad`` command: ``ask``, ``console``, ``index``, ``sources``.

Exit codes: 0 answered (or done), 1 no answer in the corpus, 2 bad input or setting,
3 corpus error, 4 index error, 130 interrupted. Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from retrieval.errors import InputError, SanadError

__all__ = ["main"]

EXIT_NO_ANSWER = 1


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", type=Path, help="saved index directory (from `sanad index`); env SANAD_INDEX")
    p.add_argument(
        "--corpus",
        type=Path,
        action="append",
        help="corpus path to index at start (.txt dir, .jsonl, .jsonl.gz); repeatable; env SANAD_CORPUS",
    )
    p.add_argument("--top-k", type=int, help="articles per answer (1-20, default 3); env SANAD_TOP_K")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sanad",
        description="Sanad (سند): sourced answers from Arabic news. Every sentence shown is a verbatim quote.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    ask = sub.add_parser("ask", help="answer one question (or one per line from stdin with '-')")
    ask.add_argument("question", help="the question, in Arabic; '-' reads one question per line from stdin")
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    _common(ask)

    console = sub.add_parser("console", help="interactive console (:help for commands)")
    _common(console)

    index = sub.add_parser("index", help="build and save an index of a corpus")
    index.add_argument("paths", nargs="+", type=Path, help=".txt directories, .jsonl or .jsonl.gz files")
    index.add_argument("--out", type=Path, required=True, help="directory to write the index to")
    index.add_argument("--strict", action="store_true", help="stop at the first bad file or line (default: skip it)")

    sources = sub.add_parser("sources", help="list the articles of the corpus")
    sources.add_argument("--json", action="store_true", help="one JSON object per article")
    _common(sources)
    return parser


def _settings(args: argparse.Namespace):
    from .settings import load_settings

    return load_settings(index=getattr(args, "index", None), corpus=getattr(args, "corpus", None), top_k=getattr(args, "top_k", None))


def _open(args: argparse.Namespace):
    from .engine import Progress, open_index

    settings = _settings(args)
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    return settings, open_index(settings, progress=Progress("indexing"))


def _print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def cmd_ask(args: argparse.Namespace) -> int:
    from retrieval.answer import answer

    from .render import answer_to_json, print_answer, wants_reshape

    settings, index = _open(args)
    if args.question == "-":
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                ans = answer(line.rstrip("\n"), index, top_k=settings.top_k, min_coverage=settings.min_coverage)
                _print_json(answer_to_json(ans))
            except InputError as e:
                _print_json({"question": line.rstrip("\n"), "answered": False, "results": [], "error": str(e)})
        return 0
    ans = answer(args.question, index, top_k=settings.top_k, min_coverage=settings.min_coverage)
    if args.json:
        _print_json(answer_to_json(ans))
    else:
        from rich.console import Console

        print_answer(ans, Console(), reshape=wants_reshape(settings.console_reshape))
    return 0 if ans.answered else EXIT_NO_ANSWER


def cmd_index(args: argparse.Namespace) -> int:
    import time

    from retrieval.corpus import load_corpus
    from retrieval.index import Index

    from .engine import Progress, report_problems

    t0 = time.perf_counter()
    load = load_corpus(args.paths, strict=args.strict)
    report_problems(load.problems)
    index = Index.build(load.articles, progress=Progress("indexing"), sources=[str(p) for p in args.paths])
    index.save(args.out)
    sys.stderr.write(
        f"indexed {len(index.articles)} articles, {index.n_passages} passages in "
        f"{time.perf_counter() - t0:.1f}s -> {args.out}"
        + (f" ({len(load.problems)} skipped, see above)" if load.problems else "")
        + "\n"
    )
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    from .render import article_to_json, print_sources, wants_reshape

    settings, index = _open(args)
    if args.json:
        for a in index.articles.values():
            obj = article_to_json(a)
            obj.pop("text")
            _print_json(obj)
    else:
        from rich.console import Console

        print_sources(list(index.articles.values()), Console(), reshape=wants_reshape(settings.console_reshape))
    return 0


def cmd_console(args: argparse.Namespace) -> int:
    from .console import run_console

    settings, index = _open(args)
    return run_console(index, settings)


COMMANDS = {"ask": cmd_ask, "index": cmd_index, "sources": cmd_sources, "console": cmd_console}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sanad`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if getattr(args, "top_k", None) is not None and not 1 <= args.top_k <= 20:
        parser.error("--top-k must be between 1 and 20")
    try:
        return COMMANDS[args.command](args)
    except SanadError as e:
        sys.stderr.write(f"sanad: error: {e}\n")
        return e.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
