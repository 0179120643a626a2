"""Sanad's retrieval library: Arabic text -> normalized terms -> BM25 index -> sourced answers.

This package never imports ``bot``; every front end builds on :func:`retrieval.answer.answer`.
"""

__version__ = "0.1.0"
