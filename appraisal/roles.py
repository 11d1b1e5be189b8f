"""The roles people hold in the cycle."""

from enum import StrEnum


class Role(StrEnum):
    """A role in the trust or on one appraisal."""

    HEADTEACHER = "headteacher"
    REVIEWER = "reviewer"
    DCEO = "dceo"
    GOVERNOR = "governor"
    ADVISER = "adviser"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """The role as people say it."""
        return _LABELS[self]


_LABELS = {
    Role.HEADTEACHER: "headteacher",
    Role.REVIEWER: "reviewer",
    Role.DCEO: "DCEO",
    Role.GOVERNOR: "appointed governor",
    Role.ADVISER: "external adviser",
    Role.ADMIN: "trust administrator",
}

#: Roles held for one school (the roster names the school); the others are trust-wide.
SCHOOL_ROLES = frozenset({Role.HEADTEACHER, Role.REVIEWER, Role.GOVERNOR, Role.ADVISER})
TRUST_ROLES = frozenset({Role.DCEO, Role.ADMIN})
