"""`htpm roster import` / `roster assign` on open appraisals: who takes part follows the roster.

Driven in-process against a SQLite file per test, as `tests/bot/test_cli.py` does; every check
reads the ids back from the database.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from appraisal.commands import ConfirmDate, ProposeDate
from appraisal.stages import Stage
from bot.settings import load_settings
from bot.wiring import open_product
from tests.support.cli import htpm, query, write

HEADER = "school_urn,school_name,role,name,email,aad_object_id\n"

# Line numbers as in the file (the header is line 1).
ROSTER = (
    HEADER
    + ",,dceo,Dana Whitfield,dana@trust.example,\n"  # 2
    + ",,admin,Colin Mercer,colin@trust.example,\n"  # 3
    + "200001,North School,headteacher,Ann North,ann@trust.example,\n"  # 4
    + "200001,North School,reviewer,Rob Review,rob@trust.example,\n"  # 5
    + "200001,North School,governor,Gail Gov,gail@trust.example,\n"  # 6
    + "200002,South School,headteacher,Sam South,sam@trust.example,\n"  # 7
    + "200002,South School,reviewer,Rhi Rel,rhi@trust.example,\n"  # 8
    + "200002,South School,governor,Greg Gov,greg@trust.example,\n"  # 9
)
ROSTER_ROWS = 8

NORTH_GOVERNOR = "200001,North School,governor,Gail Gov,gail@trust.example,\n"
NIA_GOVERNOR = "200001,North School,governor,Nia New,nia@trust.example,\n"
SOUTH_REVIEWER = "200002,South School,reviewer,Rhi Rel,rhi@trust.example,\n"
DCEO = ",,dceo,Dana Whitfield,dana@trust.example,\n"

#: East School: a headteacher, no reviewer (the DCEO reviews it) and no governor.
EAST = "200003,East School,headteacher,Eve East,eve@trust.example,\n"

START = ["cycle", "start", "--year", "2026", "--now", "2026-09-01T09:00"]
LATER = "2026-09-02T09:00"


def tables(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, in storage order: what "nothing was written" compares."""
    names = [
        name
        for (name,) in query(
            path, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        )
    ]
    assert {"audit_events", "appraisal_governors", "nudge_outbox", "roster_roles"} <= set(names)
    return {name: query(path, f'SELECT * FROM "{name}" ORDER BY rowid') for name in names}


def pid(path: Path, email: str) -> int:
    (row,) = query(path, "SELECT id FROM people WHERE email = ?", email)
    return row[0]


def appraisal(path: Path, urn: str) -> dict:
    """The school's one appraisal row: the columns these tests read."""
    (row,) = query(
        path,
        "SELECT id, version, reviewer_id, led_by_rel, stage, record FROM appraisals "
        "WHERE school_urn = ?",
        urn,
    )
    id_, version, reviewer, led_by_rel, stage, record = row
    return {
        "id": id_,
        "version": version,
        "reviewer_id": reviewer,
        "led_by_rel": led_by_rel,
        "stage": stage,
        "governor_ids": json.loads(record)["governor_ids"],
    }


def governor_rows(path: Path, urn: str) -> list[int]:
    """`appraisal_governors` for the school's appraisal, by person id."""
    return [
        person
        for (person,) in query(
            path,
            "SELECT g.person_id FROM appraisal_governors g "
            "JOIN appraisals a ON a.id = g.appraisal_id WHERE a.school_urn = ? "
            "ORDER BY g.person_id",
            urn,
        )
    ]


def reassigns(path: Path, appraisal_id: int) -> list[tuple]:
    return query(
        path,
        "SELECT actor_id, from_stage, to_stage, outcome, detail FROM audit_events "
        "WHERE action = 'reassign' AND appraisal_id = ? ORDER BY id",
        appraisal_id,
    )


def outbox(path: Path) -> list[tuple]:
    return query(
        path,
        "SELECT appraisal_id, recipient_id, action, kind, status FROM nudge_outbox ORDER BY id",
    )


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def status_cells(output: str, school: str) -> list[str]:
    """The cells of this school's row of the status table."""
    rows = [line for line in output.splitlines() if school in line]
    assert len(rows) == 1, output
    return [cell.strip() for cell in rows[0].split("│")[1:-1]]


