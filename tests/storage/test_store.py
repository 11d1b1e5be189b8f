"""The store: round trips, optimistic concurrency, audit in the same transaction, evidence bytes."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from appraisal.commands import (
    Approve,
    ConfirmAvailability,
    ConfirmDate,
    ProposeDate,
    RecordMeeting,
    SubmitDraft,
)
from appraisal.errors import ActionNotAllowed, ConcurrencyConflict, InvalidInput, NotFound
from appraisal.evidence import EvidenceService
from appraisal.model import Appraisal
from appraisal.ports import Schedule
from appraisal.record import EvidenceKind, Focus, Objective
from appraisal.roster import parse_roster
from appraisal.services import AppraisalService, RosterService
from appraisal.stages import Stage
from storage.appraisals import SqlAppraisals, SqlAuditLog
from storage.codec import from_json, to_json
from storage.tables import AuditRow, EvidenceBlobRow, PersonRow, RoleRow, SchoolRow
from tests.support.database import context_for
from tests.support.factories import at, meeting_record, new_appraisal, walk
from tests.support.trust import ROSTER, Trust, seed_trust


def test_codec_round_trips_a_completed_appraisal():
    done = walk(new_appraisal())
    assert done.stage is Stage.COMPLETE
    assert from_json(type(done), to_json(done)) == done


def test_codec_reads_older_and_newer_records():
    stored = to_json(Objective("O1", "Read more.", "Every week.", Focus.WELLBEING))
    # A key this version does not know is ignored; enums come from values or members.
    assert from_json(Objective, {**stored, "added_later": 1}) == Objective(
        "O1", "Read more.", "Every week.", Focus.WELLBEING
    )
    assert from_json(Objective, {**stored, "focus": Focus.WELLBEING}).focus is Focus.WELLBEING
    # A key written before a field existed takes the field's default...
    older = to_json(new_appraisal())
    del older["pre_reading_sent_at"], older["evidence"]
    read = from_json(Appraisal, older)
    assert read.pre_reading_sent_at is None and read.evidence == ()
    # ...and one with no default is refused, naming it, as is a value no enum holds.
    del stored["ref"]
    with pytest.raises(TypeError, match="'ref'"):
        from_json(Objective, stored)
    with pytest.raises(ValueError, match="sideways"):
        from_json(Objective, {**stored, "ref": "O1", "focus": "sideways"})


async def _count(db, table) -> int:
    async with db.uow() as tx:
        return await tx.session.scalar(select(func.count()).select_from(table))


async def test_a_walked_appraisal_reads_back_exactly_as_written(db):
    trust = await seed_trust(context_for(db))
    async with db.uow() as tx:
        stored = await tx.appraisals.get(trust.brookside)
        assert stored is not None
        walked = walk(
            replace(
                new_appraisal(),
                id=stored.id,
                headteacher_id=stored.headteacher_id,
                reviewer_id=stored.reviewer_id,
                governor_ids=stored.governor_ids,
                adviser_id=stored.adviser_id,
                version=stored.version,
            )
        )
        await tx.appraisals.update(walked, stored.version, Schedule(None, None))
        await tx.commit()
    async with db.uow() as tx:
        assert await tx.appraisals.get(trust.brookside) == walked


async def test_reimporting_the_same_roster_changes_nothing(db):
    ctx = context_for(db)
    service = RosterService(ctx)
    first = await service.import_entries(parse_roster(ROSTER), at(2026, 9, 1))
    assert first.changed
    assert (first.people_added, first.schools_added, first.roles_added) == (8, 2, 8)
    counts = [await _count(db, t) for t in (PersonRow, RoleRow, SchoolRow, AuditRow)]
    again = await service.import_entries(parse_roster(ROSTER), at(2026, 9, 2))
    assert not again.changed
    assert [await _count(db, t) for t in (PersonRow, RoleRow, SchoolRow, AuditRow)] == counts


async def test_an_import_without_a_role_removes_it_and_keeps_a_learned_object_id(db):
    ctx = context_for(db)
    service = RosterService(ctx)
    await service.import_entries(parse_roster(ROSTER), at(2026, 9, 1))
    async with db.uow() as tx:
        alan_row = select(PersonRow).where(PersonRow.email == "alan@trust.example")
        person = await tx.session.scalar(alan_row)
        person.aad_object_id = "11111111-2222-4333-8444-555555555555"
        await tx.commit()
    without_adviser = "\n".join(line for line in ROSTER.splitlines() if "adviser" not in line)
    changes = await service.import_entries(parse_roster(without_adviser), at(2026, 9, 2))
    assert (changes.roles_removed, changes.roles_added, changes.people_updated) == (1, 0, 0)
    with_blank_id = await service.import_entries(parse_roster(ROSTER), at(2026, 9, 3))
    assert with_blank_id.roles_added == 1
    async with db.uow() as tx:
        alan = await tx.people.by_email("alan@trust.example")
    assert alan is not None and alan.aad_object_id == "11111111-2222-4333-8444-555555555555"


async def _to_draft(trust: Trust):
    p, a, act = trust.people, trust.brookside, trust.appraisals.act
    await act(p["rhona"], a, ProposeDate(at(2026, 10, 14, 10)), at(2026, 9, 2))
    await act(p["hannah"], a, ConfirmDate(), at(2026, 9, 3))
    await act(p["gareth"], a, ConfirmAvailability(), at(2026, 9, 7))
    await act(p["rhona"], a, RecordMeeting(meeting_record(previous=())), at(2026, 10, 14, 16))
    await act(p["rhona"], a, SubmitDraft(), at(2026, 10, 19))
    return await trust.appraisals.current(a)


async def test_two_people_approving_at_once_make_one_transition(db):
    trust = await seed_trust(context_for(db))
    draft = await _to_draft(trust)
    assert draft is not None and draft.stage is Stage.DRAFT_WITH_HEADTEACHER
    audit_before = await _count(db, AuditRow)

    # Both sessions read the draft before either writes: the second write must lose.
    barrier = asyncio.Barrier(2)
    original_get = SqlAppraisals.get
    reads = []

    async def get_then_wait(self, appraisal_id):
        found = await original_get(self, appraisal_id)
        reads.append(appraisal_id)
        if len(reads) <= 2:  # only the two racing actions wait for each other
            await asyncio.wait_for(barrier.wait(), timeout=10)
        return found

    service = AppraisalService(trust.ctx)
    hannah = trust.people["hannah"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(SqlAppraisals, "get", get_then_wait)
        results = await asyncio.gather(
            service.act(hannah, draft.id, Approve(), at(2026, 10, 21)),
            service.act(hannah, draft.id, Approve(), at(2026, 10, 21)),
            return_exceptions=True,
        )
    successes = [r for r in results if not isinstance(r, Exception)]
    conflicts = [r for r in results if isinstance(r, ConcurrencyConflict)]
    assert len(successes) == 1 and len(conflicts) == 1, results
    assert conflicts[0].current.stage is Stage.APPROVED
    assert "changed while you were working" in conflicts[0].message
    assert "Draft approved" in conflicts[0].message
    async with db.uow() as tx:
        events = await tx.audit.for_appraisal(draft.id)
    approvals = [e for e in events if e.action == "approve" and e.outcome == "done"]
    assert len(approvals) == 1
    # The losing attempt is on record as a conflict, and changed nothing.
    assert [e.outcome for e in events if e.action == "approve"] == ["done", "conflict"]
    assert await _count(db, AuditRow) == audit_before + 2


async def test_acting_on_a_stale_version_is_a_conflict_and_changes_nothing(db):
    trust = await seed_trust(context_for(db))
    a, rhona = trust.brookside, trust.people["rhona"]
    before = await trust.appraisals.current(a)
    assert before is not None
    with pytest.raises(ConcurrencyConflict) as raised:
        await trust.appraisals.act(
            rhona, a, ProposeDate(at(2026, 10, 14, 10)), at(2026, 9, 2), before.version - 1
        )
    assert raised.value.current == before
    assert await trust.appraisals.current(a) == before
    async with db.uow() as tx:
        last = (await tx.audit.for_appraisal(a))[-1]
    assert (last.action, last.outcome) == ("propose_date", "conflict")


async def test_a_failure_writing_the_audit_event_leaves_no_half_written_change(db):
    trust = await seed_trust(context_for(db))
    a, rhona = trust.brookside, trust.people["rhona"]
    before = await trust.appraisals.current(a)

    async def broken(self, event):
        raise RuntimeError("audit unavailable")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(SqlAuditLog, "append", broken)
        with pytest.raises(RuntimeError):
            await trust.appraisals.act(rhona, a, ProposeDate(at(2026, 10, 14, 10)), at(2026, 9, 2))
    assert await trust.appraisals.current(a) == before


async def test_refusals_change_nothing_and_are_audited(db):
    trust = await seed_trust(context_for(db))
    a = trust.brookside
    before = await trust.appraisals.current(a)
    with pytest.raises(ActionNotAllowed):
        await trust.appraisals.act(trust.people["hannah"], a, SubmitDraft(), at(2026, 9, 2))
    with pytest.raises(NotFound):  # Priya heads another school: she may not know it exists
        await trust.appraisals.act(trust.people["priya"], a, Approve(), at(2026, 9, 2))
    assert await trust.appraisals.current(a) == before
    async with db.uow() as tx:
        refused = [e for e in await tx.audit.for_appraisal(a) if e.outcome == "refused"]
    assert [(e.action, e.actor_id) for e in refused] == [
        ("submit_draft", trust.people["hannah"]),
        ("approve", trust.people["priya"]),
    ]


async def test_evidence_is_stored_once_by_content_and_only_served_to_those_who_may_see_it(db):
    trust = await seed_trust(context_for(db))
    evidence = EvidenceService(trust.ctx, trust.appraisals)
    a, hannah = trust.brookside, trust.people["hannah"]
    data = b"%PDF-1.7 writing moderation outcomes"
    first = await evidence.attach(
        hannah,
        a,
        data,
        "application/pdf",
        "Moderation",
        EvidenceKind.PUPIL_OUTCOME_DATA,
        None,
        at(2026, 9, 3),
    )
    second = await evidence.attach(
        hannah,
        a,
        data,
        "application/pdf",
        "Moderation (copy)",
        EvidenceKind.OTHER,
        None,
        at(2026, 9, 4),
    )
    assert [e.ref for e in second.evidence] == ["E1", "E2"]
    assert first.evidence[0].sha256 == hashlib.sha256(data).hexdigest()
    assert await _count(db, EvidenceBlobRow) == 1
    for reader in ("hannah", "rhona", "gareth", "alan", "dana"):
        item, got = await evidence.fetch(trust.people[reader], a, "E1")
        assert got == data and item.title == "Moderation"
    for outsider in ("colin", "priya", "grace"):  # admin: status only; others: nothing
        with pytest.raises(NotFound):
            await evidence.fetch(trust.people[outsider], a, "E1")


async def test_oversized_or_refused_evidence_stores_nothing(db):
    ctx = replace(context_for(db), evidence_max_bytes=1024)
    trust = await seed_trust(ctx)
    evidence = EvidenceService(ctx, trust.appraisals)
    a = trust.brookside
    with pytest.raises(InvalidInput) as too_big:
        await evidence.attach(
            trust.people["hannah"],
            a,
            b"x" * 1025,
            "application/pdf",
            "Big",
            EvidenceKind.OTHER,
            None,
            at(2026, 9, 3),
        )
    assert "limit" in too_big.value.problems["file"]
    # The governor may not add evidence: the blob written first must be rolled back too.
    with pytest.raises(ActionNotAllowed):
        await evidence.attach(
            trust.people["gareth"],
            a,
            b"small",
            "text/plain",
            "Note",
            EvidenceKind.OTHER,
            None,
            at(2026, 9, 3),
        )
    assert await _count(db, EvidenceBlobRow) == 0
    async with db.uow() as tx:
        refused = [e for e in await tx.audit.for_appraisal(a) if e.outcome == "refused"]
    assert [(e.action, e.actor_id) for e in refused] == [("add_evidence", trust.people["gareth"])]
    current = await trust.appraisals.current(a)
    assert current is not None and current.evidence == ()


async def test_due_query_returns_what_is_due_or_overdue_at_a_time(db):
    trust = await seed_trust(context_for(db))
    # Both appraisals owe a proposed date by Mon 19 Oct 2026.
    assert await trust.status.due_at(at(2026, 10, 16)) == []
    due = await trust.status.due_at(at(2026, 10, 19))
    assert {(i.appraisal.id, i.obligation.action.value, i.overdue) for i in due} == {
        (trust.brookside, "propose_date", False),
        (trust.hillcrest, "propose_date", False),
    }
    soon = await trust.status.due_at(at(2026, 10, 16), within_days=3)
    assert len(soon) == 2
    late = await trust.status.due_at(at(2026, 10, 20))
    assert all(i.overdue for i in late) and len(late) == 2
    await trust.appraisals.act(
        trust.people["rhona"], trust.brookside, ProposeDate(at(2026, 10, 28, 10)), at(2026, 10, 20)
    )
    late = await trust.status.due_at(at(2026, 10, 20))
    assert [i.appraisal.id for i in late] == [trust.hillcrest]


async def test_two_simultaneous_first_contacts_store_one_conversation_reference(db):
    trust = await seed_trust(context_for(db))

    async def save(conversation: str) -> None:
        async with db.uow() as tx:
            await tx.conversations.save(
                "AAAAAAAA-0000-4000-8000-000000000001",
                "tenant",
                trust.people["hannah"],
                {"conversation": {"id": conversation}},
                at(2026, 9, 1),
            )
            await tx.commit()

    await asyncio.gather(save("a:first"), save("a:second"))
    await save("a:third")
    async with db.uow() as tx:
        stored = await tx.conversations.get("aaaaaaaa-0000-4000-8000-000000000001")
        assert await tx.conversations.for_person(trust.people["hannah"]) == stored
    assert stored == {"conversation": {"id": "a:third"}}


async def test_a_roster_entry_neither_store_could_keep_alike_is_refused_on_both(db):
    from appraisal.roster import RosterRejected

    entries = parse_roster(ROSTER)
    entries[0] = replace(entries[0], name="Dana\x00 Whitfield")
    with pytest.raises(RosterRejected, match="nothing was changed"):
        await RosterService(context_for(db)).import_entries(entries, at(2026, 9, 1))
    assert await _count(db, PersonRow) == 0
