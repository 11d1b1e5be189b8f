"""The `htpm` command line: roster, cycle, status, demo and database administration."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import ArgumentError, DBAPIError, InvalidRequestError, OperationalError

from appraisal.errors import DomainError
from appraisal.policy import academic_year_of
from appraisal.roster import RosterRejected, parse_roster
from appraisal.status import StatusLine
from appraisal.text import compact_date
from bot.settings import Settings, SettingsError, load_settings
from bot.wiring import Product, open_product
from storage.database import make_engine

app = typer.Typer(
    help="HTPM bot: headteacher performance management for a school trust.",
    no_args_is_help=True,
    add_completion=False,
    # A traceback with local variables could print confidential record text.
    pretty_exceptions_show_locals=False,
)
roster_app = typer.Typer(help="The trust's roster of people and schools.", no_args_is_help=True)
cycle_app = typer.Typer(help="The annual appraisal cycle.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
app.add_typer(roster_app, name="roster")
app.add_typer(cycle_app, name="cycle")
app.add_typer(db_app, name="db")


class _Consoles:
    """stdout and stderr consoles, made on first use (not at import)."""

    @cached_property
    def out(self) -> Console:
        console = Console(highlight=False, soft_wrap=True)
        if not console.is_terminal and "COLUMNS" not in os.environ:
            console.width = 140  # piped or captured: keep rows on one line where possible
        return console

    @cached_property
    def err(self) -> Console:
        return Console(stderr=True, highlight=False, soft_wrap=True)


_consoles = _Consoles()


def out_print(*args: object) -> None:
    """Print to standard output."""
    _consoles.out.print(*args)


def err_print(*args: object) -> None:
    """Print to standard error."""
    _consoles.err.print(*args)


T = TypeVar("T")

NowOption = Annotated[
    str | None,
    typer.Option(help="Act as if it were this moment (ISO date-time, UK time if no zone given)."),
]


def _settings() -> Settings:
    try:
        settings = load_settings()
    except SettingsError as exc:
        err_print(str(exc))
        raise typer.Exit(2) from None
    try:
        make_engine(settings.database_url)  # only checks the URL and driver; connects to nothing
    except (ArgumentError, InvalidRequestError) as exc:
        reason = str(exc).replace("\n", " ")
        err_print(f"The configuration is not valid:\n  HTPM_DATABASE_URL: {reason}")
        raise typer.Exit(2) from None
    return settings


def _now(value: str | None, settings: Settings) -> datetime:
    zone = ZoneInfo(settings.timezone)
    if value is None:
        return datetime.now(zone)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        err_print(f"--now '{value}' is not a date-time such as 2026-11-05T09:00.")
        raise typer.Exit(2) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _run(settings: Settings, work: Callable[[Product], Awaitable[T]]) -> T:
    """Open the product (migrating the database), run `work`, and turn failures into messages."""

    async def main() -> T:
        async with open_product(settings) as product:
            return await work(product)

    try:
        return asyncio.run(main())
    except DomainError as exc:
        err_print(exc.message)
        raise typer.Exit(1) from None
    except (OperationalError, DBAPIError, OSError) as exc:
        reason = getattr(exc, "orig", None) or exc
        err_print(
            f"Cannot use the database: {type(reason).__name__}: {str(reason).splitlines()[0]}"
        )
        raise typer.Exit(2) from None


@roster_app.command("import")
def roster_import(
    file: Annotated[
        Path, typer.Argument(help="CSV: school_urn,school_name,role,name,email,aad_object_id")
    ],
    now: NowOption = None,
) -> None:
    """Make the roster match a CSV file; a file with any bad row is refused whole."""
    settings = _settings()
    try:
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        err_print(f"No such file: {file}")
        raise typer.Exit(2) from None
    except UnicodeDecodeError:
        err_print(f"{file} is not UTF-8 text. Save it as 'CSV UTF-8' and try again.")
        raise typer.Exit(2) from None
    except OSError as exc:
        err_print(f"Cannot read {file}: {exc.strerror}")
        raise typer.Exit(2) from None
    try:
        entries = parse_roster(text)
    except RosterRejected as exc:
        err_print(exc.message)
        for problem in exc.problems:
            err_print(f"  {file.name} {problem}")
        raise typer.Exit(1) from None
    moment = _now(now, settings)
    changes = _run(settings, lambda p: p.roster.import_entries(entries, moment))
    if not changes.changed:
        out_print(f"Roster unchanged: {len(entries)} rows already match.")
        return
    parts = [f"{k.replace('_', ' ')}: {v}" for k, v in vars(changes).items() if v]
    out_print(f"Roster imported ({len(entries)} rows). " + "; ".join(parts) + ".")


@cycle_app.command("start")
def cycle_start(
    year: Annotated[
        int | None, typer.Option(help="Academic year it starts in, e.g. 2026 for 2026–27.")
    ] = None,
    now: NowOption = None,
) -> None:
    """Open the year's appraisal for every school with a headteacher and a governor."""
    settings = _settings()
    moment = _now(now, settings)
    chosen = year if year is not None else academic_year_of(moment.date())
    if not 2000 <= chosen <= 2100:
        err_print(f"--year {chosen} is not a plausible academic year.")
        raise typer.Exit(2)

    async def work(product: Product):
        with _consoles.err.status(f"Opening the {chosen}–{(chosen + 1) % 100:02d} cycle…"):
            return await product.cycles.start(chosen, moment)

    report = _run(settings, work)
    for label in report.opened:
        out_print(f"opened   {label}")
    for label in report.already_open:
        out_print(f"open     {label} (already)")
    for label, why in report.skipped:
        out_print(f"skipped  {label}: {why}")
    out_print(
        f"{len(report.opened)} opened, {len(report.already_open)} already open, "
        f"{len(report.skipped)} skipped."
    )
    if report.skipped:
        raise typer.Exit(1)


