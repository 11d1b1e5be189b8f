"""The `htpm` command line, driven in-process against a SQLite file per test."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from appraisal.stages import Action, Stage
from bot.demo import DEMO_DOMAIN, _demo_record
from bot.settings import load_settings
from tests.support.cli import htpm, query, write

GOOD_ROSTER = """\
school_urn,school_name,role,name,email,aad_object_id
,,dceo,Dana Whitfield,Dana@Trust.example,
,,admin,Colin Mercer,colin@trust.example,
200001,North School,headteacher,Ann North,ann@trust.example,
200001,North School,reviewer,Rob Review,rob@trust.example,
200001,North School,governor,Gail Gov,gail@trust.example,
200002,South School,headteacher,Sam South,sam@trust.example,
200002,South School,governor,Gail Gov,gail@trust.example,
200003,East School,headteacher,Eve East,eve@trust.example,
200003,East School,reviewer,Rob Review,rob@trust.example,
"""
GOOD_ROWS, GOOD_PEOPLE, GOOD_SCHOOLS = 9, 7, 3

COMPLETE_ROSTER = """\
school_urn,school_name,role,name,email,aad_object_id
,,dceo,Dana Whitfield,dana@trust.example,
200001,North School,headteacher,Ann North,ann@trust.example,
200001,North School,governor,Gail Gov,gail@trust.example,
"""

BAD_ROSTER = """\
school_urn,school_name,role,name,email,aad_object_id
,,dceo,Dana Whitfield,dana@trust.example,

200001,North School,wizard,Ann North,ann@trust.example,
200001,North School,governor,Gail Gov,gail-at-trust.example,
200001,"North
School",headteacher,Ann North,ann@trust.example,not-a-guid
"""
#: (line, phrase) for every problem in BAD_ROSTER.
BAD_PROBLEMS = [
    (4, "unknown role 'wizard'"),
    (5, "malformed email 'gail-at-trust.example'"),
    (6, "aad_object_id 'not-a-guid' is not an Entra object id"),
]

START = ["cycle", "start", "--year", "2026", "--now", "2026-09-01T09:00"]


COUNT = {
    "schools": "SELECT count(*) FROM schools",
    "people": "SELECT count(*) FROM people",
    "roster_roles": "SELECT count(*) FROM roster_roles",
    "appraisals": "SELECT count(*) FROM appraisals",
    "audit_events": "SELECT count(*) FROM audit_events",
}


def counts(path: Path) -> dict[str, int]:
    return {table: query(path, sql)[0][0] for table, sql in COUNT.items()}


def snapshot(path: Path) -> dict[str, list[tuple]]:
    return {
        "schools": query(path, "SELECT urn, name, nation FROM schools ORDER BY urn"),
        "people": query(path, "SELECT id, name, email, aad_object_id FROM people ORDER BY id"),
        "roles": query(
            path, "SELECT person_id, role, school_urn FROM roster_roles ORDER BY person_id, role"
        ),
    }


def person_id(path: Path, email: str) -> int:
    return query(path, "SELECT id FROM people WHERE email = ?", email)[0][0]


def row_of(output: str, school: str) -> str:
    """The one output line holding this school's row of the status table."""
    rows = [line for line in output.splitlines() if school in line]
    assert len(rows) == 1, output
    return rows[0]


def compact_date(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def assert_clean_failure(result, code: int) -> None:
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


# --- roster import ----------------------------------------------------------------------------


def test_importing_a_good_roster_prints_a_summary_and_stores_it(db_path, tmp_path):
    result = htpm("roster", "import", str(write(tmp_path, "roster.csv", GOOD_ROSTER)))

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"Roster imported ({GOOD_ROWS} rows). schools added: {GOOD_SCHOOLS}; "
        f"people added: {GOOD_PEOPLE}; roles added: {GOOD_ROWS}."
    )
    assert counts(db_path) == {
        "schools": GOOD_SCHOOLS,
        "people": GOOD_PEOPLE,
        "roster_roles": GOOD_ROWS,
        "appraisals": 0,
        "audit_events": 1,
    }
    assert query(db_path, "SELECT name FROM people WHERE email = 'dana@trust.example'") == [
        ("Dana Whitfield",)
    ]
    assert query(db_path, "SELECT school_urn FROM roster_roles WHERE role = 'dceo'") == [(None,)]


