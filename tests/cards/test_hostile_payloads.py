"""Card data no card of ours sends: ids refused, text cleaned as it enters."""

from __future__ import annotations

import pytest

from appraisal.errors import InvalidInput
from appraisal.stages import Action
from cards.evidence import build_classify_card, parse_evidence
from cards.fields import parse_arrangements, parse_objectives
from cards.payloads import bad_ids, parse_action, parse_ids
from tests.support.factories import TZ, new_appraisal

RLO = "\u202e"
HOSTILE = ["²", "１", "9" * 4400, 2**63, 2**31, -1, 0, 1.5, 1.0, True, None, [1], "1_0", "+1"]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_no_payload_takes_an_id_no_card_of_ours_holds(hostile):
    assert bad_ids({"appraisal_id": hostile})
    assert bad_ids({"appraisal_id": 1, "version": hostile})
    assert bad_ids({"appraisal_id": 1, "upload_id": hostile})
    with pytest.raises(InvalidInput) as caught:
        parse_ids({"appraisal_id": hostile})
    assert caught.value.problems == {"appraisal_id": "This card does not name an appraisal."}
    if hostile is not None:  # a card without a version is taken (the handler refuses a null)
        with pytest.raises(InvalidInput):
            parse_action(Action.APPROVE, {"appraisal_id": 1, "version": hostile}, TZ)
    evidence = {"appraisal_id": 1, "upload_id": hostile, "title": "Plan", "kind": "other"}
    with pytest.raises(InvalidInput) as caught:
        parse_evidence("add_evidence", evidence)
    assert set(caught.value.problems) == {"upload_id"}


def test_ids_as_our_cards_send_them_still_parse():
    assert not bad_ids({"appraisal_id": 7, "version": 3, "upload_id": "12"})
    assert not bad_ids({})
    payload = parse_ids({"appraisal_id": "7", "version": 3})
    assert (payload.appraisal_id, payload.version) == (7, 3)


@pytest.mark.parametrize("ref", ["E²", "E١", "E１", "E12345", " E-1", 1, ["E1"]])
def test_evidence_refs_are_ascii_digits(ref):
    with pytest.raises(InvalidInput):
        parse_evidence("remove_evidence", {"appraisal_id": 1, "evidence_ref": ref})
    assert parse_evidence("remove_evidence", {"appraisal_id": 1, "evidence_ref": "E12"})


def arrangements(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "cpd_and_support": "Coaching.",
        "wellbeing_discussed": "true",
        "monitoring": "Termly.",
        "evidence_to_collect": "Data.",
        "mid_year_holder": "governor",
        "mid_year_month": "3",
    }
    return {**data, **changes}


@pytest.mark.parametrize("month", ["２", "²", "4", "1", 2**63, True, 2.0, [2], None])
def test_the_mid_year_month_is_one_the_card_offers(month):
    with pytest.raises(InvalidInput) as caught:
        parse_arrangements(arrangements(mid_year_month=month))
    assert set(caught.value.problems) == {"mid_year_month"}
    assert parse_arrangements(arrangements(mid_year_month=2))["mid_year_month"] == 2


def test_free_text_enters_without_controls_or_direction_overrides():
    parsed = parse_arrangements(arrangements(monitoring=f"Termly\x00 visits{RLO}\r\nשלום"))
    assert parsed["monitoring"] == "Termly visits\nשלום"
    _, command = parse_action(
        Action.REQUEST_CHANGES, {"appraisal_id": 1, "comment": f"{RLO}Reword O2\x00 مرحبا"}, TZ
    )
    assert command.comment == "Reword O2 مرحبا"
    objectives = parse_objectives(
        {
            "objective_1_text": f"Raise {RLO}attainment",
            "objective_1_criteria": "KS2\x07 writing",
            "objective_1_focus": "wellbeing",
        }
    )
    assert (objectives[0].text, objectives[0].success_criteria) == (
        "Raise attainment",
        "KS2 writing",
    )
    evidence = {"appraisal_id": 1, "upload_id": 2, "title": f"{RLO}gpj.exe\n", "kind": "other"}
    assert parse_evidence("add_evidence", evidence).title == "gpj.exe"


def test_the_classify_card_shows_values_of_any_shape_again_without_failing():
    from cards.evidence import ReceivedFile

    received = ReceivedFile(1, "plan.pdf", 1000)
    values = {"title": ["x"], "kind": ["other"], "objective_ref": {"O1": 1}}
    card = build_classify_card(new_appraisal(), received, values=values)
    assert card["type"] == "AdaptiveCard"
