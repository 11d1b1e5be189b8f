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
from appraisal.ports import RosterChanges
from appraisal.roles import SCHOOL_ROLES, Role
from appraisal.roster import RosterProblem, RosterRejected, parse_roster
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
        for problem in getattr(exc, "problems", None) or []:
            if isinstance(problem, RosterProblem):
                err_print(f"  {problem}")
        raise typer.Exit(1) from None
    except (OperationalError, DBAPIError, OSError) as exc:
        reason = getattr(exc, "orig", None) or exc
        err_print(
            f"Cannot use the database: {type(reason).__name__}: {str(reason).splitlines()[0]}"
        )
        raise typer.Exit(2) from None


DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Show what would change, and change nothing.")
]


def print_roster_changes(
    changes: RosterChanges, rows: str, dry_run: bool, unchanged: str | None = None
) -> None:
    """What an import or assignment changed (or would change): rows, then people on appraisals."""
    verb = "would change" if dry_run else "changed"
    if not changes.changed:
        out_print(unchanged or f"Roster unchanged: {rows} already match.")
    else:
        counts = "; ".join(f"{k}: {v}" for k, v in changes.counts().items())
        head = (
            "Dry run, nothing was changed. The roster would be imported"
            if dry_run
            else ("Roster imported")
        )
        out_print(f"{head} ({rows}). {counts or 'No roster rows changed'}.")
    if changes.participants:
        out_print(f"Open appraisals whose people {verb}:")
        for move in changes.participants:
            out_print(f"  {move}")
    for note in changes.notes:
        out_print(f"  {note}")


