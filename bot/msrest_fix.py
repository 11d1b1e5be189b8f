"""Fixes to the Bot Framework SDK's client set-up, apart so the benchmark's floor can use them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from botframework.connector import _configuration
from msrest.universal_http.requests import ClientRetryPolicy
from urllib3 import Retry

#: Seconds to open a connection to the Bot Connector, and to wait for each read of its answer.
CONNECT_TIMEOUT_SECONDS = 2.0
READ_TIMEOUT_SECONDS = 3.0
#: The read budget of proactive messages: nobody waits on them, and an answer that arrives
#: after the budget counts as a timeout and the message is sent again later (a duplicate).
PROACTIVE_READ_TIMEOUT_SECONDS = 15.0
_read_timeout: ContextVar[float] = ContextVar(
    "connector_read_timeout", default=READ_TIMEOUT_SECONDS
)
_BOUNDED = "_htpm_bounded"


def cheapen_msrest_retry_policy() -> None:
    """Make the SDK's per-turn client set-up cheap: same retry codes, found by a set lookup.

    CloudAdapter builds a ConnectorClient and a TokenApiClient for every activity, and each
    builds msrest's ClientRetryPolicy, whose constructor scans its 501-item `safe_codes` list
    once for each of 999 status codes: about 3 ms of CPU per client, two per turn, more than
    everything else the SDK does for a card action. `safe_codes` is read only there, for
    membership, so a frozenset of the same codes gives the same policy.
    """
    ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)  # type: ignore[assignment]


def connector_retry() -> Retry:
    """One more try for a connection that could not be opened, and for nothing else.

    Nothing was sent then. A timed-out read or a 5xx may have been delivered all the same, so
    trying again inline could post the message twice; the outbox sender retries proactive
    messages on its own schedule and needs the connector's status (and Retry-After) to do it,
    so an answer is handed back as it came (no status retries, no raising on status).
    """
    return Retry(
        total=1,
        connect=1,
        read=False,  # re-raised as the read timeout it is, never retried
        status=0,
        other=0,
        status_forcelist=None,
        raise_on_status=False,
        respect_retry_after_header=False,
        backoff_factor=0,
    )


def _bound(config: Any) -> None:
    retry = connector_retry()
    retry.BACKOFF_MAX = retry.backoff_max  # type: ignore[attr-defined]  # msrest reads urllib3 1's name
    config.retry_policy.policy = retry
    config.connection.timeout = (CONNECT_TIMEOUT_SECONDS, _read_timeout.get())


@contextmanager
def read_budget(seconds: float) -> Iterator[None]:
    """Connector clients made inside this block wait `seconds` for each read."""
    token = _read_timeout.set(seconds)
    try:
        yield
    finally:
        _read_timeout.reset(token)


def bound_connector_calls() -> None:
    """Give every Bot Connector client a short budget: a few seconds, not msrest's defaults.

    msrest waits 100 s for an answer and retries a failed connection three times with back-off
    (4.8 s), then the turn's error handler tries again to say sorry: a connector that is down
    held each request 9.6 s and it still failed. Now a call fails within the timeouts above
    (one retry of a connection that could not be opened). CloudAdapter builds a new client for
    every turn and every proactive message, each from ConnectorClientConfiguration, so setting
    the budget there reaches them all; the SDK's own `connector_client_configuration` cannot be
    used, as it replaces each client's service URL and credentials with its own.
    """
    cls = _configuration.ConnectorClientConfiguration
    if getattr(cls.__init__, _BOUNDED, False):
        return
    original = cls.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        _bound(self)

    setattr(__init__, _BOUNDED, True)
    cls.__init__ = __init__  # type: ignore[method-assign]