def assert_clean_failure(result, code: int) -> None:
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stdout == ""


def imported(path: Path, tmp_path: Path, text: str, name: str = "roster.csv") -> None:
    """Import a roster and open the 2026 cycle: the state every test starts from."""
    result = htpm("roster", "import", str(write(tmp_path, name, text)), "--now", "2026-08-31T09:00")
    assert result.exit_code == 0, result.output
    opened = htpm(*START)
    assert opened.exit_code == 0, opened.output


def assert_audit_has_no_names(path: Path) -> None:
    """Audit details carry ids only: never a name or an email address."""
    people = query(path, "SELECT name, email FROM people")
    for (detail,) in query(path, "SELECT detail FROM audit_events"):
        assert "@" not in detail, detail
        for name, email in people:
            assert name not in detail and email not in detail, detail


# --- 1. replacing a governor -----------------------------------------------------------------


def test_reimport_replacing_a_governor_moves_the_open_appraisal_to_the_new_one(db_path, tmp_path):
    imported(db_path, tmp_path, ROSTER)
    gail = pid(db_path, "gail@trust.example")
    greg = pid(db_path, "greg@trust.example")
    ann = pid(db_path, "ann@trust.example")
    north, south = appraisal(db_path, "200001"), appraisal(db_path, "200002")
    assert governor_rows(db_path, "200001") == [gail] and north["governor_ids"] == [gail]
    # Half-typed forms: the governor who leaves loses theirs, the headteacher keeps hers.
    with closing(sqlite3.connect(db_path)) as conn:
        for person in (gail, ann):
            conn.execute(
                "INSERT INTO card_drafts (appraisal_id, person_id, form, data, updated_at) "
                "VALUES (?, ?, 'meeting', '{}', '2026-09-01 08:00:00.000000')",
                (north["id"], person),
            )
        conn.commit()
    assert outbox(db_path) == []
    changed = write(tmp_path, "changed.csv", ROSTER.replace(NORTH_GOVERNOR, NIA_GOVERNOR))

    result = htpm("roster", "import", str(changed), "--now", LATER)

    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == [
        f"Roster imported ({ROSTER_ROWS} rows). people added: 1; roles added: 1; roles removed: 1.",
        "Open appraisals whose people changed:",
        "  North School (200001): appointed governor Gail Gov → Nia New",
    ]
    nia = pid(db_path, "nia@trust.example")
    assert query(db_path, "SELECT name FROM people WHERE id = ?", nia) == [("Nia New",)]
    after = appraisal(db_path, "200001")
    assert governor_rows(db_path, "200001") == [nia]
    assert after["governor_ids"] == [nia]
    assert after["version"] == north["version"] + 1
    assert after["stage"] == north["stage"] == Stage.AWAITING_DATE.value
    assert reassigns(db_path, north["id"]) == [
        (None, "awaiting_date", "awaiting_date", "done", f"governor: {gail} -> {nia}")
    ]
    assert query(
        db_path, "SELECT detail FROM audit_events WHERE action = 'roster_import' ORDER BY id"
    )[-1] == ("people added 1, roles added 1, roles removed 1, participants changed 1",)
    assert outbox(db_path) == [(north["id"], nia, "appointed", "welcome", "pending")]
    assert query(
        db_path, "SELECT person_id FROM card_drafts WHERE appraisal_id = ?", north["id"]
    ) == [(ann,)]
    # South's appraisal is not touched.
    assert appraisal(db_path, "200002") == south
    assert governor_rows(db_path, "200002") == [greg]
    assert reassigns(db_path, south["id"]) == []
    assert_audit_has_no_names(db_path)

    before = tables(db_path)
    again = htpm("roster", "import", str(changed), "--now", "2026-09-03T09:00")

    assert again.exit_code == 0, again.output
    assert lines(again.stdout) == [f"Roster unchanged: {ROSTER_ROWS} rows already match."]
    assert tables(db_path) == before  # not even an audit event


