"""Appraisal rows: columns for what is queried, a JSON record for the rest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, bindparam, case, delete, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from appraisal.model import Appraisal, AuditEvent
from appraisal.ports import Schedule, StaleVersion
from appraisal.record import Objective
from appraisal.stages import Stage
from storage.codec import from_json, to_json
from storage.tables import AppraisalGovernorRow, AppraisalRow, AuditRow, SchoolRow

#: Fields kept in their own columns; everything else of an Appraisal lives in `record`.
_COLUMNS = (
    "school_urn",
    "year",
    "nation",
    "headteacher_id",
    "reviewer_id",
    "adviser_id",
    "led_by_rel",
    "stage",
    "version",
    "opened_at",
    "stage_entered_at",
    "meeting_at",
)
_NOT_STORED = ("id", "school_name")


def _columns(appraisal: Appraisal) -> dict[str, Any]:
    values = {name: getattr(appraisal, name) for name in _COLUMNS}
    values["stage"] = appraisal.stage.value
    encoded = to_json(appraisal)
    values["record"] = {
        k: v for k, v in encoded.items() if k not in _COLUMNS and k not in _NOT_STORED
    }
    return values


def _row(appraisal: Appraisal, schedule: Schedule) -> dict[str, Any]:
    return {
        **_columns(appraisal),
        "next_due_on": schedule.next_due_on,
        "nudges_from": schedule.nudges_from,
    }


def _appraisal(row: Any, school_name: str) -> Appraisal:
    data = dict(row.record)
    data.update({name: getattr(row, name) for name in _COLUMNS})
    data.update(id=row.id, school_name=school_name)
    return from_json(Appraisal, data)


_READ = (
    AppraisalRow.id,
    *(getattr(AppraisalRow, name) for name in _COLUMNS),
    AppraisalRow.record,
)


def _select() -> Select[Any]:
    # Plain rows, not ORM objects: appraisals are read far more than written, and the nudge
    # job reads thousands at once; nothing is written back through these rows.
    return select(*_READ, SchoolRow.name.label("school_name")).join(
        SchoolRow, SchoolRow.urn == AppraisalRow.school_urn
    )


class SqlAppraisals:
    """Appraisals, with optimistic concurrency on `version`."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def _all(self, query: Select[Any]) -> list[Appraisal]:
        rows = await self._s.execute(query.order_by(AppraisalRow.year, AppraisalRow.school_urn))
        return [_appraisal(row, row.school_name) for row in rows]

    async def get(self, appraisal_id: int) -> Appraisal | None:
        found = (await self._s.execute(_select().where(AppraisalRow.id == appraisal_id))).first()
        return _appraisal(found, found.school_name) if found else None

    async def add(self, appraisal: Appraisal, schedule: Schedule) -> Appraisal:
        row = AppraisalRow(**_row(appraisal, schedule))
        self._s.add(row)
        await self._s.flush()
        await self.set_governors(row.id, appraisal.governor_ids)
        return _appraisal(row, appraisal.school_name)

    async def add_many(self, scheduled: Sequence[tuple[Appraisal, Schedule]]) -> None:
        """Store many new appraisals (bulk loads; their ids are the store's)."""
        if not scheduled:
            return
        ids = await self._s.scalars(
            insert(AppraisalRow.__table__).returning(AppraisalRow.id, sort_by_parameter_order=True),
            [_row(a, s) for a, s in scheduled],
        )
        links = [
            {"appraisal_id": i, "person_id": g}
            for i, (a, _) in zip(ids, scheduled, strict=True)
            for g in a.governor_ids
        ]
        if links:
            await self._s.execute(insert(AppraisalGovernorRow.__table__), links)

    async def set_governors(self, appraisal_id: int, governor_ids: Sequence[int]) -> None:
        """Index the appraisal under exactly these governors (its record holds the same ids)."""
        await self._s.execute(
            delete(AppraisalGovernorRow).where(AppraisalGovernorRow.appraisal_id == appraisal_id)
        )
        if governor_ids:
            await self._s.execute(
                insert(AppraisalGovernorRow.__table__),
                [{"appraisal_id": appraisal_id, "person_id": g} for g in governor_ids],
            )

    async def update(self, appraisal: Appraisal, expected_version: int, schedule: Schedule) -> None:
        result = await self._s.execute(
            update(AppraisalRow)
            .where(AppraisalRow.id == appraisal.id, AppraisalRow.version == expected_version)
            .values(**_row(appraisal, schedule))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleVersion(appraisal.id)

    async def exists(self, school_urn: str, year: int) -> bool:
        query = select(AppraisalRow.id).where(
            AppraisalRow.school_urn == school_urn, AppraisalRow.year == year
        )
        return (await self._s.scalar(query)) is not None

    async def objectives_of(
        self, headteacher_id: int, school_urn: str, year: int
    ) -> tuple[Objective, ...]:
        # Same school first; a headteacher who moved school brings their objectives with them.
        query = (
            _select()
            .where(AppraisalRow.headteacher_id == headteacher_id, AppraisalRow.year == year)
            .order_by(case((AppraisalRow.school_urn == school_urn, 0), else_=1), AppraisalRow.id)
        )
        for row in await self._s.execute(query):
            record = _appraisal(row, row.school_name).meeting_record
            if record is not None:
                return record.objectives
        return ()

    async def list(self, year: int | None = None) -> list[Appraisal]:
        query = _select()
        return await self._all(query if year is None else query.where(AppraisalRow.year == year))

    async def involving(self, person_id: int) -> list[Appraisal]:
        return await self._all(
            _select().where(
                or_(
                    AppraisalRow.headteacher_id == person_id,
                    AppraisalRow.reviewer_id == person_id,
                    AppraisalRow.adviser_id == person_id,
                    AppraisalRow.id.in_(
                        select(AppraisalGovernorRow.appraisal_id).where(
                            AppraisalGovernorRow.person_id == person_id
                        )
                    ),
                )
            )
        )

    async def open_ones(self) -> list[Appraisal]:
        """Every appraisal not yet complete."""
        return await self._all(nudged_by_query(None))

    async def due_by(self, day: date) -> list[Appraisal]:
        return await self._all(_select().where(AppraisalRow.next_due_on <= day))

    async def nudged_by(self, day: date | None) -> list[Appraisal]:
        """Appraisals whose `nudges_from` day has come by `day`; every open one for None."""
        return await self._all(nudged_by_query(day))

    async def set_nudges_from(self, days: Sequence[tuple[int, int, date | None]]) -> None:
        """Set (id, version, day): when the nudge job next reads each appraisal.

        A row whose version moved on meanwhile is left alone: whoever changed it also set it.
        """
        if not days:
            return
        if self._s.get_bind().dialect.name == "postgresql":
            # One statement, not one round trip per row: thousands of rows each morning.
            await self._s.execute(_SET_NUDGES_FROM_PG, _as_arrays(days))
            return
        table = AppraisalRow.__table__
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"), table.c.version == bindparam("seen"))
            .values(nudges_from=bindparam("day"))
        )
        await self._s.execute(statement, [{"row_id": i, "seen": v, "day": d} for i, v, d in days])


