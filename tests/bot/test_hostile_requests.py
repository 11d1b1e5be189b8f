"""Requests built to break the service: the token is checked first, bodies that are not JSON a
reader can hold get a 400, logs stay bounded, and invokes the bot does not handle get an answer.
"""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from bot import logs
from tests.support.botframework import invoke, message
from tests.support.world import World

DEEP = b"[" * 50_000 + b"]" * 50_000
HUGE_INT = b'{"type":"message","id":' + b"9" * 5000 + b"}"
NAN = b'{"type":"message","serviceUrl":NaN}'


async def post_raw(world: World, body: bytes, token: str | None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with world.session.post(
        f"{world.bot_url}/api/messages", data=io.BytesIO(body), headers=headers
    ) as resp:
        return resp.status, await resp.json(content_type=None)


@pytest.mark.parametrize(
    "body", [DEEP, HUGE_INT, NAN, b"{" * 100_000], ids=["deep", "huge-int", "nan", "unclosed"]
)
async def test_without_a_valid_token_the_body_is_never_parsed(world: World, body, caplog) -> None:
    for token in (None, "not-a-token", world.token(aud="someone-else")):
        status, answer = await post_raw(world, body, token)
        assert status == 401, answer
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (DEEP, "nested more than 32 levels"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "nested more than 32 levels"),
        (HUGE_INT, "not valid JSON"),
        (NAN, "NaN or Infinity"),
        (b'{"type":"message","x":1e999}', "too large"),
        (b"[1]", "must be a JSON object"),
        (b'{"type":"message"}', "needs a serviceUrl"),
    ],
)
async def test_with_a_token_an_unreadable_body_is_a_400(world: World, body, says, caplog) -> None:
    status, answer = await post_raw(world, body, world.token())
    assert status == 400
    assert says in answer["error"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"id": ["msg-1", "msg-2"]}, "id is not text"),
        ({"id": "m" * 600}, "over 512 characters"),
        ({"locale": {"tag": "en"}}, "locale is not text"),
        ({"from": "29:someone"}, "needs from"),
        ({"conversation": {"id": 7}}, "needs conversation.id"),
        ({"from": {"id": "29:a\nb"}}, "needs from.id"),
        ({"recipient": {"id": "28:bot", "name": ["HTPM"]}}, "recipient.name is not text"),
    ],
)
async def test_fields_a_reply_copies_must_be_text(world: World, change, says) -> None:
    activity = {**message(world.members["hannah"], "status", world.service_url), **change}
    status, answer = await world.send(activity)
    assert status == 400
    assert says in answer["error"]
    assert world.connector.sent == []


async def test_lone_surrogates_are_replaced_not_a_failure(world: World, caplog) -> None:
    activity = message(world.members["hannah"], "status", world.service_url)
    activity["from"]["name"] = "Hannah \ud800"
    body = json.dumps(activity).encode()  # ASCII escapes: "\ud800" as JSON allows it
    status, _ = await post_raw(world, body, world.token())
    assert status == 200
    assert world.connector.cards(), "the status card was sent"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.fixture
def log_lines():
    """The service's log lines as production writes them (JSON, one per line)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs._Context())
    root, access = logging.getLogger(), logging.getLogger("aiohttp.access")
    levels = root.level, access.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # As configure_logging sets it: the fakes' access lines here are not the service's.
    access.setLevel(logging.WARNING)
    try:
        yield lambda: stream.getvalue().splitlines()
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        access.setLevel(levels[1])


async def test_what_a_request_puts_in_the_log_is_bounded(world: World, log_lines) -> None:
    secret = "objective: improve reading; dana.whitfield@example.org; 6f1c2d3e-"
    hannah = world.members["hannah"]
    # Without a valid token, a body that names itself in every way is not looked at.
    big = message(hannah, "status", world.service_url)
    big["id"] = secret * 3000
    status, _ = await post_raw(world, json.dumps(big).encode(), "forged")
    assert status == 401
    # With one, ids that are not plain short ids are logged as a hash; tags are cut short.
    odd = message(hannah, "status", world.service_url)
    odd["id"] = secret + '{"level": "error"}'
    assert (await world.send(odd))[0] == 200
    verb = invoke(hannah, "x" * 5000 + "\n" + secret, {"appraisal_id": 1}, world.service_url)
    assert (await world.send(verb))[0] == 200
    lines = log_lines()
    assert len(lines) >= 3
    assert max(len(line) for line in lines) < 1000
    text = "\n".join(lines)
    assert "dana.whitfield" not in text and "improve reading" not in text
    ids = {json.loads(line).get("activity_id") for line in lines} - {None}
    assert any(i.startswith("h-") and len(i) == 18 for i in ids), ids
    assert all(re.fullmatch(r"[A-Za-z0-9:_.|=+-]{1,64}", i) for i in ids), ids


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("task/fetch", "task"),
        ("composeExtension/query", "composeExtension"),
        ("signin/verifyState", "statusCode"),
        ("actionableMessage/executeAction", "statusCode"),
        ("", "statusCode"),
        ("no/such/invoke", "statusCode"),
    ],
)
async def test_an_invoke_the_bot_does_not_handle_gets_a_message(world: World, name, shape) -> None:
    activity = invoke(world.members["hannah"], "refresh", {}, world.service_url)
    activity.update(name=name, value={"commandId": "x"})
    status, answer = await world.send(activity)
    assert status == 200
    assert shape in answer
    assert "can't do that here" in json.dumps(answer)


@pytest.mark.parametrize(
    "value",
    [
        [1, 2],
        "refresh",
        7,
        {"action": ["Action.Execute"]},
        {"action": {"type": ["Action.Execute"], "verb": "refresh"}},
        {"action": {"type": "Action.Submit", "verb": "refresh"}},
        {"action": {"verb": "refresh"}},
    ],
)
async def test_a_card_invoke_whose_value_is_not_an_object_is_answered(world: World, value) -> None:
    activity = invoke(world.members["hannah"], "refresh", {}, world.service_url)
    activity["value"] = value
    status, answer = await world.send(activity)
    assert status == 200
    assert "couldn't read that action" in json.dumps(answer)
