"""Reading and filling Adaptive Cards the way Teams does when a button is pressed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def all_executes(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Action.Execute on the card, in order (several may share a verb)."""
    return [node for node in _walk(card) if node.get("type") == "Action.Execute"]


def executes(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every Action.Execute on the card (including inside Action.ShowCard), by verb."""
    found: dict[str, dict[str, Any]] = {}
    for node in _walk(card):
        if node.get("type") == "Action.Execute":
            found.setdefault(node["verb"], node)
    return found


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every input on the card, by id."""
    return {n["id"]: n for n in _walk(card) if str(n.get("type", "")).startswith("Input.")}


def text_of(card: dict[str, Any]) -> str:
    """All visible text of a card, for assertions."""
    parts = []
    for node in _walk(card):
        for key in ("text", "title", "label", "value", "placeholder"):
            if isinstance(node.get(key), str):
                parts.append(node[key])
    return "\n".join(parts)


def press(card: dict[str, Any], verb: str, **typed: Any) -> tuple[str, dict[str, Any]]:
    """The verb and data Teams sends when `verb`'s button is pressed after typing `typed`.

    Every input's current value is sent (its `value`, or "" when empty), with the typed values
    on top; typing into an input the card does not have is a test error.
    """
    buttons = executes(card)
    assert verb in buttons, f"no {verb!r} button on the card; it has {sorted(buttons)}"
    fields = inputs(card)
    unknown = set(typed) - set(fields)
    assert not unknown, f"the card has no inputs {sorted(unknown)}; it has {sorted(fields)}"
    values = {key: str(node.get("value", "")) for key, node in fields.items()}
    for key, value in typed.items():
        values[key] = value if isinstance(value, str) else json.dumps(value)
    return verb, {**values, **(buttons[verb].get("data") or {})}