# --- 2. the same re-import, dry run -----------------------------------------------------------


def test_a_dry_run_of_the_reimport_says_what_would_change_and_writes_nothing(db_path, tmp_path):
    imported(db_path, tmp_path, ROSTER)
    changed = write(tmp_path, "changed.csv", ROSTER.replace(NORTH_GOVERNOR, NIA_GOVERNOR))
    before, raw = tables(db_path), db_path.read_bytes()

    result = htpm("roster", "import", str(changed), "--dry-run", "--now", LATER)

    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == [
        f"Dry run, nothing was changed. The roster would be imported ({ROSTER_ROWS} rows). "
        "people added: 1; roles added: 1; roles removed: 1.",
        "Open appraisals whose people would change:",
        "  North School (200001): appointed governor Gail Gov → Nia New",
    ]
    assert tables(db_path) == before
    assert db_path.read_bytes() == raw
    assert query(db_path, "SELECT count(*) FROM people WHERE email = 'nia@trust.example'") == [(0,)]

    # The dry run left all of it to do.
    real = htpm("roster", "import", str(changed), "--now", LATER)
    assert real.exit_code == 0, real.output
    assert lines(real.stdout)[1:] == [
        "Open appraisals whose people changed:",
        "  North School (200001): appointed governor Gail Gov → Nia New",
    ]


# --- 3. the reviewer --------------------------------------------------------------------------


def test_replacing_the_reviewer_moves_the_open_appraisal_to_the_new_one(db_path, tmp_path):
    imported(db_path, tmp_path, ROSTER)
    rob = pid(db_path, "rob@trust.example")
    north = appraisal(db_path, "200001")
    assert (north["reviewer_id"], north["led_by_rel"]) == (rob, 1)
    changed = ROSTER.replace("Rob Review,rob@", "Ray Rel,ray@")

    result = htpm("roster", "import", str(write(tmp_path, "b.csv", changed)), "--now", LATER)

    assert result.exit_code == 0, result.output
    assert lines(result.stdout)[1:] == [
        "Open appraisals whose people changed:",
        "  North School (200001): reviewer Rob Review → Ray Rel",
    ]
    ray = pid(db_path, "ray@trust.example")
    after = appraisal(db_path, "200001")
    assert (after["reviewer_id"], after["led_by_rel"]) == (ray, 1)
    assert after["version"] == north["version"] + 1
    assert reassigns(db_path, north["id"]) == [
        (None, "awaiting_date", "awaiting_date", "done", f"reviewer: {rob} -> {ray}")
    ]
    assert outbox(db_path) == [(north["id"], ray, "appointed", "welcome", "pending")]
    assert_audit_has_no_names(db_path)


def test_removing_a_schools_only_reviewer_row_hands_its_appraisal_to_the_dceo(db_path, tmp_path):
    imported(db_path, tmp_path, ROSTER)
    rhi, dana = pid(db_path, "rhi@trust.example"), pid(db_path, "dana@trust.example")
    south = appraisal(db_path, "200002")
    assert (south["reviewer_id"], south["led_by_rel"]) == (rhi, 1)
    changed = ROSTER.replace(SOUTH_REVIEWER, "")

    result = htpm("roster", "import", str(write(tmp_path, "b.csv", changed)), "--now", LATER)

    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == [
        f"Roster imported ({ROSTER_ROWS - 1} rows). roles removed: 1.",
        "Open appraisals whose people changed:",
        "  South School (200002): reviewer Rhi Rel → Dana Whitfield",
    ]
    after = appraisal(db_path, "200002")
    assert (after["reviewer_id"], after["led_by_rel"]) == (dana, 0)
    assert query(db_path, "SELECT led_by_rel FROM appraisals WHERE id = ?", south["id"]) == [(0,)]
    assert after["version"] == south["version"] + 1
    assert reassigns(db_path, south["id"]) == [
        (None, "awaiting_date", "awaiting_date", "done", f"reviewer: {rhi} -> {dana}"),
        (None, "awaiting_date", "awaiting_date", "done", "led by the DCEO"),
    ]
    assert outbox(db_path) == [(south["id"], dana, "appointed", "welcome", "pending")]
    status = htpm("status", "--now", LATER)
    assert status.exit_code == 0, status.output
    assert status_cells(status.stdout, "South School (200002)")[5] == "Dana Whitfield (reviewer)"
    assert status_cells(status.stdout, "North School (200001)")[5] == "Rob Review (reviewer)"


