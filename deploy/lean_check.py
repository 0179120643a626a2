"""Sanad runs without PyTorch: every runtime module imports, and a command runs, with the rest absent.

Standard library only: it runs in the image (deploy/smoke.sh mounts it) and in a development venv
(tests/test_lean.py), where PyTorch and the test and training libraries *are* installed and are
made unimportable first with ``--block``::

    python deploy/lean_check.py [--block NAME,...] modules      # import every module of retrieval and bot
    python deploy/lean_check.py [--block NAME,...] sanad ARGS   # run `sanad ARGS` (bot.cli)

``--block`` takes top-level module names: importing one raises ``ModuleNotFoundError``, as in an
environment without it. ``modules`` exits 1 when a module fails to import or when one of
:data:`HEAVY` was imported; in an environment without ``--block`` it also requires each of
:data:`HEAVY` to be absent (the image). ``sanad`` exits with the command's code.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.abc
import importlib.util
import os
import pkgutil
import runpy
import sys
import traceback
from collections.abc import Iterable, Sequence

#: What the runtime never needs: PyTorch and what camel-tools, training and the tests bring.
HEAVY = ("torch", "transformers", "tokenizers", "huggingface_hub", "camel_tools", "sklearn", "scipy",
         "pandas", "gensim", "sympy", "datasketch", "rank_bm25", "pytest")  # fmt: skip
#: Sanad's packages: every module under them is a runtime module.
PACKAGES = ("retrieval", "bot")


class _Blocker(importlib.abc.MetaPathFinder):
    """Refuses the top-level names it holds, and everything under them."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = frozenset(names)

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        if fullname.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {fullname!r} (blocked: not a runtime dependency)", name=fullname)
        return None


def block(names: Iterable[str]) -> None:
    """Make ``names`` (top-level modules) unimportable in this process, as if not installed."""
    names = [n for n in names if n]
    for mod in list(sys.modules):
        if mod.partition(".")[0] in names:
            del sys.modules[mod]
    sys.meta_path.insert(0, _Blocker(names))


def runtime_modules() -> list[str]:
    """Every module of :data:`PACKAGES` (imported as a walk goes: a package's ``__init__`` first)."""
    found: list[str] = []
    for top in PACKAGES:
        pkg = importlib.import_module(top)
        found.append(top)
        found += [m.name for m in pkgutil.walk_packages(pkg.__path__, top + ".", onerror=lambda name: None)]
    return found


def check_modules(blocked: bool) -> int:
    """Import every runtime module; 1 (with what failed) when one fails or pulls one of :data:`HEAVY` in."""
    problems: list[str] = []
    if not blocked:  # a real lean environment: the heavy packages must be absent
        problems += [f"{name} is installed" for name in HEAVY if importlib.util.find_spec(name) is not None]
    modules = runtime_modules()
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - every failure is reported
            problems.append(f"import {name} failed:\n" + traceback.format_exc(limit=-3))
    problems += [f"{name} was imported" for name in HEAVY if name in sys.modules]
    if problems:
        print("\n".join(f"FAIL: {p}" for p in problems), file=sys.stderr)
        return 1
    print(f"ok: {len(modules)} runtime modules imported; none of {', '.join(HEAVY)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--block", default="", help="comma-separated top-level module names made unimportable")
    ap.add_argument("what", choices=("modules", "sanad"))
    ap.add_argument("args", nargs=argparse.REMAINDER, help="the sanad command's arguments")
    args = ap.parse_args(argv)
    # This script's own directory is no part of the environment checked (in the image, a mount
    # point beside /opt/camel_tools would make that data directory a namespace package).
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    names = args.block.split(",") if args.block else []
    block(names)
    if args.what == "modules":
        return check_modules(blocked=bool(names))
    sys.argv = ["sanad", *args.args]
    try:
        runpy.run_module("bot.cli", run_name="__main__", alter_sys=True)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
