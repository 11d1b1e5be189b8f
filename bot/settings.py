"""Configuration from HTPM_* environment variables (and an optional .env), loaded once at start."""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    Field,
    HttpUrl,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError as PydanticSettingsError

from appraisal.nudges import NudgePolicy
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


def _clock_time(value: str) -> time:
    try:
        hours, minutes = value.split(":")
        if len(minutes) != 2:
            raise ValueError
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"'{value}' is not a time of day written HH:MM, e.g. 08:00") from None


class DocumentLink(BaseModel):
    """A document in the pre-reading pack."""

    title: str = Field(min_length=1, max_length=200)
    url: HttpUrl


DEFAULT_PRE_READING = [
    DocumentLink(
        title="Headteachers' standards 2020 (DfE)",
        url=HttpUrl(
            "https://www.gov.uk/government/publications/national-standards-of-excellence-for-headteachers"
        ),
    )
]


class Settings(BaseSettings):
    """Every setting the product reads; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="HTPM_", env_file=".env", extra="ignore")

    database_url: str = DEFAULT_URL
    timezone: str = "Europe/London"
    nation: str = "england"
    closure_days: Annotated[list[date], NoDecode] = Field(default_factory=list)
    trust_target: str = "10-31"
    evidence_max_bytes: int = Field(default=25 * 1024 * 1024, gt=0)
    # The pre-reading pack: JSON, e.g. [{"title": "HTPM policy", "url": "https://…"}].
    pre_reading_links: list[DocumentLink] = Field(default_factory=lambda: list(DEFAULT_PRE_READING))

    # Nudges: cadences in working days, and the local hours in which messages go out.
    nudge_reminder_days: int = Field(default=2, ge=1, le=20)
    nudge_overdue_every_days: int = Field(default=2, ge=1, le=20)
    nudge_escalate_after_days: int = Field(default=3, ge=1, le=20)
    # The sending window (HTPM_QUIET_HOURS_START/_END, its old names, still work: deprecated).
    send_window_start: str = Field(
        default="08:00",
        validation_alias=AliasChoices(
            "send_window_start", "HTPM_SEND_WINDOW_START", "HTPM_QUIET_HOURS_START"
        ),
    )
    send_window_end: str = Field(
        default="17:30",
        validation_alias=AliasChoices(
            "send_window_end", "HTPM_SEND_WINDOW_END", "HTPM_QUIET_HOURS_END"
        ),
    )

    # The bot's identity in Microsoft Entra ID and how it authenticates.
    app_id: str = ""
    app_secret: SecretStr | None = None
    app_cert_path: Path | None = None
    app_type: Literal["SingleTenant", "UserAssignedMSI"] = "SingleTenant"
    tenant_id: str = ""
    allowed_tenants: Annotated[list[str], NoDecode] = Field(default_factory=list)
    public_url: str = ""
    # Endpoints: the public cloud's by default; sovereign clouds (and the tests) set their own.
    openid_metadata_url: str = "https://login.botframework.com/v1/.well-known/openidconfiguration"
    token_issuer: str = "https://api.botframework.com"  # noqa: S105 (an issuer URL, not a secret)
    login_authority: str = "https://login.microsoftonline.com"
    oauth_scope: str = "https://api.botframework.com/.default"
    # Where proactive 1:1 chats are created for people who never wrote to the bot.
    service_url: str = "https://smba.trafficmanager.net/teams/"
    # How often the server's sender looks for due proactive messages.
    send_interval_seconds: float = Field(default=30.0, gt=0)
    # How long a row may stay 'sending' before another pass takes it back (a crashed sender).
    send_lease_seconds: float = Field(default=300.0, gt=0)

    @field_validator("closure_days", mode="before")
    @classmethod
    def _split_days(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_tenants", mode="before")
    @classmethod
    def _split_tenants(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().lower() for part in value.split(",") if part.strip()]
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

    @field_validator("send_window_start", "send_window_end")
    @classmethod
    def _hours(cls, value: str) -> str:
        _clock_time(value)
        return value

    @model_validator(mode="after")
    def _window(self) -> Settings:
        if _clock_time(self.send_window_start) >= _clock_time(self.send_window_end):
            raise ValueError(
                "HTPM_SEND_WINDOW_START must be earlier than HTPM_SEND_WINDOW_END "
                f"(messages go out between them): {self.send_window_start} is not before "
                f"{self.send_window_end}"
            )
        return self

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a known time zone") from None
        return value

    def bot_problems(self) -> list[str]:
        """What stops the bot starting with authentication on (empty when all is well)."""
        problems = []
        if not self.app_id:
            problems.append("HTPM_APP_ID is not set")
        if self.app_type == "SingleTenant":
            if not self.tenant_id:
                problems.append("HTPM_TENANT_ID is not set (a SingleTenant bot needs it)")
            if self.app_secret is None and self.app_cert_path is None:
                problems.append("set HTPM_APP_SECRET or HTPM_APP_CERT_PATH")
            if self.app_cert_path is not None and not self.app_cert_path.is_file():
                problems.append(f"HTPM_APP_CERT_PATH: no file at {self.app_cert_path}")
        return problems

    def tenants(self) -> frozenset[str]:
        """Tenants whose people may use the bot: the allowed list, else the bot's own tenant."""
        listed = set(self.allowed_tenants) or (
            {self.tenant_id.lower()} if self.tenant_id else set()
        )
        return frozenset(listed)

    def policy(self) -> CyclePolicy:
        """The cycle rules these settings describe."""
        return CyclePolicy(target_month_day=_month_day(self.trust_target))

    def nudge_policy(self) -> NudgePolicy:
        """The nudge cadences and sending window these settings describe."""
        return NudgePolicy(
            reminder_days_before=self.nudge_reminder_days,
            overdue_every_days=self.nudge_overdue_every_days,
            escalate_after_days=self.nudge_escalate_after_days,
            window_start=_clock_time(self.send_window_start),
            window_end=_clock_time(self.send_window_end),
        )


class SettingsError(Exception):
    """The configuration is wrong; the message names each setting and what is wrong with it."""


def load_settings(**overrides: object) -> Settings:
    """Read the settings once; raise SettingsError with a readable message when they are wrong."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except PydanticSettingsError as exc:
        # Raised before validation when a list or object setting is not valid JSON.
        field = re.search(r'field "(\w+)"', str(exc))
        name = f"HTPM_{field.group(1).upper()}" if field else "a setting"
        raise SettingsError(
            f"The configuration is not valid:\n  {name}: is not valid JSON"
        ) from None
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = "HTPM_" + str(error["loc"][0]).upper() if error["loc"] else "settings"
            lines.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
        raise SettingsError("The configuration is not valid:\n  " + "\n  ".join(lines)) from None
