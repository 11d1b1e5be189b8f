"""Every card stays under 28 KB with the largest content the record can hold."""

from __future__ import annotations

from dataclasses import replace

import pytest

from appraisal.policy import MAX_TEXT
from appraisal.roles import Role
from appraisal.stages import Stage
from cards.fields import LIMITS
from cards.router import build_step_card
from tests.support.cards import schema_errors, size, texts, walk
from tests.support.views import every_card, full_draft, largest, prose, view_of

LIMIT = 28_000


@pytest.mark.parametrize("problems", [False, True], ids=["plain", "with_problems"])
def test_every_card_fits_with_max_text_everywhere(problems):
    appraisal, now = largest()
    extra = {"draft": full_draft(MAX_TEXT)}
    if problems:
        ids = {o["id"] for _, c in every_card(appraisal, now) for o in walk(c) if "id" in o}
        extra["problems"] = dict.fromkeys(ids, "Shorten this to fit the limit shown.")
    sizes = {name: size(card) for name, card in every_card(appraisal, now, **extra)}
    too_big = {name: n for name, n in sizes.items() if n > LIMIT}
    assert too_big == {}
    assert max(sizes.values()) > 20_000  # the content really is large


def test_the_largest_cards_are_still_valid_and_say_they_shortened_text():
    appraisal, now = largest()
    view = view_of(replace(appraisal, stage=Stage.DRAFT_WITH_HEADTEACHER), now, Role.HEADTEACHER)
    card = build_step_card(view)
    assert schema_errors(card) == ""
    runs = texts(card, "TextRun")
    assert any("shortened" in t for t in runs)
    verbs = [o.get("data", {}).get("form") for o in walk(card) if o.get("verb") == "show_form"]
    assert {"record_judgements", "record_objectives", "record_arrangements"} <= set(verbs)
    assert "show_evidence" in [o.get("verb") for o in walk(card)]


def test_forms_cut_a_value_longer_than_their_limit_and_say_so():
    appraisal, now = largest()
    view = view_of(replace(appraisal, stage=Stage.MEETING_HELD), now, Role.REVIEWER)
    card = build_step_card(view, "meeting_objectives")
    box = next(o for o in walk(card) if o.get("id") == "objective_1_text")
    assert box["value"] == appraisal.meeting_record.objectives[0].text[: LIMITS["objective_text"]]
    assert any("to fit: check" in t for t in texts(card, "TextRun"))


def test_content_within_the_card_limits_is_never_cut():
    at_caps = LIMITS["objective_criteria"]
    appraisal, now = largest(length=at_caps, objective_text=LIMITS["objective_text"])
    record = replace(
        appraisal.meeting_record,
        judgements=tuple(
            replace(
                j,
                reasons=prose(LIMITS["reasons"]),
                mitigating_circumstances=prose(LIMITS["mitigating"]),
            )
            for j in appraisal.meeting_record.judgements
        ),
    )
    appraisal = replace(appraisal, meeting_record=record, stage=Stage.MEETING_HELD)
    view = view_of(appraisal, now, Role.REVIEWER)
    for step in ("meeting_judgements", "meeting_objectives", "meeting_arrangements"):
        card = build_step_card(view, step)
        assert size(card) <= LIMIT
        assert not any("to fit: check" in t for t in texts(card, "TextRun")), step
        values = [o["value"] for o in walk(card) if o.get("type") == "Input.Text" and "value" in o]
        assert len(values) >= 4 and all(len(v) >= LIMITS["objective_text"] for v in values), step
    for step in ("record_judgements", "record_objectives", "record_arrangements"):
        card = build_step_card(view, step)
        assert size(card) <= LIMIT
        assert not any(t.endswith("…") for t in texts(card, "TextRun")), step