# --- 4. two and three governors ---------------------------------------------------------------


TEAMS = (
    HEADER
    + DCEO
    + "200003,East School,headteacher,Eve East,eve@trust.example,\n"
    + "200003,East School,governor,Gail Gov,gail@trust.example,\n"
    + "200003,East School,governor,Greg Gov,greg@trust.example,\n"
    + "200004,West School,headteacher,Wyn West,wyn@trust.example,\n"
    + "200004,West School,governor,Gail Gov,gail@trust.example,\n"
    + "200004,West School,governor,Greg Gov,greg@trust.example,\n"
    + "200004,West School,governor,Gwen Gov,gwen@trust.example,\n"
)


def test_two_and_three_governors_of_one_school_all_join_its_appraisal(db_path, tmp_path):
    imported(db_path, tmp_path, TEAMS)
    gail, greg, gwen = (pid(db_path, f"{n}@trust.example") for n in ("gail", "greg", "gwen"))

    assert governor_rows(db_path, "200003") == sorted([gail, greg])
    assert governor_rows(db_path, "200004") == sorted([gail, greg, gwen])
    assert sorted(appraisal(db_path, "200003")["governor_ids"]) == sorted([gail, greg])
    assert sorted(appraisal(db_path, "200004")["governor_ids"]) == sorted([gail, greg, gwen])

    # One of West's three is replaced; the other two stay.
    changed = TEAMS.replace("Gwen Gov,gwen@", "Nia New,nia@")
    west = appraisal(db_path, "200004")
    result = htpm("roster", "import", str(write(tmp_path, "b.csv", changed)), "--now", LATER)

    assert result.exit_code == 0, result.output
    nia = pid(db_path, "nia@trust.example")
    (move,) = [line for line in lines(result.stdout) if line.startswith("  ")]
    head = "  West School (200004): appointed governor "
    assert move.startswith(head), move
    was, now = move.removeprefix(head).split(" → ")
    assert sorted(was.split(", ")) == ["Gail Gov", "Greg Gov", "Gwen Gov"]
    assert sorted(now.split(", ")) == ["Gail Gov", "Greg Gov", "Nia New"]
    assert governor_rows(db_path, "200004") == sorted([gail, greg, nia])
    assert sorted(appraisal(db_path, "200004")["governor_ids"]) == sorted([gail, greg, nia])
    assert reassigns(db_path, west["id"]) == [
        (None, "awaiting_date", "awaiting_date", "done", f"governor: {gwen} -> {nia}")
    ]
    assert outbox(db_path) == [(west["id"], nia, "appointed", "welcome", "pending")]
    assert governor_rows(db_path, "200003") == sorted([gail, greg])


def test_a_fourth_governor_in_the_file_is_refused(db_path, tmp_path):
    imported(db_path, tmp_path, TEAMS)
    before = tables(db_path)
    four = TEAMS + "200004,West School,governor,Nia New,nia@trust.example,\n"  # line 10

    result = htpm("roster", "import", str(write(tmp_path, "four.csv", four)), "--now", LATER)

    assert_clean_failure(result, 1)
    assert (
        "four.csv line 10: school 200004 already has three appointed governors (lines 7, 8, 9); "
        "a school has at most three" in result.stderr
    )
    assert tables(db_path) == before


# --- 5. a school with no governor -------------------------------------------------------------


