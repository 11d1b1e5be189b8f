"""Closing the cycle: the governor's acknowledgement, then the mid-year review."""

from __future__ import annotations

from microsoft_teams.cards import CardElement, Container

from appraisal.record import Progress
from appraisal.stages import Action
from cards.common import text
from cards.fields import LIMITS
from cards.pages.base import CardBuild, Page, choice_input, date_input, field_line, text_input
from cards.pages.record import MONTHS, meeting_record, objective_heading, read_in_full

PROGRESS = [(p.value, p.label) for p in Progress]


def acknowledge(c: CardBuild) -> Page:
    """Governor acknowledges the completed cycle and names the board meeting that will minute it."""
    a, view = c.appraisal, c.view
    head = view.name(a.headteacher_id) or "The headteacher"
    record = meeting_record(c)
    shared = c.day(a.shared_at)
    body = [
        Container(
            items=[
                text(
                    "Tell the local governing board that this year's review is complete, at its "
                    "next full meeting, and have it minuted. Objectives are not reported to the "
                    "board: only that the cycle is complete.",
                    weight="Bolder",
                )
            ],
            style="emphasis",
        ),
        *date_input(
            c,
            "board_meeting_on",
            "Date of the board meeting",
            error="Choose the date of the board meeting.",
            earliest=a.shared_at.astimezone(view.tz).date() if a.shared_at else c.today(),
        ),
        *record,
        *read_in_full(c),
    ]
    return Page(
        title="Acknowledge the completed cycle",
        summary=f"{a.school_name}: acknowledge the completed cycle",
        body=body,
        actions=[c.button("Acknowledge", Action.ACKNOWLEDGE.value, style="positive")],
        context=[text(f"{head} shared the completed record on {shared}.")] if shared else [],
        owed=(Action.ACKNOWLEDGE,),
    )


def record_mid_year(c: CardBuild) -> Page:
    """Reviewer (or the governor, when named) records progress on each objective."""
    a, view = c.appraisal, c.view
    record = a.meeting_record
    body: list[CardElement] = []
    if record is None:
        body.append(text("The meeting has not been recorded, so there is nothing to review."))
        objectives = ()
    else:
        holder = view.holders(record.mid_year_holder, f"the {record.mid_year_holder.label}")
        body.append(
            text(
                f"The meeting agreed that {holder} holds the mid-year review in "
                f"{MONTHS.get(record.mid_year_month, 'February or March')}."
            )
        )
        objectives = record.objectives
    body += date_input(
        c,
        "held_on",
        "Date the review was held",
        error="Choose the date the review was held.",
        earliest=a.meeting_at.astimezone(view.tz).date() if a.meeting_at else None,
        latest=c.today(),
    )
    for o in objectives:
        body.append(
            Container(
                items=[
                    objective_heading(c, o),
                    field_line(c, "Success criteria", o.success_criteria),
                    *choice_input(
                        c,
                        f"progress_{o.ref}",
                        f"Progress on {o.ref}",
                        PROGRESS,
                        required=True,
                        error=f"Choose the progress on {o.ref}.",
                    ),
                    *text_input(
                        c,
                        f"note_{o.ref}",
                        f"Note on {o.ref} (optional)",
                        limit=LIMITS["progress_note"],
                        placeholder="What has happened so far",
                    ),
                ],
                separator=True,
                spacing="Medium",
            )
        )
    body += text_input(
        c,
        "note",
        "Overall note (optional)",
        limit=LIMITS["note"],
        placeholder="Anything else agreed at the review",
    )
    return Page(
        title="Record the mid-year review",
        summary=f"{a.school_name}: record the mid-year review",
        body=body,
        actions=[
            c.button("Record the mid-year review", Action.RECORD_MID_YEAR.value, style="positive")
        ],
        owed=(Action.RECORD_MID_YEAR,),
    )
