"""After the meeting: submit the draft, approve it or ask for changes, issue and share the final."""

from __future__ import annotations

from microsoft_teams.cards import ActionSet, CardElement, Container

from appraisal.stages import Action, Stage
from cards.common import text
from cards.fields import LIMITS
from cards.pages.base import MEETING_FORMS, PART_OF_FORM, CardBuild, Page, fold, subtle, text_input
from cards.pages.record import change_requests, meeting_record, read_in_full


def _editing(c: CardBuild) -> list[CardElement]:
    """A reminder of edits saved on the meeting cards but not yet recorded."""
    if not any(c.view.draft.get(part) for part in PART_OF_FORM.values()):
        return []
    forms = MEETING_FORMS[1:] if c.appraisal.is_first_cycle else MEETING_FORMS
    following = next((f for f in forms if not c.view.draft.get(PART_OF_FORM[f])), forms[-1])
    return [
        Container(
            items=[
                text("You have started editing the record but not saved it yet."),
                ActionSet(actions=[c.nav("Continue editing", following)]),
            ],
            style="emphasis",
        )
    ]


def submit_draft(c: CardBuild) -> Page:
    """Reviewer checks the recorded meeting and sends it to the headteacher as a draft."""
    a, view = c.appraisal, c.view
    head = view.name(a.headteacher_id) or "the headteacher"
    record = meeting_record(c)
    body = [
        *_editing(c),
        *change_requests(c),
        text(f"Check the record, then send it to {head} as a draft to approve."),
        *record,
        *read_in_full(c),
    ]
    first = "meeting_objectives" if a.is_first_cycle else "meeting_judgements"
    context = []
    if a.stage is Stage.CHANGES_REQUESTED:
        context.append(text(f"{head} asked for changes to the draft.", weight="Bolder"))
    return Page(
        title="Submit the draft record",
        summary=f"{a.school_name}: submit the draft record",
        body=body,
        actions=[
            c.button("Submit the draft", Action.SUBMIT_DRAFT.value, style="positive"),
            c.nav("Edit the record", first),
        ],
        context=context,
        owed=(Action.SUBMIT_DRAFT,),
    )


def approve(c: CardBuild) -> Page:
    """Headteacher approves the draft, or asks for changes with a comment."""
    a, view = c.appraisal, c.view
    reviewer = view.name(a.reviewer_id) or "The reviewer"
    record = meeting_record(c)
    ask, ask_actions = fold(
        c,
        "Request changes",
        text_input(
            c,
            "comment",
            "What would you like changed?",
            limit=LIMITS["comment"],
            required=True,
            error="Say what you would like changed.",
            placeholder="Which part, and what it should say",
        ),
        [c.button("Send the request", Action.REQUEST_CHANGES.value)],
        ("comment",),
    )
    body = [
        text("Read the draft. Approve it, or ask the reviewer for changes."),
        *change_requests(c),
        *record,
        *read_in_full(c),
        *ask,
    ]
    return Page(
        title="Approve the draft record",
        summary=f"{a.school_name}: approve the draft record",
        body=body,
        actions=[c.button("Approve", Action.APPROVE.value, style="positive"), *ask_actions],
        context=[text(f"{reviewer} sent the draft on {c.day(a.draft_submitted_at)}.")],
        owed=(Action.APPROVE,),
        lead="Please respond",
    )


def issue_final(c: CardBuild) -> Page:
    """Reviewer issues the final record once the headteacher has approved the draft."""
    a, view = c.appraisal, c.view
    head = view.name(a.headteacher_id) or "The headteacher"
    record = meeting_record(c)
    return Page(
        title="Issue the final record",
        summary=f"{a.school_name}: issue the final record",
        body=[
            text("Issuing sends the final record to the headteacher to share with the governor."),
            *record,
            *read_in_full(c),
        ],
        actions=[c.button("Issue the final record", Action.ISSUE_FINAL.value, style="positive")],
        context=[text(f"{head} approved the draft on {c.day(a.approved_at)}.")],
        owed=(Action.ISSUE_FINAL,),
    )


def share_with_governor(c: CardBuild) -> Page:
    """Headteacher shares the final record with the appointed governor in one tap."""
    a, view = c.appraisal, c.view
    governor = view.governors()
    reviewer = view.name(a.reviewer_id) or "The reviewer"
    plural = "s" if len(a.governor_ids) > 1 else ""
    lines = [text(f"Share the completed record with {governor}, the appointed governor{plural}.")]
    if a.led_by_rel:
        lines.append(
            subtle("A Regional Education Lead led this review, so it also goes to the DCEO.")
        )
    record = meeting_record(c)
    return Page(
        title="Share the record with the governor",
        summary=f"{a.school_name}: share the record with the governor",
        body=[*lines, *record, *read_in_full(c)],
        actions=[
            c.button("Share with the governor", Action.SHARE_WITH_GOVERNOR.value, style="positive")
        ],
        context=[text(f"{reviewer} issued the final record on {c.day(a.final_issued_at)}.")],
        owed=(Action.SHARE_WITH_GOVERNOR,),
    )
