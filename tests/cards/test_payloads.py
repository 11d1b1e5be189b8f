"""Payload parsing: each problem is keyed by the input it belongs to, in our own words."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from appraisal.commands import ConfirmDate, ProposeDate, RecordMidYear, SelfEvaluate
from appraisal.errors import InvalidInput
from appraisal.record import Focus, Judgement, Objective, Progress, Rating
from appraisal.roles import Role
from appraisal.stages import Action
from cards.fields import LIMITS
from cards.payloads import (
    meeting_record_from,
    parse_action,
    parse_arrangements,
    parse_ids,
    parse_judgements,
    parse_objectives,
)
from tests.support.factories import PREVIOUS, TZ

IDS = {"appraisal_id": 7, "version": 3}
SECRET = "SECRET-TYPED-TEXT "


def problems_of(call, *args) -> dict[str, str]:
    """The problems an InvalidInput carries, checked never to quote what was typed."""
    with pytest.raises(InvalidInput) as caught:
        call(*args)
    problems = caught.value.problems
    assert not any("SECRET" in message for message in problems.values())
    return problems


def good_arrangements(**changes: str) -> dict[str, str]:
    """Arrangements as Teams sends them."""
    data = {
        "cpd_and_support": "Coaching.",
        "wellbeing_discussed": "true",
        "wellbeing_notes": "",
        "monitoring": "Termly.",
        "evidence_to_collect": "Data.",
        "mid_year_holder": "governor",
        "mid_year_month": "3",
    }
    return {**data, **changes}


def test_existing_verbs_parse_as_before():
    payload, command = parse_action(Action.CONFIRM_DATE, IDS, TZ)
    assert (payload.appraisal_id, payload.version, command) == (7, 3, ConfirmDate())
    data = {**IDS, "meeting_date": "2026-10-14", "meeting_time": "10:30"}
    _, proposed = parse_action(Action.PROPOSE_DATE, data, TZ)
    assert proposed == ProposeDate(datetime(2026, 10, 14, 10, 30, tzinfo=TZ))
    assert problems_of(parse_action, Action.PROPOSE_DATE, {**IDS, "meeting_date": "x"}, TZ) == {
        "meeting_date": "Choose the date of the meeting.",
        "meeting_time": "Choose the time of the meeting.",
    }
    assert "verb" in problems_of(parse_action, Action.RECORD_MEETING, IDS, TZ)
    assert "appraisal_id" in problems_of(parse_ids, {"appraisal_id": "none"})


def test_self_evaluation_parses_ratings_and_commentary():
    data = {**IDS, "rating_O1": "met", "commentary_O1": "Done.", "rating_O2": "", "rating_O3": ""}
    payload, command = parse_action(Action.SELF_EVALUATE, data, TZ)
    assert isinstance(command, SelfEvaluate) and payload.version == 3
    assert [(e.objective_ref, e.rating, e.commentary) for e in command.evaluations] == [
        ("O1", Rating.MET, "Done.")
    ]


def test_self_evaluation_problems_map_to_inputs():
    data = {
        **IDS,
        "rating_O1": "brilliant",
        "rating_O2": "",
        "commentary_O2": SECRET,
        "rating_O3": "met",
        "commentary_O3": SECRET * 200,
    }
    problems = problems_of(parse_action, Action.SELF_EVALUATE, data, TZ)
    assert set(problems) == {"rating_O1", "rating_O2", "commentary_O3"}
    assert "2,000" in problems["commentary_O3"]
    assert set(problems_of(parse_action, Action.SELF_EVALUATE, {**IDS, "rating_O1": ""}, TZ)) == {
        "rating_O1"
    }


def test_mid_year_parses_and_maps_problems():
    data = {**IDS, "held_on": "2027-02-09", "progress_O1": "on_track", "note_O1": "Fine."}
    _, command = parse_action(Action.RECORD_MID_YEAR, {**data, "note": "All good."}, TZ)
    assert isinstance(command, RecordMidYear)
    assert command.review.held_on == date(2027, 2, 9)
    assert command.review.progress[0].progress is Progress.ON_TRACK
    bad = {**IDS, "held_on": "9/2/27", "progress_O1": "", "note_O1": SECRET, "progress_O2": "x"}
    problems = problems_of(parse_action, Action.RECORD_MID_YEAR, bad, TZ)
    assert set(problems) == {"held_on", "progress_O1", "progress_O2"}


def test_judgements_parse_for_every_previous_objective():
    data = {"judgement_O1": "met", "judgement_O2": "not_met", "reasons_O2": "Turnover."}
    data |= {"judgement_O3": "partially_met", "reasons_O3": "Late.", "mitigating_O3": "Illness."}
    assert parse_judgements(data, PREVIOUS) == [
        Judgement("O1", Rating.MET),
        Judgement("O2", Rating.NOT_MET, "Turnover."),
        Judgement("O3", Rating.PARTIALLY_MET, "Late.", "Illness."),
    ]
    assert parse_judgements({}, ()) == []


def test_judgement_problems_map_to_inputs():
    data = {
        "judgement_O2": "not_met",
        "reasons_O2": "  ",
        "judgement_O3": "met",
        "mitigating_O3": SECRET * 100,
    }
    problems = problems_of(parse_judgements, data, PREVIOUS)
    assert set(problems) == {"judgement_O1", "reasons_O2", "mitigating_O3"}
    assert f"{LIMITS['mitigating']:,}" in problems["mitigating_O3"]


def test_objectives_skip_blank_slots_and_keep_their_numbers():
    data = {
        "objective_1_text": "Raise writing.",
        "objective_1_criteria": "75%.",
        "objective_1_focus": "school_improvement",
        "objective_2_text": "",
        "objective_2_criteria": "",
        "objective_2_focus": "wellbeing",
        "objective_3_text": "NPQH module.",
        "objective_3_criteria": "Done by July.",
        "objective_3_focus": "professional_development",
    }
    assert parse_objectives(data) == [
        Objective("O1", "Raise writing.", "75%.", Focus.SCHOOL_IMPROVEMENT),
        Objective("O3", "NPQH module.", "Done by July.", Focus.PROFESSIONAL_DEVELOPMENT),
    ]


def test_objective_problems_map_to_inputs():
    assert set(problems_of(parse_objectives, {})) == {"objective_1_text"}
    partial = {
        "objective_1_text": "A.",
        "objective_1_criteria": "B.",
        "objective_1_focus": "nonsense",
        "objective_2_text": SECRET,
        "objective_4_criteria": "C.",
        "objective_4_focus": "wellbeing",
    }
    problems = problems_of(parse_objectives, partial)
    assert set(problems) == {
        "objective_1_focus",
        "objective_2_criteria",
        "objective_2_focus",
        "objective_4_text",
    }
    school_only = {"objective_2_text": "A.", "objective_2_criteria": "B."}
    school_only["objective_2_focus"] = "school_improvement"
    problems = problems_of(parse_objectives, school_only)
    assert list(problems) == ["objective_2_focus"]
    assert "wellbeing" in problems["objective_2_focus"]


def test_arrangements_parse_into_record_fields():
    found = parse_arrangements(good_arrangements())
    assert found["wellbeing_discussed"] is True
    assert (found["mid_year_holder"], found["mid_year_month"]) == (Role.GOVERNOR, 3)


def test_arrangement_problems_map_to_inputs():
    problems = problems_of(parse_arrangements, {})
    assert set(problems) == {
        "cpd_and_support",
        "wellbeing_discussed",
        "monitoring",
        "evidence_to_collect",
        "mid_year_holder",
        "mid_year_month",
    }
    bad = good_arrangements(
        wellbeing_discussed="false", mid_year_holder="dceo", mid_year_month="4", monitoring=SECRET
    )
    assert set(problems_of(parse_arrangements, bad)) == {
        "wellbeing_discussed",
        "mid_year_holder",
        "mid_year_month",
    }


def test_meeting_record_from_checks_the_whole_and_maps_problems():
    objectives = [Objective("O2", "A.", "B.", Focus.WELLBEING)]
    record = meeting_record_from([], objectives, parse_arrangements(good_arrangements()))
    assert record.objectives == tuple(objectives) and record.mid_year_month == 3
    problems = problems_of(meeting_record_from, [], [], {})
    assert {"objective_1_text", "cpd_and_support", "mid_year_month"} <= set(problems)
    school = [Objective("O3", "A.", "B.", Focus.SCHOOL_IMPROVEMENT)]
    arrangements = {**parse_arrangements(good_arrangements()), "wellbeing_discussed": False}
    assert set(problems_of(meeting_record_from, [], school, arrangements)) == {
        "objective_3_focus",
        "wellbeing_discussed",
    }
