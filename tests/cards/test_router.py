"""Which step card each person gets at each stage, and that status-only cards stay status-only."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from appraisal.roles import Role
from appraisal.stages import Stage
from appraisal.visibility import Visibility
from appraisal.workflow import rule_for
from cards.router import STEP_ACTIONS, STEPS, build_step_card, choose_step, permitted
from tests.support.cards import card_text
from tests.support.factories import PREVIOUS, appraisal_at, meeting_record
from tests.support.views import view_at, view_of

H, R, G, ADV, D, ADM = (
    Role.HEADTEACHER,
    Role.REVIEWER,
    Role.GOVERNOR,
    Role.ADVISER,
    Role.DCEO,
    Role.ADMIN,
)
S = Stage

#: The step each role's person sees at each stage of the factory cycle (others see the record).
EXPECTED = {
    S.AWAITING_DATE: {H: "self_evaluate", R: "propose_date"},
    S.DATE_PROPOSED: {H: "confirm_date"},
    S.DATE_COUNTER_PROPOSED: {H: "self_evaluate", R: "accept_date"},
    S.AWAITING_GOVERNOR: {H: "self_evaluate", G: "confirm_availability"},
    S.PREPARATION: {H: "pre_reading_pack", R: "meeting_judgements", G: "pre_reading_pack"},
    S.MEETING_HELD: {R: "submit_draft"},
    S.DRAFT_WITH_HEADTEACHER: {H: "approve"},
    S.CHANGES_REQUESTED: {R: "submit_draft"},
    S.APPROVED: {R: "issue_final"},
    S.FINAL_ISSUED: {H: "share_with_governor"},
    S.SHARED: {G: "acknowledge"},
    S.MID_YEAR_DUE: {R: "record_mid_year"},
    S.COMPLETE: {},
}

#: Text only the full record may show: objectives, evaluations, judgements, evidence, comments.
RECORD = meeting_record()
CONFIDENTIAL = [
    *(o.text for o in PREVIOUS),
    *(o.success_criteria for o in PREVIOUS),
    *(o.text for o in RECORD.objectives),
    *(o.success_criteria for o in RECORD.objectives),
    RECORD.cpd_and_support,
    RECORD.monitoring,
    RECORD.evidence_to_collect,
    "Staff turnover in the spring term.",
    "Evidence attached.",
    "SDP summary",
    "Please reword objective 2.",
]


@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize("role", [H, R, G, ADV, D])
def test_each_role_gets_its_step_at_each_stage(stage, role):
    assert choose_step(view_at(stage, role)) == EXPECTED[stage].get(role, "record")


@pytest.mark.parametrize("stage", list(Stage))
def test_status_visibility_always_gets_the_summary(stage):
    view = view_at(stage, ADM)
    assert view.visibility is Visibility.STATUS
    assert choose_step(view) == "summary"
    for step in sorted(STEPS):
        assert not permitted(view, step) or step == "summary"
        card = build_step_card(view, step)
        assert card["body"][0]["inlines"][0]["text"] == "Appraisal status"


@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize("role", [ADM, H, R, G])
def test_summary_never_shows_objective_evaluation_or_evidence_text(stage, role):
    card = card_text(build_step_card(view_at(stage, role), "summary"))
    assert "Appraisal status" in card
    leaked = [secret for secret in CONFIDENTIAL if secret in card]
    assert leaked == []


def test_the_full_record_does_show_them():
    card = card_text(build_step_card(view_at(S.COMPLETE, G)))
    assert all(secret in card for secret in CONFIDENTIAL if secret != "Please reword objective 2.")


@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize(
    "roles", [frozenset({r}) for r in (H, R, G, ADV, D)] + [frozenset({R, D}), frozenset({G, H})]
)
def test_a_chosen_step_is_always_one_the_viewer_may_take(stage, roles):
    view = view_at(stage, next(iter(sorted(roles))), roles=roles)
    step = choose_step(view)
    action = STEP_ACTIONS.get(step)
    if action is not None:
        rule = rule_for(stage, action)
        assert rule is not None and rule.roles & roles


@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize("role", [H, R, G, ADV, D])
def test_a_step_asked_for_but_not_permitted_falls_back_to_the_chosen_one(stage, role):
    view = view_at(stage, role)
    for step in sorted(STEPS):
        if not permitted(view, step):
            assert build_step_card(view, step) == build_step_card(view)
    assert build_step_card(view, "no_such_step") == build_step_card(view)


def test_first_cycle_skips_self_evaluation_and_judgements():
    assert choose_step(view_at(S.AWAITING_DATE, H, first_cycle=True)) == "record"
    assert choose_step(view_at(S.PREPARATION, R, first_cycle=True)) == "meeting_objectives"
    assert not permitted(view_at(S.PREPARATION, R, first_cycle=True), "meeting_judgements")


def test_reviewer_before_the_meeting_sends_the_pre_reading_then_sees_the_record():
    appraisal, now = appraisal_at(S.PREPARATION)
    before = appraisal.meeting_at - timedelta(days=1)
    unsent = replace(appraisal, pre_reading_sent_at=None)
    assert choose_step(view_of(unsent, before, R)) == "send_pre_reading"
    assert choose_step(view_of(appraisal, before, R)) == "record"
    assert not permitted(view_of(appraisal, before, R), "meeting_objectives")
    assert permitted(view_of(appraisal, before, R), "propose_date")
    assert choose_step(view_of(unsent, now, R)) == "meeting_judgements"


def test_headteacher_at_preparation_self_evaluates_while_any_objective_is_unrated():
    appraisal, now = appraisal_at(S.PREPARATION)
    partly = replace(appraisal, self_evaluations=appraisal.self_evaluations[:2])
    assert choose_step(view_of(partly, now, H)) == "self_evaluate"


def test_the_meeting_record_resumes_at_the_first_card_not_saved():
    assert choose_step(view_at(S.PREPARATION, R, draft={"judgements": {"x": "1"}})) == (
        "meeting_objectives"
    )
    both = {"judgements": {"x": "1"}, "objectives": {"x": "1"}}
    assert choose_step(view_at(S.PREPARATION, R, draft=both)) == "meeting_arrangements"


def test_governor_records_the_mid_year_review_only_when_named():
    appraisal, now = appraisal_at(S.MID_YEAR_DUE)
    assert choose_step(view_of(appraisal, now, G)) == "record"
    assert not permitted(view_of(appraisal, now, G), "record_mid_year")
    record = replace(appraisal.meeting_record, mid_year_holder=Role.GOVERNOR)
    named = replace(appraisal, meeting_record=record)
    assert choose_step(view_of(named, now, G)) == "record_mid_year"


def test_rearranging_is_offered_to_the_reviewer_only():
    for stage in (S.DATE_PROPOSED, S.AWAITING_GOVERNOR):
        assert permitted(view_at(stage, R), "propose_date")
        assert "Rearrange the meeting" in card_text(build_step_card(view_at(stage, R)))
        assert not permitted(view_at(stage, H), "propose_date")
        assert "Rearrange" not in card_text(build_step_card(view_at(stage, H)))


def test_no_card_for_someone_who_may_not_see_the_appraisal():
    appraisal, now = appraisal_at(S.APPROVED)
    outsider = replace(view_of(appraisal, now, R), viewer_roles=frozenset())
    outsider = replace(outsider, visibility=Visibility.NONE)
    assert choose_step(outsider) == "summary"
    with pytest.raises(ValueError, match="may not see"):
        build_step_card(outsider)
