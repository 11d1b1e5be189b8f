"""The largest card a step can show: every text field at its limit, every message shown.

The content is the card tests' own worst case (`tests/support/views.py`, which
`tests/cards/test_size.py` checks), so the benchmark and the size test measure the same thing.
"""

from __future__ import annotations

import json

from appraisal.policy import MAX_TEXT
from tests.support.cards import walk
from tests.support.views import every_card, full_draft, largest


def largest_step_card() -> tuple[str, int]:
    """The name (stage/role/step) and size in bytes of the largest step card."""
    appraisal, now = largest()
    draft = {"draft": full_draft(MAX_TEXT)}
    ids = {
        o["id"] for _, card in every_card(appraisal, now, **draft) for o in walk(card) if "id" in o
    }
    problems = dict.fromkeys(ids, "Shorten this to fit the limit shown.")
    sizes = {
        name: len(json.dumps(card).encode())
        for extra in (draft, {**draft, "problems": problems})
        for name, card in every_card(appraisal, now, **extra)
    }
    name = max(sizes, key=sizes.__getitem__)
    return name, sizes[name]
