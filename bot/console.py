"""``sanad console``: an interactive question loop with history and a few ``:`` commands."""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.text import Text

from retrieval import (
    ActorSentence,
    Answer,
    Context,
    Follow,
    Index,
    Sanad,
    SanadError,
    added_since,
    follow_kind,
)
from retrieval import match_alerts as match

from .settings import Settings, options
from .terminal import (
    print_actor_header,
    print_actor_sentences,
    print_answer,
    print_article,
    print_follow_up,
    print_sources,
    print_timeline,
    wants_reshape,
)

__all__ = ["News", "run_console"]

log = logging.getLogger(__name__)

#: An actor's sentences are shown this many at a time (:more for the next).
SENTENCES_PER_PAGE = 5

HELP = """\
Type a question in Arabic and press Enter, e.g.
  ماذا طلب المجلس البلدي لمصراتة من بعثة الأمم المتحدة؟
  ماذا قال كوبلر عن الجيش الليبي؟
  بماذا تعهد ساركوزي؟
Commands:
  :help          this help
  :sources       the articles Sanad answers from
  :article ID    one whole article (ID as in :sources; a unique prefix such as 002 is enough)
  :actor NAME    an actor across the corpus: aliases, roles, dates, who is named with it, its sentences
  :more          the next sentences of that actor
  :new           forget the follow-up context (after a follow-up: ask its words on their own)
  :latest Q      the question Q answered with the newest reports first (a corpus with dates)
  :timeline Q    reports per week of an actor or a question, as a one-line chart
  :follow NAME   show each new report naming NAME (or answering words) as it arrives (SANAD_INDEX;
                 SANAD_FEEDS are read every SANAD_FEED_EVERY); :follow alone lists, :unfollow NAME stops
A short question naming no one, such as  وماذا قال أيضاً؟  after a question about someone,
is answered about the same person, with what was not shown yet.
  :quit          leave (also Ctrl-D)"""


def _history_file() -> Path:
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "sanad" / "history"


def _setup_history() -> Path | None:
    try:
        import readline
    except ImportError:  # Windows without pyreadline: no history, still works
        return None
    path = _history_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            readline.read_history_file(path)
        readline.set_history_length(1000)
    except OSError:
        return None
    return path


def _save_history(path: Path | None) -> None:
    if path is None:
        return
    import readline

    try:
        readline.write_history_file(path)
    except OSError:
        pass


class _Session:
    """One console conversation: the service, the follow-up context, the last follow-up's own words."""

    def __init__(self, sanad: Sanad, console: Console, reshape: bool) -> None:
        self.sanad = sanad
        self.console = console
        self.reshape = reshape
        self.context: Context | None = None
        self.last_follow_up: str | None = None
        self.pending: list[ActorSentence] = []  # an actor's sentences not shown yet (:more)
        self.follows: list[Follow] = []
        self.news: News | None = None  # set when the console serves an index that can grow

    def ask(self, question: str, context: Context | None) -> None:
        reply = self.sanad.ask(question, context)
        self.context = reply.context
        self.last_follow_up = reply.follow_up.question if reply.follow_up else None
        if reply.follow_up is not None:
            print_follow_up(reply.follow_up, self.console, self.reshape)
        print_answer(reply.answer, self.console, self.reshape)

    def command(self, cmd: str, arg: str) -> None:
        console = self.console
        if cmd in ("h", "help", "?"):
            console.print(HELP)
        elif cmd == "sources":
            print_sources(self.sanad.sources(), console, self.reshape)
        elif cmd == "article":
            article = self.sanad.article(arg) if arg else None
            if article is None:
                console.print(Text(f"No article {arg!r}: see :sources for the ids.", style="red"))
            else:
                print_article(article, console, self.reshape)
        elif cmd == "actor":
            self.actor(arg)
        elif cmd == "more":
            self.more()
        elif cmd == "latest":
            if not arg:
                console.print(Text("Give a question: :latest ماذا قال الجبير؟", style="red"))
            else:
                print_answer(self.sanad.answer(arg, latest=True), console, self.reshape)
        elif cmd == "timeline":
            self.timeline(arg)
        elif cmd in ("follow", "unfollow"):
            self.follow(arg, stop=cmd == "unfollow")
        elif cmd == "new":
            question, self.context, self.last_follow_up = self.last_follow_up, None, None
            if question is not None:
                self.ask(question, None)
                self.context = None  # forgotten: the next question is asked on its own too
            else:
                console.print(Text("Context cleared: the next question is asked on its own.", style="dim"))
        else:
            console.print(Text(f"Unknown command :{cmd}. Type :help.", style="red"))


    def follow(self, text: str, stop: bool = False) -> None:
        console = self.console
        text = " ".join(text.split())
        if self.news is None:
            console.print(Text("Following needs an index that grows: set SANAD_INDEX (and SANAD_FEEDS).", style="red"))
            return
        if not text:
            shown = ", ".join(f"{f.text} ({f.kind})" for f in self.follows) or "nothing yet: :follow حفتر"
            console.print(Text(f"Following: {shown}", style="dim"))
            return
        if stop:
            before = len(self.follows)
            self.follows = [f for f in self.follows if f.text != text]
            console.print(Text("Stopped following " + text if len(self.follows) < before else f"Not following {text!r}.", style="dim"))
            return
        kind = follow_kind(self.sanad, text)
        if any(f.text == text for f in self.follows):
            console.print(Text(f"Already following {text}.", style="dim"))
            return
        self.follows.append(Follow("console", kind, text))
        every = f"; feeds read every {self.news.every:g} s" if self.news.feeds else ""
        console.print(Text(f"Following {text} ({kind}): new reports are shown as they arrive{every}.", style="dim"))

    def timeline(self, query: str) -> None:
        if not query:
            self.console.print(Text("Give an actor or a question: :timeline الحوثيين", style="red"))
            return
        print_timeline(self.sanad.timeline(query), self.console, self.reshape)

    def actor(self, name: str) -> None:
        report = self.sanad.actor(name) if name else None
        if report is None:
            what = f"No actor named {name!r} in the corpus." if name else "Give a name: :actor حفتر"
            self.console.print(Text(what, style="red"))
            return
        print_actor_header(report, self.console, self.reshape)
        self.console.print()
        self.pending = list(report.sentences)
        self.more()

    def more(self) -> None:
        page, self.pending = self.pending[:SENTENCES_PER_PAGE], self.pending[SENTENCES_PER_PAGE:]
        if not page:
            self.console.print(Text("Nothing more: :actor NAME shows an actor's sentences.", style="dim"))
            return
        print_actor_sentences(page, self.sanad.index.articles, self.console, self.reshape)
        if self.pending:
            self.console.print(Text(f":more for {len(self.pending)} more sentences", style="dim"))


