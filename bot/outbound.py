"""Every outbound HTTP call the bot makes: where it may go, checked on every hop and at connect.

The URLs come from activities (a file's downloadUrl, a FileConsent uploadUrl), so whoever can send
an activity chooses them. A call may reach only public addresses over HTTPS (in --dev also plain
HTTP and this machine's loopback). The URL is checked before each request, redirects included;
a hostname's addresses are checked by the resolver the connection itself uses, so the address
checked is the address connected to (no DNS-rebinding gap). A name is refused if ANY address it
resolves to is refused: a mix of public and internal answers is what rebinding looks like.

Refusals are logged by category only: the URLs are pre-authenticated and must stay out of logs.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

log = logging.getLogger("htpm.outbound")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Headers that belong to one origin and must not follow a redirect to another.
_ORIGIN_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class Refused(Exception):
    """An outbound call the policy does not allow; `category` says why, without the URL."""

    def __init__(self, category: str) -> None:
        super().__init__(category)
        self.category = category


@dataclass(frozen=True)
class OutboundPolicy:
    """Where outbound calls may go. Production: HTTPS to public addresses only.

    `dev` (htpm serve --dev) also allows plain HTTP and loopback addresses. `trusted_origins`
    ('scheme://host:port') may be reached although local: tests build it in process for their
    fake servers; nothing reads it from the environment or the command line.
    """

    dev: bool = False
    trusted_origins: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for origin in self.trusted_origins:
            try:
                url = URL(origin)
            except ValueError:
                url = URL()
            if (
                url.scheme not in ("http", "https")
                or not url.host
                or url.raw_path not in ("", "/")
                or "@" in (url.raw_authority or "")
                or url.raw_query_string
                or url.raw_fragment
            ):
                raise ValueError("a trusted origin is scheme://host:port and nothing else")

    def refusal(self, url: str | URL) -> str | None:
        """Why `url` may not be fetched (a category safe to log), or None when it may."""
        try:
            parsed = url if isinstance(url, URL) else URL(url)
        except ValueError:
            return "malformed"
        if not parsed.absolute or not parsed.host:
            return "no host"
        if parsed.scheme not in ("https", "http"):
            return "scheme"
        if "@" in (parsed.raw_authority or ""):
            return "userinfo"
        if _origin(parsed) in self._trusted:
            return None
        if parsed.scheme != "https" and not self.dev:
            return "scheme"
        literal = _literal(parsed.host)
        if literal is None:
            # aiohttp refuses most legacy numeric forms; these never name a real service.
            return "numeric host" if _numeric(parsed.host) else None
        # aiohttp connects to an IP literal without resolving it: the URL is the only check.
        return self.address_refusal(literal)

    def address_refusal(self, address: IPAddress) -> str | None:
        """Why connecting to this address is refused (a category), or None when it is allowed."""
        if isinstance(address, ipaddress.IPv6Address):
            if address.teredo is not None:
                return "embedded"
            embedded = _embedded_ipv4(address)
            if embedded is not None:
                # Unwrapped and judged as itself, except that loopback is never allowed so.
                category = _public_refusal(embedded, loopback_ok=False)
                return None if category is None else f"embedded {category}"
            if address in _NAT64_LOCAL:
                return "private"
        return _public_refusal(address, loopback_ok=self.dev)

    def trusts_endpoint(self, host: str, port: int) -> bool:
        """True when some trusted origin is this host and port (the resolver sees no scheme)."""
        return any(key[1:] == (host.lower(), port) for key in self._trusted)

    @functools.cached_property
    def _trusted(self) -> frozenset[tuple[str, str, int | None]]:
        # Parsed once: the resolver asks on every connection.
        return frozenset(_origin(URL(origin)) for origin in self.trusted_origins)


def _origin(url: URL) -> tuple[str, str, int | None]:
    return (url.scheme, (url.host or "").lower(), url.port)


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _numeric(host: str) -> bool:
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return True


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries: mapped, translated, compatible, NAT64, 6to4."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _IPV4_TRANSLATED or address in _NAT64:
        return low32
    if address in _IPV4_COMPATIBLE and int(address) > 1:  # not :: or ::1
        return low32
    return None


def _public_refusal(address: IPAddress, *, loopback_ok: bool) -> str | None:
    # Checked one by one rather than by `is_global` alone: Python 3.11 calls multicast,
    # site-local and embedding IPv6 forms global.
    if address.is_unspecified or address in _THIS_NETWORK:
        return "unspecified"
    if address.is_loopback:
        return None if loopback_ok else "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_reserved:
        return "reserved"
    site_local = isinstance(address, ipaddress.IPv6Address) and address.is_site_local
    if address.is_private or site_local or address in _CGNAT:
        return "private"
    if not address.is_global:
        return "not global"
    return None


def _refused(category: str) -> Refused:
    """The exception for a refusal, logged once by its category (never the URL)."""
    log.warning("refused an outbound address: %s", category, extra={"outcome": "refused"})
    return Refused(category)


class _CheckingResolver(AbstractResolver):
    """Resolves as aiohttp would, then refuses the name if any address it gave is refused."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self._policy = policy
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if self._policy.trusts_endpoint(host, port):
            return found
        if not found:
            raise _refused("unresolved")
        for entry in found:
            address = _literal(entry["host"])
            category = "malformed" if address is None else self._policy.address_refusal(address)
            if category is not None:
                raise _refused(category)
        return found

    async def close(self) -> None:
        await self._inner.close()


def _checked(policy: OutboundPolicy, url: str | URL, base: URL | None = None) -> URL:
    """The URL to request, resolved against `base` (parsed once: what is checked is sent)."""
    try:
        parsed = url if isinstance(url, URL) else URL(url)
        if base is not None:
            parsed = base.join(parsed)
    except ValueError:
        raise _refused("malformed") from None
    category = policy.refusal(parsed)
    if category is not None:
        raise _refused(category)
    return parsed


@asynccontextmanager
async def request(
    policy: OutboundPolicy,
    method: str,
    url: str,
    *,
    seconds: float,
    data: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    redirects: int = 0,
) -> AsyncIterator[aiohttp.ClientResponse]:
    """The final response to `method url`, following up to `redirects` redirects, each checked.

    Raises Refused (logged by category) for an address the policy does not allow, and for a
    response that would redirect once more than allowed. No cookies, no proxies from the
    environment. With `redirects=0` a 3xx answer is returned as it is.
    """
    target = _checked(policy, url)
    sent = dict(headers or {})
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(resolver=_CheckingResolver(policy)),
        timeout=aiohttp.ClientTimeout(total=seconds),
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
    ) as http:
        for hop in range(redirects + 1):
            response = await http.request(
                method, target, data=data, headers=sent, allow_redirects=False
            )
            location = response.headers.get("Location")
            if redirects == 0 or response.status not in _REDIRECT_STATUSES or not location:
                break
            response.release()
            if hop == redirects:
                raise _refused("too many redirects")
            following = _checked(policy, location, base=target)
            if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                method, data = "GET", None
            if following.origin() != target.origin():
                sent = {k: v for k, v in sent.items() if k.lower() not in _ORIGIN_HEADERS}
            target = following
        try:
            yield response
        finally:
            response.release()
