"""Reading a roster CSV: every problem found, each with its line number as in the file."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from appraisal.errors import DomainError
from appraisal.inputs import clean_text, has_control, is_object_id
from appraisal.roles import SCHOOL_ROLES, Role

COLUMNS = ("school_urn", "school_name", "role", "name", "email", "aad_object_id")
OPTIONAL_COLUMNS = ("nation",)
NATIONS = ("england", "wales", "scotland", "northern_ireland")
DEFAULT_NATION = "england"
#: A school has one headteacher, reviewer and adviser, and one to this many appointed governors.
MAX_GOVERNORS = 3
#: The school roles the DCEO may not hold where, no reviewer being named, the DCEO reviews.
_DCEO_CONFLICTS = frozenset({Role.HEADTEACHER, Role.GOVERNOR, Role.ADVISER})

_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}$")
_URN = re.compile(r"[0-9]{5,8}")
#: The longest each text column may be: what the store keeps (both stores alike).
LONGEST = {"school_name": 200, "name": 200, "email": 320}


@dataclass(frozen=True)
class RosterEntry:
    """One valid roster row."""

    line: int
    role: Role
    name: str
    email: str
    aad_object_id: str | None
    school_urn: str | None
    school_name: str | None
    nation: str | None


@dataclass(frozen=True)
class RosterProblem:
    """One problem, at a line of the file (the header is line 1)."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class RosterRejected(DomainError):
    """The roster was refused whole; nothing was written."""

    def __init__(self, problems: list[RosterProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: p.line)
        count = len(self.problems)
        super().__init__(
            f"The roster was not imported: {count} problem{'s' if count != 1 else ''} found; "
            "nothing was changed."
        )


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _header(row: list[str]) -> tuple[list[str], list[str]]:
    names = [c.strip().lower() for c in row]
    problems = []
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    unknown = [c for c in names if c not in COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        problems.append(f"unknown column(s): {', '.join(unknown)}")
    repeated = sorted({c for c in names if names.count(c) > 1})
    if repeated:
        problems.append(f"repeated column(s): {', '.join(repeated)}")
    if problems:
        problems.append(f"the header must be: {','.join(COLUMNS)}")
    return names, problems


def _unfit(values: dict[str, str | None]) -> list[str]:
    """What is wrong with any column's text as such: a control character, or its length."""
    found = []
    for column, value in values.items():
        if not value:
            continue
        if has_control(value, multiline=True):  # a quoted CSV field may hold line breaks
            # Not quoted back: a NUL or an escape sequence would garble the message.
            found.append(f"the {column} contains a control character (such as NUL); remove it")
        elif len(value) > LONGEST.get(column, len(value)):
            found.append(f"the {column} is longer than {LONGEST[column]} characters")
    return found


def _entry(line: int, row: dict[str, str], out: list[RosterProblem]) -> RosterEntry | None:
    def bad(message: str) -> None:
        out.append(RosterProblem(line, message))

    unfit = _unfit(dict(row))
    if unfit:
        out.extend(RosterProblem(line, message) for message in unfit)
        return None
    before = len(out)
    raw_role = row["role"].lower()
    role = Role(raw_role) if raw_role in set(Role) else None
    if role is None:
        bad(f"unknown role '{row['role']}'; use one of: {', '.join(r.value for r in Role)}")
    name = clean_text(row["name"], multiline=True).strip()  # shown to others: no overrides
    if not name:
        bad("the name is missing")
    email = row["email"].lower()
    if not _EMAIL.match(email):
        bad(f"malformed email '{row['email']}'")
    aad = row["aad_object_id"] or None
    if aad is not None and not is_object_id(aad):
        bad(f"aad_object_id '{aad}' is not an Entra object id (a GUID)")
    urn = row["school_urn"] or None
    school = clean_text(row["school_name"], multiline=True).strip() or None
    nation = row.get("nation", "").lower().replace(" ", "_") or None
    if role in SCHOOL_ROLES:
        if urn is None or school is None:
            bad(f"{_article(role.value)} {role.value} row needs school_urn and school_name")
        elif not _URN.fullmatch(urn):
            bad(f"school_urn '{urn}' is not a school URN (digits only)")
        if nation is not None and nation not in NATIONS:
            bad(f"unknown nation '{row['nation']}'; use one of: {', '.join(NATIONS)}")
    elif role is not None and (urn or school or nation):
        bad(
            f"{_article(role.value)} {role.value} row leaves school_urn, school_name "
            "and nation blank"
        )
    if len(out) > before:
        return None
    assert role is not None
    return RosterEntry(line, role, name, email, aad.lower() if aad else None, urn, school, nation)


def _words(n: int) -> str:
    return ("no", "one", "two", "three", "four", "five")[n] if 0 <= n <= 5 else str(n)


def _school_checks(
    e: RosterEntry,
    names: dict[str, RosterEntry],
    holders: dict[tuple[str, Role], list[RosterEntry]],
    held: dict[tuple[str, str], RosterEntry],
    out: list[RosterProblem],
) -> None:
    """One name per school; room left for the role; one school role per person per school."""
    urn = e.school_urn
    assert urn is not None
    first = names.setdefault(urn, e)
    if (first.school_name, first.nation) != (e.school_name, e.nation):
        out.append(
            RosterProblem(e.line, f"school {urn} has another name or nation on line {first.line}")
        )
    others = holders.setdefault((urn, e.role), [])
    if e.role is not Role.GOVERNOR and others:
        out.append(
            RosterProblem(
                e.line,
                f"school {urn} already has "
                f"{_article(e.role.value)} {e.role.value} (line {others[0].line})",
            )
        )
    elif len(others) >= MAX_GOVERNORS:
        lines = ", ".join(str(o.line) for o in others)
        most = _words(MAX_GOVERNORS)
        out.append(
            RosterProblem(
                e.line,
                f"school {urn} already has {most} {e.role.label}s (lines {lines}); "
                f"a school has at most {most}",
            )
        )
    else:
        others.append(e)
    prior = held.setdefault((urn, e.email), e)
    if prior is not e:  # never the same role: that row would repeat an earlier one
        out.append(
            RosterProblem(
                e.line,
                f"{e.email} is already the {prior.role.label} of school {urn} "
                f"(line {prior.line}); one person cannot be both {prior.role.label} "
                f"and {e.role.label} of one school",
            )
        )


def _dceo_checks(entries: list[RosterEntry], out: list[RosterProblem]) -> None:
    """The DCEO reviews every school that names no reviewer, so holds no other role there."""
    dceos = {e.email for e in entries if e.role is Role.DCEO}
    reviewed = {e.school_urn for e in entries if e.role is Role.REVIEWER}
    for e in entries:
        if e.role in _DCEO_CONFLICTS and e.email in dceos and e.school_urn not in reviewed:
            out.append(
                RosterProblem(
                    e.line,
                    f"school {e.school_urn} names no reviewer, so the DCEO reviews it; "
                    f"{e.email} cannot also be its {e.role.label}",
                )
            )


def _cross_check(entries: list[RosterEntry], out: list[RosterProblem]) -> None:
    school_name: dict[str, RosterEntry] = {}
    holders: dict[tuple[str, Role], list[RosterEntry]] = {}
    held: dict[tuple[str, str], RosterEntry] = {}
    by_email: dict[str, RosterEntry] = {}
    by_aad: dict[str, RosterEntry] = {}
    seen: dict[tuple[str | None, Role, str], RosterEntry] = {}
    for e in entries:
        key = (e.school_urn, e.role, e.email)
        if key in seen:
            out.append(RosterProblem(e.line, f"repeats line {seen[key].line}"))
            continue
        seen[key] = e
        if e.school_urn is not None:
            _school_checks(e, school_name, holders, held, out)
        first = by_email.setdefault(e.email, e)
        if first.name != e.name or first.aad_object_id != e.aad_object_id:
            out.append(
                RosterProblem(
                    e.line, f"{e.email} has a different name or aad_object_id on line {first.line}"
                )
            )
        if e.aad_object_id:
            owner = by_aad.setdefault(e.aad_object_id, e)
            if owner.email != e.email:
                out.append(
                    RosterProblem(
                        e.line,
                        f"aad_object_id is already given to {owner.email} (line {owner.line})",
                    )
                )
    _dceo_checks(list(seen.values()), out)


def is_email(text: str) -> bool:
    """True when `text` looks like an email address, as the roster requires."""
    return bool(_EMAIL.match(text))


def check_entries(entries: list[RosterEntry]) -> None:
    """RosterRejected listing every problem of a roster built in code (as the file is checked)."""
    problems: list[RosterProblem] = []
    for e in entries:
        fields = {"name": e.name, "email": e.email, "aad_object_id": e.aad_object_id}
        fields |= {"school_urn": e.school_urn, "school_name": e.school_name, "nation": e.nation}
        problems += [RosterProblem(e.line, message) for message in _unfit(fields)]
    _cross_check(entries, problems)
    if problems:
        raise RosterRejected(problems)


def parse_roster(text: str) -> list[RosterEntry]:
    """The roster's rows, or RosterRejected listing every problem with its line number."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise RosterRejected([RosterProblem(1, f"not a readable CSV file ({exc})")]) from None
    if not header:
        raise RosterRejected([RosterProblem(1, f"the file is empty; expected {','.join(COLUMNS)}")])
    names, header_problems = _header(header)
    if header_problems:
        raise RosterRejected([RosterProblem(1, "; ".join(header_problems))])
    problems: list[RosterProblem] = []
    entries: list[RosterEntry] = []
    last_line = reader.line_num
    try:
        for row in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                problems.append(
                    RosterProblem(line, f"has {len(row)} values; expected {len(names)}")
                )
                continue
            entry = _entry(line, {k: v.strip() for k, v in zip(names, row, strict=True)}, problems)
            if entry is not None:
                entries.append(entry)
    except csv.Error as exc:
        problems.append(RosterProblem(last_line + 1, f"cannot be read as CSV ({exc})"))
    _cross_check(entries, problems)
    if not entries and not problems:
        problems.append(RosterProblem(2, "the file has no rows after the header"))
    if problems:
        raise RosterRejected(problems)
    return entries
