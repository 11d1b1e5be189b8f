"""The rules a meeting record and a mid-year review must satisfy."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from appraisal.policy import MAX_OBJECTIVES
from appraisal.record import (
    PERSONAL_FOCUSES,
    MeetingRecord,
    MidYearReview,
    Objective,
    Rating,
)
from appraisal.roles import Role
from appraisal.text import long_date
from appraisal.validation import Problems

MID_YEAR_HOLDERS = frozenset({Role.REVIEWER, Role.GOVERNOR})
MID_YEAR_MONTHS = frozenset({2, 3})


def _check_judgements(record: MeetingRecord, previous: tuple[Objective, ...], problems: Problems):
    known = [o.ref for o in previous]
    judged: dict[str, int] = {}
    cleaned = []
    for n, judgement in enumerate(record.judgements):
        field = f"judgements[{n}]"
        if judgement.objective_ref not in known:
            problems.add(f"{field}.objective_ref", "That is not one of last year's objectives.")
            continue
        if judgement.objective_ref in judged:
            problems.add(f"{field}.objective_ref", "Each of last year's objectives is judged once.")
        judged[judgement.objective_ref] = n
        reasons = problems.text(
            f"{field}.reasons",
            judgement.reasons,
            "the reasons it was not fully met",
            required=judgement.rating is not Rating.MET,
        )
        mitigating = problems.text(
            f"{field}.mitigating_circumstances",
            judgement.mitigating_circumstances,
            "the mitigating circumstances",
            required=False,
        )
        cleaned.append(replace(judgement, reasons=reasons, mitigating_circumstances=mitigating))
    for ref in known:
        if ref not in judged:
            problems.add(f"judgements.{ref}", f"Judge last year's objective {ref}.")
    return tuple(sorted(cleaned, key=lambda j: known.index(j.objective_ref)))


def _check_objectives(record: MeetingRecord, problems: Problems) -> tuple[Objective, ...]:
    count = len(record.objectives)
    if not 1 <= count <= MAX_OBJECTIVES:
        problems.add(
            "objectives", f"Set between 1 and {MAX_OBJECTIVES} objectives (usually three)."
        )
    cleaned = []
    for n, objective in enumerate(record.objectives):
        text = problems.text(f"objectives[{n}].text", objective.text, f"objective {n + 1}")
        criteria = problems.text(
            f"objectives[{n}].success_criteria",
            objective.success_criteria,
            f"the success criteria for objective {n + 1}",
        )
        cleaned.append(Objective(f"O{n + 1}", text, criteria, objective.focus))
    if count and not any(o.focus in PERSONAL_FOCUSES for o in record.objectives):
        problems.add(
            "objectives",
            "At least one objective must be about the headteacher's training and development or "
            "their wellbeing and work-life balance. Mark one as such.",
        )
    return tuple(cleaned)


def check_meeting_record(record: MeetingRecord, previous: tuple[Objective, ...]) -> MeetingRecord:
    """The record trimmed, objectives numbered O1..; or InvalidInput listing every problem."""
    problems = Problems()
    judgements = _check_judgements(record, previous, problems)
    objectives = _check_objectives(record, problems)
    cpd = problems.text(
        "cpd_and_support",
        record.cpd_and_support,
        "the CPD and support needs (or 'None identified')",
    )
    if not record.wellbeing_discussed:
        problems.add(
            "wellbeing_discussed",
            "The procedure asks that workload and wellbeing are discussed; confirm that they were.",
        )
    wellbeing = problems.text(
        "wellbeing_notes", record.wellbeing_notes, "notes on wellbeing", required=False
    )
    monitoring = problems.text("monitoring", record.monitoring, "how progress will be monitored")
    evidence = problems.text(
        "evidence_to_collect", record.evidence_to_collect, "the evidence to be collected"
    )
    if record.mid_year_holder not in MID_YEAR_HOLDERS:
        problems.add(
            "mid_year_holder", "Choose the reviewer or the governor to hold the mid-year review."
        )
    if record.mid_year_month not in MID_YEAR_MONTHS:
        problems.add("mid_year_month", "The mid-year review is held in February or March.")
    problems.raise_if_any()
    return replace(
        record,
        judgements=judgements,
        objectives=objectives,
        cpd_and_support=cpd,
        wellbeing_notes=wellbeing,
        monitoring=monitoring,
        evidence_to_collect=evidence,
    )


def check_mid_year(
    review: MidYearReview, objectives: tuple[Objective, ...], earliest: date, today: date
) -> MidYearReview:
    """A mid-year review covers each objective once and was held between the meeting and today."""
    problems = Problems()
    known = [o.ref for o in objectives]
    if not earliest <= review.held_on <= today:
        problems.add(
            "held_on",
            f"Give the date the review was held, between {long_date(earliest)} and today.",
        )
    seen: set[str] = set()
    cleaned = []
    for n, item in enumerate(review.progress):
        if item.objective_ref not in known or item.objective_ref in seen:
            problems.add(f"progress[{n}].objective_ref", "Record progress once for each objective.")
            continue
        seen.add(item.objective_ref)
        note = problems.text(f"progress[{n}].note", item.note, "the note", required=False)
        cleaned.append(replace(item, note=note))
    for ref in known:
        if ref not in seen:
            problems.add(f"progress.{ref}", f"Record progress on objective {ref}.")
    note = problems.text("note", review.note, "the note", required=False)
    problems.raise_if_any()
    return replace(
        review,
        progress=tuple(sorted(cleaned, key=lambda p: known.index(p.objective_ref))),
        note=note,
    )
