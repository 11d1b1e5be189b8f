"""Delivering the nudge outbox to Teams: one proactive card per row, at most once acknowledged.

The pass, retries, attempts, pacing and the at-least-once window are written out in
docs/delivery.md."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
    ResourceResponse,
)
from msrest.exceptions import ClientRequestError, HttpOperationError

from appraisal.nudges import WELCOME, in_window, next_window
from appraisal.ports import ClaimedRow, FailedDelivery, OutboxDelivery, Person, UnitOfWork
from appraisal.roles import Role
from appraisal.stages import Action
from appraisal.status import OwedStep
from appraisal.text import short_date
from bot import logs
from bot.adapter import connector_status
from bot.invoke import card_message
from bot.msrest_fix import PROACTIVE_READ_TIMEOUT_SECONDS, read_budget
from bot.settings import Settings
from bot.views import Views
from bot.wiring import Product
from cards.router import build_step_card
from cards.views import StepView

log = logging.getLogger("htpm.sender")

TRANSIENT_STATUSES = frozenset({412, 429, 502, 504})
_REASONS = {
    400: "the connector refused the message",
    401: "the bot's credentials were refused",
    403: "the bot is blocked or not installed for this person",
    404: "the conversation no longer exists",
    412: "precondition failed",
    429: "throttled by Teams",
    502: "bad gateway",
    504: "gateway timeout",
}
#: Kinds about a step someone owes: not sent once that step is no longer owed.
_STEP_KINDS = frozenset({"reminder", "due", "overdue", "escalation", "mid_year_open"})


@dataclass(frozen=True)
class RetryPolicy:
    """How transient failures are retried."""

    max_attempts: int = 5
    base_delay: float = 30.0
    max_delay: float = 600.0
    # Leases lost in a row while a row was the one being sent (a crash each time), before it is
    # failed. Not attempts: an innocent row needs as many crashes in a row while it is in flight.
    max_lost_leases: int = 5

    def delay(self, attempt: int, retry_after: float | None, jitter: float) -> float:
        """Seconds before attempt `attempt + 1`: exponential with full jitter, ≥ Retry-After."""
        backoff = min(self.max_delay, self.base_delay * 2 ** max(0, attempt - 1)) * jitter
        return min(self.max_delay, max(backoff, retry_after or 0.0))


class DeliveryFailed(Exception):
    """The connector did not take the message; `transient` says whether to try again.

    `tried` is false for a message refused here before any attempt (not an attempt to count).
    """

    def __init__(
        self,
        reason: str,
        *,
        transient: bool,
        retry_after: float | None = None,
        status: int = 0,
        tried: bool = True,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.retry_after = retry_after
        self.status = status
        self.tried = tried


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A Retry-After header as seconds from `now` (it may be seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, (moment - now).total_seconds())


def classify(error: BaseException, now: datetime) -> DeliveryFailed:
    """What a failed send means: a status and a short reason, never the connector's text."""
    if isinstance(error, DeliveryFailed):
        return error
    if isinstance(error, HttpOperationError):
        status = connector_status(error)
        headers = getattr(error.response, "headers", None) or {}
        reason = f"{status} {_REASONS.get(status, 'refused by the connector')}"
        if status in TRANSIENT_STATUSES:
            wait = retry_after_seconds(headers.get("Retry-After"), now)
            return DeliveryFailed(reason, transient=True, retry_after=wait, status=status)
        return DeliveryFailed(reason, transient=False, status=status)
    if isinstance(
        error, ClientRequestError | aiohttp.ClientError | asyncio.TimeoutError | ConnectionError
    ):
        return DeliveryFailed(f"connection error ({type(error).__name__})", transient=True)
    return DeliveryFailed(f"could not send ({type(error).__name__})", transient=False)


def _action_phrase(action: str) -> str:
    """'approve the draft' for Action.APPROVE."""
    try:
        label = Action(action).label
    except ValueError:
        label = action.replace("_", " ")
    return label[:1].lower() + label[1:]


def _days(n: int) -> str:
    return f"{n} working day{'s' if n != 1 else ''}"


