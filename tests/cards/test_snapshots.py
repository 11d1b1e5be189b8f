"""Each step card's JSON for a fixed view, compared with its committed snapshot.

Write or refresh the snapshots deliberately with `UPDATE_SNAPSHOTS=1 pytest tests/cards`; a
missing or different snapshot fails, and CI (CI=true) never writes them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from appraisal.roles import Role
from appraisal.stages import Stage
from cards.router import STEPS, build_step_card, permitted
from tests.support.views import view_at

SNAPSHOTS = Path(__file__).parent / "snapshots"
H, R, G = Role.HEADTEACHER, Role.REVIEWER, Role.GOVERNOR

#: step -> (stage, role, view options); the step is asked for by name.
CASES = {
    "propose_date": (Stage.AWAITING_DATE, R, {}),
    "confirm_date": (Stage.DATE_PROPOSED, H, {}),
    "accept_date": (Stage.DATE_COUNTER_PROPOSED, R, {}),
    "confirm_availability": (Stage.AWAITING_GOVERNOR, G, {}),
    "send_pre_reading": (Stage.PREPARATION, R, {"before_pre_reading": True}),
    "pre_reading_pack": (Stage.PREPARATION, H, {}),
    "self_evaluate": (Stage.AWAITING_DATE, H, {}),
    "meeting_judgements": (Stage.PREPARATION, R, {}),
    "meeting_objectives": (Stage.PREPARATION, R, {"draft": {"judgements": {"x": "y"}}}),
    "meeting_arrangements": (Stage.MEETING_HELD, R, {}),
    "submit_draft": (Stage.CHANGES_REQUESTED, R, {}),
    "approve": (Stage.DRAFT_WITH_HEADTEACHER, H, {}),
    "issue_final": (Stage.APPROVED, R, {}),
    "share_with_governor": (Stage.FINAL_ISSUED, H, {}),
    "acknowledge": (Stage.SHARED, G, {}),
    "record_mid_year": (Stage.MID_YEAR_DUE, R, {}),
    "record": (Stage.COMPLETE, G, {}),
    "summary": (Stage.DRAFT_WITH_HEADTEACHER, Role.ADMIN, {}),
    "record_judgements": (Stage.COMPLETE, H, {}),
    "record_objectives": (Stage.COMPLETE, H, {}),
    "record_arrangements": (Stage.COMPLETE, H, {}),
}
#: Extra snapshots: a first cycle, and a card shown again with problems.
VARIANTS = {
    "first_cycle_meeting_objectives": (Stage.PREPARATION, R, {"first_cycle": True}),
    "approve_with_problems": (
        Stage.DRAFT_WITH_HEADTEACHER,
        H,
        {
            "notice": "Please check the highlighted answers.",
            "problems": {"comment": "Say what you would like changed."},
            "values": {"comment": "  "},
        },
    ),
}


def updating() -> bool:
    """True only when asked to write snapshots, and never in CI."""
    return os.environ.get("UPDATE_SNAPSHOTS") == "1" and os.environ.get("CI") != "true"


def check(name: str, card: dict) -> None:
    """Compare with the stored snapshot (or write it, when updating)."""
    path = SNAPSHOTS / f"{name}.json"
    rendered = json.dumps(card, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if updating():
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}: run UPDATE_SNAPSHOTS=1 pytest tests/cards"
    assert rendered == path.read_text(encoding="utf-8"), f"{name} differs from its snapshot"


def test_every_step_has_a_snapshot_case():
    assert set(CASES) == STEPS


@pytest.mark.parametrize("step", sorted(CASES))
def test_step_card_matches_its_snapshot(step):
    stage, role, options = CASES[step]
    view = view_at(stage, role, **options)
    assert permitted(view, step)
    check(step, build_step_card(view, step))


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_matches_its_snapshot(name):
    stage, role, options = VARIANTS[name]
    check(name, build_step_card(view_at(stage, role, **options)))


def test_no_stale_snapshots():
    names = set(CASES) | set(VARIANTS)
    assert {p.stem for p in SNAPSHOTS.glob("*.json")} == names