@roster_app.command("import")
def roster_import(
    file: Annotated[
        Path, typer.Argument(help="CSV: school_urn,school_name,role,name,email,aad_object_id")
    ],
    now: NowOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Make the roster match a CSV file; open appraisals follow it. A bad file is refused whole."""
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
    changes = _run(settings, lambda p: p.roster.import_entries(entries, moment, dry_run=dry_run))
    print_roster_changes(changes, f"{len(entries)} rows", dry_run)


@roster_app.command("assign")
def roster_assign(
    school: Annotated[str, typer.Option(help="The school's URN.")],
    role: Annotated[str, typer.Option(help="headteacher, reviewer, governor or adviser.")],
    email: Annotated[
        list[str],
        typer.Option(help="Who holds the role now; repeat it for up to three governors."),
    ],
    name: Annotated[
        str | None, typer.Option(help="Their name, for someone not yet on the roster.")
    ] = None,
    now: NowOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Name who holds a role at one school now, with the checks and audit of an import."""
    settings = _settings()
    chosen = role.strip().lower()
    if chosen not in {r.value for r in SCHOOL_ROLES}:
        err_print(
            f"--role '{role}' is not a role held for one school: use headteacher, reviewer, "
            "governor or adviser."
        )
        raise typer.Exit(2)
    moment = _now(now, settings)
    changes = _run(
        settings,
        lambda p: p.roster.assign(
            school.strip(), Role(chosen), email, moment, name=name, dry_run=dry_run
        ),
    )
    urn = school.strip()
    already = f"Roster unchanged: school {urn} already has them as its {Role(chosen).label}."
    print_roster_changes(changes, f"school {urn}", dry_run, already)


@cycle_app.command("start")
def cycle_start(
    year: Annotated[
        int | None, typer.Option(help="Academic year it starts in, e.g. 2026 for 2026–27.")
    ] = None,
    now: NowOption = None,
) -> None:
    """Open the year's appraisal for every school with a headteacher."""
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
        waiting = label in report.without_governor
        out_print(f"opened   {label}" + (": no appointed governor yet" if waiting else ""))
    for label in report.already_open:
        out_print(f"open     {label} (already)")
    for label, why in report.skipped:
        out_print(f"skipped  {label}: {why}")
    out_print(
        f"{len(report.opened)} opened, {len(report.already_open)} already open, "
        f"{len(report.skipped)} skipped."
    )
    if report.without_governor:
        out_print(
            "The governor's step waits until the roster names an appointed governor; "
            "they are welcomed when it does."
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
        if line.no_governor:
            flags.append(f"blocked: {line.blocked}" if line.blocked else "no appointed governor")
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
    from rich.markup import escape

    from bot.sender import delivery_problems

    async def work(product: Product):
        async with product.ctx.uow() as tx:
            failed = await delivery_problems(tx)
        return await product.status.overview(moment, year), failed

    lines, failed = _run(settings, work)
    print_status(lines, f"Appraisals at {moment:%d/%m/%Y %H:%M}")
    if failed:
        who = ", ".join(f"{f.recipient_name} ({f.reason})" for f in failed)
        out_print(
            f"{len(failed)} proactive message{'s' if len(failed) != 1 else ''} could not be "
            f"delivered: {escape(who)}"
        )


@app.command()
def demo(
    now: NowOption = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Only open the cycle: every school awaits its date.")
    ] = False,
) -> None:
    """Seed a demo trust (three schools, their people, a cycle under way) and show its status."""
    from bot.demo import seed_demo

    settings = _settings()
    moment = _now(now, settings)

    async def work(product: Product):
        message = await seed_demo(product, moment, fresh=fresh)
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


LOOPBACK = ("127.0.0.1", "localhost", "::1")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 3978,
    dev: Annotated[
        bool, typer.Option("--dev", help="Local testing: authentication OFF, loopback only.")
    ] = False,
    demo: Annotated[
        bool, typer.Option("--demo", help="With --dev: seed the demo trust into an empty database.")
    ] = False,
    now: Annotated[
        str | None,
        typer.Option(help="With --dev: a fixed clock (ISO date-time, UK time if no zone given)."),
    ] = None,
    nudges: Annotated[
        bool,
        typer.Option(
            "--nudges/--no-nudges",
            help="Decide and send reminders and escalations while serving (on by default).",
        ),
    ] = True,
) -> None:
    """Run the Teams bot: POST /api/messages, GET /healthz and /readyz."""
    from aiohttp import web
    from rich.markup import escape

    from bot.logs import configure_logging
    from bot.server import create_app
    from bot.wiring import build
    from storage.database import Database, redacted_url
    from storage.probe import StoreUnavailable

    settings = _settings()
    if (demo or now) and not dev:
        err_print("--demo and --now are for local testing; use them with --dev.")
        raise typer.Exit(2)
    fixed = _now(now, settings) if now else None
    if dev:
        if host not in LOOPBACK:
            err_print("--dev turns authentication off, so it only listens on 127.0.0.1.")
            raise typer.Exit(2)
        host = "127.0.0.1"
    else:
        problems = settings.bot_problems()
        if problems:
            err_print("The bot will not start without authentication:\n  " + "\n  ".join(problems))
            err_print("For local testing only, `htpm serve --dev` runs with authentication off.")
            raise typer.Exit(2)
    configure_logging(dev=dev)

    async def make_app() -> web.Application:
        db = Database(settings.database_url)
        try:
            await db.prepare()  # migrated and writable, or StoreUnavailable says why not
        except BaseException:
            await db.dispose()
            raise
        product = build(settings, db)
        if demo:
            from bot.demo import seed_demo

            out_print(await seed_demo(product, fixed or _now(None, settings)))
        clock = (lambda: fixed) if fixed else None
        application = create_app(settings, product, dev=dev, clock=clock, proactive=nudges)

        async def close_db(_app: web.Application) -> None:
            await db.dispose()

        application.on_cleanup.append(close_db)
        return application

    if dev:
        err_print(
            f"Authentication is OFF (--dev): anyone who can reach http://{host}:{port} can act "
            "as anyone. For local testing only."
        )
    if fixed:
        err_print(f"The clock is fixed at {fixed:%A %d %B %Y %H:%M} (--now).")
    listening = f"HTPM bot listening on http://{host}:{port}/api/messages"
    try:
        # aiohttp calls `print` once the port is bound: only then is the bot listening.
        web.run_app(
            make_app(),
            host=host,
            port=port,
            print=lambda _banner: out_print(listening),
            access_log=None,
        )
    except StoreUnavailable as exc:
        where = escape(redacted_url(settings.database_url))
        err_print(f"Cannot use the database {where}: {exc.problem.reason}.")
        raise typer.Exit(2) from None
    except OSError as exc:
        err_print(f"Cannot listen on {host}:{port}: {exc.strerror}")
        raise typer.Exit(2) from None