def notice_for(kind: str, action: str, owed: OwedStep | None) -> str:
    """The line at the top of a nudge card: what is owed, by when, how late."""
    what = _action_phrase(action)
    due = short_date(owed.obligation.due_on) if owed else ""
    late = owed.working_days_late if owed and owed.overdue else 0
    if kind == "escalation" and owed is not None:
        return (
            f"Escalation: {owed.person_name} ({owed.obligation.role.label}) has not yet done "
            f"this step: {what}, due {due}, overdue by {_days(late)}."
        )
    if kind == "mid_year_late":
        return "The mid-year review window has closed and the review is not recorded."
    if kind == "meeting_after_target":
        return "The agreed meeting date is after the trust's target date."
    if kind == "near_statutory":
        return "The agreed meeting date is close to the statutory deadline of 31 December."
    if kind == "pre_reading":
        return "The meeting is a week away: please read the pre-reading pack before it."
    if owed is None:
        return f"Reminder: {what}."
    if late > 0:
        return f"Overdue by {_days(late)}: {what} was due {due}."
    if kind == "due":
        return f"Due today: {what}."
    if kind == "mid_year_open":
        return f"The mid-year review window is open: {what} by {due}."
    return f"Reminder: {what} by {due}."


def welcome_notice(view: StepView) -> str:
    """The welcome to someone just named on an appraisal: who they are in it, what it needs now."""
    a = view.appraisal
    roles = sorted(r for r in view.viewer_roles if r is not Role.DCEO and r is not Role.ADMIN)
    role = " and ".join(r.label for r in roles) or "a participant"
    head = view.name(a.headteacher_id) or "the headteacher"
    first = (
        f"Welcome: the trust has named you {role} for {head}'s {a.academic_year} performance "
        f"review at {a.school_name}. It is confidential to the people taking part."
    )
    mine = [s for s in view.owed if s.obligation.person_id == view.viewer_id]
    if not mine:
        return f"{first} Nothing is needed from you right now; I will message you when it is."
    step = mine[0]
    what = _action_phrase(step.obligation.action.value)
    return f"{first} It needs you to {what}, by {short_date(step.obligation.due_on)}."


