"""Reading card inputs into domain values, with every problem keyed by its input id.

Teams sends every input value as a string. The messages are ours: they never quote what was typed.
The meeting record comes from three cards; each card's inputs are parsed here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from appraisal.errors import InvalidInput
from appraisal.inputs import card_number, clean_text
from appraisal.policy import MAX_OBJECTIVES, MAX_TEXT
from appraisal.record import (
    PERSONAL_FOCUSES,
    Focus,
    Judgement,
    MeetingRecord,
    Objective,
    Rating,
)
from appraisal.roles import Role

#: Longest text each kind of input takes: all within MAX_TEXT, and sized so every card fits in
#: 28 KB even when every field is full (five objectives, five judgements).
LIMITS = {
    "commentary": 2000,
    "reasons": 1000,
    "mitigating": 800,
    "objective_text": 500,
    "objective_criteria": 1500,
    "cpd_and_support": MAX_TEXT,
    "wellbeing_notes": MAX_TEXT,
    "monitoring": MAX_TEXT,
    "evidence_to_collect": MAX_TEXT,
    "progress_note": 1000,
    "note": MAX_TEXT,
    "comment": MAX_TEXT,
}

#: The meeting record's own fields that the arrangements card collects.
ARRANGEMENTS = (
    "cpd_and_support",
    "wellbeing_discussed",
    "wellbeing_notes",
    "monitoring",
    "evidence_to_collect",
    "mid_year_holder",
    "mid_year_month",
)
_PERSONAL = (
    "At least one objective must be about the headteacher's training and development or their "
    "wellbeing and work-life balance."
)
E = TypeVar("E", bound=StrEnum)


def raw(data: dict[str, Any], key: str, problems: dict[str, str]) -> str:
    """An input's value as stripped text ('' when absent), cleaned as text entering is."""
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        problems.setdefault(key, "This answer is not valid.")
        return ""
    return clean_text(str(value), multiline=True).strip()


def text(
    data: dict[str, Any],
    key: str,
    what: str,
    problems: dict[str, str],
    *,
    limit: int,
    required=True,
) -> str:
    """Free text: present when required, within its limit."""
    value = raw(data, key, problems)
    if required and not value:
        problems.setdefault(key, f"Enter {what}.")
    elif len(value) > limit:
        problems.setdefault(
            key, f"Shorten {what} to {limit:,} characters or fewer (it has {len(value):,})."
        )
    return value


def choice(
    data: dict[str, Any],
    key: str,
    kind: type[E],
    what: str,
    problems: dict[str, str],
    required=True,
) -> Any:
    """One of an enum's values, or None (with a problem when required)."""
    value = raw(data, key, problems)
    if not value:
        if required:
            problems.setdefault(key, f"Choose {what}.")
        return None
    try:
        return kind(value)
    except ValueError:
        problems.setdefault(key, f"Choose {what} from the list.")
        return None


def date_of(data: dict[str, Any], key: str, what: str, problems: dict[str, str]) -> date | None:
    """A date from Input.Date (YYYY-MM-DD)."""
    value = raw(data, key, problems)
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.setdefault(key, f"Choose {what}.")
        return None


def refs_in(data: dict[str, Any], *prefixes: str) -> list[str]:
    """Objective refs named by keys like `rating_O2`, in the objectives' order."""
    pattern = re.compile(rf"^(?:{'|'.join(prefixes)})_([A-Za-z0-9]{{1,12}})$")
    found = {m.group(1) for key in data if (m := pattern.match(str(key)))}
    return sorted(found, key=lambda ref: (len(ref), ref))


def raise_any(problems: dict[str, str]) -> None:
    """Raise InvalidInput with every problem found, if any."""
    if problems:
        raise InvalidInput(problems)


def parse_judgements(
    data: dict[str, Any], previous_objectives: Iterable[Objective]
) -> list[Judgement]:
    """Judgements of every previous objective from `judgement_`, `reasons_`, `mitigating_{ref}`."""
    problems: dict[str, str] = {}
    judgements = []
    for objective in previous_objectives:
        ref = objective.ref
        rating = choice(data, f"judgement_{ref}", Rating, f"a judgement for {ref}", problems)
        reasons = text(
            data,
            f"reasons_{ref}",
            f"the reasons {ref} was not met in full",
            problems,
            limit=LIMITS["reasons"],
            required=rating not in (None, Rating.MET),
        )
        mitigating = text(
            data,
            f"mitigating_{ref}",
            f"the mitigating circumstances for {ref}",
            problems,
            limit=LIMITS["mitigating"],
            required=False,
        )
        if rating is not None:
            judgements.append(Judgement(ref, rating, reasons, mitigating))
    raise_any(problems)
    return judgements


