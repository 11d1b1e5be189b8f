"""Bot Framework over real HTTP: signed JWTs, a local OpenID/JWKS endpoint, Teams activities.

The fake Bot Connector the bot replies to is tests/support/connector.py.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import aiohttp
import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

APP_ID = "4b1a3f6e-2d8c-4e9a-9f10-6c7d8e9fa0b1"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ISSUER = "https://api.botframework.test"
BOT_ID = f"28:{APP_ID}"


class SigningKey:
    """An RSA key published in the JWKS (or not, for the unknown-key case)."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, Any]:
        data = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**data, "kid": self.kid, "use": "sig", "endorsements": ["msteams"]}

    def token(self, service_url: str, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": APP_ID,
            "serviceurl": service_url,
            "nbf": now - 60,
            "iat": now - 60,
            "exp": now + 3600,
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid})


class OpenIdServer:
    """OpenID metadata and JWKS, served from a thread (the SDK fetches them with blocking I/O)."""

    def __init__(self, keys: list[SigningKey]) -> None:
        self.keys = keys
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                base = f"http://127.0.0.1:{self.server.server_port}"
                if self.path == "/openid":
                    body = {"issuer": ISSUER, "jwks_uri": f"{base}/keys"}
                elif self.path == "/keys":
                    body = {"keys": [k.jwk() for k in outer.keys]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def metadata_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/openid"

    def __enter__(self) -> OpenIdServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Member:
    """A Teams user as the connector's members call returns them."""

    id: str
    name: str
    aad_object_id: str
    email: str
    upn: str | None = None  # the userPrincipalName, when not the email (a guest's `#EXT#` one)

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "aadObjectId": self.aad_object_id,
            "email": self.email,
            "userPrincipalName": self.email if self.upn is None else self.upn,
            "tenantId": TENANT,
            "userRole": "user",
        }


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Run an aiohttp app on a free loopback port; yields its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def message(
    member: Member, text: str, service_url: str, *, tenant: str = TENANT, value: Any = None
) -> dict[str, Any]:
    """A personal-chat message activity from a Teams user, as Teams sends it."""
    activity = {
        "type": "message",
        "id": f"msg-{uuid.uuid4().hex[:8]}",
        "timestamp": datetime.now().astimezone().isoformat(),
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": member.id, "name": member.name, "aadObjectId": member.aad_object_id},
        "conversation": {
            "conversationType": "personal",
            "tenantId": tenant,
            "id": f"a:conv-{member.id}",
        },
        "recipient": {"id": BOT_ID, "name": "HTPM bot"},
        "text": text,
        "textFormat": "plain",
        "locale": "en-GB",
        "channelData": {"tenant": {"id": tenant}},
    }
    if value is not None:
        activity["value"] = value
    return activity


def invoke(
    member: Member, verb: str, data: dict[str, Any], service_url: str, *, tenant: str = TENANT
) -> dict[str, Any]:
    """An adaptiveCard/action invoke, as Teams sends it when an Action.Execute is pressed."""
    activity = message(member, "", service_url, tenant=tenant)
    activity.pop("text")
    activity.update(
        type="invoke",
        name="adaptiveCard/action",
        value={
            "action": {"type": "Action.Execute", "verb": verb, "data": data},
            "trigger": "manual",
        },
    )
    return activity


def installation(member: Member, service_url: str, *, tenant: str = TENANT) -> dict[str, Any]:
    """The installationUpdate Teams sends when a person adds the app."""
    activity = message(member, "", service_url, tenant=tenant)
    activity.pop("text")
    activity.update(type="installationUpdate", action="add")
    return activity


async def post(
    session: aiohttp.ClientSession, bot_url: str, activity: dict[str, Any], token: str | None
) -> tuple[int, Any]:
    """POST an activity to /api/messages; returns the status and the JSON body (if any)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.post(f"{bot_url}/api/messages", json=activity, headers=headers) as resp:
        body = await resp.json() if resp.content_type == "application/json" else await resp.text()
        return resp.status, body


FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"


def file_message(
    member: Member,
    service_url: str,
    name: str,
    download_url: str,
    *,
    file_type: str | None = None,
    tenant: str = TENANT,
) -> dict[str, Any]:
    """A personal-chat message with a file attached, as Teams sends it (no text)."""
    activity = message(member, "", service_url, tenant=tenant)
    activity["attachments"] = [
        {
            "contentType": FILE_DOWNLOAD_INFO,
            "contentUrl": f"https://contoso.sharepoint.com/personal/me/Documents/{name}",
            "name": name,
            "content": {
                "downloadUrl": download_url,
                "uniqueId": str(uuid.uuid4()).upper(),
                "fileType": file_type if file_type is not None else name.rsplit(".", 1)[-1],
                "etag": "1",
            },
        }
    ]
    return activity


def inline_image_message(member: Member, service_url: str, *, tenant: str = TENANT) -> dict:
    """A message with a picture pasted into it: an image/* attachment and the message's HTML."""
    activity = message(member, "", service_url, tenant=tenant)
    url = f"{service_url}/v3/attachments/0-weu-d1-abc/views/original"
    activity["attachments"] = [
        {"contentType": "image/*", "contentUrl": url},
        {"contentType": "text/html", "content": f'<div><img src="{url}"></div>'},
    ]
    return activity


def file_consent(
    member: Member,
    service_url: str,
    action: str,
    context: dict[str, Any],
    upload_info: dict[str, Any] | None = None,
    *,
    tenant: str = TENANT,
) -> dict[str, Any]:
    """The fileConsent/invoke Teams sends when a FileConsentCard is accepted or declined."""
    activity = message(member, "", service_url, tenant=tenant)
    activity.pop("text")
    value: dict[str, Any] = {"type": "fileUpload", "action": action, "context": context}
    if upload_info is not None:
        value["uploadInfo"] = upload_info
    activity.update(type="invoke", name="fileConsent/invoke", value=value)
    return activity
