"""Hostile requests for /api/messages: a seeded generator of malformed bodies and activities.

Each case is what a stranger on the internet, or a broken or malicious client holding a valid
channel token, could send: bodies that are not JSON or not an object, JSON that nests deeply or
holds 5,000-digit numbers and NaN, activities with fields missing, of the wrong type, huge,
or holding hostile text (NUL, lone surrogates, bidi overrides), card data with hostile ids,
invoke names the bot does not handle, and each with a valid token, none, or a bad one.

The same generator drives the fuzz test (a few hundred cases) and the benchmark (100,000).
"""

from __future__ import annotations

import copy
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tests.support.botframework import BOT_ID, TENANT, Member

#: How the token of a case is made: the caller signs them (see `Case.token`).
TOKENS = ("valid", "valid", "valid", "none", "garbage", "expired", "wrong_audience", "stray_key")

_VERBS = (
    "refresh",
    "show_appraisal",
    "confirm_date",
    "propose_date",
    "approve",
    "request_changes",
    "acknowledge",
    "record_meeting",
    "save_judgements",
    "add_evidence",
    "remove_evidence",
    "copy_evidence",
    "no_such_verb",
)
_INVOKE_NAMES = (
    "adaptiveCard/action",
    "adaptiveCard/action",
    "fileConsent/invoke",
    "task/fetch",
    "task/submit",
    "composeExtension/query",
    "signin/verifyState",
    "actionableMessage/executeAction",
    "config/fetch",
    "message/submitAction",
    "handoff/action",
    "",
    "x" * 300,
)
_TEXTS = (
    "",
    "status",
    "next",
    "help",
    "\x00status",
    "sta\x00tus",
    "\u202estatus",
    "\ud800",
    "\udfff lone",
    "مرحبا",
    "שלום",
    "１",
    "²",
    "<at>HTPM bot</at> status",
    "\r\n" * 50,
    "a" * 20_000,
)
_IDS = (
    "²",
    "１",
    "٣",
    "9" * 4400,
    "-1",
    "0",
    " 1",
    "1 ",
    "1.0",
    "0x1",
    "1e3",
    2**31,
    2**63,
    -(2**63),
    10**40,
    0,
    -1,
    1.5,
    True,
    False,
    None,
    [],
    {},
    [1],
    "1",
    1,
    2,
)


@dataclass(frozen=True)
class Case:
    """One request: its body (bytes), content type, and which token to send with it."""

    body: bytes
    content_type: str
    token: str  # one of TOKENS
    label: str  # what was done to it (for a failing test's message)


