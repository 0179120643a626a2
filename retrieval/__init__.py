"""Sanad's retrieval library: Arabic text -> normalized terms -> BM25 index -> sourced answers.

The front door: everything a front end uses is importable from here (``from retrieval import
Sanad, open_index``), and ``bot/`` imports nothing else (a test enforces it, as it enforces that
this package never imports ``bot``). Names load lazily, so ``import retrieval`` costs nothing::

    >>> from retrieval import Sanad, build_index, load_default_corpus
    >>> sanad = Sanad(build_index(load_default_corpus(), tagger="rules"))
    >>> sanad.answer("ماذا طلب المجلس البلدي لمصراتة من بعثة الأمم المتحدة؟").answered
    True
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Exported name -> (module, name there).
_EXPORTS: dict[str, tuple[str, str]] = {
    # answering
    **{n: ("service", n) for n in ("Sanad", "Reply", "ActorReport")},
    **{n: ("options", n) for n in ("Options", "ActorsBackend")},
    **{n: ("results", n) for n in ("Answer", "Quote", "Result")},
    "default_min_confidence": ("asking", "default_min_confidence"),
    **{n: ("followup", n) for n in ("Context", "FollowUp")},
    **{n: ("schema", n) for n in ("answer_in_quote", "article_meta", "day")},
    # indexes and corpora
    **{n: ("index", n) for n in ("Index", "ProgressFn")},
    "index_writer": ("index.lock", "index_writer"),
    **{n: ("corpus_index", n) for n in ("Select", "build_index", "open_index")},
    **{n: ("corpus", n) for n in ("Article", "ArticleMeta", "Problem", "load_default_corpus", "make_article",
                                  "problem_counts", "rest_lost")},  # fmt: skip
    # actors
    **{n: ("actors", n) for n in ("Actor", "get_tagger")},
    "tag_conll": ("actors.conll", "tag_conll"),
    **{n: ("actor_index", n) for n in ("ActorEntry", "ActorSentence")},
    # news: dates, timelines, feeds, alerts
    "parse_date": ("dates", "parse_date"),
    **{n: ("timeline", n) for n in ("Timeline", "sparkline")},
    **{n: ("feeds", n) for n in ("article_id", "extract_text", "item_article", "parse_feed", "text_key")},
    **{n: ("alerts", n) for n in ("Alert", "Follow", "added_since", "alert_result", "follow_kind")},
    "match_alerts": ("alerts", "match"),
    # evaluation
    "Report": ("evaluation", "Report"),
    "holdout_sample": ("evaluation", "holdout_sample"),
    "load_eval_questions": ("evaluation", "load_questions"),
    "eval_outcome": ("evaluation", "outcome"),
    "eval_report": ("evaluation", "report"),
    # training (never imported by the runtime: `sanad train NAME` only)
    "train": ("training", "run"),
    # text
    **{n: ("normalize", n) for n in ("bare_word", "normalize_token", "tokenize")},
    **{n: ("charsets", n) for n in ("DIGITS_TO_ASCII", "FORMAT_MARKS_RE", "LATIN_CLASS", "LRI", "PDI", "SURROGATE_RE")},
    # errors
    **{n: ("errors", n) for n in ("SanadError", "InputError", "ConfigError", "CorpusError", "FeedError",
                                  "IndexLoadError", "ModelLoadError")},  # fmt: skip
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    where = _EXPORTS.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{where[0]}"), where[1])
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return __all__
