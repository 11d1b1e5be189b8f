"""The Bot Framework adapter and inbound authentication, configured from settings."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import requests
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ActivityTypes
from botframework.connector.auth import (
    AuthenticationConfiguration,
    BotFrameworkAuthentication,
    BotFrameworkAuthenticationFactory,
    PasswordServiceClientCredentialFactory,
    ServiceClientCredentialsFactory,
)
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.invoke import invoke_card_response
from bot.logs import describe_exception
from bot.msrest_fix import bound_connector_calls, cheapen_msrest_retry_policy
from bot.settings import Settings
from cards.common import message_card

log = logging.getLogger("htpm.adapter")

#: How often the signing keys are fetched again (the SDK's own cache lasts a day).
METADATA_REFRESH_SECONDS = 12 * 3600


def make_authentication(
    settings: Settings, credentials: ServiceClientCredentialsFactory, *, dev: bool
) -> BotFrameworkAuthentication:
    """Inbound token validation and outbound connectors; no validation at all in --dev."""
    if dev:
        return BotFrameworkAuthenticationFactory.create(
            credential_factory=PasswordServiceClientCredentialFactory()
        )
    scope = settings.oauth_scope.removesuffix("/.default")
    return BotFrameworkAuthenticationFactory.create(
        validate_authority=True,
        to_channel_from_bot_login_url=f"{settings.login_authority.rstrip('/')}/{settings.tenant_id}",
        to_channel_from_bot_oauth_scope=scope,
        to_bot_from_channel_token_issuer=settings.token_issuer,
        to_bot_from_channel_open_id_metadata_url=settings.openid_metadata_url,
        # No emulator metadata: only tokens issued by the Bot Framework channel are accepted.
        to_bot_from_emulator_open_id_metadata_url=None,
        credential_factory=credentials,
        auth_configuration=AuthenticationConfiguration(),
    )


@dataclass(frozen=True)
class Undelivered:
    """How the Bot Connector failed to take a message."""

    why: str  # "status 503", "timed out", "no connection": never the connector's text
    down: bool  # the connector, not this message: anything else sent now would fail alike


def connector_status(error: HttpOperationError) -> int:
    """The HTTP status the Bot Connector refused with (0 when the error holds none)."""
    response = error.response
    return int(getattr(response, "status_code", 0) or getattr(response, "status", 0) or 0)


def undelivered(error: BaseException) -> Undelivered | None:
    """How the Bot Connector failed to take a message, or None if `error` is something else."""
    if isinstance(error, HttpOperationError):
        status = connector_status(error)
        return Undelivered(f"status {status}", down=status >= 500 or status in (0, 429))
    if isinstance(error, ClientRequestError):
        inner = getattr(error, "inner_exception", None)
        why = "timed out" if isinstance(inner, requests.Timeout) else "no connection"
        return Undelivered(why, down=True)
    return None


_APOLOGY = "Sorry, something went wrong on my side. Nothing was changed; please try again."


async def _apologise(context: TurnContext) -> str:
    """Say sorry in the chat; what became of it, for the turn's one log line."""
    try:
        await context.send_activity(_APOLOGY)
    except Exception as exc:  # the connector may refuse this too; the turn is over either way
        failed = undelivered(exc)
        return f"apology not delivered: {failed.why if failed else type(exc).__name__}"
    return "apologised"


async def on_error(context: TurnContext, error: Exception) -> None:
    """A failed turn: one log line, an answer where one can still be given; never raises.

    The request to /api/messages is then answered 2xx, not 5xx: the failure is logged here, and
    the person is told where that is still possible. A message is apologised for in the chat,
    unless the connector is down (5xx, 429, no answer): it would refuse the apology too, after
    as long again. An invoke's answer travels in the HTTP response, not through the connector,
    so an invoke still gets a card (its own, if the handler had given one before failing).
    """
    failed = undelivered(error)
    is_message = context.activity.type == ActivityTypes.message
    if failed is not None:
        outcome = await _apologise(context) if is_message and not failed.down else "undelivered"
        log.warning("a reply was not delivered: %s", failed.why, extra={"outcome": outcome})
    elif is_message:
        outcome = await _apologise(context)
        log.error("turn failed: %s", describe_exception(error), extra={"outcome": outcome})
    else:
        log.error("turn failed: %s", describe_exception(error))
    # Where the SDK keeps the invoke's answer until the turn ends (a private, stable name).
    answered = context.turn_state.get(CloudAdapter._INVOKE_RESPONSE_KEY)
    if context.activity.type == ActivityTypes.invoke and answered is None:
        card = message_card(
            "Something went wrong", ["Nothing was changed. Please try again in a moment."]
        )
        await context.send_activity(invoke_card_response(card))  # kept for the HTTP answer


def make_adapter(auth: BotFrameworkAuthentication) -> CloudAdapter:
    """A CloudAdapter whose connector calls fail fast and whose turn errors are handled."""
    cheapen_msrest_retry_policy()
    bound_connector_calls()
    adapter = CloudAdapter(auth)
    adapter.on_turn_error = on_error
    return adapter


def _refresh_metadata_blocking(url: str) -> None:
    # The SDK fetches keys with blocking `requests` inside its async validation; doing it here,
    # in a worker thread with its own loop, keeps the bot's event loop free.
    asyncio.run(JwtTokenExtractor.get_open_id_metadata(url)._refresh())


async def refresh_signing_keys(url: str) -> bool:
    """Fetch the channel's signing keys off the event loop; False (and a log line) on failure."""
    try:
        await asyncio.to_thread(_refresh_metadata_blocking, url)
    except Exception as exc:  # any failure: keep serving, and retry at the next refresh
        log.warning("could not fetch the channel's signing keys: %s", describe_exception(exc))
        return False
    return True


async def keep_signing_keys_fresh(url: str) -> None:
    """Refresh the signing keys now and then every 12 hours, until cancelled."""
    while True:
        await refresh_signing_keys(url)
        await asyncio.sleep(METADATA_REFRESH_SECONDS)
