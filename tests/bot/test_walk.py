"""The whole cycle walked over HTTP through the cards the bot actually sends, as Teams would."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from appraisal.stages import Stage
from storage.tables import AuditRow
from tests.support.botframework import file_message, invoke, message
from tests.support.cards import all_executes, executes, inputs, text_of
from tests.support.connector import PDF, FakeFile
from tests.support.factories import at
from tests.support.world import World, tap


async def next_card(world: World, who: str) -> dict[str, Any]:
    """Type 'next' as `who` and return the card the bot replies with."""
    before = len(world.connector.sent)
    status, _ = await world.send(message(world.members[who], "next", world.service_url))
    assert status == 200
    assert len(world.connector.sent) == before + 1
    return world.connector.cards()[-1]


async def open_brookside(world: World, who: str) -> dict[str, Any]:
    """Type 'status' and press Brookside's Open button, as someone with several schools would."""
    await world.send(message(world.members[who], "status", world.service_url))
    status_card = world.connector.cards()[-1]
    appraisal = await brookside(world)
    opens = [
        node
        for node in all_executes(status_card)
        if node.get("verb") == "show_appraisal" and node["data"].get("appraisal_id") == appraisal.id
    ]
    assert len(opens) == 1, "the status card has no Open button for Brookside"
    status, body = await world.send(
        invoke(world.members[who], "show_appraisal", opens[0]["data"], world.service_url)
    )
    assert status == 200
    return body["value"]


async def brookside(world: World):
    async with world.product.ctx.uow() as tx:
        return next(a for a in await tx.appraisals.list(2026) if a.school_urn == "100001")


async def audit_actions(world: World, appraisal_id: int) -> list[tuple[str, str]]:
    async with world.product.db.uow() as tx:
        rows = await tx.session.execute(
            select(AuditRow.action, AuditRow.outcome)
            .where(AuditRow.appraisal_id == appraisal_id)
            .order_by(AuditRow.id)
        )
        return [(a, o) for a, o in rows]


