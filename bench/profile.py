"""Where a server's time goes: py-spy samples the process while a load runs, summarised here.

py-spy's raw output has one line per distinct stack, `frame;frame;…;frame count`. Each frame
reads `function (path:line)`. The summary says what share of samples each function was on the
stack for (inclusive) and at the top of (self), and keeps the raw file for a flame graph.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiosqlite.core

from bench.report import Table

PY_SPY = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
_RAW = ("--format", "raw", "--full-filenames")


def _line_of(module: object, text: str) -> int:
    """The line of `module`'s source where `text` first appears (0 if nowhere)."""
    lines = inspect.getsource(module).splitlines()  # type: ignore[arg-type]
    return next((n for n, line in enumerate(lines, start=1) if text in line), 0)


#: Where a thread sits when it is waiting, not working (py-spy's own idle test misses these):
#: (function, end of path, line or 0 for any line).
WAITING = (
    ("select", "/selectors.py", 0),  # the event loop, waiting for I/O
    ("_connection_worker_thread", "/aiosqlite/core.py", _line_of(aiosqlite.core, "tx.get()")),
    ("wait", "/threading.py", 0),
    ("_worker", "/concurrent/futures/thread.py", 0),
)
#: Frames that only carry everything above them (the server's entry points): left out of the
#: "our functions" list, where they would always come first.
PLUMBING = ("bot/cli.py", "bot/server.py", "/htpm")


@dataclass
class Profile:
    """Sample shares by function and by package, from one py-spy recording."""

    samples: int = 0
    inclusive: Counter[str] = field(default_factory=Counter)
    self_time: Counter[str] = field(default_factory=Counter)
    packages: Counter[str] = field(default_factory=Counter)
    importing: int = 0  # samples taken while a module was being imported
    raw: Path | None = None

    def share(self, count: int) -> float:
        return 100 * count / self.samples if self.samples else 0.0


@dataclass(frozen=True)
class Frame:
    """One stack frame as py-spy writes it with --full-filenames: `function (path:line)`."""

    function: str
    path: str
    line: int

    @classmethod
    def parse(cls, text: str) -> Frame:
        function, _, where = text.partition(" (")
        path, _, line = where.rstrip(")").rpartition(":")
        return cls(function, path, int(line) if line.isdigit() else 0)

    @property
    def ours(self) -> bool:
        return self.path.startswith(f"{ROOT}/") and "/.venv/" not in self.path

    @property
    def package(self) -> str | None:
        """Our package, the installed distribution's top-level package, or the stdlib."""
        if self.path.startswith("<frozen"):
            return None  # the import machinery: counted where it is importing
        if self.ours:
            return f"{self.path[len(str(ROOT)) + 1 :].split('/')[0]} (ours)"
        if "/site-packages/" in self.path:
            return self.path.split("/site-packages/", 1)[1].split("/")[0].removesuffix(".py")
        return "Python standard library"

    @property
    def name(self) -> str:
        short = self.path
        if self.ours:
            short = self.path[len(str(ROOT)) + 1 :]
        elif "/site-packages/" in short:
            short = short.split("/site-packages/", 1)[1]
        elif "/lib/python3" in short:
            short = short.split("/lib/python3", 1)[1].split("/", 1)[-1]
        return f"{self.function} ({short})"


ROOT = Path(__file__).resolve().parents[1]


def _waiting(frame: Frame) -> bool:
    return any(
        frame.function.rsplit(".", 1)[-1] == f
        and frame.path.endswith(p)
        and line in (0, frame.line)
        for f, p, line in WAITING
    )


def parse(raw: Path) -> Profile:
    """Summarise a py-spy raw (collapsed stacks) file."""
    profile = Profile(raw=raw)
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [Frame.parse(f) for f in stack.split(";")]
        profile.samples += n
        if any(f.path.startswith("<frozen importlib") for f in frames):
            profile.importing += n
        top = frames[-1]
        if _waiting(top):
            profile.packages["(waiting: event loop or SQLite thread idle)"] += n
            continue
        for name in {f.name for f in frames if f.ours and not f.path.endswith(PLUMBING)}:
            profile.inclusive[name] += n
        profile.self_time[top.name] += n
        owner = next((f.package for f in reversed(frames) if f.package), "unknown")
        profile.packages[owner] += n
    return profile


def record(pid: int, seconds: float, raw: Path) -> subprocess.Popen[bytes]:
    """Start sampling `pid` for `seconds` into `raw`; wait on the returned process, then parse."""
    argv = [PY_SPY, "record", "--pid", str(pid), "--duration", str(max(1, round(seconds)))]
    argv += [*_RAW, "--rate", "200", "--output", str(raw), "--nonblocking"]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


def table(title: str, found: Profile, n: int = 10) -> Table:
    """What dominates: time by package (where the innermost frame is), then by function."""
    summary = Table(title, ["view", "where", "share of samples"])
    for package, count in found.packages.most_common(n):
        summary.add("by package", package, f"{found.share(count):.1f}%")
    for name, count in found.self_time.most_common(n):
        summary.add("by function (self)", name, f"{found.share(count):.1f}%")
    for name, count in found.inclusive.most_common(n):
        summary.add("our functions (inclusive)", name, f"{found.share(count):.1f}%")
    summary.notes.append(
        f"{found.samples:,} samples of every thread. A sample counts for the package "
        "whose code was running (imports count for the module being imported)."
    )
    return summary


async def sweep_profile(work: Path, plan: object) -> Table:
    """The largest morning nudge run on SQLite, profiled in a process of its own (py-spy)."""
    sizes = ",".join(str(s) for s in plan.sweep_sizes)  # type: ignore[attr-defined]
    raw = work / "sweep.raw"
    argv = [PY_SPY, "record", *_RAW, "--rate", "200", "--output", str(raw)]
    argv += ["--", sys.executable, "-m", "bench.sweep", str(work / "sweep-profile.sqlite3"), sizes]
    done = await asyncio.to_thread(
        subprocess.run, argv, capture_output=True, timeout=600, check=False
    )
    if done.returncode != 0 or not raw.exists():
        failed = Table("Nudge sweep profile", ["note"])
        failed.add(
            f"py-spy could not profile the sweep: {done.stderr.decode(errors='replace')[-300:]}"
        )
        return failed
    return table(
        "The nudge sweep on SQLite, seeding included: where the time goes (py-spy)", parse(raw)
    )


async def start_profile(work: Path, url: str, env: dict[str, str]) -> Table:
    """`htpm serve` from start until /readyz answers, profiled (py-spy launches it)."""
    from bench.services import HTPM, ROOT, clean_env, free_port, wait_ready

    raw = work / "start.raw"
    port = free_port()
    argv = [PY_SPY, "record", *_RAW, "--rate", "500", "--output", str(raw), "--"]
    argv += [HTPM, "serve", "--port", str(port), "--no-nudges"]
    spy = subprocess.Popen(  # noqa: ASYNC220, S603 - our own command; waited on with bounds
        argv,
        cwd=ROOT,
        env=clean_env({**env, "HTPM_DATABASE_URL": url}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        await asyncio.to_thread(wait_ready, f"http://127.0.0.1:{port}/readyz", spy)
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy stops its child and writes what it sampled
        try:
            await asyncio.to_thread(spy.wait, 30)
        except subprocess.TimeoutExpired:
            os.killpg(spy.pid, signal.SIGKILL)
    found = parse(raw)
    summary = table("Start-up of `htpm serve` until /readyz: where the time goes (py-spy)", found)
    summary.notes.append(f"{found.share(found.importing):.0f}% of the samples are imports.")
    return summary
