"""People and the roster: reading people, replacing the roster with an imported one."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from appraisal.ports import Person, RosterChanges, SchoolTeam
from appraisal.roles import SCHOOL_ROLES, Role
from appraisal.roster import RosterEntry
from storage.tables import PersonRow, RoleRow, SchoolRow


async def _people(session: AsyncSession, rows: Sequence[PersonRow]) -> list[Person]:
    ids = [r.id for r in rows]
    roles: dict[int, list[RoleRow]] = defaultdict(list)
    if ids:
        for role in await session.scalars(select(RoleRow).where(RoleRow.person_id.in_(ids))):
            roles[role.person_id].append(role)
    return [
        Person(
            id=r.id,
            name=r.name,
            email=r.email,
            aad_object_id=r.aad_object_id,
            trust_roles=frozenset(Role(x.role) for x in roles[r.id] if x.school_urn is None),
            school_roles=frozenset(
                (Role(x.role), x.school_urn) for x in roles[r.id] if x.school_urn is not None
            ),
        )
        for r in rows
    ]


class SqlPeople:
    """People on the roster."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def _one(self, condition: ColumnElement[bool]) -> Person | None:
        # One query (the person joined to their roles): every turn and action reads a person.
        query = (
            select(
                PersonRow.id,
                PersonRow.name,
                PersonRow.email,
                PersonRow.aad_object_id,
                RoleRow.role,
                RoleRow.school_urn,
            )
            .outerjoin(RoleRow, RoleRow.person_id == PersonRow.id)
            .where(condition)
        )
        rows = (await self._s.execute(query)).all()
        if not rows:
            return None
        held = [(Role(r.role), r.school_urn) for r in rows if r.role is not None]
        return Person(
            id=rows[0].id,
            name=rows[0].name,
            email=rows[0].email,
            aad_object_id=rows[0].aad_object_id,
            trust_roles=frozenset(role for role, urn in held if urn is None),
            school_roles=frozenset((role, urn) for role, urn in held if urn is not None),
        )

    async def get(self, person_id: int) -> Person | None:
        return await self._one(PersonRow.id == person_id)

    async def by_email(self, email: str) -> Person | None:
        return await self._one(PersonRow.email == email.lower())

    async def by_aad_object_id(self, aad_object_id: str) -> Person | None:
        return await self._one(PersonRow.aad_object_id == aad_object_id.lower())

    async def bind_aad_object_id(self, person_id: int, aad_object_id: str) -> None:
        row = await self._s.get(PersonRow, person_id)
        if row is not None:
            row.aad_object_id = aad_object_id.lower()
            await self._s.flush()

    async def names(self, ids: Sequence[int]) -> dict[int, str]:
        if not ids:
            return {}
        rows = await self._s.execute(
            select(PersonRow.id, PersonRow.name).where(PersonRow.id.in_(ids))
        )
        return {row[0]: row[1] for row in rows}

    async def with_trust_role(self, role: Role) -> list[Person]:
        query = (
            select(PersonRow)
            .join(RoleRow, RoleRow.person_id == PersonRow.id)
            .where(RoleRow.role == role.value, RoleRow.school_urn.is_(None))
            .order_by(PersonRow.id)
        )
        return await _people(self._s, list(await self._s.scalars(query)))


