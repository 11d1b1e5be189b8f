"""The record read-only: last year's objectives and self-evaluations, the meeting, the mid-year."""

from __future__ import annotations

from microsoft_teams.cards import ActionSet, CardElement, Container

from appraisal.record import MeetingRecord, Objective
from appraisal.text import long_date
from appraisal.visibility import Part
from cards.common import run, runs, text
from cards.pages.base import CardBuild, field_line, section, subtle

MONTHS = {2: "February", 3: "March"}
#: Steps that show one part of the record in full, with what they show.
RECORD_PARTS = {
    "record_judgements": "Last year's objectives",
    "record_objectives": "The new objectives",
    "record_arrangements": "Support and arrangements",
}


def objective_heading(c: CardBuild, objective: Objective) -> CardElement:
    """'O1 Improve reading at KS1.' with the objective's text shown literally."""
    return runs(run(f"{objective.ref} ", weight="Bolder"), run(c.show(objective.text)))


def evidence_refs(c: CardBuild, ref: str) -> CardElement:
    """Which evidence items are for one previous objective."""
    refs = [e.ref for e in c.appraisal.evidence if e.objective_ref == ref]
    if not refs:
        return subtle("No evidence attached to this objective.", spacing="Small")
    return subtle(f"Evidence: {', '.join(refs)}.", spacing="Small")


def _block(items: list[CardElement]) -> Container:
    return Container(items=items, separator=True, spacing="Medium")


def previous_and_self(c: CardBuild) -> list[CardElement]:
    """Last year's objectives with the headteacher's self-evaluation of each."""
    a = c.appraisal
    if a.is_first_cycle:
        return [section("Last year's objectives", [text("This is the headteacher's first cycle.")])]
    rated = {e.objective_ref: e for e in a.self_evaluations}
    blocks = []
    for o in a.previous_objectives:
        items = [objective_heading(c, o), field_line(c, "Success criteria", o.success_criteria)]
        own = rated.get(o.ref)
        if own is None:
            items.append(subtle("Not yet self-evaluated."))
        else:
            items.append(field_line(c, "Self-evaluation", own.rating.label))
            if own.commentary:
                items.append(text(c.show(own.commentary), spacing="None"))
        blocks.append(_block(items))
    return [section("Last year's objectives", blocks)]


def judgements(c: CardBuild, record: MeetingRecord, with_self: bool = False) -> list[CardElement]:
    """The meeting's judgement of each previous objective (with the self-evaluation, if asked)."""
    if not record.judgements:
        return []
    previous = {o.ref: o for o in c.appraisal.previous_objectives}
    rated = {e.objective_ref: e for e in c.appraisal.self_evaluations} if with_self else {}
    blocks = []
    for j in record.judgements:
        o = previous.get(j.objective_ref)
        items = [objective_heading(c, o)] if o else [text(j.objective_ref, weight="Bolder")]
        if o and with_self:
            items.append(field_line(c, "Success criteria", o.success_criteria))
        own = rated.get(j.objective_ref)
        if own is not None:
            items.append(field_line(c, "Self-evaluation", own.rating.label))
            if own.commentary:
                items.append(text(c.show(own.commentary), is_subtle=True, spacing="None"))
        items.append(field_line(c, "Judgement", j.rating.label))
        if j.reasons:
            items.append(field_line(c, "Reasons", j.reasons))
        if j.mitigating_circumstances:
            items.append(field_line(c, "Mitigating circumstances", j.mitigating_circumstances))
        blocks.append(_block(items))
    return [section("Last year's objectives", blocks)]


def objectives(c: CardBuild, record: MeetingRecord) -> list[CardElement]:
    """The new objectives, each with its focus and success criteria."""
    blocks = [
        _block(
            [
                objective_heading(c, o),
                subtle(o.focus.label, spacing="None"),
                field_line(c, "Success criteria", o.success_criteria),
            ]
        )
        for o in record.objectives
    ]
    return [section(f"Objectives for {c.appraisal.academic_year}", blocks)]


