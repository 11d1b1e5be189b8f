"""The frame every step card shares: notice, title, school, people, deadline, evidence, refresh."""

from __future__ import annotations

import json
from typing import Any

from microsoft_teams.cards import ActionSet, CardElement, Container, RefreshDefinition

from appraisal.record import EvidenceItem
from appraisal.roles import Role
from appraisal.status import OwedStep
from appraisal.text import long_date
from appraisal.visibility import Visibility
from cards.common import card, due_phrase, execute, heading, run, runs, text
from cards.pages.base import MEETING_FORMS, CardBuild, Page, section, subtle
from cards.status import owed_sentence

#: Largest card JSON we send (Teams refuses messages over about 28 KB; leave room for the rest).
BUDGET = 26_000
#: Most evidence items one card lists.
EVIDENCE_SHOWN = 30


def size_of(built: dict[str, Any]) -> int:
    """The card's size in bytes as it is sent."""
    return len(json.dumps(built).encode())


def file_size(size: int) -> str:
    """'340 KB' or '2.4 MB'."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


def evidence_item(c: CardBuild, item: EvidenceItem) -> Container:
    """One evidence item: title, kind, objective and size, and a button for a copy."""
    parts = [item.kind.label]
    if item.objective_ref:
        parts.append(f"for {item.objective_ref}")
    if item.size:
        parts.append(file_size(item.size))
    items: list[CardElement] = [
        runs(run(f"{item.ref} ", weight="Bolder"), run(c.show(item.title), weight="Bolder")),
        subtle(" · ".join(parts), spacing="None"),
    ]
    if item.sha256:  # an item with no stored file has nothing to copy
        button = c.link("Get a copy", "send_evidence", evidence_ref=item.ref)
        items.append(ActionSet(actions=[button], spacing="Small"))
    return Container(items=items, spacing="Small")


def evidence_list(c: CardBuild) -> list[CardElement]:
    """Every evidence item (up to EVIDENCE_SHOWN), each with its 'Get a copy' button."""
    items = c.appraisal.evidence
    shown: list[CardElement] = [evidence_item(c, item) for item in items[:EVIDENCE_SHOWN]]
    if len(items) > EVIDENCE_SHOWN:
        shown.append(subtle(f"Showing the first {EVIDENCE_SHOWN} of {len(items)} items."))
    return shown


def _evidence(c: CardBuild) -> list[CardElement]:
    items = c.appraisal.evidence
    if c.view.visibility is not Visibility.FULL or not items:
        return []
    count = f"{len(items)} item{'s' if len(items) != 1 else ''}"
    if c.fit.evidence and len(items) <= EVIDENCE_SHOWN:
        return [section(f"Evidence ({count})", evidence_list(c))]
    more = ActionSet(actions=[c.link("See the evidence", "show_evidence")])
    return [section("Evidence", [text(f"{count} attached."), more])]


def owed_line(c: CardBuild, step: OwedStep, lead: str) -> CardElement:
    """'Please respond by Friday 7 November' for the viewer; who owes it otherwise."""
    o = step.obligation
    mine = o.person_id == c.view.viewer_id
    phrase = f"{lead} {due_phrase(o.due_on, step.working_days_late)}"
    if not mine:
        phrase = owed_sentence(step, c.view.viewer_id)
    elif not step.open and o.opens_on is not None:
        phrase = f"Opens on {long_date(o.opens_on)}. {phrase}"
    return text(
        phrase,
        color="Attention" if step.overdue else "Default",
        weight="Bolder" if mine else "Default",
        spacing="Small",
    )


def _deadlines(c: CardBuild, page: Page) -> list[CardElement]:
    owed = [s for s in c.view.owed if page.all_owed or s.obligation.action in page.owed]
    if not page.all_owed:
        owed = owed[:1]
    return [owed_line(c, step, page.lead) for step in owed]


def _people(c: CardBuild) -> CardElement:
    a, view = c.appraisal, c.view
    who = [
        ("Headteacher", view.holders(Role.HEADTEACHER)),
        ("Reviewer", view.holders(Role.REVIEWER)),
        ("Governors" if len(a.governor_ids) > 1 else "Governor", view.holders(Role.GOVERNOR)),
    ]
    parts = [f"{label}: {names}" for label, names in who if names]
    if not a.governor_ids:
        parts.append("No appointed governor yet")
    return subtle(" · ".join(parts), spacing="None")


def _top(c: CardBuild) -> list[CardElement]:
    view, out = c.view, []
    if view.notice:
        out.append(Container(items=[text(view.notice, weight="Bolder")], style="emphasis"))
    general = list(dict.fromkeys(m for k, m in view.problems.items() if k not in c.placed))
    if len(general) > 5:
        general = [*general[:4], f"And {len(general) - 4} more things to check."]
    if general:
        lines = [text(msg, color="Attention", weight="Bolder") for msg in general]
        out.append(Container(items=lines, style="attention"))
    return out


def _refresh(c: CardBuild) -> RefreshDefinition | None:
    if not c.view.viewer_teams_id:
        return None
    data: dict[str, Any] = {"appraisal_id": c.appraisal.id}
    if c.step in MEETING_FORMS:
        data["form"] = c.step
    return RefreshDefinition(
        action=execute("Refresh", "refresh", data), user_ids=[c.view.viewer_teams_id][:60]
    )


def assemble(c: CardBuild, page: Page) -> dict[str, Any]:
    """The finished card: the frame around a builder's page."""
    a = c.appraisal
    evidence = _evidence(c) if page.evidence else []
    body: list[CardElement] = [
        *_top(c),
        heading(page.title),
        runs(run(a.school_name, weight="Bolder"), run(f" · {a.academic_year}"), spacing="None"),
        _people(c),
        *page.context,
        *_deadlines(c, page),
    ]
    if c.shortened:
        body.append(subtle("Some long entries are shortened on this card (they end with …)."))
    body += page.body + evidence
    return card(body, page.actions, summary=page.summary, refresh=_refresh(c))
