"""The bot on HTTP with authentication on: a seeded database, a fake connector, a movable clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import aiohttp
from botframework.connector.auth import AppCredentials, ServiceClientCredentialsFactory

from bot.demo import DEMO_DOMAIN, DEMO_PEOPLE
from bot.outbound import OutboundPolicy
from bot.server import create_app
from bot.settings import Settings
from bot.wiring import Product, build
from storage.database import Database
from tests.support.botframework import (
    APP_ID,
    ISSUER,
    TENANT,
    Member,
    OpenIdServer,
    SigningKey,
    invoke,
    post,
    serve,
)
from tests.support.cards import press
from tests.support.connector import FakeConnector
from tests.support.factories import at

NOW = at(2026, 11, 22, 10)  # Sunday 22 November 2026, 10:00
PUBLISHED_KEY = SigningKey("key-1")
STRAY_KEY = SigningKey("key-unpublished")


class StaticCredentials(AppCredentials):
    """Outbound credentials with a fixed token (MSAL itself is tested in test_credentials)."""

    def get_access_token(self, force_refresh: bool = False) -> str:
        return "outbound-test-token"


class StaticCredentialFactory(ServiceClientCredentialsFactory):
    async def is_valid_app_id(self, app_id: str) -> bool:
        return app_id == APP_ID

    async def is_authentication_disabled(self) -> bool:
        return False

    async def create_credentials(self, app_id, oauth_scope, login_endpoint, validate_authority):
        return StaticCredentials(app_id=app_id, oauth_scope=oauth_scope)


def demo_members() -> dict[str, Member]:
    """The demo people as Teams accounts, keyed by first name in lower case."""
    members = {}
    for name, local, _role, _urn, guid in DEMO_PEOPLE:
        members[name.split()[0].lower()] = Member(
            f"29:{local}", name, guid, f"{local}@{DEMO_DOMAIN}"
        )
    return members


@dataclass
class World:
    """The bot on HTTP, its database, the connector it replies to, and the demo people."""

    bot_url: str
    connector: FakeConnector
    product: Product
    members: dict[str, Member]
    session: aiohttp.ClientSession
    clock: list[datetime]

    @property
    def service_url(self) -> str:
        return self.connector.url

    def token(self, **claims) -> str:
        return PUBLISHED_KEY.token(self.service_url, **claims)

    async def send(self, activity: dict, token: str | None = "valid") -> tuple[int, object]:
        return await post(
            self.session, self.bot_url, activity, self.token() if token == "valid" else token
        )


async def send_verb(world: World, who: str, verb: str, data: dict) -> dict:
    """Invoke `verb` with `data` as `who`; returns the card that replaces the pressed one."""
    status, body = await world.send(invoke(world.members[who], verb, data, world.service_url))
    assert status == 200, body
    assert body["statusCode"] == 200
    return body["value"]


async def tap(world: World, who: str, card: dict, verb: str, **typed: Any) -> dict:
    """Press a button on a card as `who`; returns the card that replaces it."""
    verb, data = press(card, verb, **typed)
    return await send_verb(world, who, verb, data)


def make_settings(db_url: str, openid: OpenIdServer, **overrides: object) -> Settings:
    """Settings with authentication on, trusting the local OpenID endpoint."""
    values: dict[str, object] = {
        "database_url": db_url,
        "app_id": APP_ID,
        "app_secret": "not-used",
        "tenant_id": TENANT,
        "openid_metadata_url": openid.metadata_url,
        "token_issuer": ISSUER,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def _trusting(connector_url: str) -> OutboundPolicy:
    return OutboundPolicy(trusted_origins=frozenset({connector_url}))


@asynccontextmanager
async def running_bot(
    tmp_path,
    openid,
    seed,
    clock: list[datetime],
    database: Database | None = None,
    *,
    outbound: Callable[[str], OutboundPolicy] | None = None,
) -> AsyncIterator[World]:
    """The bot with authentication on, a database seeded by `seed`, and a movable clock.

    The database is a new SQLite file unless `database` (unmigrated, e.g. on PostgreSQL) is given.
    Outbound calls follow the production policy, trusting only the fake connector's origin
    (which serves the files), unless `outbound` makes the policy from the connector's URL.
    """
    db = database or Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}")
    await db.migrate()
    settings = make_settings(db.url, openid)
    product = build(settings, db)
    await seed(product)
    connector = FakeConnector(members={m.id: m for m in demo_members().values()})
    try:
        async with serve(connector.app()) as connector_url:
            connector.url = connector_url
            policy = (outbound or _trusting)(connector_url)
            app = create_app(
                settings,
                product,
                dev=False,
                clock=lambda: clock[0],
                credentials=StaticCredentialFactory(),
                outbound=policy,
            )
            async with serve(app) as bot_url, aiohttp.ClientSession() as session:
                yield World(bot_url, connector, product, demo_members(), session, clock)
    finally:
        await db.dispose()


async def seed_fresh_cycle(product: Product) -> None:
    """The demo roster; Brookside reviewed last year (three objectives); 2026–27 just opened."""
    from appraisal.commands import (
        Acknowledge,
        Approve,
        ConfirmAvailability,
        ConfirmDate,
        IssueFinal,
        ProposeDate,
        RecordMeeting,
        RecordMidYear,
        ShareWithGovernor,
        SubmitDraft,
    )
    from appraisal.record import MidYearReview, ObjectiveProgress, Progress
    from appraisal.roster import parse_roster
    from bot.demo import demo_roster_csv
    from tests.support.factories import meeting_record

    opened_2025 = at(2025, 9, 1)
    # Last year only Brookside was in the trust; the other two schools joined this year.
    last_year = [
        line
        for line in demo_roster_csv().splitlines()
        if line.startswith(("school_urn", "100001", ","))
    ]
    await product.roster.import_entries(parse_roster("\n".join(last_year)), opened_2025)
    await product.cycles.start(2025, opened_2025)
    await product.roster.import_entries(parse_roster(demo_roster_csv()), at(2026, 8, 28))
    async with product.ctx.uow() as tx:
        ids = {a.school_urn: a.id for a in await tx.appraisals.list(2025)}
        rhona = await tx.people.by_email(f"rhona.patel@{DEMO_DOMAIN}")
        hannah = await tx.people.by_email(f"hannah.lewis@{DEMO_DOMAIN}")
        gareth = await tx.people.by_email(f"gareth.evans@{DEMO_DOMAIN}")
    act, a = product.appraisals.act, ids["100001"]
    await act(rhona.id, a, ProposeDate(at(2025, 10, 15, 10)), at(2025, 9, 2))
    await act(hannah.id, a, ConfirmDate(), at(2025, 9, 3))
    await act(gareth.id, a, ConfirmAvailability(), at(2025, 9, 4))
    await act(rhona.id, a, RecordMeeting(meeting_record(previous=())), at(2025, 10, 15, 16))
    await act(rhona.id, a, SubmitDraft(), at(2025, 10, 16))
    await act(hannah.id, a, Approve(), at(2025, 10, 17))
    await act(rhona.id, a, IssueFinal(), at(2025, 10, 20))
    await act(hannah.id, a, ShareWithGovernor(), at(2025, 10, 21))
    await act(gareth.id, a, Acknowledge(date(2025, 11, 20)), at(2025, 10, 22))
    progress = tuple(ObjectiveProgress(f"O{n}", Progress.ON_TRACK) for n in (1, 2, 3))
    await act(
        rhona.id, a, RecordMidYear(MidYearReview(date(2026, 2, 10), progress)), at(2026, 2, 10, 15)
    )
    await product.cycles.start(2026, at(2026, 9, 1))
