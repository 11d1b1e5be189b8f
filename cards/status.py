"""The status card: the appraisals a person is part of, with only what they may see."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from microsoft_teams.cards import ActionSet, Container

from appraisal.status import OwedStep, StatusLine
from appraisal.text import long_date, when
from cards.common import card, due_phrase, execute, heading, run, runs, text


def owed_sentence(step: OwedStep, viewer_id: int) -> str:
    """'You: approve the draft, by …' or 'Hannah Lewis (headteacher): approve the draft, by …'."""
    o = step.obligation
    who = "You" if o.person_id == viewer_id else f"{step.person_name} ({o.role.label})"
    return f"{who}: {o.action.label.lower()}, {due_phrase(o.due_on, step.working_days_late)}"


def _appraisal_block(line: StatusLine, viewer_id: int, tz: tzinfo) -> Container:
    items: list[Any] = [
        runs(
            run(line.school_name, size="Medium", weight="Bolder"),
            run(f" · {line.academic_year}", size="Medium"),
        ),
        text(f"Headteacher: {line.headteacher_name}", spacing="None", is_subtle=True),
        text(f"Stage: {line.stage.label}", spacing="Small"),
    ]
    if line.meeting_at is not None:
        meeting = f"Meeting: {when(line.meeting_at, tz)}"
        if line.meeting_after_target:
            meeting += " (after the trust's target date)"
        items.append(text(meeting, spacing="None"))
    if line.no_governor:
        items.append(
            text(
                f"Waiting: {line.blocked}. The roster needs to name one."
                if line.blocked
                else "No appointed governor yet: the roster needs to name one.",
                spacing="Small",
                weight="Bolder",
            )
        )
    for step in line.owed:
        items.append(
            text(
                owed_sentence(step, viewer_id),
                spacing="Small",
                color="Attention" if step.overdue else "Default",
                weight="Bolder" if step.obligation.person_id == viewer_id else "Default",
            )
        )
    items.append(
        ActionSet(actions=[execute("Open", "show_appraisal", {"appraisal_id": line.appraisal_id})])
    )
    return Container(items=items, separator=True, spacing="Medium")


def build_status_card(
    lines: list[StatusLine], viewer_id: int, now: datetime, tz: tzinfo
) -> dict[str, Any]:
    """Each appraisal's stage and who owes what by when; never objective or evidence text."""
    if not lines:
        return card(
            [
                heading("Your appraisals"),
                text(
                    "You are not part of any appraisal yet. When the trust opens this year's "
                    "cycle, the appraisals you take part in will show here."
                ),
            ],
            summary="You are not part of any appraisal yet.",
        )
    overdue = sum(1 for line in lines if line.overdue)
    summary = f"{len(lines)} appraisal{'s' if len(lines) != 1 else ''}"
    if overdue:
        summary += f", {overdue} overdue"
    body = [
        heading("Your appraisals"),
        text(
            f"As of {long_date(now.astimezone(tz).date())} · {summary}",
            is_subtle=True,
            spacing="None",
        ),
        *(_appraisal_block(line, viewer_id, tz) for line in lines),
    ]
    return card(body, [execute("My next step", "show_next")], summary=summary)
