"""The bot's outbound credentials against a real local token endpoint over HTTPS."""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import Coroutine
from typing import Any

import jwt
import pytest
import requests
from botframework.connector.auth import PasswordServiceClientCredentialFactory
from cryptography.hazmat.primitives import hashes, serialization

from bot.credentials import CredentialsError, MsalCredentialFactory, make_credential_factory
from bot.settings import Settings
from tests.support.entra import APP_ID, PUBLIC_LOGIN, SCOPE, SECRET, TENANT, FakeEntra
from tests.support.tls import base_url, self_signed, serve


def settings_for(entra: FakeEntra, **overrides: Any) -> Settings:
    """Settings for a SingleTenant bot at the local authority."""
    values: dict[str, Any] = {
        "app_id": APP_ID,
        "app_secret": SECRET,
        "app_cert_path": None,
        "app_type": "SingleTenant",
        "tenant_id": TENANT,
        "login_authority": entra.base,
        "oauth_scope": SCOPE,
    }
    return Settings(_env_file=None, **{**values, **overrides})  # type: ignore[call-arg]


def bearer(credentials: Any) -> str:
    """The Authorization header that the credentials put on a session."""
    session = requests.Session()
    try:
        return credentials.signed_session(session).headers["Authorization"]
    finally:
        session.close()


def without_waiting(call: Coroutine[Any, Any, Any]) -> Any:
    """The result of a coroutine that must finish without suspending (no thread, no lock wait)."""
    try:
        call.send(None)
    except StopIteration as finished:
        return finished.value
    call.close()
    raise AssertionError("the call waited on something instead of using the token it holds")


async def test_a_token_is_fetched_once_and_reused(entra, http_client):
    factory = MsalCredentialFactory(settings_for(entra), http_client=http_client)

    first = await factory.create_credentials(APP_ID, SCOPE, PUBLIC_LOGIN, True)
    second = await factory.create_credentials(APP_ID, SCOPE, PUBLIC_LOGIN, True)
    third = await factory.create_credentials(APP_ID, "https://api.botframework.com", "", True)
    # A fresh token is handed out at once, without a trip to a worker thread (nor to msal).
    fourth = without_waiting(factory.create_credentials(APP_ID, SCOPE, PUBLIC_LOGIN, True))

    assert len(entra.token_requests) == 1
    assert [bearer(c) for c in (first, second)] == ["Bearer token-1"] * 2
    assert third.get_access_token() == fourth.get_access_token() == "token-1"
    form = entra.token_requests[0]
    assert form["client_id"] == APP_ID
    assert form["grant_type"] == "client_credentials"
    assert form["scope"] == SCOPE
    assert form["client_secret"] == SECRET


async def test_a_token_near_expiry_is_fetched_again(entra, http_client):
    entra.expires_in = 120  # inside the five-minute refresh margin
    factory = MsalCredentialFactory(settings_for(entra), http_client=http_client)

    first = await factory.create_credentials(APP_ID, SCOPE, PUBLIC_LOGIN, True)
    second = await factory.create_credentials(APP_ID, SCOPE, PUBLIC_LOGIN, True)

    assert len(entra.token_requests) == 2
    assert bearer(second) == "Bearer token-2"
    # Credentials made earlier sign with the newest token too.
    assert bearer(first) == "Bearer token-2"


async def test_concurrent_callers_share_one_fetch(entra, http_client):
    entra.delay = 0.2  # keep the first fetch in flight while the others arrive
    factory = MsalCredentialFactory(settings_for(entra), http_client=http_client)

    made = await asyncio.gather(
        *(factory.create_credentials(APP_ID, SCOPE, PUBLIC_LOGIN, True) for _ in range(5))
    )

    assert len(entra.token_requests) == 1
    assert {c.get_access_token() for c in made} == {"token-1"}