class News:
    """Feeds in, matching reports out, beside the console: every ``tick`` seconds, read the feeds
    when due (``SANAD_FEEDS``, every ``SANAD_FEED_EVERY``) into ``SANAD_INDEX``, reload the index
    when it changed (a feed read, or ``sanad index --add`` elsewhere), and print the new articles'
    reports for the session's follows (:func:`retrieval.alerts.match`)."""

    def __init__(self, session: _Session, settings: Settings, tick: float = 30.0) -> None:
        from .follow import Fetcher
        from .telegram.reload import signature

        self.session = session
        self.settings = settings
        self.directory = Path(settings.index or "")
        self.feeds = settings.feed_urls
        self.every = settings.feed_seconds
        self.tick = min(tick, self.every)
        self.fetcher = Fetcher(allow_private=settings.feeds_allow_private) if self.feeds else None
        self.seen = signature(self.directory)
        self.next_read = 0.0
        self.stop = threading.Event()

    def step(self, now: float) -> int:
        """One round; returns how many reports were shown."""
        from .follow import follow_once
        from .telegram.reload import signature

        if self.feeds and now >= self.next_read:
            self.next_read = now + self.every
            follow_once(self.feeds, self.directory, self.fetcher, self.settings.actors_backend)
        sig = signature(self.directory)
        if sig is None or sig == self.seen:
            return 0
        self.seen = sig
        session = self.session
        old = session.sanad
        index = Index.load(self.directory)
        session.sanad = Sanad(index, old.options)
        before = old.index.articles.ids
        new = added_since(index.articles.ids, len(before), before[-1] if len(before) else None) or []  # None: rebuilt
        alerts = match(session.sanad, new, list(session.follows))
        for alert in alerts:
            what = "naming" if alert.follow.kind == "actor" else "about"
            session.console.print(Text(f"\n🔔 A new report {what} {alert.follow.text}:", style="bold yellow"))
            print_answer(Answer(alert.follow.text, True, (alert.result,), confidence=alert.result.probability), session.console, session.reshape)
        return len(alerts)

    def run(self) -> None:
        """Rounds until :attr:`stop` is set (the console's thread)."""
        while not self.stop.is_set():
            try:
                self.step(time.monotonic())
            except (SanadError, OSError, ValueError) as e:
                log.warning("following: %s", e)
            self.stop.wait(self.tick)


def run_console(
    index: Index, settings: Settings, console: Console | None = None, since: date | None = None, until: date | None = None
) -> int:
    """Read questions until :quit or end of input (answers from articles dated ``since``-``until``
    when given); returns the exit code."""
    console = console or Console()
    sanad = Sanad(index, replace(options(settings), since=since, until=until))
    session = _Session(sanad, console, wants_reshape(settings.console_reshape))
    if settings.index is not None:
        session.news = News(session, settings)
        threading.Thread(target=session.news.run, name="sanad-news", daemon=True).start()
    history = _setup_history()
    console.print(
        Text(
            f"Sanad · {len(index.articles)} articles, {index.n_passages} passages (index built {index.built_at}). "
            ":help for help, :quit to leave.",
            style="dim",
        )
    )
    try:
        while True:
            try:
                line = input("سؤال> ").strip()
            except KeyboardInterrupt:
                console.print()
                continue
            except EOFError:
                console.print()
                break
            if not line:
                continue
            try:
                if line.startswith(":"):
                    cmd, _, arg = line[1:].partition(" ")
                    if cmd in ("q", "quit", "exit"):
                        break
                    session.command(cmd, arg.strip())
                else:
                    session.ask(line, session.context)
            except SanadError as e:
                console.print(Text(str(e), style="red"))
    finally:
        if session.news is not None:
            session.news.stop.set()
        _save_history(history)
    return 0
