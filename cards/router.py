"""Which step card a person sees on an appraisal, and building it within Teams' size limit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from appraisal.roles import Role
from appraisal.stages import Action, Stage
from appraisal.visibility import Visibility
from appraisal.workflow import rule_for
from cards.pages import closing, dates, draft, meeting, overview, preparation
from cards.pages.base import MEETING_FORMS, PART_OF_FORM, CardBuild, Fit, Page
from cards.pages.frame import BUDGET, assemble, size_of
from cards.pages.record import RECORD_PARTS
from cards.views import StepView

S, A = Stage, Action

BUILDERS: dict[str, Callable[[CardBuild], Page]] = {
    "propose_date": dates.propose_date,
    "confirm_date": dates.confirm_date,
    "accept_date": dates.accept_date,
    "confirm_availability": dates.confirm_availability,
    "send_pre_reading": preparation.send_pre_reading,
    "pre_reading_pack": preparation.pre_reading_pack,
    "self_evaluate": preparation.self_evaluate,
    "meeting_judgements": meeting.meeting_judgements,
    "meeting_objectives": meeting.meeting_objectives,
    "meeting_arrangements": meeting.meeting_arrangements,
    "submit_draft": draft.submit_draft,
    "approve": draft.approve,
    "issue_final": draft.issue_final,
    "share_with_governor": draft.share_with_governor,
    "acknowledge": closing.acknowledge,
    "record_mid_year": closing.record_mid_year,
    "record": overview.record,
    "summary": overview.summary,
    **dict.fromkeys(RECORD_PARTS, overview.record_part),
}
#: Every step name build_step_card knows.
STEPS = frozenset(BUILDERS)

#: The action each step card takes (cards that only show take none).
STEP_ACTIONS: dict[str, Action] = {
    "propose_date": A.PROPOSE_DATE,
    "confirm_date": A.CONFIRM_DATE,
    "accept_date": A.ACCEPT_DATE,
    "confirm_availability": A.CONFIRM_AVAILABILITY,
    "send_pre_reading": A.SEND_PRE_READING,
    "self_evaluate": A.SELF_EVALUATE,
    **dict.fromkeys(MEETING_FORMS, A.RECORD_MEETING),
    "submit_draft": A.SUBMIT_DRAFT,
    "approve": A.APPROVE,
    "issue_final": A.ISSUE_FINAL,
    "share_with_governor": A.SHARE_WITH_GOVERNOR,
    "acknowledge": A.ACKNOWLEDGE,
    "record_mid_year": A.RECORD_MID_YEAR,
}

#: Ever smaller cards to try until one fits: the evidence list becomes a link, then long
#: read-only text is cut shorter and shorter. Inputs always keep their values.
LADDER = (
    Fit(None, True),
    Fit(None, False),
    *(Fit(cap, False) for cap in (2000, 1200, 800, 500, 300, 150, 80)),
)


def may(view: StepView, action: Action) -> bool:
    """True when the table lets one of the viewer's roles take `action` at this stage."""
    rule = rule_for(view.appraisal.stage, action)
    return rule is not None and bool(rule.roles & view.viewer_roles)


def _meeting_started(view: StepView) -> bool:
    a = view.appraisal
    if a.stage is not S.PREPARATION:
        return True
    return a.meeting_at is not None and view.now >= a.meeting_at


def _fits_state(view: StepView, step: str) -> bool:
    a, roles = view.appraisal, view.viewer_roles
    checks = {
        "send_pre_reading": lambda: a.pre_reading_sent_at is None,
        "self_evaluate": lambda: not a.is_first_cycle,
        "pre_reading_pack": lambda: (
            a.stage is S.PREPARATION and bool(roles & {Role.HEADTEACHER, Role.GOVERNOR})
        ),
        "meeting_judgements": lambda: not a.is_first_cycle and _meeting_started(view),
        "meeting_objectives": lambda: _meeting_started(view),
        "meeting_arrangements": lambda: _meeting_started(view),
        "submit_draft": lambda: a.meeting_record is not None,
        "record_mid_year": lambda: (
            Role.REVIEWER in roles
            or (a.meeting_record is not None and a.meeting_record.mid_year_holder is Role.GOVERNOR)
        ),
        **dict.fromkeys(RECORD_PARTS, lambda: a.meeting_record is not None),
    }
    check = checks.get(step)
    return check is None or check()


def permitted(view: StepView, step: str) -> bool:
    """True when this viewer may be shown `step` now (its action, if any, is theirs to take)."""
    if step not in BUILDERS:
        return False
    if step == "summary":
        return True
    if view.visibility is not Visibility.FULL:
        return False
    action = STEP_ACTIONS.get(step)
    if action is not None and not may(view, action):
        return False
    return _fits_state(view, step)


def _resume(view: StepView) -> str:
    """The first meeting card whose part is not saved yet (the last one if all are)."""
    forms = MEETING_FORMS[1:] if view.appraisal.is_first_cycle else MEETING_FORMS
    return next((f for f in forms if not view.draft.get(PART_OF_FORM[f])), forms[-1])


def _candidates(view: StepView) -> list[str]:
    a = view.appraisal
    unrated = {o.ref for o in a.previous_objectives} - {e.objective_ref for e in a.self_evaluations}
    first_form = MEETING_FORMS[1] if a.is_first_cycle else MEETING_FORMS[0]
    return {
        S.AWAITING_DATE: ["propose_date", "self_evaluate"],
        S.DATE_PROPOSED: ["confirm_date", "self_evaluate"],
        S.DATE_COUNTER_PROPOSED: ["accept_date", "self_evaluate"],
        S.AWAITING_GOVERNOR: ["confirm_availability", "self_evaluate"],
        S.PREPARATION: [
            _resume(view),
            "send_pre_reading",
            *(["self_evaluate"] if unrated else []),
            "pre_reading_pack",
        ],
        S.MEETING_HELD: ["submit_draft", first_form],
        S.DRAFT_WITH_HEADTEACHER: ["approve"],
        S.CHANGES_REQUESTED: ["submit_draft", first_form],
        S.APPROVED: ["issue_final"],
        S.FINAL_ISSUED: ["share_with_governor"],
        S.SHARED: ["acknowledge"],
        S.MID_YEAR_DUE: ["record_mid_year"],
    }.get(a.stage, [])


def choose_step(view: StepView) -> str:
    """The step card this viewer should see now: theirs to take, else the record or summary."""
    if view.visibility is not Visibility.FULL:
        return "summary"
    return next((s for s in _candidates(view) if permitted(view, s)), "record")


def build_step_card(view: StepView, step: str | None = None) -> dict[str, Any]:
    """The card for `step` (or the chosen one; also when `step` is not this viewer's to see)."""
    if view.visibility is Visibility.NONE:
        raise ValueError("no card for someone who may not see this appraisal")
    if step is None or not permitted(view, step):
        step = choose_step(view)
    built: dict[str, Any] = {}
    for fit in LADDER:
        c = CardBuild(view, step, fit)
        built = assemble(c, BUILDERS[step](c))
        if size_of(built) <= BUDGET:
            break
    return built
