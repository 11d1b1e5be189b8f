"""The outbox sender over real HTTP: proactive cards delivered once, retried, refused, re-queued."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from datetime import date, datetime, timedelta
from email.utils import format_datetime
from itertools import count
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from appraisal.stages import Stage
from bot.adapter import make_adapter, make_authentication
from bot.demo import seed_demo
from bot.sender import OutboxSender, RetryPolicy, delivery_problems, retry_after_seconds
from bot.wiring import build
from storage.tables import OutboxRow, PersonRow
from tests.support.botframework import APP_ID, BOT_ID, TENANT, invoke, message, serve
from tests.support.cards import press, text_of
from tests.support.cli import htpm
from tests.support.connector import FakeConnector, Scripted
from tests.support.factories import at
from tests.support.world import NOW, StaticCredentialFactory, World, demo_members, make_settings

HANNAH_CHAT = "a:conv-29:hannah.lewis"
_keys = count(1)


class FakeTime:
    """An injected sleep that records what it was asked to wait, and a still monotonic clock."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def monotonic(self) -> float:
        return 1000.0 + sum(self.sleeps)


def sender_for(
    world: World, fake: FakeTime, *, overrides: dict[str, Any] | None = None, **kw: Any
) -> OutboxSender:
    update = {"service_url": world.connector.url, **(overrides or {})}
    settings = world.product.settings.model_copy(update=update)
    adapter = make_adapter(make_authentication(settings, StaticCredentialFactory(), dev=False))
    return OutboxSender(
        world.product,
        adapter,
        settings,
        lambda: world.clock[0],
        sleep=fake.sleep,
        monotonic=fake.monotonic,
        jitter=lambda: 1.0,
        **({"quiet_hours": False} | kw),  # NOW is a Sunday; the window has tests of its own
    )


async def person_id(world: World, first_name: str) -> int:
    async with world.product.db.uow() as tx:
        person = await tx.people.by_aad_object_id(world.members[first_name].aad_object_id)
    assert person is not None
    return person.id


async def appraisal_id(world: World, urn: str) -> int:
    async with world.product.ctx.uow() as tx:
        return next(a.id for a in await tx.appraisals.list(2026) if a.school_urn == urn)


async def add_row(world: World, who: str, urn: str, action: str, kind: str, **values: Any) -> int:
    """Insert one outbox row directly, as the nudges job would."""
    row = OutboxRow(
        key=f"test:{next(_keys)}",
        appraisal_id=await appraisal_id(world, urn),
        recipient_id=await person_id(world, who),
        action=action,
        kind=kind,
        due_on=None,
        decided_at=NOW,
        status="pending",
        attempts=0,
        next_attempt_at=NOW,
        last_error="",
        sent_at=None,
        activity_id=None,
    )
    for name, value in values.items():
        setattr(row, name, value)
    async with world.product.db.uow() as tx:
        tx.session.add(row)
        await tx.commit()
        return row.id


async def outbox(world: World, row_id: int) -> SimpleNamespace:
    """A row's columns as they stand now."""
    async with world.product.db.uow() as tx:
        row = await tx.session.get(OutboxRow, row_id)
        assert row is not None
        return SimpleNamespace(**{c.key: getattr(row, c.key) for c in OutboxRow.__table__.c})


async def say_hello(world: World, who: str) -> None:
    """The person writes to the bot, so their conversation reference is stored."""
    status, _ = await world.send(message(world.members[who], "hi", world.service_url))
    assert status == 200


