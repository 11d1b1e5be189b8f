"""Outbound calls reach public HTTPS addresses only: downloadUrls, their redirects, uploadUrls.

Over HTTP as Teams sends them: a trusted fake OneDrive (`Hops`) answers a file's downloadUrl with
redirects to internal addresses; a second server (`Target`, on 127.0.0.1 and [::1]) records every
request that reaches it; and every TCP connection the event loop attempts is recorded, with any
beyond loopback refused on the spot, so nothing leaves this machine even if a check were missing.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select
from yarl import URL

from bot import outbound
from bot.demo import seed_demo
from bot.outbound import OutboundPolicy
from bot.wiring import Product
from cards.evidence import FILE_INFO_TYPE
from storage.tables import EvidenceBlobRow, PendingUploadRow
from tests.support import tls
from tests.support.botframework import file_consent, file_message, invoke, serve
from tests.support.cards import press, text_of
from tests.support.connector import FakeFile
from tests.support.world import NOW, World, running_bot

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
HOSTNAME = socket.gethostname()  # resolves to 127.0.0.1 on these machines
COULD_NOT_FETCH = "I couldn't fetch this file"


# --- the servers ------------------------------------------------------------------------------


class Target:
    """Where a hostile redirect points: on 127.0.0.1 and [::1], one port; records each request."""

    def __init__(self) -> None:
        self.port = 0
        self.requests: list[str] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._any)
        return app

    async def _any(self, request: web.Request) -> web.Response:
        self.requests.append(f"{request.method} {request.path}")
        await request.read()
        return web.Response(body=PDF, status=201 if request.method == "PUT" else 200)


@asynccontextmanager
async def serving(target: Target) -> AsyncIterator[Target]:
    runner = web.AppRunner(target.app())
    await runner.setup()
    try:
        for _attempt in range(5):  # the free IPv4 port may be taken on ::1; then try another
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            target.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            try:
                await web.TCPSite(runner, "::1", target.port).start()
                break
            except OSError:
                await site.stop()
        else:
            pytest.fail("no port free on both 127.0.0.1 and ::1")
        yield target
    finally:
        await runner.cleanup()


class Hops:
    """A trusted fake OneDrive whose downloadUrls redirect.

    /to/{key} answers 302 to `locations[key]`; /hops/{n} redirects (relatively) to /hops/{n-1}
    and /hops/0 serves the file.
    """

    def __init__(self) -> None:
        self.url = ""
        self.locations: dict[str, str] = {}
        self.requests: list[str] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/to/{key}", self._to)
        app.router.add_get("/hops/{n}", self._hops)
        return app

    async def _to(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        return web.Response(
            status=302, headers={"Location": self.locations[request.match_info["key"]]}
        )

    async def _hops(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        left = int(request.match_info["n"])
        if left == 0:
            return web.Response(body=PDF, content_type="application/pdf")
        return web.Response(status=302, headers={"Location": f"{left - 1}"})


@dataclass
class Scene:
    world: World
    hops: Hops
    target: Target

    def location(self, form: str) -> str:
        return form.format(port=self.target.port, hostname=HOSTNAME)


async def _seed(product: Product) -> None:
    await seed_demo(product, NOW)


@asynccontextmanager
async def scene_with(
    tmp_path, openid, policy: Callable[[str, str], OutboundPolicy]
) -> AsyncIterator[Scene]:
    """The demo trust's bot; `policy(connector_url, hops_url)` is its outbound policy."""
    hops = Hops()
    async with serving(Target()) as target, serve(hops.app()) as hops_url:
        hops.url = hops_url
        async with running_bot(
            tmp_path, openid, _seed, [NOW], outbound=lambda url: policy(url, hops_url)
        ) as world:
            yield Scene(world, hops, target)


@pytest.fixture
async def scene(tmp_path, openid) -> AsyncIterator[Scene]:
    """Production policy; the fake connector (files, uploads) and Hops are trusted origins."""

    def policy(connector_url: str, hops_url: str) -> OutboundPolicy:
        return OutboundPolicy(trusted_origins=frozenset({connector_url, hops_url}))

    async with scene_with(tmp_path, openid, policy) as running:
        yield running


@pytest.fixture
async def dev_scene(tmp_path, openid) -> AsyncIterator[Scene]:
    """The --dev policy and no trusted origins (every server here is on loopback)."""
    async with scene_with(tmp_path, openid, lambda _c, _h: OutboundPolicy(dev=True)) as running:
        yield running


