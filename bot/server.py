"""The HTTP service: /api/messages for the Bot Framework, /healthz and /readyz for operators."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from botbuilder.core import Bot
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from botframework.connector.auth import BotFrameworkAuthentication, ServiceClientCredentialsFactory
from msrest.serialization import DeserializationError

from bot import logs
from bot.adapter import keep_signing_keys_fresh, make_adapter, make_authentication
from bot.credentials import make_credential_factory
from bot.nudges import NudgeJob
from bot.sender import OutboxSender
from bot.settings import Settings
from bot.teams_bot import HtpmBot
from bot.wiring import Product

log = logging.getLogger("htpm.http")

MAX_BODY_BYTES = 256 * 1024
PRODUCT = web.AppKey("product", Product)
AUTH = web.AppKey("auth", BotFrameworkAuthentication)
ADAPTER = web.AppKey("adapter", CloudAdapter)
BOT = web.AppKey("bot", Bot)
DEV = web.AppKey("dev", bool)
SENDER = web.AppKey("sender", OutboxSender)


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _activity_from(request: web.Request) -> Activity | web.Response:
    """The activity in the request, or the 4xx response saying what is wrong with it."""
    if request.content_type != "application/json":
        return _problem(415, "Send the activity as application/json.")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _problem(413, f"The request body is over {MAX_BODY_BYTES // 1024} KB.")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _problem(400, "The request body is not valid JSON.")
    if not isinstance(data, dict):
        return _problem(400, "The request body must be a JSON object (an activity).")
    try:
        activity = Activity().deserialize(data)
    except (DeserializationError, TypeError, ValueError, AttributeError):
        return _problem(400, "The request body is not a valid activity.")
    if not activity.type or not activity.service_url:
        return _problem(400, "The activity needs a type and a serviceUrl.")
    return activity


async def messages(request: web.Request) -> web.Response:
    """Receive one activity: authenticate it, run the bot, answer invokes with their body."""
    started = time.perf_counter()
    parsed = await _activity_from(request)
    if isinstance(parsed, web.Response):
        log.info("rejected a request", extra={"status": parsed.status})
        return parsed
    activity = parsed
    logs.activity_id.set(activity.id)
    app = request.app
    header = "" if app[DEV] else request.headers.get("Authorization", "")
    if not app[DEV] and not header:
        return _problem(401, "Authorization is required.")
    try:
        auth_result = await app[AUTH].authenticate_request(activity, header)
    except Exception as exc:  # every failed validation, whatever the SDK raised, is a 401
        log.warning("refused a token: %s", logs.describe_exception(exc), extra={"status": 401})
        return _problem(401, "The request's token is not valid.")
    response = await app[ADAPTER].process_activity(auth_result, activity, app[BOT].on_turn)
    elapsed = round((time.perf_counter() - started) * 1000, 1)
    if response is not None:
        body = response.body.serialize() if hasattr(response.body, "serialize") else response.body
        log.info("answered an invoke", extra={"status": response.status, "duration_ms": elapsed})
        return web.json_response(body, status=response.status or 200)
    log.info("handled an activity", extra={"status": 200, "duration_ms": elapsed})
    return web.Response(status=200)


async def healthz(_request: web.Request) -> web.Response:
    """The process is alive."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """The database can be reached."""
    try:
        await asyncio.wait_for(request.app[PRODUCT].db.ping(), timeout=5)
    except Exception as exc:  # any failure means not ready; say so without details
        log.warning("not ready: %s", logs.describe_exception(exc))
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ready"})


@web.middleware
async def _no_tracebacks(request: web.Request, handler):
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception as exc:  # logged by type and place only: messages may echo data
        log.error("request failed: %s", logs.describe_exception(exc), extra={"status": 500})
        return _problem(500, "Something went wrong on our side.")


def create_app(
    settings: Settings,
    product: Product,
    *,
    dev: bool,
    clock: Callable[[], datetime] | None = None,
    credentials: ServiceClientCredentialsFactory | None = None,
    proactive: bool = False,
) -> web.Application:
    """The aiohttp application around a wired product (clock and credentials for tests).

    With `proactive` the outbox sender runs in the background while the app runs
    (`htpm serve` turns it on; tests that want it ask for it).
    """
    zone = ZoneInfo(settings.timezone)
    now = clock or (lambda: datetime.now(zone))
    factory = credentials or make_credential_factory(settings)
    auth = make_authentication(settings, factory, dev=dev)
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[_no_tracebacks])
    app[PRODUCT], app[AUTH], app[DEV] = product, auth, dev
    app[ADAPTER] = make_adapter(auth)
    tenants = settings.tenants()
    app[BOT] = HtpmBot(product, tenants, now)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    if not dev:
        app.cleanup_ctx.append(_signing_keys(settings.openid_metadata_url))
    app[SENDER] = OutboxSender(product, app[ADAPTER], settings, now)
    if proactive:
        job = NudgeJob(product.ctx, settings.nudge_policy())
        app.cleanup_ctx.append(_deciding(job, now, settings.send_interval_seconds))
        app.cleanup_ctx.append(_sending(app[SENDER], settings.send_interval_seconds))
    return app


async def decide_forever(job: NudgeJob, clock: Callable[[], datetime], interval: float) -> None:
    """Decide the due nudges now and then every `interval` seconds, until cancelled."""
    while True:
        try:
            queued = await job.run(clock())
        except Exception as exc:  # a failed pass is logged; the next one tries again
            log.error("deciding nudges failed: %s", logs.describe_exception(exc))
        else:
            if queued:
                log.info("nudges queued", extra={"outcome": f"{queued} queued"})
        await asyncio.sleep(interval)


def _deciding(job: NudgeJob, clock: Callable[[], datetime], interval: float):
    async def context(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(decide_forever(job, clock, interval))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context


def _sending(sender: OutboxSender, interval: float):
    async def context(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(sender.run_forever(interval))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context


def _signing_keys(url: str):
    async def context(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(keep_signing_keys_fresh(url))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context
