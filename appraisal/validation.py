"""Collecting field problems so a person sees every one at once, not the first only."""

from __future__ import annotations

import re

from appraisal.errors import InvalidInput
from appraisal.policy import MAX_TEXT

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class Problems:
    """Field -> message, raised together as one InvalidInput."""

    def __init__(self) -> None:
        self._found: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        """Note a problem with a field (the first message per field wins)."""
        self._found.setdefault(field, message)

    def text(
        self, field: str, value: str, what: str, *, required: bool = True, limit: int = MAX_TEXT
    ) -> str:
        """Check free text: present when required, within the limit; returns it stripped."""
        cleaned = value.strip()
        if required and not cleaned:
            self.add(field, f"Enter {what}.")
        elif len(cleaned) > limit:
            self.add(
                field, f"Shorten {what} to {limit} characters or fewer (it has {len(cleaned)})."
            )
        return cleaned

    def raise_if_any(self) -> None:
        """Raise InvalidInput with everything found."""
        if self._found:
            raise InvalidInput(self._found)


def is_sha256(value: str) -> bool:
    """True for a lower-case hex SHA-256 digest."""
    return bool(_SHA256.match(value))
