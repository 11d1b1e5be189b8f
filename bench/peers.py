"""What the bot talks to, played on 127.0.0.1 by the same fakes the tests use.

The Bot Framework's OpenID metadata and signing keys (served from a thread: the SDK fetches them
with blocking I/O), Entra ID's token endpoint over HTTPS (for the bot's replies), and a Bot
Connector that records when each reply arrives. Tokens are real RS256 JWTs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from tests.support.botframework import APP_ID, ISSUER, TENANT, OpenIdServer, SigningKey, serve
from tests.support.connector import FakeConnector
from tests.support.entra import TENANT as ENTRA_TENANT
from tests.support.entra import FakeEntra
from tests.support.tls import KeyPair, base_url, self_signed
from tests.support.tls import serve as serve_tls


@dataclass
class TimedConnector(FakeConnector):
    """A Bot Connector that wakes whoever waits for the next reply into a conversation."""

    waiting: dict[str, asyncio.Future[float]] = field(default_factory=dict)

    def expect(self, conversation_id: str) -> asyncio.Future[float]:
        """A future set to the moment (perf_counter) the next reply to this conversation lands."""
        future = asyncio.get_running_loop().create_future()
        self.waiting[conversation_id] = future
        return future

    async def _send(self, request: web.Request) -> web.Response:
        arrived = time.perf_counter()
        response = await super()._send(request)
        future = self.waiting.pop(request.match_info["cid"], None)
        if future is not None and not future.done():
            future.set_result(arrived)
        return response


@dataclass
class Peers:
    """The running fakes and how to reach them."""

    key: SigningKey
    openid: OpenIdServer
    entra: FakeEntra
    tls: KeyPair
    connector: TimedConnector = field(default_factory=TimedConnector)

    def token(self) -> str:
        """A Bot Framework channel token for the connector's service URL, valid for an hour."""
        return self.key.token(self.connector.url)

    def bot_env(self) -> dict[str, str]:
        """The HTPM_ settings that make `htpm serve` trust these peers (authentication on)."""
        return {
            "HTPM_APP_ID": APP_ID,
            "HTPM_APP_SECRET": "bench-secret",
            "HTPM_TENANT_ID": ENTRA_TENANT,
            "HTPM_ALLOWED_TENANTS": TENANT,
            "HTPM_OPENID_METADATA_URL": self.openid.metadata_url,
            "HTPM_TOKEN_ISSUER": ISSUER,
            "HTPM_LOGIN_AUTHORITY": self.entra.base,
            "HTPM_SERVICE_URL": self.connector.url,
            # msal's requests session trusts the local Entra's self-signed certificate.
            "REQUESTS_CA_BUNDLE": str(self.tls.cert_path),
        }


@contextmanager
def _threads(directory: Path) -> Iterator[tuple[SigningKey, OpenIdServer, FakeEntra, KeyPair]]:
    key = SigningKey("bench-key")
    tls = self_signed(directory / "tls")
    entra = FakeEntra()
    with ExitStack() as stack:
        openid = stack.enter_context(OpenIdServer([key]))
        server = stack.enter_context(serve_tls(entra.handler(), tls))
        entra.base = base_url(server)
        yield key, openid, entra, tls


async def start_peers(stack: AsyncExitStack, directory: Path) -> Peers:
    """Start every fake; they stop when the stack closes."""
    key, openid, entra, tls = stack.enter_context(_threads(directory))
    peers = Peers(key, openid, entra, tls)
    peers.connector.url = await stack.enter_async_context(serve(peers.connector.app()))
    return peers