def test_importing_the_same_roster_again_changes_nothing(db_path, tmp_path):
    roster = write(tmp_path, "roster.csv", GOOD_ROSTER)
    assert htpm("roster", "import", str(roster)).exit_code == 0
    before, stored = counts(db_path), snapshot(db_path)

    result = htpm("roster", "import", str(roster))

    assert result.exit_code == 0, result.output
    assert "Roster unchanged" in result.stdout
    assert f"{GOOD_ROWS} rows already match" in result.stdout
    assert "imported" not in result.stdout
    assert counts(db_path) == before  # not even an audit event
    assert snapshot(db_path) == stored


def test_importing_a_changed_roster_reports_what_changed(db_path, tmp_path):
    assert htpm("roster", "import", str(write(tmp_path, "a.csv", GOOD_ROSTER))).exit_code == 0
    changed = GOOD_ROSTER.replace("Eve East", "Eve Easton").replace(
        "200003,East School,reviewer,Rob Review,rob@trust.example,\n", ""
    )

    result = htpm("roster", "import", str(write(tmp_path, "b.csv", changed)))

    assert result.exit_code == 0, result.output
    assert "people updated: 1" in result.stdout
    assert "roles removed: 1" in result.stdout
    assert counts(db_path)["roster_roles"] == GOOD_ROWS - 1
    assert query(db_path, "SELECT name FROM people WHERE email = 'eve@trust.example'") == [
        ("Eve Easton",)
    ]


def test_a_bad_roster_is_refused_with_every_problem_and_nothing_written(db_path, tmp_path):
    result = htpm("roster", "import", str(write(tmp_path, "bad.csv", BAD_ROSTER)))

    assert_clean_failure(result, 1)
    assert f"{len(BAD_PROBLEMS)} problems found" in result.stderr
    assert "nothing was changed" in result.stderr
    problem_lines = [line.strip() for line in result.stderr.splitlines() if " line " in line]
    assert len(problem_lines) == len(BAD_PROBLEMS), result.stderr
    for printed, (line, phrase) in zip(problem_lines, BAD_PROBLEMS, strict=True):
        assert printed.startswith(f"bad.csv line {line}: "), printed
        assert phrase in printed, printed
    assert result.stdout == ""
    assert not db_path.exists() or counts(db_path) == dict.fromkeys(COUNT, 0)


def test_a_bad_roster_leaves_a_previous_import_untouched(db_path, tmp_path):
    assert htpm("roster", "import", str(write(tmp_path, "good.csv", GOOD_ROSTER))).exit_code == 0
    before, stored = counts(db_path), snapshot(db_path)
    # Mostly good rows that would change the roster, plus one bad row.
    bad = GOOD_ROSTER.replace("Ann North", "Ann Northcott") + ",,admin,X,not-an-email,\n"

    result = htpm("roster", "import", str(write(tmp_path, "bad.csv", bad)))

    assert_clean_failure(result, 1)
    assert f"bad.csv line {GOOD_ROWS + 2}: malformed email 'not-an-email'" in result.stderr
    assert counts(db_path) == before
    assert snapshot(db_path) == stored


def test_a_missing_roster_file_gives_a_clear_message(db_path, tmp_path):
    missing = tmp_path / "nowhere.csv"

    result = htpm("roster", "import", str(missing))

    assert_clean_failure(result, 2)
    assert f"No such file: {missing}" in result.stderr
    assert not db_path.exists()


def test_a_roster_file_that_is_not_utf8_gives_a_clear_message(db_path, tmp_path):
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(
        GOOD_ROSTER.replace("Ann North", "Zoë Noël").encode("latin-1"),
    )

    result = htpm("roster", "import", str(latin1))

    assert_clean_failure(result, 2)
    assert "latin1.csv is not UTF-8 text" in result.stderr
    assert "CSV UTF-8" in result.stderr
    assert not db_path.exists()