def arrangements(c: CardBuild, record: MeetingRecord) -> list[CardElement]:
    """CPD and support, wellbeing, monitoring, evidence and the mid-year review."""
    view = c.view
    holder = record.mid_year_holder.label
    if view.holders(record.mid_year_holder):
        holder = f"{view.holders(record.mid_year_holder)} ({holder})"
    items = [
        field_line(c, "CPD and support", record.cpd_and_support),
        field_line(
            c, "Workload and wellbeing discussed", "Yes" if record.wellbeing_discussed else "No"
        ),
    ]
    if record.wellbeing_notes:
        items.append(field_line(c, "Wellbeing notes", record.wellbeing_notes))
    items += [
        field_line(c, "Monitoring", record.monitoring),
        field_line(c, "Evidence to collect", record.evidence_to_collect),
        field_line(
            c,
            "Mid-year review",
            f"held by {holder} in {MONTHS.get(record.mid_year_month, '?')}",
        ),
    ]
    return [section("Support and arrangements", items)]


def change_requests(c: CardBuild) -> list[CardElement]:
    """The headteacher's requests for changes, newest first."""
    requests = c.appraisal.change_requests
    if not requests:
        return []
    items = [field_line(c, f"Asked on {c.day(r.at)}", r.comment) for r in reversed(requests)]
    return [section("Changes the headteacher asked for", items)]


def mid_year(c: CardBuild) -> list[CardElement]:
    """The mid-year review, once recorded."""
    review, record = c.appraisal.mid_year_review, c.appraisal.meeting_record
    if review is None or record is None:
        return []
    texts = {o.ref: o for o in record.objectives}
    items: list[CardElement] = [text(f"Held on {long_date(review.held_on)}.")]
    for p in review.progress:
        o = texts.get(p.objective_ref)
        block = [objective_heading(c, o)] if o else [text(p.objective_ref, weight="Bolder")]
        block.append(field_line(c, "Progress", p.progress.label))
        if p.note:
            block.append(text(c.show(p.note), spacing="None"))
        items.append(_block(block))
    if review.note:
        items.append(field_line(c, "Note", review.note))
    return [section("Mid-year review", items)]


def not_shown_yet(c: CardBuild) -> list[CardElement]:
    """In place of a record that exists but this viewer does not see yet (or nothing)."""
    if c.appraisal.meeting_recorded_at is None or Part.MEETING_RECORD in c.view.parts:
        return [text("The meeting has not been recorded yet.")]
    return [
        text(
            "The record stays between the headteacher, the reviewer and the DCEO while it is "
            "drafted and agreed. The headteacher shares the final record with the appointed "
            "governors."
        )
    ]


def meeting_record(c: CardBuild, with_self: bool = False) -> list[CardElement]:
    """The whole meeting record: judgements, objectives, arrangements."""
    record = c.appraisal.meeting_record
    if record is None:
        return not_shown_yet(c)
    return [*judgements(c, record, with_self), *objectives(c, record), *arrangements(c, record)]


def part(c: CardBuild, step: str) -> list[CardElement]:
    """One part of the meeting record (for reading it in full)."""
    record = c.appraisal.meeting_record
    if record is None:
        return not_shown_yet(c)
    if step == "record_judgements":
        return judgements(c, record) or [text("There were no objectives from last year.")]
    if step == "record_objectives":
        return objectives(c, record)
    return arrangements(c, record)


def read_in_full(c: CardBuild) -> list[CardElement]:
    """Buttons to read each part of the record in full, when this card had to shorten some."""
    if not c.shortened or c.appraisal.meeting_record is None:
        return []
    buttons = [c.nav(f"{title} in full", step) for step, title in RECORD_PARTS.items()]
    return [
        subtle("Read any part in full:", spacing="Medium"),
        ActionSet(actions=buttons),
    ]