class Hostile:
    """An endless, reproducible stream of hostile requests for one bot.

    `service_url` is the connector the bot replies to (a valid token names it); `members` are
    people the connector knows (so some activities come from someone on the roster).
    """

    def __init__(self, seed: int, service_url: str, members: list[Member]) -> None:
        self._rng = random.Random(seed)
        self._service_url = service_url
        self._members = members

    def cases(self, count: int) -> Iterator[Case]:
        for _ in range(count):
            yield self.case()

    def case(self) -> Case:
        rng = self._rng
        token = rng.choice(TOKENS)
        roll = rng.random()
        if roll < 0.15:
            body, label = self._raw_body()
            return Case(
                body, rng.choice(("application/json",) * 6 + ("text/plain", "")), token, label
            )
        activity = self._activity()
        label = activity.get("type", "?") if isinstance(activity, dict) else "?"
        for _ in range(rng.choice((0, 1, 1, 2, 3, 5))):
            label += " | " + self._mutate(activity)
        text = json.dumps(activity, ensure_ascii=rng.random() < 0.5, allow_nan=True)
        return Case(text.encode("utf-8", "surrogatepass"), "application/json", token, label)

    # -- whole bodies that are not a well-formed activity ------------------------------------

    def _raw_body(self) -> tuple[bytes, str]:
        rng = self._rng
        depth = rng.choice((100, 1000, 5000, 50_000))
        choices: list[tuple[bytes, str]] = [
            (b"", "empty body"),
            (b"{", "truncated JSON"),
            (b"not json", "not JSON"),
            (b"\xff\xfe\x00{", "not UTF-8"),
            (b"[]", "a list"),
            (b"null", "null"),
            (b"12", "a number"),
            (b'"activity"', "a string"),
            (b"[" * depth + b"]" * depth, f"a list nested {depth} deep"),
            (b'{"a":' * depth + b"1" + b"}" * depth, f"an object nested {depth} deep"),
            (b'{"type":"message","id":' + b"9" * 5000 + b"}", "a 5,000-digit integer"),
            (b'{"type":"message","serviceUrl":NaN}', "NaN"),
            (b'{"type":"message","x":Infinity,"y":-Infinity}', "Infinity"),
            (b'{"type":"message","x":1e999}', "a float that overflows"),
            (b'{"type":"message","type":"invoke"}', "a duplicate key"),
            (b'{"type":"message","text":"\\ud800"}', "a lone surrogate"),
            (b'{"type":"message","text":"\\u0000"}', "an escaped NUL"),
            (b'{"type": "message"}' + b" " * 300_000, "a body over the size limit"),
            (json.dumps({"type": "message", "x": [0] * 60_000}).encode(), "a huge array"),
        ]
        return rng.choice(choices)

    # -- activities, then mutated ------------------------------------------------------------

    def _sender(self) -> dict[str, Any]:
        rng = self._rng
        if self._members and rng.random() < 0.7:
            member = rng.choice(self._members)
            return {"id": member.id, "name": member.name, "aadObjectId": member.aad_object_id}
        aad = rng.choice((str(uuid.UUID(int=rng.getrandbits(128))), "x" * 40, "a\x00b", "", "١٢٣"))
        return {"id": f"29:{rng.getrandbits(32)}", "name": "Stranger", "aadObjectId": aad}

    def _activity(self) -> dict[str, Any]:
        rng = self._rng
        sender = self._sender()
        activity: dict[str, Any] = {
            "type": "message",
            "id": f"msg-{rng.getrandbits(40):x}",
            "timestamp": "2026-11-23T10:00:00.000Z",
            "serviceUrl": self._service_url,
            "channelId": "msteams",
            "from": sender,
            "conversation": {
                "conversationType": "personal",
                "tenantId": TENANT,
                "id": f"a:conv-{sender['id']}",
            },
            "recipient": {"id": BOT_ID, "name": "HTPM bot"},
            "locale": "en-GB",
            "channelData": {"tenant": {"id": TENANT}},
        }
        kind = rng.choice(("message", "invoke", "invoke", "invoke", "other"))
        if kind == "message":
            activity["text"] = rng.choice(_TEXTS)
            if rng.random() < 0.3:
                activity["attachments"] = [self._file_attachment()]
            if rng.random() < 0.2:
                activity["value"] = {"verb": rng.choice(_VERBS), **self._card_data()}
        elif kind == "invoke":
            name = rng.choice(_INVOKE_NAMES)
            activity["type"] = "invoke"
            activity["name"] = name
            if name == "fileConsent/invoke":
                activity["value"] = {
                    "type": "fileUpload",
                    "action": rng.choice(("accept", "decline", "other", None)),
                    "context": self._card_data(),
                    "uploadInfo": {
                        "name": "copy.pdf",
                        "uploadUrl": rng.choice(
                            (f"{self._service_url}/uploads/x", "http://169.254.169.254/", None, 5)
                        ),
                        "contentUrl": "https://contoso.sharepoint.com/x",
                        "uniqueId": "1",
                        "fileType": "pdf",
                    },
                }
            else:
                activity["value"] = {
                    "action": {
                        "type": "Action.Execute",
                        "verb": rng.choice(_VERBS),
                        "data": self._card_data(),
                    },
                    "trigger": "manual",
                }
        else:
            activity["type"] = rng.choice(
                (
                    "installationUpdate",
                    "conversationUpdate",
                    "event",
                    "typing",
                    "messageReaction",
                    "endOfConversation",
                    "trace",
                    "handoff",
                    "",
                    "message\x00",
                    "Message",
                )
            )
            activity["action"] = rng.choice(("add", "remove", None, 7))
        return activity

    def _card_data(self) -> dict[str, Any]:
        rng = self._rng
        data: dict[str, Any] = {"appraisal_id": rng.choice(_IDS)}
        for key in ("version", "upload_id", "evidence_id", "mid_year_month", "item"):
            if rng.random() < 0.4:
                data[key] = rng.choice(_IDS)
        for key in ("comment", "title", "date", "time", "meeting_date", "objective_1"):
            if rng.random() < 0.3:
                data[key] = rng.choice((*_TEXTS, "2026-12-09", "09:30", "31/02/2027", "2027-02-30"))
        return data

    def _file_attachment(self) -> dict[str, Any]:
        rng = self._rng
        name = rng.choice(("report.pdf", "a\x00b.pdf", "\u202efdp.exe", "x" * 2000 + ".pdf", ""))
        return {
            "contentType": "application/vnd.microsoft.teams.file.download.info",
            "contentUrl": "https://contoso.sharepoint.com/personal/me/Documents/report.pdf",
            "name": name,
            "content": {
                "downloadUrl": rng.choice(
                    (
                        "http://169.254.169.254/latest/meta-data",
                        "http://127.0.0.1:1/",
                        "https://user:pass@example.invalid/x",
                        "file:///etc/passwd",
                        "",
                        None,
                        12,
                    )
                ),
                "uniqueId": "1",
                "fileType": rng.choice(("pdf", "exe", "", None, 3)),
            },
        }

    def _junk(self) -> Any:
        rng = self._rng
        return rng.choice(
            (
                None,
                True,
                0,
                -1,
                2**63,
                10**100,
                1.5,
                "",
                "x" * 10_000,
                "\x00",
                "\ud800",
                "\u202e",
                [],
                [None] * 1000,
                list(range(2000)),
                {},
                {"id": None},
                {"a": {"b": {"c": {"d": [{}]}}}},
            )
        )

    def _mutate(self, activity: dict[str, Any]) -> str:
        """Change one random place in the activity; returns what was done."""
        rng = self._rng
        path = self._random_path(activity)
        if not path:
            return "unchanged"
        parent = activity
        for key in path[:-1]:
            parent = parent[key]
        last = path[-1]
        action = rng.choice(("delete", "junk", "junk", "duplicate", "type"))
        where = ".".join(str(p) for p in path)
        if action == "delete" and isinstance(parent, dict):
            del parent[last]
            return f"deleted {where}"
        if action == "duplicate":
            parent[last] = [copy.deepcopy(parent[last])] * rng.choice((2, 500))
            return f"{where} made a list"
        if action == "type":
            value = parent[last]
            parent[last] = str(value) if not isinstance(value, str) else {"value": value}
            return f"{where} changed type"
        parent[last] = self._junk()
        return f"{where} replaced with junk"

    def _random_path(self, activity: dict[str, Any]) -> list[Any]:
        rng = self._rng
        path: list[Any] = []
        node: Any = activity
        while isinstance(node, (dict, list)) and node:
            keys = list(node.keys()) if isinstance(node, dict) else list(range(len(node)))
            key = rng.choice(keys)
            path.append(key)
            node = node[key]
            if rng.random() < 0.4:
                break
        return path
