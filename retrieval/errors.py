"""One error hierarchy for Sanad. Every message says what happened and what to do next."""

from __future__ import annotations


class SanadError(Exception):
    """Base of every error Sanad raises on purpose; front ends print it without a traceback."""

    exit_code = 1


class InputError(SanadError):
    """A question (or other user input) that cannot be answered as given."""

    exit_code = 2


class CorpusError(SanadError):
    """A corpus path or corpus file that cannot be read."""

    exit_code = 3


class IndexLoadError(SanadError):
    """A saved index that is missing, stale, corrupted or of another format version."""

    exit_code = 4


class ConfigError(SanadError):
    """A setting (environment variable, .env, command-line option) with an invalid value."""

    exit_code = 2


class ModelLoadError(SanadError):
    """A model file (actor tagger, answerability model) that is missing, corrupted or of another version."""

    exit_code = 5