async def test_an_overdue_approval_is_delivered_once_and_its_approve_button_works(world: World):
    await say_hello(world, "hannah")
    row_id = await add_row(world, "hannah", "100001", "approve", "overdue")
    sender = sender_for(world, FakeTime())
    before = len(world.connector.sent_to(HANNAH_CHAT))

    assert await sender.send_due(NOW) == 1

    (activity,) = world.connector.sent_to(HANNAH_CHAT)[before:]
    card = activity["attachments"][0]["content"]
    assert "Overdue by 6 working days: approve the draft was due Thursday 12 November." in (
        text_of(card)
    )
    row = await outbox(world, row_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")
    assert row.sent_at == NOW
    assert row.activity_id == f"reply-{len(world.connector.sent)}"
    # Later passes never send it again.
    assert await sender.send_due(NOW + timedelta(hours=1)) == 0
    assert len(world.connector.sent_to(HANNAH_CHAT)) == before + 1

    # Pressing Approve on the card the connector received approves the draft.
    verb, data = press(card, "approve")
    status, body = await world.send(invoke(world.members["hannah"], verb, data, world.service_url))
    assert status == 200 and body["statusCode"] == 200
    async with world.product.ctx.uow() as tx:
        appraisal = await tx.appraisals.get(await appraisal_id(world, "100001"))
    assert appraisal is not None and appraisal.stage is Stage.APPROVED


async def test_a_429_is_retried_after_its_retry_after_and_delivered_once(world: World):
    await say_hello(world, "hannah")
    world.connector.script(HANNAH_CHAT, Scripted(429, {"Retry-After": "120"}))
    row_id = await add_row(world, "hannah", "100001", "approve", "overdue")
    sender = sender_for(world, FakeTime())
    before = len(world.connector.sent_to(HANNAH_CHAT))

    assert await sender.send_due(NOW) == 0
    row = await outbox(world, row_id)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "429 throttled by Teams")
    assert row.next_attempt_at == NOW + timedelta(seconds=120)  # backoff 30 s < Retry-After

    assert await sender.send_due(NOW + timedelta(seconds=119)) == 0  # not yet due
    assert world.connector.posts.count(HANNAH_CHAT) == before + 1  # the reply to hello, the 429
    assert await sender.send_due(NOW + timedelta(seconds=120)) == 1
    assert await sender.send_due(NOW + timedelta(hours=2)) == 0
    assert len(world.connector.sent_to(HANNAH_CHAT)) == before + 1
    row = await outbox(world, row_id)
    assert (row.status, row.attempts) == ("sent", 2)


async def test_after_a_429_the_rest_of_the_pass_is_given_back_untried(world: World):
    await say_hello(world, "hannah")
    await say_hello(world, "tom")
    world.connector.script(HANNAH_CHAT, Scripted(429, {"Retry-After": "5"}))
    first = await add_row(world, "hannah", "100001", "approve", "overdue")
    second = await add_row(world, "tom", "100002", "confirm_date", "reminder")
    sender = sender_for(world, FakeTime())

    assert await sender.send_due(NOW) == 0
    untried = await outbox(world, second)
    assert (untried.status, untried.attempts, untried.next_attempt_at) == ("pending", 0, NOW)
    assert (await outbox(world, first)).next_attempt_at == NOW + timedelta(seconds=30)
    assert await sender.send_due(NOW + timedelta(seconds=30)) == 2


async def test_a_502_is_retried_with_exponential_backoff(world: World):
    await say_hello(world, "hannah")
    world.connector.script(HANNAH_CHAT, 502, 504)
    row_id = await add_row(world, "hannah", "100001", "approve", "overdue")
    sender = sender_for(world, FakeTime())

    assert await sender.send_due(NOW) == 0
    first_retry = (await outbox(world, row_id)).next_attempt_at
    assert first_retry == NOW + timedelta(seconds=30)
    assert await sender.send_due(first_retry) == 0
    row = await outbox(world, row_id)
    assert (row.last_error, row.next_attempt_at) == (
        "504 gateway timeout",
        first_retry + timedelta(seconds=60),
    )
    assert await sender.send_due(row.next_attempt_at) == 1
    assert (await outbox(world, row_id)).status == "sent"


async def test_transient_failures_give_up_after_the_last_attempt(world: World):
    await say_hello(world, "hannah")
    world.connector.script(HANNAH_CHAT, 502, 502)
    row_id = await add_row(world, "hannah", "100001", "approve", "overdue")
    sender = sender_for(world, FakeTime(), policy=RetryPolicy(max_attempts=2, base_delay=1))

    await sender.send_due(NOW)
    await sender.send_due(NOW + timedelta(minutes=1))
    row = await outbox(world, row_id)
    assert (row.status, row.attempts) == ("failed", 2)
    assert row.last_error == "502 bad gateway; gave up after 2 attempts"


