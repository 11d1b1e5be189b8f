"""The bot's outbound credentials: one MSAL client per process, tokens fetched off the loop."""

from __future__ import annotations

import asyncio
import functools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import requests
from botframework.connector.auth import (
    AppCredentials,
    PasswordServiceClientCredentialFactory,
    ServiceClientCredentialsFactory,
)
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from bot.settings import Settings

# Refresh this long before expiry: a token handed to a connector client must outlive the turn.
# MSAL's own cache uses the same margin, so both layers agree on when a token is stale.
REFRESH_MARGIN_SECONDS = 5 * 60
# requests waits forever by default; a hung endpoint must not hold a worker thread for good.
HTTP_TIMEOUT_SECONDS = 30


class CredentialsError(Exception):
    """The bot could not obtain a token for its own identity; the message never holds a secret."""


@dataclass
class _Slot:
    """The newest token for one scope, shared by every credentials object made for that scope."""

    token: str = ""
    fresh_until: float = 0.0  # time.monotonic() after which we fetch again


class TokenCredentials(AppCredentials):
    """msrest credentials that sign requests with a token fetched beforehand, never doing I/O."""

    def __init__(self, app_id: str, oauth_scope: str, slot: _Slot) -> None:
        super().__init__(app_id=app_id, oauth_scope=oauth_scope)
        self._slot = slot

    def get_access_token(self, force_refresh: bool = False) -> str:
        """The newest token for this scope (refreshing is the factory's job, on the event loop)."""
        return self._slot.token


@dataclass(frozen=True)
class Certificate:
    """A PEM private key and the SHA-1 thumbprint of its certificate, as Entra ID expects them."""

    private_key: str
    thumbprint: str
    public_certificate: str

    @classmethod
    def from_pem_file(cls, path: Path) -> Certificate:
        """Read a PEM file holding the private key and its certificate (a chain may follow)."""
        try:
            data = path.read_bytes()
            key = serialization.load_pem_private_key(data, password=None)
            certs = x509.load_pem_x509_certificates(data)
        except (OSError, ValueError, TypeError) as exc:
            raise CredentialsError(
                f"cannot read the key and certificate in {path}: {exc}"
            ) from None
        # A chain file also holds issuers; the certificate that counts is the one for our key.
        ours = [c for c in certs if _spki(c.public_key()) == _spki(key.public_key())]
        if not ours:
            raise CredentialsError(f"{path} holds no certificate for its private key")
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # SHA-1 names the certificate (x5t, the Entra portal); it secures nothing here.
        thumbprint = ours[0].fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303
        cert_pem = ours[0].public_bytes(serialization.Encoding.PEM)
        return cls(key_pem.decode(), thumbprint, cert_pem.decode())


def _spki(public_key: Any) -> bytes:
    """A public key's DER bytes, to compare keys of any type."""
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _default_http_client() -> requests.Session:
    """A requests session whose calls time out."""
    session = requests.Session()
    timed = functools.partial(session.request, timeout=HTTP_TIMEOUT_SECONDS)
    session.request = timed  # type: ignore[method-assign]
    return session