_SET_NUDGES_FROM_PG = text(
    "UPDATE appraisals SET nudges_from = given.day "
    "FROM unnest(CAST(:ids AS integer[]), CAST(:versions AS integer[]), CAST(:days AS date[])) "
    "AS given(id, version, day) "
    "WHERE appraisals.id = given.id AND appraisals.version = given.version"
)


def _as_arrays(days: Sequence[tuple[int, int, date | None]]) -> dict[str, list[Any]]:
    ids, versions, when = zip(*days, strict=True)
    return {"ids": list(ids), "versions": list(versions), "days": list(when)}


def nudged_by_query(day: date | None) -> Select[Any]:
    """The nudge job's query: a range scan of the `nudges_from` index (None: every open one)."""
    if day is None:
        return _select().where(AppraisalRow.stage != Stage.COMPLETE.value)
    return _select().where(AppraisalRow.nudges_from <= day)


class SqlAuditLog:
    """The append-only audit trail."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def append(self, event: AuditEvent) -> None:
        self._s.add(
            AuditRow(
                appraisal_id=event.appraisal_id,
                actor_id=event.actor_id,
                at=event.at,
                action=event.action,
                from_stage=event.from_stage.value if event.from_stage else None,
                to_stage=event.to_stage.value if event.to_stage else None,
                outcome=event.outcome,
                detail=event.detail[:500],
            )
        )

    async def for_appraisal(self, appraisal_id: int | None) -> list[AuditEvent]:
        query = select(AuditRow).order_by(AuditRow.id)
        if appraisal_id is not None:
            query = query.where(AuditRow.appraisal_id == appraisal_id)
        return [
            AuditEvent(
                r.appraisal_id,
                r.actor_id,
                r.at,
                r.action,
                Stage(r.from_stage) if r.from_stage else None,
                Stage(r.to_stage) if r.to_stage else None,
                r.detail,
                r.outcome,
            )
            for r in await self._s.scalars(query)
        ]