async def test_a_blocked_bot_is_a_permanent_failure_never_retried(world: World):
    await say_hello(world, "hannah")
    world.connector.refuse[HANNAH_CHAT] = 403
    row_id = await add_row(world, "hannah", "100001", "approve", "overdue")
    sender = sender_for(world, FakeTime())
    posts = world.connector.posts.count(HANNAH_CHAT)

    assert await sender.send_due(NOW) == 0
    row = await outbox(world, row_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error == "403 the bot is blocked or not installed for this person"
    for later in (timedelta(minutes=10), timedelta(days=1)):
        assert await sender.send_due(NOW + later) == 0
    assert world.connector.posts.count(HANNAH_CHAT) == posts + 1

    async with world.product.db.uow() as tx:
        (problem,) = await delivery_problems(tx)
    assert (problem.recipient_name, problem.reason) == ("Hannah Lewis", row.last_error)
    assert "Overdue" not in problem.reason and "draft" not in problem.reason


async def test_a_conversation_that_is_gone_fails_with_404(world: World):
    await say_hello(world, "hannah")
    world.connector.refuse[HANNAH_CHAT] = 404
    row_id = await add_row(world, "hannah", "100001", "approve", "overdue")
    await sender_for(world, FakeTime()).send_due(NOW)
    row = await outbox(world, row_id)
    assert (row.status, row.last_error) == ("failed", "404 the conversation no longer exists")


async def test_someone_who_never_wrote_gets_a_new_chat_then_that_chat_is_reused(world: World):
    tom = world.members["tom"]
    first = await add_row(world, "tom", "100002", "confirm_date", "reminder")
    sender = sender_for(world, FakeTime())

    assert await sender.send_due(NOW) == 1

    (created,) = world.connector.created
    assert created["isGroup"] is False
    assert created["bot"]["id"] == BOT_ID == f"28:{APP_ID}"
    assert [m["id"] for m in created["members"]] == [tom.aad_object_id]
    # The SDK spells it tenantID; Teams reads the tenant from channelData.
    assert created["channelData"]["tenant"]["id"] == created["tenantID"] == TENANT
    (activity,) = world.connector.sent_to(f"a:new-{tom.aad_object_id}")
    assert "Reminder: confirm the meeting date by Friday 27 November." in text_of(
        activity["attachments"][0]["content"]
    )
    assert (await outbox(world, first)).status == "sent"
    async with world.product.db.uow() as tx:
        stored = await tx.conversations.get(tom.aad_object_id)
    assert stored is not None
    assert stored["conversation"]["id"] == f"a:new-{tom.aad_object_id}"

    await add_row(world, "tom", "100002", "confirm_date", "due", next_attempt_at=NOW)
    assert await sender.send_due(NOW + timedelta(minutes=1)) == 1
    assert len(world.connector.created) == 1
    assert len(world.connector.sent_to(f"a:new-{tom.aad_object_id}")) == 2


async def test_a_refused_new_chat_is_a_permanent_failure(world: World):
    world.connector.create_scripts.append(Scripted(403))
    row_id = await add_row(world, "tom", "100002", "confirm_date", "reminder")
    assert await sender_for(world, FakeTime()).send_due(NOW) == 0
    row = await outbox(world, row_id)
    assert (row.status, row.last_error) == (
        "failed",
        "403 the bot is blocked or not installed for this person",
    )


async def test_a_row_stuck_sending_past_its_lease_is_requeued_and_sent(world: World):
    await say_hello(world, "hannah")
    stuck = await add_row(
        world, "hannah", "100001", "approve", "overdue",
        status="sending", attempts=0, next_attempt_at=NOW - timedelta(minutes=6),
    )  # fmt: skip
    recent = await add_row(
        world, "hannah", "100001", "approve", "due",
        status="sending", attempts=0, next_attempt_at=NOW - timedelta(minutes=1),
    )  # fmt: skip
    sender = sender_for(world, FakeTime())

    assert await sender.send_due(NOW) == 1
    row = await outbox(world, stuck)
    assert (row.status, row.attempts) == ("sent", 1)  # the lost lease spent no attempt
    assert (await outbox(world, recent)).status == "sending"  # its sender may still answer


async def test_a_row_that_stopped_its_sender_every_time_is_given_up_without_an_attempt(
    world: World,
):
    await say_hello(world, "hannah")
    claimed_at = NOW - timedelta(minutes=6)
    poison = await add_row(
        world, "hannah", "100001", "approve", "overdue", status="sending",
        next_attempt_at=claimed_at, last_error="requeued after a lost lease", lease_losses=4,
    )  # fmt: skip
    behind = await add_row(
        world, "hannah", "100001", "approve", "due", status="sending", next_attempt_at=claimed_at
    )
    sender = sender_for(world, FakeTime(), policy=RetryPolicy(max_lost_leases=5))
    posts = world.connector.posts.count(HANNAH_CHAT)

    assert await sender.send_due(NOW) == 1  # the row claimed after it, no longer held up
    row = await outbox(world, poison)
    assert (row.status, row.attempts) == ("failed", 0)
    assert row.last_error == "the sender stopped while sending it 5 times in a row; not tried again"
    after = await outbox(world, behind)
    assert (after.status, after.attempts, after.last_error) == ("sent", 1, "")
    assert world.connector.posts.count(HANNAH_CHAT) == posts + 1
    async with world.product.db.uow() as tx:
        (problem,) = await delivery_problems(tx)
    assert (problem.id, problem.reason) == (poison, row.last_error)


async def test_someone_with_no_teams_account_is_failed_before_any_attempt(world: World):
    row_id = await add_row(world, "tom", "100002", "confirm_date", "reminder")
    tom_id = await person_id(world, "tom")
    async with world.product.db.uow() as tx:
        tom = await tx.session.get(PersonRow, tom_id)
        assert tom is not None
        tom.aad_object_id = None  # on the roster, not yet signed in to Teams: no chat to open
        await tx.commit()
    assert await sender_for(world, FakeTime()).send_due(NOW) == 0
    row = await outbox(world, row_id)
    assert (row.status, row.attempts) == ("failed", 0)
    assert row.last_error == "the recipient has no Teams account yet"
    assert world.connector.created == []


async def test_one_message_a_second_into_one_conversation(world: World):
    await say_hello(world, "hannah")
    await add_row(world, "hannah", "100001", "approve", "overdue")
    await add_row(world, "hannah", "100001", "approve", "due")
    fake = FakeTime()
    assert await sender_for(world, fake).send_due(NOW) == 2
    assert fake.sleeps == [1.0]


async def test_the_tenant_bucket_paces_a_burst(world: World):
    for who in ("hannah", "tom", "rhona"):
        await say_hello(world, who)
    await add_row(world, "hannah", "100001", "approve", "overdue")
    await add_row(world, "tom", "100002", "confirm_date", "reminder")
    await add_row(world, "rhona", "100001", "approve", "escalation")
    fake = FakeTime()
    assert await sender_for(world, fake, tenant_rate=2.0).send_due(NOW) == 3
    assert fake.sleeps == [0.5]  # two at once, the third half a second later


async def test_a_step_done_before_its_turn_is_not_sent(world: World):
    await say_hello(world, "tom")
    row_id = await add_row(world, "tom", "100002", "approve", "overdue")  # not tom's step
    before = len(world.connector.sent)
    assert await sender_for(world, FakeTime()).send_due(NOW) == 0
    row = await outbox(world, row_id)
    assert (row.status, row.activity_id) == ("sent", None)
    assert row.last_error == "not sent: the step was no longer owed"
    assert len(world.connector.sent) == before


async def test_the_dceo_escalation_names_who_is_late(world: World):
    await say_hello(world, "dana")
    await add_row(world, "dana", "100001", "approve", "escalation")
    assert await sender_for(world, FakeTime()).send_due(NOW) == 1
    card = world.connector.cards()[-1]
    assert (
        "Escalation: Hannah Lewis (headteacher) has not yet done this step: approve the draft, "
        "due Thursday 12 November, overdue by 6 working days." in text_of(card)
    )


def test_retry_after_is_read_as_seconds_or_an_http_date():
    now = datetime(2026, 11, 22, 10, tzinfo=NOW.tzinfo)
    assert retry_after_seconds("7", now) == 7.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=False), now) == (
        90.0
    )
    assert retry_after_seconds("Sun, 01 Jan 2000 00:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


def test_htpm_status_lists_undelivered_messages(db_path: Path):
    assert htpm("demo", "--now", "2026-11-22T10:00").exit_code == 0
    with closing(sqlite3.connect(db_path)) as conn:
        hannah = conn.execute("SELECT id FROM people WHERE name = 'Hannah Lewis'").fetchone()[0]
        conn.execute(
            "INSERT INTO nudge_outbox (key, appraisal_id, recipient_id, action, kind, due_on, "
            "decided_at, status, attempts, next_attempt_at, last_error) VALUES "
            "('k', 1, ?, 'approve', 'overdue', ?, ?, 'failed', 1, ?, ?)",
            (
                hannah,
                date(2026, 11, 12).isoformat(),
                "2026-11-22 10:00:00.000000",
                "2026-11-22 10:00:00.000000",
                "403 the bot is blocked or not installed for this person",
            ),
        )
        conn.commit()
    result = htpm("status", "--now", "2026-11-22T10:00")
    assert result.exit_code == 0, result.output
    assert (
        "1 proactive message could not be delivered: Hannah Lewis (403 the bot is blocked or "
        "not installed for this person)" in result.output
    )


async def test_rows_are_claimed_once(world: World):
    await say_hello(world, "hannah")
    row_id = await add_row(world, "hannah", "100001", "approve", "overdue")
    async with world.product.db.uow() as tx:
        from storage.delivery import SqlOutboxDelivery

        first = await SqlOutboxDelivery(tx.session).claim(NOW, 10)
        second = await SqlOutboxDelivery(tx.session).claim(NOW, 10)
        await tx.commit()
    assert [r.id for r in first] == [row_id] and second == []
    async with world.product.db.uow() as tx:
        status = await tx.session.scalar(select(OutboxRow.status).where(OutboxRow.id == row_id))
    assert status == "sending"


async def test_run_forever_sends_each_interval_and_stops_on_cancel(world: World):
    await say_hello(world, "hannah")
    row_id = await add_row(world, "hannah", "100001", "approve", "overdue")
    passes = asyncio.Event()

    class Ticks(FakeTime):
        async def sleep(self, seconds: float) -> None:
            await super().sleep(seconds)
            passes.set()
            await asyncio.sleep(0.01)

    fake = Ticks()
    task = asyncio.create_task(sender_for(world, fake).run_forever(30))
    await asyncio.wait_for(passes.wait(), timeout=10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (await outbox(world, row_id)).status == "sent"
    assert 30 in fake.sleeps


@pytest.mark.postgres
async def test_two_senders_on_postgresql_deliver_each_row_exactly_once(openid, postgres_db):
    settings = make_settings(postgres_db.url, openid)
    product = build(settings, postgres_db)
    await seed_demo(product, NOW)
    connector = FakeConnector()
    async with serve(connector.app()) as connector_url:
        connector.url = connector_url
        world = World("", connector, product, demo_members(), None, [NOW])  # type: ignore[arg-type]
        ids = []
        for who in ("hannah", "rhona", "gareth", "dana"):  # all four may see Brookside
            member = world.members[who]
            reference = {
                "channelId": "msteams",
                "serviceUrl": connector_url,
                "conversation": {"id": f"a:conv-{member.id}", "tenantId": TENANT},
                "bot": {"id": BOT_ID},
                "user": {"id": member.id, "aadObjectId": member.aad_object_id},
            }
            async with product.db.uow() as tx:
                await tx.conversations.save(
                    member.aad_object_id, TENANT, await person_id(world, who), reference, NOW
                )
                await tx.commit()
            for kind in ("escalation", "pre_reading"):
                ids.append(await add_row(world, who, "100001", "approve", kind))
        first, second = sender_for(world, FakeTime()), sender_for(world, FakeTime())
        sent = await asyncio.gather(first.send_due(NOW), second.send_due(NOW))
    delivered = [row for row in [await outbox(world, i) for i in ids] if row.status == "sent"]
    assert sum(sent) == len(connector.sent) == len(ids) == len(delivered)
    assert len({row.activity_id for row in delivered}) == len(ids)


async def test_nothing_is_sent_outside_the_window_a_late_row_waits_for_the_next_morning(
    world: World,
):
    await say_hello(world, "hannah")
    monday_evening = at(2026, 11, 23, 17, 40)  # the window closes at 17:30
    row_id = await add_row(
        world, "hannah", "100001", "approve", "overdue", next_attempt_at=monday_evening
    )
    sender = sender_for(world, FakeTime(), quiet_hours=True)
    posts = len(world.connector.posts)

    for moment in (monday_evening, at(2026, 11, 23, 23), at(2026, 11, 24, 7, 59)):
        assert await sender.send_due(moment) == 0
    row = await outbox(world, row_id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, monday_evening)
    assert len(world.connector.posts) == posts  # not even tried
    # Sunday is no working day either, whatever the hour.
    assert await sender.send_due(NOW) == 0

    assert await sender.send_due(at(2026, 11, 24, 8)) == 1  # Tuesday, the window opens
    assert (await outbox(world, row_id)).status == "sent"


_S = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("failed_at", "retried_at"),
    [
        (at(2026, 11, 23, 10), at(2026, 11, 23, 10) + 30 * _S),  # inside: the backoff as is
        (at(2026, 11, 23, 17, 29) + 50 * _S, at(2026, 11, 24, 8)),  # Monday evening: Tuesday
        (at(2026, 11, 27, 17, 29) + 50 * _S, at(2026, 11, 30, 8)),  # Friday evening: Monday
    ],
)
async def test_a_retry_that_would_land_in_quiet_hours_waits_for_the_next_window(
    world: World, failed_at: datetime, retried_at: datetime
):
    await say_hello(world, "hannah")
    world.connector.script(HANNAH_CHAT, 502)
    row_id = await add_row(
        world, "hannah", "100001", "approve", "overdue", next_attempt_at=failed_at
    )
    sender = sender_for(world, FakeTime(), quiet_hours=True)

    assert await sender.send_due(failed_at) == 0
    row = await outbox(world, row_id)
    assert (row.status, row.last_error) == ("pending", "502 bad gateway")
    assert row.next_attempt_at == retried_at  # 30 s of backoff, then the window
    assert await sender.send_due(retried_at - timedelta(seconds=1)) == 0
    assert await sender.send_due(retried_at) == 1
    assert (await outbox(world, row_id)).status == "sent"


async def test_rows_still_untried_at_half_the_lease_are_given_back_untried(world: World):
    """A slow pass stops before its lease could run out, so no other sender takes its rows."""
    await say_hello(world, "hannah")
    rows = [await add_row(world, "hannah", "100001", "approve", "due") for _ in range(6)]
    # One message a second into one chat (the pacing sleeps count on the fake clock): with a
    # lease of 4 seconds the pass gives the rest back once 2 seconds have gone.
    sender = sender_for(world, FakeTime(), overrides={"send_lease_seconds": 4.0})

    assert await sender.send_due(NOW) == 3
    states = [await outbox(world, r) for r in rows]
    assert [(s.status, s.attempts) for s in states] == [("sent", 1)] * 3 + [("pending", 0)] * 3
    assert all(s.next_attempt_at == NOW for s in states[3:])  # due again at once
    assert await sender.send_due(NOW) == 2  # the next passes send them (paced from the last)
    assert await sender.send_due(NOW) == 1
    assert [(await outbox(world, r)).status for r in rows] == ["sent"] * 6
