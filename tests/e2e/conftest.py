"""End-to-end fixtures: the real bot, a Microsoft 365 Agents Playground per person, one Chromium.

- `bot`: ONE `htpm serve --dev --demo` on a free port, its SQLite file and log in a temporary
  folder, with no HTPM_ setting inherited from the environment.
- `people("headteacher")`: that person's Playground (started on first use, on its own port,
  signed in with deployment/playground/<person>/.m365agentsplayground.yml) and its page in the
  shared Chromium, opened once; returns the `Chat` page object (tests/support/playground.py).
- `playground_for`: a Playground against any endpoint (e.g. the stub bot), same rules.

They are package-scoped: started once for all of tests/e2e and stopped as soon as its tests end,
so nothing lingers while the rest of the suite runs. Every wait is bounded (`servers.BOUND`) and
fails with the tails of the relevant logs. Screenshots of every step land in
artifacts/e2e/<test>/; when a test fails, every open page is photographed too.

Playwright's sync API is used from plain sync fixtures and tests: no event loop is running there,
so it does not clash with pytest-asyncio (which only wraps `async def` tests).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Route, sync_playwright

from tests.support.playground import Artifacts, Chat
from tests.support.servers import (
    BOUND,
    Bot,
    Playground,
    Service,
    clean_env,
    free_port,
    http_ok,
    listening_port,
)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
PLAYGROUND = ROOT / "node_modules" / ".bin" / "agentsplayground"
LOOPBACK = ROOT / "scripts" / "loopback.cjs"
CONFIGS = ROOT / "deployment" / "playground"
ARTIFACTS = ROOT / "artifacts" / "e2e"
#: Playground config name -> the demo person it signs in as (bot/demo.py).
PERSONS = {
    "headteacher": "Hannah Lewis",
    "reviewer": "Rhona Patel",
    "governor": "Gareth Evans",
    "dceo": "Dana Whitfield",
}
INSTALL_HINT = (
    "The end-to-end tests need Debian's chromium at /usr/bin/chromium and the Node tools in "
    "node_modules. Run ./scripts/test (as root it installs chromium with apt-get), or install "
    "them by hand: `sudo apt-get install -y chromium` and `npm ci`."
)


def _require_tools() -> None:
    missing = [str(p) for p in (CHROMIUM, PLAYGROUND) if not p.exists()]
    htpm = Path(sys.executable).with_name("htpm")
    if not htpm.exists():
        missing.append(str(htpm))
    if missing:
        pytest.fail(f"Missing {', '.join(missing)}. {INSTALL_HINT}", pytrace=False)


@pytest.fixture(scope="package")
def e2e_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where the bot's database and every log go; the logs are kept in artifacts/e2e/logs/."""
    folder = tmp_path_factory.mktemp("e2e")
    yield folder
    # Torn down after everything that writes them has stopped.
    kept = ARTIFACTS / "logs"
    shutil.rmtree(kept, ignore_errors=True)
    kept.mkdir(parents=True)
    for log in folder.glob("*.log"):
        shutil.copy2(log, kept / log.name)


@pytest.fixture(scope="package")
def bot(e2e_dir: Path) -> Iterator[Bot]:
    """One bot for every e2e test: `htpm serve --dev --demo` with the demo trust seeded."""
    _require_tools()
    port = free_port()
    work = e2e_dir / "bot"
    work.mkdir()  # its working directory, so a developer's .env is never read
    env = clean_env({"HTPM_DATABASE_URL": f"sqlite+aiosqlite:///{work / 'htpm.sqlite3'}"})
    argv = [str(Path(sys.executable).with_name("htpm"))]
    # No reminders: a proactive card arriving mid-conversation would be read as the reply.
    argv += ["serve", "--dev", "--demo", "--no-nudges", "--port", str(port)]
    service = Service("htpm serve", argv, env=env, cwd=work, log=e2e_dir / "bot.log")
    try:
        service.wait_for("/readyz", lambda: http_ok(f"http://127.0.0.1:{port}/readyz"))
        yield Bot(service, port)
    finally:
        service.stop()


