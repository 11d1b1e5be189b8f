"""People in Teams: who they are, what they may see, and what their buttons may do — over HTTP."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from appraisal.stages import Stage
from bot.teams_bot import RecentReferences
from storage.tables import AuditRow, ConversationRefRow, PersonRow
from tests.support.botframework import Member, installation, invoke, message
from tests.support.cards import card_text
from tests.support.world import World

OBJECTIVE_TEXTS = (
    "Raise attainment in KS2 writing",
    "Embed the new curriculum leadership model",
    "Complete the NPQ for Executive Leadership",
)


async def ask(world: World, who: str, text: str) -> str:
    before = len(world.connector.sent)
    status, _ = await world.send(message(world.members[who], text, world.service_url))
    assert status == 200
    cards = world.connector.cards()
    assert len(world.connector.sent) == before + 1
    return card_text(cards[-1])


async def appraisal_ids(world: World) -> dict[str, int]:
    async with world.product.ctx.uow() as tx:
        return {a.school_urn: a.id for a in await tx.appraisals.list()}


async def audit_rows(world: World) -> list[tuple[str, str]]:
    """(action, outcome) of every audit entry, oldest first."""
    async with world.product.db.uow() as tx:
        rows = await tx.session.execute(
            select(AuditRow.action, AuditRow.outcome).order_by(AuditRow.id)
        )
        return [(action, outcome) for action, outcome in rows]


# --- who is writing -------------------------------------------------------------------------


async def test_status_for_each_role_shows_only_their_appraisals(world: World):
    hannah = await ask(world, "hannah", "status")
    assert "Brookside Primary School" in hannah
    assert "St Anne" not in hannah and "Hillcrest" not in hannah
    assert "You: approve the draft, by Thursday 12 November — 6 working days late" in hannah

    tom = await ask(world, "tom", "status")
    assert "St Anne" in tom and "Brookside" not in tom and "Hillcrest" not in tom
    assert "You: confirm the meeting date" in tom

    grace = await ask(world, "grace", "status")  # Hillcrest's governor only
    assert "Hillcrest Academy" in grace
    assert "Brookside" not in grace and "St Anne" not in grace

    # Two roles: Rhona reviews two schools; Gareth governs two schools.
    rhona = await ask(world, "rhona", "status")
    assert "Brookside" in rhona and "St Anne" in rhona and "Hillcrest" not in rhona
    gareth = await ask(world, "gareth", "status")
    assert "Brookside" in gareth and "St Anne" in gareth and "Hillcrest" not in gareth

    # The DCEO oversees all three and reviews Hillcrest herself.
    dana = await ask(world, "dana", "status")
    assert all(s in dana for s in ("Brookside", "St Anne", "Hillcrest"))
    assert "You: propose the meeting date" in dana

    colin = await ask(world, "colin", "status")  # admin: status of all, never objectives
    assert all(s in colin for s in ("Brookside", "St Anne", "Hillcrest"))
    for card in world.connector.cards():
        assert not any(objective in card_text(card) for objective in OBJECTIVE_TEXTS)


async def test_next_tells_each_person_their_step_or_what_happens_next(world: World):
    hannah = await ask(world, "hannah", "next")
    assert "Approve the draft" in hannah and "Brookside" in hannah
    assert "6 working days late" in hannah
    tom = await ask(world, "tom", "next")
    assert "Confirm the meeting date" in tom
    dana = await ask(world, "dana", "next")
    assert "Propose the meeting date" in dana and "Hillcrest" in dana
    rhona = await ask(world, "rhona", "next")
    assert "Nothing for you right now" in rhona
    assert "Hannah Lewis (headteacher): approve the draft" in rhona
    colin = await ask(world, "colin", "next")
    assert "Nothing for you right now" in colin


async def test_help_and_unknown_text(world: World):
    help_card = await ask(world, "gareth", "help")
    assert "Hello Gareth" in help_card
    assert "appointed governor for Brookside Primary School" in help_card
    assert "appointed governor for St Anne" in help_card
    assert "attach a file" not in help_card  # only headteachers add evidence
    assert "attach a file to this chat" in await ask(world, "hannah", "help")
    confused = await ask(world, "gareth", "what is the meaning of this")
    assert "didn't understand" in confused
    assert "Hello Gareth" in confused


async def test_a_person_not_on_the_roster_is_told_who_to_ask_and_nothing_else(world: World):
    stranger = Member(
        "29:stranger",
        "Sam Stranger",
        "5a5a5a5a-0000-4000-8000-000000000001",
        "sam.stranger@oakfield-trust.example",
    )
    world.connector.members[stranger.id] = stranger
    status, _ = await world.send(message(stranger, "status", world.service_url))
    assert status == 200
    text = card_text(world.connector.cards()[-1])
    assert "not on the roster" in text
    assert "Colin Mercer" in text
    assert not any(s in text for s in ("Brookside", "St Anne", "Hillcrest", "Stage"))


async def test_a_person_without_an_object_id_is_bound_by_email_on_first_contact(world: World):
    # The roster gave Grace (Hillcrest's governor) no object id: Teams' member lookup finds her.
    grace = world.members["grace"]
    async with world.product.db.uow() as tx:
        row = await tx.session.scalar(select(PersonRow).where(PersonRow.name == "Grace Miller"))
        row.aad_object_id = None
        await tx.commit()
    world.connector.members[grace.id] = Member(
        grace.id, grace.name, grace.aad_object_id, grace.email.upper()
    )
    lookups = world.connector.member_lookups
    first = await ask(world, "hannah", "help")  # Hannah is known by object id: no lookup
    assert "Hello Hannah" in first
    assert world.connector.member_lookups == lookups
    status_card = await ask(world, "grace", "status")
    assert "Hillcrest Academy" in status_card
    assert world.connector.member_lookups == lookups + 1
    async with world.product.db.uow() as tx:
        row = await tx.session.scalar(select(PersonRow).where(PersonRow.name == "Grace Miller"))
        assert row.aad_object_id == grace.aad_object_id
    # From now on she is known by her object id, and the binding was audited.
    await ask(world, "grace", "next")
    assert world.connector.member_lookups == lookups + 1
    assert ("bind_identity", "done") in await audit_rows(world)


async def test_an_unknown_account_whose_lookup_fails_is_treated_as_not_on_the_roster(world: World):
    ghost = Member("29:ghost", "Ghost", "12121212-0000-4000-8000-000000000001", "x@y.example")
    status, _ = await world.send(message(ghost, "status", world.service_url))  # lookup 404s
    assert status == 200
    assert "not on the roster" in card_text(world.connector.cards()[-1])


async def test_an_account_whose_email_is_bound_to_another_object_id_is_not_let_in(world: World):
    impostor = Member(
        "29:imp",
        "Hannah Lewis",
        "abababab-0000-4000-8000-000000000009",
        "hannah.lewis@oakfield-trust.example",
    )
    world.connector.members[impostor.id] = impostor
    await world.send(message(impostor, "status", world.service_url))
    text = card_text(world.connector.cards()[-1])
    assert "not on the roster" in text and "Brookside" not in text


async def test_a_tenant_that_is_not_allowed_is_refused_and_told_nothing(world: World):
    hannah = world.members["hannah"]
    other = "11111111-2222-3333-4444-555555555555"
    status, _ = await world.send(message(hannah, "status", world.service_url, tenant=other))
    assert status == 200
    assert world.connector.cards() == []
    assert world.connector.texts() == ["HTPM bot is not available for your organisation."]
    status, body = await world.send(
        invoke(hannah, "approve", {"appraisal_id": 1}, world.service_url, tenant=other)
    )
    assert status == 200
    assert "Brookside" not in json.dumps(body) and "Not available" in json.dumps(body)
    async with world.product.db.uow() as tx:
        assert await tx.conversations.get(hannah.aad_object_id) is None


async def test_conversation_references_are_kept_on_install_and_on_every_message(world: World):
    gareth = world.members["gareth"]
    status, _ = await world.send(installation(gareth, world.service_url))
    assert status == 200
    assert "Hello Gareth" in card_text(world.connector.cards()[-1])
    async with world.product.db.uow() as tx:
        row = await tx.session.get(ConversationRefRow, gareth.aad_object_id)
        assert row is not None
        assert row.reference["conversation"]["id"] == f"a:conv-{gareth.id}"
        assert row.reference["serviceUrl"] == world.service_url
        assert row.person_id is not None


async def test_a_reference_is_written_again_only_when_teams_moves_the_chat(world: World):
    gareth = world.members["gareth"]

    async def stored():
        async with world.product.db.uow() as tx:
            row = await tx.session.get(ConversationRefRow, gareth.aad_object_id)
            return row.updated_at, row.reference

    first_seen = world.clock[0]
    assert (await world.send(message(gareth, "status", world.service_url)))[0] == 200
    world.clock[0] = first_seen + timedelta(minutes=5)
    assert (await world.send(message(gareth, "next", world.service_url)))[0] == 200
    assert (await stored())[0] == first_seen  # the same chat: nothing written
    moved = message(gareth, "status", world.service_url)
    moved["conversation"]["id"] = "a:conv-moved"
    assert (await world.send(moved))[0] == 200
    updated_at, reference = await stored()
    assert updated_at == world.clock[0]
    assert reference["conversation"]["id"] == "a:conv-moved"


def test_recent_references_are_bounded_and_forget_the_oldest(monkeypatch):
    monkeypatch.setattr(RecentReferences, "LIMIT", 3)
    recent = RecentReferences()
    reference = {"conversation": {"id": "a:1"}, "activityId": "m1"}
    for n in range(5):
        recent.stored(f"aad-{n}", "t", n, reference)
    assert recent.changed("aad-0", "t", 0, reference)  # forgotten: written again
    assert not recent.changed("aad-4", "t", 4, {**reference, "activityId": "m2"})
    assert recent.changed("aad-4", "t", 5, reference)  # bound to another person now


# --- what buttons may do ----------------------------------------------------------------------


async def test_the_headteacher_approves_from_a_card_and_a_second_tap_changes_nothing(world: World):
    ids = await appraisal_ids(world)
    async with world.product.ctx.uow() as tx:
        draft = await tx.appraisals.get(ids["100001"])
    assert draft.stage is Stage.DRAFT_WITH_HEADTEACHER
    data = {"appraisal_id": draft.id, "version": draft.version}
    status, body = await world.send(
        invoke(world.members["hannah"], "approve", data, world.service_url)
    )
    assert status == 200
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "Done: Draft approved." in json.dumps(body["value"])
    async with world.product.ctx.uow() as tx:
        approved = await tx.appraisals.get(draft.id)
    assert approved.stage is Stage.APPROVED
    # The same card tapped again: answered with where it stands, nothing changes.
    status, body = await world.send(
        invoke(world.members["hannah"], "approve", data, world.service_url)
    )
    assert "changed while you were working on it" in json.dumps(body["value"])
    assert "Nothing was changed" in json.dumps(body["value"])
    async with world.product.ctx.uow() as tx:
        assert (await tx.appraisals.get(draft.id)) == approved


@pytest.mark.parametrize(
    ("who", "verb", "school", "why"),
    [
        ("tom", "approve", "100001", "could not be found"),  # another school's appraisal
        ("grace", "approve", "100001", "could not be found"),  # a governor of another school
        ("rhona", "approve", "100001", "Only the headteacher"),  # a verb for another role
        ("hannah", "issue_final", "100001", "not possible now"),  # a verb for another stage
        ("hannah", "share_with_governor", "100001", "not possible now"),  # for another stage
        ("colin", "approve", "100001", "Only the headteacher"),  # admin may not act
    ],
)
async def test_tampered_or_misdirected_card_actions_are_refused_and_audited(
    world: World, who, verb, school, why
):
    ids = await appraisal_ids(world)
    async with world.product.ctx.uow() as tx:
        before = await tx.appraisals.get(ids[school])
    audit_before = len(await audit_rows(world))
    status, body = await world.send(
        invoke(world.members[who], verb, {"appraisal_id": before.id}, world.service_url)
    )
    assert status == 200
    assert why in json.dumps(body["value"])
    assert "Nothing was changed" in json.dumps(body["value"])
    async with world.product.ctx.uow() as tx:
        assert await tx.appraisals.get(before.id) == before
    rows = (await audit_rows(world))[audit_before:]
    assert rows == [(verb, "refused")]


@pytest.mark.parametrize(
    ("verb", "data"),
    [
        ("grant_admin", {"appraisal_id": 1}),
        ("approve", {"appraisal_id": "one"}),
        ("approve", {}),
        (
            "propose_date",
            {"appraisal_id": 3, "meeting_date": "31/12/2026", "meeting_time": "10:00"},
        ),
        ("approve", "not an object"),
    ],
)
async def test_malformed_card_data_is_refused_with_a_message_and_audited(world: World, verb, data):
    audit_before = len(await audit_rows(world))
    status, body = await world.send(invoke(world.members["hannah"], verb, data, world.service_url))
    assert status == 200
    assert "Nothing was changed" in json.dumps(body["value"])
    rows = (await audit_rows(world))[audit_before:]
    assert len(rows) == 1
    assert rows[0][1] == "refused"


async def test_the_person_is_taken_from_the_activity_never_from_card_data(world: World):
    ids = await appraisal_ids(world)
    # Tom puts Hannah's identity in the card data: it is ignored; he is still Tom.
    hannah = world.members["hannah"]
    data = {
        "appraisal_id": ids["100001"],
        "person_id": 1,
        "aadObjectId": hannah.aad_object_id,
        "from": {"aadObjectId": hannah.aad_object_id},
    }
    _, body = await world.send(invoke(world.members["tom"], "approve", data, world.service_url))
    assert "could not be found" in json.dumps(body["value"])
    async with world.product.ctx.uow() as tx:
        assert (await tx.appraisals.get(ids["100001"])).stage is Stage.DRAFT_WITH_HEADTEACHER
