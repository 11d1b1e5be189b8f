"""Putting the product together from its settings: store, calendars, rules and use cases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from appraisal.cycle import CycleService
from appraisal.evidence import EvidenceService
from appraisal.services import AppraisalService, Context, RosterService
from appraisal.status import StatusService
from bot.calendars import HolidayCalendars
from bot.settings import Settings
from storage.database import Database


@dataclass(frozen=True)
class Product:
    """Everything a front end (the CLI now, the bot service later) needs."""

    settings: Settings
    db: Database
    ctx: Context
    appraisals: AppraisalService
    cycles: CycleService
    status: StatusService
    roster: RosterService
    evidence: EvidenceService


def build(settings: Settings, db: Database) -> Product:
    """Wire the use cases to a database and the settings' calendars and rules."""
    calendars = HolidayCalendars(settings.timezone, settings.closure_days)
    ctx = Context(
        uow=db.uow,
        calendars=calendars,
        policy=settings.policy(),
        evidence_max_bytes=settings.evidence_max_bytes,
    )
    appraisals = AppraisalService(ctx)
    return Product(
        settings=settings,
        db=db,
        ctx=ctx,
        appraisals=appraisals,
        cycles=CycleService(ctx),
        status=StatusService(ctx),
        roster=RosterService(ctx, settings.nation),
        evidence=EvidenceService(ctx, appraisals),
    )


@asynccontextmanager
async def open_product(settings: Settings) -> AsyncIterator[Product]:
    """Open the database, migrate it to the latest schema, and yield the wired product."""
    db = Database(settings.database_url)
    try:
        await db.migrate()
        yield build(settings, db)
    finally:
        await db.dispose()
