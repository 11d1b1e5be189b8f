"""Hostile ids, shapes and text from Teams, over HTTP, on SQLite and on PostgreSQL alike.

Every case is answered 200 with a card that says nothing was changed, changes nothing, and is
audited as refused where the person is known; the two stores take and refuse the same things.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.demo import seed_demo
from storage.database import Database
from storage.tables import AuditRow, ConversationRefRow, PendingUploadRow, PersonRow
from tests.support.botframework import Member, file_consent, file_message, invoke, message
from tests.support.cards import inputs, press, text_of
from tests.support.connector import FakeFile
from tests.support.world import NOW, World, running_bot

PDF = b"%PDF-1.7\n" + b"evidence " * 200 + b"\n%%EOF\n"

#: Ids no card of ours carries: not ASCII digits, out of range, or not a number at all.
HOSTILE_IDS: list[Any] = [
    "²",
    "9" * 4400,
    2**63,
    2**31,
    "１",
    "1 ",
    "+1",
    "1_0",
    -1,
    0,
    1.5,
    True,
    None,
    [1],
    {"id": 1},
]
RLO = "\u202e"
HEBREW_ARABIC = "שלום مرحبا"


@pytest.fixture
async def world(tmp_path, openid, empty_db: Database) -> AsyncIterator[World]:
    """The demo trust on Sunday 22 November 2026, stored in SQLite or in PostgreSQL."""

    async def seed(product) -> None:
        await seed_demo(product, NOW)

    async with running_bot(tmp_path, openid, seed, [NOW], database=empty_db) as running:
        yield running


# --- helpers ----------------------------------------------------------------------------------


async def audit_rows(world: World) -> list[tuple[str, str]]:
    async with world.product.db.uow() as tx:
        rows = await tx.session.execute(
            select(AuditRow.action, AuditRow.outcome).order_by(AuditRow.id)
        )
        return [(action, outcome) for action, outcome in rows]


async def appraisals(world: World) -> dict[str, Any]:
    async with world.product.ctx.uow() as tx:
        return {a.school_urn: a for a in await tx.appraisals.list()}


async def count(world: World, table) -> int:
    async with world.product.db.uow() as tx:
        return await tx.session.scalar(select(func.count()).select_from(table))


async def card_answer(world: World, activity: dict[str, Any]) -> str:
    """The text of the card an invoke is answered with (200, always)."""
    status, body = await world.send(activity)
    assert status == 200, body
    assert body["statusCode"] == 200, body
    return text_of(body["value"]) if isinstance(body["value"], dict) else str(body["value"])


async def assert_refused(world: World, activity: dict[str, Any], action: str, what: Any) -> None:
    """The invoke is answered with a refusal card, changes nothing, and is audited once."""
    before, audited = await appraisals(world), len(await audit_rows(world))
    shown = await card_answer(world, activity)
    assert "Nothing was changed." in shown, (what, shown)
    assert await appraisals(world) == before, what
    assert (await audit_rows(world))[audited:] == [(action, "refused")], what


async def drop(world: World, who: str, name: str) -> list[dict[str, Any]]:
    """`who` drops a PDF called `name` into the chat; the cards the bot answers with."""
    world.connector.files["served.pdf"] = FakeFile(PDF)
    before = len(world.connector.cards())
    activity = file_message(
        world.members[who], world.service_url, name, world.connector.file_url("served.pdf")
    )
    status, _ = await world.send(activity)
    assert status == 200
    return world.connector.cards()[before:]


def stranger(aad: str) -> Member:
    """Hannah's Teams account and email, but an object id no real Entra account has."""
    return Member("29:odd", "Hannah Lewis", aad, "hannah.lewis@oakfield-trust.example")


# --- ids and numbers from cards ---------------------------------------------------------------


@pytest.mark.parametrize("verb", ["approve", "show_appraisal", "show_evidence", "refresh"])
async def test_hostile_appraisal_ids_are_refused_and_audited(world: World, verb):
    hannah = world.members["hannah"]
    for hostile in HOSTILE_IDS:
        activity = invoke(hannah, verb, {"appraisal_id": hostile}, world.service_url)
        await assert_refused(world, activity, verb, hostile)


async def test_a_hostile_version_is_refused_and_audited(world: World):
    brookside = (await appraisals(world))["100001"]
    for hostile in HOSTILE_IDS:
        data = {"appraisal_id": brookside.id, "version": hostile}
        activity = invoke(world.members["hannah"], "approve", data, world.service_url)
        await assert_refused(world, activity, "approve", hostile)


