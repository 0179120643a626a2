"""The layers: ``retrieval`` never imports ``bot``, and ``bot`` uses the library only through its
front door (``from retrieval import …``, names in ``retrieval.__all__``)."""

from __future__ import annotations

import ast
from pathlib import Path

import retrieval

ROOT = Path(__file__).resolve().parents[1]


def _imports(package: str) -> list[tuple[str, int, str, tuple[str, ...]]]:
    """``(file, line, module, names)`` of every import in ``package``'s sources."""
    out = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                out += [(str(path.relative_to(ROOT)), node.lineno, a.name, ()) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:  # relative: resolved against the file's package
                    parts = list(path.relative_to(ROOT).with_suffix("").parts)
                    base = parts[: len(parts) - node.level]
                    module = ".".join(base + ([module] if module else []))
                names = tuple(a.name for a in node.names)
                out.append((str(path.relative_to(ROOT)), node.lineno, module, names))
                if not node.module:  # from . import x: x may be a module
                    out += [(str(path.relative_to(ROOT)), node.lineno, f"{module}.{x}", ()) for x in names]
    return out


def test_retrieval_never_imports_bot() -> None:
    bad = [(f, n, m) for f, n, m, _ in _imports("retrieval") if m == "bot" or m.startswith("bot.")]
    assert bad == []


def test_bot_uses_only_the_library_front_door() -> None:
    deep = [(f, n, m) for f, n, m, _ in _imports("bot") if m.startswith("retrieval.")]  # relative ones stay in bot
    assert deep == [], "import these from `retrieval` (add them to retrieval/__init__.py's exports if needed)"
    unknown = [(f, n, x) for f, n, m, names in _imports("bot") if m == "retrieval" for x in names if x not in retrieval.__all__]
    assert unknown == []


def test_every_exported_name_loads() -> None:
    assert all(getattr(retrieval, name) is not None for name in retrieval.__all__)
