"""People change during the year, over HTTP as Teams would: access follows the roster now.

A governor or reviewer replaced by a re-import sees nothing more of the school, and their old
buttons change nothing (refused and audited); the new person is welcomed proactively and can
take the step. Two governors both answer before the meeting goes ahead. A school with no
appointed governor opens, waits for one, and moves on once the roster names one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from appraisal.commands import (
    Approve,
    ConfirmAvailability,
    ConfirmDate,
    IssueFinal,
    ProposeDate,
    RecordMeeting,
    SendPreReading,
    ShareWithGovernor,
    SubmitDraft,
)
from appraisal.roster import parse_roster
from appraisal.stages import Stage
from bot.adapter import make_adapter, make_authentication
from bot.demo import DEMO_DOMAIN, demo_roster_csv
from bot.sender import OutboxSender
from storage.tables import AuditRow
from tests.support.botframework import Member, invoke, message
from tests.support.cards import executes, press, text_of
from tests.support.factories import at, meeting_record
from tests.support.world import StaticCredentialFactory, World, running_bot, seed_fresh_cycle

BROOKSIDE = "100001"
NIA = Member(
    "29:nia.new", "Nia New", "0d3e0000-0000-4000-8000-000000000031", f"nia.new@{DEMO_DOMAIN}"
)
RAVI = Member(
    "29:ravi.rel", "Ravi Rel", "0d3e0000-0000-4000-8000-000000000032", f"ravi.rel@{DEMO_DOMAIN}"
)


def roster_with(brookside: dict[str, list[Member]]) -> str:
    """The demo roster with Brookside's rows for some roles replaced (an empty list: none)."""
    lines = demo_roster_csv().splitlines()
    kept = [
        line
        for line in lines
        if not (line.startswith(f"{BROOKSIDE},") and line.split(",")[2] in brookside)
    ]
    for role, members in brookside.items():
        kept += [
            f'{BROOKSIDE},"Brookside Primary School",{role},{m.name},{m.email},{m.aad_object_id}'
            for m in members
        ]
    return "\n".join(kept) + "\n"


async def reimport(world: World, text: str, when: datetime) -> Any:
    world.clock[0] = when
    return await world.product.roster.import_entries(parse_roster(text), when)


async def ids(world: World) -> dict[str, int]:
    """Store ids by first name, and Brookside's appraisal id as 'brookside'."""
    async with world.product.ctx.uow() as tx:
        found = {}
        for key, member in {**world.members, "nia": NIA, "ravi": RAVI}.items():
            person = await tx.people.by_email(member.email)
            if person is not None:
                found[key] = person.id
        found["brookside"] = next(
            a.id for a in await tx.appraisals.list(2026) if a.school_urn == BROOKSIDE
        )
    return found


async def brookside(world: World):
    async with world.product.ctx.uow() as tx:
        return next(a for a in await tx.appraisals.list(2026) if a.school_urn == BROOKSIDE)


async def reach(world: World, stage: Stage) -> None:
    """Walk Brookside (opened 1 September 2026) to `stage` with the use cases, moving the clock."""
    p = await ids(world)
    a = p["brookside"]
    act = world.product.appraisals.act
    meeting = at(2026, 10, 14, 10)
    steps: list[tuple[str, Any, datetime, Stage]] = [
        ("rhona", ProposeDate(meeting), at(2026, 9, 2), Stage.DATE_PROPOSED),
        ("hannah", ConfirmDate(), at(2026, 9, 3), Stage.AWAITING_GOVERNOR),
        ("gareth", ConfirmAvailability(), at(2026, 9, 4), Stage.PREPARATION),
        ("rhona", SendPreReading(), at(2026, 10, 7), Stage.PREPARATION),
        (
            "rhona",
            RecordMeeting(meeting_record((await brookside(world)).previous_objectives)),
            at(2026, 10, 14, 16),
            Stage.MEETING_HELD,
        ),
        ("rhona", SubmitDraft(), at(2026, 10, 15), Stage.DRAFT_WITH_HEADTEACHER),
        ("hannah", Approve(), at(2026, 10, 16), Stage.APPROVED),
        ("rhona", IssueFinal(), at(2026, 10, 19), Stage.FINAL_ISSUED),
        ("hannah", ShareWithGovernor(), at(2026, 10, 20), Stage.SHARED),
    ]
    current = await brookside(world)
    for who, command, when, after in steps:
        if current.stage is stage:
            break
        current = await act(p[who], a, command, when)
        assert current.stage is after
        world.clock[0] = when
    assert current.stage is stage


