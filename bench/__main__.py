"""Benchmarks: `python -m bench` measures `htpm serve` and the SDK floor, prints a table.

Everything runs on 127.0.0.1 and every load is bounded by a request count and a time limit.
`--write docs/benchmarks.md` also writes the report there. `--quick` uses tiny counts (a
smoke test of the script itself; its figures mean nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
import tempfile
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench import stages
from bench.report import Report


@dataclass(frozen=True)
class Plan:
    """How much of everything to do."""

    requests: int  # per card-action run
    seconds: float  # longest any one run may last
    warmup: int
    messages: int
    memory_invokes: int
    memory_every: int
    sweep_sizes: tuple[int, ...]
    sweep_repeats: int
    starts: int
    profile_seconds: float
    hostile: int  # hostile requests sent to htpm serve
    hostile_floor: int  # the same stream sent to each SDK floor
    hostile_seconds: float

    @classmethod
    def full(cls) -> Plan:
        return cls(
            2000, 30.0, 300, 300, 10_000, 1000, (1000, 5000, 25_000), 3, 3, 8.0,
            100_000, 10_000, 1200.0,
        )  # fmt: skip

    @classmethod
    def quick(cls) -> Plan:
        return cls(40, 10.0, 10, 10, 200, 50, (50, 100), 1, 1, 1.0, 200, 50, 30.0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny counts: check the script runs")
    parser.add_argument("--write", type=Path, help="also write the report (Markdown) here")
    parser.add_argument(
        "--postgres-url",
        default="postgresql+asyncpg://root@127.0.0.1:5432/test",
        help="a PostgreSQL server to make a scratch database on (dropped afterwards)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--no-profile", action="store_true", help="do not profile what misses its target"
    )
    return parser


async def _run(args: argparse.Namespace, plan: Plan, command: str) -> Report:
    report = Report(command, datetime.now(ZoneInfo("Europe/London")))
    with tempfile.TemporaryDirectory(prefix="htpm-bench-") as scratch:
        work = Path(scratch)
        async with AsyncExitStack() as stack:
            bench = await stages.Bench.start(stack, work, plan, args)
            await bench.card_actions(report)
            await bench.memory_and_start(report)
            await bench.nudge_sweep(report)
            await bench.hostile_requests(report)
            bench.largest_card(report)
            if not args.no_profile:
                await bench.profile_misses(report)
    return report


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; 0 when they ran (missed targets are reported, not failures)."""
    args = _parser().parse_args(argv)
    plan = Plan.quick() if args.quick else Plan.full()
    shown = "python -m bench " + shlex.join(argv if argv is not None else sys.argv[1:])
    report = asyncio.run(_run(args, plan, shown.strip()))
    print(report.text())
    if args.write:
        report.write(args.write)
        print(f"\nWritten to {args.write}")
    print(json.dumps({"targets_missed": sum(not t.met for t in report.targets)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