@pytest.fixture
async def connects(monkeypatch) -> list[tuple[str, int]]:
    """Every TCP connection the event loop attempts; any beyond loopback is refused unmade."""
    loop = asyncio.get_running_loop()
    attempts: list[tuple[str, int]] = []
    original = loop.sock_connect

    async def recording(sock: socket.socket, address: tuple) -> None:
        attempts.append((address[0], address[1]))
        if not ipaddress.ip_address(address[0].split("%")[0]).is_loopback:
            raise ConnectionRefusedError(errno.ECONNREFUSED, "the test allows loopback only")
        await original(sock, address)

    monkeypatch.setattr(loop, "sock_connect", recording)
    return attempts


# --- helpers ----------------------------------------------------------------------------------


async def drop(world: World, url: str, name: str = "plan.pdf") -> dict:
    """Tom (a headteacher, his appraisal open for evidence) drops a file with this downloadUrl."""
    before = len(world.connector.cards())
    status, _ = await world.send(file_message(world.members["tom"], world.service_url, name, url))
    assert status == 200
    answers = world.connector.cards()[before:]
    assert len(answers) == 1, [text_of(c)[:80] for c in answers]
    return answers[0]


async def stored(world: World) -> tuple[int, int]:
    """(evidence blobs, pending uploads) in the store."""
    async with world.product.db.uow() as tx:
        blobs = await tx.session.scalar(select(func.count()).select_from(EvidenceBlobRow))
        pending = await tx.session.scalar(select(func.count()).select_from(PendingUploadRow))
        return blobs, pending


def elsewhere(scene: Scene, connects: list[tuple[str, int]]) -> set[tuple[str, int]]:
    """Connections attempted to anything but the bot, the fake connector and Hops."""
    known = {URL(u).port for u in (scene.world.bot_url, scene.world.service_url, scene.hops.url)}
    return {(host, port) for host, port in connects if port not in known}


async def assert_not_fetched(scene: Scene, connects: list[tuple[str, int]], card: dict) -> None:
    assert COULD_NOT_FETCH in text_of(card)
    assert "Nothing was stored." in text_of(card)
    assert await stored(scene.world) == (0, 0)
    assert scene.target.requests == []
    assert elsewhere(scene, connects) == set()


async def tom_has_evidence(world: World) -> dict:
    """Tom adds a PDF (from the trusted connector) to St Anne's; the consent context for E1."""
    world.connector.files["plan.pdf"] = FakeFile(PDF)
    card = await drop(world, world.connector.file_url("plan.pdf"))
    verb, data = press(card, "add_evidence", title="SDP", kind="school_development_plan")
    status, body = await world.send(invoke(world.members["tom"], verb, data, world.service_url))
    assert status == 200 and "Added E1" in text_of(body["value"])
    return {"appraisal_id": data["appraisal_id"], "evidence_ref": "E1"}


# --- redirects, over HTTP ---------------------------------------------------------------------

INTERNAL = [
    "http://0.0.0.0:{port}/plan.pdf",
    "http://[::ffff:127.0.0.1]:{port}/plan.pdf",
    "http://{hostname}:{port}/plan.pdf",
    "http://localhost:{port}/plan.pdf",
    "http://[::1]:{port}/plan.pdf",
    "http://169.254.169.254/latest",
    "http://10.0.0.1/",
    # Over HTTPS the scheme is right, so only the address checks stand in the way.
    "https://0.0.0.0:{port}/plan.pdf",
    "https://[::ffff:127.0.0.1]:{port}/plan.pdf",
    "https://[64:ff9b::7f00:1]:{port}/plan.pdf",
    "https://{hostname}:{port}/plan.pdf",
    "https://localhost:{port}/plan.pdf",
    "https://[::1]:{port}/plan.pdf",
    "https://169.254.169.254/latest",
    "https://10.0.0.1/",
]


@pytest.mark.parametrize("form", INTERNAL)
async def test_a_download_redirected_to_an_internal_address_is_refused(
    scene: Scene, connects, form
):
    scene.hops.locations["x"] = scene.location(form)
    card = await drop(scene.world, f"{scene.hops.url}/to/x")
    await assert_not_fetched(scene, connects, card)
    assert scene.hops.requests == ["/to/x"]


