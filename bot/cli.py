"""The ``sanad`` command: ``ask``, ``eval``, ``console``, ``index``, ``actors``, ``timeline``, ``sources``,
``follow``, ``tag``, ``telegram``, ``health``, ``train`` (their arguments: :mod:`bot.arguments`).

Exit codes (:mod:`bot.errors`): 0 answered (or done), 1 no answer in the corpus, 2 bad input or
setting, 3 corpus or feed error, 4 index error, 5 model load error, 6 the bot's state store
unreachable, 130 interrupted. Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from retrieval import InputError, SanadError

from .arguments import build_parser
from .errors import EXIT_NO_ANSWER, exit_code
from .json_lines import as_text, batch_line, print_json

__all__ = ["main"]



def _settings(args: argparse.Namespace):
    from .settings import load_settings

    return load_settings(
        index=getattr(args, "index", None),
        corpus=getattr(args, "corpus", None),
        top_k=getattr(args, "top_k", None),
        min_confidence=getattr(args, "min_confidence", None),
    )


def _open(args: argparse.Namespace):
    from .indexing import Progress, served_index

    settings = _settings(args)
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    return settings, served_index(settings, progress=Progress("indexing"))


def _service(settings, index, args: argparse.Namespace | None = None):
    from dataclasses import replace

    from retrieval import Sanad

    from .settings import options

    since, until = getattr(args, "since", None), getattr(args, "until", None)
    if since and until and since > until:
        raise InputError(f"--since {since} is after --until {until}: give the earlier day first")
    return Sanad(index, replace(options(settings), since=since, until=until))


def cmd_ask(args: argparse.Namespace) -> int:
    from .terminal import print_answer, wants_reshape

    settings, index = _open(args)
    sanad = _service(settings, index, args)
    if args.question == "-":  # bytes in: one output line per input line, whatever the bytes or the locale
        for raw in sys.stdin.buffer:
            print_json(batch_line(sanad, raw, args.latest))
        return 0
    question, notes = as_text(os.fsencode(args.question))  # argv's undecodable bytes, as the batch's
    ans = sanad.answer(question, latest=args.latest)
    if notes:
        ans = dataclasses.replace(ans, notes=(*notes, *ans.notes))
    if args.json:
        print_json(ans.to_dict())
    else:
        from rich.console import Console

        print_answer(ans, Console(), reshape=wants_reshape(settings.console_reshape))
    return 0 if ans.answered else EXIT_NO_ANSWER


def cmd_eval(args: argparse.Namespace) -> int:
    from dataclasses import replace
    from functools import partial

    from retrieval import default_min_confidence, holdout_sample
    from retrieval import eval_outcome as outcome
    from retrieval import eval_report as report
    from retrieval import load_eval_questions as load_questions

    from .indexing import Progress, served_index
    from .terminal import eval_to_text

    questions = load_questions(args.questions)
    settings = _settings(args)
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    if args.holdout and settings.index is not None:
        raise InputError("--holdout leaves articles out of an index it builds: give --corpus PATH (not --index)")
    select = partial(holdout_sample, holdout=args.holdout, seed=args.seed) if args.holdout else None
    index = served_index(settings, progress=Progress("indexing"), select=select)
    threshold = default_min_confidence() if settings.min_confidence is None else settings.min_confidence
    sanad = _service(settings.model_copy(update={"min_confidence": threshold}), index)
    missing = sum(1 for q in questions if q.article_id and q.article_id not in index.articles)
    if missing and not args.holdout:
        sys.stderr.write(
            f"sanad: {missing} question(s) name an article that is not in the index: they are counted as "
            "questions that must be refused\n"
        )
    progress = Progress("asking", unit="questions")
    outcomes = []
    for n, q in enumerate(questions, start=1):
        gold = q if q.article_id in index.articles else replace(q, article_id="")  # not indexed: must be refused
        try:
            ans = sanad.answer(q.question)
        except InputError as e:
            raise InputError(f"{args.questions}:{q.line}: {e}") from None
        outcomes.append(outcome(gold, ans))
        progress(n, len(questions))
    progress.close()
    rep = report(outcomes)
    setup = {
        "questions_file": str(args.questions),
        "articles_indexed": len(index.articles),
        "passages": index.n_passages,
        "holdout": args.holdout,
        "seed": args.seed,
        "top_k": settings.top_k,
        "min_confidence": threshold,
    }
    if args.json:
        print_json({**setup, **rep.to_json()})
    else:
        sys.stdout.write(eval_to_text(rep, setup))
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    from retrieval import index_writer

    # one writer per index directory, from loading it (--add) to swapping the new one in
    with index_writer(args.out, waiting=lambda note: sys.stderr.write(f"sanad: {note}\n")):
        return _write_index(args)


def _write_index(args: argparse.Namespace) -> int:
    import time

    from retrieval import Index, build_index

    from .indexing import Progress, report_problems, skipped_summary

    if args.add:

        Index.recover(args.out)  # an interrupted save's previous index is put back before it is added to
    base = Index.load(args.out) if args.add else None
    progress = Progress("indexing")
    tagger = _settings(args).actors_backend  # the actors of every new article are tagged now, once
    report = build_index(args.paths, base=base, strict=args.strict, progress=progress, tagger=tagger)
    progress.close()
    report_problems(report.problems)
    index = report.index
    empty = index.last_add.no_passage if index.last_add else ()
    if empty:
        sys.stderr.write(
            f"sanad: {len(empty)} article(s) have no sentence to index (only headings, captions or source "
            f"lines), kept but never quoted: {', '.join(empty[:5])}{' ...' if len(empty) > 5 else ''}\n"
        )
    if base is not None and not report.added:
        sys.stderr.write(f"nothing added to {args.out} ({len(report.problems)} skipped, see above); the index is unchanged\n")
        return 0
    t_save = time.perf_counter()
    progress(0, None, f"writing {args.out}")
    index.save(args.out)
    t_save = time.perf_counter() - t_save
    skipped = skipped_summary(report.problems)
    if base is None:
        sys.stderr.write(
            f"indexed {len(index.articles)} articles, {index.n_passages} passages in "
            f"{report.seconds + t_save:.1f}s -> {args.out}{skipped}\n"
        )
    else:
        added = index.last_add.passages if index.last_add else 0
        sys.stderr.write(
            f"added {report.added} articles, {added} passages in {report.seconds + t_save:.1f}s -> {args.out} "
            f"(now {len(index.articles)} articles, {index.n_passages} passages){skipped}\n"
        )
    return 0


def cmd_tag(args: argparse.Namespace) -> int:
    from retrieval import InputError, get_tagger, tag_conll

    settings = _settings(args)
    if settings.actors_backend == "rules":
        raise InputError("sanad tag evaluates a statistical tagger: set SANAD_ACTORS_BACKEND to auto, model, neural, ensemble or camel")
    tagger = get_tagger(settings.actors_backend)
    try:
        if args.conll == "-":
            tag_conll(sys.stdin, sys.stdout, tagger)
        else:
            path = Path(args.conll)
            if not path.is_file():
                raise InputError(f"no such file: {path}")
            with path.open(encoding="utf-8") as fh:
                tag_conll(fh, sys.stdout, tagger)
    except ValueError as e:
        raise InputError(f"{args.conll}: {e}") from None
    except UnicodeDecodeError as e:
        raise InputError(f"{args.conll} is not UTF-8 text ({e})") from None
    return 0


def cmd_actors(args: argparse.Namespace) -> int:
    from rich.console import Console

    from . import terminal

    settings, index = _open(args)
    sanad = _service(settings, index)
    console, reshape = Console(), terminal.wants_reshape(settings.console_reshape)
    if args.name is None:  # the most-named, by type
        types = (args.type,) if args.type else ("person", "organization", "place")
        by_type = {t: sanad.actors.top(t, max(1, args.limit)) for t in types}
        if args.json:
            print_json({t: [terminal.actor_entry_json(e) for e in es] for t, es in by_type.items()})
        else:
            for t, entries in by_type.items():
                console.print(f"[bold]{terminal.TYPE_LABELS_AR[t]}[/bold]")
                terminal.print_actors(entries, console, reshape)
                console.print()
        return 0
    report = sanad.actor(args.name, args.type, limit=max(1, args.limit))
    if report is None:
        if args.json:
            print_json({"name": args.name, "found": False})
        else:
            sys.stdout.write(f"no actor named {args.name!r} in the corpus: `sanad actors` lists the most-named ones\n")
        return EXIT_NO_ANSWER
    if args.json:
        print_json({"found": True, **terminal.actor_report_json(report, index.articles)})
    else:
        terminal.print_actor_header(report, console, reshape)
        console.print()
        terminal.print_actor_sentences(report.sentences, index.articles, console, reshape)
    return 0


def cmd_follow(args: argparse.Namespace) -> int:
    import time

    from retrieval import InputError

    from .follow import Fetcher, follow_once
    from .settings import parse_every

    settings = _settings(args)
    feeds = list(args.feeds) or settings.feed_urls
    if not feeds:
        raise InputError("no feed to follow: name feed URLs, or set SANAD_FEEDS (comma-separated)")
    bad = [f for f in feeds if not f.startswith(("http://", "https://"))]
    if bad:
        raise InputError(f"only http and https feeds are read: {', '.join(bad)}")
    try:
        every = parse_every(args.every or settings.feed_every)
    except (ValueError, KeyError):
        raise InputError(f"--every {args.every or settings.feed_every!r}: write 90s, 10m or 1h") from None
    fetcher = Fetcher(allow_private=settings.feeds_allow_private)
    try:
        while True:
            for line in follow_once(feeds, args.index, fetcher, tagger=settings.actors_backend).lines(args.index):
                print(line, flush=True)
            if args.once:
                return 0
            time.sleep(every)
    finally:
        fetcher.close()


def cmd_sources(args: argparse.Namespace) -> int:
    from retrieval import article_meta

    from .terminal import print_sources, wants_reshape

    settings, index = _open(args)
    if args.json:
        for a in index.articles.values():
            print_json(article_meta(a))
    else:
        from rich.console import Console

        if settings.index is not None:  # the feeds `sanad follow` reads into this index
            from .follow import feed_lines

            for line in feed_lines(settings.index):
                print(line)

        print_sources(list(index.articles.values()), Console(), reshape=wants_reshape(settings.console_reshape))
    return 0


def cmd_timeline(args: argparse.Namespace) -> int:
    from .terminal import print_timeline, timeline_json, wants_reshape

    settings, index = _open(args)
    tl = _service(settings, index).timeline(args.query)
    if args.json:
        print_json(timeline_json(tl))
    else:
        from rich.console import Console

        print_timeline(tl, Console(), reshape=wants_reshape(settings.console_reshape))
    if tl.total == 0:
        return EXIT_NO_ANSWER
    if args.out is not None:
        from .chart import timeline_png

        _write_file(args.out, timeline_png(tl))
        print(f"chart written to {args.out}", file=sys.stderr)
    return 0


def _write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary sibling (never a half-written file)."""
    import os

    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write {path}: {e.strerror or e} (choose a writable --out path)") from e