class SqlRoster:
    """The roster as a whole."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def is_empty(self) -> bool:
        return (await self._s.scalar(select(PersonRow.id).limit(1))) is None

    async def _sync_schools(self, entries: Sequence[RosterEntry], nation: str) -> tuple[int, int]:
        wanted = {
            e.school_urn: (e.school_name, e.nation or nation) for e in entries if e.school_urn
        }
        existing = {s.urn: s for s in await self._s.scalars(select(SchoolRow))}
        added = updated = 0
        for urn, (name, school_nation) in wanted.items():
            row = existing.get(urn)
            if row is None:
                self._s.add(SchoolRow(urn=urn, name=name, nation=school_nation))
                added += 1
            elif (row.name, row.nation) != (name, school_nation):
                row.name, row.nation = name, school_nation
                updated += 1
        return added, updated

    async def _sync_people(self, entries: Sequence[RosterEntry]) -> tuple[dict[str, int], int, int]:
        rows = list(await self._s.scalars(select(PersonRow)))
        by_email = {r.email: r for r in rows}
        by_aad = {r.aad_object_id: r for r in rows if r.aad_object_id}
        added = updated = 0
        ids: dict[str, PersonRow] = {}
        for e in entries:
            if e.email in ids:
                continue
            # An object id is the surest identity: it follows a person whose email changed.
            row = (by_aad.get(e.aad_object_id) if e.aad_object_id else None) or by_email.get(
                e.email
            )
            if row is None:
                row = PersonRow(name=e.name, email=e.email, aad_object_id=e.aad_object_id)
                self._s.add(row)
                added += 1
            else:
                # A blank object id in the file keeps the one learned when the person first wrote.
                aad = e.aad_object_id or row.aad_object_id
                if (row.name, row.email, row.aad_object_id) != (e.name, e.email, aad):
                    row.name, row.email, row.aad_object_id = e.name, e.email, aad
                    updated += 1
            ids[e.email] = row
        await self._s.flush()
        return {email: row.id for email, row in ids.items()}, added, updated

    async def replace(self, entries: Sequence[RosterEntry], default_nation: str) -> RosterChanges:
        schools_added, schools_updated = await self._sync_schools(entries, default_nation)
        await self._s.flush()
        ids, people_added, people_updated = await self._sync_people(entries)
        wanted = {(ids[e.email], e.role.value, e.school_urn) for e in entries}
        existing = {
            (r.person_id, r.role, r.school_urn): r.id
            for r in await self._s.scalars(select(RoleRow))
        }
        # Added in the file's order: a school's governors are listed in that order.
        ordered = list(dict.fromkeys((ids[e.email], e.role.value, e.school_urn) for e in entries))
        for key in ordered:
            if key not in existing:
                self._s.add(RoleRow(person_id=key[0], role=key[1], school_urn=key[2]))
        stale = [existing[key] for key in existing.keys() - wanted]
        if stale:
            await self._s.execute(delete(RoleRow).where(RoleRow.id.in_(stale)))
        await self._s.flush()
        return RosterChanges(
            schools_added=schools_added,
            schools_updated=schools_updated,
            people_added=people_added,
            people_updated=people_updated,
            roles_added=len(wanted - existing.keys()),
            roles_removed=len(stale),
        )

    async def teams(self) -> list[SchoolTeam]:
        schools = {
            s.urn: s for s in await self._s.scalars(select(SchoolRow).order_by(SchoolRow.urn))
        }
        roles = list(await self._s.scalars(select(RoleRow).where(RoleRow.school_urn.is_not(None))))
        person_rows = list(
            await self._s.scalars(
                select(PersonRow).where(PersonRow.id.in_({r.person_id for r in roles}))
            )
        )
        people = {p.id: p for p in await _people(self._s, person_rows)}
        members: dict[str, dict[Role, Person]] = defaultdict(dict)
        governors: dict[str, list[Person]] = defaultdict(list)
        for r in sorted(roles, key=lambda r: r.id):  # governors in the order they were added
            role = Role(r.role)
            if role is Role.GOVERNOR and r.school_urn is not None:
                governors[r.school_urn].append(people[r.person_id])
            elif role in SCHOOL_ROLES and r.school_urn is not None:
                members[r.school_urn][role] = people[r.person_id]
        return [
            SchoolTeam(urn, s.name, s.nation, members[urn], tuple(governors[urn]))
            for urn, s in schools.items()
            if urn in members or urn in governors
        ]

    async def entries(self) -> list[RosterEntry]:
        """The stored roster as the rows of a file that would import it unchanged."""
        query = (
            select(RoleRow, PersonRow, SchoolRow)
            .join(PersonRow, PersonRow.id == RoleRow.person_id)
            .outerjoin(SchoolRow, SchoolRow.urn == RoleRow.school_urn)
            .order_by(RoleRow.id)
        )
        rows = (await self._s.execute(query)).all()
        return [
            RosterEntry(
                line=n,
                role=Role(role.role),
                name=person.name,
                email=person.email,
                aad_object_id=person.aad_object_id,
                school_urn=school.urn if school else None,
                school_name=school.name if school else None,
                nation=school.nation if school else None,
            )
            for n, (role, person, school) in enumerate(rows, start=2)
        ]


__all__ = ["SqlPeople", "SqlRoster"]
