"""One fix to the Bot Framework SDK's client set-up, apart so the benchmark's floor can use it."""

from __future__ import annotations

from msrest.universal_http.requests import ClientRetryPolicy


def cheapen_msrest_retry_policy() -> None:
    """Make the SDK's per-turn client set-up cheap: same retry codes, found by a set lookup.

    CloudAdapter builds a ConnectorClient and a TokenApiClient for every activity, and each
    builds msrest's ClientRetryPolicy, whose constructor scans its 501-item `safe_codes` list
    once for each of 999 status codes: about 3 ms of CPU per client, two per turn, more than
    everything else the SDK does for a card action. `safe_codes` is read only there, for
    membership, so a frozenset of the same codes gives the same policy.
    """
    ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)  # type: ignore[assignment]
