"""Sanad runs on its runtime dependencies alone: no PyTorch, nothing of training or the tests.

The test venv has everything (camel-tools brings PyTorch and transformers for the tests), so each
check runs in a fresh interpreter through ``deploy/lean_check.py --block``: every top-level module
of an installed distribution outside the closure of Sanad's runtime requirements (pyproject.toml's
``dependencies``, followed through the installed metadata, extras included) cannot be imported
there, exactly as in the image or a ``./dev.sh console`` venv, where they are not installed.
Then every runtime module is imported, a question answered, an index built with the default
tagger and the bot run against the fake Bot API (tests/fakebot.py); the two paths that do need
PyTorch (the camel-tools backend, training) say what to install. deploy/smoke.sh runs the same
module check in the image, where PyTorch is really absent.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from fakebot import plain_text
from packaging.requirements import Requirement
from test_telegram import TOKEN, _ServerThread

ROOT = Path(__file__).resolve().parents[1]
LEAN_CHECK = ROOT / "deploy" / "lean_check.py"
QUESTION = "ماذا قال كوبلر عن الجيش الليبي؟"
#: Distributions the runtime must never need (what the issue's 1.5 GB was made of).
NOT_RUNTIME = {"torch", "transformers", "camel-tools", "scikit-learn", "scipy", "pandas", "gensim", "sympy"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_closure() -> set[str]:
    """Normalized names of the distributions Sanad's runtime requirements pull in, transitively."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    todo = [Requirement(r) for r in project["project"]["dependencies"]]
    seen: dict[str, set[str]] = {"sanad": set()}
    while todo:
        req = todo.pop()
        name = _norm(req.name)
        if name in seen and req.extras <= seen[name]:
            continue
        seen.setdefault(name, set()).update(req.extras)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # not installed here (another platform's requirement): nothing to follow
        for line in requires:
            sub = Requirement(line)
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in {"", *seen[name]}):
                todo.append(sub)
    return set(seen)


def blocked_modules() -> list[str]:
    """Top-level modules of installed distributions outside :func:`runtime_closure` (and torch)."""
    keep = runtime_closure()
    names = {"torch"}
    for top, dists in metadata.packages_distributions().items():
        if not top.isidentifier() or top in sys.stdlib_module_names:
            continue
        if not any(_norm(d) in keep for d in dists):
            names.add(top)
    return sorted(names)


@pytest.fixture(scope="module")
def block() -> str:
    names = blocked_modules()
    assert {"torch", "transformers", "camel_tools", "sklearn", "scipy", "pytest"} <= set(names)
    assert not {"numpy", "telegram", "pydantic", "matplotlib", "pycrfsuite", "retrieval"} & set(names)
    return ",".join(names)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
    env.update(extra)
    return env