class MsalCredentialFactory(ServiceClientCredentialsFactory):
    """Credentials for our one app id, from a client secret, a certificate or a managed identity."""

    def __init__(self, settings: Settings, *, http_client: requests.Session | None = None) -> None:
        if not settings.app_id:
            raise CredentialsError(
                "HTPM_APP_ID is not set; use make_credential_factory for dev mode"
            )
        self._settings = settings
        self._app_id = settings.app_id
        self._owns_http = http_client is None
        self._http = http_client or _default_http_client()
        self._secrets: list[str] = []
        self._credential: str | dict[str, str] | None = None
        if settings.app_type == "SingleTenant":
            if settings.app_cert_path is not None:
                cert = Certificate.from_pem_file(settings.app_cert_path)
                self._credential = {
                    "private_key": cert.private_key,
                    "thumbprint": cert.thumbprint,
                    "public_certificate": cert.public_certificate,  # sent as x5c for SN/I auth
                }
            elif settings.app_secret is not None and settings.app_secret.get_secret_value():
                secret = settings.app_secret.get_secret_value()
                self._credential = secret
                # Masked verbatim and form-encoded: the forms in which an endpoint could echo it.
                self._secrets += [secret, quote_plus(secret)]
            else:
                raise CredentialsError("set HTPM_APP_SECRET or HTPM_APP_CERT_PATH")
        self._client: Any = None  # built on first use, in a worker thread: it does network I/O
        self._slots: dict[str, _Slot] = {}
        self._lock = asyncio.Lock()

    async def is_valid_app_id(self, app_id: str) -> bool:
        """Only our own app id is ours."""
        return app_id == self._app_id

    async def is_authentication_disabled(self) -> bool:
        """Never: this factory exists only when an app id is configured."""
        return False

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> AppCredentials:
        """Credentials holding a token for the scope, fetched only when none is fresh."""
        # login_endpoint is ignored: a SingleTenant bot must sign in at its own tenant, which
        # the settings name, not at the multi-tenant authority the connector factory passes.
        if not await self.is_valid_app_id(app_id):
            raise CredentialsError(f"app id {app_id!r} is not this bot's")
        scope = oauth_scope or self._settings.oauth_scope
        slot = self._slots.setdefault(scope, _Slot())
        if time.monotonic() >= slot.fresh_until:
            async with self._lock:
                # Another caller may have refreshed it while we waited: one fetch serves all.
                if time.monotonic() >= slot.fresh_until:
                    started = time.monotonic()
                    token, expires_in = await asyncio.to_thread(self._acquire, scope)
                    slot.token = token
                    slot.fresh_until = started + expires_in - REFRESH_MARGIN_SECONDS
        return TokenCredentials(app_id, scope, slot)

    def close(self) -> None:
        """Release the HTTP connections this factory opened."""
        if self._owns_http:
            self._http.close()

    def _acquire(self, scope: str) -> tuple[str, int]:
        """Fetch a token (blocking; runs in a worker thread) and return it with its lifetime."""
        scopes = scope if scope.endswith("/.default") else scope + "/.default"
        try:
            if self._client is None:
                self._client = self._build_client()
            if self._settings.app_type == "UserAssignedMSI":
                result = self._client.acquire_token_for_client(
                    resource=scopes.removesuffix("/.default")
                )
            else:
                result = self._client.acquire_token_for_client(scopes=[scopes])
        except Exception as exc:
            # from None: the chained exception could carry request data; the message is enough.
            raise CredentialsError(
                f"could not get a token for app {self._app_id}: "
                f"{type(exc).__name__}: {self._scrub(str(exc))}"
            ) from None
        if not result or "access_token" not in result:
            result = result or {}
            raise CredentialsError(
                f"the token endpoint refused app {self._app_id}: "
                f"{result.get('error', 'no token')}: "
                f"{self._scrub(str(result.get('error_description', '')))}"
            )
        return result["access_token"], int(result.get("expires_in", 0))

    def _build_client(self) -> Any:
        """The process's one MSAL client for our identity."""
        import msal  # only once the bot first sends: a fifth of a second off every start

        if self._settings.app_type == "UserAssignedMSI":
            return msal.ManagedIdentityClient(
                msal.UserAssignedManagedIdentity(client_id=self._app_id),
                http_client=self._http,
            )
        return msal.ConfidentialClientApplication(
            self._app_id,
            client_credential=self._credential,
            authority=f"{self._settings.login_authority.rstrip('/')}/{self._settings.tenant_id}",
            http_client=self._http,
            # The authority is our own setting, so there is nothing to ask Microsoft about it:
            # msal skips the check for Microsoft's hosts anyway, and for any other host (a test
            # or private cloud) it would call login.microsoftonline.com.
            instance_discovery=False,
        )

    def _scrub(self, text: str) -> str:
        """The text with any secret of ours masked, should an endpoint ever echo it."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def make_credential_factory(
    settings: Settings, *, http_client: requests.Session | None = None
) -> ServiceClientCredentialsFactory:
    """The MSAL factory when an app id is set; otherwise botframework's auth-disabled factory."""
    if settings.app_id:
        return MsalCredentialFactory(settings, http_client=http_client)
    return PasswordServiceClientCredentialFactory()
