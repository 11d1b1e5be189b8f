"""Every step card in every state is valid against the official Adaptive Card 1.5 schema."""

from __future__ import annotations

import pytest

from appraisal.roles import Role
from appraisal.stages import Stage
from cards.router import STEPS, build_step_card, permitted
from tests.support.cards import SCHEMA_FILE, all_inputs, inputs_of, schema_errors, texts, walk
from tests.support.views import TEAMS_ID, view_at

ROLES = [Role.HEADTEACHER, Role.REVIEWER, Role.GOVERNOR, Role.ADVISER, Role.DCEO, Role.ADMIN]


def cards_for(view) -> dict[str, dict]:
    """The chosen card and every other step card this viewer may be shown."""
    built = {"(chosen)": build_step_card(view)}
    built.update({s: build_step_card(view, s) for s in sorted(STEPS) if permitted(view, s)})
    return built


def test_the_schema_is_the_official_1_5_one():
    assert SCHEMA_FILE.name == "schema-1.5.json"
    assert SCHEMA_FILE.parent.parent.name == "adaptive_cards"


def test_a_broken_card_fails_the_schema():
    card = build_step_card(view_at(Stage.AWAITING_DATE, Role.REVIEWER))
    card["body"][0]["wrapText"] = True
    assert schema_errors(card)


@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("first_cycle", [False, True], ids=["cycle", "first_cycle"])
def test_every_card_is_valid(stage, role, first_cycle):
    view = view_at(stage, role, first_cycle=first_cycle)
    for step, card in cards_for(view).items():
        assert schema_errors(card) == "", step
        assert card["version"] == "1.5"
        assert card["fallbackText"]
        assert card["refresh"]["userIds"] == [TEAMS_ID]
        assert card["refresh"]["action"]["verb"] == "refresh"
        assert card["refresh"]["action"]["data"]["appraisal_id"] == view.appraisal.id
        assert not [o for o in walk(card) if o.get("type") in ("TextBlock", "ColumnSet")], step


@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize("role", ROLES)
def test_every_card_with_problems_is_valid_and_shows_each_beside_its_input(stage, role):
    plain = view_at(stage, role)
    for step, card in cards_for(plain).items():
        ids = [i["id"] for i in all_inputs(card)]
        problems = {key: f"Problem number {n}." for n, key in enumerate(ids)}
        problems["somewhere_else"] = "A problem with no input."
        values = dict.fromkeys(ids, "kept")
        view = view_at(stage, role, problems=problems, values=values, notice="Please check.")
        shown = build_step_card(view, None if step == "(chosen)" else step)
        assert schema_errors(shown) == "", step
        runs = texts(shown, "TextRun")
        assert "Please check." in runs
        assert "A problem with no input." in runs
        for n, key in enumerate(ids):
            assert f"Problem number {n}." in runs, (step, key)
        for inp in all_inputs(shown):
            if inp["type"] == "Input.Text":
                assert inp["value"] == "kept", (step, inp["id"])


@pytest.mark.parametrize("stage", list(Stage))
def test_labels_on_every_input(stage):
    for role in ROLES:
        for step, card in cards_for(view_at(stage, role)).items():
            for inp in all_inputs(card):
                assert inp.get("label"), (step, inp["id"])
                if inp["type"] == "Input.Text":
                    assert inp["maxLength"] > 0 and inp.get("placeholder"), inp["id"]
                if inp.get("isRequired"):
                    assert inp.get("errorMessage"), inp["id"]


def test_a_problem_on_a_folded_input_opens_the_fold():
    view = view_at(Stage.DATE_PROPOSED, Role.HEADTEACHER, problems={"meeting_date": "Too soon."})
    card = build_step_card(view)
    assert "Too soon." in texts(card, "TextRun")
    assert {i["id"] for i in inputs_of(card)} == {"meeting_date", "meeting_time"}
    assert "Action.ShowCard" not in [a["type"] for a in card["actions"]]