@app.command("teams-package")
def teams_package(
    out: Annotated[Path, typer.Option(help="Where to write the zip.")] = Path("htpm-teams-app.zip"),
) -> None:
    """Build the Teams app package (manifest and icons) from HTPM_APP_ID and HTPM_PUBLIC_URL."""
    from rich.markup import escape

    from bot.teams_package import build_teams_package, check_app_id, public_host

    settings = _settings()
    problems = []
    for name, value, check in (
        ("HTPM_APP_ID", settings.app_id, check_app_id),
        ("HTPM_PUBLIC_URL", settings.public_url, public_host),
    ):
        if not value:
            problems.append(f"{name} is not set")
            continue
        try:
            check(value)
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        err_print("Cannot build the Teams app package:\n  " + escape("\n  ".join(problems)))
        err_print(
            "HTPM_APP_ID is the bot's application (client) id in Entra ID; HTPM_PUBLIC_URL is "
            "the https address at which Teams reaches the bot, e.g. https://htpm.example.org"
        )
        raise typer.Exit(2)
    try:
        path = build_teams_package(settings.app_id, settings.public_url, out)
    except OSError as exc:
        err_print(f"Cannot write {out}: {exc.strerror or exc}")
        raise typer.Exit(2) from None
    out_print(
        f"Wrote {path}. Upload it in Teams (Apps > Manage your apps > Upload an app) "
        "or in the Teams admin center."
    )


# --- nudges: the job that queues reminders and escalations in the outbox -----------------------

nudges_app = typer.Typer(
    help="Reminders and escalations (queued in the outbox).", no_args_is_help=True
)
app.add_typer(nudges_app, name="nudges")


@nudges_app.command("run")
def nudges_run(now: NowOption = None) -> None:
    """Decide today's reminders and escalations and queue them (running twice queues nothing)."""
    from bot.nudges import NudgeJob

    settings = _settings()
    moment = _now(now, settings)
    queued = _run(settings, lambda p: NudgeJob(p.ctx, settings.nudge_policy()).run(moment))
    out_print(
        f"{queued} message{'s' if queued != 1 else ''} queued for {moment:%d/%m/%Y} "
        f"(at {moment:%H:%M})."
    )


@nudges_app.command("preview")
def nudges_preview(
    days: Annotated[int, typer.Option(help="How many days ahead, today included.", min=1)] = 30,
    now: NowOption = None,
) -> None:
    """List what would be sent to whom over the coming days if nobody acted (writes nothing)."""
    from bot.nudges import NudgeJob

    settings = _settings()
    moment = _now(now, settings)
    lines = _run(settings, lambda p: NudgeJob(p.ctx, settings.nudge_policy()).preview(moment, days))
    if not lines:
        out_print(f"Nothing would be sent in the next {days} days.")
        return
    table = Table(title=f"Messages due in the {days} days from {moment:%d/%m/%Y}")
    for column in ("Date", "To", "School", "What", "Kind"):
        table.add_column(column, overflow="fold")
    for line in lines:
        table.add_row(compact_date(line.day), line.recipient, line.school, line.what, line.kind)
    out_print(table)


# --- end of nudges --------------------------------------------------------------------------------


def main() -> None:
    """Entry point of the `htpm` console script."""
    app(prog_name="htpm")


if __name__ == "__main__":
    sys.exit(main())