def test_a_utf8_roster_with_a_bom_imports(db_path, tmp_path):
    roster = tmp_path / "excel.csv"
    roster.write_bytes(GOOD_ROSTER.replace("Ann North", "Zoë Noël").encode("utf-8-sig"))

    result = htpm("roster", "import", str(roster))

    assert result.exit_code == 0, result.output
    assert query(db_path, "SELECT name FROM people WHERE email = 'ann@trust.example'") == [
        ("Zoë Noël",)
    ]


# --- cycle start ------------------------------------------------------------------------------


def test_cycle_start_opens_every_school_and_one_without_a_governor_waits(db_path, tmp_path):
    assert htpm("roster", "import", str(write(tmp_path, "r.csv", GOOD_ROSTER))).exit_code == 0

    result = htpm(*START)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "opened   North School (200001)" in lines
    assert "opened   South School (200002)" in lines
    assert "opened   East School (200003): no appointed governor yet" in lines
    assert "3 opened, 0 already open, 0 skipped." in lines
    assert "waits until the roster names an appointed governor" in lines[-1]
    assert "Traceback" not in result.output
    east = query(db_path, "SELECT stage FROM appraisals WHERE school_urn = '200003'")
    assert east == [(Stage.AWAITING_DATE.value,)]
    assert query(
        db_path,
        "SELECT COUNT(*) FROM appraisal_governors g JOIN appraisals a ON a.id = g.appraisal_id "
        "WHERE a.school_urn = '200003'",
    ) == [(0,)]


def test_cycle_start_skips_a_school_with_no_headteacher(db_path, tmp_path):
    roster = GOOD_ROSTER + "200004,West School,governor,Wyn West,wyn@trust.example,\n"
    assert htpm("roster", "import", str(write(tmp_path, "r.csv", roster))).exit_code == 0

    result = htpm(*START)

    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert "skipped  West School (200004): no headteacher on the roster" in lines
    assert "3 opened, 0 already open, 1 skipped." in lines

    stored = query(
        db_path,
        "SELECT a.school_urn, a.year, a.stage, a.headteacher_id, a.reviewer_id, g.person_id, "
        "a.led_by_rel FROM appraisals a JOIN appraisal_governors g ON g.appraisal_id = a.id "
        "ORDER BY a.school_urn",
    )
    north, south = stored
    assert north == (
        "200001",
        2026,
        Stage.AWAITING_DATE.value,
        person_id(db_path, "ann@trust.example"),
        person_id(db_path, "rob@trust.example"),
        person_id(db_path, "gail@trust.example"),
        1,
    )
    # South names no reviewer: the DCEO leads it.
    assert south[:4] == (
        "200002",
        2026,
        Stage.AWAITING_DATE.value,
        person_id(db_path, "sam@trust.example"),
    )
    assert south[4] == person_id(db_path, "dana@trust.example")
    assert south[6] == 0


def test_cycle_start_again_reports_already_open_and_opens_nothing(db_path, tmp_path):
    assert htpm("roster", "import", str(write(tmp_path, "r.csv", GOOD_ROSTER))).exit_code == 0
    htpm(*START)
    before = counts(db_path)
    appraisals = query(db_path, "SELECT * FROM appraisals ORDER BY id")

    result = htpm(*START)

    lines = result.stdout.splitlines()
    assert "open     North School (200001) (already)" in lines
    assert "open     South School (200002) (already)" in lines
    assert "open     East School (200003) (already)" in lines
    assert not [line for line in lines if line.startswith("opened")]
    assert lines[-1] == "0 opened, 3 already open, 0 skipped."
    assert result.exit_code == 0
    assert counts(db_path) == before
    assert query(db_path, "SELECT * FROM appraisals ORDER BY id") == appraisals


def test_cycle_start_with_every_school_complete_exits_zero(db_path, tmp_path):
    assert htpm("roster", "import", str(write(tmp_path, "r.csv", COMPLETE_ROSTER))).exit_code == 0

    result = htpm(*START)

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "1 opened, 0 already open, 0 skipped."
    assert query(db_path, "SELECT school_urn, year FROM appraisals") == [("200001", 2026)]


