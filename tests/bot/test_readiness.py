"""/readyz tells the truth: 503 while the database cannot be written (asked every few seconds)."""

from __future__ import annotations

import asyncio
import logging

import aiohttp

import storage.probe
from bot.server import create_app
from bot.wiring import Product, build
from storage.database import Database
from tests.support.botframework import serve
from tests.support.readonly import read_only
from tests.support.servers import free_port
from tests.support.world import NOW, World, make_settings, running_bot


async def nothing(_product: Product) -> None:
    pass


async def readyz(session: aiohttp.ClientSession, bot_url: str) -> tuple[int, object]:
    async with session.get(f"{bot_url}/readyz") as response:
        return response.status, await response.json()


def lines(caplog, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "htpm.http" and r.levelno == level]


async def poll(world: World, times: int, every: float) -> list[tuple[int, object]]:
    answers = []
    for _ in range(times):
        answers.append(await readyz(world.session, world.bot_url))
        await asyncio.sleep(every)
    return answers


async def test_readyz_is_503_while_the_file_is_read_only_and_each_change_is_logged_once(
    tmp_path, openid, caplog
):
    path = tmp_path / "bot.sqlite3"
    db = Database(f"sqlite+aiosqlite:///{path}", readiness_max_age=0.2)
    async with running_bot(tmp_path, openid, nothing, [NOW], database=db) as world:
        caplog.set_level(logging.INFO)
        assert await readyz(world.session, world.bot_url) == (200, {"status": "ready"})
        with read_only(path):
            await asyncio.sleep(0.25)
            unavailable = await poll(world, times=5, every=0.1)
        await asyncio.sleep(0.25)
        ready = await poll(world, times=3, every=0.1)

    # The state only: no path, no error text.
    assert unavailable == [(503, {"status": "unavailable", "database": "not writable"})] * 5
    assert ready == [(200, {"status": "ready"})] * 3
    assert lines(caplog, logging.WARNING) == [
        "not ready: the database is not writable: the file is read-only"
    ]
    assert lines(caplog, logging.INFO) == ["ready again: the database takes writes"]
    assert str(tmp_path) not in caplog.text


async def test_a_load_balancer_polling_costs_one_probe_per_few_seconds(
    tmp_path, openid, monkeypatch
):
    probes = []
    real = storage.probe._sqlite_write

    def counted(uri: str, path) -> None:
        probes.append(uri)
        real(uri, path)

    monkeypatch.setattr(storage.probe, "_sqlite_write", counted)
    async with running_bot(tmp_path, openid, nothing, [NOW]) as world:
        answers = await asyncio.gather(*(readyz(world.session, world.bot_url) for _ in range(50)))
        answers += await poll(world, times=10, every=0.01)
    assert answers == [(200, {"status": "ready"})] * 60
    assert len(probes) == 1


async def test_readyz_is_503_unreachable_when_postgresql_is_down(openid, caplog):
    db = Database(f"postgresql://root:secret@127.0.0.1:{free_port()}/test")
    settings = make_settings(db.url, openid)
    app = create_app(settings, build(settings, db), dev=True)
    caplog.set_level(logging.INFO)
    try:
        async with serve(app) as bot_url, aiohttp.ClientSession() as session:
            answers = [await readyz(session, bot_url) for _ in range(3)]
    finally:
        await db.dispose()
    assert answers == [(503, {"status": "unavailable", "database": "unreachable"})] * 3
    assert lines(caplog, logging.WARNING) == [
        "not ready: the database is unreachable: connection refused"
    ]
    assert "secret" not in caplog.text
