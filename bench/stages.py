"""The benchmark's parts, in the order they run: each measures, adds a table and its targets."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg

from bench import cards, profile, sweep
from bench.load import Run, closed_loop
from bench.peers import Peers, start_peers
from bench.report import Report, Table
from bench.services import Server, start_floor, start_htpm
from bench.trust import Headteacher, seed_card_trust
from bench.workloads import HostileRequests, SelfEvaluations, StatusRoundTrips, member
from bot.settings import load_settings
from bot.wiring import build
from storage.database import Database

#: Schools in the card-action trust: one headteacher per worker at the highest concurrency.
SCHOOLS = 32
CONCURRENCY = (1, 8, 32)
CARD_LIMIT = 28_000  # bytes; Teams' limit for a card is about 28 KB
RSS_LIMIT_MB = 150.0
START_LIMIT_S = 2.0
SWEEP_LIMIT_S = 1.0


def _ms(value: float) -> str:
    return f"{value:.1f}"


def _cells(run: Run) -> list[object]:
    """How many, how many failed, p50, p99 and rate: the columns every load table has."""
    return [
        run.concurrency,
        len(run.latencies),
        run.failures,
        _ms(run.p50_ms),
        _ms(run.p99_ms),
        f"{run.per_second:.0f}",
    ]


@dataclass
class Stores:
    """Where each store lives: SQLite files in the scratch folder, PostgreSQL scratch databases."""

    work: Path
    admin_url: str | None  # a PostgreSQL database to connect to for CREATE/DROP DATABASE
    made: list[str] = field(default_factory=list)

    def sqlite(self, name: str) -> str:
        return f"sqlite+aiosqlite:///{self.work / f'{name}.sqlite3'}"

    async def postgres(self, name: str) -> str | None:
        """A new, empty PostgreSQL database (dropped when the benchmark ends)."""
        if self.admin_url is None:
            return None
        database = f"htpm_bench_{name}_{os.getpid()}"
        conn = await asyncpg.connect(_plain(self.admin_url))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
            await conn.execute(f'CREATE DATABASE "{database}"')
        finally:
            await conn.close()
        self.made.append(database)
        return self.admin_url.rsplit("/", 1)[0] + f"/{database}"

    async def drop_all(self) -> None:
        if self.admin_url is None or not self.made:
            return
        conn = await asyncpg.connect(_plain(self.admin_url))
        try:
            for database in self.made:
                await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await conn.close()


def _plain(url: str) -> str:
    """asyncpg's own URL form of a SQLAlchemy URL."""
    return "postgresql://" + url.split("://", 1)[1]