def print_status(lines: list[StatusLine], title: str) -> None:
    """The status table: never any objective text, only stages, people and dates."""
    if not lines:
        out_print("No appraisals yet. Import a roster and run `htpm cycle start`.")
        return
    table = Table(title=title, show_lines=False, expand=False)
    for column in ("School", "Headteacher", "Year", "Stage", "Next step", "Owed by", "Due", ""):
        table.add_column(column, overflow="fold")
    for line in lines:
        step = line.owed[0] if line.owed else None
        flags = []
        if step and step.overdue:
            flags.append(
                f"OVERDUE ({step.working_days_late} working day"
                f"{'s' if step.working_days_late != 1 else ''})"
            )
        if line.meeting_after_target:
            flags.append("meeting after trust target")
        table.add_row(
            f"{line.school_name} ({line.school_urn})",
            line.headteacher_name,
            line.academic_year,
            line.stage.label,
            step.obligation.action.label if step else "—",
            f"{step.person_name} ({step.obligation.role.label})" if step else "—",
            compact_date(step.obligation.due_on) if step else "—",
            "; ".join(flags),
        )
    out_print(table)


@app.command()
def status(
    year: Annotated[int | None, typer.Option(help="Only this academic year.")] = None,
    now: NowOption = None,
) -> None:
    """Where every appraisal stands: stage, who owes the next step, due date, overdue."""
    settings = _settings()
    moment = _now(now, settings)
    lines = _run(settings, lambda p: p.status.overview(moment, year))
    print_status(lines, f"Appraisals at {moment:%d/%m/%Y %H:%M}")


@app.command()
def demo(now: NowOption = None) -> None:
    """Seed a demo trust (three schools, their people, a cycle under way) and show its status."""
    from bot.demo import seed_demo

    settings = _settings()
    moment = _now(now, settings)

    async def work(product: Product):
        message = await seed_demo(product, moment)
        return message, await product.status.overview(moment)

    message, lines = _run(settings, work)
    out_print(message)
    print_status(lines, "The demo trust")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the latest schema (the product also does this on start)."""
    settings = _settings()
    _run(settings, lambda p: asyncio.sleep(0))
    out_print("Database is at the latest schema.")


@db_app.command("downgrade")
def db_downgrade(
    to: Annotated[str, typer.Option(help="Revision to go down to; 'base' removes every table.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm: data in removed tables is lost.")
    ] = False,
) -> None:
    """Migrate the database down (for rolling back a release)."""
    from storage.database import Database
    from storage.migrate import downgrade

    settings = _settings()
    if not yes:
        err_print("Downgrading can delete data. Run again with --yes to confirm.")
        raise typer.Exit(2)

    async def main() -> None:
        db = Database(settings.database_url)
        try:
            await downgrade(db.engine, to)
        finally:
            await db.dispose()

    asyncio.run(main())
    out_print(f"Database downgraded to {to}.")


def main() -> None:
    """Entry point of the `htpm` console script."""
    app(prog_name="htpm")


if __name__ == "__main__":
    sys.exit(main())