async def card_of(world: World, member: Member, verb: str, data: dict[str, Any]) -> dict:
    status, body = await world.send(invoke(member, verb, data, world.service_url))
    assert status == 200, body
    return body["value"]


async def said_to(world: World, member: Member, words: str) -> str:
    before = len(world.connector.sent)
    status, _ = await world.send(message(member, words, world.service_url))
    assert status == 200
    return " ".join(text_of(a["attachments"][0]["content"]) for a in world.connector.sent[before:])


async def send_outbox(world: World) -> None:
    settings = world.product.settings.model_copy(update={"service_url": world.connector.url})
    adapter = make_adapter(make_authentication(settings, StaticCredentialFactory(), dev=False))

    async def no_wait(_seconds: float) -> None:
        return None

    sender = OutboxSender(
        world.product, adapter, settings, lambda: world.clock[0], sleep=no_wait, quiet_hours=False
    )
    await sender.send_due(world.clock[0])


def welcome_cards(world: World, member: Member) -> list[str]:
    """The texts of proactive cards sent into chats created with this person."""
    conversation = f"a:new-{member.aad_object_id}"
    return [text_of(a["attachments"][0]["content"]) for a in world.connector.sent_to(conversation)]


async def audit(world: World, appraisal_id: int) -> list[AuditRow]:
    async with world.product.ctx.uow() as tx:
        return await tx.audit.for_appraisal(appraisal_id)


@pytest.fixture
async def fresh_world(tmp_path, openid):
    async with running_bot(tmp_path, openid, seed_fresh_cycle, [at(2026, 9, 1, 9)]) as world:
        for extra in (NIA, RAVI):
            world.connector.members[extra.id] = extra
        yield world


#: Stages where a governor matters, the button their old card offers, and its typed answers.
GOVERNOR_STAGES = [
    (Stage.AWAITING_GOVERNOR, "confirm_availability", {}),
    (Stage.PREPARATION, None, {}),
    (Stage.FINAL_ISSUED, None, {}),
    (Stage.SHARED, "acknowledge", {"board_meeting_on": "2026-11-26"}),
]


