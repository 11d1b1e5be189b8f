"""What people typed is shown literally in TextRuns, never parsed as Markdown in a TextBlock."""

from __future__ import annotations

from dataclasses import replace

import pytest

from appraisal.record import ChangeRequest, MidYearReview, ObjectiveProgress, Progress
from appraisal.roles import Role
from appraisal.stages import Stage
from cards.common import literal
from cards.router import STEPS, build_step_card, permitted
from tests.support.cards import texts, walk
from tests.support.factories import appraisal_at
from tests.support.views import view_of

TYPED = "**x** [a](http://e.com)"
SHOWN = literal(TYPED)


def marked_up(stage: Stage):
    """The factory appraisal with Markdown and a link in every field people type."""
    appraisal, now = appraisal_at(Stage.COMPLETE)
    record = appraisal.meeting_record
    record = replace(
        record,
        judgements=tuple(replace(j, reasons=TYPED) for j in record.judgements),
        objectives=tuple(replace(o, text=TYPED, success_criteria=TYPED) for o in record.objectives),
        cpd_and_support=TYPED,
        monitoring=TYPED,
    )
    appraisal = replace(
        appraisal,
        stage=stage,
        previous_objectives=tuple(replace(o, text=TYPED) for o in appraisal.previous_objectives),
        self_evaluations=tuple(replace(e, commentary=TYPED) for e in appraisal.self_evaluations),
        evidence=tuple(replace(e, title=TYPED, sha256="ab" * 32) for e in appraisal.evidence),
        change_requests=(ChangeRequest(now, TYPED),),
        meeting_record=record,
        mid_year_review=MidYearReview(
            now.date(), (ObjectiveProgress("O1", Progress.ON_TRACK, TYPED),), TYPED
        ),
    )
    return appraisal, now


def test_literal_keeps_the_characters_but_breaks_the_link():
    assert SHOWN.startswith("**x** [a](http:")
    assert "http://" not in SHOWN


@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize("role", [Role.HEADTEACHER, Role.REVIEWER, Role.GOVERNOR])
def test_typed_text_appears_only_in_text_runs(stage, role):
    appraisal, now = marked_up(stage)
    view = view_of(appraisal, now, role)
    for step in sorted(STEPS):
        if not permitted(view, step) or step == "summary":
            continue
        card = build_step_card(view, step)
        assert not [o for o in walk(card) if o.get("type") == "TextBlock"], step
        runs = texts(card, "TextRun")
        assert any(SHOWN in run for run in runs), step
        assert not any("http://e.com" in run for run in runs), step
        for obj in walk(card):
            if obj.get("type") != "TextRun" and not str(obj.get("type")).startswith("Input."):
                assert not any(isinstance(v, str) and "**x**" in v for v in obj.values()), (
                    step,
                    obj.get("type"),
                )


def test_a_form_keeps_typed_text_exactly_for_editing():
    appraisal, now = marked_up(Stage.MEETING_HELD)
    card = build_step_card(view_of(appraisal, now, Role.REVIEWER), "meeting_objectives")
    box = next(o for o in walk(card) if o.get("id") == "objective_1_text")
    assert box["value"] == TYPED