def _drive_to_awaiting_governor(urn: str) -> None:
    """The reviewer proposes a date and the headteacher confirms it (the bot's steps)."""

    async def main() -> None:
        settings = load_settings()
        zone = ZoneInfo(settings.timezone)
        async with open_product(settings) as product:
            async with product.db.uow() as tx:
                (found,) = [a for a in await tx.appraisals.open_ones() if a.school_urn == urn]
            now = datetime(2026, 9, 2, 9, 0, tzinfo=zone)
            meeting = datetime(2026, 9, 22, 10, 0, tzinfo=zone)
            moved = await product.appraisals.act(
                found.reviewer_id, found.id, ProposeDate(meeting), now
            )
            moved = await product.appraisals.act(found.headteacher_id, found.id, ConfirmDate(), now)
            assert moved.stage is Stage.AWAITING_GOVERNOR

    asyncio.run(main())


def test_a_school_with_no_governor_is_opened_flagged_and_joined_by_the_one_named(db_path, tmp_path):
    result = htpm("roster", "import", str(write(tmp_path, "a.csv", ROSTER + EAST)))
    assert result.exit_code == 0, result.output

    opened = htpm(*START)

    assert opened.exit_code == 0, opened.output
    assert "opened   East School (200003): no appointed governor yet" in lines(opened.stdout)
    assert "opened   North School (200001)" in lines(opened.stdout)
    east = appraisal(db_path, "200003")
    assert (east["governor_ids"], governor_rows(db_path, "200003")) == ([], [])
    assert east["reviewer_id"] == pid(db_path, "dana@trust.example")
    status = htpm("status", "--now", LATER)
    assert status.exit_code == 0, status.output
    assert status_cells(status.stdout, "East School (200003)")[-1] == "no appointed governor"
    assert status_cells(status.stdout, "North School (200001)")[-1] == ""

    named = ROSTER + EAST + "200003,East School,governor,Gwen Gov,gwen@trust.example,\n"
    result = htpm("roster", "import", str(write(tmp_path, "b.csv", named)), "--now", LATER)

    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == [
        f"Roster imported ({ROSTER_ROWS + 2} rows). people added: 1; roles added: 1.",
        "Open appraisals whose people changed:",
        "  East School (200003): appointed governor nobody → Gwen Gov",
    ]
    gwen = pid(db_path, "gwen@trust.example")
    assert governor_rows(db_path, "200003") == [gwen]
    assert appraisal(db_path, "200003")["governor_ids"] == [gwen]
    assert reassigns(db_path, east["id"]) == [
        (None, "awaiting_date", "awaiting_date", "done", f"governor: none -> {gwen}")
    ]
    assert outbox(db_path) == [(east["id"], gwen, "appointed", "welcome", "pending")]
    status = htpm("status", "--now", LATER)
    assert status_cells(status.stdout, "East School (200003)")[-1] == ""


def test_an_appraisal_waiting_for_a_governor_nobody_holds_is_blocked_until_one_is_named(
    db_path, tmp_path
):
    imported(db_path, tmp_path, ROSTER + EAST)
    _drive_to_awaiting_governor("200003")
    dana, eve = pid(db_path, "dana@trust.example"), pid(db_path, "eve@trust.example")
    east = appraisal(db_path, "200003")
    assert east["stage"] == Stage.AWAITING_GOVERNOR.value

    status = htpm("status", "--now", LATER)

    assert status.exit_code == 0, status.output
    cells = status_cells(status.stdout, "East School (200003)")
    assert cells[3] == Stage.AWAITING_GOVERNOR.label
    assert cells[-1] == "blocked: no appointed governor"

    result = assign(
        "--school", "200003", *GOV, *emails("gwen"), "--name", "Gwen Gov", "--now", LATER
    )

    assert result.exit_code == 0, result.output
    assert "  East School (200003): appointed governor nobody → Gwen Gov" in lines(result.stdout)
    gwen = pid(db_path, "gwen@trust.example")
    after = appraisal(db_path, "200003")
    assert after["stage"] == Stage.AWAITING_GOVERNOR.value  # now waiting for Gwen's answer
    assert after["version"] == east["version"] + 1
    assert governor_rows(db_path, "200003") == [gwen]
    assert (east["id"], gwen, "appointed", "welcome", "pending") in outbox(db_path)
    assert {recipient for _, recipient, *_ in outbox(db_path)} <= {gwen, dana, eve}
    status = htpm("status", "--now", LATER)
    cells = status_cells(status.stdout, "East School (200003)")
    assert cells[-1] == ""
    assert cells[5] == "Gwen Gov (appointed governor)"