def test_cycle_start_on_an_empty_roster_opens_nothing(db_path):
    result = htpm(*START)

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "0 opened, 0 already open, 0 skipped."
    assert counts(db_path)["appraisals"] == 0


@pytest.mark.parametrize("args", [["--now", "yesterday"], ["--year", "1999"]])
def test_cycle_start_refuses_a_bad_option(db_path, args):
    result = htpm("cycle", "start", *args)

    assert_clean_failure(result, 2)
    assert args[1] in result.stderr
    assert not db_path.exists()


# --- status -----------------------------------------------------------------------------------


def test_status_shows_who_owes_the_next_step_and_flags_it_when_overdue(db_path, tmp_path):
    assert htpm("roster", "import", str(write(tmp_path, "r.csv", GOOD_ROSTER))).exit_code == 0
    htpm(*START)
    due = {
        urn: date.fromisoformat(day)
        for urn, day in query(db_path, "SELECT school_urn, next_due_on FROM appraisals")
    }
    assert set(due) == {"200001", "200002", "200003"}
    expected = {
        "200001": ("North School (200001)", "Ann North", "Rob Review (reviewer)"),
        "200002": ("South School (200002)", "Sam South", "Dana Whitfield (reviewer)"),
        "200003": ("East School (200003)", "Eve East", "Rob Review (reviewer)"),
    }

    on_time = htpm("status", "--now", f"{min(due.values()) - timedelta(days=1)}T09:00")
    late = htpm("status", "--now", f"{max(due.values()) + timedelta(days=7)}T09:00")

    assert on_time.exit_code == late.exit_code == 0, on_time.output + late.output
    for urn, (school, head, owed_by) in expected.items():
        for result in (on_time, late):
            row = row_of(result.stdout, school)
            assert head in row
            assert "2026–27" in row
            assert Stage.AWAITING_DATE.label in row
            assert Action.PROPOSE_DATE.label in row
            assert owed_by in row
            assert compact_date(due[urn]) in row
        assert "OVERDUE" not in row_of(on_time.stdout, school)
        assert "OVERDUE (" in row_of(late.stdout, school)
    # East has no governor yet: flagged, while its date can still be arranged.
    assert "no appointed governor" in row_of(late.stdout, "East School (200003)")
    assert "no appointed governor" not in row_of(late.stdout, "North School (200001)")


def test_status_with_no_appraisals_says_so(db_path):
    result = htpm("status", "--now", "2026-09-01T09:00")

    assert result.exit_code == 0, result.output
    assert "No appraisals yet" in result.stdout


def test_status_never_prints_objective_text(db_path):
    assert htpm("demo", "--now", "2026-11-22T10:00").exit_code == 0
    record = _demo_record()
    secrets = [text for o in record.objectives for text in (o.text, o.success_criteria)]
    secrets += [
        record.cpd_and_support,
        record.wellbeing_notes,
        record.monitoring,
        record.evidence_to_collect,
    ]
    # The texts are really stored, so printing them would be possible.
    stored = " ".join(raw for (raw,) in query(db_path, "SELECT record FROM appraisals"))
    assert all(text in stored for text in secrets)

    result = htpm("status", "--now", "2026-11-22T10:00")

    assert result.exit_code == 0, result.output
    brookside = row_of(result.stdout, "Brookside Primary School (100001)")
    assert "Hannah Lewis" in brookside
    assert "OVERDUE" in brookside
    for text in secrets:
        assert text not in result.output
        assert text[:30] not in result.output


# --- demo -------------------------------------------------------------------------------------


def test_demo_on_an_empty_database_seeds_and_prints_status(db_path):
    result = htpm("demo", "--now", "2026-11-22T10:00")

    assert result.exit_code == 0, result.output
    assert "Seeded the demo trust with the 2026–27 cycle under way." in result.stdout
    for school in ("Brookside Primary School", "St Anne's CE Primary School", "Hillcrest Academy"):
        assert school in result.stdout
    assert counts(db_path)["appraisals"] == 3
    emails = [e for (e,) in query(db_path, "SELECT email FROM people")]
    assert emails
    assert all(e.endswith(DEMO_DOMAIN) for e in emails)
    stages = dict(query(db_path, "SELECT school_urn, stage FROM appraisals"))
    for urn, school in (("100001", "Brookside"), ("100002", "St Anne's")):
        assert Stage(stages[urn]).label in row_of(result.stdout, school)
    assert stages["100001"] != Stage.AWAITING_DATE.value  # walked on, not merely opened


