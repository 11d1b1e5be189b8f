"""Migrations: up from empty, down to empty, up again; and they match the table definitions."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from storage.migrate import HEAD, alembic_config, current_revision, downgrade, upgrade
from storage.tables import Base

TABLES = {
    "schools",
    "people",
    "roster_roles",
    "appraisals",
    "appraisal_governors",
    "audit_events",
    "evidence_blobs",
    "conversation_refs",
    "card_drafts",
    "pending_uploads",
    "nudge_outbox",
    "job_state",
}


async def _tables(db) -> set[str]:
    async with db.engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    return names - {"alembic_version"}


async def test_upgrade_from_empty_downgrade_to_empty_and_upgrade_again(empty_db):
    assert await _tables(empty_db) == set()
    assert await current_revision(empty_db.engine) is None
    await upgrade(empty_db.engine)
    assert await _tables(empty_db) == TABLES
    head = await current_revision(empty_db.engine)
    assert head is not None
    await downgrade(empty_db.engine, "base")
    assert await _tables(empty_db) == set()
    assert await current_revision(empty_db.engine) is None
    await upgrade(empty_db.engine)
    assert await _tables(empty_db) == TABLES
    assert await current_revision(empty_db.engine) == head


async def test_upgrading_twice_is_harmless(empty_db):
    await empty_db.migrate()
    await empty_db.migrate()
    assert await _tables(empty_db) == TABLES


async def test_the_migrations_build_exactly_the_declared_tables(db):
    def differences(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with db.engine.connect() as conn:
        diff = await conn.run_sync(differences)
    assert diff == []


def test_head_names_the_newest_migration():
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


async def test_a_store_at_head_is_not_migrated_again_and_one_behind_is(empty_db):
    await upgrade(empty_db.engine)
    await downgrade(empty_db.engine, "0004")
    assert await current_revision(empty_db.engine) == "0004"
    await upgrade(empty_db.engine)  # one behind: Alembic runs the last migration
    assert await current_revision(empty_db.engine) == HEAD
    assert "job_state" in await _tables(empty_db)


def test_starting_on_a_store_at_head_does_not_import_alembic(tmp_path):
    import subprocess
    import sys

    url = f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}"
    script = (
        "import asyncio, sys\n"
        "from storage.database import Database\n"
        "async def main(first):\n"
        f"    db = Database({url!r})\n"
        "    await db.migrate()\n"
        "    await db.dispose()\n"
        "asyncio.run(main(True))\n"
        "print('alembic' in sys.modules)\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    ]
    assert runs == ["True", "False"]  # the first start migrates; the next need not


async def test_appraisals_stored_before_0006_keep_their_governor_and_answer(empty_db):
    from datetime import UTC, datetime

    from sqlalchemy import text

    await upgrade(empty_db.engine, "0005")
    entered = datetime(2026, 9, 7, 9, tzinfo=UTC)
    async with empty_db.engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO schools (urn, name, nation) VALUES ('100001', 'B', 'england')")
        )
        for n, email in enumerate(("h@x.example", "r@x.example", "g@x.example"), start=1):
            await conn.execute(
                text("INSERT INTO people (id, name, email) VALUES (:i, :e, :e)"),
                {"i": n, "e": email},
            )
        for n, (year, stage) in enumerate(((2025, "complete"), (2026, "preparation")), start=1):
            await conn.execute(
                text(
                    "INSERT INTO appraisals (id, school_urn, year, nation, headteacher_id, "
                    "reviewer_id, governor_id, led_by_rel, stage, version, opened_at, "
                    "stage_entered_at, record) VALUES (:id, '100001', :year, 'england', 1, 2, 3, "
                    ":rel, :stage, 4, :at, :at, :record)"
                ),
                {
                    "id": n,
                    "year": year,
                    "rel": True,
                    "stage": stage,
                    "at": entered,
                    "record": '{"evidence_added": 2}',
                },
            )

    await upgrade(empty_db.engine)

    async with empty_db.uow() as tx:
        old, current = await tx.appraisals.get(1), await tx.appraisals.get(2)
        assert old.governor_ids == current.governor_ids == (3,)
        assert old.evidence_added == 2  # the rest of the record is kept
        assert old.availability == ()
        assert [(a.governor_id, a.can_attend, a.at) for a in current.availability] == [
            (3, True, entered)
        ]
        assert [a.id for a in await tx.appraisals.involving(3)] == [1, 2]
    await downgrade(empty_db.engine, "0005")
    async with empty_db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT id, governor_id FROM appraisals"))).all()
    assert sorted(rows) == [(1, 3), (2, 3)]


async def test_outbox_rows_stored_before_0007_have_lost_no_lease_and_keep_going(empty_db):
    from datetime import timedelta

    from sqlalchemy import bindparam, text

    from storage.delivery import SqlOutboxDelivery
    from storage.tables import UTCDateTime
    from tests.support.database import context_for
    from tests.support.factories import at
    from tests.support.trust import seed_trust

    await upgrade(empty_db.engine)
    trust = await seed_trust(context_for(empty_db))
    await downgrade(empty_db.engine, "0006")
    claimed_at = at(2026, 11, 23, 10)
    async with empty_db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO nudge_outbox (key, appraisal_id, recipient_id, action, kind, "
                "decided_at, status, attempts, next_attempt_at, last_error) VALUES "
                "('k', :appraisal, :recipient, 'approve', 'overdue', :at, 'sending', 1, :at, '')"
            ).bindparams(bindparam("at", type_=UTCDateTime())),  # stored as the app stores it
            {"appraisal": trust.brookside, "recipient": trust.people["rhona"], "at": claimed_at},
        )

    await upgrade(empty_db.engine)

    later = claimed_at + timedelta(minutes=10)
    async with empty_db.uow() as tx:
        requeued = await SqlOutboxDelivery(tx.session).requeue_stale(later, later, 2)
        await tx.commit()
    assert (requeued.pending, requeued.failed) == (1, 0)  # its first lost lease, not its second
    select = text("SELECT key, status, attempts, lease_losses FROM nudge_outbox")
    async with empty_db.engine.connect() as conn:
        assert (await conn.execute(select)).all() == [("k", "pending", 1, 1)]
    await downgrade(empty_db.engine, "0006")
    async with empty_db.engine.connect() as conn:
        columns = await conn.run_sync(
            lambda c: {col["name"] for col in inspect(c).get_columns("nudge_outbox")}
        )
        rows = (await conn.execute(text("SELECT key, status, attempts FROM nudge_outbox"))).all()
    assert "lease_losses" not in columns
    assert rows == [("k", "pending", 1)]
