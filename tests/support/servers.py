"""Processes the end-to-end tests start: the bot and the Agents Playgrounds, each with a log file.

Every wait is bounded and, when it runs out, fails with the tail of the logs that explain why.
Everything started is stopped: terminate, then kill after a bound.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

#: The longest any single wait may take (seconds).
BOUND = 30.0
T = TypeVar("T")


class E2EFailure(AssertionError):
    """An end-to-end wait ran out or a part stopped; the message carries the relevant log tails."""


def free_port() -> int:
    """A port nobody listens on at this moment (the OS's choice on 127.0.0.1)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, lines: int = 40) -> str:
    """The last lines of a log file, or a note that there is none."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return f"(no {path.name})"
    kept = text.splitlines()[-lines:]
    return "\n".join(kept) if kept else f"({path.name} is empty)"


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without any HTPM_ setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HTPM_")}
    env.update(extra)
    return env


class Service:
    """One started program: its process, its log file (stdout and stderr) and how to stop it."""

    def __init__(
        self, name: str, argv: list[str], *, env: Mapping[str, str], cwd: Path, log: Path
    ) -> None:
        self.name = name
        self.log = log
        self.started = time.monotonic()
        with log.open("wb") as out:
            # Its own session, so that stopping it also stops anything it started (Node's children).
            self.process = subprocess.Popen(
                argv,
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.process.poll() is None

    def describe(self, lines: int = 40) -> str:
        state = "running" if self.alive() else f"exited with {self.process.returncode}"
        return f"--- {self.name} ({state}), last lines of {self.log}:\n{tail(self.log, lines)}"

    def wait_for(
        self,
        what: str,
        probe: Callable[[], T | None],
        *,
        bound: float = BOUND,
        also: Iterable[Service] = (),
    ) -> T:
        """Poll `probe` until it returns a value; fail if this program stops or `bound` passes."""
        deadline = time.monotonic() + bound
        while True:
            found = probe()
            if found is not None:
                return found
            if not self.alive():
                raise E2EFailure(
                    f"{self.name} stopped while waiting for {what}.\n{self.dump(also)}"
                )
            if time.monotonic() > deadline:
                raise E2EFailure(f"{self.name}: no {what} within {bound:.0f} s.\n{self.dump(also)}")
            time.sleep(0.1)

    def dump(self, also: Iterable[Service] = ()) -> str:
        return "\n".join(s.describe() for s in (self, *also))

    def stop(self, bound: float = 10.0) -> None:
        """Terminate the program (and its session); kill it if it has not gone after `bound`."""
        if self.alive():
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(bound)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
        self.process.wait(bound)

    def _signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)  # the session this Popen created: its id is our pid


def http_ok(url: str) -> bool | None:
    """True if GET `url` answers 200; None while it does not (yet)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own 127.0.0.1)
            return True if response.status == 200 else None
    except (urllib.error.URLError, OSError):
        return None


def listening_port(log: Path) -> int | None:
    """The port in the Playground's 'Listening on N' line, once it has written one."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None
    found = re.search(r"^Listening on (\d+)\s*$", text, re.MULTILINE)
    return int(found.group(1)) if found else None


@dataclass
class Bot:
    """The running `htpm serve --dev --demo`."""

    service: Service
    port: int

    @property
    def messages_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/messages"

    def describe(self) -> str:
        return self.service.describe()

    def errors(self) -> list[str]:
        """The ERROR lines the bot has logged so far (turn failures and the like)."""
        text = self.service.log.read_text(encoding="utf-8", errors="replace")
        return [line for line in text.splitlines() if " ERROR " in line]


@dataclass
class Playground:
    """One running Agents Playground: where to open it, and its process."""

    service: Service
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"