@pytest.fixture(scope="package")
def playground_for(e2e_dir: Path) -> Iterator[Callable[[str, str, str], Playground]]:
    """Start a Playground signed in as `person`'s config against `endpoint` (named `label`)."""
    started: list[Service] = []

    def start(person: str, endpoint: str, label: str) -> Playground:
        _require_tools()
        config = CONFIGS / person / ".m365agentsplayground.yml"
        if not config.is_file():
            pytest.fail(f"Missing {config}", pytrace=False)
        work = e2e_dir / f"playground-{label}"
        work.mkdir()  # a working directory of its own, outside the repository
        node_options = f"--require {LOOPBACK} {os.environ.get('NODE_OPTIONS', '')}".strip()
        env = clean_env(
            {
                "NODE_OPTIONS": node_options,  # scripts/loopback.cjs: listen on 127.0.0.1 only
                "TEAMSAPPTESTER_BROWSER": "none",  # it would exit trying to open a browser
                "M365_AGENTS_PLAYGROUND_CONFIG_PATH": str(config),
                "M365_AGENTS_PLAYGROUND_LOGFILE": str(e2e_dir / f"playground-{label}.trace.log"),
            }
        )
        argv = [str(PLAYGROUND), "-e", endpoint, "-c", "msteams", "-p", str(free_port())]
        argv.append("--disable-telemetry")
        log = e2e_dir / f"playground-{label}.log"
        service = Service(f"Playground ({label})", argv, env=env, cwd=work, log=log)
        started.append(service)
        # It takes another port when the one asked for is busy: read the one it took.
        port = service.wait_for("'Listening on N'", lambda: listening_port(log))
        return Playground(service, port)

    try:
        yield start
    finally:
        for service in reversed(started):
            service.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright's bundled driver (no browser download)."""
    _require_tools()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=BOUND * 1000
        )
        try:
            yield browser
        finally:
            browser.close()


def _offline(route: Route) -> None:
    # The Playground asks a CDN for Segoe UI fonts and an animation worklet; there is no
    # internet here, so refuse at once instead of waiting for DNS.
    route.abort()


#: Screenshots of every step; switched to each test's folder before its fixtures are set up.
SCREENSHOTS = Artifacts(ARTIFACTS)


@pytest.fixture(scope="package")
def artifacts() -> Artifacts:
    """Where Chat.screenshot puts its pictures: artifacts/e2e/<the running test>/."""
    return SCREENSHOTS


@pytest.fixture(scope="package")
def new_chat(
    browser: Browser, artifacts: Artifacts
) -> Iterator[Callable[[Playground, str, Callable[[], str]], Chat]]:
    """Open a page (in its own browser context) on a Playground and return its Chat, opened."""
    contexts: list[BrowserContext] = []

    def open_chat(playground: Playground, label: str, diagnostics: Callable[[], str]) -> Chat:
        context = browser.new_context(viewport={"width": 1280, "height": 1100})
        contexts.append(context)
        context.route(lambda url: not url.startswith("http://127.0.0.1:"), _offline)
        page = context.new_page()
        chat = Chat(page, playground.url, label, artifacts, diagnostics)
        artifacts.chats.append(chat)
        return chat.open()

    try:
        yield open_chat
    finally:
        artifacts.chats.clear()
        for context in contexts:
            context.close()


class People:
    """Each demo person's chat with the one bot, started and opened on first use."""

    def __init__(self, bot: Bot, start: Callable, open_chat: Callable) -> None:
        self._bot = bot
        self._start = start
        self._open_chat = open_chat
        self.chats: dict[str, Chat] = {}

    def __call__(self, person: str) -> Chat:
        if person not in PERSONS:
            raise KeyError(f"{person!r}: the demo people are {', '.join(PERSONS)}")
        if person not in self.chats:
            playground = self._start(person, self._bot.messages_url, person)
            self.chats[person] = self._open_chat(
                playground,
                person,
                lambda: f"{self._bot.describe()}\n{playground.service.describe(20)}",
            )
        return self.chats[person]


@pytest.fixture(scope="package")
def people(bot: Bot, playground_for: Callable, new_chat: Callable) -> People:
    """`people("headteacher")`: Hannah Lewis's chat with the bot (also reviewer, governor, dceo)."""
    return People(bot, playground_for, new_chat)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before any fixture: a Playground opened for this test is photographed into its folder.
    SCREENSHOTS.start_test(item.name)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when == "call" and report.failed:
        for chat in SCREENSHOTS.chats:  # every open page as it was when the test failed
            try:
                chat.screenshot("at-failure")
            except Exception as exc:  # the page may be gone; the failure says why already
                sys.stderr.write(f"no failure screenshot of {chat.person}: {exc}\n")
    return report
