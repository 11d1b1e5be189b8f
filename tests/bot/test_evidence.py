"""Evidence files in the 1:1 chat, over HTTP: received, classified, listed, removed, sent back.

Files are served by the fake connector playing OneDrive (a downloadUrl per file, an uploadUrl
accepting PUTs); every card pressed here is the card the bot actually sent.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from sqlalchemy import func, select, update

import bot.files
from appraisal.record import EvidenceKind
from appraisal.stages import Stage
from cards.evidence import (
    FILE_CONSENT_TYPE,
    FILE_INFO_TYPE,
    MAX_LISTED,
    build_evidence_list_card,
    size_text,
)
from storage.tables import AppraisalRow, AuditRow, EvidenceBlobRow, PendingUploadRow
from tests.support.botframework import file_consent, file_message, inline_image_message
from tests.support.cards import executes, inputs, press, text_of
from tests.support.connector import PDF, FakeFile
from tests.support.factories import TZ, at
from tests.support.world import World, send_verb, tap

DOCX = b"PK\x03\x04" + b"word/document.xml" + b"\x00" * 3000


# --- helpers ----------------------------------------------------------------------------------


async def drop(world: World, who: str, name: str, served: FakeFile | None, **kw: Any) -> list:
    """`who` drops a file into the chat; returns the cards the bot answered with."""
    if served is not None:
        world.connector.files[name] = served
    before = len(world.connector.cards())
    activity = file_message(
        world.members[who], world.service_url, name, world.connector.file_url(name), **kw
    )
    status, _ = await world.send(activity)
    assert status == 200
    return world.connector.cards()[before:]


async def appraisal_at(world: World, urn: str, year: int = 2026):
    async with world.product.ctx.uow() as tx:
        return next(a for a in await tx.appraisals.list(year) if a.school_urn == urn)


async def count(world: World, table) -> int:
    async with world.product.db.uow() as tx:
        return await tx.session.scalar(select(func.count()).select_from(table))


async def stored(world: World) -> tuple[int, int]:
    """(evidence blobs, pending uploads) in the store."""
    return await count(world, EvidenceBlobRow), await count(world, PendingUploadRow)


async def audit_rows(world: World) -> list[tuple[str, str, int | None]]:
    async with world.product.db.uow() as tx:
        rows = await tx.session.execute(
            select(AuditRow.action, AuditRow.outcome, AuditRow.appraisal_id).order_by(AuditRow.id)
        )
        return [tuple(row) for row in rows]


def only(cards: list) -> dict:
    assert len(cards) == 1, [text_of(c)[:80] for c in cards]
    return cards[0]


async def tom_adds_a_pdf(world: World, title: str = "SDP summary") -> dict:
    """Tom drops a PDF and adds it to St Anne's as its School development plan."""
    card = only(await drop(world, "tom", "SDP 2026.pdf", FakeFile(PDF)))
    return await tap(
        world, "tom", card, "add_evidence", title=title, kind="school_development_plan"
    )


# --- receiving and classifying ----------------------------------------------------------------


