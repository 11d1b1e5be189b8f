"""The SDK fix keeps msrest's retry policy exactly as it was, only cheaper to build."""

from __future__ import annotations

from msrest.universal_http.requests import ClientRetryPolicy

from bot.msrest_fix import cheapen_msrest_retry_policy


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