class TokenBucket:
    """At most `rate` sends a second on average, bursts of up to `rate`."""

    def __init__(self, rate: float, monotonic: Callable[[], float]) -> None:
        self._rate = rate
        self._tokens = rate
        self._monotonic = monotonic
        self._last = monotonic()

    def wait(self) -> float:
        """Take a token; the seconds to sleep first (0 when one was free)."""
        now = self._monotonic()
        self._tokens = min(self._rate, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        deficit = (1 - self._tokens) / self._rate
        self._tokens = 0.0
        self._last = now + deficit  # the sleep pays for the token
        return deficit


class OutboxSender:
    """Sends due outbox rows; `send_due` once, or `run_forever` in the server."""

    def __init__(
        self,
        product: Product,
        adapter: CloudAdapter,
        settings: Settings,
        clock: Callable[[], datetime],
        *,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
        policy: RetryPolicy | None = None,
        batch: int = 50,
        tenant_rate: float = 20.0,
        conversation_interval: float = 1.0,
        quiet_hours: bool = True,
    ) -> None:
        self._product = product
        self._adapter = adapter
        self._settings = settings
        self._clock = clock
        self._sleep = sleep
        self._monotonic = monotonic
        self._jitter = jitter
        self.policy = policy or RetryPolicy()
        self._batch = batch
        self._tenant_rate = tenant_rate
        self._conversation_interval = conversation_interval
        self._buckets: dict[str, TokenBucket] = {}
        self._last_send: dict[str, float] = {}
        self._views = Views(product)
        self._lease = timedelta(seconds=settings.send_lease_seconds)
        # The sending window; `quiet_hours=False` sends at any hour (tests on a fixed Sunday).
        self._quiet_hours = quiet_hours
        self._calendar = product.ctx.calendars.for_nation(settings.nation)
        self._window = settings.nudge_policy()

    # -- the pass ------------------------------------------------------------------------------

    async def send_due(self, now: datetime) -> int:
        """Deliver every row due at `now`; returns how many the connector acknowledged."""
        if self._quiet_hours and not in_window(now, self._calendar, self._window):
            return 0
        async with self._product.ctx.uow() as tx:
            delivery = tx.delivery
            stale = await delivery.requeue_stale(
                now, now - self._lease, self.policy.max_lost_leases
            )
            await tx.commit()
        if stale.pending:
            log.warning(
                "requeued proactive messages after a lost lease", extra={"count": stale.pending}
            )
        if stale.failed:
            log.error(
                "gave up on proactive messages that stopped the sender each time they were sent",
                extra={"count": stale.failed, "outcome": "failed"},
            )
        async with self._product.ctx.uow() as tx:
            claimed = await tx.delivery.claim(now, self._batch)
            await tx.commit()
        delivered = 0
        # Rows still untried when half the lease has gone are given back, so that no other
        # instance takes them for lost while this one is still sending (a slow connector).
        give_back_at = self._monotonic() + self._lease.total_seconds() / 2
        for index, row in enumerate(claimed):
            with read_budget(PROACTIVE_READ_TIMEOUT_SECONDS):
                outcome = await self._attempt(row, now)
            if outcome == "sent":
                delivered += 1
            late = self._monotonic() >= give_back_at
            if outcome == "throttled" or late:
                for rest in claimed[index + 1 :]:
                    await self._record(lambda d, r=rest: d.release(r.id, now))
                break
        return delivered

    async def run_forever(self, interval: float) -> None:
        """Send due rows every `interval` seconds until cancelled; a failed pass is logged."""
        while True:
            try:
                await self.send_due(self._clock())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may be away; try again next time
                log.error("a sending pass failed: %s", logs.describe_exception(exc))
            await self._sleep(interval)

    async def _record(self, change: Callable[[OutboxDelivery], Awaitable[Any]]) -> None:
        async with self._product.ctx.uow() as tx:
            await change(tx.delivery)
            await tx.commit()

    async def _attempt(self, row: ClaimedRow, now: datetime) -> str:
        try:
            activity_id = await self._deliver(row)
        except _NotNeeded as skipped:
            note = str(skipped)
            await self._record(lambda d: d.mark_skipped(row.id, self._clock(), note))
            log.info("a proactive message was no longer needed", extra={"outcome": "skipped"})
            return "skipped"
        except Exception as exc:  # every failure is classified; nothing propagates
            failure = classify(exc, now)
            return await self._failed(row, failure, now)
        await self._record(lambda d: d.mark_sent(row.id, self._clock(), activity_id))
        log.info("sent a proactive message", extra={"outcome": "sent"})
        return "sent"

    async def _failed(self, row: ClaimedRow, failure: DeliveryFailed, now: datetime) -> str:
        if failure.transient and row.attempts < self.policy.max_attempts:
            wait = self.policy.delay(row.attempts, failure.retry_after, self._jitter())
            when = now + timedelta(seconds=wait)
            if self._quiet_hours:
                when = next_window(when, self._calendar, self._window)
            await self._record(lambda d: d.mark_retry(row.id, when, failure.reason))
            log.warning(
                "a proactive message will be retried: %s",
                failure.reason,
                extra={"outcome": "retry", "status": failure.status},
            )
            return "throttled" if failure.status == 429 else "retry"
        reason = failure.reason
        if failure.transient:
            reason = f"{reason}; gave up after {row.attempts} attempts"
        await self._record(lambda d: d.mark_failed(row.id, reason, tried=failure.tried))
        log.warning(
            "a proactive message could not be delivered: %s",
            reason,
            extra={"outcome": "failed", "status": failure.status},
        )
        return "failed"

    # -- one message ---------------------------------------------------------------------------

    async def _deliver(self, row: ClaimedRow) -> str | None:
        async with self._product.ctx.uow() as tx:
            person = await tx.people.get(row.recipient_id)
            reference = await tx.conversations.for_person(row.recipient_id)
        if person is None:
            raise DeliveryFailed(
                "the recipient is no longer on the roster", transient=False, tried=False
            )
        card = await self._card(row, person)
        if reference is not None:
            ref = ConversationReference().deserialize(reference)
            conversation = ref.conversation.id if ref.conversation else ""
            tenant = getattr(ref.conversation, "tenant_id", None) or self._settings.tenant_id
            await self._pace(tenant or "", conversation or "")
            return await self._continue(ref, card)
        if not person.aad_object_id:
            raise DeliveryFailed(
                "the recipient has no Teams account yet", transient=False, tried=False
            )
        await self._pace(self._settings.tenant_id, f"new:{person.aad_object_id}")
        return await self._create(person, card)

    async def _card(self, row: ClaimedRow, person: Person) -> dict[str, Any]:
        view = await self._views.step_view(person, row.appraisal_id, self._clock(), None)
        if view is None:
            # Replaced in the roster since (or never a participant): nothing for them now.
            raise _NotNeeded("not sent: the recipient no longer takes part")
        owed = _owed_step(view, row)
        if owed is None and row.kind in _STEP_KINDS:
            raise _NotNeeded("not sent: the step was no longer owed")
        if row.kind == WELCOME:
            notice = welcome_notice(view)
        else:
            notice = notice_for(row.kind, row.action, owed)
        step = row.action if row.kind != "escalation" else None
        return build_step_card(replace(view, notice=notice), step)

    async def _pace(self, tenant: str, conversation: str) -> None:
        bucket = self._buckets.get(tenant)
        if bucket is None:
            bucket = self._buckets[tenant] = TokenBucket(self._tenant_rate, self._monotonic)
        wait = bucket.wait()
        started = self._monotonic()
        last = self._last_send.get(conversation)
        if last is not None:
            wait = max(wait, last + self._conversation_interval - started)
        if wait > 0:
            await self._sleep(wait)
        self._last_send[conversation] = started + max(0.0, wait)
        if len(self._last_send) > 1000:  # forget conversations not written to lately
            horizon = started - self._conversation_interval
            self._last_send = {k: v for k, v in self._last_send.items() if v >= horizon}

    async def _continue(self, reference: ConversationReference, card: dict[str, Any]) -> str | None:
        sent: list[ResourceResponse | None] = []
        errors: list[BaseException] = []

        async def callback(turn_context: TurnContext) -> None:
            # The adapter's pipeline hands exceptions to on_turn_error; keep them to classify.
            try:
                sent.append(await turn_context.send_activity(card_message(card)))
            except Exception as exc:
                errors.append(exc)

        await self._adapter.continue_conversation(
            reference, callback, bot_app_id=self._settings.app_id
        )
        if errors:
            raise errors[0]
        return sent[0].id if sent and sent[0] is not None else None

    async def _create(self, person: Person, card: dict[str, Any]) -> str | None:
        settings = self._settings
        tenant = settings.tenant_id
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=f"28:{settings.app_id}"),
            members=[ChannelAccount(id=person.aad_object_id)],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}},
        )
        sent: list[ResourceResponse | None] = []
        errors: list[BaseException] = []
        references: list[dict[str, Any]] = []

        async def callback(turn_context: TurnContext) -> None:
            try:
                reference = TurnContext.get_conversation_reference(turn_context.activity)
                references.append(reference.serialize())
                sent.append(await turn_context.send_activity(card_message(card)))
            except Exception as exc:
                errors.append(exc)

        await self._adapter.create_conversation(
            settings.app_id, callback, parameters, "msteams", settings.service_url, None
        )
        if errors:
            raise errors[0]
        if references and person.aad_object_id:
            # Next time, continue this chat rather than create it again.
            try:
                async with self._product.ctx.uow() as tx:
                    await tx.conversations.save(
                        person.aad_object_id,
                        tenant.lower(),
                        person.id,
                        references[0],
                        self._clock(),
                    )
                    await tx.commit()
            except Exception as exc:  # sent all the same; the next nudge creates the chat again
                log.warning(
                    "could not keep the new chat's reference: %s", logs.describe_exception(exc)
                )
        return sent[0].id if sent and sent[0] is not None else None


class _NotNeeded(Exception):
    """The nudge's step was done before its turn came."""


def _owed_step(view: StepView, row: ClaimedRow) -> OwedStep | None:
    for owed in view.owed:
        if owed.obligation.action.value != row.action:
            continue
        if row.kind == "escalation" or owed.obligation.person_id == row.recipient_id:
            return owed
    return None


async def delivery_problems(uow: UnitOfWork) -> list[FailedDelivery]:
    """Proactive messages that will never be delivered, for `htpm status`."""
    return await uow.delivery.failed()
