"""What a person may see of an appraisal: by role and stage, part by part (one table).

`visibility` says how much at all: the full record, its status only, or nothing. `SEES` says
which parts of it, at which stages, for each role; `redact` gives the appraisal with every
other part emptied, and every card is built from that, so a card cannot show what the
table does not allow (DESIGN.md, "People and what they may see").
"""

from __future__ import annotations

from dataclasses import replace
from enum import Enum, StrEnum

from appraisal.model import Appraisal
from appraisal.roles import Role
from appraisal.stages import Stage


class Visibility(Enum):
    """How much of an appraisal a person may see."""

    FULL = "full"
    STATUS = "status"
    NONE = "none"


#: Roles that see objectives, evaluations and evidence (DESIGN.md, "People and what they may see").
_FULL_ROLES = frozenset({Role.HEADTEACHER, Role.REVIEWER, Role.DCEO, Role.GOVERNOR, Role.ADVISER})


def visibility(roles_on_appraisal: frozenset[Role]) -> Visibility:
    """Visibility for someone holding these roles on one appraisal (see `model.roles_on`)."""
    if roles_on_appraisal & _FULL_ROLES:
        return Visibility.FULL
    if Role.ADMIN in roles_on_appraisal:
        return Visibility.STATUS
    return Visibility.NONE


class Part(StrEnum):
    """A part of an appraisal that the table shows to some people at some stages."""

    STATUS = "status"  # the stage, the dates, who takes part and who owes what
    PRE_READING = "pre_reading"  # the trust's pre-reading pack
    PREVIOUS_OBJECTIVES = "previous_objectives"  # last year's objectives
    SELF_EVALUATION = "self_evaluation"  # the headteacher's ratings and commentary
    EVIDENCE = "evidence"  # the evidence items and their files
    MEETING_RECORD = "meeting_record"  # judgements, new objectives, support (draft, then final)
    CHANGE_REQUESTS = "change_requests"  # what the headteacher asked to change in the draft
    MID_YEAR_REVIEW = "mid_year_review"  # the mid-year review, once recorded


ALL_STAGES = frozenset(Stage)
#: From the meeting on: the record exists, first as the reviewer's draft.
AFTER_MEETING = frozenset(
    {
        Stage.MEETING_HELD,
        Stage.DRAFT_WITH_HEADTEACHER,
        Stage.CHANGES_REQUESTED,
        Stage.APPROVED,
        Stage.FINAL_ISSUED,
        Stage.SHARED,
        Stage.MID_YEAR_DUE,
        Stage.COMPLETE,
    }
)
#: Once the headteacher has shared the final record with the governors.
SHARED = frozenset({Stage.SHARED, Stage.MID_YEAR_DUE, Stage.COMPLETE})
#: While the draft is being agreed: after approval the requests are no longer shown to anyone.
AGREEING_DRAFT = frozenset({Stage.DRAFT_WITH_HEADTEACHER, Stage.CHANGES_REQUESTED})

_H, _R, _D, _G, _X, _A = (
    Role.HEADTEACHER,
    Role.REVIEWER,
    Role.DCEO,
    Role.GOVERNOR,
    Role.ADVISER,
    Role.ADMIN,
)
_BEFORE_MEETING_MATERIAL = {_H: ALL_STAGES, _R: ALL_STAGES, _D: ALL_STAGES, _G: ALL_STAGES}
_BEFORE_MEETING_MATERIAL[_X] = ALL_STAGES

#: Who sees each part, at which stages. The README shows this table; a test keeps them in step.
#: The governors (and an external adviser) see what the meeting is prepared from; the draft
#: and the change requests stay between the headteacher, the reviewer and the DCEO; the
#: final record reaches the governors when the headteacher shares it.
SEES: dict[Part, dict[Role, frozenset[Stage]]] = {
    Part.STATUS: dict.fromkeys((_H, _R, _D, _G, _X, _A), ALL_STAGES),
    Part.PRE_READING: dict(_BEFORE_MEETING_MATERIAL),
    Part.PREVIOUS_OBJECTIVES: dict(_BEFORE_MEETING_MATERIAL),
    Part.SELF_EVALUATION: dict(_BEFORE_MEETING_MATERIAL),
    Part.EVIDENCE: dict(_BEFORE_MEETING_MATERIAL),
    Part.MEETING_RECORD: {_H: AFTER_MEETING, _R: AFTER_MEETING, _D: AFTER_MEETING, _G: SHARED}
    | {_X: SHARED},
    Part.CHANGE_REQUESTS: {_H: AGREEING_DRAFT, _R: AGREEING_DRAFT, _D: AGREEING_DRAFT},
    Part.MID_YEAR_REVIEW: dict.fromkeys((_H, _R, _D, _G, _X), SHARED),
}


def parts_seen(roles: frozenset[Role], stage: Stage) -> frozenset[Part]:
    """The parts someone holding these roles on an appraisal sees at this stage."""
    return frozenset(
        part for part, by_role in SEES.items() if any(stage in by_role.get(r, ()) for r in roles)
    )


def redact(appraisal: Appraisal, roles: frozenset[Role]) -> Appraisal:
    """The appraisal with every part these roles may not see now left empty (for cards)."""
    shown = parts_seen(roles, appraisal.stage)
    hidden: dict[str, object] = {}
    if Part.PREVIOUS_OBJECTIVES not in shown:
        hidden["previous_objectives"] = ()
    if Part.SELF_EVALUATION not in shown:
        hidden["self_evaluations"] = ()
    if Part.EVIDENCE not in shown:
        hidden["evidence"] = ()
    if Part.MEETING_RECORD not in shown:
        hidden["meeting_record"] = None
    if Part.CHANGE_REQUESTS not in shown:
        hidden["change_requests"] = ()
    if Part.MID_YEAR_REVIEW not in shown:
        hidden["mid_year_review"] = None
    return replace(appraisal, **hidden) if hidden else appraisal


#: How the README's table names each set of stages.
_WHEN = {
    ALL_STAGES: "always",
    AFTER_MEETING: "from the meeting",
    SHARED: "once shared",
    AGREEING_DRAFT: "while the draft is agreed",
}
_PART_NAMES = {
    Part.STATUS: "stage, dates, who owes what",
    Part.PRE_READING: "the pre-reading pack",
    Part.PREVIOUS_OBJECTIVES: "last year's objectives",
    Part.SELF_EVALUATION: "the headteacher's self-evaluation",
    Part.EVIDENCE: "evidence",
    Part.MEETING_RECORD: "the meeting record (draft, then final)",
    Part.CHANGE_REQUESTS: "the headteacher's change requests",
    Part.MID_YEAR_REVIEW: "the mid-year review",
}


def _when(stages: frozenset[Stage]) -> str:
    if not stages:
        return "—"
    return _WHEN.get(stages) or ", ".join(s.label for s in Stage if s in stages)


def markdown_table() -> str:
    """`SEES` as the README shows it: one row per part, one column per role."""
    roles = (_H, _R, _D, _G, _X, _A)
    lines = [
        "| | " + " | ".join(r.label for r in roles) + " |",
        "|---" * (len(roles) + 1) + "|",
    ]
    for part, by_role in SEES.items():
        cells = [_when(by_role.get(r, frozenset())) for r in roles]
        lines.append(f"| {_PART_NAMES[part]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
