"""What a person may see of an appraisal: the full record, its status only, or nothing."""

from __future__ import annotations

from enum import Enum

from appraisal.roles import Role


class Visibility(Enum):
    """How much of an appraisal a person may see."""

    FULL = "full"
    STATUS = "status"
    NONE = "none"


#: Roles that see objectives, evaluations and evidence (DESIGN.md, "People and what they may see").
_FULL_ROLES = frozenset({Role.HEADTEACHER, Role.REVIEWER, Role.DCEO, Role.GOVERNOR, Role.ADVISER})


def visibility(roles_on_appraisal: frozenset[Role]) -> Visibility:
    """Visibility for someone holding these roles on one appraisal (see `model.roles_on`)."""
    if roles_on_appraisal & _FULL_ROLES:
        return Visibility.FULL
    if Role.ADMIN in roles_on_appraisal:
        return Visibility.STATUS
    return Visibility.NONE