# --- 6. roster assign -------------------------------------------------------------------------


def assign(*args: str):
    return htpm("roster", "assign", *args)


def test_assigning_an_existing_person_as_governor_dry_run_first(db_path, tmp_path):
    imported(db_path, tmp_path, ROSTER + EAST)
    greg = pid(db_path, "greg@trust.example")  # South's governor, on the roster already
    east = appraisal(db_path, "200003")
    args = ["--school", "200003", "--role", "governor", "--email", "Greg@Trust.example"]
    before, raw = tables(db_path), db_path.read_bytes()

    dry = assign(*args, "--dry-run", "--now", LATER)

    assert dry.exit_code == 0, dry.output
    assert lines(dry.stdout) == [
        "Dry run, nothing was changed. The roster would be imported (school 200003). "
        "roles added: 1.",
        "Open appraisals whose people would change:",
        "  East School (200003): appointed governor nobody → Greg Gov",
    ]
    assert tables(db_path) == before
    assert db_path.read_bytes() == raw

    result = assign(*args, "--now", LATER)

    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == [
        "Roster imported (school 200003). roles added: 1.",
        "Open appraisals whose people changed:",
        "  East School (200003): appointed governor nobody → Greg Gov",
    ]
    assert query(
        db_path, "SELECT school_urn FROM roster_roles WHERE person_id = ? ORDER BY school_urn", greg
    ) == [("200002",), ("200003",)]
    assert governor_rows(db_path, "200003") == [greg]
    assert governor_rows(db_path, "200002") == [greg]
    assert appraisal(db_path, "200003")["version"] == east["version"] + 1
    assert reassigns(db_path, east["id"]) == [
        (None, "awaiting_date", "awaiting_date", "done", f"governor: none -> {greg}")
    ]
    assert outbox(db_path) == [(east["id"], greg, "appointed", "welcome", "pending")]
    assert_audit_has_no_names(db_path)

    # The same assignment again changes nothing.
    stored = tables(db_path)
    again = assign(*args, "--now", LATER)
    assert again.exit_code == 0, again.output
    assert lines(again.stdout)[0].startswith("Roster unchanged")
    assert tables(db_path) == stored


def test_assigning_a_new_person_as_governor_with_their_name(db_path, tmp_path):
    imported(db_path, tmp_path, ROSTER)
    gail = pid(db_path, "gail@trust.example")
    north = appraisal(db_path, "200001")
    args = ["--school", "200001", "--role", "governor", "--email", "nia@trust.example"]
    before = tables(db_path)

    dry = assign(*args, "--name", "Nia New", "--dry-run", "--now", LATER)

    assert dry.exit_code == 0, dry.output
    assert lines(dry.stdout) == [
        "Dry run, nothing was changed. The roster would be imported (school 200001). "
        "people added: 1; roles added: 1; roles removed: 1.",
        "Open appraisals whose people would change:",
        "  North School (200001): appointed governor Gail Gov → Nia New",
    ]
    assert tables(db_path) == before

    result = assign(*args, "--name", "Nia New", "--now", LATER)

    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == [
        "Roster imported (school 200001). people added: 1; roles added: 1; roles removed: 1.",
        "Open appraisals whose people changed:",
        "  North School (200001): appointed governor Gail Gov → Nia New",
    ]
    nia = pid(db_path, "nia@trust.example")
    assert query(db_path, "SELECT name, aad_object_id FROM people WHERE id = ?", nia) == [
        ("Nia New", None)
    ]
    assert query(
        db_path,
        "SELECT person_id FROM roster_roles WHERE role = 'governor' AND school_urn = ?",
        "200001",
    ) == [(nia,)]
    assert governor_rows(db_path, "200001") == [nia]
    assert appraisal(db_path, "200001")["governor_ids"] == [nia]
    assert appraisal(db_path, "200001")["version"] == north["version"] + 1
    assert reassigns(db_path, north["id"]) == [
        (None, "awaiting_date", "awaiting_date", "done", f"governor: {gail} -> {nia}")
    ]
    assert outbox(db_path) == [(north["id"], nia, "appointed", "welcome", "pending")]

    # Every other row of the roster is as it was.
    def others(rows: list[tuple]) -> list[tuple]:
        return sorted(r[1:] for r in rows if r[2:] != ("governor", "200001"))

    assert others(tables(db_path)["roster_roles"]) == others(before["roster_roles"])
    assert len(others(before["roster_roles"])) == ROSTER_ROWS - 1
    assert_audit_has_no_names(db_path)


