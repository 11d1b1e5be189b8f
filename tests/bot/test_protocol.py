"""The service over HTTP as the Bot Framework uses it: authentication and malformed requests."""

from __future__ import annotations

import logging
import time

import pytest

from tests.support.botframework import APP_ID, message
from tests.support.world import PUBLISHED_KEY, STRAY_KEY, World


def _no_tracebacks(caplog) -> None:
    for record in caplog.records:
        assert record.exc_info is None, record.getMessage()
        assert "Traceback" not in record.getMessage()


async def test_a_valid_token_gets_an_answer_through_the_connector(world: World):
    status, _ = await world.send(message(world.members["hannah"], "help", world.service_url))
    assert status == 200
    assert len(world.connector.sent) == 1
    card = world.connector.cards()[0]
    assert card["type"] == "AdaptiveCard"
    assert "Hello Hannah" in str(card)
    # The reply went out with the bot's own credentials.
    assert world.connector.auth_headers[-1] == "Bearer outbound-test-token"


def _tokens(world: World) -> dict[str, str | None]:
    now = int(time.time())
    good = world.token()
    header, _payload, signature = good.split(".")
    tampered_payload = world.token(aud="someone-else").split(".")[1]
    return {
        "missing": None,
        "not a jwt": "not-a-jwt",
        "malformed": "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln",
        "expired": world.token(exp=now - 3600, nbf=now - 7200, iat=now - 7200),
        "not yet valid": world.token(nbf=now + 3600, iat=now),
        "wrong audience": world.token(aud="00000000-0000-0000-0000-000000000000"),
        "wrong issuer": world.token(iss="https://evil.example"),
        "unknown key": STRAY_KEY.token(world.service_url),
        "bad signature": f"{header}.{tampered_payload}.{signature}",
        "wrong service url": world.token(serviceurl="https://elsewhere.example"),
        "no audience": world.token(aud=None),
        "hs256": __import__("jwt").encode(
            {
                "iss": "https://api.botframework.test",
                "aud": APP_ID,
                "serviceurl": world.service_url,
                "exp": now + 600,
            },
            "a-shared-secret-that-is-long-enough-for-hs256",
            algorithm="HS256",
            headers={"kid": PUBLISHED_KEY.kid},
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "not a jwt",
        "malformed",
        "expired",
        "not yet valid",
        "wrong audience",
        "wrong issuer",
        "unknown key",
        "bad signature",
        "wrong service url",
        "no audience",
        "hs256",
    ],
)
async def test_every_bad_token_is_401_and_reaches_nothing(world: World, case: str, caplog):
    caplog.set_level(logging.INFO)
    token = _tokens(world)[case]
    activity = message(world.members["hannah"], "status", world.service_url)
    status, body = await world.send(activity, token=token)
    assert status == 401, (case, body)
    assert world.connector.sent == []
    _no_tracebacks(caplog)


async def test_a_token_in_another_scheme_is_401(world: World):
    activity = message(world.members["hannah"], "status", world.service_url)
    async with world.session.post(
        f"{world.bot_url}/api/messages",
        json=activity,
        headers={"Authorization": f"Basic {world.token()}"},
    ) as resp:
        assert resp.status == 401


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b"{not json", "application/json", 400),
        (b"[1, 2, 3]", "application/json", 400),
        (b'{"text": "no type"}', "application/json", 400),
        (b'{"type": "message"}', "application/json", 400),
        (
            b'{"type": "message", "serviceUrl": "x", "from": "not an object"}',
            "application/json",
            400,
        ),
        (b"\xff\xfe not utf-8", "application/json", 400),
        (b'{"type": "message"}', "text/plain", 415),
        (b'{"type": "message"}', "application/x-www-form-urlencoded", 415),
        (b"{" + b" " * (256 * 1024 + 10) + b"}", "application/json", 413),
    ],
)
async def test_malformed_requests_get_4xx_never_500(
    world: World, body, content_type, expected, caplog
):
    caplog.set_level(logging.INFO)
    async with world.session.post(
        f"{world.bot_url}/api/messages",
        data=body,
        headers={"Content-Type": content_type, "Authorization": f"Bearer {world.token()}"},
    ) as resp:
        assert resp.status == expected, await resp.text()
        assert "error" in await resp.json()
    assert world.connector.sent == []
    _no_tracebacks(caplog)


async def test_other_methods_and_paths_are_refused_cleanly(world: World):
    async with world.session.get(f"{world.bot_url}/api/messages") as resp:
        assert resp.status == 405
    async with world.session.get(f"{world.bot_url}/nope") as resp:
        assert resp.status == 404


async def test_health_and_readiness(world: World):
    async with world.session.get(f"{world.bot_url}/healthz") as resp:
        assert resp.status == 200
        assert (await resp.json())["status"] == "ok"
    async with world.session.get(f"{world.bot_url}/readyz") as resp:
        assert resp.status == 200
    await world.product.db.dispose()
    world.product.db.engine.sync_engine.pool.dispose()
    # Point the store at a file that cannot be opened: readiness must say so, not crash.
    from storage.database import Database

    broken = Database("sqlite+aiosqlite:////nonexistent-dir/htpm.sqlite3")
    object.__setattr__(world.product, "db", broken)
    async with world.session.get(f"{world.bot_url}/readyz") as resp:
        assert resp.status == 503
        assert (await resp.json())["database"] == "unreachable"
    await broken.dispose()


def test_a_card_answer_body_is_what_msrest_would_write():
    from botbuilder.core.serializer_helper import serializer_helper

    from bot.invoke import card_answer_body, card_invoke_response
    from bot.teams_bot import HtpmBot

    card = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [{"type": "TextBlock", "text": "Done: “Draft approved”.", "wrap": True}],
        "actions": [{"type": "Action.Execute", "verb": "approve", "data": {"version": 3}}],
        "refresh": {"userIds": ["29:1"], "action": {"type": "Action.Execute", "verb": "x"}},
        "msteams": {"width": "Full"},
        "fallbackText": None,
    }
    answer = card_invoke_response(card)
    assert card_answer_body(answer) == serializer_helper(answer)
    response = HtpmBot._create_invoke_response(answer)
    assert (response.status, response.body) == (200, serializer_helper(answer))
