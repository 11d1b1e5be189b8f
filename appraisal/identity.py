"""Recognising the person behind a Teams account: by object id, else once by their email."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from appraisal.inputs import is_object_id
from appraisal.model import AuditEvent
from appraisal.ports import Person
from appraisal.roles import Role
from appraisal.services import Context


class IdentityService:
    """Binding Teams accounts to roster people."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    async def identify(
        self,
        aad_object_id: str | None,
        lookup_email: Callable[[], Awaitable[str | None]],
        now: datetime,
    ) -> Person | None:
        """The roster person for this account, binding the object id on first contact by email.

        An object id that is not a GUID is no Entra account: no one (and nothing is looked up).
        """
        if aad_object_id is not None and not is_object_id(aad_object_id):
            return None
        if aad_object_id:
            async with self._ctx.uow() as tx:
                person = await tx.people.by_aad_object_id(aad_object_id)
            if person is not None:
                return person
        # Not known by object id: ask Teams for the account's email (outside any transaction).
        email = await lookup_email()
        if not email:
            return None
        async with self._ctx.uow() as tx:
            person = await tx.people.by_email(email.strip().lower())
            if person is None:
                return None
            if aad_object_id is None:
                return person
            if person.aad_object_id and person.aad_object_id != aad_object_id.lower():
                # The roster already binds this email to another account: never rebind silently.
                return None
            if person.aad_object_id is None:
                await tx.people.bind_aad_object_id(person.id, aad_object_id)
                await tx.audit.append(
                    AuditEvent(None, person.id, now, "bind_identity", None, None, "by email")
                )
                await tx.commit()
                person = await tx.people.get(person.id)
        return person

    async def who_to_ask(self) -> list[Person]:
        """The people to ask for roster access: the trust's administrators, else the DCEO."""
        async with self._ctx.uow() as tx:
            admins = await tx.people.with_trust_role(Role.ADMIN)
            return admins or await tx.people.with_trust_role(Role.DCEO)
