"""The action contract the bot relies on: verbs, button data, and input ids per verb, round trip."""

from __future__ import annotations

import pytest

from appraisal.commands import RecordMeeting
from appraisal.model import Actor
from appraisal.roles import Role
from appraisal.stages import Action, Stage
from appraisal.workflow import apply
from cards.payloads import (
    meeting_record_from,
    parse_action,
    parse_arrangements,
    parse_judgements,
    parse_objectives,
)
from cards.router import STEPS, build_step_card, permitted
from tests.support.cards import buttons, press_filled
from tests.support.factories import CAL, POLICY, TZ
from tests.support.views import view_at

ROLES = [Role.HEADTEACHER, Role.REVIEWER, Role.GOVERNOR, Role.ADVISER, Role.DCEO, Role.ADMIN]
#: Verbs a card may carry besides the domain's actions.
OTHER_VERBS = {
    "save_judgements",
    "save_objectives",
    "show_form",
    "refresh",
    "send_evidence",
    "show_evidence",
    "show_status",
}
ARRANGEMENT_IDS = {
    "cpd_and_support",
    "wellbeing_discussed",
    "wellbeing_notes",
    "monitoring",
    "evidence_to_collect",
    "mid_year_holder",
    "mid_year_month",
}


def expected_inputs(verb: str, appraisal) -> set[str]:
    """The input ids the contract names for each verb."""
    previous = [o.ref for o in appraisal.previous_objectives]
    current = (
        [o.ref for o in appraisal.meeting_record.objectives] if appraisal.meeting_record else []
    )
    return {
        "propose_date": {"meeting_date", "meeting_time"},
        "propose_other_date": {"meeting_date", "meeting_time"},
        "request_changes": {"comment"},
        "acknowledge": {"board_meeting_on"},
        "self_evaluate": {f"{p}_{r}" for r in previous for p in ("rating", "commentary")},
        "save_judgements": {
            f"{p}_{r}" for r in previous for p in ("judgement", "reasons", "mitigating")
        },
        "save_objectives": {
            f"objective_{n}_{p}" for n in range(1, 6) for p in ("text", "criteria", "focus")
        },
        "record_meeting": ARRANGEMENT_IDS,
        "record_mid_year": {
            "held_on",
            "note",
            *(f"{p}_{r}" for r in current for p in ("progress", "note")),
        },
    }.get(verb, set())


def every_card():
    """(view, step, card) for every step card of every role at every stage, both kinds of cycle."""
    for first_cycle in (False, True):
        for stage in Stage:
            for role in ROLES:
                for unsent in (False, True) if stage is Stage.PREPARATION else (False,):
                    view = view_at(stage, role, first_cycle=first_cycle, before_pre_reading=unsent)
                    for step in sorted(STEPS):
                        if permitted(view, step):
                            yield view, step, build_step_card(view, step)


CARDS = list(every_card())


def test_every_button_carries_its_verb_the_appraisal_and_the_version():
    seen = set()
    for view, step, card in CARDS:
        for action, _ in buttons(card):
            verb = action["verb"]
            seen.add(verb)
            assert verb in OTHER_VERBS or verb in {a.value for a in Action}, (step, verb)
            assert action["data"]["verb"] == verb
            assert action["data"]["appraisal_id"] == view.appraisal.id, (step, verb)
            assert action["data"]["version"] == view.appraisal.version, (step, verb)
            if verb == "show_form":
                assert action["data"]["form"] in STEPS
            if verb == "send_evidence":
                assert action["data"]["evidence_ref"].startswith("E")
    assert {a.value for a in Action} - seen == {"add_evidence", "remove_evidence"}


def test_each_verb_sends_exactly_the_contract_inputs():
    for view, step, card in CARDS:
        for action, sent in buttons(card):
            ids = {i["id"] for i in sent}
            assert ids == expected_inputs(action["verb"], view.appraisal), (step, action["verb"])