def cmd_console(args: argparse.Namespace) -> int:
    from .console import run_console

    settings, index = _open(args)
    if args.since and args.until and args.since > args.until:
        raise InputError(f"--since {args.since} is after --until {args.until}: give the earlier day first")
    return run_console(index, settings, since=args.since, until=args.until)


def cmd_telegram(args: argparse.Namespace) -> int:
    from .telegram.config import check_token, configure_logging

    settings = _settings(args)
    token = check_token(settings)  # before anything heavy: a missing or malformed token fails at once
    webhook_secret = settings.telegram_webhook_secret.get_secret_value() if settings.telegram_webhook_secret else ""
    configure_logging(settings, secrets_=[token, webhook_secret])

    from .indexing import Progress, served_index
    from .telegram.lifecycle import run_bot
    from .telegram.store import open_store

    store = open_store(settings.state_url, context_minutes=settings.telegram_context_minutes)  # before indexing too
    index = served_index(settings, progress=Progress("indexing"))
    return run_bot(settings, index, store)


def cmd_health(args: argparse.Namespace) -> int:
    from .health import check_heartbeat
    from .settings import load_settings

    try:
        settings = load_settings(heartbeat_file=args.file, heartbeat_max_age=args.max_age)
    except SanadError as e:
        sys.stdout.write(f"unhealthy: {e}\n")
        return 1  # a health check answers 0 or 1 only
    if settings.heartbeat_file is None:
        sys.stdout.write("unhealthy: SANAD_HEARTBEAT_FILE is not set, so the bot writes no heartbeat to check\n")
        return 1
    ok, message = check_heartbeat(settings.heartbeat_file, settings.heartbeat_max_age)
    sys.stdout.write(("" if ok else "unhealthy: ") + message + "\n")
    if settings.index is not None:  # a failing feed is said here, and leaves the bot healthy
        from .follow import feed_lines

        for line in feed_lines(settings.index):
            if "FAILING" in line:
                sys.stdout.write(line + "\n")
    return 0 if ok else 1


def cmd_train(args: argparse.Namespace) -> int:
    from retrieval import train

    rest = [a for a in args.args if a != "--check"]  # before or after NAME
    return train(args.name, rest, check=args.check or len(rest) < len(args.args))


COMMANDS = {
    "actors": cmd_actors,
    "ask": cmd_ask,
    "eval": cmd_eval,
    "console": cmd_console,
    "timeline": cmd_timeline,
    "index": cmd_index,
    "sources": cmd_sources,
    "follow": cmd_follow,
    "tag": cmd_tag,
    "telegram": cmd_telegram,
    "health": cmd_health,
    "train": cmd_train,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sanad`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if getattr(args, "top_k", None) is not None and not 1 <= args.top_k <= 20:
        parser.error("--top-k must be between 1 and 20")
    if getattr(args, "min_confidence", None) is not None and not 0.0 <= args.min_confidence <= 1.0:
        parser.error("--min-confidence must be between 0 and 1")
    try:
        return COMMANDS[args.command](args)
    except SanadError as e:
        sys.stderr.write(f"sanad: error: {e}\n")
        return exit_code(e)
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
