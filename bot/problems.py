"""Turning the domain's field names into the card input ids where the messages belong."""

from __future__ import annotations

import re

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^meeting_at$"), "meeting_date"),
    (re.compile(r"^objectives\[(\d+)\]\.text$"), "objective_{n1}_text"),
    (re.compile(r"^objectives\[(\d+)\]\.success_criteria$"), "objective_{n1}_criteria"),
    (re.compile(r"^objectives$"), "objective_1_text"),
    (re.compile(r"^judgements\.(\w+)$"), "judgement_{ref}"),
    (re.compile(r"^progress\.(\w+)$"), "progress_{ref}"),
)


def to_inputs(problems: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Problems keyed by input id where one is known, and the rest as general messages."""
    by_input: dict[str, str] = {}
    general: list[str] = []
    for field, message in problems.items():
        for pattern, template in _PATTERNS:
            found = pattern.match(field)
            if found:
                group = found.group(1) if found.groups() else ""
                n1 = str(int(group) + 1) if group.isdigit() else ""
                by_input.setdefault(template.format(n1=n1, ref=group), message)
                break
        else:
            if re.fullmatch(r"[a-z_]+(_[A-Za-z0-9]+)?", field):
                by_input.setdefault(field, message)
            else:
                general.append(message)
    return by_input, general