async def test_the_event_loop_keeps_running_while_a_token_is_fetched(entra, http_client):
    entra.delay = 0.5
    factory = MsalCredentialFactory(settings_for(entra), http_client=http_client)
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            await asyncio.sleep(0.01)
            ticks += 1

    async def fetch() -> None:
        try:
            await factory.create_credentials(APP_ID, SCOPE, PUBLIC_LOGIN, True)
        finally:
            done.set()

    await asyncio.gather(ticker(), fetch())

    assert len(entra.token_requests) == 1
    # Half a second of 10 ms sleeps: a blocked loop would tick once or not at all.
    assert ticks >= 20


async def test_certificate_credentials_send_a_signed_assertion(entra, http_client, tmp_path):
    app_cert = self_signed(tmp_path / "app", name="htpm-bot")
    settings = settings_for(entra, app_secret=None, app_cert_path=app_cert.combined_path)
    factory = MsalCredentialFactory(settings, http_client=http_client)

    credentials = await factory.create_credentials(APP_ID, SCOPE, PUBLIC_LOGIN, True)

    assert bearer(credentials) == "Bearer token-1"
    (form,) = entra.token_requests
    assert "client_secret" not in form
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assertion = form["client_assertion"]
    header = jwt.get_unverified_header(assertion)
    sha1 = app_cert.cert.fingerprint(hashes.SHA1())  # noqa: S303 (the x5t header is SHA-1)
    assert header["x5t"] == base64.urlsafe_b64encode(sha1).decode()
    der = app_cert.cert.public_bytes(serialization.Encoding.DER)
    # msal keeps the PEM body's line breaks inside x5c; the certificate is what matters.
    assert ["".join(c.split()) for c in header["x5c"]] == [base64.b64encode(der).decode()]
    claims = jwt.decode(
        assertion,
        app_cert.cert.public_key(),
        algorithms=[header["alg"]],
        audience=f"{entra.base}/{TENANT}/oauth2/v2.0/token",
        issuer=APP_ID,
    )
    assert claims["sub"] == APP_ID
    # A different key must not verify it: the check above is not vacuous.
    other = self_signed(tmp_path / "other", name="other")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(assertion, other.cert.public_key(), algorithms=[header["alg"]], audience="x")


async def test_a_refused_secret_raises_without_revealing_it(entra, http_client):
    entra.refuse = True
    factory = MsalCredentialFactory(settings_for(entra), http_client=http_client)

    with pytest.raises(CredentialsError) as caught:
        await factory.create_credentials(APP_ID, SCOPE, PUBLIC_LOGIN, True)

    assert entra.token_requests[0]["client_secret"] == SECRET  # the endpoint did get it
    message = str(caught.value)
    assert "invalid_client" in message
    assert "AADSTS7000215" in message
    assert SECRET not in message
    assert SECRET not in repr(caught.value)


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_an_unreachable_token_endpoint_raises(entra, http_client):
    entra.token_endpoint = f"https://127.0.0.1:{_closed_port()}/{TENANT}/oauth2/v2.0/token"
    factory = MsalCredentialFactory(settings_for(entra), http_client=http_client)

    with pytest.raises(CredentialsError, match=r"could not get a token.*ConnectionError") as caught:
        await factory.create_credentials(APP_ID, SCOPE, PUBLIC_LOGIN, True)

    assert SECRET not in str(caught.value)


async def test_an_unreachable_authority_raises(http_client):
    authority = FakeEntra(base=f"https://127.0.0.1:{_closed_port()}")
    factory = MsalCredentialFactory(settings_for(authority), http_client=http_client)

    with pytest.raises(CredentialsError, match="ConnectionError"):
        await factory.create_credentials(APP_ID, SCOPE, PUBLIC_LOGIN, True)


async def test_an_untrusted_certificate_is_refused(entra):
    # Without the test's CA bundle the local endpoint's certificate must not be accepted.
    session = requests.Session()
    session.trust_env = False
    factory = MsalCredentialFactory(settings_for(entra), http_client=session)
    try:
        with pytest.raises(CredentialsError, match="SSLError"):
            await factory.create_credentials(APP_ID, SCOPE, PUBLIC_LOGIN, True)
    finally:
        session.close()


