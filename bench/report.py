"""The benchmark's findings as tables: printed on the terminal, written as Markdown for docs/."""

from __future__ import annotations

import os
import platform
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass
class Table:
    """A titled table of strings; the first row is the header."""

    title: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append([str(c) for c in cells])

    def text(self) -> str:
        """Aligned columns for a terminal."""
        widths = [
            max(len(r[i]) for r in [self.header, *self.rows]) for i in range(len(self.header))
        ]

        def line(cells: list[str]) -> str:
            return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

        out = [self.title, line(self.header), line(["-" * w for w in widths])]
        out += [line(r) for r in self.rows]
        out += [f"  {n}" for n in self.notes]
        return "\n".join(out)

    def markdown(self) -> str:
        """A GitHub-flavoured Markdown table under a heading."""
        out = [f"### {self.title}", "", "| " + " | ".join(self.header) + " |"]
        out.append("|" + "|".join("---" for _ in self.header) + "|")
        out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in self.rows]
        for note in self.notes:
            out += ["", note]  # a paragraph each
        return "\n".join(out)


@dataclass
class Target:
    """One written target and whether this run met it."""

    what: str
    goal: str
    measured: str
    met: bool


@dataclass
class Report:
    """Everything one run found."""

    command: str
    started: datetime
    tables: list[Table] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    profiles: list[Table] = field(default_factory=list)
    #: What a missed target means, worked out from this run's own figures.
    misses: list[str] = field(default_factory=list)

    def target(self, what: str, goal: str, measured: str, met: bool) -> None:
        self.targets.append(Target(what, goal, measured, met))

    def _targets_table(self) -> Table:
        table = Table("Targets", ["target", "goal", "measured", "result"])
        for t in self.targets:
            table.add(t.what, t.goal, t.measured, "met" if t.met else "MISSED")
        table.notes += self.misses
        return table

    def text(self) -> str:
        parts = [t.text() for t in [*self.tables, self._targets_table(), *self.profiles]]
        return "\n\n".join(parts)

    def markdown(self) -> str:
        """The whole report as docs/benchmarks.md."""
        missed = [t for t in self.targets if not t.met]
        summary = (
            "Every target was met."
            if not missed
            else f"{len(missed)} of {len(self.targets)} targets missed: "
            + "; ".join(t.what for t in missed)
            + ". Profiles of what dominates follow the tables."
        )
        head = [
            "# Benchmarks",
            "",
            "How fast and how lean `htpm serve` is, measured on one machine in one run of the "
            "benchmark script, next to a bare botbuilder bot on the same machine. Produced by:",
            "",
            f"```sh\n{self.command}\n```",
            "",
            f"Run on {self.started:%A %d %B %Y at %H:%M %Z}. {summary}",
            "",
            "## The machine",
            "",
            *[f"- {fact}" for fact in machine()],
            "",
            "## Figures",
            "",
        ]
        body = [t.markdown() + "\n" for t in [*self.tables, self._targets_table()]]
        tail = (
            ["## Profiles\n", *[p.markdown() + "\n" for p in self.profiles]]
            if self.profiles
            else []
        )
        return "\n".join([*head, *body, *tail, METHOD])

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.markdown(), encoding="utf-8")


def machine() -> list[str]:
    """What the figures were measured on."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return [
        f"{os.cpu_count()} CPU cores ({cpu}), {memory} of memory",
        f"{platform.system()} {platform.release()} ({platform.machine()})",
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        "the load generator, the fakes and the servers share these cores",
    ]


METHOD = """
## How it is measured

- **Card actions.** Each request is an `adaptiveCard/action` invoke, as Teams sends it when a
  headteacher presses *Save* on the self-evaluation card: a real RS256 JWT (signed by a local
  key whose OpenID metadata the bot fetches, as it does Microsoft's), the headteacher's Entra
  object id, the appraisal and the version the card showed. The bot checks the token, finds
  the person, checks the step is theirs, writes the record and its audit event in one
  transaction, and answers with the card rebuilt; the benchmark checks that every answer is
  that card with the next version. Each worker is its own headteacher (32 schools), sending
  its next save as soon as the last is answered (closed loop). Runs stop at their request
  count or their time limit, whichever comes first, after a warm-up.
- **The SDK floor** (`bench/floor_bot.py`) is the smallest botbuilder bot that answers the same
  invoke: the same authentication settings, a CloudAdapter, an ActivityHandler answering
  every card action with one fixed card (the card our bot sent, captured in the same run).
  *Floor, as shipped* is botbuilder 4.17 as installed. *Floor, tuned* adds the one SDK fix
  `htpm serve` makes (msrest's retry policy, `bot/msrest_fix.py`), so that the ratio to it shows
  what our own code costs.
- **Message round trip.** A headteacher types `status`; the latency runs from sending the
  activity until the reply reaches the fake Bot Connector (the bot fetches its own token from a
  local Entra ID look-alike over HTTPS, as it does from Microsoft's).
- **Nudge sweep.** The morning job (`NudgeJob.run`) over 1,000, 5,000 and 25,000 appraisals
  spread through the 2026–27 cycle (meetings from late September to mid-December, people
  answering from promptly to two weeks late), on Wednesday 2 December 2026 at 09:00; each size
  timed three times from an empty outbox, the median shown. The query plan is the database's
  own EXPLAIN of the job's query.
- **Memory** is the server process's resident set (VmRSS) after start and after every 1,000
  card actions; **start-up** is from starting `htpm serve` to the first 200 from `/readyz`,
  on a store that is already migrated (a restart), median of three.
- **Hostile requests**: the seeded generator the fuzz test uses (`tests/support/hostile.py`):
  bodies that are not JSON, nest 50,000 deep, hold 5,000-digit numbers or NaN; activities with
  fields deleted, of the wrong type or huge, hostile text and ids, invokes the bot does not
  handle; each with a valid token, none, an expired one, one for another audience or one
  signed by an unpublished key. Four workers, closed loop; every answer counted by status.
- **Largest card**: every step card of every role at every stage, with every text field at
  its limit and every message shown, as JSON bytes; and the largest answer seen in the run.
"""
