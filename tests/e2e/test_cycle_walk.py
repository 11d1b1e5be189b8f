"""The whole 2026–27 cycle at Brookside walked in three Teams-like clients against one bot.

Hannah Lewis (headteacher), Rhona Patel (reviewer) and Gareth Evans (governor) each have their
own Microsoft 365 Agents Playground, driven by Playwright, all against ONE bot of this module's
own: a fresh database seeded with `htpm demo --fresh` (the cycle just opened, every school
waiting for its date) and `htpm serve --dev --now <moment>`, a fixed clock. To move time the
bot is stopped and started again on the same port and database with a later `--now`; the
Playgrounds keep pointing at that port and their pages keep working.

Brookside is Hannah's first cycle (no previous objectives): no self-evaluation, and the meeting
record is two cards (objectives, then support and arrangements). The same walk over HTTP, with
a second-cycle school, is tests/bot/test_walk.py. Every step is photographed into
artifacts/e2e/test_the_whole_cycle_in_three_playgrounds/ (numbered, person and step in the name).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.playground import Card, Chat
from tests.support.servers import (
    BOUND,
    E2EFailure,
    Playground,
    Service,
    clean_env,
    free_port,
    http_ok,
    tail,
)

BROOKSIDE = "Brookside Primary School"
BROOKSIDE_URN = "100001"
SEEDED_AT = "2026-09-01T09:00"
OBJECTIVES = (
    (
        "Raise attainment in KS2 writing, with a focus on disadvantaged pupils.",
        "Writing at the expected standard rises to 75%; the gap narrows by 5 points.",
        "School improvement",
    ),
    (
        "Improve attendance of persistently absent pupils.",
        "Persistent absence falls below 12% by July 2027.",
        "School improvement",
    ),
    (
        "Complete the NPQ for Executive Leadership.",
        "Programme completed by July 2027; learning shared with two trust headteachers.",
        "Training and professional development",
    ),
)
STANDARDS_URL = (
    "https://www.gov.uk/government/publications/national-standards-of-excellence-for-headteachers"
)
CHANGE_REQUEST = "Please add the NPQEL funding to the CPD and support."


@dataclass
class CycleBot:
    """`htpm serve --dev --now …` on one port and one SQLite file, restarted to move the clock."""

    folder: Path
    logs: Path
    port: int = field(default_factory=free_port)
    service: Service | None = None
    runs: list[Service] = field(default_factory=list)

    @property
    def database(self) -> Path:
        return self.folder / "htpm.sqlite3"

    @property
    def messages_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/messages"

    def _env(self) -> dict[str, str]:
        return clean_env({"HTPM_DATABASE_URL": f"sqlite+aiosqlite:///{self.database}"})

    def _htpm(self) -> str:
        return str(Path(sys.executable).with_name("htpm"))

    def seed(self, now: str) -> None:
        """`htpm demo --fresh --now <now>` into the (new) database."""
        log = self.logs / "cycle-demo.log"
        try:
            done = subprocess.run(
                [self._htpm(), "demo", "--fresh", "--now", now],
                cwd=self.folder,
                env=self._env(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=BOUND,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise E2EFailure(f"htpm demo --fresh took over {BOUND:.0f} s") from None
        log.write_bytes(done.stdout + done.stderr)
        if done.returncode != 0 or b"just opened" not in done.stdout:
            raise E2EFailure(f"htpm demo --fresh failed ({done.returncode}):\n{tail(log)}")

    def start(self, now: str) -> None:
        """Start the bot with its clock fixed at `now` and wait until it is ready (bounded)."""
        assert self.service is None or not self.service.alive(), "the bot is already running"
        # No reminders: a proactive card arriving mid-walk would be read as the reply.
        argv = [self._htpm(), "serve", "--dev", "--no-nudges", "--port", str(self.port)]
        argv += ["--now", now]
        log = self.logs / f"cycle-bot-{len(self.runs) + 1}-{now.replace(':', '')}.log"
        self.service = Service(
            f"htpm serve --now {now}", argv, env=self._env(), cwd=self.folder, log=log
        )
        self.runs.append(self.service)
        self.service.wait_for("/readyz", lambda: http_ok(f"http://127.0.0.1:{self.port}/readyz"))

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()

    def restart(self, now: str) -> None:
        """Stop the bot and start it again on the same port and database, at a later `now`."""
        self.stop()
        self.start(now)

    def describe(self) -> str:
        return self.service.describe() if self.service else "(the cycle bot has not started)"

    def errors(self) -> list[str]:
        """ERROR lines from every run of the bot."""
        found = []
        for run in self.runs:
            text = run.log.read_text(encoding="utf-8", errors="replace")
            found += [f"{run.log.name}: {line}" for line in text.splitlines() if " ERROR " in line]
        return found

    # -- the database, read-only ---------------------------------------------------------------

    def query(self, sql: str, *args: object) -> list[tuple]:
        uri = f"file:{self.database}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=BOUND)) as db:
            return db.execute(sql, args).fetchall()

    def stage(self, urn: str = BROOKSIDE_URN) -> str:
        rows = self.query("SELECT stage FROM appraisals WHERE school_urn = ?", urn)
        assert len(rows) == 1, f"{len(rows)} appraisals for {urn}"
        return rows[0][0]

    def done_actions(self, urn: str = BROOKSIDE_URN) -> list[str]:
        rows = self.query(
            "SELECT e.action FROM audit_events e JOIN appraisals a ON a.id = e.appraisal_id "
            "WHERE a.school_urn = ? AND e.outcome = 'done' ORDER BY e.id",
            urn,
        )
        return [action for (action,) in rows]


@dataclass
class Walk:
    """The bot and each person's chat with it."""

    bot: CycleBot
    hannah: Chat
    rhona: Chat
    gareth: Chat

    def expect_stage(self, stage: str) -> None:
        found = self.bot.stage()
        if found != stage:
            raise E2EFailure(
                f"Brookside is at {found!r}, expected {stage!r}.\n{self.bot.describe()}"
            )

    def move_clock(self, now: str) -> None:
        """Restart the bot at `now`; the pages keep their conversations (the next step checks)."""
        self.bot.restart(now)


