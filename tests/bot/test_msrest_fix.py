"""The SDK fixes: msrest's retry policy cheaper to build; connector calls with a short budget."""

from __future__ import annotations

from botframework.connector._configuration import ConnectorClientConfiguration
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from msrest.universal_http.requests import ClientRetryPolicy

from bot.msrest_fix import (
    CONNECT_TIMEOUT_SECONDS,
    READ_TIMEOUT_SECONDS,
    bound_connector_calls,
    cheapen_msrest_retry_policy,
)


def test_the_retry_policy_retries_the_same_statuses_after_the_fix():
    safe = [i for i in range(500) if i != 408] + [501, 505]  # msrest 0.7's own list
    retried = [i for i in range(999) if i not in safe]
    cheapen_msrest_retry_policy()
    cheapen_msrest_retry_policy()  # twice (two apps in one process) changes nothing more
    assert isinstance(ClientRetryPolicy.safe_codes, frozenset)
    policy = ClientRetryPolicy().policy
    assert policy.status_forcelist == retried
    assert 408 in policy.status_forcelist and 500 in policy.status_forcelist
    assert 404 not in policy.status_forcelist and 501 not in policy.status_forcelist


def test_connector_clients_get_a_short_budget_and_the_fix_applies_once():
    bound_connector_calls()
    patched = ConnectorClientConfiguration.__init__
    bound_connector_calls()  # twice changes nothing more
    assert ConnectorClientConfiguration.__init__ is patched

    client = ConnectorClient(MicrosoftAppCredentials("", ""), base_url="https://smba.example")
    retry = client.config.retry_policy()
    assert (retry.total, retry.connect, retry.read, retry.status) == (1, 1, False, 0)
    assert retry.raise_on_status is False  # a refusal comes back with its status, to classify
    assert retry.respect_retry_after_header is False  # never a sleep of Retry-After inline
    assert client.config.retry_policy.max_backoff == retry.backoff_max  # msrest logs it
    assert client.config.connection.timeout == (CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS)
    assert client.config.base_url == "https://smba.example"
