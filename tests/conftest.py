"""Shared fixtures: the default corpus and its index, built once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.corpus import Article, load_default_corpus
from retrieval.index import Index

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def default_articles() -> list[Article]:
    return load_default_corpus()


@pytest.fixture(scope="session")
def default_index(default_articles: list[Article]) -> Index:
    return Index.build(default_articles)


@pytest.fixture(scope="session")
def article_text(default_articles: list[Article]):
    by_prefix = {a.id[:3]: a.text for a in default_articles}
    return lambda prefix: by_prefix[prefix]


@pytest.fixture(scope="session")
def _cache_home(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("cache-home"))


@pytest.fixture(autouse=True)
def _private_state_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, _cache_home: str) -> None:
    """The bot's default SQLite state (``$XDG_STATE_HOME/sanad``) goes to a fresh directory per
    test, and the cached default index (``$XDG_CACHE_HOME/sanad``) to one directory for the session
    (the processes tests start inherit both): nothing is written to the user's home."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state-home")))
    monkeypatch.setenv("XDG_CACHE_HOME", _cache_home)


# ------------------------------------------------------------------------------ test tiers
_TIERS = ("integration", "slow", "container")
_REDIS_FIXTURES = frozenset(("redis_server", "replicas"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``unit`` for every test not marked ``integration``, ``slow`` or ``container`` (the markers
    are in pyproject.toml); ``redis`` (and ``integration``) for every test using a Redis server."""
    for item in items:
        if _REDIS_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.redis)
            item.add_marker(pytest.mark.integration)
        if not any(item.get_closest_marker(t) for t in _TIERS):
            item.add_marker(pytest.mark.unit)