@pytest.fixture(scope="module")
def walk(e2e_dir: Path, artifacts, playground_for: Callable, new_chat: Callable) -> Iterator[Walk]:
    folder = e2e_dir / "cycle-bot"
    folder.mkdir()  # its working directory, so a developer's .env is never read
    bot = CycleBot(folder, e2e_dir)
    playgrounds: list[Playground] = []
    chats: list[Chat] = []
    try:
        bot.seed(SEEDED_AT)
        bot.start("2026-09-02T09:00")
        for person in ("headteacher", "reviewer", "governor"):
            playground = playground_for(person, bot.messages_url, f"cycle-{person}")
            playgrounds.append(playground)
            chats.append(
                new_chat(
                    playground,
                    person,
                    lambda p=playground: f"{bot.describe()}\n{p.service.describe(20)}",
                )
            )
        yield Walk(bot, *chats)
    finally:
        # Done with them: nothing of this walk lingers, or is photographed, in later tests.
        for chat in chats:
            if chat in artifacts.chats:
                artifacts.chats.remove(chat)
            chat.page.context.close()
        for playground in playgrounds:
            playground.service.stop()
        bot.stop()


def open_school(chat: Chat, as_of: str, school: str = BROOKSIDE) -> Card:
    """Type 'status' and press the school's Open button; returns the appraisal's card.

    `as_of` is the date the status card must say it is: the bot answering is the one started
    with that clock (after a restart, the page's conversation carried on).
    """
    status = chat.send("status")
    status.wait_for_text("Your appraisals", f"As of {as_of}", school)
    # Each appraisal is a container with its own Open button (Action.Execute show_appraisal).
    block = (
        status.locator.locator(".ac-container")
        .filter(has_text=school)
        .filter(has=chat.page.locator(".ac-actionSet button[title='Open']"))
    )
    if block.count() == 0:
        raise chat.fail(f"the status card has no Open button for {school}")
    card = Card(chat, block.last, top=status.top).click("Open")
    card.wait_for_text(school)
    return card