@pytest.mark.parametrize(
    "form",
    [
        "http://0.0.0.0:{port}/plan.pdf",
        "http://[::ffff:127.0.0.1]:{port}/plan.pdf",
        "http://169.254.169.254/latest",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://[fd00::1]/",
    ],
)
async def test_in_dev_a_redirect_beyond_loopback_is_refused_too(dev_scene: Scene, connects, form):
    dev_scene.hops.locations["x"] = dev_scene.location(form)
    card = await drop(dev_scene.world, f"{dev_scene.hops.url}/to/x")
    await assert_not_fetched(dev_scene, connects, card)


async def test_two_allowed_redirects_are_followed(scene: Scene):
    world = scene.world
    world.connector.files["plan.pdf"] = FakeFile(PDF)
    # A relative Location on the same origin, then an absolute one to another trusted origin.
    scene.hops.locations.update(a="/to/b", b=world.connector.file_url("plan.pdf"))
    card = await drop(world, f"{scene.hops.url}/to/a")
    assert "Add this file to your evidence" in text_of(card)
    assert scene.hops.requests == ["/to/a", "/to/b"]
    assert world.connector.downloads == ["plan.pdf"]
    assert await stored(world) == (1, 1)


async def test_five_redirects_are_followed_and_a_sixth_is_refused(scene: Scene, connects):
    card = await drop(scene.world, f"{scene.hops.url}/hops/5")
    assert "Add this file to your evidence" in text_of(card)
    assert scene.hops.requests == [f"/hops/{n}" for n in (5, 4, 3, 2, 1, 0)]

    scene.hops.requests.clear()
    card = await drop(scene.world, f"{scene.hops.url}/hops/6")
    assert COULD_NOT_FETCH in text_of(card)
    assert scene.hops.requests == [f"/hops/{n}" for n in (6, 5, 4, 3, 2, 1)]  # never /hops/0
    assert await stored(scene.world) == (1, 1)  # only the first file


async def test_a_refusal_is_logged_by_its_reason_never_the_url(scene: Scene, caplog):
    caplog.set_level(logging.INFO)
    scene.hops.locations["x"] = f"https://{HOSTNAME}:{scene.target.port}/f.pdf?tempauth=SECRET1"
    await drop(scene.world, f"{scene.hops.url}/to/x")
    await drop(scene.world, f"http://127.0.0.1:{scene.target.port}/f.pdf?tempauth=SECRET2")
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("htpm")]
    refusals = [line for line in lines if line.startswith("refused an outbound address")]
    assert refusals == [
        "refused an outbound address: loopback",
        "refused an outbound address: scheme",
    ]
    joined = "\n".join(lines)
    assert "SECRET" not in joined and "/f.pdf" not in joined and HOSTNAME not in joined


# --- the production policy, untrusted loopback ------------------------------------------------


async def test_a_plain_http_loopback_download_is_refused_in_production(scene: Scene, connects):
    card = await drop(scene.world, f"http://127.0.0.1:{scene.target.port}/plan.pdf")
    await assert_not_fetched(scene, connects, card)


@pytest.mark.parametrize("userinfo", ["user:secret@", "user@", ":secret@"])
async def test_a_download_url_with_userinfo_is_refused_even_from_a_trusted_origin(
    scene: Scene, userinfo
):
    world = scene.world
    world.connector.files["plan.pdf"] = FakeFile(PDF)
    url = world.connector.file_url("plan.pdf").replace("http://", f"http://{userinfo}")
    card = await drop(world, url)
    assert COULD_NOT_FETCH in text_of(card)
    assert world.connector.downloads == []
    assert await stored(world) == (0, 0)


@pytest.mark.parametrize("host", ["localhost", HOSTNAME, "127.0.0.1"])
async def test_https_to_this_machine_is_refused_before_connecting(
    scene: Scene, connects, tmp_path, host
):
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(PDF)))
            self.end_headers()
            self.wfile.write(PDF)

        def log_message(self, *args: object) -> None:
            pass

    with tls.serve(Handler, tls.self_signed(tmp_path / "tls")) as server:
        port = server.server_address[1]
        card = await drop(scene.world, f"https://{host}:{port}/plan.pdf")
    await assert_not_fetched(scene, connects, card)
    assert requests == []
    assert port not in {p for _h, p in connects}


def upload_info(url: str) -> dict:
    return {
        "contentUrl": "https://contoso.sharepoint.com/personal/tom/Documents/SDP.pdf",
        "name": "SDP.pdf",
        "uploadUrl": url,
        "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C8C",
        "fileType": "pdf",
    }