async def test_a_headteacher_drops_a_pdf_and_classifies_it_against_an_objective(fresh: World):
    world = fresh
    before = await appraisal_at(world, "100001")
    assert before.stage is Stage.AWAITING_DATE
    card = only(await drop(world, "hannah", "Writing moderation.pdf", FakeFile(PDF)))

    # Stored at once (bytes and the pending upload), and asked about.
    assert await stored(world) == (1, 1)
    shown = text_of(card)
    assert "Add this file to your evidence" in shown and "Brookside Primary School" in shown
    assert "Writing moderation.pdf" in shown and size_text(len(PDF)) == "11 KB" in shown
    fields = inputs(card)
    assert set(fields) == {"title", "kind", "objective_ref"}
    assert fields["title"]["value"] == "Writing moderation"  # the file name to start from
    assert {c["value"] for c in fields["kind"]["choices"]} == {k.value for k in EvidenceKind}
    assert "Ofsted or SIAMS report" in shown and "Notes of visit" in shown
    assert [c["value"] for c in fields["objective_ref"]["choices"]] == ["none", "O1", "O2", "O3"]
    assert fields["objective_ref"]["value"] == "none"
    button = executes(card)["add_evidence"]
    assert button["data"]["appraisal_id"] == before.id
    assert button["data"]["version"] == before.version

    listed = await tap(
        world,
        "hannah",
        card,
        "add_evidence",
        title="KS2 writing moderation outcomes",
        kind="pupil_outcome_data",
        objective_ref="O1",
    )
    shown = text_of(listed)
    assert "Added E1: KS2 writing moderation outcomes" in shown
    assert "Pupil outcome data · supports O1 · 11 KB" in shown
    assert "added Tuesday 1 September 2026" in shown
    assert "send_evidence" in executes(listed) and "remove_evidence" in executes(listed)

    after = await appraisal_at(world, "100001")
    (item,) = after.evidence
    assert (item.ref, item.title, item.kind, item.objective_ref) == (
        "E1",
        "KS2 writing moderation outcomes",
        EvidenceKind.PUPIL_OUTCOME_DATA,
        "O1",
    )
    assert item.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (item.size, item.content_type) == (len(PDF), "application/pdf")
    assert after.stage is Stage.AWAITING_DATE and after.version == before.version + 1
    assert await stored(world) == (1, 0)  # the pending upload became the evidence
    assert ("add_evidence", "done", before.id) in await audit_rows(world)

    # The same file again is another item, but its bytes are stored once.
    again = only(await drop(world, "hannah", "copy.pdf", FakeFile(PDF)))
    await tap(world, "hannah", again, "add_evidence", kind="other")
    assert [e.ref for e in (await appraisal_at(world, "100001")).evidence] == ["E1", "E2"]
    assert await stored(world) == (1, 0)


async def test_a_file_for_an_appraisal_without_last_years_objectives(world: World):
    listed = await tom_adds_a_pdf(world)
    assert "Added E1: SDP summary" in text_of(listed)
    (item,) = (await appraisal_at(world, "100002")).evidence
    assert item.objective_ref is None and item.kind is EvidenceKind.SCHOOL_DEVELOPMENT_PLAN


async def test_the_classify_card_has_no_objective_choice_when_there_are_none(world: World):
    card = only(await drop(world, "tom", "plan.docx", FakeFile(DOCX)))
    assert set(inputs(card)) == {"title", "kind"}
    assert "no objectives from last year" in text_of(card)


async def test_a_missing_title_is_asked_for_again_and_nothing_is_added(world: World):
    card = only(await drop(world, "tom", "plan.pdf", FakeFile(PDF)))
    again = await tap(world, "tom", card, "add_evidence", title="   ", kind="other")
    assert "Give the evidence a title" in text_of(again)
    assert inputs(again)["kind"]["value"] == "other"  # what was chosen is kept
    assert (await appraisal_at(world, "100002")).evidence == ()
    assert await stored(world) == (1, 1)
    done = await tap(world, "tom", again, "add_evidence", title="Plan")
    assert "Added E1: Plan" in text_of(done)


async def test_a_headteacher_with_two_open_appraisals_chooses_one(world: World):
    # Tom also leads Hillcrest this year (an executive headteacher).
    hillcrest = await appraisal_at(world, "100003")
    tom_id = (await appraisal_at(world, "100002")).headteacher_id
    async with world.product.db.uow() as tx:
        await tx.session.execute(
            update(AppraisalRow)
            .where(AppraisalRow.id == hillcrest.id)
            .values(headteacher_id=tom_id)
        )
        await tx.commit()
    choose = only(await drop(world, "tom", "data.pdf", FakeFile(PDF)))
    assert "Which appraisal is this file for?" in text_of(choose)
    buttons = [a for a in choose["actions"] if a["verb"] == "evidence_for_appraisal"]
    assert [b["title"] for b in buttons] == [
        "St Anne's CE Primary School · 2026–27",
        "Hillcrest Academy · 2026–27",
    ]
    classify = await send_verb(world, "tom", "evidence_for_appraisal", buttons[1]["data"])
    assert "Hillcrest Academy" in text_of(classify)
    await tap(world, "tom", classify, "add_evidence", kind="other")
    assert len((await appraisal_at(world, "100003")).evidence) == 1
    assert (await appraisal_at(world, "100002")).evidence == ()