def test_demo_again_says_it_is_already_seeded(db_path):
    assert htpm("demo", "--now", "2026-11-22T10:00").exit_code == 0
    before, stored = counts(db_path), snapshot(db_path)

    result = htpm("demo", "--now", "2026-11-22T10:00")

    assert result.exit_code == 0, result.output
    assert "already seeded" in result.stdout
    assert "Seeded the demo" not in result.stdout
    assert "Brookside Primary School" in result.stdout  # the status is still shown
    assert counts(db_path) == before
    assert snapshot(db_path) == stored


def test_demo_refuses_a_database_holding_another_roster(db_path, tmp_path):
    assert htpm("roster", "import", str(write(tmp_path, "r.csv", GOOD_ROSTER))).exit_code == 0
    before, stored = counts(db_path), snapshot(db_path)

    result = htpm("demo", "--now", "2026-11-22T10:00")

    assert result.exit_code == 1
    assert "already holds a roster" in result.output
    assert "demo was not seeded" in result.output
    assert "Seeded the demo" not in result.output
    assert "Traceback" not in result.output
    assert counts(db_path) == before
    assert snapshot(db_path) == stored
    assert not query(db_path, "SELECT email FROM people WHERE email LIKE ?", f"%{DEMO_DOMAIN}")


# --- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "phrase"),
    [
        ("HTPM_TRUST_TARGET", "13-45", "'13-45' is not a month and day"),
        ("HTPM_NATION", "mars", "use one of: england"),
        ("HTPM_PRE_READING_LINKS", "not json", "is not valid JSON"),
        ("HTPM_PRE_READING_LINKS", '[{"title": "x", "url": "nope"}]', "valid URL"),
        ("HTPM_TIMEZONE", "Mars/Olympus", "not a known time zone"),
    ],
)
@pytest.mark.parametrize(
    "command", [["status"], ["demo"], START, ["roster", "import", "roster.csv"]]
)
def test_a_bad_setting_gives_a_readable_message(
    db_path, tmp_path, monkeypatch, variable, value, phrase, command
):
    write(tmp_path, "roster.csv", GOOD_ROSTER)
    monkeypatch.setenv(variable, value)

    result = htpm(*command)

    assert_clean_failure(result, 2)
    assert "The configuration is not valid" in result.stderr
    assert f"{variable}: " in result.stderr
    assert phrase in result.stderr
    assert not db_path.exists()


@pytest.mark.parametrize(
    "url", ["not a url", "nosuchdb://host/db", "sqlite:///htpm.sqlite3"], ids=str
)
def test_a_bad_database_url_gives_a_readable_message(db_path, tmp_path, monkeypatch, url):
    monkeypatch.setenv("HTPM_DATABASE_URL", url)

    result = htpm("status")

    assert_clean_failure(result, 2)
    assert "HTPM_DATABASE_URL: " in result.stderr
    assert not list(tmp_path.glob("*.sqlite3"))


def test_an_unusable_database_gives_a_readable_message(db_path, tmp_path, monkeypatch):
    nowhere = tmp_path / "no-such-folder" / "htpm.sqlite3"
    monkeypatch.setenv("HTPM_DATABASE_URL", f"sqlite+aiosqlite:///{nowhere}")

    result = htpm("status")

    assert_clean_failure(result, 2)
    assert "Cannot use the database: OperationalError: unable to open database file" in (
        result.stderr
    )


def test_a_roster_path_that_is_a_folder_gives_a_clear_message(db_path, tmp_path):
    result = htpm("roster", "import", str(tmp_path))

    assert_clean_failure(result, 2)
    assert f"Cannot read {tmp_path}" in result.stderr
    assert not db_path.exists()


