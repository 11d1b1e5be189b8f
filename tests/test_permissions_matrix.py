"""Every (stage, action, role) through the service and the store: allowed ones succeed, every
other one is refused and changes nothing."""

from __future__ import annotations

from dataclasses import replace
from itertools import count

import pytest
from sqlalchemy import func, select

from appraisal.errors import ActionNotAllowed, NotFound
from appraisal.model import Appraisal
from appraisal.ports import Schedule
from appraisal.roles import Role
from appraisal.stages import Action, Stage
from appraisal.workflow import rule_for
from storage.tables import AuditRow, SchoolRow
from tests.support.database import context_for
from tests.support.factories import appraisal_at, valid_command
from tests.support.trust import Trust, seed_trust

PERSON = {
    Role.HEADTEACHER: "hannah",
    Role.REVIEWER: "rhona",
    Role.GOVERNOR: "gareth",
    Role.ADVISER: "alan",
    Role.DCEO: "dana",
    Role.ADMIN: "colin",
}
_urns = count(300000)


def expected_allowed(appraisal: Appraisal, action: Action, role: Role) -> bool:
    """The table's answer, plus the guards that depend on the record rather than the payload."""
    rule = rule_for(appraisal.stage, action)
    if rule is None or role not in rule.roles:
        return False
    if action is Action.SEND_PRE_READING:
        return appraisal.pre_reading_sent_at is None
    record = appraisal.meeting_record
    if action is Action.RECORD_MID_YEAR and role is Role.GOVERNOR:
        return record is not None and record.mid_year_holder is Role.GOVERNOR
    return True


async def _insert(trust: Trust, stage: Stage) -> Appraisal:
    template, _ = appraisal_at(stage)
    urn = str(next(_urns))
    p = trust.people
    async with trust.ctx.uow() as tx:
        tx.session.add(SchoolRow(urn=urn, name=f"School {urn}", nation="england"))
        await tx.session.flush()
        stored = await tx.appraisals.add(
            replace(
                template,
                school_urn=urn,
                school_name=f"School {urn}",
                headteacher_id=p["hannah"],
                reviewer_id=p["rhona"],
                governor_ids=(p["gareth"],),
                adviser_id=p["alan"],
            ),
            Schedule(None, None),
        )
        await tx.commit()
    return stored


async def _done_events(trust: Trust) -> int:
    async with trust.ctx.uow() as tx:
        query = select(func.count()).select_from(AuditRow).where(AuditRow.outcome == "done")
        return await tx.session.scalar(query)


@pytest.mark.parametrize("stage", list(Stage), ids=lambda s: s.value)
async def test_every_action_by_every_role_at_this_stage(sqlite_db, stage: Stage):
    trust = await seed_trust(context_for(sqlite_db))
    shared = await _insert(trust, stage)
    _, now = appraisal_at(stage)
    allowed_seen = []
    for action in Action:
        command = valid_command(action, shared, now)
        for role, name in PERSON.items():
            person = trust.people[name]
            if expected_allowed(shared, action, role):
                fresh = await _insert(trust, stage)
                done = await trust.appraisals.act(person, fresh.id, command, now)
                rule = rule_for(stage, action)
                assert rule is not None
                assert done.stage is rule.to
                assert done.version == fresh.version + 1
                assert await trust.appraisals.current(fresh.id) == done
                allowed_seen.append((action, role))
                continue
            before_events = await _done_events(trust)
            # A completed appraisal is seen by its reviewer, governor and adviser only while
            # the roster still gives them that role at the school (here it never did).
            left = stage is Stage.COMPLETE and role in (Role.REVIEWER, Role.GOVERNOR, Role.ADVISER)
            with pytest.raises(NotFound if left else ActionNotAllowed):
                await trust.appraisals.act(person, shared.id, command, now)
            assert await trust.appraisals.current(shared.id) == shared, (action, role)
            assert await _done_events(trust) == before_events, (action, role)
        # Someone with no part in this appraisal is told nothing about it.
        with pytest.raises(NotFound):
            await trust.appraisals.act(trust.people["priya"], shared.id, command, now)
        assert await trust.appraisals.current(shared.id) == shared
    if stage is not Stage.COMPLETE:
        assert allowed_seen, f"nothing at all may be done at {stage}"
    else:
        assert allowed_seen == []