async def test_hostile_upload_ids_are_refused_and_the_file_still_waits(world: World):
    (card,) = await drop(world, "tom", "plan.pdf")
    add, data = press(card, "add_evidence", kind="other")
    tom = world.members["tom"]
    for hostile in HOSTILE_IDS:
        for verb in (add, "evidence_for_appraisal"):
            activity = invoke(tom, verb, {**data, "upload_id": hostile}, world.service_url)
            await assert_refused(world, activity, verb, hostile)
    assert await count(world, PendingUploadRow) == 1
    # The real button still works.
    assert "Added E1" in await card_answer(world, invoke(tom, add, data, world.service_url))


async def test_hostile_evidence_refs_are_refused(world: World):
    st_annes = (await appraisals(world))["100002"]
    for ref in ("E²", "E١", "E" + "9" * 4400, "E-1", ["E1"], 1):
        data = {"appraisal_id": st_annes.id, "version": st_annes.version, "evidence_ref": ref}
        activity = invoke(world.members["tom"], "remove_evidence", data, world.service_url)
        await assert_refused(world, activity, "remove_evidence", ref)


async def test_hostile_file_consent_contexts_are_refused_and_nothing_is_uploaded(world: World):
    rhona = world.members["rhona"]
    info = {"uploadUrl": world.connector.upload_url("session-1"), "name": "x.pdf"}
    contexts: list[Any] = [
        *({"appraisal_id": hostile, "evidence_ref": "E1"} for hostile in HOSTILE_IDS),
        {"appraisal_id": 2, "evidence_ref": "E²"},
        {"appraisal_id": 2, "evidence_ref": ["E1"]},
    ]
    for context in contexts:
        audited, cards = len(await audit_rows(world)), len(world.connector.cards())
        status, _ = await world.send(
            file_consent(rhona, world.service_url, "accept", context, info)
        )
        assert status == 200, context
        assert world.connector.uploads == [], context
        assert "not valid" in text_of(world.connector.cards()[cards]), context
        assert (await audit_rows(world))[audited:] == [("send_evidence", "refused")], context


# --- shapes that are not what Teams sends -----------------------------------------------------


def shaped(world: World, value: Any) -> dict[str, Any]:
    activity = invoke(world.members["hannah"], "approve", {}, world.service_url)
    activity["value"] = value
    return activity


async def test_invoke_values_of_the_wrong_shape_are_answered_and_audited(world: World):
    brookside = (await appraisals(world))["100001"]
    ids = {"appraisal_id": brookside.id, "version": brookside.version}
    execute = {"type": "Action.Execute"}
    values: list[Any] = [
        [ids],
        "approve",
        42,
        {"action": ["approve"]},
        {"action": "approve"},
        {"action": {**execute, "verb": "approve", "data": [ids]}},
        {"action": {**execute, "verb": ["approve"], "data": ids}},
        {"action": {**execute, "verb": 7, "data": ids}},
    ]
    for value in values:
        before, audited = await appraisals(world), len(await audit_rows(world))
        status, body = await world.send(shaped(world, value))
        assert status == 200, (value, body)
        assert "Nothing was changed" in json.dumps(body), (value, body)
        assert await appraisals(world) == before, value
        new = (await audit_rows(world))[audited:]
        assert [outcome for _action, outcome in new] == ["refused"], (value, new)
    # A form name that is not a name shows the appraisal's own card, as an unknown one does.
    data = {**ids, "form": ["approve"]}
    value = {"action": {**execute, "verb": "show_form", "data": data}}
    assert "Brookside" in json.dumps(await card_answer(world, shaped(world, value)))
    assert await appraisals(world) == before


async def test_file_consent_values_of_the_wrong_shape_are_answered_and_audited(world: World):
    rhona = world.members["rhona"]
    info = {"uploadUrl": world.connector.upload_url("session-1"), "name": "x.pdf"}
    good = file_consent(rhona, world.service_url, "accept", {"appraisal_id": 2}, info)
    for value in (
        [good["value"]],
        "accept",
        {**good["value"], "context": [2, "E1"]},
        {**good["value"], "uploadInfo": "https://example.com/upload"},
    ):
        audited = len(await audit_rows(world))
        status, body = await world.send({**good, "value": value})
        assert status == 200, (value, body)
        assert "Nothing was changed" in json.dumps(body), (value, body)
        assert world.connector.uploads == [], value
        assert (await audit_rows(world))[audited:] == [("send_evidence", "refused")], value


