"""``sanad console``: an interactive question loop with history and a few ``:`` commands."""

from __future__ import annotations

import os
from pathlib import Path

from rich.console import Console
from rich.text import Text

from retrieval.answer import answer
from retrieval.errors import SanadError
from retrieval.index import Index

from .render import print_answer, print_article, print_sources, wants_reshape
from .settings import Settings

__all__ = ["run_console"]

HELP = """\
Type a question in Arabic and press Enter, e.g.
  ماذا طلب المجلس البلدي لمصراتة من بعثة الأمم المتحدة؟
  ماذا قال كوبلر عن الجيش الليبي؟
  بماذا تعهد ساركوزي؟
Commands:
  :help          this help
  :sources       the articles Sanad answers from
  :article ID    one whole article (ID as in :sources; a unique prefix such as 002 is enough)
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


def find_article(index: Index, key: str):
    """The article with id ``key``, or the only one whose id starts with it."""
    if key in index.articles:
        return index.articles[key]
    matches = [index.articles[k] for k in index.articles if k.startswith(key)]
    return matches[0] if len(matches) == 1 else None


def run_console(index: Index, settings: Settings, console: Console | None = None) -> int:
    """Read questions until :quit or end of input; returns the exit code."""
    console = console or Console()
    reshape = wants_reshape(settings.console_reshape)
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
            if line.startswith(":"):
                cmd, _, arg = line[1:].partition(" ")
                if cmd in ("q", "quit", "exit"):
                    break
                if cmd in ("h", "help", "?"):
                    console.print(HELP)
                elif cmd == "sources":
                    print_sources(list(index.articles.values()), console, reshape)
                elif cmd == "article":
                    article = find_article(index, arg.strip()) if arg.strip() else None
                    if article is None:
                        console.print(Text(f"No article {arg.strip()!r}: see :sources for the ids.", style="red"))
                    else:
                        print_article(article, console, reshape)
                else:
                    console.print(Text(f"Unknown command :{cmd}. Type :help.", style="red"))
                continue
            try:
                print_answer(
                    answer(line, index, settings.top_k, settings.min_confidence, settings.actors_backend), console, reshape
                )
            except SanadError as e:
                console.print(Text(str(e), style="red"))
    finally:
        _save_history(history)
    return 0