async def test_an_upload_url_on_loopback_is_refused_in_production(scene: Scene, connects):
    world = scene.world
    context = await tom_has_evidence(world)
    url = f"http://127.0.0.1:{scene.target.port}/uploads/session-1"
    status, _ = await world.send(
        file_consent(world.members["tom"], world.service_url, "accept", context, upload_info(url))
    )
    assert status == 200
    assert "The copy was not saved" in text_of(world.connector.cards()[-1])
    assert scene.target.requests == []
    assert elsewhere(scene, connects) == set()
    assert world.connector.attachments_of(FILE_INFO_TYPE) == []


async def test_an_upload_url_with_userinfo_is_refused_even_to_a_trusted_origin(scene: Scene):
    world = scene.world
    context = await tom_has_evidence(world)
    url = world.connector.upload_url("session-1").replace("http://", "http://user:secret@")
    status, _ = await world.send(
        file_consent(world.members["tom"], world.service_url, "accept", context, upload_info(url))
    )
    assert status == 200
    assert "The copy was not saved" in text_of(world.connector.cards()[-1])
    assert world.connector.uploads == []


# --- the --dev policy ---------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", HOSTNAME])
async def test_in_dev_a_plain_http_loopback_download_is_accepted(dev_scene: Scene, host):
    card = await drop(dev_scene.world, f"http://{host}:{dev_scene.target.port}/plan.pdf")
    assert "Add this file to your evidence" in text_of(card)
    assert dev_scene.target.requests == ["GET /plan.pdf"]
    assert await stored(dev_scene.world) == (1, 1)


async def test_in_dev_a_redirect_to_loopback_by_name_is_followed(dev_scene: Scene):
    dev_scene.hops.locations["x"] = f"http://{HOSTNAME}:{dev_scene.target.port}/plan.pdf"
    card = await drop(dev_scene.world, f"{dev_scene.hops.url}/to/x")
    assert "Add this file to your evidence" in text_of(card)
    assert dev_scene.target.requests == ["GET /plan.pdf"]


# --- the check itself -------------------------------------------------------------------------

PRODUCTION = OutboundPolicy()
DEV = OutboundPolicy(dev=True)

