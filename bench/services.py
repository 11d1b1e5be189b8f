"""The servers under test, each its own process on 127.0.0.1: `htpm serve` and the SDK floor."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from tests.support.servers import Service, clean_env, free_port

__all__ = [
    "HTPM",
    "ROOT",
    "Server",
    "clean_env",
    "free_port",
    "start_floor",
    "start_htpm",
    "wait_ready",
]

ROOT = Path(__file__).resolve().parents[1]
HTPM = str(Path(sys.executable).with_name("htpm"))
#: The longest a server may take to answer /readyz before the benchmark gives up on it.
START_BOUND = 60.0


class Server:
    """A started server: its URL, its process, how long it took to be ready, its memory."""

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        argv = [a.replace("{port}", str(self.port)) for a in argv]
        started = time.perf_counter()
        self.service = Service(name, argv, env=env, cwd=ROOT, log=log)
        try:
            ready = wait_ready(f"{self.url}/readyz", self.service.process)
        except RuntimeError as exc:
            self.service.stop()
            raise RuntimeError(f"{exc}\n{self.service.describe()}") from None
        self.ready_after = ready - started

    @property
    def pid(self) -> int:
        return self.service.process.pid

    def rss_mb(self) -> float:
        """Resident memory now, in MiB (from /proc)."""
        return rss_mb(self.pid)

    def stop(self) -> None:
        self.service.stop()


def rss_mb(pid: int) -> float:
    """A process's resident set size in MiB, as the kernel reports it (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def wait_ready(url: str, process: subprocess.Popen) -> float:
    """Poll `url` every 5 ms until it answers 200; the moment it did (perf_counter)."""
    deadline = time.perf_counter() + START_BOUND
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return time.perf_counter()
        except (urllib.error.URLError, OSError):
            pass
        if process.poll() is not None:
            raise RuntimeError(
                f"the server stopped (exit {process.returncode}) before it was ready"
            )
        if time.perf_counter() > deadline:
            raise RuntimeError(f"the server was not ready within {START_BOUND:.0f} s")
        time.sleep(0.005)


def start_htpm(name: str, database_url: str, peers_env: Mapping[str, str], logs: Path) -> Server:
    """`htpm serve` with authentication on, the outbox job off (only requests are measured)."""
    env = clean_env({**peers_env, "HTPM_DATABASE_URL": database_url})
    argv = [HTPM, "serve", "--port", "{port}", "--no-nudges"]
    return Server(name, argv, env, logs / f"{name}.log")


def start_floor(
    card_file: Path, peers_env: Mapping[str, str], logs: Path, *, tuned: bool = False
) -> Server:
    """The bare botbuilder bot answering every card action with the card in `card_file`."""
    argv = [sys.executable, "-m", "bench.floor_bot", "--port", "{port}", "--card", str(card_file)]
    name = "floor-tuned" if tuned else "floor"
    return Server(
        name, [*argv, "--tuned"] if tuned else argv, clean_env(peers_env), logs / f"{name}.log"
    )
