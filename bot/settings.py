"""Every setting of Sanad, in one place: ``SANAD_*`` environment variables and ``.env``.

Command-line options override these (see ``bot.cli``). Invalid values raise
:class:`retrieval.errors.ConfigError` naming the variable and the accepted values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from retrieval import ActorsBackend, ConfigError, Options

__all__ = ["Settings", "load_settings", "options", "parse_every"]


class Settings(BaseSettings):
    """Sanad's settings (environment variable = ``SANAD_`` + field name, upper case)."""

    model_config = SettingsConfigDict(env_prefix="SANAD_", env_file=".env", env_file_encoding="utf-8", extra="ignore")

    index: Path | None = Field(None, description="Saved index directory (built with `sanad index`).")
    corpus: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="Corpus paths (.txt directories, .jsonl, .jsonl.gz), comma-separated; default: the embedded corpus.",
    )
    top_k: int = Field(3, ge=1, le=20, description="Articles per answer.")
    min_confidence: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Probability (0-1) the answerability model must give the first result to answer; "
        "default: the shipped model's threshold (`retrieval/data/answerability.json`).",
    )
    min_coverage: float | None = Field(
        None, description="Retired: setting it is an error that says to use SANAD_MIN_CONFIDENCE."
    )
    console_reshape: Literal["auto", "on", "off"] = Field(
        "auto", description="Reshape and reorder Arabic for terminals without bidi support."
    )
    actors_backend: ActorsBackend = Field(
        "auto",
        description="Actor tagger beside the rules: model (shipped CRF), neural (shipped BiLSTM-CRF), ensemble "
        "(the CRF's spans, then the neural tagger's where the CRF found none), camel (camel-tools NER, if "
        "`camel_data -i ner-arabert` installed it), auto (camel when installed, else whichever of model, neural "
        "and ensemble scores best on the dev tenth, a slower one by at least a point, today the CRF, for a new index of at most 100,000 tokens, "
        "some 300 news articles; the CRF above, where the ensemble would take minutes to hours; adding to an "
        "index keeps the tagger it was built with), rules (the rules alone: no statistical tagger).",
    )
    feeds: str = Field(
        "",
        description="News feeds (RSS or Atom URLs, comma-separated) read into SANAD_INDEX by `sanad follow` (when "
        "none is named), the bot and the console.",
    )
    feed_every: str = Field("10m", description="How often the feeds are read: 90s, 10m, 1h.")
    feeds_allow_private: bool = Field(
        False, description="Fetch feeds and pages on private or loopback addresses (refused by default)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("WARNING", description="Log level.")

    # Telegram bot (`sanad telegram`). The token is a SecretStr: never printed, logged or echoed
    # in errors; its format is checked by bot.telegram (not here, where errors echo the input).
    telegram_token: SecretStr | None = Field(None, description="Bot token from @BotFather.")
    telegram_base_url: str = Field(
        "https://api.telegram.org/bot",
        description="Bot API base URL (the token is appended, or replaces {token}); for self-hosted Bot API servers and tests.",
    )
    telegram_webhook_url: str | None = Field(
        None, pattern=r"^https?://\S+$", description="Public HTTPS URL Telegram posts updates to; unset: long polling."
    )
    telegram_listen: str = Field("127.0.0.1", description="Webhook mode: address the local web server listens on.")
    telegram_port: int = Field(8443, ge=1, le=65535, description="Webhook mode: port the local web server listens on.")
    telegram_webhook_secret: SecretStr | None = Field(
        None, description="Webhook mode: secret Telegram sends in X-Telegram-Bot-Api-Secret-Token; default: random per start."
    )
    telegram_allowed_chats: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Chat ids allowed to use the bot, comma-separated; empty: every chat."
    )
    telegram_user_rate: float = Field(
        20.0, ge=0.0, description="Questions (and button presses) per user per minute; 0: no limit."
    )
    telegram_user_burst: int = Field(5, ge=1, description="Questions a user may send at once before the per-minute rate applies.")
    telegram_max_rate: float = Field(
        30.0, ge=0.0, description="Outgoing messages per second over all chats (Telegram's flood limit); 0: no limit."
    )
    telegram_workers: int = Field(4, ge=1, le=64, description="Threads answering questions.")
    telegram_connections: int = Field(
        8, ge=1, le=256, description="HTTP connections to the Bot API (httpcore scans them all on every request)."
    )
    telegram_timeout: float = Field(10.0, gt=0.0, description="Seconds to wait for one Bot API response before retrying.")
    telegram_poll_timeout: float = Field(10.0, ge=0.0, description="Long-polling timeout in seconds.")
    telegram_context_minutes: float = Field(
        30.0, ge=0.0, description="How long a chat's last answer gives context to short follow-ups; 0: no follow-ups."
    )

    index_watch_seconds: float = Field(
        5.0,
        ge=0.0,
        description="`sanad telegram` with SANAD_INDEX: seconds between looks at the index's manifest; a rebuilt or "
        "extended index is swapped in without a restart (SIGHUP: look now); 0: only on SIGHUP.",
    )
    state_url: str | None = Field(
        None,
        description="Where the Telegram bot keeps buttons, follow-up contexts, rate limits and answered update ids: "
        "sqlite:///PATH (one process; sqlite:////abs/path; default: sqlite:///$XDG_STATE_HOME/sanad/telegram.sqlite3, "
        "~/.local/state without XDG_STATE_HOME; the image: /data/state/telegram.sqlite3), redis://HOST:PORT/DB "
        "(several replicas), memory:// (this process only).",
    )

    # Health of the running bot (`sanad health`, a container's HEALTHCHECK): see bot/health.py.
    heartbeat_file: Path | None = Field(
        None, description="File the Telegram bot refreshes while it serves; unset: no heartbeat (the image sets it)."
    )
    heartbeat_interval: float = Field(30.0, gt=0.0, description="Seconds between heartbeat probes of the bot.")
    heartbeat_max_age: float = Field(
        90.0, gt=0.0, description="`sanad health` fails when the heartbeat is older than this (seconds)."
    )

    @field_validator("index", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        """``SANAD_INDEX=`` (set but empty, as compose files leave it) means no index, not "."."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("corpus", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        if isinstance(value, str):
            return [p.strip() for p in value.split(",") if p.strip()]
        return value

    @field_validator("telegram_allowed_chats", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [p.strip() for p in value.split(",") if p.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @property
    def feed_urls(self) -> list[str]:
        """``SANAD_FEEDS`` as a list of URLs."""
        return [f.strip() for f in self.feeds.split(",") if f.strip()]

    @property
    def feed_seconds(self) -> float:
        """``SANAD_FEED_EVERY`` in seconds (checked when the settings load)."""
        return parse_every(self.feed_every)

    @field_validator("feed_every")
    @classmethod
    def _feed_every(cls, value: str) -> str:
        try:
            parse_every(value)
        except (ValueError, KeyError):
            raise ValueError(f"{value!r}: write 90s, 10m or 1h") from None
        return value

    @field_validator("state_url")
    @classmethod
    def _state_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        from .telegram.store import check_url

        try:
            return check_url(value)
        except ConfigError as e:
            raise ValueError(str(e).removeprefix("SANAD_STATE_URL: ")) from None

    @field_validator("min_coverage", mode="before")
    @classmethod
    def _retired(cls, value: object) -> object:
        if value is not None and value != "":
            raise ValueError(
                "retired: Sanad now decides with a calibrated probability, not a word share; "
                "remove SANAD_MIN_COVERAGE and set SANAD_MIN_CONFIDENCE (0-1) if the default threshold does not suit you"
            )
        return None

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


def parse_every(text: str) -> float:
    """Seconds of ``90s``, ``10m``, ``1h`` (a bare number is minutes); ``ValueError`` otherwise."""
    text = text.strip().lower()
    units = {"s": 1, "m": 60, "h": 3600}
    value, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "m")
    seconds = float(value) * units[unit]
    if seconds <= 0:
        raise ValueError(text)
    return seconds


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and ``.env``; ``overrides`` (not None) win."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as e:
        lines = []
        for err in e.errors():
            name = "SANAD_" + "_".join(str(p) for p in err["loc"][:1]).upper()
            lines.append(f"{name}: {err['msg']} (got {err.get('input')!r})")
        raise ConfigError("invalid setting: " + "; ".join(lines)) from None


def options(settings: Settings) -> Options:
    """The answering options every front end hands to :class:`~retrieval.service.Sanad`."""
    return Options(top_k=settings.top_k, min_confidence=settings.min_confidence, actors_backend=settings.actors_backend)
