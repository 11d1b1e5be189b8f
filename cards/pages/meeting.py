"""The meeting record over three cards: judgements, new objectives, support and arrangements."""

from __future__ import annotations

from microsoft_teams.cards import CardElement, Container

from appraisal.record import Focus, Rating
from appraisal.roles import Role
from appraisal.stages import Action
from cards.common import text
from cards.fields import LIMITS
from cards.pages.base import (
    MEETING_FORMS,
    PART_OF_FORM,
    CardBuild,
    Page,
    choice_input,
    field_line,
    subtle,
    text_input,
    toggle_input,
)
from cards.pages.record import evidence_refs, objective_heading

RATINGS = [(r.value, r.label) for r in Rating]
FOCUSES = [(f.value, f.label) for f in Focus]
OWED = (Action.RECORD_MEETING, Action.SUBMIT_DRAFT)


def forms(c: CardBuild) -> list[str]:
    """The meeting cards this appraisal needs (no judgements in a first cycle)."""
    return list(MEETING_FORMS[1:] if c.appraisal.is_first_cycle else MEETING_FORMS)


def _frame(c: CardBuild, title: str, body: list[CardElement], save) -> Page:
    steps = forms(c)
    n = steps.index(c.step)
    a = c.appraisal
    actions = [save]
    if n > 0:
        actions.append(c.nav("Back", steps[n - 1]))
    elif a.meeting_record is not None:
        actions.append(c.nav("Back to the draft", "submit_draft"))
    context = [text(f"Meeting record {n + 1} of {len(steps)}", weight="Bolder", color="Accent")]
    if a.meeting_at:
        context.append(subtle(f"Meeting held on {c.day(a.meeting_at)}."))
    return Page(
        title=title,
        summary=f"{a.school_name}: record the meeting ({n + 1} of {len(steps)})",
        body=body,
        actions=actions,
        context=context,
        owed=OWED,
    )


def _prefill(c: CardBuild, input_id: str, saved: str) -> str:
    """The draft's value for an input, else what the recorded meeting says."""
    drafted = c.drafted(PART_OF_FORM[c.step], input_id)
    return saved if drafted is None else drafted


def meeting_judgements(c: CardBuild) -> Page:
    """One block per previous objective: judgement, reasons, mitigating circumstances."""
    a = c.appraisal
    record = a.meeting_record
    judged = {j.objective_ref: j for j in record.judgements} if record else {}
    own = {e.objective_ref: e for e in a.self_evaluations}
    blocks: list[CardElement] = []
    for o in a.previous_objectives:
        j, mine = judged.get(o.ref), own.get(o.ref)
        reference = [
            objective_heading(c, o),
            field_line(c, "Success criteria", o.success_criteria),
        ]
        if mine is None:
            reference.append(subtle("The headteacher did not self-evaluate this objective."))
        else:
            reference.append(field_line(c, "Headteacher's self-evaluation", mine.rating.label))
            if mine.commentary:
                reference.append(text(c.show(mine.commentary), is_subtle=True, spacing="None"))
        reference.append(evidence_refs(c, o.ref))
        inputs = [
            *choice_input(
                c,
                f"judgement_{o.ref}",
                f"Judgement on {o.ref}",
                RATINGS,
                default=_prefill(c, f"judgement_{o.ref}", j.rating.value if j else ""),
                required=True,
                error=f"Choose a judgement for {o.ref}.",
            ),
            *text_input(
                c,
                f"reasons_{o.ref}",
                "Reasons (needed unless met)",
                limit=LIMITS["reasons"],
                default=_prefill(c, f"reasons_{o.ref}", j.reasons if j else ""),
                placeholder="Why it was partially met or not met",
            ),
            *text_input(
                c,
                f"mitigating_{o.ref}",
                "Valid mitigating circumstances (optional)",
                limit=LIMITS["mitigating"],
                default=_prefill(c, f"mitigating_{o.ref}", j.mitigating_circumstances if j else ""),
                placeholder="For example, long-term staff absence",
            ),
        ]
        blocks.append(Container(items=reference + inputs, separator=True, spacing="Medium"))
    body = [
        text(
            "Judge each of last year's objectives: met, partially met or not met. Give reasons "
            "when it was not met in full, and any valid mitigating circumstances."
        ),
        *blocks,
    ]
    save = c.button("Save and continue", "save_judgements", style="positive")
    return _frame(c, "Record the meeting: last year's objectives", body, save)


