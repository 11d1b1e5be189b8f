"""The service as a whole: real outbound tokens, start-up rules, logs, later stages over HTTP."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

import aiohttp
from typer.testing import CliRunner

from appraisal.stages import Stage
from bot.cli import app as cli
from bot.credentials import make_credential_factory
from bot.logs import JsonFormatter, _Context
from bot.server import create_app
from bot.wiring import build
from storage.database import Database
from tests.support.botframework import TENANT, invoke, message, post, serve
from tests.support.connector import FakeConnector
from tests.support.entra import TENANT as ENTRA_TENANT
from tests.support.world import NOW, World, demo_members, make_settings

ROOT = Path(__file__).resolve().parents[2]


# --- outbound tokens from MSAL, end to end ---------------------------------------------------


async def test_replies_carry_a_token_from_the_identity_endpoint_fetched_once(
    tmp_path,
    openid,
    entra,
    http_client,
):
    from bot.demo import seed_demo

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'e2e.sqlite3'}")
    await db.migrate()
    settings = make_settings(
        db.url,
        openid,
        tenant_id=ENTRA_TENANT,
        allowed_tenants=[TENANT],
        login_authority=entra.base,
    )
    product = build(settings, db)
    await seed_demo(product, NOW)
    connector = FakeConnector(members={m.id: m for m in demo_members().values()})
    credentials = make_credential_factory(settings, http_client=http_client)
    app = create_app(settings, product, dev=False, clock=lambda: NOW, credentials=credentials)
    from tests.support.world import PUBLISHED_KEY

    async with serve(connector.app()) as connector_url, serve(app) as bot_url:
        connector.url = connector_url
        hannah = demo_members()["hannah"]
        async with aiohttp.ClientSession() as session:
            for text in ("status", "next"):
                status, _ = await post(
                    session,
                    bot_url,
                    message(hannah, text, connector_url),
                    PUBLISHED_KEY.token(connector_url),
                )
                assert status == 200
    assert connector.auth_headers == ["Bearer token-1", "Bearer token-1"]
    assert len(entra.token_requests) == 1
    assert entra.token_requests[0]["scope"] == "https://api.botframework.com/.default"
    await db.dispose()


# --- start-up rules ----------------------------------------------------------------------------


def _cli(monkeypatch, tmp_path, *args: str, **env: str):
    for key in list(os.environ):
        if key.startswith("HTPM_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HTPM_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return CliRunner().invoke(cli, list(args))


def test_serve_refuses_to_start_without_an_app_id(monkeypatch, tmp_path):
    result = _cli(monkeypatch, tmp_path, "serve")
    assert result.exit_code == 2
    assert "HTPM_APP_ID is not set" in result.output
    assert "--dev" in result.output


def test_serve_refuses_an_app_id_without_tenant_or_secret(monkeypatch, tmp_path):
    result = _cli(
        monkeypatch, tmp_path, "serve", HTPM_APP_ID="4b1a3f6e-2d8c-4e9a-9f10-6c7d8e9fa0b1"
    )
    assert result.exit_code == 2
    assert "HTPM_TENANT_ID is not set" in result.output
    assert "HTPM_APP_SECRET or HTPM_APP_CERT_PATH" in result.output


def test_dev_mode_only_listens_on_loopback_and_demo_needs_dev(monkeypatch, tmp_path):
    result = _cli(monkeypatch, tmp_path, "serve", "--dev", "--host", "192.0.2.1")
    assert result.exit_code == 2
    assert "127.0.0.1" in result.output
    result = _cli(monkeypatch, tmp_path, "serve", "--demo")
    assert result.exit_code == 2
    assert "--dev" in result.output
    result = _cli(monkeypatch, tmp_path, "serve", "--now", "2026-10-14T16:00")
    assert result.exit_code == 2
    assert "--dev" in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_serve_dev_starts_says_authentication_is_off_and_answers(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HTPM_")}
    env["HTPM_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'dev.sqlite3'}"
    process = subprocess.Popen(  # noqa: ASYNC220 - started once; waited on below with a bound
        [
            str(Path(sys.executable).parent / "htpm"),
            "serve",
            "--dev",
            "--demo",
            "--port",
            str(port),
            "--now",
            "2026-11-22T10:00",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    connector = FakeConnector(members={m.id: m for m in demo_members().values()})
    try:
        async with aiohttp.ClientSession() as session, serve(connector.app()) as connector_url:
            connector.url = connector_url
            for _ in range(150):  # up to 15 s for the process to be ready
                try:
                    async with session.get(f"http://127.0.0.1:{port}/readyz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("htpm serve --dev did not become ready")
            hannah = demo_members()["hannah"]
            # No Authorization header at all: --dev accepts it (that is what --dev means).
            status, _ = await post(
                session, f"http://127.0.0.1:{port}", message(hannah, "status", connector_url), None
            )
            assert status == 200
            sent = json.dumps(connector.cards(), ensure_ascii=False)
            assert "Brookside Primary School" in sent
            # The fixed clock: on Sunday 22 November the approval is 6 working days late.
            assert "approve the draft, by Thursday 12 November — 6 working days late" in sent
    finally:
        process.terminate()
        out, err = process.communicate(timeout=15)
    assert "Authentication is OFF" in err
    assert "The clock is fixed at Sunday 22 November 2026 10:00" in err
    assert f"http://127.0.0.1:{port}/api/messages" in out
    assert "Traceback" not in err


# --- logs --------------------------------------------------------------------------------------


async def test_logs_are_json_lines_with_ids_and_no_record_text(world: World):
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(_Context())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    try:
        hannah = world.members["hannah"]
        secret = "my objective is CONFIDENTIAL-OBJECTIVE-TEXT"
        await world.send(message(hannah, secret, world.service_url))
        await world.send(message(hannah, "status", world.service_url))
        await world.send(
            invoke(
                hannah,
                "request_changes",
                {"appraisal_id": 1, "comment": "CONFIDENTIAL-COMMENT"},
                world.service_url,
            )
        )
        await world.send(message(hannah, "status", world.service_url), token="bad")
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert lines, "nothing was logged"
    handled = [
        entry for entry in lines if entry["msg"] in {"answered a command", "card action done"}
    ]
    assert handled
    for entry in handled:
        assert entry["activity_id"].startswith("msg-")
        assert entry["person"].startswith("p-")
    text = buffer.getvalue()
    assert "CONFIDENTIAL" not in text
    assert hannah.aad_object_id not in text and hannah.email not in text
    assert "Raise attainment" not in text
    assert any(entry.get("status") == 401 for entry in lines)


# --- later stages over HTTP --------------------------------------------------------------------


async def test_each_person_sees_their_step_as_the_cycle_moves_on(world: World):
    async def act(who: str, verb: str, **data) -> str:
        _, body = await world.send(
            invoke(world.members[who], verb, {"appraisal_id": brookside, **data}, world.service_url)
        )
        return json.dumps(body["value"])

    async def next_for(who: str) -> str:
        await world.send(message(world.members[who], "next", world.service_url))
        return json.dumps(world.connector.cards()[-1])

    async with world.product.ctx.uow() as tx:
        brookside = next(a.id for a in await tx.appraisals.list() if a.school_urn == "100001")
    assert "Done: Draft approved" in await act("hannah", "approve")
    assert "Issue the final record" in await next_for("rhona")
    assert "Nothing for you right now" in await next_for("hannah")
    assert "Done: Final record issued" in await act("rhona", "issue_final")
    assert "Share with the governor" in await next_for("hannah")
    assert "Done: Shared with the governor" in await act("hannah", "share_with_governor")
    gareth = await next_for("gareth")
    assert "Acknowledge the completed cycle" in gareth
    assert "Objectives are not reported to the board" in gareth
    refused = await act("gareth", "acknowledge", board_meeting_on="2026-11-01")
    assert "board meeting between" in refused  # shown beside the date, the card kept
    assert '"board_meeting_on"' in refused
    async with world.product.ctx.uow() as tx:
        assert (await tx.appraisals.get(brookside)).stage is Stage.SHARED
    assert "Done: Completion acknowledged" in await act(
        "gareth", "acknowledge", board_meeting_on=date(2026, 12, 3).isoformat()
    )
    rhona = await next_for("rhona")
    assert "Record the mid-year review" not in rhona or "opens on Monday 1 February" in rhona
    assert "opens on Monday 1 February 2027" in rhona
    async with world.product.ctx.uow() as tx:
        assert (await tx.appraisals.get(brookside)).stage is Stage.MID_YEAR_DUE
