"""Agreeing the meeting date: propose, confirm or counter-propose, accept, governor attends."""

from __future__ import annotations

from datetime import timedelta

from microsoft_teams.cards import CardElement

from appraisal.roles import Role
from appraisal.stages import Action, Stage
from appraisal.text import when
from cards.common import text
from cards.pages.base import CardBuild, Page, date_input, fold, subtle, time_input

DATE_INPUTS = ("meeting_date", "meeting_time")


def _when(c: CardBuild) -> str:
    meeting = c.appraisal.meeting_at
    return when(meeting, c.view.tz) if meeting else ""


def date_inputs(c: CardBuild, *, prefill: bool) -> list[CardElement]:
    """The meeting date and time pickers (ids meeting_date, meeting_time)."""
    meeting = c.appraisal.meeting_at
    local = meeting.astimezone(c.view.tz) if meeting and prefill else None
    return [
        *date_input(
            c,
            "meeting_date",
            "Date of the meeting",
            default=local.date().isoformat() if local else "",
            error="Choose the date of the meeting.",
            earliest=c.today() + timedelta(days=1),
        ),
        *time_input(
            c,
            "meeting_time",
            "Start time",
            default=f"{local:%H:%M}" if local else "",
            error="Choose the start time.",
        ),
    ]


def propose_date(c: CardBuild) -> Page:
    """Reviewer proposes the date, or rearranges it later."""
    a, view = c.appraisal, c.view
    rearranging = a.stage in (Stage.DATE_PROPOSED, Stage.AWAITING_GOVERNOR, Stage.PREPARATION)
    title = "Rearrange the meeting" if rearranging else "Propose the meeting date"
    if a.stage is Stage.DATE_COUNTER_PROPOSED:
        title = "Propose a new meeting date"
    body: list[CardElement] = [
        text(
            "Choose a working day and time for the review meeting with the headteacher, then "
            "the appointed governor. The review must take place by 31 December, and the "
            "trust's target date comes first."
        ),
    ]
    context = [text(f"Currently: {_when(c)}.")] if a.meeting_at else []
    if rearranging:
        body.append(
            subtle(
                f"{view.name(a.headteacher_id) or 'The headteacher'} and the governor will be "
                "asked to confirm the new date."
            )
        )
    body += date_inputs(c, prefill=True)
    actions = [c.button("Propose this date", Action.PROPOSE_DATE.value, style="positive")]
    if rearranging:
        actions.append(c.link("Cancel", "refresh"))
    return Page(
        title=title,
        summary=f"{a.school_name}: {title.lower()}",
        body=body,
        actions=actions,
        context=context,
        owed=(Action.PROPOSE_DATE,),
    )


def confirm_date(c: CardBuild) -> Page:
    """Headteacher confirms the proposed date, or proposes another."""
    a, view = c.appraisal, c.view
    reviewer = view.name(a.reviewer_id) or "The reviewer"
    other, other_actions = fold(
        c,
        "Propose another date",
        [
            text("Suggest a date and time that works for you; the reviewer will answer."),
            *date_inputs(c, prefill=False),
        ],
        [c.button("Propose this date", Action.PROPOSE_OTHER_DATE.value)],
        DATE_INPUTS,
    )
    body = [
        text(
            "Once you confirm, the appointed governor is asked to confirm they can attend.",
        ),
        *other,
    ]
    return Page(
        title="Confirm the meeting date",
        summary=f"{a.school_name}: confirm the meeting date",
        body=body,
        actions=[
            c.button("Confirm this date", Action.CONFIRM_DATE.value, style="positive"),
            *other_actions,
        ],
        context=[text(f"{reviewer} proposed: {_when(c)}.", weight="Bolder")],
        owed=(Action.CONFIRM_DATE,),
        lead="Please respond",
    )


def accept_date(c: CardBuild) -> Page:
    """Reviewer accepts the headteacher's date, or proposes a new one."""
    a, view = c.appraisal, c.view
    head = view.name(a.headteacher_id) or "The headteacher"
    other, other_actions = fold(
        c,
        "Propose a new date",
        [text("Suggest another date and time."), *date_inputs(c, prefill=False)],
        [c.button("Propose this date", Action.PROPOSE_DATE.value)],
        DATE_INPUTS,
    )
    return Page(
        title="The headteacher proposed another date",
        summary=f"{a.school_name}: accept the headteacher's date",
        body=[
            text("Once you accept, the appointed governor is asked to confirm they can attend."),
            *other,
        ],
        actions=[
            c.button("Accept this date", Action.ACCEPT_DATE.value, style="positive"),
            *other_actions,
        ],
        context=[text(f"{head} proposed: {_when(c)}.", weight="Bolder")],
        owed=(Action.ACCEPT_DATE,),
        lead="Please respond",
    )


def confirm_availability(c: CardBuild) -> Page:
    """Governor confirms they can attend, or says they cannot."""
    a, view = c.appraisal, c.view
    with_whom = ", ".join(
        f"{view.name(pid)} ({role.label})"
        for role, pid in ((Role.HEADTEACHER, a.headteacher_id), (Role.REVIEWER, a.reviewer_id))
        if view.name(pid)
    )
    decline, decline_actions = fold(
        c,
        "I can't attend",
        [text("The reviewer will be asked to propose another date.")],
        [
            c.button(
                "Confirm I can't attend", Action.DECLINE_AVAILABILITY.value, style="destructive"
            )
        ],
        (),
    )
    return Page(
        title="Can you attend the review meeting?",
        summary=f"{a.school_name}: confirm you can attend the review meeting",
        body=[
            text(
                "As the appointed governor you join the review meeting, after the reviewer's "
                "one-to-one with the headteacher."
            ),
            *decline,
        ],
        actions=[
            c.button("Yes, I can attend", Action.CONFIRM_AVAILABILITY.value, style="positive"),
            *decline_actions,
        ],
        context=[
            text(f"Meeting: {_when(c)}.", weight="Bolder"),
            *([subtle(f"With {with_whom}.")] if with_whom else []),
        ],
        owed=(Action.CONFIRM_AVAILABILITY,),
        lead="Please respond",
    )