# --- what PostgreSQL refuses and SQLite would keep --------------------------------------------


@pytest.mark.parametrize(
    "aad", ["5a5a5a5a-0000-4000-8000-0000000000010000", "5a5a5a5a-0000-4000-8000-00000000\x0001"]
)
async def test_an_object_id_that_is_not_a_guid_is_no_identity(world: World, aad):
    odd = stranger(aad)
    world.connector.members[odd.id] = odd
    people_before, refs_before = (
        await count(world, PersonRow),
        await count(world, ConversationRefRow),
    )
    audited = len(await audit_rows(world))
    lookups = world.connector.member_lookups

    status, _ = await world.send(message(odd, "status", world.service_url))
    assert status == 200
    assert "You are not on the roster yet" in text_of(world.connector.cards()[-1])
    shown = await card_answer(world, invoke(odd, "show_status", {}, world.service_url))
    assert "You are not on the roster yet" in shown

    assert world.connector.member_lookups == lookups  # never bound by email either
    assert await count(world, PersonRow) == people_before
    assert await count(world, ConversationRefRow) == refs_before
    assert len(await audit_rows(world)) == audited


async def test_a_file_name_with_nul_is_stored_without_it(world: World):
    (card,) = await drop(world, "tom", "plan\x00 2026\x07.pdf")
    assert "plan 2026.pdf" in text_of(card)
    async with world.product.db.uow() as tx:
        names = list(await tx.session.scalars(select(PendingUploadRow.filename)))
    assert names == ["plan 2026.pdf"]


async def test_a_display_name_with_nul_is_kept_without_it_in_the_reference(world: World):
    hannah = world.members["hannah"]
    activity = message(hannah, "status", world.service_url)
    activity["from"]["name"] = "Hannah\x00 Lewis\u202e"
    status, _ = await world.send(activity)
    assert status == 200
    async with world.product.db.uow() as tx:
        stored = await tx.conversations.get(hannah.aad_object_id)
    assert stored is not None
    assert stored["user"]["name"] == "Hannah Lewis"
    assert "\\u0000" not in json.dumps(stored)


# --- text that would display reversed on someone else's card ----------------------------------


async def test_a_comment_reaches_the_reviewer_without_direction_overrides(world: World):
    brookside = (await appraisals(world))["100001"]
    comment = f"Please {RLO}reword O2{RLO} — {HEBREW_ARABIC}\x00"
    data = {"appraisal_id": brookside.id, "version": brookside.version, "comment": comment}
    shown = await card_answer(
        world, invoke(world.members["hannah"], "request_changes", data, world.service_url)
    )
    assert "Done" in shown
    rhona = await card_answer(
        world,
        invoke(
            world.members["rhona"],
            "show_appraisal",
            {"appraisal_id": brookside.id},
            world.service_url,
        ),
    )
    assert f"Please reword O2 — {HEBREW_ARABIC}" in rhona
    assert RLO not in rhona and "\x00" not in rhona


async def test_a_file_name_reaches_the_reviewer_without_direction_overrides(world: World):
    (card,) = await drop(world, "tom", f"{HEBREW_ARABIC} {RLO}fdp.exe{RLO}.pdf")
    assert RLO not in json.dumps(card, ensure_ascii=False)
    assert inputs(card)["title"]["value"] == f"{HEBREW_ARABIC} fdp.exe"
    verb, data = press(card, "add_evidence", kind="other")
    await card_answer(world, invoke(world.members["tom"], verb, data, world.service_url))
    # A title typed with overrides loses them too.
    (card,) = await drop(world, "tom", "second.pdf")
    verb, data = press(card, "add_evidence", kind="other", title=f"{RLO}gpj.exe")
    await card_answer(world, invoke(world.members["tom"], verb, data, world.service_url))

    st_annes = (await appraisals(world))["100002"]
    listed = await card_answer(
        world,
        invoke(
            world.members["rhona"],
            "show_evidence",
            {"appraisal_id": st_annes.id},
            world.service_url,
        ),
    )
    assert f"{HEBREW_ARABIC} fdp.exe" in listed and "gpj.exe" in listed
    assert RLO not in listed
    assert [item.title for item in st_annes.evidence] == [f"{HEBREW_ARABIC} fdp.exe", "gpj.exe"]
