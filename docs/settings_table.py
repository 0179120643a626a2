"""The configuration table of README.md and docs/configuration.md, generated from ``bot.settings.Settings``.

Each ``SANAD_*`` variable is a field of ``Settings`` (pydantic-settings): its default, the values
its type and constraints accept, and its ``description`` make one row. The table sits between the
markers ``<!-- settings-table:start -->`` and ``<!-- settings-table:end -->`` of each file::

    .venv/bin/python docs/settings_table.py            # print the table
    .venv/bin/python docs/settings_table.py --write    # rewrite it in README.md and docs/configuration.md
    .venv/bin/python docs/settings_table.py --check    # exit 1 when a file's table is not Settings' table

mkdocs.yml loads this file as a hook: ``mkdocs build`` fails when a table is stale, so the CI's
docs build (``.ci/run``) checks it too.
"""

from __future__ import annotations

import argparse
import sys
import types
import typing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = (ROOT / "README.md", ROOT / "docs" / "configuration.md")
START = "<!-- settings-table:start -->"
END = "<!-- settings-table:end -->"


def _settings():  # type: ignore[no-untyped-def]
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from bot.settings import Settings

    return Settings


def _number(x: object) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def _default(field) -> str:  # type: ignore[no-untyped-def]
    if field.default_factory is not None:
        value = field.default_factory()
        return "—" if not value else f"`{value}`"
    value = field.default
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "`1`" if value else "`0`"
    return f"`{_number(value)}`"


def _bounds(field) -> str:  # type: ignore[no-untyped-def]
    lo = hi = None
    lo_open = False
    for m in field.metadata:
        if hasattr(m, "ge"):
            lo = m.ge
        elif hasattr(m, "gt"):
            lo, lo_open = m.gt, True
        elif hasattr(m, "le"):
            hi = m.le
    if lo is not None and hi is not None:
        return f"{_number(lo)}–{_number(hi)}"
    if lo is not None:
        return f"{'>' if lo_open else '≥'} {_number(lo)}"
    return ""


def _values(field) -> str:  # type: ignore[no-untyped-def]
    kind = field.annotation
    args = [a for a in typing.get_args(kind) if a is not type(None)]
    if typing.get_origin(kind) in (typing.Union, types.UnionType) and len(args) == 1:
        kind = args[0]  # Optional[X]
    if typing.get_origin(kind) is typing.Literal:
        return ", ".join(f"`{a}`" for a in typing.get_args(kind))
    if typing.get_origin(kind) is list:
        (item,) = typing.get_args(kind)
        return "paths, comma-separated" if item is Path else "numbers, comma-separated"
    if kind is bool:
        return "`0`, `1`"
    if kind is Path:
        return "path"
    if kind in (int, float):
        bounds = _bounds(field)
        word = "integer" if kind is int else "number"
        return f"{word} {bounds}" if bounds else word
    if getattr(kind, "__name__", "") == "SecretStr":
        return "secret"
    if any(getattr(m, "pattern", None) for m in field.metadata):
        return "URL"
    return "text"


def table() -> str:
    """The markdown table of every setting, in ``Settings``' order."""
    settings = _settings()
    prefix = settings.model_config.get("env_prefix", "SANAD_")
    rows = ["| variable | default | values | meaning |", "|---|---|---|---|"]
    for name, field in settings.model_fields.items():
        meaning = " ".join((field.description or "").split()).replace("|", "\\|")
        rows.append(f"| `{prefix}{name.upper()}` | {_default(field)} | {_values(field)} | {meaning} |")
    return "\n".join(rows)


def _replace(text: str, new: str, path: Path) -> str:
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise ValueError(f"{path}: needs one {START} and one {END} around the configuration table")
    head, rest = text.split(START)
    _, tail = rest.split(END)
    return f"{head}{START}\n{new}\n{END}{tail}"


def stale() -> list[Path]:
    """The files whose table is not Settings' table."""
    new = table()
    return [p for p in FILES if _replace(p.read_text(encoding="utf-8"), new, p) != p.read_text(encoding="utf-8")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help="rewrite the table in README.md and docs/configuration.md")
    group.add_argument("--check", action="store_true", help="exit 1 when a file's table differs from Settings'")
    args = parser.parse_args(argv)
    if args.write:
        new = table()
        for p in FILES:
            p.write_text(_replace(p.read_text(encoding="utf-8"), new, p), encoding="utf-8")
        return 0
    if args.check:
        bad = stale()
        for p in bad:
            print(f"{p.relative_to(ROOT)}: the configuration table is not bot.settings.Settings': "
                  "run .venv/bin/python docs/settings_table.py --write", file=sys.stderr)
        return 1 if bad else 0
    print(table())
    return 0


# ---------------------------------------------------------------------------------- mkdocs hook
def on_pre_build(config) -> None:  # type: ignore[no-untyped-def]
    """``mkdocs build``: fail when README.md's or docs/configuration.md's table is stale."""
    from mkdocs.exceptions import PluginError

    bad = stale()
    if bad:
        names = ", ".join(str(p.relative_to(ROOT)) for p in bad)
        raise PluginError(f"{names}: the configuration table is not bot.settings.Settings': "
                          "run .venv/bin/python docs/settings_table.py --write")


if __name__ == "__main__":
    sys.exit(main())
