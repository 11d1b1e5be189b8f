"""The step views card tests render: the factory appraisals, and the largest content they hold."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

from appraisal.deadlines import obligations
from appraisal.model import Appraisal
from appraisal.policy import MAX_TEXT
from appraisal.record import (
    ChangeRequest,
    EvidenceItem,
    EvidenceKind,
    Focus,
    Judgement,
    MidYearReview,
    Objective,
    ObjectiveProgress,
    Progress,
    Rating,
    SelfEvaluation,
)
from appraisal.roles import Role
from appraisal.stages import Stage
from appraisal.status import OwedStep
from appraisal.visibility import visibility
from cards.router import STEPS, build_step_card, permitted
from cards.views import Link, StepView
from tests.support.factories import CAL, PERSON_FOR_ROLE, POLICY, TZ, appraisal_at

NAMES = {
    PERSON_FOR_ROLE[Role.HEADTEACHER]: "Hannah Lewis",
    PERSON_FOR_ROLE[Role.REVIEWER]: "Ravi Shah",
    PERSON_FOR_ROLE[Role.GOVERNOR]: "Gwen Morgan",
    PERSON_FOR_ROLE[Role.ADVISER]: "Alex Price",
    PERSON_FOR_ROLE[Role.DCEO]: "Dana Clarke",
    PERSON_FOR_ROLE[Role.ADMIN]: "Sam Admin",
}
LINKS = (
    Link("Last year's performance management record", "https://trust.example/pm-2025"),
    Link("Appraisal policy", "https://trust.example/policy"),
)
TEAMS_ID = "29:1a2b3c"
SHA = "ab" * 32


def with_files(appraisal: Appraisal) -> Appraisal:
    """The appraisal with its evidence stored (so each item has a copy to send)."""
    files = tuple(replace(e, sha256=SHA, size=340_000) for e in appraisal.evidence)
    return replace(appraisal, evidence=files)


def owed_steps(appraisal: Appraisal, now: datetime) -> tuple[OwedStep, ...]:
    """Who owes what, as the bot computes it."""
    today = CAL.local_date(now)
    return tuple(
        OwedStep(
            o,
            NAMES.get(o.person_id, ""),
            o.is_overdue(today),
            o.is_open(today),
            max(0, CAL.working_days_between(o.due_on, today)),
        )
        for o in obligations(appraisal, CAL, POLICY)
    )


def view_of(
    appraisal: Appraisal, now: datetime, role: Role, roles: frozenset[Role] | None = None, **kw
) -> StepView:
    """A step view of an appraisal for the person holding `role`."""
    held = roles or frozenset({role})
    return StepView(
        appraisal=appraisal,
        viewer_id=PERSON_FOR_ROLE[role],
        viewer_roles=held,
        visibility=visibility(held),
        names=NAMES,
        tz=TZ,
        now=now,
        owed=owed_steps(appraisal, now),
        viewer_teams_id=TEAMS_ID,
        pre_reading=LINKS,
        **kw,
    )


def view_at(stage: Stage, role: Role, *, first_cycle: bool = False, **kw) -> StepView:
    """A view of the factory appraisal at `stage` for `role` (optionally a first cycle)."""
    appraisal, now = appraisal_at(stage)
    appraisal = with_files(appraisal)
    if first_cycle:
        record = appraisal.meeting_record
        if record is not None:
            record = replace(record, judgements=())
        appraisal = replace(
            appraisal,
            previous_objectives=(),
            self_evaluations=(),
            evidence=tuple(replace(e, objective_ref=None) for e in appraisal.evidence),
            meeting_record=record,
        )
    if kw.pop("before_pre_reading", False):
        appraisal = replace(appraisal, pre_reading_sent_at=None)
    return view_of(appraisal, now, role, **kw)


# --- the largest content the record can hold --------------------------------------------------

EVIDENCE_KINDS = list(EvidenceKind)
ROLES = [Role.HEADTEACHER, Role.REVIEWER, Role.GOVERNOR, Role.DCEO, Role.ADMIN]
SENTENCE = "Pupils' writing – especially in Year 6 – improved after the coaching cycle. "
FOCUSES = [Focus.SCHOOL_IMPROVEMENT, Focus.PROFESSIONAL_DEVELOPMENT, Focus.WELLBEING] * 2


def evidence_items(count: int, title_length: int, at: datetime) -> tuple[EvidenceItem, ...]:
    """`count` evidence items with long titles, each with a stored file."""
    return tuple(
        EvidenceItem(
            ref=f"E{n}",
            title=(f"Evidence {n} " + "x" * title_length)[:title_length],
            kind=EVIDENCE_KINDS[n % len(EVIDENCE_KINDS)],
            added_at=at,
            objective_ref=f"O{n % 5 + 1}",
            sha256=SHA,
            size=2_500_000 + n,
        )
        for n in range(1, count + 1)
    )


def prose(length: int, seed: str = "") -> str:
    """Realistic text of exactly `length` characters, with paragraphs."""
    body = (seed + SENTENCE * (length // len(SENTENCE) + 2)).replace(". Pupils", ".\nPupils", 3)
    return body[:length]


def largest(length: int = MAX_TEXT, objective_text: int = MAX_TEXT):
    """The factory's completed appraisal with every text field `length` long (five of each)."""
    appraisal, now = appraisal_at(Stage.COMPLETE)
    refs = [f"O{n}" for n in range(1, 6)]
    previous = tuple(
        Objective(r, prose(objective_text, r), prose(length, r), FOCUSES[n])
        for n, r in enumerate(refs)
    )
    record = replace(
        appraisal.meeting_record,
        judgements=tuple(
            Judgement(r, Rating.NOT_MET, prose(length, "R"), prose(length, "M")) for r in refs
        ),
        objectives=tuple(
            Objective(r, prose(objective_text, "N"), prose(length, "S"), FOCUSES[n])
            for n, r in enumerate(refs)
        ),
        cpd_and_support=prose(MAX_TEXT),
        wellbeing_notes=prose(MAX_TEXT),
        monitoring=prose(MAX_TEXT),
        evidence_to_collect=prose(MAX_TEXT),
    )
    appraisal = replace(
        appraisal,
        previous_objectives=previous,
        self_evaluations=tuple(
            SelfEvaluation(r, Rating.PARTIALLY_MET, prose(length)) for r in refs
        ),
        evidence=evidence_items(20, 200, now),
        meeting_record=record,
        change_requests=tuple(ChangeRequest(now, prose(MAX_TEXT)) for _ in range(3)),
        mid_year_review=MidYearReview(
            now.date(),
            tuple(ObjectiveProgress(r, Progress.SOME_CONCERNS, prose(length)) for r in refs),
            prose(MAX_TEXT),
        ),
    )
    return appraisal, now


def full_draft(length: int) -> dict:
    """Every meeting card's inputs saved with `length`-long text."""
    refs = [f"O{n}" for n in range(1, 6)]
    return {
        "judgements": {
            **{f"judgement_{r}": "not_met" for r in refs},
            **{f"reasons_{r}": prose(length) for r in refs},
            **{f"mitigating_{r}": prose(length) for r in refs},
        },
        "objectives": {
            **{f"objective_{n}_text": prose(length) for n in range(1, 6)},
            **{f"objective_{n}_criteria": prose(length) for n in range(1, 6)},
            **{f"objective_{n}_focus": "wellbeing" for n in range(1, 6)},
        },
    }


def every_card(appraisal, now, **kw) -> Iterator[tuple[str, dict]]:
    """Each step card of every role at every stage, for this content, named stage/role/step."""
    for stage in Stage:
        at_stage = replace(appraisal, stage=stage)
        for role in ROLES:
            view = view_of(at_stage, now, role, **kw)
            for step in sorted(STEPS):
                if permitted(view, step):
                    yield f"{stage.value}/{role.value}/{step}", build_step_card(view, step)