GOV = ["--role", "governor"]


def emails(*local: str) -> list[str]:
    """`--email` once for each of these trust addresses."""
    return [arg for name in local for arg in ("--email", f"{name}@trust.example")]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        pytest.param(
            ["--school", "999999", *GOV, "--email", "gail@trust.example"],
            1,
            "School 999999 is not on the roster. Import a roster that names it. "
            "Nothing was changed.",
            id="unknown-school",
        ),
        pytest.param(
            ["--school", "200001", "--role", "wizard", "--email", "gail@trust.example"],
            2,
            "--role 'wizard' is not a role held for one school: use headteacher, reviewer, "
            "governor or adviser.",
            id="bad-role",
        ),
        pytest.param(
            ["--school", "200001", "--role", "dceo", "--email", "gail@trust.example"],
            2,
            "--role 'dceo' is not a role held for one school: use headteacher, reviewer, "
            "governor or adviser.",
            id="trust-role",
        ),
        pytest.param(
            ["--school", "200001", *GOV, "--email", "zed@trust.example"],
            1,
            "zed@trust.example is not on the roster: give --name to add them. Nothing was changed.",
            id="unknown-email-without-name",
        ),
        pytest.param(
            ["--school", "200001", *GOV, *emails("zed", "zoe"), "--name", "Zed"],
            1,
            "zed@trust.example is not on the roster: give --name to add them. Nothing was changed.",
            id="one-name-for-two-new-people",
        ),
        pytest.param(
            ["--school", "200001", *GOV, "--email", "not-an-email", "--name", "Zed"],
            1,
            "'not-an-email' is not an email address. Nothing was changed.",
            id="malformed-email",
        ),
        pytest.param(
            ["--school", "200001", *GOV, "--email", "ann@trust.example"],
            1,
            "ann@trust.example is the headteacher of school 200001; one person cannot also be "
            "its appointed governor. Nothing was changed.",
            id="headteacher-as-governor",
        ),
        pytest.param(
            ["--school", "200001", "--role", "reviewer", "--email", "gail@trust.example"],
            1,
            "gail@trust.example is the appointed governor of school 200001; one person cannot "
            "also be its reviewer. Nothing was changed.",
            id="governor-as-reviewer",
        ),
        pytest.param(
            ["--school", "200003", *GOV, "--email", "dana@trust.example"],
            1,
            "The roster would not be valid: school 200003 names no reviewer, so the DCEO "
            "reviews it; dana@trust.example cannot also be its appointed governor. "
            "Nothing was changed.",
            id="dceo-as-governor-where-dceo-reviews",
        ),
        pytest.param(
            ["--school", "200001", *GOV, *emails("gail", "greg", "rhi", "colin")],
            1,
            "A school's appointed governor is one to three people; 4 given. Nothing was changed.",
            id="four-governors",
        ),
        pytest.param(
            ["--school", "200001", "--role", "reviewer", *emails("rhi", "dana")],
            1,
            "A school's reviewer is one person; 2 given. Nothing was changed.",
            id="two-reviewers",
        ),
    ],
)
def test_a_refused_assignment_says_why_and_writes_nothing(db_path, tmp_path, args, code, message):
    imported(db_path, tmp_path, ROSTER + EAST)
    before, raw = tables(db_path), db_path.read_bytes()

    result = assign(*args, "--now", LATER)

    assert_clean_failure(result, code)
    assert lines(result.stderr) == [message]
    assert tables(db_path) == before
    assert db_path.read_bytes() == raw


