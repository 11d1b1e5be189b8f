"""`roster assign`: the stored roster with one school's role given to the people named."""

from __future__ import annotations

from dataclasses import replace

from appraisal.errors import DomainError
from appraisal.inputs import clean_text
from appraisal.roles import SCHOOL_ROLES, Role
from appraisal.roster import MAX_GOVERNORS, RosterEntry, RosterRejected, check_entries, is_email


class AssignmentRefused(DomainError):
    """The assignment was refused; nothing was changed."""


def _refuse(message: str) -> AssignmentRefused:
    return AssignmentRefused(f"{message} Nothing was changed.")


def plan_assignment(
    current: list[RosterEntry], urn: str, role: Role, emails: list[str], name: str | None
) -> list[RosterEntry]:
    """The roster rows after naming `emails` as the holders of `role` at school `urn`.

    Everyone named must be on the roster already, unless `name` is given for one new person.
    The result passes every check an imported file must pass.
    """
    if role not in SCHOOL_ROLES:
        raise _refuse(f"{role.label} is not a role held for one school.")
    school = next((e for e in current if e.school_urn == urn), None)
    if school is None:
        raise _refuse(f"School {urn} is not on the roster. Import a roster that names it.")
    wanted = list(dict.fromkeys(e.strip().lower() for e in emails if e.strip()))
    most = MAX_GOVERNORS if role is Role.GOVERNOR else 1
    if not 1 <= len(wanted) <= most:
        count = "one to three people" if role is Role.GOVERNOR else "one person"
        raise _refuse(f"A school's {role.label} is {count}; {len(wanted)} given.")
    people = {e.email: e for e in current}
    rows = [e for e in current if not (e.school_urn == urn and e.role is role)]
    line = max((e.line for e in current), default=1)
    for email in wanted:
        if not is_email(email):
            raise _refuse(f"'{email}' is not an email address.")
        known = people.get(email)
        if known is None and (name is None or len(wanted) > 1):
            raise _refuse(f"{email} is not on the roster: give --name to add them.")
        held = next((e for e in rows if e.school_urn == urn and e.email == email), None)
        if held is not None:
            raise _refuse(
                f"{email} is the {held.role.label} of school {urn}; one person cannot also be "
                f"its {role.label}."
            )
        line += 1
        rows.append(
            RosterEntry(
                line=line,
                role=role,
                name=known.name if known else clean_text(name or "", multiline=True).strip(),
                email=email,
                aad_object_id=known.aad_object_id if known else None,
                school_urn=urn,
                school_name=school.school_name,
                nation=school.nation,
            )
        )
    try:
        check_entries(rows)
    except RosterRejected as rejected:
        # The stored roster has no lines of its own: say what is wrong, not where.
        reasons = "; ".join(p.message.split(" (line")[0] for p in rejected.problems)
        raise _refuse(f"The roster would not be valid: {reasons}.") from None
    return [replace(e, line=n) for n, e in enumerate(rows, start=2)]