def slot_id(objective: Objective, part: str) -> str:
    """The input id of an objective's part (`text`, `criteria`, `focus`) on the objectives card."""
    found = re.fullmatch(r"O([1-9])", objective.ref)
    return f"objective_{found.group(1) if found else 1}_{part}"


def parse_objectives(data: dict[str, Any]) -> list[Objective]:
    """New objectives from slots `objective_{n}_text|criteria|focus`; blank slots are skipped."""
    problems: dict[str, str] = {}
    objectives = []
    for n in range(1, MAX_OBJECTIVES + 1):
        key = f"objective_{n}"
        if not raw(data, f"{key}_text", problems) and not raw(data, f"{key}_criteria", problems):
            continue
        wording = text(
            data, f"{key}_text", f"objective {n}", problems, limit=LIMITS["objective_text"]
        )
        criteria = text(
            data,
            f"{key}_criteria",
            f"the success criteria for objective {n}",
            problems,
            limit=LIMITS["objective_criteria"],
        )
        focus = choice(data, f"{key}_focus", Focus, f"what objective {n} is about", problems)
        if focus is not None:
            objectives.append(Objective(f"O{n}", wording, criteria, focus))
    if not problems:
        _check_objectives(objectives, problems)
    raise_any(problems)
    return objectives


def _check_objectives(objectives: list[Objective], problems: dict[str, str]) -> None:
    if not objectives:
        problems["objective_1_text"] = "Set at least one objective (usually three)."
    elif len(objectives) > MAX_OBJECTIVES:
        problems["objective_1_text"] = f"Set no more than {MAX_OBJECTIVES} objectives."
    elif not any(o.focus in PERSONAL_FOCUSES for o in objectives):
        problems[slot_id(objectives[0], "focus")] = _PERSONAL


def parse_arrangements(data: dict[str, Any]) -> dict[str, Any]:
    """CPD, wellbeing, monitoring, evidence and the mid-year review, as MeetingRecord fields."""
    problems: dict[str, str] = {}

    def long(key: str, what: str, required: bool = True) -> str:
        return text(data, key, what, problems, limit=LIMITS[key], required=required)

    found: dict[str, Any] = {
        "cpd_and_support": long("cpd_and_support", "the CPD and support needs (or 'None')"),
        "wellbeing_discussed": str(data.get("wellbeing_discussed", "")).lower() == "true",
        "wellbeing_notes": long("wellbeing_notes", "the notes on wellbeing", required=False),
        "monitoring": long("monitoring", "how progress will be monitored"),
        "evidence_to_collect": long("evidence_to_collect", "the evidence to be collected"),
    }
    if not found["wellbeing_discussed"]:
        problems["wellbeing_discussed"] = "Confirm that workload and wellbeing were discussed."
    holder = raw(data, "mid_year_holder", problems)
    if holder not in (Role.REVIEWER.value, Role.GOVERNOR.value):
        problems.setdefault("mid_year_holder", "Choose who holds the mid-year review.")
    month = card_number(data.get("mid_year_month"), 2, 3)
    if month is None:
        problems.setdefault("mid_year_month", "Choose February or March.")
    raise_any(problems)
    return {**found, "mid_year_holder": Role(holder), "mid_year_month": month}


def meeting_record_from(
    judgements: list[Judgement], objectives: list[Objective], arrangements: dict[str, Any]
) -> MeetingRecord:
    """The meeting record from the three cards' parsed parts, or InvalidInput by input id."""
    problems: dict[str, str] = {}
    _check_objectives(list(objectives), problems)
    for key in ARRANGEMENTS:
        if key not in arrangements:
            problems[key] = "This answer is missing; fill in the arrangements again."
    if arrangements.get("wellbeing_discussed") is False:
        problems["wellbeing_discussed"] = "Confirm that workload and wellbeing were discussed."
    raise_any(problems)
    return MeetingRecord(
        judgements=tuple(judgements),
        objectives=tuple(objectives),
        **{key: arrangements[key] for key in ARRANGEMENTS},
    )
