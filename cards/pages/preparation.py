"""Before the meeting: sending and reading the pre-reading, and the self-evaluation."""

from __future__ import annotations

from microsoft_teams.cards import ActionSet, CardElement, Container, OpenUrlAction

from appraisal.record import Rating
from appraisal.roles import Role
from appraisal.stages import Action
from appraisal.text import when
from cards.common import text
from cards.fields import LIMITS
from cards.pages.base import CardBuild, Page, choice_input, field_line, section, subtle, text_input
from cards.pages.record import evidence_refs, objective_heading

RATINGS = [(r.value, r.label) for r in Rating]


def _meeting(c: CardBuild) -> list[CardElement]:
    meeting = c.appraisal.meeting_at
    if meeting is None:
        return []
    return [text(f"Meeting: {when(meeting, c.view.tz)}.", weight="Bolder")]


def links(c: CardBuild) -> list[CardElement]:
    """The pre-reading documents, each with a button to open it."""
    if not c.view.pre_reading:
        return [
            subtle(
                "No pre-reading links are set up: last year's record, the appraisal policy and "
                "the Headteachers' Standards go by email."
            )
        ]
    return [
        Container(
            items=[
                text(link.title),
                ActionSet(actions=[OpenUrlAction(title="Open", url=link.url)], spacing="Small"),
            ],
            spacing="Small",
        )
        for link in c.view.pre_reading
    ]


def send_pre_reading(c: CardBuild) -> Page:
    """Reviewer sends the pre-reading pack five working days before the meeting."""
    a, view = c.appraisal, c.view
    head = view.name(a.headteacher_id) or "the headteacher"
    governor = view.governors()
    if a.is_first_cycle:
        record = f"This is {head}'s first cycle with the trust, so there is no previous record."
    else:
        record = "Last year's objectives go with it: they show on both their cards."
    body = [
        text(
            f"{head} and {governor} should have the pre-reading five working days before the "
            "meeting: the trust's documents below and the previous performance management "
            "record."
        ),
        text(record),
        section("Pre-reading", links(c)),
        subtle(
            f"Pressing Send shares the pre-reading with {head} and {governor}: it shows on "
            "their cards from then on."
        ),
    ]
    return Page(
        title="Send the pre-reading",
        summary=f"{a.school_name}: send the pre-reading",
        body=body,
        actions=[
            c.button("Send the pre-reading", Action.SEND_PRE_READING.value, style="positive"),
            c.nav("Rearrange the meeting", "propose_date"),
        ],
        context=_meeting(c),
        owed=(Action.SEND_PRE_READING,),
    )


def pre_reading_pack(c: CardBuild) -> Page:
    """Headteacher and governor: the meeting and the documents to read before it."""
    a, view = c.appraisal, c.view
    reviewer = view.name(a.reviewer_id) or "The reviewer"
    sent = (
        f"{reviewer} sent the pre-reading on {c.day(a.pre_reading_sent_at)}."
        if a.pre_reading_sent_at
        else f"{reviewer} has not sent the pre-reading yet; the documents are below."
    )
    body: list[CardElement] = [text(sent), section("Pre-reading", links(c))]
    actions = []
    if Role.HEADTEACHER in view.viewer_roles and not a.is_first_cycle:
        rated = {e.objective_ref for e in a.self_evaluations}
        done = sum(1 for o in a.previous_objectives if o.ref in rated)
        body.append(
            text(
                f"You have self-evaluated {done} of {len(a.previous_objectives)} of last year's "
                "objectives. To add evidence, send me the file in this chat.",
                spacing="Medium",
            )
        )
        actions.append(c.nav("Update my self-evaluation", "self_evaluate"))
    return Page(
        title="Pre-reading for the review meeting",
        summary=f"{a.school_name}: pre-reading for the review meeting",
        body=body,
        actions=actions,
        context=_meeting(c),
        owed=(Action.SELF_EVALUATE,) if Role.HEADTEACHER in view.viewer_roles else (),
    )


def self_evaluate(c: CardBuild) -> Page:
    """Headteacher rates each previous objective, with commentary; evidence is listed."""
    a = c.appraisal
    own = {e.objective_ref: e for e in a.self_evaluations}
    blocks: list[CardElement] = []
    for o in a.previous_objectives:
        mine = own.get(o.ref)
        blocks.append(
            Container(
                items=[
                    objective_heading(c, o),
                    field_line(c, "Success criteria", o.success_criteria),
                    evidence_refs(c, o.ref),
                    *choice_input(
                        c,
                        f"rating_{o.ref}",
                        f"Your rating for {o.ref}",
                        RATINGS,
                        default=mine.rating.value if mine else "",
                    ),
                    *text_input(
                        c,
                        f"commentary_{o.ref}",
                        f"Your commentary on {o.ref}",
                        limit=LIMITS["commentary"],
                        default=mine.commentary if mine else "",
                        placeholder="What you did, and its impact",
                    ),
                ],
                separator=True,
                spacing="Medium",
            )
        )
    body = [
        text(
            "Rate each of last year's objectives and say why. You can change this until the "
            "meeting is recorded. To add evidence, send me the file in this chat."
        ),
        *blocks,
    ]
    return Page(
        title="Self-evaluate last year's objectives",
        summary=f"{a.school_name}: self-evaluate last year's objectives",
        body=body,
        actions=[c.button("Save my self-evaluation", Action.SELF_EVALUATE.value, style="positive")],
        context=_meeting(c),
        owed=(Action.SELF_EVALUATE,),
    )
