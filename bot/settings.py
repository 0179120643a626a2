"""Every setting of Sanad, in one place: ``SANAD_*`` environment variables and ``.env``.

Command-line options override these (see ``bot.cli``). Invalid values raise
:class:`retrieval.errors.ConfigError` naming the variable and the accepted values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from retrieval.errors import ConfigError

__all__ = ["Settings", "load_settings"]


class Settings(BaseSettings):
    """Sanad's settings (environment variable = ``SANAD_`` + field name, upper case)."""

    model_config = SettingsConfigDict(env_prefix="SANAD_", env_file=".env", env_file_encoding="utf-8", extra="ignore")

    index: Path | None = Field(None, description="Saved index directory (built with `sanad index`).")
    corpus: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="Corpus paths (.txt directories, .jsonl, .jsonl.gz), comma-separated; default: the embedded corpus.",
    )
    top_k: int = Field(3, ge=1, le=20, description="Articles per answer.")
    min_coverage: float = Field(
        0.5, ge=0.0, le=1.0, description="Share of the question's specific words a passage must contain to answer."
    )
    console_reshape: Literal["auto", "on", "off"] = Field(
        "auto", description="Reshape and reorder Arabic for terminals without bidi support."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("WARNING", description="Log level.")

    @field_validator("corpus", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        if isinstance(value, str):
            return [p.strip() for p in value.split(",") if p.strip()]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


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
