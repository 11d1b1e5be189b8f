"""A connector that refuses or hangs: the bot gives up within seconds, answers 2xx, logs it once."""

from __future__ import annotations

import logging
import time

import pytest
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials

from bot.msrest_fix import CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS, bound_connector_calls
from bot.sender import classify
from tests.support.botframework import Member, file_message, invoke, message, post
from tests.support.cards import press, text_of
from tests.support.connector import PDF, FakeFile
from tests.support.servers import free_port
from tests.support.world import NOW, PUBLISHED_KEY, World


def chat(member: Member) -> str:
    return f"a:conv-{member.id}"


def ours(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Our warnings and errors (the SDK's and urllib3's own lines are not ours to count)."""
    return [r for r in caplog.records if r.name.startswith("htpm") and r.levelno >= logging.WARNING]


def problems(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in ours(caplog)]


async def timed(world: World, activity: dict) -> tuple[int, object, float]:
    started = time.monotonic()
    status, body = await world.send(activity)
    return status, body, time.monotonic() - started


@pytest.mark.parametrize("refusal", [500, 502, 503, 504, 429])
async def test_a_refused_reply_is_logged_once_and_the_message_answered_at_once(
    world: World, caplog, refusal
):
    caplog.set_level(logging.INFO)
    hannah = world.members["hannah"]
    world.connector.refuse[chat(hannah)] = refusal

    status, _, elapsed = await timed(world, message(hannah, "status", world.service_url))

    assert status == 200
    assert elapsed < 3
    assert problems(caplog) == [f"a reply was not delivered: status {refusal}"]
    # Not tried again, and no apology sent into the same refusal.
    assert world.connector.posts.count(chat(hannah)) == 1
    assert ours(caplog)[0].outcome == "undelivered"
    assert "Brookside" not in caplog.text  # nothing of the card reaches the logs


async def test_a_reply_refused_as_a_bad_message_is_apologised_for_in_the_same_line(
    world: World, caplog
):
    caplog.set_level(logging.INFO)
    hannah = world.members["hannah"]
    world.connector.script(chat(hannah), 400)  # this reply only: the connector itself is up

    status, _, _ = await timed(world, message(hannah, "status", world.service_url))

    assert status == 200
    assert problems(caplog) == ["a reply was not delivered: status 400"]
    assert ours(caplog)[0].outcome == "apologised"
    assert world.connector.texts()[-1].startswith("Sorry, something went wrong on my side.")


async def test_a_connector_that_hangs_is_given_up_on_after_the_read_timeout(world: World, caplog):
    caplog.set_level(logging.INFO)
    hannah = world.members["hannah"]
    world.connector.hang[chat(hannah)] = READ_TIMEOUT_SECONDS + 1

    status, _, elapsed = await timed(world, message(hannah, "status", world.service_url))

    assert status == 200
    assert READ_TIMEOUT_SECONDS - 0.5 < elapsed < READ_TIMEOUT_SECONDS + 2
    assert problems(caplog) == ["a reply was not delivered: timed out"]
    assert world.connector.posts.count(chat(hannah)) == 1  # a read that timed out is not retried


async def test_a_connector_nobody_listens_on_is_tried_twice_then_given_up_on(world: World, caplog):
    caplog.set_level(logging.INFO)
    hannah = world.members["hannah"]
    nowhere = f"http://127.0.0.1:{free_port()}"

    started = time.monotonic()
    status, _ = await post(
        world.session,
        world.bot_url,
        message(hannah, "status", nowhere),
        PUBLISHED_KEY.token(nowhere),
    )

    assert status == 200
    assert time.monotonic() - started < 2 * CONNECT_TIMEOUT_SECONDS
    assert problems(caplog) == ["a reply was not delivered: no connection"]


async def test_an_invoke_answers_with_its_card_while_the_chat_refuses_everything(
    world: World, caplog
):
    caplog.set_level(logging.INFO)
    hannah = world.members["hannah"]
    world.connector.refuse[chat(hannah)] = 503
    async with world.product.ctx.uow() as tx:
        brookside = next(a.id for a in await tx.appraisals.list() if a.school_urn == "100001")

    status, body, elapsed = await timed(
        world, invoke(hannah, "approve", {"appraisal_id": brookside}, world.service_url)
    )

    assert (status, body["statusCode"]) == (200, 200)
    assert "Done: Draft approved" in text_of(body["value"])
    assert elapsed < 3
    assert problems(caplog) == []


async def test_an_invoke_whose_reply_into_the_chat_is_refused_still_answers_with_a_card(
    world: World, caplog
):
    tom, rhona = world.members["tom"], world.members["rhona"]
    world.connector.files["plan.pdf"] = FakeFile(PDF)
    url = world.connector.file_url("plan.pdf")
    assert (await world.send(file_message(tom, world.service_url, "plan.pdf", url)))[0] == 200
    verb, data = press(
        world.connector.cards()[-1], "add_evidence", title="SDP", kind="school_development_plan"
    )
    assert (await world.send(invoke(tom, verb, data, world.service_url)))[0] == 200
    async with world.product.ctx.uow() as tx:
        st_annes = next(a.id for a in await tx.appraisals.list() if a.school_urn == "100002")
    _, listed = await world.send(
        invoke(rhona, "show_evidence", {"appraisal_id": st_annes}, world.service_url)
    )
    verb, data = press(listed["value"], "send_evidence")
    caplog.set_level(logging.INFO)
    caplog.clear()
    world.connector.refuse[chat(rhona)] = 503  # the file consent card cannot be delivered

    status, body, elapsed = await timed(world, invoke(rhona, verb, data, world.service_url))

    assert (status, body["statusCode"]) == (200, 200)
    assert "Something went wrong" in text_of(body["value"])
    assert elapsed < 3
    assert problems(caplog) == ["a reply was not delivered: status 503"]


# --- a turn that fails for another reason ------------------------------------------------------


def broken_status_card(monkeypatch) -> None:
    async def fails(*_args, **_kwargs):
        raise RuntimeError("a bug, with CONFIDENTIAL text in its message")

    monkeypatch.setattr("bot.views.Views.status_card", fails)


async def test_a_failed_turn_is_apologised_for_and_logged_once(world: World, caplog, monkeypatch):
    caplog.set_level(logging.INFO)
    broken_status_card(monkeypatch)
    hannah = world.members["hannah"]

    status, _, _ = await timed(world, message(hannah, "status", world.service_url))

    assert status == 200
    assert world.connector.texts()[-1].startswith("Sorry, something went wrong on my side.")
    (line,) = ours(caplog)
    assert line.getMessage().startswith("turn failed: RuntimeError at ")
    assert line.outcome == "apologised"
    assert "CONFIDENTIAL" not in caplog.text


async def test_an_apology_the_connector_refuses_is_in_the_same_one_line(
    world: World, caplog, monkeypatch
):
    caplog.set_level(logging.INFO)
    broken_status_card(monkeypatch)
    hannah = world.members["hannah"]
    world.connector.refuse[chat(hannah)] = 503

    status, _, elapsed = await timed(world, message(hannah, "status", world.service_url))

    assert status == 200
    assert elapsed < 3
    (line,) = ours(caplog)
    assert line.getMessage().startswith("turn failed: RuntimeError at ")
    assert line.outcome == "apology not delivered: status 503"


async def test_a_failed_card_action_is_answered_with_a_card(world: World, caplog, monkeypatch):
    async def fails(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("bot.card_actions.CardActions.handle", fails)
    hannah = world.members["hannah"]

    status, body, _ = await timed(
        world, invoke(hannah, "approve", {"appraisal_id": 1}, world.service_url)
    )

    assert (status, body["statusCode"]) == (200, 200)
    assert "Something went wrong" in text_of(body["value"])
    assert world.connector.posts == []  # the answer is the HTTP response: nothing was sent


# --- what the outbox sender is handed, with the short budget -----------------------------------


async def sent_through_a_new_client(service_url: str, conversation: str) -> BaseException:
    """The error a connector client built now raises for one message (the sender's path)."""
    bound_connector_calls()  # as make_adapter does (the world's app did it already)
    client = ConnectorClient(MicrosoftAppCredentials("", ""), base_url=service_url)
    with pytest.raises(Exception) as raised:  # noqa: PT011 - what it is is the point
        await client.conversations.send_to_conversation(
            conversation, Activity(type="message", text="a nudge")
        )
    return raised.value


@pytest.mark.parametrize(("answer", "transient"), [(502, True), (504, True), (403, False)])
async def test_the_sender_still_sees_the_status_it_retries_on(world: World, answer, transient):
    world.connector.script("a:conv-x", answer)
    error = await sent_through_a_new_client(world.service_url, "a:conv-x")
    failure = classify(error, NOW)
    assert (failure.status, failure.transient) == (answer, transient)
    assert world.connector.posts.count("a:conv-x") == 1  # answered as it came, not retried


async def test_the_sender_sees_a_hang_and_a_dead_connector_as_transient(world: World):
    world.connector.hang["a:conv-x"] = READ_TIMEOUT_SECONDS + 1
    started = time.monotonic()
    hung = await sent_through_a_new_client(world.service_url, "a:conv-x")
    assert time.monotonic() - started < READ_TIMEOUT_SECONDS + 2
    dead = await sent_through_a_new_client(f"http://127.0.0.1:{free_port()}", "a:conv-x")
    for error in (hung, dead):
        failure = classify(error, NOW)
        assert failure.transient and failure.reason.startswith("connection error")
