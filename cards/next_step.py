"""The 'next' card: the step this person owes now, or what happens next and when."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from appraisal.stages import Action
from appraisal.status import NextStep
from appraisal.text import long_date
from cards.common import card, due_phrase, execute, heading, text
from cards.status import owed_sentence

#: One sentence per step saying what doing it involves.
GUIDANCE = {
    Action.PROPOSE_DATE: "Propose a September or October date and time for the review meeting.",
    Action.CONFIRM_DATE: "Confirm the proposed meeting date, or propose another.",
    Action.ACCEPT_DATE: "The headteacher proposed another date: accept it or propose a new one.",
    Action.CONFIRM_AVAILABILITY: "Confirm you can attend the review meeting as the appointed "
    "governor.",
    Action.SEND_PRE_READING: "Send last year's record, the policy and the Headteachers' Standards "
    "to the headteacher and the governor.",
    Action.SELF_EVALUATE: "Rate each of last year's objectives and attach your evidence.",
    Action.RECORD_MEETING: "Record the judgements, the new objectives, CPD and support, and the "
    "mid-year arrangements.",
    Action.SUBMIT_DRAFT: "Send the written-up record to the headteacher as a draft.",
    Action.APPROVE: "Read the draft record and approve it, or ask for changes.",
    Action.ISSUE_FINAL: "Issue the final record to the headteacher.",
    Action.SHARE_WITH_GOVERNOR: "Share the completed record with the appointed governor.",
    Action.ACKNOWLEDGE: "Acknowledge the completed cycle and give the date of the board meeting "
    "that will minute it. Objectives are not reported to the board.",
    Action.RECORD_MID_YEAR: "Record progress on each objective at the mid-year review.",
}


def _sentence(phrase: str) -> str:
    """The phrase with a capital first letter (str.capitalize would lower-case the date)."""
    return phrase[:1].upper() + phrase[1:]


def build_next_card(nxt: NextStep, viewer_id: int, tz: tzinfo) -> dict[str, Any]:
    """The step to take now, with its school and deadline; otherwise what happens next."""
    first = nxt.first
    actions = [execute("All my appraisals", "show_status")]
    if first is not None:
        line, step = first
        o = step.obligation
        body = [
            text("Your next step", is_subtle=True),
            heading(o.action.label),
            text(f"{line.school_name} · {line.academic_year}", spacing="None"),
            text(
                _sentence(due_phrase(o.due_on, step.working_days_late)),
                color="Attention" if step.overdue else "Default",
                weight="Bolder",
            ),
            text(GUIDANCE.get(o.action, "")),
        ]
        more = nxt.mine[1:4]
        if more:
            body.append(text("Also yours:", weight="Bolder", spacing="Medium"))
            body.extend(text(f"{ln.school_name}: {owed_sentence(s, viewer_id)}") for ln, s in more)
        return card(body, actions, summary=f"Your next step: {o.action.label}")
    body = [heading("Nothing for you right now")]
    if nxt.others:
        line, step = nxt.others[0]
        body.append(
            text(f"What happens next at {line.school_name}: {owed_sentence(step, viewer_id)}.")
        )
    for line, step in nxt.later[:2]:
        opens = step.obligation.opens_on
        if opens is not None:
            body.append(
                text(
                    f"{line.school_name}: {step.obligation.action.label.lower()} "
                    f"opens on {long_date(opens)}."
                )
            )
    if len(body) == 1:
        body.append(text("None of your appraisals is waiting on anyone."))
    return card(body, actions, summary="Nothing for you right now")
