"""Fixtures for the bot over HTTP: the demo trust, the service with authentication on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime

import aiohttp
import pytest
from botframework.connector.auth import AppCredentials, ServiceClientCredentialsFactory

from bot.demo import DEMO_DOMAIN, DEMO_PEOPLE, seed_demo
from bot.server import create_app
from bot.settings import Settings
from bot.wiring import Product, build
from storage.database import Database
from tests.bot.entra import entra, http_client, tls  # noqa: F401 - fixtures for bot tests
from tests.bot.harness import (
    APP_ID,
    ISSUER,
    TENANT,
    FakeConnector,
    Member,
    OpenIdServer,
    SigningKey,
    post,
    serve,
)
from tests.factories import at

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


@pytest.fixture(scope="session")
def openid() -> Iterator[OpenIdServer]:
    with OpenIdServer([PUBLISHED_KEY]) as server:
        yield server


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

    @property
    def service_url(self) -> str:
        return self.connector.url

    def token(self, **claims) -> str:
        return PUBLISHED_KEY.token(self.service_url, **claims)

    async def send(self, activity: dict, token: str | None = "valid") -> tuple[int, object]:
        return await post(
            self.session, self.bot_url, activity, self.token() if token == "valid" else token
        )


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


@pytest.fixture
async def world(tmp_path, openid) -> AsyncIterator[World]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}")
    await db.migrate()
    settings = make_settings(db.url, openid)
    product = build(settings, db)
    await seed_demo(product, NOW)
    connector = FakeConnector(members={m.id: m for m in demo_members().values()})
    clock: list[datetime] = [NOW]
    app = create_app(
        settings, product, dev=False, clock=lambda: clock[0], credentials=StaticCredentialFactory()
    )
    async with serve(connector.app()) as connector_url, serve(app) as bot_url:
        connector.url = connector_url
        async with aiohttp.ClientSession() as session:
            yield World(bot_url, connector, product, demo_members(), session)
    await db.dispose()
