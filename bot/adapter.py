"""The Bot Framework adapter and inbound authentication, configured from settings."""

from __future__ import annotations

import asyncio
import logging

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

from bot.invoke import invoke_card_response
from bot.logs import describe_exception
from bot.msrest_fix import cheapen_msrest_retry_policy
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


def make_adapter(auth: BotFrameworkAuthentication) -> CloudAdapter:
    """A CloudAdapter whose turn errors are logged without data and answered politely."""
    cheapen_msrest_retry_policy()
    adapter = CloudAdapter(auth)

    async def on_error(context: TurnContext, error: Exception) -> None:
        log.error("turn failed: %s", describe_exception(error))
        if context.activity.type == ActivityTypes.message:
            await context.send_activity(
                "Sorry, something went wrong on my side. Nothing was changed; please try again."
            )
        elif context.activity.type == ActivityTypes.invoke:
            card = message_card(
                "Something went wrong", ["Nothing was changed. Please try again in a moment."]
            )
            await context.send_activity(invoke_card_response(card))

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