def test_every_action_button_round_trips_into_the_domain():
    taken = set()
    for view, _step, card in CARDS:
        for action, _ in buttons(card):
            try:
                verb = Action(action["verb"])
            except ValueError:
                continue
            if verb is Action.RECORD_MEETING:
                continue  # three cards together: see the next test
            data = press_filled(card, verb.value, view.now)
            payload, command = parse_action(verb, data, TZ)
            assert payload.appraisal_id == view.appraisal.id
            assert payload.version == view.appraisal.version
            actor = Actor(view.viewer_id, view.viewer_roles)
            moved = apply(view.appraisal, command, actor, view.now, CAL, POLICY)
            assert moved.appraisal.version == view.appraisal.version + 1
            taken.add(verb)
    assert len(taken) == 15


@pytest.mark.parametrize("first_cycle", [False, True], ids=["cycle", "first_cycle"])
@pytest.mark.parametrize("stage", [Stage.PREPARATION, Stage.MEETING_HELD])
def test_the_three_meeting_cards_make_a_record_the_domain_accepts(stage, first_cycle):
    view = view_at(stage, Role.REVIEWER, first_cycle=first_cycle)
    previous = view.appraisal.previous_objectives
    draft: dict = {}
    if not first_cycle:
        card = build_step_card(view_at(stage, Role.REVIEWER), "meeting_judgements")
        draft["judgements"] = press_filled(card, "save_judgements", view.now)
        assert len(parse_judgements(draft["judgements"], previous)) == len(previous)
    card = build_step_card(
        view_at(stage, Role.REVIEWER, first_cycle=first_cycle, draft=draft), "meeting_objectives"
    )
    draft["objectives"] = press_filled(card, "save_objectives", view.now)
    assert len(parse_objectives(draft["objectives"])) == 5
    card = build_step_card(
        view_at(stage, Role.REVIEWER, first_cycle=first_cycle, draft=draft),
        "meeting_arrangements",
    )
    data = press_filled(card, "record_meeting", view.now)
    record = meeting_record_from(
        parse_judgements(draft.get("judgements", {}), previous),
        parse_objectives(draft["objectives"]),
        parse_arrangements(data),
    )
    actor = Actor(view.viewer_id, view.viewer_roles)
    moved = apply(view.appraisal, RecordMeeting(record), actor, view.now, CAL, POLICY)
    assert len(moved.appraisal.meeting_record.objectives) == 5


def test_meeting_cards_come_back_filled_in_from_the_draft():
    now_view = view_at(Stage.PREPARATION, Role.REVIEWER)
    card = build_step_card(now_view, "meeting_objectives")
    saved = press_filled(
        card, "save_objectives", now_view.now, objective_2_text="Saved in the draft."
    )
    again = build_step_card(
        view_at(Stage.PREPARATION, Role.REVIEWER, draft={"objectives": saved}),
        "meeting_objectives",
    )
    values = {i["id"]: i.get("value") for _, sent in buttons(again) for i in sent}
    assert values["objective_2_text"] == "Saved in the draft."


def test_meeting_cards_fill_in_from_the_recorded_meeting():
    view = view_at(Stage.MEETING_HELD, Role.REVIEWER)
    record = view.appraisal.meeting_record
    card = build_step_card(view, "meeting_objectives")
    values = {i["id"]: i.get("value") for _, sent in buttons(card) for i in sent}
    assert values["objective_1_text"] == record.objectives[0].text
    assert values["objective_3_focus"] == record.objectives[2].focus.value
    assert values["objective_4_text"] is None
    card = build_step_card(view, "meeting_arrangements")
    values = {i["id"]: i.get("value") for _, sent in buttons(card) for i in sent}
    assert values["wellbeing_discussed"] == "true"
    assert values["mid_year_month"] == str(record.mid_year_month)
    assert values["mid_year_holder"] == record.mid_year_holder.value