@dataclass
class Bench:
    """The fakes, the scratch stores and what the earlier parts found, shared by the parts."""

    work: Path
    plan: Any
    peers: Peers
    stores: Stores
    session: aiohttp.ClientSession
    runs: list[Run] = field(default_factory=list)
    card_file: Path | None = None
    largest_answer: int = 0
    misses: list[str] = field(default_factory=list)
    floor_ready_after: float = 0.0

    @classmethod
    async def start(cls, stack: AsyncExitStack, work: Path, plan: Any, args: Any) -> Bench:
        peers = await start_peers(stack, work)
        stores = Stores(work, None if args.no_postgres else args.postgres_url)
        stack.push_async_callback(stores.drop_all)
        connector = aiohttp.TCPConnector(limit=128)
        session = await stack.enter_async_context(aiohttp.ClientSession(connector=connector))
        return cls(work, plan, peers, stores, session)

    # --- card actions ------------------------------------------------------------------------

    async def _seeded(self, url: str) -> list[Headteacher]:
        db = Database(url)
        try:
            await db.migrate()
            product = build(load_settings(database_url=url), db)
            return await seed_card_trust(product, SCHOOLS, datetime.now(ZoneInfo("Europe/London")))
        finally:
            await db.dispose()

    async def _serve(self, name: str, url: str) -> tuple[Server, list[Headteacher]]:
        heads = await self._seeded(url)
        server = await asyncio.to_thread(start_htpm, name, url, self.peers.bot_env(), self.work)
        return server, heads

    async def _card_runs(self, label: str, workload: Any) -> list[Run]:
        plan = self.plan
        await closed_loop(
            "warm-up", workload, concurrency=8, count=plan.warmup, seconds=plan.seconds
        )
        found = []
        for concurrency in CONCURRENCY:
            found.append(
                await closed_loop(
                    label,
                    workload,
                    concurrency=concurrency,
                    count=plan.requests,
                    seconds=plan.seconds,
                )
            )
        return found

    async def card_actions(self, report: Report) -> None:
        """Card actions on each store, the SDK floor, and the message round trip."""
        ours: dict[str, list[Run]] = {}
        messages: dict[str, list[Run]] = {}
        stores = [("SQLite", self.stores.sqlite("cards"))]
        postgres = await self.stores.postgres("cards")
        if postgres:
            stores.append(("PostgreSQL", postgres))
        for store, url in stores:
            server, heads = await self._serve(f"htpm-{store.lower()}", url)
            try:
                saves = SelfEvaluations(self.session, server.url, self.peers, heads)
                ours[store] = await self._card_runs(f"htpm serve, {store}", saves)
                self.largest_answer = max(self.largest_answer, saves.largest)
                if self.card_file is None:
                    self.card_file = self.work / "card.json"
                    self.card_file.write_text(json.dumps(saves.last_card), encoding="utf-8")
                status = StatusRoundTrips(self.session, server.url, self.peers, heads)
                messages[store] = [
                    await closed_loop(
                        f"status, {store}",
                        status,
                        concurrency=c,
                        count=self.plan.messages,
                        seconds=self.plan.seconds,
                    )
                    for c in (1, 8)
                ]
            finally:
                server.stop()
        floors = {}
        for name, tuned in (("as shipped", False), ("tuned", True)):
            assert self.card_file is not None
            floor = await asyncio.to_thread(
                start_floor, self.card_file, self.peers.bot_env(), self.work, tuned=tuned
            )
            if not tuned:
                self.floor_ready_after = floor.ready_after
            try:
                heads = _floor_heads()
                workload = SelfEvaluations(self.session, floor.url, self.peers, heads, check=False)
                floors[name] = await self._card_runs(f"SDK floor, {name}", workload)
            finally:
                floor.stop()
        self._card_tables(report, ours, floors, messages)

    def _card_tables(
        self,
        report: Report,
        ours: dict[str, list[Run]],
        floors: dict[str, list[Run]],
        messages: dict[str, list[Run]],
    ) -> None:
        table = Table(
            "Card actions (adaptiveCard/action invokes, each a real JWT, a write and a card)",
            [
                "server",
                "concurrency",
                "requests",
                "failed",
                "p50 ms",
                "p99 ms",
                "per second",
                "p50 / floor as shipped",
                "p50 / floor tuned",
            ],
        )
        shipped = {r.concurrency: r for r in floors["as shipped"]}
        tuned = {r.concurrency: r for r in floors["tuned"]}
        everything = [
            *(r for runs in ours.values() for r in runs),
            *shipped.values(),
            *tuned.values(),
        ]
        for run in everything:
            own = run.label.startswith("htpm")
            table.add(
                run.label,
                *_cells(run),
                f"{run.p50_ms / shipped[run.concurrency].p50_ms:.2f}" if own else "",
                f"{run.p50_ms / tuned[run.concurrency].p50_ms:.2f}" if own else "",
            )
            if run.failures:
                table.notes.append(f"{run.label} at {run.concurrency}: {run.first_failure}")
        table.notes.append(
            "Ratios divide our p50 by the floor's at the same concurrency. The floor answers "
            "with the same card our bot sent, without a store or any of our code."
        )
        report.tables.append(table)
        self.runs = everything
        for store, runs in ours.items():
            at8 = next(r for r in runs if r.concurrency == 8)
            ratio = at8.p50_ms / shipped[8].p50_ms
            report.target(
                f"card action p50 / SDK floor at concurrency 8, {store}",
                "at most 1.5",
                f"{ratio:.2f} ({_ms(at8.p50_ms)} / {_ms(shipped[8].p50_ms)} ms)",
                ratio <= 1.5 and not at8.failures,
            )
        at32 = next(r for r in ours["SQLite"] if r.concurrency == 32)
        met = at32.p99_ms < 50 and not at32.failures
        report.target(
            "card action p99 at concurrency 32, SQLite",
            "under 50 ms",
            f"{_ms(at32.p99_ms)} ms",
            met,
        )
        if not met:
            self.misses.append("cards-32")
            fastest = tuned[32].per_second
            report.misses.append(
                "At 32 requests in flight each one spends 32 ÷ throughput in the server on "
                f"average (Little's law): {at32.per_second:.0f} per second here, so about "
                f"{32 / at32.per_second * 1000:.0f} ms. A p99 under 50 ms needs more than "
                f"{32 / 0.050:.0f} per second, while the bare SDK floor, with the same msrest "
                f"fix, answers {fastest:.0f} per second on this machine: the target is out of "
                "reach of one Python process here. The profile below shows where the time goes."
            )
        messages_table = Table(
            "Message round trip (`status` typed; until the reply reaches the Bot Connector)",
            ["store", "concurrency", "messages", "failed", "p50 ms", "p99 ms", "per second"],
        )
        for store, runs in messages.items():
            for run in runs:
                messages_table.add(store, *_cells(run))
                if run.failures:
                    messages_table.notes.append(f"{store}: {run.first_failure}")
        report.tables.append(messages_table)

    # --- memory and start-up --------------------------------------------------------------

    async def memory_and_start(self, report: Report) -> None:
        """Start-up to /readyz (restarts on a migrated store), then RSS over many card actions."""
        url = self.stores.sqlite("memory")
        heads = await self._seeded(url)
        starts = []
        server = None
        for n in range(self.plan.starts):
            server = await asyncio.to_thread(
                start_htpm, f"htpm-start-{n}", url, self.peers.bot_env(), self.work
            )
            starts.append(server.ready_after)
            if n < self.plan.starts - 1:
                server.stop()
        assert server is not None
        try:
            samples = [(0, server.rss_mb())]
            saves = SelfEvaluations(self.session, server.url, self.peers, heads)
            done = 0
            while done < self.plan.memory_invokes:
                run = await closed_loop(
                    "memory", saves, concurrency=8, count=self.plan.memory_every, seconds=120
                )
                if run.failures:
                    raise RuntimeError(
                        f"card actions failed during the memory run: {run.first_failure}"
                    )
                done += len(run.latencies)
                samples.append((done, server.rss_mb()))
        finally:
            server.stop()
        start = statistics.median(starts)
        table = Table(
            "Memory (resident set of the `htpm serve` process) and start-up", ["measure", "value"]
        )
        table.add(
            "start to /readyz, median of " + str(len(starts)),
            f"{start:.2f} s ({', '.join(f'{s:.2f}' for s in starts)})",
        )
        for invokes, rss in samples:
            table.add(f"RSS after {invokes:,} card actions", f"{rss:.1f} MB")
        half = samples[len(samples) // 2 :]
        slope = _slope(half) * 1000
        table.add("growth over the second half", f"{slope:+.2f} MB per 1,000 card actions")
        report.tables.append(table)
        report.target(
            "start to /readyz",
            f"under {START_LIMIT_S:.0f} s",
            f"{start:.2f} s",
            start < START_LIMIT_S,
        )
        if start >= START_LIMIT_S:
            self.misses.append("start")
            report.misses.append(
                f"Start-up takes {start:.2f} s, most of it importing the packages the service "
                "is built on (see the profile below); the bare SDK floor, which imports only "
                f"botbuilder and aiohttp, is ready in {self.floor_ready_after:.2f} s here."
            )
        final = samples[-1][1]
        report.target(
            f"RSS after {samples[-1][0]:,} card actions",
            f"under {RSS_LIMIT_MB:.0f} MB",
            f"{final:.1f} MB",
            final < RSS_LIMIT_MB,
        )
        report.target(
            "memory growth trend",
            "none (under 0.5 MB per 1,000 after warm-up)",
            f"{slope:+.2f} MB per 1,000",
            slope < 0.5,
        )

    # --- nudge sweep ---------------------------------------------------------------------

    async def nudge_sweep(self, report: Report) -> None:
        """The morning nudge run at each size, on each store, and the query plan."""
        sizes = list(self.plan.sweep_sizes)
        stores = [("SQLite", self.stores.sqlite("sweep"))]
        postgres = await self.stores.postgres("sweep")
        if postgres:
            stores.append(("PostgreSQL", postgres))
        table = Table(
            "Nudge sweep (the morning run of the nudge job, Wednesday 2 December 2026)",
            [
                "store",
                "appraisals",
                "read",
                "queued",
                "morning run s",
                "µs per appraisal",
                "every open one read s",
            ],
        )
        plans = Table("The morning run's query plan (the store's own EXPLAIN)", ["store", "plan"])
        for store, url in stores:
            found = await sweep.sweep(store, url, sizes, self.plan.sweep_repeats)
            for r in found:
                table.add(
                    store,
                    f"{r.appraisals:,}",
                    f"{r.read:,}",
                    f"{r.queued:,}",
                    f"{r.morning_s:.3f}",
                    f"{r.morning_s / r.appraisals * 1e6:.0f}",
                    f"{r.everything_s:.3f}",
                )
            plan = await sweep.query_plan(url)
            plans.add(store, plan)
            largest, smallest = found[-1], found[0]
            report.target(
                f"morning nudge run at {largest.appraisals:,} appraisals, {store}",
                f"under {SWEEP_LIMIT_S:.0f} s",
                f"{largest.morning_s:.2f} s",
                largest.morning_s < SWEEP_LIMIT_S,
            )
            if largest.morning_s >= SWEEP_LIMIT_S:
                self.misses.append(f"sweep-{store}")
            growth = (largest.morning_s / largest.appraisals) / (
                smallest.morning_s / smallest.appraisals
            )
            report.target(
                f"nudge run grows no faster than linearly, {store}",
                "time per appraisal at the largest size within 1.5× the smallest's",
                f"{growth:.2f}×",
                growth <= 1.5,
            )
            uses_index = "ix_appraisals_nudges_from" in plan
            report.target(
                f"the morning run's query uses an index, {store}",
                "an index scan",
                "yes" if uses_index else "no",
                uses_index,
            )
        table.notes.append(
            "`read`: appraisals whose next nudge day had come (or that changed the day before); "
            "`every open one read`: the same run after the rules change, reading them all."
        )
        report.tables += [table, plans]

    # --- hostile requests ----------------------------------------------------------------

    async def hostile_requests(self, report: Report) -> None:
        """The fuzz test's generator at volume: htpm serve on SQLite, then each SDK floor."""
        plan = self.plan
        table = Table(
            "Hostile requests (malformed bodies and activities, valid tokens and not; seed 1)",
            ["server", "concurrency", "requests", "5xx", "2xx", "4xx", "p50 ms", "p99 ms",
             "per second"],
        )  # fmt: skip
        runs: list[tuple[str, int, HostileRequests, Run]] = []
        server, heads = await self._serve("htpm-hostile", self.stores.sqlite("hostile"))
        try:
            members = [member(h) for h in heads]
            stream = HostileRequests(self.session, server.url, self.peers, members, seed=1)
            run = await closed_loop(
                "htpm serve on SQLite", stream, concurrency=4, count=plan.hostile,
                seconds=plan.hostile_seconds,
            )  # fmt: skip
            runs.append(("htpm serve on SQLite", plan.hostile, stream, run))
        finally:
            server.stop()
        for name, tuned in (("as shipped", False), ("tuned", True)):
            assert self.card_file is not None
            floor = await asyncio.to_thread(
                start_floor, self.card_file, self.peers.bot_env(), self.work, tuned=tuned
            )
            try:
                stream = HostileRequests(self.session, floor.url, self.peers, members, seed=1)
                run = await closed_loop(
                    f"SDK floor {name}", stream, concurrency=4, count=plan.hostile_floor,
                    seconds=plan.hostile_seconds,
                )  # fmt: skip
                runs.append((f"SDK floor {name}", plan.hostile_floor, stream, run))
            finally:
                floor.stop()
        for label, _count, stream, run in runs:
            counts = stream.statuses
            table.add(
                label,
                run.concurrency,
                f"{sum(counts.values()):,}",
                f"{stream.server_errors:,}",
                f"{sum(n for st, n in counts.items() if 200 <= st < 300):,}",
                f"{sum(n for st, n in counts.items() if 400 <= st < 500):,}",
                _ms(run.p50_ms),
                _ms(run.p99_ms),
                f"{run.per_second:.0f}",
            )
            if stream.first_5xx:
                table.notes.append(f"{label}, first 5xx: {stream.first_5xx}")
            if run.failures:
                first = stream.first_unanswered or run.first_failure
                table.notes.append(f"{label}: {run.failures} without an answer; first: {first}")
        table.notes.append(
            "The same seeded stream (tests/support/hostile.py, as the fuzz test sends) to each "
            "server; the floors get its first part. The floor parses before it authenticates and "
            "has no answer for a body it cannot read: its 5xx are what the bare SDK does."
        )
        report.tables.append(table)
        ours = runs[0][2]
        sent = sum(ours.statuses.values())
        report.target(
            "5xx answers to hostile requests, htpm serve",
            "0",
            f"{ours.server_errors} of {sent:,} ({runs[0][3].per_second:.0f} per second)",
            ours.server_errors == 0 and sent == plan.hostile,
        )

    # --- cards ---------------------------------------------------------------------------

    def largest_card(self, report: Report) -> None:
        """The largest card any step can show, and the largest answer seen in this run."""
        name, size = cards.largest_step_card()
        table = Table("Largest card (JSON bytes)", ["card", "bytes"])
        table.add(f"largest step card, every field at its limit ({name})", f"{size:,}")
        table.add(
            "largest card-action answer in this run (whole invoke body)", f"{self.largest_answer:,}"
        )
        report.tables.append(table)
        report.target(
            "largest card", f"under {CARD_LIMIT:,} bytes", f"{size:,} bytes", size < CARD_LIMIT
        )

    # --- profiles ------------------------------------------------------------------------

    async def profile_misses(self, report: Report) -> None:
        """A profile (py-spy) of what dominates, for each missed speed target."""
        wanted = []
        if "cards-32" in self.misses:
            wanted.append(("card actions at concurrency 32", self._profile_cards))
        if any(miss.startswith("sweep-") for miss in self.misses):
            wanted.append(("the nudge sweep", lambda: profile.sweep_profile(self.work, self.plan)))
        if "start" in self.misses:
            url, env = self.stores.sqlite("memory"), self.peers.bot_env()
            wanted.append(("start-up", lambda: profile.start_profile(self.work, url, env)))
        for what, make in wanted:
            try:
                report.profiles.append(await make())
            except Exception as exc:  # a profile that cannot be made is reported, not fatal
                failed = Table(f"Profile of {what}", ["note"])
                failed.add(f"could not be made here: {type(exc).__name__}: {exc}"[:400])
                report.profiles.append(failed)

    async def _profile_cards(self) -> Table:
        server, heads = await self._serve("htpm-profile", self.stores.sqlite("profile"))
        try:
            saves = SelfEvaluations(self.session, server.url, self.peers, heads)
            await closed_loop(
                "warm-up", saves, concurrency=8, count=self.plan.warmup, seconds=self.plan.seconds
            )
            raw = self.work / "cards-32.raw"
            spy = profile.record(server.pid, self.plan.profile_seconds, raw)
            await closed_loop(
                "profiled",
                saves,
                concurrency=32,
                count=10**9,
                seconds=self.plan.profile_seconds + 1,
            )
            await asyncio.to_thread(spy.wait, 60)
        finally:
            server.stop()
        return profile.table(
            "Card actions at concurrency 32 on SQLite: where `htpm serve` spends its time (py-spy)",
            profile.parse(raw),
        )


def _floor_heads() -> list[Headteacher]:
    """Teams accounts for the floor (it reads nothing, so any will do)."""
    return [
        Headteacher(
            f"29:floor{n}",
            f"Floor {n}",
            f"f1000000-0000-4000-8000-{n:012d}",
            f"floor{n}@bench.example",
            n,
            "",
            1,
        )
        for n in range(1, SCHOOLS + 1)
    ]


def _slope(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of y on x (MB per card action)."""
    if len(points) < 2:
        return 0.0
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0