def _slot(c: CardBuild, n: int) -> Container:
    record = c.appraisal.meeting_record
    held = record.objectives[n - 1] if record and n <= len(record.objectives) else None
    key = f"objective_{n}"
    required = n == 1
    return Container(
        items=[
            text(f"Objective {n}" + ("" if required else " (optional)"), weight="Bolder"),
            *text_input(
                c,
                f"{key}_text",
                f"Objective {n}",
                limit=LIMITS["objective_text"],
                default=_prefill(c, f"{key}_text", held.text if held else ""),
                required=required,
                error="Enter the first objective.",
                placeholder="What the headteacher will achieve",
            ),
            *text_input(
                c,
                f"{key}_criteria",
                f"Success criteria for objective {n}",
                limit=LIMITS["objective_criteria"],
                default=_prefill(c, f"{key}_criteria", held.success_criteria if held else ""),
                required=required,
                error="Enter the success criteria.",
                placeholder="How you will both know it has been achieved",
            ),
            *choice_input(
                c,
                f"{key}_focus",
                f"Objective {n} is about",
                FOCUSES,
                default=_prefill(c, f"{key}_focus", held.focus.value if held else ""),
                required=required,
                error="Choose what the objective is about.",
                expanded=False,
                placeholder="Choose one",
            ),
        ],
        separator=True,
        spacing="Medium",
    )


def meeting_objectives(c: CardBuild) -> Page:
    """Five objective slots: the first required, the rest optional."""
    body: list[CardElement] = [
        Container(
            items=[
                text(
                    "Usually three objectives. At least one must be about the headteacher's "
                    "training and professional development, or their wellbeing and work-life "
                    "balance.",
                    weight="Bolder",
                )
            ],
            style="emphasis",
        ),
        *(_slot(c, n) for n in range(1, 6)),
    ]
    save = c.button("Save and continue", "save_objectives", style="positive")
    return _frame(c, f"Record the meeting: objectives for {c.appraisal.academic_year}", body, save)


def meeting_arrangements(c: CardBuild) -> Page:
    """CPD and support, wellbeing, monitoring, evidence, and who holds the mid-year review."""
    a = c.appraisal
    record = a.meeting_record

    def long(input_id: str, label: str, placeholder: str, required: bool = True):
        saved = str(getattr(record, input_id)) if record else ""
        return text_input(
            c,
            input_id,
            label,
            limit=LIMITS[input_id],
            default=_prefill(c, input_id, saved),
            required=required,
            error="This is needed for the record.",
            placeholder=placeholder,
        )

    discussed = _prefill(
        c, "wellbeing_discussed", "true" if record and record.wellbeing_discussed else "false"
    )
    holders = [
        (Role.REVIEWER.value, "The reviewer"),
        (Role.GOVERNOR.value, "The appointed governor"),
    ]
    body = [
        *long(
            "cpd_and_support", "CPD and support", "Training, coaching or support agreed, or 'None'"
        ),
        *toggle_input(
            c,
            "wellbeing_discussed",
            "Workload and wellbeing",
            "Workload and wellbeing were discussed",
            default=discussed == "true",
            error="Confirm that workload and wellbeing were discussed.",
        ),
        *long("wellbeing_notes", "Wellbeing notes (optional)", "Anything agreed", required=False),
        *long("monitoring", "How progress will be monitored", "For example, termly check-ins"),
        *long("evidence_to_collect", "Evidence to collect", "What will show progress"),
        *choice_input(
            c,
            "mid_year_holder",
            "Who holds the mid-year review",
            holders,
            default=_prefill(c, "mid_year_holder", record.mid_year_holder.value if record else ""),
            required=True,
            error="Choose who holds the mid-year review.",
        ),
        *choice_input(
            c,
            "mid_year_month",
            "Month of the mid-year review",
            [("2", "February"), ("3", "March")],
            default=_prefill(c, "mid_year_month", str(record.mid_year_month) if record else ""),
            required=True,
            error="Choose February or March.",
        ),
        subtle(
            "Saving records the meeting. You then send the draft to the headteacher, within "
            "five working days of the meeting.",
            spacing="Medium",
        ),
    ]
    save = c.button("Save the meeting record", Action.RECORD_MEETING.value, style="positive")
    return _frame(c, "Record the meeting: support and arrangements", body, save)
