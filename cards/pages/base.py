"""What every step card is built with: the view, the text budget, buttons and inputs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from microsoft_teams.cards import (
    ActionSet,
    AdaptiveCard,
    CardElement,
    Choice,
    ChoiceSetInput,
    Container,
    DateInput,
    ExecuteAction,
    RichTextBlock,
    ShowCardAction,
    TextInput,
    TimeInput,
    ToggleInput,
)

from appraisal.model import Appraisal
from appraisal.stages import Action
from appraisal.text import long_date
from cards.common import execute, run, runs, text
from cards.views import StepView

#: Steps whose inputs the meeting record is made of, in order.
MEETING_FORMS = ("meeting_judgements", "meeting_objectives", "meeting_arrangements")
#: The draft part each meeting form saves.
PART_OF_FORM = dict(zip(MEETING_FORMS, ("judgements", "objectives", "arrangements"), strict=True))


@dataclass(frozen=True)
class Fit:
    """How much a card may show: a cap on long read-only text, and the evidence list or a link."""

    cap: int | None = None
    evidence: bool = True


@dataclass
class Page:
    """What a step builder returns; the frame adds the title block, deadline and evidence."""

    title: str
    summary: str
    body: list[CardElement]
    actions: list[Any] = field(default_factory=list)
    context: list[CardElement] = field(default_factory=list)
    owed: tuple[Action, ...] = ()
    lead: str = "Due"
    all_owed: bool = False
    evidence: bool = True


class CardBuild:
    """One card being built: the view, its step, the fit, and the inputs placed so far."""

    def __init__(self, view: StepView, step: str, fit: Fit) -> None:
        self.view = view
        self.step = step
        self.fit = fit
        self.placed: set[str] = set()
        self.shortened = False

    @property
    def appraisal(self) -> Appraisal:
        """The appraisal shown."""
        return self.view.appraisal

    def show(self, value: str) -> str:
        """Long read-only text, cut to the fit's cap (noted so the card can say so)."""
        cap = self.fit.cap
        if cap is None or len(value) <= cap:
            return value
        self.shortened = True
        return value[:cap].rstrip() + "…"

    def day(self, moment: datetime | None) -> str:
        """A stored moment as a UK date in the trust's time zone."""
        return long_date(moment.astimezone(self.view.tz).date()) if moment else ""

    def today(self) -> date:
        """Today in the trust's time zone."""
        return self.view.now.astimezone(self.view.tz).date()

    def data(self, **extra: Any) -> dict[str, Any]:
        """Button data: the appraisal and the version shown, plus anything else."""
        return {"appraisal_id": self.appraisal.id, "version": self.appraisal.version, **extra}

    def button(self, title: str, verb: str, *, style: str | None = None, **extra: Any):
        """A button that sends this card's inputs with `verb`."""
        return execute(title, verb, self.data(**extra), style=style)

    def link(self, title: str, verb: str, **extra: Any) -> ExecuteAction:
        """A button that sends no inputs (so required inputs do not block it)."""
        return execute(title, verb, self.data(**extra), associated_inputs="none")

    def nav(self, title: str, form: str) -> ExecuteAction:
        """A button that shows another step card."""
        return self.link(title, "show_form", form=form)

    def value(self, input_id: str, default: str = "") -> str:
        """What an input shows: what was sent last time if refused, else the default."""
        sent = self.view.values.get(input_id)
        if isinstance(sent, str | int) and not isinstance(sent, bool):
            return str(sent)
        return default

    def drafted(self, part: str, input_id: str) -> str | None:
        """An input's value saved in the multi-card draft, if any."""
        saved = self.view.draft.get(part)
        found = saved.get(input_id) if isinstance(saved, dict) else None
        return str(found) if isinstance(found, str | int) and not isinstance(found, bool) else None


def field_line(c: CardBuild, label: str, value: str) -> RichTextBlock:
    """'Label: value' with the value shown literally (and cut to the fit)."""
    return runs(run(f"{label}: ", weight="Bolder"), run(c.show(value)))


def subtle(value: str, **kw: Any) -> RichTextBlock:
    """A quieter line of our own text."""
    return text(value, is_subtle=True, **kw)


