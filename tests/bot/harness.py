"""Bot Framework over real HTTP: signed JWTs, a local OpenID/JWKS endpoint, a fake connector."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
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


@dataclass
class FakeFile:
    """A file served at {connector}/files/{name}, as OneDrive serves a file's downloadUrl.

    `status` other than 200 answers with that status; `drip` sends the body in 1 KB pieces
    that far apart (a slow server); `chunked` sends no Content-Length; `gzip` sends the body
    gzip-encoded, so Content-Length gives the compressed size, not what arrives.
    """

    data: bytes
    status: int = 200
    drip: float = 0.0
    chunked: bool = False
    gzip: bool = False


@dataclass
class ReceivedUpload:
    """A PUT to {connector}/uploads/{name}, as the bot sends a copy to a OneDrive upload URL."""

    name: str
    data: bytes
    content_range: str | None


@dataclass
class Scripted:
    """One answer the connector gives instead of accepting an activity (e.g. a 429)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeConnector:
    """Plays the Bot Connector: records what the bot sends and answers the members call.

    It also plays OneDrive for files in chat: serving `files` (GET /files/{name}) and
    accepting uploads (PUT /uploads/{name}, answered with `upload_status`).
    """

    members: dict[str, Member] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)
    auth_headers: list[str | None] = field(default_factory=list)
    member_lookups: int = 0
    url: str = ""
    files: dict[str, FakeFile] = field(default_factory=dict)
    downloads: list[str] = field(default_factory=list)
    uploads: list[ReceivedUpload] = field(default_factory=list)
    upload_status: int = 201
    # Proactive messaging: answers scripted per conversation id (consumed in order), conversations
    # that always refuse with a status, the POSTs that arrived, and the chats created.
    scripts: dict[str, list[Scripted]] = field(default_factory=dict)
    refuse: dict[str, int] = field(default_factory=dict)
    # Conversations whose POSTs are answered only after this many seconds (a connector that
    # hangs; kept a little over the bot's read timeout, so that a test's clean-up is short).
    hang: dict[str, float] = field(default_factory=dict)
    posts: list[str] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    create_scripts: list[Scripted] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{cid}/activities", self._send)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._send)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._send)
        app.router.add_get("/v3/conversations/{cid}/members/{mid}", self._member)
        app.router.add_get("/files/{name}", self._file)
        app.router.add_put("/uploads/{name}", self._upload)
        return app

    def file_url(self, name: str) -> str:
        """The downloadUrl at which `files[name]` is served."""
        return f"{self.url}/files/{name}"

    def upload_url(self, name: str) -> str:
        """An uploadUrl that accepts a PUT of a file's bytes."""
        return f"{self.url}/uploads/{name}"

    async def _file(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.downloads.append(name)
        served = self.files.get(name)
        if served is None:
            return web.Response(status=404)
        if served.status != 200:
            return web.Response(status=served.status, text="server error")
        body = gzip.compress(served.data) if served.gzip else served.data
        if not (served.drip or served.chunked):
            headers = {"Content-Encoding": "gzip"} if served.gzip else {}
            return web.Response(body=body, headers=headers, content_type="application/octet-stream")
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        if served.chunked:
            response.enable_chunked_encoding()
        else:
            response.content_length = len(body)
        await response.prepare(request)
        try:
            for start in range(0, len(body), 1024):
                await response.write(body[start : start + 1024])
                if served.drip:
                    await asyncio.sleep(served.drip)
            await response.write_eof()
        except ConnectionResetError:
            pass  # the bot gave up reading, as it should
        return response

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        self.uploads.append(
            ReceivedUpload(request.match_info["name"], data, request.headers.get("Content-Range"))
        )
        return web.json_response({"id": "item-1"}, status=self.upload_status)

    def attachments_of(self, content_type: str) -> list[dict[str, Any]]:
        """Every attachment of this type the bot has sent, in order."""
        return [
            a
            for act in self.sent
            for a in act.get("attachments") or []
            if a.get("contentType") == content_type
        ]

    def script(self, conversation_id: str, *answers: Scripted | int) -> None:
        """Answer the next POSTs to this conversation with these statuses, then accept again."""
        self.scripts.setdefault(conversation_id, []).extend(
            a if isinstance(a, Scripted) else Scripted(a) for a in answers
        )

    def sent_to(self, conversation_id: str) -> list[dict[str, Any]]:
        """The activities accepted into one conversation, in order."""
        return [a for a in self.sent if a["_conversation"] == conversation_id]

    @staticmethod
    def _refusal(answer: Scripted) -> web.Response:
        body = {"error": {"code": "Scripted", "message": f"scripted {answer.status}"}}
        return web.json_response(body, status=answer.status, headers=answer.headers)

    async def _create(self, request: web.Request) -> web.Response:
        self.auth_headers.append(request.headers.get("Authorization"))
        parameters = await request.json()
        if self.create_scripts:
            return self._refusal(self.create_scripts.pop(0))
        self.created.append(parameters)
        member = (parameters.get("members") or [{}])[0].get("id", "")
        return web.json_response({"id": f"a:new-{member}"}, status=201)

    async def _send(self, request: web.Request) -> web.Response:
        self.auth_headers.append(request.headers.get("Authorization"))
        cid = request.match_info["cid"]
        self.posts.append(cid)
        if cid in self.hang:
            await asyncio.sleep(min(self.hang[cid], 30.0))
        if cid in self.refuse:
            return self._refusal(Scripted(self.refuse[cid]))
        if self.scripts.get(cid):
            return self._refusal(self.scripts[cid].pop(0))
        activity = await request.json()
        activity["_conversation"] = cid
        self.sent.append(activity)
        return web.json_response({"id": f"reply-{len(self.sent)}"})

    async def _member(self, request: web.Request) -> web.Response:
        self.member_lookups += 1
        self.auth_headers.append(request.headers.get("Authorization"))
        member = self.members.get(request.match_info["mid"])
        if member is None:
            return web.json_response(
                {"error": {"code": "MemberNotFoundInConversation"}}, status=404
            )
        return web.json_response(member.json())

    def cards(self) -> list[dict[str, Any]]:
        """The Adaptive Cards sent so far, in order."""
        return [
            a["content"]
            for act in self.sent
            for a in act.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]

    def texts(self) -> list[str]:
        return [a.get("text") or "" for a in self.sent]


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
