"""Guests in the trust's tenant: known by the email Teams returns, never by an `#EXT#` UPN."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from appraisal.roster import parse_roster
from bot.demo import DEMO_DOMAIN, demo_roster_csv
from bot.wiring import Product
from storage.tables import AuditRow
from tests.support.botframework import Member, message
from tests.support.world import NOW, World, running_bot

CHAIR_EMAIL = "chair@school.example"
CHAIR_UPN = "chair_school.example#EXT#@trust.onmicrosoft.com"
#: An adviser the roster lists by the UPN an admin copied from Entra, not by their email.
GILL_UPN = "gill_gov.example#EXT#@oakfield-trust.onmicrosoft.com"
PRIYA_EMAIL = f"priya.shah@{DEMO_DOMAIN}"

CHAIR = Member(
    "29:chair",
    "Chris Chair",
    "c4a1c4a1-0000-4000-8000-000000000001",
    "Chair@School.EXAMPLE",
    upn=CHAIR_UPN,
)


def guest_roster_csv() -> str:
    """The demo roster with guests at Hillcrest (governor, adviser); its head has no object id."""
    lines = []
    for line in demo_roster_csv().splitlines():
        if "grace.miller@" in line:
            continue  # a guest governs Hillcrest instead of Grace
        if f",{PRIYA_EMAIL}," in line:
            line = line.rsplit(",", 1)[0] + ","  # Hillcrest's head: no object id yet
        lines.append(line)
    lines.append(f'100003,"Hillcrest Academy",governor,Chris Chair,{CHAIR_EMAIL},')
    lines.append(f'100003,"Hillcrest Academy",adviser,Gill Guest,{GILL_UPN},')
    return "\n".join(lines) + "\n"


async def seed_guests(product: Product) -> None:
    """Import the guest roster and open the 2026–27 cycle."""
    await product.roster.import_entries(parse_roster(guest_roster_csv()), NOW)
    await product.cycles.start(2026, NOW)


@pytest.fixture
async def trust(tmp_path, openid) -> AsyncIterator[World]:
    """The demo trust with guests at Hillcrest and the 2026–27 cycle just opened."""
    async with running_bot(tmp_path, openid, seed_guests, [NOW]) as running:
        yield running


async def ask(world: World, member: Member, text: str) -> str:
    """Send a message as this member; the card the bot answers with, as text."""
    before = len(world.connector.sent)
    status, _ = await world.send(message(member, text, world.service_url))
    assert status == 200
    assert len(world.connector.sent) == before + 1
    return json.dumps(world.connector.cards()[-1], ensure_ascii=False)


async def bound_object_id(world: World, email: str) -> str | None:
    """The object id bound to the roster person with this email, if any."""
    async with world.product.ctx.uow() as tx:
        person = await tx.people.by_email(email)
    assert person is not None
    return person.aad_object_id


async def bindings(world: World) -> list[int | None]:
    """Who each bind_identity audit entry is for, oldest first."""
    async with world.product.db.uow() as tx:
        query = select(AuditRow.actor_id).where(AuditRow.action == "bind_identity")
        return list(await tx.session.scalars(query.order_by(AuditRow.id)))


async def test_a_guest_governor_is_recognised_by_their_email_and_bound_once(trust: World):
    lookups = trust.connector.member_lookups
    trust.connector.members[CHAIR.id] = CHAIR
    card = await ask(trust, CHAIR, "status")
    assert "not on the roster" not in card
    assert "Hillcrest Academy" in card
    assert trust.connector.member_lookups == lookups + 1
    assert await bound_object_id(trust, CHAIR_EMAIL) == CHAIR.aad_object_id
    async with trust.product.ctx.uow() as tx:
        chair = await tx.people.by_email(CHAIR_EMAIL)
    assert await bindings(trust) == [chair.id]
    # Known by object id from now on: no second lookup, no second binding.
    assert "Hillcrest Academy" in await ask(trust, CHAIR, "status")
    assert trust.connector.member_lookups == lookups + 1
    assert await bindings(trust) == [chair.id]


@pytest.mark.parametrize(
    ("email", "upn"),
    [
        ("", CHAIR_UPN),  # would be the chair, were the UPN decoded
        ("", GILL_UPN),  # the very address the roster lists
        (GILL_UPN, GILL_UPN),  # a UPN handed back in the email field is no better
    ],
    ids=["decodes-to-roster-email", "upn-on-roster", "upn-as-email"],
)
async def test_a_guest_known_only_by_an_ext_upn_is_not_recognised(
    trust: World, email: str, upn: str
):
    guest = Member("29:guest", "A Guest", "9e579e57-0000-4000-8000-000000000001", email, upn=upn)
    trust.connector.members[guest.id] = guest
    card = await ask(trust, guest, "status")
    assert "not on the roster" in card
    assert "Hillcrest" not in card
    assert await bound_object_id(trust, CHAIR_EMAIL) is None
    assert await bound_object_id(trust, GILL_UPN.lower()) is None
    assert await bindings(trust) == []


@pytest.mark.parametrize("email", ["", "   "], ids=["empty", "spaces"])
async def test_a_member_without_an_email_is_recognised_by_an_ordinary_upn(trust: World, email: str):
    priya = trust.members["priya"]
    trust.connector.members[priya.id] = Member(
        priya.id, priya.name, priya.aad_object_id, email, upn="Priya.Shah@Oakfield-Trust.example"
    )
    card = await ask(trust, priya, "status")
    assert "not on the roster" not in card
    assert "Hillcrest Academy" in card
    assert await bound_object_id(trust, PRIYA_EMAIL) == priya.aad_object_id
    assert len(await bindings(trust)) == 1


async def test_an_ext_upn_that_decodes_to_a_roster_email_does_not_bind_another_address(
    trust: World,
):
    lookalike = Member(
        "29:lookalike",
        "Chris Chair",
        "10010010-0000-4000-8000-000000000001",
        "chris@elsewhere.example",
        upn=CHAIR_UPN,
    )
    trust.connector.members[lookalike.id] = lookalike
    card = await ask(trust, lookalike, "status")
    assert "not on the roster" in card
    assert await bound_object_id(trust, CHAIR_EMAIL) is None
    assert await bindings(trust) == []
    # The chair's roster entry is still free for the chair herself.
    trust.connector.members[CHAIR.id] = CHAIR
    assert "Hillcrest Academy" in await ask(trust, CHAIR, "status")
    assert await bound_object_id(trust, CHAIR_EMAIL) == CHAIR.aad_object_id
