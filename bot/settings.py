"""Configuration from HTPM_* environment variables (and an optional .env), loaded once at start."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from appraisal.policy import CyclePolicy
from appraisal.roster import NATIONS
from storage.database import DEFAULT_URL


def _month_day(value: str) -> tuple[int, int]:
    try:
        month, day = (int(part) for part in value.split("-"))
        date(2001, month, day)  # a non-leap year: 29 February is refused
    except ValueError:
        raise ValueError(f"'{value}' is not a month and day written MM-DD, e.g. 10-31") from None
    return month, day


class Settings(BaseSettings):
    """Every setting the product reads; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="HTPM_", env_file=".env", extra="ignore")

    database_url: str = DEFAULT_URL
    timezone: str = "Europe/London"
    nation: str = "england"
    closure_days: Annotated[list[date], NoDecode] = Field(default_factory=list)
    trust_target: str = "10-31"
    evidence_max_bytes: int = Field(default=25 * 1024 * 1024, gt=0)

    @field_validator("closure_days", mode="before")
    @classmethod
    def _split_days(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("nation")
    @classmethod
    def _known_nation(cls, value: str) -> str:
        value = value.lower().replace(" ", "_")
        if value not in NATIONS:
            raise ValueError(f"use one of: {', '.join(NATIONS)}")
        return value

    @field_validator("trust_target")
    @classmethod
    def _target(cls, value: str) -> str:
        _month_day(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a known time zone") from None
        return value

    def policy(self) -> CyclePolicy:
        """The cycle rules these settings describe."""
        return CyclePolicy(target_month_day=_month_day(self.trust_target))


class SettingsError(Exception):
    """The configuration is wrong; the message names each setting and what is wrong with it."""


def load_settings(**overrides: object) -> Settings:
    """Read the settings once; raise SettingsError with a readable message when they are wrong."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = "HTPM_" + str(error["loc"][0]).upper() if error["loc"] else "settings"
            lines.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
        raise SettingsError("The configuration is not valid:\n  " + "\n  ".join(lines)) from None