# --- refusing files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("served", "why"),
    [
        (FakeFile(PDF), "declared"),  # Content-Length over the limit: not read at all
        (FakeFile(PDF, chunked=True), "no length"),  # no Content-Length: counted as it comes
        # Content-Length says about 1 KB (gzip), but 2 MB arrive once decompressed.
        (FakeFile(b"%PDF-1.7\n" + b"\x00" * 2_000_000, gzip=True), "lying"),
    ],
)
async def test_a_file_over_the_limit_is_refused_and_nothing_is_stored(
    world: World, monkeypatch, served, why
):
    monkeypatch.setattr(world.product.settings, "evidence_max_bytes", 4096)
    card = only(await drop(world, "tom", "big.pdf", served))
    assert "This file is too big" in text_of(card), why
    assert "over the 4 KB limit" in text_of(card)
    assert "Nothing was stored." in text_of(card)
    assert await stored(world) == (0, 0)
    assert (await appraisal_at(world, "100002")).evidence == ()


@pytest.mark.parametrize(
    ("name", "file_type", "data", "title", "fetched"),
    [
        ("setup.exe", None, b"MZ\x90\x00", "I can't keep this kind of file", False),
        ("notes", "", b"hello", "I can't keep this kind of file", False),  # no extension
        ("report.pdf", "exe", PDF, "I can't keep this kind of file", False),  # types disagree
        ("report.pdf", None, b"MZ\x90\x00" + b"\x00" * 100, "not what its name says", True),
        ("notes.txt", None, b"\x7fELF\x02\x01", "not what its name says", True),
        ("empty.txt", None, b"", "This file is empty", True),
    ],
)
async def test_a_file_of_a_type_we_do_not_keep_is_refused(
    world: World, name, file_type, data, title, fetched
):
    card = only(await drop(world, "tom", name, FakeFile(data), file_type=file_type))
    assert title in text_of(card)
    assert "Nothing was stored." in text_of(card)
    assert (world.connector.downloads == [name]) is fetched
    assert await stored(world) == (0, 0)


async def test_a_download_that_fails_stores_nothing(world: World):
    card = only(await drop(world, "tom", "plan.pdf", FakeFile(PDF, status=500)))
    assert "I couldn't fetch this file" in text_of(card)
    assert "send it again" in text_of(card)
    assert await stored(world) == (0, 0)


async def test_a_download_that_takes_too_long_is_abandoned_and_stores_nothing(
    world: World, monkeypatch
):
    monkeypatch.setattr(bot.files, "DOWNLOAD_SECONDS", 0.5)
    # The headers come at once; the body trickles in 1 KB every 0.2 s (about 2 s in all).
    card = only(await drop(world, "tom", "slow.pdf", FakeFile(PDF, drip=0.2)))
    assert "Fetching this file took too long" in text_of(card)
    assert await stored(world) == (0, 0)


async def test_a_download_url_that_is_not_https_is_not_fetched(world: World):
    activity = file_message(
        world.members["tom"], world.service_url, "plan.pdf", "http://files.example/plan.pdf"
    )
    await world.send(activity)
    assert "I couldn't fetch this file" in text_of(world.connector.cards()[-1])
    assert await stored(world) == (0, 0)


async def test_a_governor_dropping_a_file_is_refused_without_fetching_it(world: World):
    card = only(await drop(world, "gareth", "minutes.pdf", FakeFile(PDF)))
    assert "Only headteachers add evidence" in text_of(card)
    assert world.connector.downloads == []
    assert await stored(world) == (0, 0)


async def test_a_headteacher_past_the_meeting_is_told_no_appraisal_is_open(world: World):
    brookside = await appraisal_at(world, "100001")
    assert brookside.stage is Stage.DRAFT_WITH_HEADTEACHER  # Hannah's meeting is recorded
    card = only(await drop(world, "hannah", "late.pdf", FakeFile(PDF)))
    assert "No appraisal is open for evidence" in text_of(card)
    assert world.connector.downloads == []
    assert await stored(world) == (0, 0)
    assert await appraisal_at(world, "100001") == brookside


async def test_a_pasted_picture_is_declined_with_how_to_attach_it(world: World):
    status, _ = await world.send(inline_image_message(world.members["tom"], world.service_url))
    assert status == 200
    card = world.connector.cards()[-1]
    assert "Pasted pictures can't be kept" in text_of(card)
    assert "paperclip" in text_of(card)
    assert len(world.connector.cards()) == 1  # no command answer as well
    assert world.connector.downloads == []
    assert await stored(world) == (0, 0)