async def test_only_our_app_id_is_valid(entra, http_client):
    factory = MsalCredentialFactory(settings_for(entra), http_client=http_client)

    assert await factory.is_valid_app_id(APP_ID)
    assert not await factory.is_valid_app_id("someone-else")
    assert not await factory.is_authentication_disabled()
    with pytest.raises(CredentialsError):
        await factory.create_credentials("someone-else", SCOPE, PUBLIC_LOGIN, True)
    assert entra.token_requests == []


async def test_make_credential_factory_chooses_by_app_id(entra, http_client):
    dev = make_credential_factory(settings_for(entra, app_id="", app_secret=None))
    assert isinstance(dev, PasswordServiceClientCredentialFactory)
    assert await dev.is_authentication_disabled()

    live = make_credential_factory(settings_for(entra), http_client=http_client)
    assert isinstance(live, MsalCredentialFactory)
    assert bearer(await live.create_credentials(APP_ID, SCOPE, "", True)) == "Bearer token-1"


async def test_user_assigned_managed_identity_on_app_service(monkeypatch, tls):
    # App Service's identity endpoint is plain HTTP on the local host, as served here.
    state = FakeEntra()
    with serve(state.handler()) as server:
        monkeypatch.setenv("IDENTITY_ENDPOINT", f"{base_url(server)}/msi/token")
        monkeypatch.setenv("IDENTITY_HEADER", "header-secret")
        for name in ("IDENTITY_SERVER_THUMBPRINT", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT"):
            monkeypatch.delenv(name, raising=False)
        settings = settings_for(state, app_type="UserAssignedMSI", app_secret=None)
        factory = make_credential_factory(settings)
        assert isinstance(factory, MsalCredentialFactory)
        try:
            first = await factory.create_credentials(APP_ID, SCOPE, PUBLIC_LOGIN, True)
            second = await factory.create_credentials(APP_ID, SCOPE, PUBLIC_LOGIN, True)
        finally:
            factory.close()

    assert [bearer(c) for c in (first, second)] == ["Bearer msi-token-1"] * 2
    ((query, headers),) = state.msi_requests
    assert query["client_id"] == APP_ID
    assert query["resource"] == "https://api.botframework.com"
    assert headers["X-IDENTITY-HEADER"] == "header-secret"


async def test_the_certificate_for_the_key_is_found_in_a_chain_file(entra, http_client, tmp_path):
    app_cert = self_signed(tmp_path / "app", name="htpm-bot")
    issuer = self_signed(tmp_path / "issuer", name="issuer")
    chain = tmp_path / "chain.pem"
    # The issuer's certificate comes first, as in a file exported with its chain.
    chain.write_bytes(issuer.cert_path.read_bytes() + app_cert.combined_path.read_bytes())
    settings = settings_for(entra, app_secret=None, app_cert_path=chain)
    factory = MsalCredentialFactory(settings, http_client=http_client)

    await factory.create_credentials(APP_ID, SCOPE, PUBLIC_LOGIN, True)

    (form,) = entra.token_requests
    header = jwt.get_unverified_header(form["client_assertion"])
    sha1 = app_cert.cert.fingerprint(hashes.SHA1())  # noqa: S303 (the x5t header is SHA-1)
    assert header["x5t"] == base64.urlsafe_b64encode(sha1).decode()


def test_a_certificate_file_without_the_key_is_refused(entra, tmp_path):
    app_cert = self_signed(tmp_path / "app", name="htpm-bot")
    with pytest.raises(CredentialsError, match="cannot read"):
        MsalCredentialFactory(
            settings_for(entra, app_secret=None, app_cert_path=app_cert.cert_path)
        )
    other = self_signed(tmp_path / "other", name="other")
    mismatched = tmp_path / "mismatched.pem"
    mismatched.write_bytes(app_cert.key_path.read_bytes() + other.cert_path.read_bytes())
    with pytest.raises(CredentialsError, match="no certificate for its private key"):
        MsalCredentialFactory(settings_for(entra, app_secret=None, app_cert_path=mismatched))
