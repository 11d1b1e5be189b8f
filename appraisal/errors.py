"""Errors the domain raises; each carries a message fit to show the person who acted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    """Base of every refusal; `message` is safe to show and never quotes confidential text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The appraisal or person does not exist (or the person may not know it exists)."""


class ActionNotAllowed(DomainError):
    """The action does not apply at this stage, or this person may not take it."""


class InvalidInput(DomainError):
    """The action's data is wrong; `problems` maps each field to what is wrong with it."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__(" ".join(self.problems.values()))


class ConcurrencyConflict(DomainError):
    """Someone else changed the appraisal first; `current` is where it stands now."""

    def __init__(self, current: Any) -> None:
        self.current = current
        stage = getattr(getattr(current, "stage", None), "label", "its current stage")
        super().__init__(
            f"This appraisal changed while you were working on it; it now stands at: {stage}."
        )