async def test_someone_else_cannot_claim_a_pending_upload(world: World):
    card = only(await drop(world, "tom", "plan.pdf", FakeFile(PDF)))
    _verb, data = press(card, "add_evidence", kind="other")
    hillcrest = await appraisal_at(world, "100003")  # Priya's, open for evidence
    st_annes = await appraisal_at(world, "100002")
    audit_before = len(await audit_rows(world))

    # Priya replays Tom's button on her own appraisal, then on his.
    mine = await send_verb(world, "priya", "add_evidence", {**data, "appraisal_id": hillcrest.id})
    assert "no longer waiting" in text_of(mine) and "Nothing was changed." in text_of(mine)
    his = await send_verb(world, "priya", "add_evidence", data)
    assert "Nothing was changed." in text_of(his)

    assert await appraisal_at(world, "100003") == hillcrest
    assert await appraisal_at(world, "100002") == st_annes
    assert await stored(world) == (1, 1)  # Tom's file still waits for him
    refused = (await audit_rows(world))[audit_before:]
    assert refused == [
        ("add_evidence", "refused", hillcrest.id),
        ("add_evidence", "refused", st_annes.id),
    ]
    # Tom can still add it.
    await tap(world, "tom", card, "add_evidence", kind="other")
    assert len((await appraisal_at(world, "100002")).evidence) == 1


async def test_an_upload_is_added_once_however_often_its_button_is_pressed(world: World):
    card = only(await drop(world, "tom", "plan.pdf", FakeFile(PDF)))
    await tap(world, "tom", card, "add_evidence", kind="other")
    again = await tap(world, "tom", card, "add_evidence", kind="other")
    assert "no longer waiting" in text_of(again)
    assert len((await appraisal_at(world, "100002")).evidence) == 1


# --- the evidence list: removing --------------------------------------------------------------


async def test_the_headteacher_removes_evidence_from_the_list(world: World):
    listed = await tom_adds_a_pdf(world)
    before = await appraisal_at(world, "100002")
    after_card = await tap(world, "tom", listed, "remove_evidence")
    assert "Removed E1." in text_of(after_card)
    assert "No evidence has been added yet." in text_of(after_card)
    after = await appraisal_at(world, "100002")
    assert after.evidence == () and after.version == before.version + 1
    assert ("remove_evidence", "done", before.id) in await audit_rows(world)
    # The old list card is out of date: pressing it again changes nothing.
    stale = await tap(world, "tom", listed, "remove_evidence")
    assert "Nothing was changed." in text_of(stale)
    assert await appraisal_at(world, "100002") == after


async def test_the_reviewer_sees_the_list_but_cannot_remove(world: World):
    await tom_adds_a_pdf(world)
    st_annes = await appraisal_at(world, "100002")
    listed = await send_verb(world, "rhona", "show_evidence", {"appraisal_id": st_annes.id})
    assert "E1" in text_of(listed) and "SDP summary" in text_of(listed)
    assert "remove_evidence" not in executes(listed)
    data = {"appraisal_id": st_annes.id, "version": st_annes.version, "evidence_ref": "E1"}
    refused = await send_verb(world, "rhona", "remove_evidence", data)
    assert "Only the headteacher" in text_of(refused)
    assert await appraisal_at(world, "100002") == st_annes


@pytest.mark.parametrize("who", ["colin", "grace", "hannah"])
async def test_the_evidence_list_is_refused_to_those_who_may_not_see_it(world: World, who):
    await tom_adds_a_pdf(world)
    st_annes = await appraisal_at(world, "100002")
    card = await send_verb(world, who, "show_evidence", {"appraisal_id": st_annes.id})
    assert "SDP summary" not in json.dumps(card)
    assert "could not be found" in text_of(card)
    assert (await audit_rows(world))[-1] == ("show_evidence", "refused", st_annes.id)


def test_a_long_evidence_list_stays_within_teams_card_size():
    from dataclasses import replace

    from appraisal.record import EvidenceItem
    from appraisal.roles import Role
    from tests.support.factories import new_appraisal

    items = tuple(
        EvidenceItem(f"E{n}", "T" * 200, EvidenceKind.OTHER, at(2026, 9, 1), "O1", "a" * 64, 10**6)
        for n in range(1, 101)
    )
    appraisal = replace(new_appraisal(), evidence=items, evidence_added=100)
    card = build_evidence_list_card(appraisal, frozenset({Role.HEADTEACHER}), TZ)
    assert len(json.dumps(card).encode()) < 28 * 1024
    assert f"Showing the {MAX_LISTED} most recent of 100 items." in text_of(card)
    assert "E100" in text_of(card) and "E1 " not in text_of(card)