@pytest.mark.parametrize(("stage", "verb", "typed"), GOVERNOR_STAGES, ids=lambda v: str(v))
async def test_a_replaced_governor_loses_access_and_the_new_one_is_welcomed_and_acts(
    fresh_world, stage, verb, typed
):
    world = fresh_world
    await reach(world, stage)
    p = await ids(world)
    gareth, a = world.members["gareth"], p["brookside"]
    old_card = await card_of(world, gareth, "show_appraisal", {"appraisal_id": a})
    assert "Brookside" in text_of(old_card)
    when = datetime.combine(world.clock[0].date(), datetime.min.time(), world.clock[0].tzinfo)
    when = when.replace(hour=12)

    changes = await reimport(world, roster_with({"governor": [NIA]}), when)

    p = await ids(world)
    moved = [str(m) for m in changes.participants]
    assert moved == ["Brookside Primary School (100001): appointed governor Gareth Evans → Nia New"]
    after = await brookside(world)
    assert after.governor_ids == (p["nia"],)
    # Gareth still governs St Anne's, and sees it; of Brookside he sees nothing at all.
    status = await said_to(world, gareth, "status")
    assert "St Anne" in status and "Brookside" not in status
    assert "Brookside" not in await said_to(world, gareth, "next")
    assert "could not be found" in text_of(
        await card_of(world, gareth, "show_appraisal", {"appraisal_id": a})
    )
    if verb is not None:
        pressed_verb, data = press(old_card, verb, **typed)
        refused = await card_of(world, gareth, pressed_verb, data)
        assert "could not be found" in text_of(refused)
        assert (await brookside(world)).version == after.version
        trail = await audit(world, a)
        assert any(
            e.actor_id == p["gareth"] and e.outcome == "refused" and e.action == verb for e in trail
        )
    trail = await audit(world, a)
    expected = [f"governor: {p['gareth']} -> {p['nia']}"]
    if stage is Stage.PREPARATION:  # no governor now named has said they can attend
        expected.append("governors' answers")
    assert [e.detail for e in trail if e.action == "reassign"] == expected

    await send_outbox(world)

    welcome = " ".join(welcome_cards(world, NIA))
    assert "Welcome: the trust has named you appointed governor" in welcome
    assert "Hannah Lewis's 2026–27 performance review at Brookside Primary School" in welcome
    if stage is not Stage.SHARED:  # the record is not hers to see before it is shared
        assert meeting_record().cpd_and_support not in welcome
    # The new governor now sees Brookside and can take the governor's step.
    nia_card = await card_of(world, NIA, "show_appraisal", {"appraisal_id": a})
    if stage in (Stage.AWAITING_GOVERNOR, Stage.PREPARATION):
        # Preparing for a meeting no governor now named has confirmed: she is asked.
        assert (await brookside(world)).stage is Stage.AWAITING_GOVERNOR
        assert "It needs you to confirm you can attend" in welcome
        verb_, data = press(nia_card, "confirm_availability")
        await card_of(world, NIA, verb_, data)
        assert (await brookside(world)).stage is Stage.PREPARATION
    elif stage is Stage.SHARED:
        verb_, data = press(nia_card, "acknowledge", board_meeting_on="2026-11-26")
        await card_of(world, NIA, verb_, data)
        assert (await brookside(world)).stage is Stage.MID_YEAR_DUE
    else:
        # Final record issued, not yet shared: nothing for her, and none of the record shown.
        assert "Nothing is needed from you right now" in welcome
        assert "acknowledge" not in executes(nia_card)
        assert meeting_record().cpd_and_support not in text_of(nia_card)


async def test_a_replaced_reviewer_loses_access_and_the_new_one_submits_the_draft(fresh_world):
    world = fresh_world
    await reach(world, Stage.MEETING_HELD)
    p = await ids(world)
    rhona, a = world.members["rhona"], p["brookside"]
    old_card = await card_of(world, rhona, "show_appraisal", {"appraisal_id": a})
    assert "submit_draft" in executes(old_card)

    changes = await reimport(world, roster_with({"reviewer": [RAVI]}), at(2026, 10, 15, 9))

    p = await ids(world)
    assert [str(m) for m in changes.participants] == [
        "Brookside Primary School (100001): reviewer Rhona Patel → Ravi Rel"
    ]
    verb, data = press(old_card, "submit_draft")
    assert "could not be found" in text_of(await card_of(world, rhona, verb, data))
    assert (await brookside(world)).stage is Stage.MEETING_HELD
    status = await said_to(world, rhona, "status")
    assert "St Anne" in status and "Brookside" not in status
    trail = await audit(world, a)
    assert f"reviewer: {p['rhona']} -> {p['ravi']}" in [e.detail for e in trail]
    assert any(e.actor_id == p["rhona"] and e.outcome == "refused" for e in trail)

    await send_outbox(world)

    welcome = " ".join(welcome_cards(world, RAVI))
    assert "Welcome: the trust has named you reviewer" in welcome
    assert "It needs you to submit the draft" in welcome
    ravi_card = await card_of(world, RAVI, "show_appraisal", {"appraisal_id": a})
    verb, data = press(ravi_card, "submit_draft")
    await card_of(world, RAVI, verb, data)
    assert (await brookside(world)).stage is Stage.DRAFT_WITH_HEADTEACHER


