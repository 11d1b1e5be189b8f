"""The whole cycle driven through the use-case services, on SQLite and PostgreSQL, on real dates."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from appraisal.commands import (
    AcceptDate,
    Acknowledge,
    AddEvidence,
    Approve,
    ConfirmAvailability,
    ConfirmDate,
    IssueFinal,
    ProposeDate,
    ProposeOtherDate,
    RecordMeeting,
    RecordMidYear,
    RequestChanges,
    SelfEvaluate,
    SendPreReading,
    ShareWithGovernor,
    SubmitDraft,
)
from appraisal.cycle import CycleService
from appraisal.record import (
    EvidenceKind,
    MidYearReview,
    ObjectiveProgress,
    Progress,
    Rating,
    SelfEvaluation,
)
from appraisal.stages import Stage
from storage.tables import AppraisalRow
from tests.support.database import context_for
from tests.support.factories import at, meeting_record
from tests.support.trust import seed_trust


async def _due(db, appraisal_id: int) -> date | None:
    async with db.uow() as tx:
        return await tx.session.scalar(
            select(AppraisalRow.next_due_on).where(AppraisalRow.id == appraisal_id)
        )


async def _audit(db, appraisal_id: int):
    async with db.uow() as tx:
        return await tx.audit.for_appraisal(appraisal_id)


async def test_first_cycle_from_date_to_completion_with_working_day_deadlines(db):
    trust = await seed_trust(context_for(db))
    p, a, act = trust.people, trust.brookside, trust.appraisals.act
    # Opened Tue 1 Sep 2026; the date is due 10 working days before Sat 31 Oct, counting back
    # from Fri 30 Oct as the first: Mon 19 Oct.
    assert await _due(db, a) == date(2026, 10, 19)

    # The reviewer proposes Tue 13 Oct; the headteacher proposes Wed 14 Oct instead.
    await act(p["rhona"], a, ProposeDate(at(2026, 10, 13, 10)), at(2026, 9, 2, 10))
    assert await _due(db, a) == date(2026, 9, 9)  # 5 working days after Wed 2 Sep
    await act(p["hannah"], a, ProposeOtherDate(at(2026, 10, 14, 10)), at(2026, 9, 3, 12))
    await act(p["rhona"], a, AcceptDate(), at(2026, 9, 4, 8))
    assert await _due(db, a) == date(2026, 9, 11)  # governor: 5 working days after Fri 4 Sep
    await act(p["gareth"], a, ConfirmAvailability(), at(2026, 9, 7))

    # Preparing: pre-reading due Wed 7 Oct (5 working days before the meeting). This is the
    # headteacher's first cycle, so no self-evaluation is owed.
    assert await _due(db, a) == date(2026, 10, 7)
    await act(
        p["hannah"],
        a,
        AddEvidence("SDP summary", EvidenceKind.SCHOOL_DEVELOPMENT_PLAN),
        at(2026, 9, 30),
    )
    await act(p["rhona"], a, SendPreReading(), at(2026, 10, 7, 8))
    # Next: the meeting record, due with the draft 5 working days after Wed 14 Oct: Wed 21 Oct.
    assert await _due(db, a) == date(2026, 10, 21)

    record = meeting_record(previous=())
    await act(p["rhona"], a, RecordMeeting(record), at(2026, 10, 14, 16))
    await act(p["rhona"], a, SubmitDraft(), at(2026, 10, 19, 17))
    assert await _due(db, a) == date(2026, 10, 26)  # approval: 5 working days after Mon 19 Oct

    # The headteacher asks for a change; the reviewer amends and resubmits.
    await act(p["hannah"], a, RequestChanges("Reword objective 2, please."), at(2026, 10, 20))
    assert await _due(db, a) == date(2026, 10, 27)
    await act(p["rhona"], a, RecordMeeting(record), at(2026, 10, 21))
    await act(p["rhona"], a, SubmitDraft(), at(2026, 10, 21, 12))
    await act(p["hannah"], a, Approve(), at(2026, 10, 22))
    assert await _due(db, a) == date(2026, 10, 29)  # final: 5 working days after Thu 22 Oct
    await act(p["rhona"], a, IssueFinal(), at(2026, 10, 26))
    await act(p["hannah"], a, ShareWithGovernor(), at(2026, 10, 27))
    assert await _due(db, a) == date(2026, 11, 3)  # acknowledgement: 5 after Tue 27 Oct
    await act(p["gareth"], a, Acknowledge(date(2026, 11, 26)), at(2026, 11, 2))
    assert await _due(db, a) == date(2027, 3, 31)  # the mid-year review closes 31 March
    done = await act(
        p["rhona"],
        a,
        RecordMidYear(
            MidYearReview(
                date(2027, 2, 9),
                tuple(ObjectiveProgress(f"O{n}", Progress.ON_TRACK) for n in (1, 2, 3)),
            )
        ),
        at(2027, 2, 9, 15),
    )

    assert done.stage is Stage.COMPLETE
    assert await _due(db, a) is None
    # An REL led, so sharing also sent the record to the DCEO.
    assert done.sent_to_dceo_at == at(2026, 10, 27)
    assert done.board_meeting_on == date(2026, 11, 26)
    events = [e for e in await _audit(db, a) if e.outcome == "done"]
    assert [e.action for e in events] == [
        "open_cycle",
        "propose_date",
        "propose_other_date",
        "accept_date",
        "confirm_availability",
        "add_evidence",
        "send_pre_reading",
        "record_meeting",
        "submit_draft",
        "request_changes",
        "record_meeting",
        "submit_draft",
        "approve",
        "issue_final",
        "share_with_governor",
        "acknowledge",
        "record_mid_year",
    ]
    assert [e.to_stage for e in events][-1] is Stage.COMPLETE
    assert all(e.from_stage is not None for e in events[1:])


async def test_draft_due_across_christmas_lands_after_the_bank_holidays(db):
    trust = await seed_trust(context_for(db))
    p, a, act = trust.people, trust.hillcrest, trust.appraisals.act
    dana, priya, grace = p["dana"], p["priya"], p["grace"]
    # No reviewer is named for Hillcrest, so the DCEO reviews it. Meeting Mon 21 Dec 2026.
    await act(dana, a, ProposeDate(at(2026, 12, 21, 10)), at(2026, 12, 1))
    await act(priya, a, ConfirmDate(), at(2026, 12, 1, 12))
    await act(grace, a, ConfirmAvailability(), at(2026, 12, 2))
    await act(dana, a, RecordMeeting(meeting_record(previous=())), at(2026, 12, 21, 15))
    # Tue 22, Wed 23, Thu 24, then Fri 25 (Christmas) and Mon 28 (Boxing Day substitute) are
    # bank holidays, so the fifth working day is Wed 30 Dec.
    assert await _due(db, a) == date(2026, 12, 30)
    await act(dana, a, SubmitDraft(), at(2026, 12, 24, 11))
    # Approval: Thu 24 Dec + 5 working days = Tue 29, Wed 30, Thu 31 Dec, (Fri 1 Jan holiday),
    # Mon 4, Tue 5 Jan 2027.
    assert await _due(db, a) == date(2027, 1, 5)
    appraisal = await act(priya, a, Approve(), at(2027, 1, 4))
    assert appraisal.stage is Stage.APPROVED
    assert not appraisal.led_by_rel


async def test_next_cycle_carries_last_years_objectives_forward(db):
    ctx = context_for(db)
    trust = await seed_trust(ctx, year=2025)
    p, a, act = trust.people, trust.brookside, trust.appraisals.act
    await act(p["rhona"], a, ProposeDate(at(2025, 10, 15, 10)), at(2025, 9, 2))
    await act(p["hannah"], a, ConfirmDate(), at(2025, 9, 3))
    await act(p["gareth"], a, ConfirmAvailability(), at(2025, 9, 4))
    last_year = await act(
        p["rhona"], a, RecordMeeting(meeting_record(previous=())), at(2025, 10, 15, 16)
    )

    report = await CycleService(ctx).start(2026, at(2026, 9, 1))
    assert len(report.opened) == 2
    async with db.uow() as tx:
        this_year = next(x for x in await tx.appraisals.list(2026) if x.school_urn == "100001")
        hillcrest = next(x for x in await tx.appraisals.list(2026) if x.school_urn == "100002")
    assert last_year.meeting_record is not None
    assert this_year.previous_objectives == last_year.meeting_record.objectives
    assert hillcrest.previous_objectives == ()  # nothing was recorded there last year

    # The headteacher now self-evaluates the carried objectives, and is owed to do so.
    await act(
        p["hannah"],
        this_year.id,
        SelfEvaluate((SelfEvaluation("O1", Rating.NOT_MET, "The data came late."),)),
        at(2026, 9, 10),
    )
    async with db.uow() as tx:
        stored = await tx.appraisals.get(this_year.id)
    assert stored is not None
    assert [e.objective_ref for e in stored.self_evaluations] == ["O1"]