def _python(block: str, code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -c code`` with the modules of ``block`` made unimportable first."""
    prelude = f"import sys; sys.path.insert(0, {str(LEAN_CHECK.parent)!r}); import lean_check; lean_check.block({block!r}.split(','))\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + code], capture_output=True, text=True, cwd=ROOT, env=env or _env(), timeout=60
    )


def _lean(block: str, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(LEAN_CHECK), "--block", block, *args],
        capture_output=True, text=True, cwd=ROOT, env=env or _env(), timeout=timeout,
    )  # fmt: skip


# ------------------------------------------------------------------------------ what is declared
def test_runtime_requirements_and_the_image_lock_leave_out_torch() -> None:
    closure = runtime_closure()
    assert {"numpy", "python-telegram-bot", "tornado", "aiolimiter", "threadpoolctl"} <= closure
    assert not closure & NOT_RUNTIME, closure & NOT_RUNTIME
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extras = {k: {_norm(Requirement(r).name) for r in v} for k, v in project["project"]["optional-dependencies"].items()}
    assert {"torch", "scikit-learn"} <= extras["train"] and "camel-tools" in extras["camel"]
    # the image installs exactly the lock: it holds no heavy package either
    lock = (ROOT / "deploy" / "constraints.txt").read_text(encoding="utf-8").splitlines()
    pinned = {_norm(line.split("==")[0]) for line in lock if line and not line.startswith("#")}
    assert not pinned & NOT_RUNTIME, pinned & NOT_RUNTIME
    assert closure - {"sanad"} <= pinned, closure - {"sanad"} - pinned


def test_the_blocker_really_blocks(block: str) -> None:
    out = _python(block, "import torch")
    assert out.returncode == 1 and "No module named 'torch' (blocked" in out.stderr, out.stderr[-3000:]
    out = _python(block, "import numpy, telegram, retrieval.answer")
    assert out.returncode == 0, out.stderr[-3000:]


# ------------------------------------------------------------------------------ what runs
def test_every_runtime_module_imports_without_torch(block: str) -> None:
    out = _lean(block, "modules")
    assert out.returncode == 0, out.stderr[-3000:]
    n = int(re.search(r"ok: (\d+) runtime modules", out.stdout).group(1))
    assert n >= 60  # retrieval and bot, every module


def test_an_answer_without_torch(block: str) -> None:
    out = _lean(block, "sanad", "ask", "--json", QUESTION)
    assert out.returncode == 0, out.stderr[-3000:]
    ans = json.loads(out.stdout)
    assert ans["answered"] and any("كوبلر" in s for r in ans["results"] for s in r["sentences"]), ans


def test_an_index_built_with_the_default_tagger_without_torch(block: str, tmp_path: Path) -> None:
    from retrieval.actors.backend import auto_choice
    from retrieval.actors.neural import read_side

    libya = str(ROOT / "retrieval" / "data" / "libya-news")
    for backend in ("auto", "ensemble"):  # the CRF; the CRF and the NumPy neural tagger
        index = tmp_path / backend
        out = _lean(block, "sanad", "index", "--out", str(index), libya, env=_env(SANAD_ACTORS_BACKEND=backend))
        assert out.returncode == 0, out.stderr[-3000:]
        assert "unavailable" not in out.stderr, out.stderr  # no fallback to a lesser tagger
        manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
        built = manifest["history"][-1]
        assert built["actors"] == {"auto": auto_choice(read_side()), "ensemble": "ensemble"}[backend]
        assert built["articles"] == 5 and built["mentions"] > 100
    assert auto_choice(read_side()) == "model"  # the ensemble's 75.71 is within a point of the CRF's 75.01
    out = _lean(block, "sanad", "ask", "--json", "--index", str(index), QUESTION)
    assert out.returncode == 0 and json.loads(out.stdout)["answered"], out.stderr[-3000:]


@pytest.mark.integration
def test_the_bot_answers_without_torch(block: str, tmp_path: Path) -> None:
    with _ServerThread() as st:
        server = st.server
        env = _env(
            SANAD_TELEGRAM_TOKEN=TOKEN, SANAD_TELEGRAM_BASE_URL=server.base_url, SANAD_TELEGRAM_POLL_TIMEOUT="1",
            SANAD_STATE_URL=f"sqlite:///{tmp_path / 'state.sqlite3'}", SANAD_LOG_LEVEL="INFO",
        )  # fmt: skip
        proc = subprocess.Popen(
            [sys.executable, str(LEAN_CHECK), "--block", block, "sanad", "telegram"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            st.do(server.wait_for(lambda: server.of("getUpdates") or proc.poll() is not None, timeout=60), 70)
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            st.push(QUESTION)
            sent = st.do(server.wait_for(lambda: server.sent(1), timeout=30), 70)
            assert "كوبلر" in plain_text(sent[0].params["text"])
            proc.send_signal(signal.SIGINT)
            _, stderr = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr and "bot stopped" in stderr, stderr[-3000:]


# ------------------------------------------------------------------------------ what needs torch
def test_the_camel_backend_without_torch_says_what_to_install(block: str, tmp_path: Path) -> None:
    model = tmp_path / "data" / "ner" / "arabert"
    model.mkdir(parents=True)
    (model / "config.json").write_text("{}")  # installed data: only the packages are missing
    code = (
        "from retrieval.actors.camel import CamelTagger\nfrom retrieval.errors import ModelLoadError\n"
        "try:\n    CamelTagger()\nexcept ModelLoadError as e:\n    print('ERR', e)\n"
    )
    out = _python(block, code, env=_env(CAMELTOOLS_DATA=str(tmp_path)))
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr[-3000:]
    assert out.stdout.startswith("ERR camel-tools NER needs camel-tools with PyTorch") and "sanad[camel]" in out.stdout


def test_training_without_torch_says_what_to_install(block: str) -> None:
    out = _python(block, "from retrieval.training import neural as train_neural\nsys.exit(train_neural.main(['--eval-only']))")
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr[-3000:]
    assert "training needs PyTorch" in out.stderr and "sanad[train]" in out.stderr, out.stderr
