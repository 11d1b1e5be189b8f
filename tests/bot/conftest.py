"""Fixtures for the bot tests: the bot over HTTP, a local Entra ID over HTTPS, the CLI database."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import requests

from bot.demo import seed_demo
from bot.wiring import Product
from tests.support.botframework import OpenIdServer
from tests.support.entra import FakeEntra
from tests.support.factories import at
from tests.support.tls import KeyPair, base_url, self_signed, serve
from tests.support.world import NOW, PUBLISHED_KEY, World, running_bot, seed_fresh_cycle


@pytest.fixture(scope="session")
def openid() -> Iterator[OpenIdServer]:
    with OpenIdServer([PUBLISHED_KEY]) as server:
        yield server


@pytest.fixture
async def world(tmp_path, openid) -> AsyncIterator[World]:
    """The demo trust as `htpm demo` leaves it on Sunday 22 November 2026."""

    async def seed(product: Product) -> None:
        await seed_demo(product, NOW)

    async with running_bot(tmp_path, openid, seed, [NOW]) as running:
        yield running


@pytest.fixture
async def fresh(tmp_path, openid) -> AsyncIterator[World]:
    """A new 2026–27 cycle on Tuesday 1 September 2026, with last year's objectives at Brookside."""
    async with running_bot(tmp_path, openid, seed_fresh_cycle, [at(2026, 9, 1, 9)]) as running:
        yield running


@pytest.fixture
def tls(tmp_path: Path) -> KeyPair:
    """The local endpoint's certificate."""
    return self_signed(tmp_path / "tls")


@pytest.fixture
def entra(tls: KeyPair) -> Iterator[FakeEntra]:
    """A local Entra ID look-alike over HTTPS on 127.0.0.1."""
    state = FakeEntra()
    with serve(state.handler(), tls) as server:
        state.base = base_url(server)
        yield state


@pytest.fixture
def http_client(tls: KeyPair) -> Iterator[requests.Session]:
    """A requests session that trusts the local endpoint's certificate, for this test only."""
    session = requests.Session()
    session.verify = str(tls.cert_path)
    session.trust_env = False  # no proxy and no CA bundle from the environment
    yield session
    session.close()


@pytest.fixture
def db_path(tmp_path, monkeypatch) -> Path:
    """A fresh SQLite file for the CLI; no other HTPM_* setting or .env file leaks in."""
    for name in list(os.environ):
        if name.startswith("HTPM_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "1000")  # wide enough that table cells are never folded
    path = tmp_path / "htpm.sqlite3"
    monkeypatch.setenv("HTPM_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    return path
