"""A stand-in bot that answers every message with one card holding every kind of input.

It lets the tests check the page object (tests/support/playground.py) against the Playground's real
card renderer, independently of which step cards HTPM bot has today: what each control looks
like, how to fill it, and exactly what an Action.Execute then sends. Plain threads and the
standard library only, so it never shares an event loop with pytest-asyncio or Playwright.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CARD_TYPE = "application/vnd.microsoft.card.adaptive"

INPUTS_CARD: dict[str, Any] = {
    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
    "type": "AdaptiveCard",
    "version": "1.5",
    "body": [
        {"type": "TextBlock", "text": "Every input", "size": "Large", "weight": "Bolder"},
        {
            "type": "Input.Date",
            "id": "meeting_date",
            "label": "Meeting date",
            "isRequired": True,
            "errorMessage": "Choose the date of the meeting.",
        },
        {"type": "Input.Time", "id": "meeting_time", "label": "Meeting time"},
        {"type": "Input.Text", "id": "notes", "label": "Notes", "isMultiline": True},
        {"type": "Input.Text", "id": "title", "placeholder": "A short title"},
        {"type": "Input.Number", "id": "count", "label": "How many"},
        {
            "type": "Input.ChoiceSet",
            "id": "judgement",
            "label": "Judgement",
            "choices": [
                {"title": "Met", "value": "met"},
                {"title": "Partially met", "value": "partially_met"},
                {"title": "Not met", "value": "not_met"},
            ],
        },
        {
            "type": "Input.ChoiceSet",
            "id": "focus",
            "label": "Focus",
            "style": "expanded",
            "choices": [
                {"title": "School improvement", "value": "school_improvement"},
                {"title": "Wellbeing", "value": "wellbeing"},
            ],
        },
        {
            "type": "Input.ChoiceSet",
            "id": "evidence",
            "label": "Evidence",
            "style": "expanded",
            "isMultiSelect": True,
            "choices": [
                {"title": "SDP", "value": "sdp"},
                {"title": "Pupil outcome data", "value": "data"},
                {"title": "Ofsted report", "value": "ofsted"},
            ],
        },
        {
            "type": "Input.Toggle",
            "id": "wellbeing_discussed",
            "label": "Wellbeing",
            "title": "Workload and wellbeing were discussed",
        },
    ],
    "actions": [
        {
            "type": "Action.Execute",
            "title": "Approve",
            "verb": "approve",
            "data": {"verb": "approve", "appraisal_id": 7, "version": 3},
        },
        {
            "type": "Action.ShowCard",
            "title": "Ask for changes",
            "card": {
                "type": "AdaptiveCard",
                "body": [
                    {
                        "type": "Input.Text",
                        "id": "changes",
                        "label": "What should change",
                        "isMultiline": True,
                    }
                ],
                "actions": [
                    {
                        "type": "Action.Execute",
                        "title": "Send the request",
                        "verb": "request_changes",
                        "data": {"verb": "request_changes", "appraisal_id": 7},
                    }
                ],
            },
        },
    ],
}


def received_card(data: dict[str, Any]) -> dict[str, Any]:
    """The card that replaces the acted-on one: the data the stub received, one line per key."""
    lines = [f"{key} = {json.dumps(value)}" for key, value in sorted(data.items())]
    return {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [
            {"type": "TextBlock", "text": "Received", "weight": "Bolder"},
            *({"type": "TextBlock", "text": line, "wrap": True} for line in lines),
        ],
    }


class StubBot:
    """Serves POST /api/messages on 127.0.0.1 in a thread; records every invoke's action."""

    def __init__(self) -> None:
        self.invokes: list[dict[str, Any]] = []
        self.errors: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                    activity = json.loads(self.rfile.read(length) or b"{}")
                    body = stub.handle(activity)
                except Exception as exc:  # recorded, so a test can show it
                    stub.errors.append(f"{type(exc).__name__}: {exc}")
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                out = json.dumps(body).encode() if body is not None else b""
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.messages_url = f"http://127.0.0.1:{self.port}/api/messages"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, activity: dict[str, Any]) -> dict[str, Any] | None:
        """An invoke is answered in its response; a message with a new message carrying a card."""
        kind = activity.get("type")
        if kind == "invoke":
            action = (activity.get("value") or {}).get("action") or {}
            self.invokes.append(action)
            card = received_card(action.get("data") or {})
            return {"statusCode": 200, "type": CARD_TYPE, "value": card}
        if kind == "message":
            reply = {
                "type": "message",
                "from": activity["recipient"],
                "recipient": activity["from"],
                "conversation": activity["conversation"],
                "replyToId": activity["id"],
                "attachments": [{"contentType": CARD_TYPE, "content": INPUTS_CARD}],
            }
            service = activity["serviceUrl"].rstrip("/")
            url = f"{service}/v3/conversations/{activity['conversation']['id']}/activities"
            request = urllib.request.Request(  # noqa: S310 (the Playground on 127.0.0.1)
                f"{url}/{activity['id']}",
                data=json.dumps(reply).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                response.read()
        return None

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)
