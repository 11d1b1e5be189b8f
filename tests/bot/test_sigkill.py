"""The process killed (SIGKILL) in the middle of a burst of sends: after restart the outbox
delivers the rest; nothing the connector acknowledged is sent again.

A real `htpm serve --dev` subprocess sends a burst of outbox rows to a slow FakeConnector served
here on 127.0.0.1. The connector kills the process (SIGKILL) while it holds the 10th message:
that message has reached Teams but the bot never hears the 2xx, so its row stays 'sending' (the
documented lease window). The server is started again on the same database; once the lease runs
out every row still 'sending' goes back to 'pending' and is delivered.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import select

from bot.settings import load_settings
from bot.wiring import build
from storage.database import Database
from storage.tables import OutboxRow, PersonRow
from tests.support.botframework import BOT_ID, TENANT, serve
from tests.support.connector import FakeConnector
from tests.support.factories import at
from tests.support.servers import Service, clean_env, free_port

HTPM = str(Path(sys.executable).with_name("htpm"))
ROOT = Path(__file__).resolve().parents[2]
START = at(2026, 11, 23, 10)  # Monday 23 November 2026, 10:00: inside the sending window
LEASE_SECONDS = 60
# The clock of `--now` is fixed, so the restart is started a little later than the lease.
RESTART = START + timedelta(seconds=2 * LEASE_SECONDS)
KILL_AT = 10  # the connector kills the server while holding this message
BOUND = 60.0  # seconds; every wait below is bounded by it

# Everyone who may see Brookside (appraisal 1), and kinds about the appraisal rather than a step
# someone owes: the sender builds their card whatever the stage, so none is skipped as "no longer
# owed" (a skipped row is marked sent without a delivery, which would hide what is tested here).
SEES_BROOKSIDE = {"Hannah Lewis", "Rhona Patel", "Gareth Evans", "Dana Whitfield"}
KINDS = ("pre_reading", "mid_year_late", "meeting_after_target", "near_statutory")


class SlowConnector(FakeConnector):
    """Takes 100 ms per message; kills `victim` while holding message number `kill_at`."""

    victim: int | None = None
    kill_at: int = KILL_AT

    async def _send(self, request: web.Request) -> web.Response:
        await asyncio.sleep(0.1)
        response = await super()._send(request)
        if self.victim is not None and len(self.sent) == self.kill_at:
            os.kill(self.victim, signal.SIGKILL)  # before the bot can hear this 2xx
            self.victim = None
        return response


def _run(*args: str, env: dict[str, str]) -> None:
    done = subprocess.run(
        [HTPM, *args], env=env, cwd=ROOT, capture_output=True, timeout=BOUND, check=False
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")


async def _prepare(url: str, connector_url: str) -> list[int]:
    """Conversation references for everyone, and the burst of due rows (interleaved)."""
    settings = load_settings(database_url=url)
    db = Database(url)
    try:
        product = build(settings, db)
        async with product.db.uow() as tx:
            found = await tx.session.scalars(
                select(PersonRow).where(PersonRow.name.in_(SEES_BROOKSIDE)).order_by(PersonRow.id)
            )
            people = list(found)
            for person in people:
                assert person.aad_object_id
                reference = {
                    "channelId": "msteams",
                    "serviceUrl": connector_url,
                    "conversation": {"id": f"a:conv-{person.id}", "tenantId": TENANT},
                    "bot": {"id": BOT_ID},
                    "user": {"id": f"29:{person.id}", "aadObjectId": person.aad_object_id},
                }
                await tx.conversations.save(
                    person.aad_object_id, TENANT, person.id, reference, START
                )
            await tx.commit()
        assert len(people) == len(SEES_BROOKSIDE)
        rows = [
            OutboxRow(
                key=f"burst:{kind}:{person.id}",
                appraisal_id=1,
                recipient_id=person.id,
                action="approve",
                kind=kind,
                due_on=None,
                decided_at=START,
                status="pending",
                attempts=0,
                next_attempt_at=START,
                last_error="",
            )
            for kind in KINDS
            for person in people
        ]
        dana = next(p for p in people if p.name == "Dana Whitfield")  # a DCEO: sees them all
        rows += [
            OutboxRow(
                key=f"burst:{kind}:{appraisal}:{dana.id}",
                appraisal_id=appraisal,
                recipient_id=dana.id,
                action="approve",
                kind=kind,
                due_on=None,
                decided_at=START,
                status="pending",
                attempts=0,
                next_attempt_at=START,
                last_error="",
            )
            for kind in KINDS
            for appraisal in (2, 3)
        ]
        async with product.db.uow() as tx:
            tx.session.add_all(rows)
            await tx.commit()
            return [row.id for row in rows]
    finally:
        await db.dispose()


async def _outbox(url: str) -> dict[int, dict[str, Any]]:
    db = Database(url)
    try:
        async with db.uow() as tx:
            found = await tx.session.execute(OutboxRow.__table__.select())
            rows = [dict(r._mapping) for r in found]
    finally:
        await db.dispose()
    return {r["id"]: r for r in rows}


def _env(url: str, connector_url: str) -> dict[str, str]:
    return clean_env(
        {
            "HTPM_DATABASE_URL": url,
            "HTPM_SERVICE_URL": connector_url,
            "HTPM_SEND_INTERVAL_SECONDS": "0.2",
            "HTPM_SEND_LEASE_SECONDS": str(LEASE_SECONDS),
        }
    )


def _server(now: datetime, name: str, env: dict[str, str], logs: Path) -> Service:
    """`htpm serve --dev` on a free port with its clock fixed at `now`."""
    argv = [HTPM, "serve", "--dev", "--port", str(free_port()), "--now", now.isoformat()]
    return Service(name, argv, env=env, cwd=ROOT, log=logs / f"{name}.log")


async def _killed(server: Service, connector: SlowConnector, after: int) -> None:
    """Let `server` send until the connector holds its `after`th message, then SIGKILL it."""
    connector.kill_at = len(connector.sent) + after
    connector.victim = server.process.pid
    try:
        await _until(f"the kill of {server.name}", lambda: not server.alive(), None)
        assert server.process.wait(5) == -signal.SIGKILL, server.dump()
    finally:
        connector.victim = None
        server.stop()


async def _until(what: str, probe, server: Service | None) -> None:
    deadline = time.monotonic() + BOUND
    while not probe():
        if server is not None and not server.alive():
            raise AssertionError(f"the server stopped while waiting for {what}\n{server.dump()}")
        if time.monotonic() > deadline:
            dump = server.dump() if server else ""
            raise AssertionError(f"no {what} within {BOUND:.0f} s\n{dump}")
        await asyncio.sleep(0.05)


async def test_a_server_killed_mid_burst_delivers_the_rest_and_repeats_only_the_one_in_flight(
    tmp_path: Path,
):
    url = f"sqlite+aiosqlite:///{tmp_path / 'htpm.sqlite3'}"
    connector = SlowConnector()
    async with serve(connector.app()) as connector_url:
        connector.url = connector_url
        env = _env(url, connector_url)
        await asyncio.to_thread(_run, "demo", "--fresh", "--now", START.isoformat(), env=env)
        burst = await _prepare(url, connector_url)
        assert len(burst) == 24

        await _killed(_server(START, "first", env, tmp_path), connector, KILL_AT)
        before = len(connector.sent)
        assert before == KILL_AT
        at_kill = await _outbox(url)
        sent_at_kill = {i for i in burst if at_kill[i]["status"] == "sent"}
        assert len(sent_at_kill) == KILL_AT - 1  # each 2xx heard was recorded at once
        assert {at_kill[i]["status"] for i in burst} - {"sent"} == {"sending"}  # claimed, cut off

        second = _server(RESTART, "second", env, tmp_path)
        try:
            everything = len(burst) + 1  # the one in flight at the kill is sent twice
            await _until("the rest of the burst", lambda: len(connector.sent) >= everything, second)
            # Let any further (wrong) delivery show itself before looking.
            await asyncio.sleep(1.0)
        finally:
            second.stop()

    rows = await _outbox(url)
    acks = {f"reply-{n}": a for n, a in enumerate(connector.sent, start=1)}
    # Every row was delivered, and its activity id is one the connector gave.
    assert all(rows[i]["status"] == "sent" for i in burst), [rows[i] for i in burst]
    recorded = {rows[i]["activity_id"]: i for i in burst}
    assert len(recorded) == len(burst) and set(recorded) <= set(acks)
    # Nothing acknowledged before the kill was sent again: those rows kept their first ids.
    for i in sent_at_kill:
        assert rows[i]["activity_id"] == at_kill[i]["activity_id"]
    # After the restart every message sent is one row's only recorded delivery: no repeats.
    after = list(acks)[before:]
    assert all(ack in recorded for ack in after)
    assert len(after) == len(burst) - len(sent_at_kill)
    # Exactly one duplicate: the message the connector held when the process was killed (it
    # reached Teams, the bot never heard the 2xx). Its row stayed 'sending', the lease ran out,
    # and it was sent again after the restart: the documented at-least-once window.
    unrecorded = [ack for ack in acks if ack not in recorded]
    assert unrecorded == [f"reply-{KILL_AT}"]
    in_flight = acks[f"reply-{KILL_AT}"]
    repeated = [
        i
        for i in burst
        if i not in sent_at_kill
        and acks[rows[i]["activity_id"]]["_conversation"] == in_flight["_conversation"]
        and acks[rows[i]["activity_id"]]["attachments"] == in_flight["attachments"]
    ]
    assert repeated  # the same card into the same chat, recorded after the restart
    assert len(connector.sent) == len(burst) + 1


KILLS = 4  # as found: four SIGKILLs of `htpm serve` mid-burst, then one 502 each
EVERY = 4  # each server is killed while the connector holds the 4th message it sent


async def _until_outbox(what: str, url: str, probe, server: Service) -> dict[int, dict[str, Any]]:
    """Poll the outbox until `probe(rows)` holds; the rows then."""
    deadline = time.monotonic() + BOUND
    while True:
        rows = await _outbox(url)
        if probe(rows):
            return rows
        if not server.alive():
            raise AssertionError(f"the server stopped while waiting for {what}\n{server.dump()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {BOUND:.0f} s\n{server.dump()}")
        await asyncio.sleep(0.2)


async def test_kills_mid_burst_spend_no_attempt_so_one_502_after_them_is_one_attempt(
    tmp_path: Path,
):
    url = f"sqlite+aiosqlite:///{tmp_path / 'htpm.sqlite3'}"
    connector = SlowConnector()
    async with serve(connector.app()) as connector_url:
        connector.url = connector_url
        env = _env(url, connector_url)
        await asyncio.to_thread(_run, "demo", "--fresh", "--now", START.isoformat(), env=env)
        burst = await _prepare(url, connector_url)
        moment = START
        for n in range(1, KILLS + 1):
            await _killed(_server(moment, f"killed-{n}", env, tmp_path), connector, EVERY)
            moment += timedelta(seconds=2 * LEASE_SECONDS)  # the next start finds leases run out
        rows = await _outbox(url)
        unsent = [i for i in burst if rows[i]["status"] != "sent"]
        # Each server recorded the row in flight at the last kill and two more, then was killed.
        assert len(unsent) == len(burst) - KILLS * (EVERY - 1)
        assert {rows[i]["status"] for i in unsent} == {"sending"}
        # The rows at the end of the burst were claimed by every one of the killed servers and
        # never tried: none has spent an attempt. Each row recorded as sent has spent one.
        assert {rows[i]["attempts"] for i in unsent} == {0}, "a claim or a lost lease counted"
        assert {rows[i]["attempts"] for i in burst if i not in unsent} == {1}

        # One transient failure: the next message into each of their chats gets a 502.
        chats = sorted({f"a:conv-{rows[i]['recipient_id']}" for i in unsent})
        for chat in chats:
            connector.script(chat, 502)
        after = _server(moment, "after-the-kills", env, tmp_path)
        try:
            rows = await _until_outbox(
                "an outcome for every unsent row",
                url,
                # Not merely 'pending': that is also what the requeue at the start leaves.
                lambda rows: all(
                    rows[i]["status"] in {"sent", "failed"}
                    or rows[i]["last_error"] == "502 bad gateway"
                    for i in unsent
                ),
                after,
            )
        finally:
            after.stop()
        retried = [i for i in unsent if rows[i]["status"] == "pending"]
        assert len(retried) == len(chats)  # the first row into each chat, due again later
        for i in retried:
            assert (rows[i]["attempts"], rows[i]["last_error"]) == (1, "502 bad gateway"), rows[i]
            assert rows[i]["next_attempt_at"] > moment
        # Nothing gave up; every row delivered so far took one attempt, the one recorded.
        assert not [rows[i] for i in burst if rows[i]["status"] not in {"sent", "pending"}]
        assert {rows[i]["attempts"] for i in burst} == {1}

        # Past the backoff (at most 30 s for a first retry), the rows that got a 502 go out.
        moment += timedelta(seconds=2 * LEASE_SECONDS)
        later = _server(moment, "retries", env, tmp_path)
        try:
            rows = await _until_outbox(
                "the retries",
                url,
                lambda rows: all(rows[i]["status"] not in {"pending", "sending"} for i in burst),
                later,
            )
            await asyncio.sleep(0.5)  # let any further (wrong) delivery show itself
        finally:
            later.stop()

    rows = await _outbox(url)
    assert {rows[i]["status"] for i in burst} == {"sent"}
    assert {i: rows[i]["attempts"] for i in burst} == {i: 2 if i in retried else 1 for i in burst}
    # The at-least-once window is as documented: each message held at a kill went out again.
    assert len(connector.sent) == len(burst) + KILLS