async def test_the_whole_cycle_through_the_cards(fresh: World):
    world = fresh
    start = await brookside(world)
    assert [o.ref for o in start.previous_objectives] == ["O1", "O2", "O3"]

    # 1. The reviewer proposes a date: a Saturday is refused beside the date input.
    world.clock[0] = at(2026, 9, 2, 9)
    card = await next_card(world, "rhona")
    assert "meeting_date" in inputs(card) and "meeting_time" in inputs(card)
    again = await tap(
        world, "rhona", card, "propose_date", meeting_date="2026-10-10", meeting_time="10:00"
    )
    assert "Saturday 10 October 2026 is not a working day" in text_of(again)
    assert (await brookside(world)).version == start.version
    card = await tap(
        world, "rhona", again, "propose_date", meeting_date="2026-10-14", meeting_time="10:00"
    )
    assert (await brookside(world)).stage is Stage.DATE_PROPOSED

    # 2. The headteacher confirms; 3. the governor confirms they can attend.
    card = await next_card(world, "hannah")
    assert "Wednesday 14 October 2026" in text_of(card)
    await tap(world, "hannah", card, "confirm_date")
    card = await open_brookside(world, "gareth")
    await tap(world, "gareth", card, "confirm_availability")
    assert (await brookside(world)).stage is Stage.PREPARATION

    # 4. The reviewer sends the pre-reading; 5. the headteacher self-evaluates.
    world.clock[0] = at(2026, 10, 7, 8)
    card = await open_brookside(world, "rhona")
    assert "Headteachers' standards" in text_of(card)
    await tap(world, "rhona", card, "send_pre_reading")
    world.clock[0] = at(2026, 10, 9, 12)
    card = await next_card(world, "hannah")
    ratings = {f"rating_{ref}": "met" for ref in ("O1", "O2", "O3")}
    ratings["rating_O2"] = "partially_met"
    await tap(world, "hannah", card, "self_evaluate", commentary_O2="Staffing changes.", **ratings)
    assert [e.rating.value for e in (await brookside(world)).self_evaluations] == [
        "met",
        "partially_met",
        "met",
    ]

    # The headteacher drops her evidence into the chat and files it against objective O1.
    world.connector.files["Writing moderation.pdf"] = FakeFile(PDF)
    await world.send(
        file_message(
            world.members["hannah"],
            world.service_url,
            "Writing moderation.pdf",
            world.connector.file_url("Writing moderation.pdf"),
        )
    )
    classify = world.connector.cards()[-1]
    await tap(
        world, "hannah", classify, "add_evidence", kind="pupil_outcome_data", objective_ref="O1"
    )
    (item,) = (await brookside(world)).evidence
    assert (item.ref, item.objective_ref, item.title) == ("E1", "O1", "Writing moderation")
    assert world.connector.downloads == ["Writing moderation.pdf"]

    # 6. After the meeting the reviewer records it over three cards.
    world.clock[0] = at(2026, 10, 14, 16)
    card = await open_brookside(world, "rhona")
    judged = {f"judgement_{ref}": "met" for ref in ("O1", "O3")}
    card = await tap(
        world,
        "rhona",
        card,
        "save_judgements",
        judgement_O2="partially_met",
        reasons_O2="Two teachers left in the spring.",
        **judged,
    )
    assert "objective_1_text" in inputs(card)
    objectives = {
        "objective_1_text": "Raise writing attainment.",
        "objective_1_criteria": "75% at EXS.",
        "objective_1_focus": "school_improvement",
        "objective_2_text": "Improve attendance.",
        "objective_2_criteria": "PA below 12%.",
        "objective_2_focus": "school_improvement",
    }
    # No development or wellbeing objective: the card comes back with the message, values kept.
    card = await tap(world, "rhona", card, "save_objectives", **objectives)
    assert "training and development" in text_of(card)
    assert inputs(card)["objective_2_text"].get("value") == "Improve attendance."
    card = await tap(
        world,
        "rhona",
        card,
        "save_objectives",
        objective_3_text="NPQEL.",
        objective_3_criteria="Completed by July.",
        objective_3_focus="professional_development",
        **objectives,
    )
    assert "cpd_and_support" in inputs(card)
    arrangements = {
        "cpd_and_support": "Coaching.",
        "wellbeing_discussed": "true",
        "monitoring": "Termly visits.",
        "evidence_to_collect": "Moderation.",
        "mid_year_holder": "reviewer",
        "mid_year_month": "2",
    }
    # Wellbeing not confirmed: the arrangements card comes back with the message beside it.
    again = await tap(
        world, "rhona", card, "record_meeting", **{**arrangements, "wellbeing_discussed": "false"}
    )
    assert "wellbeing" in text_of(again).lower()
    assert (await brookside(world)).stage is Stage.PREPARATION
    card = await tap(world, "rhona", card, "record_meeting", **arrangements)
    # The answer is the record as it now stands: the drafts it was made from are gone.
    assert "Done: Meeting recorded" in text_of(card)
    assert "not saved it yet" not in text_of(card)
    assert "Continue editing" not in text_of(card)
    recorded = await brookside(world)
    assert recorded.stage is Stage.MEETING_HELD
    assert [o.text for o in recorded.meeting_record.objectives] == [
        "Raise writing attainment.",
        "Improve attendance.",
        "NPQEL.",
    ]

    # 7. Draft submitted; the headteacher asks for a change; resubmitted; approved.
    card = await open_brookside(world, "rhona")
    await tap(world, "rhona", card, "submit_draft")
    world.clock[0] = at(2026, 10, 15, 9)
    card = await next_card(world, "hannah")
    assert "Raise writing attainment." in text_of(card)
    await tap(world, "hannah", card, "request_changes", comment="Please add the CPD budget.")
    card = await open_brookside(world, "rhona")
    assert "Please add the CPD budget." in text_of(card)
    await tap(world, "rhona", card, "submit_draft")
    approval = await next_card(world, "hannah")
    await tap(world, "hannah", approval, "approve")
    assert (await brookside(world)).stage is Stage.APPROVED

    # The same approval card pressed again: the current state, nothing changed.
    before = await brookside(world)
    stale = await tap(world, "hannah", approval, "approve")
    assert "Nothing was changed" in text_of(stale)
    assert await brookside(world) == before

    # 8. Final issued, shared, acknowledged (the board is told of completion only).
    card = await open_brookside(world, "rhona")
    await tap(world, "rhona", card, "issue_final")
    card = await next_card(world, "hannah")
    await tap(world, "hannah", card, "share_with_governor")
    card = await open_brookside(world, "gareth")
    assert "not reported to the board" in text_of(card)
    await tap(world, "gareth", card, "acknowledge", board_meeting_on="2026-11-26")
    assert (await brookside(world)).stage is Stage.MID_YEAR_DUE

    # 9. The mid-year review in February.
    world.clock[0] = at(2027, 2, 9, 15)
    card = await open_brookside(world, "rhona")
    progress = {f"progress_O{n}": "on_track" for n in (1, 2, 3)}
    await tap(world, "rhona", card, "record_mid_year", held_on="2027-02-09", **progress)
    done = await brookside(world)
    assert done.stage is Stage.COMPLETE
    actions = [a for a, outcome in await audit_actions(world, done.id) if outcome == "done"]
    assert actions == [
        "open_cycle",
        "propose_date",
        "confirm_date",
        "confirm_availability",
        "send_pre_reading",
        "self_evaluate",
        "add_evidence",
        "record_meeting",
        "submit_draft",
        "request_changes",
        "submit_draft",
        "approve",
        "issue_final",
        "share_with_governor",
        "acknowledge",
        "record_mid_year",
    ]
    others = [(a, o) for a, o in await audit_actions(world, done.id) if o != "done"]
    assert others == [("approve", "conflict")]  # the approval card pressed a second time


async def test_every_card_sent_in_the_walk_names_its_appraisal_and_version(fresh: World):
    world = fresh
    world.clock[0] = at(2026, 9, 2, 9)
    card = await next_card(world, "rhona")
    appraisal = await brookside(world)
    for verb, action in executes(card).items():
        if verb in ("show_status", "show_next", "help"):
            continue
        assert action["data"].get("appraisal_id") == appraisal.id, verb
    assert json.dumps(card).count('"version"') >= 1
