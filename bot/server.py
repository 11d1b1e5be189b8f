"""The HTTP service: /api/messages for the Bot Framework, /healthz and /readyz for operators."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from botbuilder.core import Bot
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from botframework.connector.auth import (
    AuthenticateRequestResult,
    BotFrameworkAuthentication,
    ServiceClientCredentialsFactory,
)

from appraisal.inputs import without_surrogates
from bot import logs
from bot.adapter import keep_signing_keys_fresh, make_adapter, make_authentication
from bot.credentials import make_credential_factory
from bot.nudges import NudgeJob
from bot.outbound import OutboundPolicy
from bot.sender import OutboxSender
from bot.settings import Settings
from bot.teams_bot import HtpmBot
from bot.wiring import Product
from storage.probe import ReadinessAnswer

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


#: Deepest nesting an activity may have (Teams' own are under 10 deep).
MAX_DEPTH = 32
#: Longest Authorization header we look at (a channel token is about 1.5 KB).
MAX_AUTHORIZATION = 8 * 1024
_TOO_DEEP = f"The request body is nested more than {MAX_DEPTH} levels deep."


class _BadBody(Exception):
    """The body is not an activity we can read; the message says why (and echoes nothing)."""


def _no_constant(name: str) -> Any:
    raise _BadBody("The request body holds NaN or Infinity, which are not JSON.")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _BadBody("The request body holds a number too large for JSON.")
    return value


def _clean(data: Any) -> Any:
    """The parsed body with lone surrogates replaced (they cannot be stored or sent on).

    Walks the tree without recursion and refuses anything nested over MAX_DEPTH.
    """
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _BadBody(_TOO_DEEP)
        if isinstance(node, dict):
            for key in [k for k in node if without_surrogates(k) != k]:
                node[without_surrogates(key)] = node.pop(key)
            items: Any = node.items()
        elif isinstance(node, list):
            items = enumerate(node)
        else:
            continue
        for key, value in list(items):
            if isinstance(value, str):
                node[key] = without_surrogates(value)
            elif isinstance(value, (dict, list)):
                stack.append((value, depth + 1))
    return data


def _parse(body: bytes) -> Activity:
    """The activity in a JSON body, or _BadBody saying what is wrong with it."""
    try:
        data = json.loads(body, parse_constant=_no_constant, parse_float=_finite)
    except _BadBody:
        raise
    except RecursionError:
        raise _BadBody(_TOO_DEEP) from None
    except (UnicodeDecodeError, ValueError):  # JSONDecodeError, and integers over 4,300 digits
        raise _BadBody("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise _BadBody("The request body must be a JSON object (an activity).")
    problem = shape_problem(_clean(data))
    if problem:
        raise _BadBody(problem)
    try:
        return Activity().deserialize(data)
    except Exception:  # msrest raises many types for a wrong shape; all mean the same here
        raise _BadBody("The request body is not a valid activity.") from None


#: Longest id (activity, conversation, account) we accept: Teams' own are under 200.
MAX_ID = 512
#: Text fields of an activity and of the accounts it names, which replies copy back (msrest
#: would turn a number or a list in them into text, and the reply would go astray).
_TEXT_FIELDS = ("id", "locale", "replyToId", "name", "text", "action", "textFormat")
_ACCOUNT_TEXT = ("id", "name", "aadObjectId", "role", "conversationType", "tenantId")


def _plain_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID and value.isprintable()


def shape_problem(data: dict[str, Any]) -> str | None:
    """Why the body cannot be a turn for this bot, or None: the fields every turn relies on."""
    for field in ("type", "serviceUrl", "channelId"):
        if not isinstance(data.get(field), str) or not data[field]:
            return f"The activity needs a {field}."
    for field in _TEXT_FIELDS:
        if not isinstance(data.get(field), (str, type(None))):
            return f"The activity's {field} is not text."
    if len(data.get("id") or "") > MAX_ID or not (data.get("id") or "").isprintable():
        return f"The activity's id is over {MAX_ID} characters or holds control characters."
    for name in ("conversation", "from", "recipient"):
        account = data.get(name)
        if not isinstance(account, dict):
            return f"The activity needs {name}."
        if not _plain_id(account.get("id")):
            return f"The activity needs {name}.id (at most {MAX_ID} printable characters)."
        for field in _ACCOUNT_TEXT:
            if not isinstance(account.get(field), (str, type(None))):
                return f"The activity's {name}.{field} is not text."
        if not isinstance(account.get("isGroup"), (bool, type(None))):
            return f"The activity's {name}.isGroup is not true or false."
    return None


async def _body(request: web.Request) -> bytes | web.Response:
    if request.content_type != "application/json":
        return _problem(415, "Send the activity as application/json.")
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _problem(413, f"The request body is over {MAX_BODY_BYTES // 1024} KB.")


async def _authenticate(
    app: web.Application, activity: Activity, header: str
) -> AuthenticateRequestResult | None:
    try:
        return await app[AUTH].authenticate_request(activity, header)
    except Exception as exc:  # every failed validation, whatever the SDK raised, is a 401
        log.warning("refused a token: %s", logs.describe_exception(exc), extra={"status": 401})
        return None


async def messages(request: web.Request) -> web.Response:
    """Receive one activity: authenticate it, run the bot, answer invokes with their body.

    The token is checked before the body is parsed: a stranger without one costs a header
    lookup, and with a bad one the bytes are read (at most 256 KB, so the connection stays
    clean) but nothing is made of them. The token alone (signature, issuer, audience,
    lifetime) is checked first; once the body is parsed, again with the activity (its
    serviceUrl and channel).
    """
    started = time.perf_counter()
    app = request.app
    header = "" if app[DEV] else request.headers.get("Authorization", "")
    if not app[DEV] and not header:
        return _problem(401, "Authorization is required.")
    body = await _body(request)
    if isinstance(body, web.Response):
        log.info("rejected a request", extra={"status": body.status})
        return body
    if not app[DEV] and (
        len(header) > MAX_AUTHORIZATION or await _authenticate(app, Activity(), header) is None
    ):
        return _problem(401, "The request's token is not valid.")
    try:
        activity = _parse(body)
    except _BadBody as bad:
        log.info("rejected a request", extra={"status": 400})
        return _problem(400, str(bad))
    logs.activity_id.set(logs.safe_id(activity.id))
    auth_result = await _authenticate(app, activity, header)
    if auth_result is None:
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


def _log_readiness_change(answer: ReadinessAnswer) -> None:
    """One line when the store stops (or starts again) taking writes, none for each poll."""
    if not answer.changed:
        return
    if answer.problem is not None:
        problem = answer.problem
        log.warning("not ready: the database is %s: %s", problem.database, problem.reason)
    else:
        log.info("ready again: the database takes writes")


async def readyz(request: web.Request) -> web.Response:
    """The database can be written (found out at most every few seconds, however often asked)."""
    answer = await request.app[PRODUCT].db.readiness.check()
    _log_readiness_change(answer)
    if answer.problem is not None:  # the body names the state only: no path, no error text
        body = {"status": "unavailable", "database": answer.problem.database}
        return web.json_response(body, status=503)
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
    outbound: OutboundPolicy | None = None,
) -> web.Application:
    """The aiohttp application around a wired product (clock and credentials for tests).

    With `proactive` the outbox sender runs in the background while the app runs
    (`htpm serve` turns it on; tests that want it ask for it). `outbound` says where file
    downloads and uploads may go: by default HTTPS to public addresses (and loopback with `dev`);
    tests pass one trusting their fake servers.
    """
    zone = ZoneInfo(settings.timezone)
    now = clock or (lambda: datetime.now(zone))
    factory = credentials or make_credential_factory(settings)
    auth = make_authentication(settings, factory, dev=dev)
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[_no_tracebacks])
    app[PRODUCT], app[AUTH], app[DEV] = product, auth, dev
    app[ADAPTER] = make_adapter(auth)
    tenants = settings.tenants()
    app[BOT] = HtpmBot(product, tenants, now, outbound=outbound or OutboundPolicy(dev=dev))
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
