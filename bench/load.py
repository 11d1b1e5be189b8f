"""A closed-loop load generator: N workers, each sending its next request when the last returns.

Every run is bounded twice, by a request count and by a time limit, whichever comes first.
Latencies are wall-clock seconds measured around each request in this process.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank q-th percentile (0 < q <= 100) of the values; nan when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Run:
    """What one bounded run measured."""

    label: str
    concurrency: int
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    elapsed: float = 0.0
    first_failure: str = ""

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies, 50) * 1000

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies, 99) * 1000

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else math.nan


#: One request by worker number; raises (with a message) when the answer is not what was wanted.
#: It may return its own latency (e.g. until a reply arrived elsewhere); else the call is timed.
Request = Callable[[int], Awaitable[float | None]]


async def closed_loop(
    label: str, request: Request, *, concurrency: int, count: int, seconds: float
) -> Run:
    """Run `count` requests (at most `seconds` long) from `concurrency` workers at once."""
    run = Run(label, concurrency)
    issued = 0
    started = time.perf_counter()
    deadline = started + seconds

    async def worker(n: int) -> None:
        nonlocal issued
        while issued < count and time.perf_counter() < deadline:
            issued += 1
            began = time.perf_counter()
            try:
                measured = await request(n)
            except Exception as exc:  # counted and reported; the run goes on
                run.failures += 1
                run.first_failure = run.first_failure or f"{type(exc).__name__}: {exc}"[:300]
            else:
                took = time.perf_counter() - began if measured is None else measured
                run.latencies.append(took)

    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    run.elapsed = time.perf_counter() - started
    return run