async def test_two_governors_both_answer_before_the_meeting_goes_ahead(fresh_world):
    world = fresh_world
    gareth = world.members["gareth"]
    await reimport(world, roster_with({"governor": [gareth, NIA]}), at(2026, 9, 1, 12))
    await reach(world, Stage.DATE_PROPOSED)
    p = await ids(world)
    await world.product.appraisals.act(p["hannah"], p["brookside"], ConfirmDate(), at(2026, 9, 3))
    world.clock[0] = at(2026, 9, 3, 12)
    a = p["brookside"]
    assert (await brookside(world)).governor_ids == (p["gareth"], p["nia"])

    first = await card_of(world, gareth, "show_appraisal", {"appraisal_id": a})
    verb, data = press(first, "confirm_availability")
    after_first = await card_of(world, gareth, verb, data)

    assert (await brookside(world)).stage is Stage.AWAITING_GOVERNOR
    assert "Nia New" in text_of(after_first)  # who is still to answer
    second = await card_of(world, NIA, "show_appraisal", {"appraisal_id": a})
    verb, data = press(second, "confirm_availability")
    await card_of(world, NIA, verb, data)
    assert (await brookside(world)).stage is Stage.PREPARATION


async def test_a_school_with_no_governor_opens_waits_and_moves_on_once_one_is_named(
    tmp_path, openid
):
    async def seed(product):
        roster = roster_with({"governor": []})
        await product.roster.import_entries(parse_roster(roster), at(2026, 9, 1))
        await product.cycles.start(2026, at(2026, 9, 1))

    async with running_bot(tmp_path, openid, seed, [at(2026, 9, 1, 9)]) as world:
        p = await ids(world)
        a = p["brookside"]
        assert (await brookside(world)).governor_ids == ()
        act = world.product.appraisals.act
        await act(p["rhona"], a, ProposeDate(at(2026, 10, 14, 10)), at(2026, 9, 2))
        await act(p["hannah"], a, ConfirmDate(), at(2026, 9, 3))
        world.clock[0] = at(2026, 9, 8, 10)
        assert (await brookside(world)).stage is Stage.AWAITING_GOVERNOR

        overview = await said_to(world, world.members["dana"], "status")
        assert "Waiting: no appointed governor. The roster needs to name one." in overview

        gareth = world.members["gareth"]
        await reimport(world, roster_with({"governor": [gareth]}), at(2026, 9, 8, 10))
        await send_outbox(world)

        assert "no appointed governor" not in await said_to(world, world.members["dana"], "status")
        welcome = [
            text_of(act_["attachments"][0]["content"])
            for act_ in world.connector.sent
            if act_["_conversation"] == f"a:new-{gareth.aad_object_id}"
        ]
        assert any("It needs you to confirm you can attend" in w for w in welcome), welcome
        card = await card_of(world, gareth, "show_appraisal", {"appraisal_id": a})
        verb, data = press(card, "confirm_availability")
        await card_of(world, gareth, verb, data)
        assert (await brookside(world)).stage is Stage.PREPARATION
        assert (await brookside(world)).meeting_at.date() == date(2026, 10, 14)


async def test_a_reminder_queued_for_the_replaced_governor_is_not_sent(fresh_world):
    from sqlalchemy import select

    from appraisal.nudges import Nudge
    from appraisal.roles import Role
    from storage.tables import OutboxRow

    world = fresh_world
    await reach(world, Stage.AWAITING_GOVERNOR)
    p = await ids(world)
    day = world.clock[0].date()
    reminder = Nudge(
        p["brookside"], p["gareth"], Role.GOVERNOR, "confirm_availability", "reminder", day, day
    )
    async with world.product.ctx.uow() as tx:
        assert await tx.outbox.add_many([reminder], world.clock[0], world.clock[0]) == 1
        await tx.commit()

    await reimport(world, roster_with({"governor": [NIA]}), world.clock[0])
    await send_outbox(world)

    gareth = world.members["gareth"]
    assert not [
        a
        for a in world.connector.sent
        if a["_conversation"] in (f"a:conv-{gareth.id}", f"a:new-{gareth.aad_object_id}")
    ]
    async with world.product.ctx.uow() as tx:
        columns = (OutboxRow.status, OutboxRow.activity_id, OutboxRow.last_error)
        found = await tx.session.execute(select(*columns).where(OutboxRow.key == reminder.key))
        row = tuple(found.one())
    assert row == ("sent", None, "not sent: the recipient no longer takes part")
    assert welcome_cards(world, NIA)  # while the new governor is welcomed