def section(title: str, items: list[CardElement]) -> Container:
    """A titled block separated from what comes before."""
    return Container(
        items=[text(title, weight="Bolder", size="Medium"), *items],
        separator=True,
        spacing="Medium",
    )


def _placed(c: CardBuild, input_id: str, element: CardElement, note: str = "") -> list[CardElement]:
    c.placed.add(input_id)
    out = [element]
    if note:
        out.append(text(note, color="Warning", spacing="None"))
    problem = c.view.problems.get(input_id)
    if problem:
        out.append(text(problem, color="Attention", weight="Bolder", spacing="None"))
    return out


def _required(required: bool, error: str | None) -> dict[str, Any]:
    return {"is_required": True, "error_message": error or "This is needed."} if required else {}


def text_input(
    c: CardBuild,
    input_id: str,
    label: str,
    *,
    limit: int,
    default: str = "",
    required: bool = False,
    error: str | None = None,
    placeholder: str = "",
    multiline: bool = True,
) -> list[CardElement]:
    """A labelled text box; a value longer than the limit is cut, with a note saying so."""
    value, note = c.value(input_id, default), ""
    if len(value) > limit:
        value = value[:limit]
        note = f"Cut to {limit:,} characters to fit: check its end."
    box = TextInput(
        id=input_id,
        label=label,
        value=value or None,
        max_length=limit,
        is_multiline=multiline or None,
        placeholder=placeholder or None,
        **_required(required, error),
    )
    return _placed(c, input_id, box, note)


def date_input(
    c: CardBuild,
    input_id: str,
    label: str,
    *,
    default: str = "",
    error: str,
    earliest: date | None = None,
    latest: date | None = None,
) -> list[CardElement]:
    """A required date picker (Teams sends YYYY-MM-DD)."""
    picker = DateInput(
        id=input_id,
        label=label,
        value=c.value(input_id, default) or None,
        min=earliest.isoformat() if earliest else None,
        max=latest.isoformat() if latest else None,
        **_required(True, error),
    )
    return _placed(c, input_id, picker)


def time_input(
    c: CardBuild, input_id: str, label: str, *, default: str = "", error: str
) -> list[CardElement]:
    """A required time picker (Teams sends HH:MM)."""
    picker = TimeInput(
        id=input_id,
        label=label,
        value=c.value(input_id, default) or None,
        **_required(True, error),
    )
    return _placed(c, input_id, picker)


def choice_input(
    c: CardBuild,
    input_id: str,
    label: str,
    options: Sequence[tuple[str, str]],
    *,
    default: str = "",
    required: bool = False,
    error: str | None = None,
    expanded: bool = True,
    placeholder: str = "",
) -> list[CardElement]:
    """A labelled choice of our own values and titles (radio buttons, or a list)."""
    value = c.value(input_id, default)
    known = {v for v, _ in options}
    chooser = ChoiceSetInput(
        id=input_id,
        label=label,
        choices=[Choice(title=title, value=v) for v, title in options],
        value=value if value in known else None,
        style="expanded" if expanded else "compact",
        wrap=True,
        placeholder=placeholder or None,
        **_required(required, error),
    )
    return _placed(c, input_id, chooser)


def toggle_input(
    c: CardBuild, input_id: str, label: str, title: str, *, default: bool, error: str
) -> list[CardElement]:
    """A required yes/no switch: sends 'true' or 'false'."""
    value = c.value(input_id, "true" if default else "false")
    switch = ToggleInput(
        id=input_id,
        label=label,
        title=title,
        value="true" if value == "true" else "false",
        value_on="true",
        value_off="false",
        wrap=True,
        **_required(True, error),
    )
    return _placed(c, input_id, switch)


def fold(
    c: CardBuild, title: str, items: list[CardElement], actions: list[Any], input_ids: Sequence[str]
) -> tuple[list[CardElement], list[Any]]:
    """A secondary form: behind a button, or open in the body when its inputs need correcting."""
    if any(i in c.view.problems for i in input_ids):
        return [section(title, [*items, ActionSet(actions=actions)])], []
    return [], [ShowCardAction(title=title, card=AdaptiveCard(body=items, actions=actions))]
