"""The requests the benchmark sends, each as Teams would send it, each checked on its answer."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import aiohttp

from bench.peers import Peers
from bench.trust import PREVIOUS, Headteacher
from tests.support.botframework import Member, SigningKey, invoke, message
from tests.support.hostile import Hostile

#: The longest one request may take before it counts as failed.
REQUEST_TIMEOUT = 30.0


def member(head: Headteacher) -> Member:
    """The headteacher as a Teams account."""
    return Member(head.teams_id, head.name, head.aad_object_id, head.email)


def version_in(card: dict[str, Any], appraisal_id: int) -> int | None:
    """The appraisal version the card's buttons carry (what the next press must send)."""
    found: list[int] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("appraisal_id") == appraisal_id and isinstance(node.get("version"), int):
                found.append(node["version"])
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(card)
    return max(found) if found else None


class _Headteachers:
    """Workers that are headteachers of the bench trust, posting to one bot as Teams does."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        bot_url: str,
        peers: Peers,
        heads: Sequence[Headteacher],
    ) -> None:
        self._session = session
        self._url = f"{bot_url}/api/messages"
        self._peers = peers
        self._heads = list(heads)
        self._headers = {"Authorization": f"Bearer {peers.token()}"}

    def _post(self, activity: dict[str, Any]) -> Any:
        """POST one activity (an async context manager for the response)."""
        return self._session.post(
            self._url, json=activity, headers=self._headers, timeout=_timeout()
        )


class SelfEvaluations(_Headteachers):
    """Each worker is one headteacher saving their self-evaluation again and again.

    Every save is an Action.Execute invoke with the version the last card showed: a stage
    check, a write of the record with its audit event, and the card rebuilt as it now stands.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        bot_url: str,
        peers: Peers,
        heads: Sequence[Headteacher],
        *,
        check: bool = True,
    ) -> None:
        super().__init__(session, bot_url, peers, heads)
        self._versions = {h.appraisal_id: h.version for h in heads}
        self._check = check
        self.last_card: dict[str, Any] = {}
        self.largest = 0

    def _data(self, head: Headteacher, n: int) -> dict[str, Any]:
        data: dict[str, Any] = {"appraisal_id": head.appraisal_id}
        data["version"] = self._versions[head.appraisal_id]
        for number, objective in enumerate(PREVIOUS):
            data[f"rating_{objective.ref}"] = ("met", "partially_met", "not_met")[(n + number) % 3]
            data[f"commentary_{objective.ref}"] = f"Evidence of impact, save {n}."
        return data

    async def __call__(self, worker: int) -> None:
        head = self._heads[worker % len(self._heads)]
        saves = self._versions[head.appraisal_id]
        activity = invoke(
            member(head), "self_evaluate", self._data(head, saves), self._peers.connector.url
        )
        async with self._post(activity) as response:
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}")
            body = await response.read()
        self.largest = max(self.largest, len(body))
        if not self._check:
            return
        answer = _json(body)
        card = answer.get("value") if isinstance(answer, dict) else None
        if not isinstance(card, dict):
            raise RuntimeError("the invoke answer carries no card")
        version = version_in(card, head.appraisal_id)
        if version != saves + 1 or "Done: Self-evaluation saved" not in body.decode():
            raise RuntimeError(f"the save was not taken (card version {version}, sent {saves})")
        self._versions[head.appraisal_id] = version
        self.last_card = card


class StatusRoundTrips(_Headteachers):
    """Each worker is one headteacher typing `status`; latency lasts until the reply arrives."""

    async def __call__(self, worker: int) -> float:
        head = self._heads[worker % len(self._heads)]
        activity = message(member(head), "status", self._peers.connector.url)
        arrived = self._peers.connector.expect(activity["conversation"]["id"])
        began = time.perf_counter()
        async with self._post(activity) as response:
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}")
        landed = await asyncio.wait_for(arrived, REQUEST_TIMEOUT)
        reply = self._peers.connector.sent_to(activity["conversation"]["id"])[-1]
        card = json.dumps(reply.get("attachments") or [])
        if "Your appraisals" not in card or head.school_name not in card:
            raise RuntimeError("the reply is not this headteacher's status card")
        return landed - began


class HostileRequests:
    """Each worker sends the generator's next hostile request; answers are counted by status.

    The tokens of each kind are signed once (they last an hour), so the load generator's own
    RSA signing does not take the cores from the server.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        bot_url: str,
        peers: Peers,
        members: Sequence[Member],
        seed: int,
    ) -> None:
        self._session = session
        self._url = f"{bot_url}/api/messages"
        self._cases = Hostile(seed, peers.connector.url, list(members))
        now = int(time.time())
        service_url = peers.connector.url
        self._tokens: dict[str, str | None] = {
            "valid": peers.key.token(service_url),
            "expired": peers.key.token(service_url, exp=now - 3600, nbf=now - 7200),
            "wrong_audience": peers.key.token(service_url, aud="someone-else"),
            "stray_key": SigningKey("bench-unpublished").token(service_url),
            "garbage": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
            "none": None,
        }
        self.statuses: Counter[int] = Counter()
        self.first_5xx = ""
        self.first_unanswered = ""

    async def __call__(self, worker: int) -> None:
        case = self._cases.case()
        headers = {"Content-Type": case.content_type} if case.content_type else {}
        token = self._tokens[case.token]
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            async with self._session.post(
                self._url,
                data=io.BytesIO(case.body),
                headers=headers,
                skip_auto_headers=("Content-Type",),
                timeout=_timeout(),
            ) as response:
                await response.read()
        except TimeoutError:
            self.first_unanswered = self.first_unanswered or f"{case.token} token: {case.label}"
            raise
        self.statuses[response.status] += 1
        if response.status >= 500 and not self.first_5xx:
            self.first_5xx = f"{response.status} for {case.token} token: {case.label}"[:200]

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


def _timeout() -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None
