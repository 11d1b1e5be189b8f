"""A local Entra ID look-alike over HTTPS: tenant discovery, the token endpoint, App Service MSI."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

APP_ID = "00000000-0000-0000-0000-0000000000b0"
TENANT = "11111111-1111-1111-1111-111111111111"
SECRET = "s3cret~value+with/odd=chars"
SCOPE = "https://api.botframework.com/.default"
PUBLIC_LOGIN = "https://login.microsoftonline.com/botframework.com"


@dataclass
class FakeEntra:
    """What the local identity endpoints serve, and what they were asked."""

    base: str = ""
    expires_in: int = 3600
    delay: float = 0.0
    refuse: bool = False
    token_endpoint: str = ""  # served in the discovery document; defaults to our own
    token_requests: list[dict[str, str]] = field(default_factory=list)
    msi_requests: list[tuple[dict[str, str], dict[str, str]]] = field(default_factory=list)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """A request handler class that serves this state."""
        entra = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output quiet

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path == f"/{TENANT}/v2.0/.well-known/openid-configuration":
                    self._json(200, entra.discovery())
                elif url.path == "/msi/token":
                    entra.msi_requests.append((dict(parse_qsl(url.query)), dict(self.headers)))
                    self._json(200, entra.msi_token(len(entra.msi_requests)))
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                if urlsplit(self.path).path != f"/{TENANT}/oauth2/v2.0/token":
                    self._json(404, {"error": "not_found"})
                    return
                length = int(self.headers["Content-Length"])
                form = dict(parse_qsl(self.rfile.read(length).decode()))
                entra.token_requests.append(form)
                time.sleep(entra.delay)
                if entra.refuse:
                    # A hostile endpoint that echoes the secret: our message must still hide it.
                    echoed = form.get("client_secret")
                    detail = f"AADSTS7000215: Invalid client secret provided: {echoed}"
                    self._json(401, {"error": "invalid_client", "error_description": detail})
                    return
                n = len(entra.token_requests)
                body = {"token_type": "Bearer", "expires_in": entra.expires_in}
                self._json(200, {**body, "access_token": f"token-{n}"})

        return Handler

    def discovery(self) -> dict[str, Any]:
        """The tenant's OpenID configuration, pointing at this server."""
        root = f"{self.base}/{TENANT}"
        return {
            "issuer": f"{root}/v2.0",
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "token_endpoint": self.token_endpoint or f"{root}/oauth2/v2.0/token",
            "jwks_uri": f"{root}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "token"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def msi_token(self, n: int) -> dict[str, Any]:
        """An App Service managed identity token response."""
        return {
            "access_token": f"msi-token-{n}",
            "expires_on": str(int(time.time()) + self.expires_in),
            "resource": "https://api.botframework.com",
            "token_type": "Bearer",
        }
