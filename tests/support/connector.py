"""The Bot Connector the bot replies to, and OneDrive serving and accepting files, on loopback."""

from __future__ import annotations

import asyncio
import gzip
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.botframework import Member

#: A PDF of about 10 KB holding every byte value, for a FakeFile.
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


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