# --- 7. one person, two roles at one school ---------------------------------------------------


ANN_GOVERNOR = "200001,North School,governor,Ann North,ann@trust.example,\n"
HEAD_AS_GOVERNOR = ROSTER.replace(NORTH_GOVERNOR, ANN_GOVERNOR)


def test_a_headteacher_who_is_also_the_schools_governor_is_refused_on_a_fresh_database(
    db_path, tmp_path
):
    result = htpm("roster", "import", str(write(tmp_path, "dual.csv", HEAD_AS_GOVERNOR)))

    assert_clean_failure(result, 1)
    assert lines(result.stderr) == [
        "The roster was not imported: 1 problem found; nothing was changed.",
        "  dual.csv line 6: ann@trust.example is already the headteacher of school 200001 "
        "(line 4); one person cannot be both headteacher and appointed governor of one school",
    ]
    assert not db_path.exists() or all(
        rows == [] for name, rows in tables(db_path).items() if name != "alembic_version"
    )


def test_a_headteacher_who_is_also_the_schools_governor_is_refused_on_reimport(db_path, tmp_path):
    imported(db_path, tmp_path, ROSTER)
    before, raw = tables(db_path), db_path.read_bytes()
    # The governor row first this time: both line numbers are still given.
    swapped = HEADER + ANN_GOVERNOR + ROSTER.removeprefix(HEADER).replace(NORTH_GOVERNOR, "")

    for flags in ([], ["--dry-run"]):
        path = write(tmp_path, "dual.csv", swapped)
        result = htpm("roster", "import", str(path), *flags, "--now", LATER)

        assert_clean_failure(result, 1)
        problems = [line for line in lines(result.stderr) if " line " in line]
        assert problems == [
            "  dual.csv line 5: ann@trust.example is already the appointed governor of school "
            "200001 (line 2); one person cannot be both appointed governor and headteacher of "
            "one school"
        ], result.stderr
        assert tables(db_path) == before
        assert db_path.read_bytes() == raw


# --- 8. an open appraisal would be left without a reviewer ------------------------------------


@pytest.mark.parametrize(
    ("dceos", "why"),
    [
        pytest.param("", "no reviewer is named and the roster has no DCEO", id="no-dceo"),
        pytest.param(
            ",,dceo,Dan Deputy,dan@trust.example,\n,,dceo,Dee Deputy,dee@trust.example,\n",
            "no reviewer is named and the roster has more than one DCEO to choose from",
            id="two-dceos",
        ),
    ],
)
def test_a_reimport_leaving_an_open_appraisal_without_a_reviewer_is_refused(
    db_path, tmp_path, dceos, why
):
    imported(db_path, tmp_path, ROSTER)
    before, raw = tables(db_path), db_path.read_bytes()
    # South's reviewer row and the DCEO row go together: nobody could review South.
    rows = ROSTER.removeprefix(HEADER).replace(SOUTH_REVIEWER, "").replace(DCEO, dceos)
    text = HEADER + rows
    south_line = 1 + next(
        n for n, row in enumerate(rows.splitlines(), start=1) if row.startswith("200002,")
    )

    for flags in (["--dry-run"], []):
        result = htpm(
            "roster", "import", str(write(tmp_path, "b.csv", text)), *flags, "--now", LATER
        )

        assert_clean_failure(result, 1)
        assert lines(result.stderr)[0] == (
            "The roster was not imported: 1 problem found; nothing was changed."
        )
        assert (
            f"line {south_line}: school 200002 has an open appraisal (2026–27) that would be "
            f"left without a reviewer: {why}" in lines(result.stderr)[1]
        ), result.stderr
        assert len(lines(result.stderr)) == 2, result.stderr
        assert tables(db_path) == before
        assert db_path.read_bytes() == raw
