"""``sanad console``: an interactive question loop with history and a few ``:`` commands."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.text import Text

from retrieval.actor_index import ActorSentence
from retrieval.errors import SanadError
from retrieval.followup import Context
from retrieval.index import Index
from retrieval.service import Sanad

from .render import (
    print_timeline,
    print_actor_header,
    print_actor_sentences,
    print_answer,
    print_article,
    print_follow_up,
    print_sources,
    wants_reshape,
)
from .settings import Settings, options

__all__ = ["run_console"]

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
        elif cmd == "new":
            question, self.context, self.last_follow_up = self.last_follow_up, None, None
            if question is not None:
                self.ask(question, None)
                self.context = None  # forgotten: the next question is asked on its own too
            else:
                console.print(Text("Context cleared: the next question is asked on its own.", style="dim"))
        else:
            console.print(Text(f"Unknown command :{cmd}. Type :help.", style="red"))


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


def run_console(
    index: Index, settings: Settings, console: Console | None = None, since: date | None = None, until: date | None = None
) -> int:
    """Read questions until :quit or end of input (answers from articles dated ``since``-``until``
    when given); returns the exit code."""
    console = console or Console()
    sanad = Sanad(index, replace(options(settings), since=since, until=until))
    session = _Session(sanad, console, wants_reshape(settings.console_reshape))
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
        _save_history(history)
    return 0