def test_a_bad_setting_in_a_dotenv_file_is_reported_too(db_path, tmp_path):
    (tmp_path / ".env").write_text("HTPM_TRUST_TARGET=02-30\n", encoding="utf-8")

    result = htpm("status")

    assert_clean_failure(result, 2)
    assert "HTPM_TRUST_TARGET: '02-30' is not a month and day" in result.stderr


# --- the installed console script -------------------------------------------------------------


def test_the_installed_console_script_lists_the_commands(tmp_path):
    script = Path(sys.executable).parent / "htpm"
    assert script.exists(), f"{script} is not installed"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HTPM_")}
    env["HTPM_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'unused.sqlite3'}"

    done = subprocess.run(
        [str(script), "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "Usage: htpm" in done.stdout
    commands = {line.split()[1] for line in done.stdout.splitlines() if line.startswith("│ ")}
    assert {"roster", "cycle", "status", "demo", "db"} <= commands
    assert not (tmp_path / "unused.sqlite3").exists()


def test_a_fresh_demo_only_opens_the_cycle(db_path):
    result = htpm("demo", "--fresh", "--now", "2026-09-01T09:00")
    assert result.exit_code == 0, result.output
    assert "cycle just opened" in result.output
    stages = query(db_path, "SELECT stage FROM appraisals ORDER BY school_urn")
    assert [stage for (stage,) in stages] == ["awaiting_date"] * 3


def test_nudges_preview_lists_who_is_reminded_when_and_never_objective_text(db_path):
    assert htpm("demo", "--now", "2026-11-22T10:00").exit_code == 0
    result = htpm("nudges", "preview", "--days", "10", "--now", "2026-11-23T09:00")
    assert result.exit_code == 0, result.output
    # Hannah's draft approval is overdue: she is nudged every second working day.
    assert row_of(result.stdout, "Tue 24 Nov 2026").count("Hannah Lewis") == 1
    assert "Approve the draft" in row_of(result.stdout, "Tue 24 Nov 2026")
    assert "overdue" in row_of(result.stdout, "Tue 24 Nov 2026")
    for objective in ("Raise attainment", "curriculum leadership", "NPQ for Executive"):
        assert objective not in result.output
    # A preview writes nothing.
    assert query(db_path, "SELECT COUNT(*) FROM nudge_outbox") == [(0,)]


def test_nudges_run_queues_each_nudge_once(db_path):
    assert htpm("demo", "--now", "2026-11-22T10:00").exit_code == 0
    first = htpm("nudges", "run", "--now", "2026-11-24T09:00")
    assert first.exit_code == 0, first.output
    rows = query(db_path, "SELECT kind, action FROM nudge_outbox ORDER BY id")
    assert ("overdue", "approve") in rows
    again = htpm("nudges", "run", "--now", "2026-11-24T11:00")
    assert again.exit_code == 0
    assert query(db_path, "SELECT kind, action FROM nudge_outbox ORDER BY id") == rows
    assert "1 message queued for 24/11/2026" in first.stdout
    assert "0 messages queued for 24/11/2026" in again.stdout


@pytest.mark.parametrize(
    ("variables", "start"),
    [
        ({}, "08:00"),
        ({"HTPM_SEND_WINDOW_START": "07:30"}, "07:30"),
        ({"HTPM_QUIET_HOURS_START": "09:15"}, "09:15"),  # the old name, deprecated
        ({"HTPM_QUIET_HOURS_START": "09:15", "HTPM_SEND_WINDOW_START": "07:30"}, "07:30"),
    ],
)
def test_the_sending_window_is_read_by_its_name_and_its_old_one(monkeypatch, variables, start):
    for name in ("HTPM_SEND_WINDOW_START", "HTPM_QUIET_HOURS_START"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert load_settings().nudge_policy().window_start.strftime("%H:%M") == start


def test_a_sending_window_that_ends_before_it_starts_is_refused(db_path, monkeypatch):
    monkeypatch.setenv("HTPM_QUIET_HOURS_END", "07:00")

    result = htpm("status")

    assert_clean_failure(result, 2)
    assert "HTPM_SEND_WINDOW_START must be earlier than HTPM_SEND_WINDOW_END" in result.stderr
