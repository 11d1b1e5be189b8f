"""Hostile requests to /api/messages: whatever the body, with or without a valid token, the answer
is 2xx or 4xx, never 5xx, and nothing fails inside the service (no traceback, no failed turn),
on SQLite and on PostgreSQL.

A few hundred cases from a fixed seed (tests/support/hostile.py); the benchmark sends 100,000.
"""

from __future__ import annotations

import io
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.demo import seed_demo
from storage.database import Database
from tests.support.hostile import Case, Hostile
from tests.support.world import NOW, STRAY_KEY, World, demo_members, running_bot

CASES = 400
SEED = 20261201


@pytest.fixture
async def world(tmp_path, openid, empty_db: Database) -> AsyncIterator[World]:
    """The demo trust, stored in SQLite or in PostgreSQL (the stores must answer alike)."""

    async def seed(product) -> None:
        await seed_demo(product, NOW)

    async with running_bot(tmp_path, openid, seed, [NOW], database=empty_db) as running:
        yield running


def token_for(world: World, kind: str) -> str | None:
    """The Authorization token a case asks for."""
    if kind == "valid":
        return world.token()
    if kind == "expired":
        now = int(time.time())
        return world.token(exp=now - 3600, nbf=now - 7200, iat=now - 7200)
    if kind == "wrong_audience":
        return world.token(aud="00000000-0000-0000-0000-000000000000")
    if kind == "stray_key":
        return STRAY_KEY.token(world.service_url)
    if kind == "garbage":
        return "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"
    return None


async def send_case(world: World, case: Case) -> int:
    """POST one case as it is (raw bytes, its content type); returns the status."""
    headers = {"Content-Type": case.content_type} if case.content_type else {}
    token = token_for(world, case.token)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with world.session.post(
        f"{world.bot_url}/api/messages",
        data=io.BytesIO(case.body),
        headers=headers,
        skip_auto_headers=("Content-Type",),
        timeout=aiohttp.ClientTimeout(total=30),
    ) as resp:
        await resp.read()
        return resp.status


def failures_in(records: list[logging.LogRecord]) -> list[str]:
    """Log lines that say something failed inside the service."""
    bad = []
    for record in records:
        text = record.getMessage()
        if record.exc_info or "Traceback" in text:
            bad.append(f"traceback: {text[:120]}")
        elif record.levelno >= logging.ERROR:
            bad.append(f"{record.name}: {text[:120]}")
    return bad


async def test_hostile_requests_get_clean_answers(world: World, caplog) -> None:
    caplog.set_level(logging.INFO)
    members = list(world.members.values())
    statuses: Counter[int] = Counter()
    fives: list[str] = []
    failed: list[str] = []
    for case in Hostile(SEED, world.service_url, members).cases(CASES):
        seen = len(caplog.records)
        status = await send_case(world, case)
        statuses[status] += 1
        if status >= 500:
            fives.append(f"{status} {case.token} {case.label}")
        failed += [f"{line} ({case.label})" for line in failures_in(caplog.records[seen:])]
    assert not fives, f"{len(fives)} answers were 5xx: {fives[:10]}"
    assert not failed, failed[:10]
    # The generator reaches the bot as well as the gate: both kinds of answer occur.
    assert statuses[200] > CASES // 20, statuses
    assert statuses[401] > CASES // 10, statuses
    assert statuses[400] > 0, statuses


@pytest.mark.parametrize("seed", [1, 2])
def test_each_seed_reaches_every_kind_of_case(seed: int) -> None:
    """The generator itself: each seed makes raw bodies, mutated activities and every token."""
    members = list(demo_members().values())
    cases = list(Hostile(seed, "http://127.0.0.1:1", members).cases(300))
    assert {c.token for c in cases} >= {"valid", "none", "garbage", "expired", "stray_key"}
    assert any(c.content_type != "application/json" for c in cases)
    assert sum("|" in c.label for c in cases) > 50
    again = list(Hostile(seed, "http://127.0.0.1:1", members).cases(300))
    assert [c.body for c in again] == [c.body for c in cases]  # reproducible from its seed
