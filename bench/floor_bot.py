"""The SDK floor: the smallest botbuilder bot that answers a card action, for comparison.

It authenticates every request exactly as `htpm serve` does (the same BotFrameworkAuthentication
settings, so the same RS256 validation against the same OpenID metadata), then answers every
`adaptiveCard/action` invoke with one fixed card read from a file at start: no store, no domain,
no card building, no logging. What `htpm serve` costs on top of this is what our own code costs.

Run by the benchmark (`python -m bench`), never by the product:

    python -m bench.floor_bot --port 3979 --card card.json [--tuned]

With `--tuned` it first makes the one SDK fix that `htpm serve` makes (msrest's retry policy,
`bot/msrest_fix.py`), so that what remains between the two is our own code.

Settings come from the same HTPM_APP_ID, HTPM_OPENID_METADATA_URL and HTPM_TOKEN_ISSUER
variables as the bot's.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from aiohttp import web
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, AdaptiveCardInvokeResponse, AdaptiveCardInvokeValue
from botframework.connector.auth import (
    AuthenticationConfiguration,
    BotFrameworkAuthenticationFactory,
    PasswordServiceClientCredentialFactory,
)


class FixedCardBot(ActivityHandler):
    """Answers every card action with the same card."""

    def __init__(self, card: dict[str, Any]) -> None:
        self._card = card

    async def on_adaptive_card_invoke(
        self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        return AdaptiveCardInvokeResponse(
            status_code=200, type="application/vnd.microsoft.card.adaptive", value=self._card
        )


def make_app(card: dict[str, Any], environ: dict[str, str]) -> web.Application:
    """The aiohttp app: POST /api/messages through CloudAdapter.process, GET /readyz."""
    app_id = environ["HTPM_APP_ID"]
    auth = BotFrameworkAuthenticationFactory.create(
        validate_authority=True,
        to_bot_from_channel_token_issuer=environ["HTPM_TOKEN_ISSUER"],
        to_bot_from_channel_open_id_metadata_url=environ["HTPM_OPENID_METADATA_URL"],
        to_bot_from_emulator_open_id_metadata_url=None,
        credential_factory=PasswordServiceClientCredentialFactory(app_id, "not-used"),
        auth_configuration=AuthenticationConfiguration(),
    )
    adapter = CloudAdapter(auth)
    bot = FixedCardBot(card)

    async def messages(request: web.Request) -> web.Response:
        # What CloudAdapter.process does, minus its second serialisation of an invoke body
        # (in 4.17 it fails on the dict that ActivityHandler has already made of it).
        activity = Activity().deserialize(await request.json())
        header = request.headers.get("Authorization", "")
        try:
            response = await adapter.process_activity(header, activity, bot.on_turn)
        except PermissionError:
            return web.Response(status=401)
        if response is None:
            return web.Response(status=201)
        return web.json_response(response.body, status=response.status)

    async def readyz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ready"})

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/readyz", readyz)
    return app


def main() -> None:
    """Serve the floor bot on 127.0.0.1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--card", type=Path, required=True, help="the card to answer with (JSON)")
    parser.add_argument(
        "--tuned",
        action="store_true",
        help="with the msrest fix htpm serve makes (bot/msrest_fix.py)",
    )
    args = parser.parse_args()
    if args.tuned:
        from bot.msrest_fix import cheapen_msrest_retry_policy

        cheapen_msrest_retry_policy()
    card = json.loads(args.card.read_text(encoding="utf-8"))
    web.run_app(
        make_app(card, dict(os.environ)),
        host="127.0.0.1",
        port=args.port,
        print=None,
        access_log=None,
    )


if __name__ == "__main__":
    main()