def status_block(chat: Chat, school: str = BROOKSIDE) -> str:
    """The text of the school's block on a new status card."""
    status = chat.send("status")
    status.wait_for_text("Your appraisals", school)
    blocks = status.locator.locator(".ac-container").filter(has_text=school)
    return blocks.last.inner_text(timeout=BOUND * 1000)


def assert_between(card: Card, message: str, above: str, below: str) -> None:
    """`message` is shown under the input labelled `above` and over the one labelled `below`."""
    shown = card.locator.get_by_text(message).first.bounding_box(timeout=BOUND * 1000)
    top = card.input(above).bounding_box(timeout=BOUND * 1000)
    bottom = card.input(below).bounding_box(timeout=BOUND * 1000)
    assert shown and top and bottom, "the message or the inputs are not on the page"
    if not top["y"] + top["height"] <= shown["y"] < bottom["y"]:
        raise card.chat.fail(f"{message!r} is not shown between {above!r} and {below!r}")


def test_the_whole_cycle_in_three_playgrounds(walk: Walk) -> None:
    bot, hannah, rhona, gareth = walk.bot, walk.hannah, walk.rhona, walk.gareth

    # 1. 2 September: Rhona proposes a Saturday, is told beside the date, then a Wednesday.
    card = open_school(rhona, "Wednesday 2 September 2026")
    card.wait_for_text("Propose the meeting date", "Date of the meeting", "Start time")
    card.fill("Date of the meeting", "2026-10-10").fill("Start time", "10:00")
    again = card.click("Propose this date")
    again.wait_for_text("Saturday 10 October 2026 is not a working day")
    again.screenshot("saturday-refused")
    assert_between(again, "is not a working day", "Date of the meeting", "Start time")
    walk.expect_stage("awaiting_date")
    again.fill("Date of the meeting", "2026-10-14").fill("Start time", "10:00")
    again.click("Propose this date").wait_for_text("Done: Meeting date proposed")
    walk.expect_stage("date_proposed")

    # 2. Hannah confirms the date; Gareth confirms he can attend.
    card = hannah.send("next")
    card.wait_for_text("Confirm the meeting date", BROOKSIDE, "Wednesday 14 October 2026 at 10:00")
    card.click("Confirm this date").wait_for_text("Done: Meeting date confirmed")
    walk.expect_stage("awaiting_governor")
    card = gareth.send("next")
    card.wait_for_text("Can you attend the review meeting?", BROOKSIDE, "Wednesday 14 October 2026")
    card.click("Yes, I can attend").wait_for_text("Done: Attendance confirmed")
    walk.expect_stage("preparation")

    # 3. 7 October: Rhona sends the pre-reading, the Headteachers' standards among it.
    walk.move_clock("2026-10-07T09:00")
    card = open_school(rhona, "Wednesday 7 October 2026")
    card.wait_for_text("Send the pre-reading", "Headteachers' standards")
    # Its Open button is an Action.OpenUrl: the renderer puts the address in the button's title.
    assert STANDARDS_URL in card.buttons(), card.buttons()
    card.screenshot("pre-reading")
    card.click("Send the pre-reading").wait_for_text("Done: Pre-reading sent")
    walk.expect_stage("preparation")
    assert bot.done_actions()[-1] == "send_pre_reading"

    # 4. 14 October, after the meeting: Rhona records it over two cards, then submits the draft.
    walk.move_clock("2026-10-14T16:00")
    card = open_school(rhona, "Wednesday 14 October 2026")
    card.wait_for_text("Meeting record 1 of 2", "Record the meeting: objectives for 2026")
    for n, (objective, criteria, focus) in enumerate(OBJECTIVES, start=1):
        card.fill(f"Objective {n}", objective)
        card.fill(f"Success criteria for objective {n}", criteria)
        card.fill(f"Objective {n} is about", focus)
    card.screenshot("objectives-filled")
    card = card.click("Save and continue")
    card.wait_for_text("Meeting record 2 of 2", "Record the meeting: support and arrangements")
    (
        card.fill("CPD and support", "NPQEL; half-termly coaching with a trust headteacher.")
        .fill("Workload and wellbeing", True)
        .fill("How progress will be monitored", "Termly visits by the reviewer.")
        .fill("Evidence to collect", "Writing moderation; attendance data.")
        .fill("Who holds the mid-year review", "The reviewer")
        .fill("Month of the mid-year review", "February")
    )
    card.screenshot("arrangements-filled")
    card.click("Save the meeting record").wait_for_text("Done: Meeting recorded")
    walk.expect_stage("meeting_held")
    card = open_school(rhona, "Wednesday 14 October 2026")
    card.wait_for_text("Submit the draft record", *(o[0] for o in OBJECTIVES))
    card.screenshot("draft")
    card.click("Submit the draft").wait_for_text("Done: Draft sent to the headteacher")
    walk.expect_stage("draft_with_headteacher")

    # 5. 15 October: Hannah asks for a change; Rhona sees it and resubmits; Hannah approves.
    walk.move_clock("2026-10-15T09:00")
    card = hannah.send("next")
    card.wait_for_text("Approve the draft record", *(o[0] for o in OBJECTIVES))
    inner = card.show("Request changes")  # Action.ShowCard
    inner.fill("What would you like changed?", CHANGE_REQUEST)
    card.screenshot("request-changes")
    inner.click("Send the request").wait_for_text("Done: Changes requested")
    walk.expect_stage("changes_requested")
    card = open_school(rhona, "Thursday 15 October 2026")
    card.wait_for_text(
        "Submit the draft record", "Changes the headteacher asked for", CHANGE_REQUEST
    )
    card.screenshot("changes-asked-for")
    card.click("Submit the draft").wait_for_text("Done: Draft sent to the headteacher")
    walk.expect_stage("draft_with_headteacher")
    card = hannah.send("next")
    card.wait_for_text("Approve the draft record", BROOKSIDE)
    card.click("Approve").wait_for_text("Done: Draft approved")
    walk.expect_stage("approved")

    # 6. Rhona issues the final; Hannah shares it; Gareth acknowledges with the board's date.
    card = open_school(rhona, "Thursday 15 October 2026")
    card.wait_for_text("Issue the final record", "Hannah Lewis approved the draft")
    card.click("Issue the final record").wait_for_text("Done: Final record issued")
    walk.expect_stage("final_issued")
    card = hannah.send("next")
    card.wait_for_text("Share the record with the governor", "Gareth Evans")
    card.screenshot("share")
    card.click("Share with the governor").wait_for_text("Done: Shared with the governor")
    walk.expect_stage("shared")
    card = gareth.send("next")
    card.wait_for_text(
        "Acknowledge the completed cycle", "Objectives are not reported to the board"
    )
    card.fill("Date of the board meeting", "2026-11-26")
    card.screenshot("acknowledge")
    card.click("Acknowledge").wait_for_text("Done: Completion acknowledged")
    walk.expect_stage("mid_year_due")

    # 7. 9 February 2027: Rhona records the mid-year review; the cycle is complete.
    walk.move_clock("2027-02-09T15:00")
    card = open_school(rhona, "Tuesday 9 February 2027")
    card.wait_for_text("Record the mid-year review", "holds the mid-year review in February")
    card.fill("Date the review was held", "2027-02-09")
    for ref in ("O1", "O2", "O3"):
        card.fill(f"Progress on {ref}", "On track")
    card.screenshot("mid-year")
    card.click("Record the mid-year review").wait_for_text("Done: Mid-year review recorded")
    walk.expect_stage("complete")

    for chat in (hannah, rhona, gareth):
        block = status_block(chat)
        assert "Stage: Complete" in block, f"{chat.person}'s status card reads:\n{block}"
    assert bot.done_actions() == [
        "open_cycle",
        "propose_date",
        "confirm_date",
        "confirm_availability",
        "send_pre_reading",
        "record_meeting",
        "submit_draft",
        "request_changes",
        "submit_draft",
        "approve",
        "issue_final",
        "share_with_governor",
        "acknowledge",
        "record_mid_year",
    ]
    assert not bot.errors(), "the bot logged errors:\n" + "\n".join(bot.errors())