# --- getting a copy ---------------------------------------------------------------------------


def upload_info(world: World, name: str) -> dict[str, Any]:
    return {
        "contentUrl": f"https://contoso.sharepoint.com/personal/rhona/Documents/{name}",
        "name": name,
        "uploadUrl": world.connector.upload_url("session-1"),
        "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C8C",
        "fileType": "pdf",
        "etag": "1",
    }


async def test_the_reviewer_gets_a_copy_through_a_file_consent_card(world: World):
    await tom_adds_a_pdf(world, title="SDP: summary / 2026")
    st_annes = await appraisal_at(world, "100002")
    listed = await send_verb(world, "rhona", "show_evidence", {"appraisal_id": st_annes.id})
    answer = await tap(world, "rhona", listed, "send_evidence")
    assert "I've sent you a card for E1" in text_of(answer)

    (consent,) = world.connector.attachments_of(FILE_CONSENT_TYPE)
    assert consent["name"] == "SDP- summary - 2026.pdf"  # the title made safe for OneDrive
    assert consent["content"]["sizeInBytes"] == len(PDF)
    context = {"appraisal_id": st_annes.id, "evidence_ref": "E1"}
    assert consent["content"]["acceptContext"] == context
    assert consent["content"]["declineContext"] == context
    assert world.connector.uploads == []

    info = upload_info(world, consent["name"])
    status, _ = await world.send(
        file_consent(world.members["rhona"], world.service_url, "accept", context, info)
    )
    assert status == 200
    (received,) = world.connector.uploads
    assert received.data == PDF
    assert received.content_range == f"bytes 0-{len(PDF) - 1}/{len(PDF)}"
    (card,) = world.connector.attachments_of(FILE_INFO_TYPE)
    assert card == {
        "contentType": FILE_INFO_TYPE,
        "contentUrl": info["contentUrl"],
        "name": info["name"],
        "content": {"uniqueId": info["uniqueId"], "fileType": "pdf"},
    }
    assert ("send_evidence", "done", st_annes.id) in await audit_rows(world)


async def test_declining_the_copy_is_acknowledged_and_nothing_is_uploaded(world: World):
    await tom_adds_a_pdf(world)
    st_annes = await appraisal_at(world, "100002")
    context = {"appraisal_id": st_annes.id, "evidence_ref": "E1"}
    status, _ = await world.send(
        file_consent(world.members["tom"], world.service_url, "decline", context)
    )
    assert status == 200
    assert world.connector.texts()[-1] == "All right, I haven't saved a copy of evidence E1."
    assert world.connector.uploads == []


async def test_a_failed_upload_is_reported(world: World):
    await tom_adds_a_pdf(world)
    st_annes = await appraisal_at(world, "100002")
    world.connector.upload_status = 500
    context = {"appraisal_id": st_annes.id, "evidence_ref": "E1"}
    status, _ = await world.send(
        file_consent(
            world.members["tom"], world.service_url, "accept", context, upload_info(world, "x.pdf")
        )
    )
    assert status == 200
    assert "The copy was not saved" in text_of(world.connector.cards()[-1])
    assert world.connector.attachments_of(FILE_INFO_TYPE) == []


@pytest.mark.parametrize("who", ["colin", "grace"])
async def test_a_copy_is_refused_to_those_without_full_visibility(world: World, who):
    await tom_adds_a_pdf(world)
    st_annes = await appraisal_at(world, "100002")
    context = {"appraisal_id": st_annes.id, "evidence_ref": "E1"}
    card = await send_verb(world, who, "send_evidence", context)
    assert "could not be found" in text_of(card)
    assert world.connector.attachments_of(FILE_CONSENT_TYPE) == []
    assert (await audit_rows(world))[-1] == ("send_evidence", "refused", st_annes.id)

    # A forged consent answer uploads nothing either.
    status, _ = await world.send(
        file_consent(
            world.members[who], world.service_url, "accept", context, upload_info(world, "x.pdf")
        )
    )
    assert status == 200
    assert world.connector.uploads == []
    assert world.connector.attachments_of(FILE_INFO_TYPE) == []
    assert (await audit_rows(world))[-1] == ("send_evidence", "refused", st_annes.id)
