"""Cards that show rather than ask: the status summary, the full record, its parts, the evidence."""

from __future__ import annotations

from microsoft_teams.cards import CardElement

from appraisal.roles import Role
from appraisal.stages import Stage
from appraisal.text import long_date, when
from appraisal.workflow import BEFORE_MEETING
from cards.common import run, runs
from cards.pages.base import CardBuild, Page, subtle
from cards.pages.record import (
    RECORD_PARTS,
    change_requests,
    meeting_record,
    mid_year,
    not_shown_yet,
    part,
    previous_and_self,
    read_in_full,
)

#: Stages at which the reviewer may still rearrange the meeting.
REARRANGEABLE = (Stage.DATE_PROPOSED, Stage.AWAITING_GOVERNOR, Stage.PREPARATION)


def _line(label: str, value: str) -> CardElement:
    return runs(run(f"{label}: ", weight="Bolder"), run(value), spacing="Small")


def status_lines(c: CardBuild) -> list[CardElement]:
    """Stage, meeting and the dates each step was done: never objective or evidence text."""
    a, tz = c.appraisal, c.view.tz
    lines = [_line("Stage", a.stage.label)]
    if a.meeting_at:
        lines.append(_line("Meeting", when(a.meeting_at, tz)))
    done = (
        ("Pre-reading sent", a.pre_reading_sent_at),
        ("Meeting recorded", a.meeting_recorded_at),
        ("Draft submitted", a.draft_submitted_at),
        ("Draft approved", a.approved_at),
        ("Final record issued", a.final_issued_at),
        ("Shared with the governor", a.shared_at),
        ("Sent to the DCEO", a.sent_to_dceo_at),
        ("Acknowledged by the governor", a.acknowledged_at),
        ("Completed", a.completed_at),
    )
    lines += [_line(label, c.day(moment)) for label, moment in done if moment]
    if a.board_meeting_on:
        lines.append(_line("Board meeting", long_date(a.board_meeting_on)))
    return lines


def summary(c: CardBuild) -> Page:
    """Status only, for administrators and anyone who may see no more."""
    a = c.appraisal
    return Page(
        title="Appraisal status",
        summary=f"{a.school_name}: {a.stage.label}",
        context=status_lines(c),
        body=[
            subtle(
                "Objectives, evaluations and evidence are confidential to the headteacher, the "
                "reviewer, the DCEO and the appointed governor.",
                spacing="Medium",
            ),
        ],
        actions=[c.link("All my appraisals", "show_status")],
        all_owed=True,
        evidence=False,
    )


def record(c: CardBuild) -> Page:
    """The full record as it stands, for someone who owes nothing on it now."""
    a, view = c.appraisal, c.view
    body: list[CardElement] = []
    if a.stage in BEFORE_MEETING or a.meeting_record is None:
        # Also after the meeting for someone the draft is not shown to (the governors).
        body += previous_and_self(c)
        if a.stage not in BEFORE_MEETING:
            body += not_shown_yet(c)
    else:
        body += [
            *change_requests(c),
            *meeting_record(c, with_self=True),
            *mid_year(c),
            *read_in_full(c),
        ]
    actions = []
    if Role.REVIEWER in view.viewer_roles and a.stage in REARRANGEABLE:
        actions.append(c.nav("Rearrange the meeting", "propose_date"))
    actions.append(c.link("All my appraisals", "show_status"))
    return Page(
        title="Appraisal record",
        summary=f"{a.school_name}: {a.stage.label}",
        body=body,
        actions=actions,
        context=status_lines(c),
        all_owed=True,
    )


def record_part(c: CardBuild) -> Page:
    """One part of the meeting record in full."""
    a = c.appraisal
    title = RECORD_PARTS.get(c.step, "The record")
    return Page(
        title=title,
        summary=f"{a.school_name}: {title.lower()}",
        body=part(c, c.step),
        actions=[c.link("Back", "refresh")],
        evidence=False,
    )