#: (URL, why production refuses it, why --dev refuses it); None means allowed.
URLS = [
    ("https://contoso.sharepoint.com/personal/x/file.pdf?tempauth=1", None, None),
    ("https://8.8.8.8/", None, None),
    ("https://[2606:4700::1111]/", None, None),
    ("https://[::ffff:8.8.8.8]/", None, None),  # a mapped public address is that address
    ("https://[64:ff9b::808:808]/", None, None),  # NAT64 of a public address (DNS64 networks)
    ("https://[2002:808:808::1]/", None, None),  # 6to4 of a public address
    ("https://localhost/", None, None),  # a name: its addresses are checked when resolved
    ("http://contoso.sharepoint.com/x", "scheme", None),
    ("ftp://contoso.sharepoint.com/x", "scheme", "scheme"),
    ("file:///etc/passwd", "no host", "no host"),
    ("/files/x.pdf", "no host", "no host"),
    ("https:///x", "no host", "no host"),
    ("https://a\\@b/", "malformed", "malformed"),
    ("https://user:pw@contoso.sharepoint.com/", "userinfo", "userinfo"),
    ("https://user@contoso.sharepoint.com/", "userinfo", "userinfo"),
    ("https://:pw@contoso.sharepoint.com/", "userinfo", "userinfo"),
    ("http://127.0.0.1:8080/", "scheme", None),
    ("https://127.0.0.1/", "loopback", None),
    ("https://127.9.9.9/", "loopback", None),
    ("https://[::1]/", "loopback", None),
    ("https://0.0.0.0/", "unspecified", "unspecified"),
    ("https://0.1.2.3/", "unspecified", "unspecified"),
    ("https://[::]/", "unspecified", "unspecified"),
    ("https://[::ffff:127.0.0.1]/", "embedded loopback", "embedded loopback"),
    ("https://[::ffff:0:7f00:1]/", "embedded loopback", "embedded loopback"),
    ("https://[::127.0.0.1]/", "embedded loopback", "embedded loopback"),
    ("https://[64:ff9b::7f00:1]/", "embedded loopback", "embedded loopback"),
    ("https://[2002:7f00:1::1]/", "embedded loopback", "embedded loopback"),
    ("https://[::ffff:169.254.169.254]/", "embedded link-local", "embedded link-local"),
    ("https://[::ffff:10.0.0.1]/", "embedded private", "embedded private"),
    ("https://[64:ff9b::a00:1]/", "embedded private", "embedded private"),
    ("https://[2002:c0a8:101::1]/", "embedded private", "embedded private"),
    ("https://[::ffff:0.0.0.0]/", "embedded unspecified", "embedded unspecified"),
    ("https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "embedded", "embedded"),  # Teredo
    ("https://[64:ff9b:1::808:808]/", "private", "private"),  # local-use NAT64
    ("https://169.254.169.254/latest/meta-data/", "link-local", "link-local"),
    ("https://[fe80::1]/", "link-local", "link-local"),
    ("https://[fe80::1%25eth0]/", "link-local", "link-local"),
    ("https://10.0.0.1/", "private", "private"),
    ("https://172.16.0.1/", "private", "private"),
    ("https://172.31.255.254/", "private", "private"),
    ("https://192.168.1.1/", "private", "private"),
    ("https://100.64.0.1/", "private", "private"),
    ("https://100.127.255.254/", "private", "private"),
    ("https://[fc00::1]/", "private", "private"),
    ("https://[fd12:3456::1]/", "private", "private"),
    ("https://[fec0::1]/", "private", "private"),  # site-local (deprecated)
    ("https://192.0.2.1/", "private", "private"),  # documentation
    ("https://224.0.0.1/", "multicast", "multicast"),
    ("https://[ff02::1]/", "multicast", "multicast"),
    ("https://240.0.0.1/", "reserved", "reserved"),
    ("https://255.255.255.255/", "reserved", "reserved"),
    ("https://127.1/", "numeric host", "numeric host"),
    ("https://2130706433/", "numeric host", "numeric host"),
    ("https://0x7f.1/", "numeric host", "numeric host"),
]


@pytest.mark.parametrize(("url", "production", "dev"), URLS)
def test_which_urls_each_policy_refuses(url, production, dev):
    assert PRODUCTION.refusal(url) == production
    assert DEV.refusal(url) == dev


def test_a_trusted_origin_is_that_origin_exactly():
    policy = OutboundPolicy(trusted_origins=frozenset({"http://127.0.0.1:40123"}))
    assert policy.refusal("http://127.0.0.1:40123/files/plan.pdf") is None
    assert policy.refusal("http://127.0.0.1:40124/files/plan.pdf") == "scheme"
    assert policy.refusal("https://127.0.0.1:40123/files/plan.pdf") == "loopback"
    assert policy.refusal("http://localhost:40123/files/plan.pdf") == "scheme"
    assert policy.refusal("http://user@127.0.0.1:40123/files/plan.pdf") == "userinfo"


@pytest.mark.parametrize(
    "origin",
    ["http://127.0.0.1:1/files", "127.0.0.1:1", "http://:1", "http://u@127.0.0.1:1", "ftp://h:1"],
)
def test_a_trusted_origin_is_only_an_origin(origin):
    with pytest.raises(ValueError, match="trusted origin"):
        OutboundPolicy(trusted_origins=frozenset({origin}))


@pytest.mark.parametrize("name", ["localhost", HOSTNAME])
async def test_a_name_is_judged_by_the_addresses_it_resolves_to(connects, name):
    with pytest.raises(outbound.Refused) as refused:
        async with outbound.request(PRODUCTION, "GET", f"https://{name}:9/", seconds=5):
            pass
    assert refused.value.category == "loopback"
    assert connects == []


def _answers(*addresses: str) -> Callable:
    """A stand-in for the loop's getaddrinfo that answers every name with these addresses."""

    async def getaddrinfo(host, port, *args, **kwargs):
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    return getaddrinfo


async def test_a_name_with_any_internal_answer_is_refused(connects, monkeypatch):
    # A rebinding name answers with a public address and an internal one: neither is tried.
    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", _answers("8.8.8.8", "10.1.2.3"))
    with pytest.raises(outbound.Refused) as refused:
        async with outbound.request(PRODUCTION, "GET", "https://files.example/", seconds=5):
            pass
    assert refused.value.category == "private"
    assert connects == []


async def test_the_address_connected_to_is_the_address_checked(connects, monkeypatch):
    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", _answers("93.184.216.34"))
    with pytest.raises(aiohttp.ClientConnectionError):  # the test refuses to leave loopback
        async with outbound.request(PRODUCTION, "GET", "https://files.example/", seconds=5):
            pass
    assert connects == [("93.184.216.34", 443)]
