"""What each person sees, stage by stage, over HTTP as Teams would ask for it.

One appraisal (Brookside) is put at each stage with a distinct sentinel in every confidential
field. Each person (the headteacher, the REL reviewing it, the DCEO, the appointed governor,
an external adviser, a trust administrator, a governor of another school, and the governor
the roster replaced) then asks for everything Teams lets them ask for: status, next, help,
the appraisal, every step card by name and the evidence list. Every sentinel the procedure
lets them see must appear in what they were sent, and no other.

The expectations below are written out from the procedure (seed 001, DESIGN.md), not read
from `appraisal.visibility.SEES`, so that a mistake in the table fails here.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime

import pytest

from appraisal.record import (
    ChangeRequest,
    EvidenceItem,
    EvidenceKind,
    Judgement,
    MidYearReview,
    Objective,
    ObjectiveProgress,
    Progress,
    Rating,
    SelfEvaluation,
)
from appraisal.roster import parse_roster
from appraisal.stages import Stage
from bot.demo import DEMO_DOMAIN, demo_roster_csv
from cards.router import STEPS
from tests.support.botframework import Member, invoke, message
from tests.support.factories import appraisal_at, at, meeting_record
from tests.support.world import NOW, World, running_bot

S = Stage
BEFORE_MEETING = {
    S.AWAITING_DATE,
    S.DATE_PROPOSED,
    S.DATE_COUNTER_PROPOSED,
    S.AWAITING_GOVERNOR,
    S.PREPARATION,
}
SHARED_ON = {S.SHARED, S.MID_YEAR_DUE, S.COMPLETE}

#: Sentinels by what they are part of; each is planted in one field.
PREVIOUS = ("ZQPREVTEXT", "ZQPREVCRIT")
SELF_EVALUATION = ("ZQSELFNOTE",)
EVIDENCE = ("ZQEVIDTITLE",)
RECORD = (
    "ZQJUDGEWHY",
    "ZQMITIGATE",
    "ZQNEWOBJ",
    "ZQNEWCRIT",
    "ZQCPD",
    "ZQWELLBEING",
    "ZQMONITOR",
    "ZQCOLLECT",
)
CHANGES = ("ZQCHANGEASK",)
MID_YEAR = ("ZQMIDNOTE", "ZQMIDPROGRESS")
EVERY = (*PREVIOUS, *SELF_EVALUATION, *EVIDENCE, *RECORD, *CHANGES, *MID_YEAR)

ADVISER = Member("29:ada.adviser", "Ada Adviser", "0d3e0000-0000-4000-8000-000000000021", "")
OLD_GOVERNOR = Member("29:olly.old", "Olly Old", "0d3e0000-0000-4000-8000-000000000022", "")
ADVISER.email = f"ada.adviser@{DEMO_DOMAIN}"
OLD_GOVERNOR.email = f"olly.old@{DEMO_DOMAIN}"


def _row(urn: str, role: str, member: Member) -> str:
    person = f"{member.name},{member.email},{member.aad_object_id}"
    return f'{urn},"Brookside Primary School",{role},{person}'


def roster(governor_row: str | None) -> str:
    """The demo roster with an adviser at Brookside, and Brookside's governor row replaced."""
    lines = demo_roster_csv().splitlines()
    if governor_row is not None:
        lines = [
            governor_row if line.startswith("100001,") and ",governor," in line else line
            for line in lines
        ]
    return "\n".join([*lines, _row("100001", "adviser", ADVISER)]) + "\n"


def planted(stage: Stage) -> tuple[object, datetime]:
    """An appraisal at `stage` from the factories, with a sentinel in every confidential field."""
    a, moment = appraisal_at(stage)
    previous = tuple(
        replace(o, text=f"{PREVIOUS[0]} {o.ref}", success_criteria=PREVIOUS[1])
        for o in a.previous_objectives
    )
    evals = tuple(SelfEvaluation(o.ref, Rating.PARTIALLY_MET, SELF_EVALUATION[0]) for o in previous)
    evidence = (
        EvidenceItem("E1", EVIDENCE[0], EvidenceKind.NOTES_OF_VISIT, at(2026, 9, 1, 15), "O1"),
    )
    changed = replace(a, previous_objectives=previous, self_evaluations=evals, evidence=evidence)
    changed = replace(changed, evidence_added=1)
    if a.meeting_record is not None:
        base = meeting_record(previous)
        record = replace(
            base,
            judgements=tuple(
                Judgement(o.ref, Rating.NOT_MET, RECORD[0], RECORD[1]) for o in previous
            ),
            objectives=(
                Objective("O1", RECORD[2], RECORD[3], base.objectives[0].focus),
                *base.objectives[1:],
            ),
            cpd_and_support=RECORD[4],
            wellbeing_notes=RECORD[5],
            monitoring=RECORD[6],
            evidence_to_collect=RECORD[7],
        )
        changed = replace(changed, meeting_record=record)
    if stage not in BEFORE_MEETING | {S.MEETING_HELD}:
        # Asked for once and resubmitted, so the request stays in the store from here on.
        changed = replace(changed, change_requests=(ChangeRequest(at(2026, 10, 20), CHANGES[0]),))
    if changed.mid_year_review is not None:
        review = changed.mid_year_review
        changed = replace(
            changed,
            mid_year_review=MidYearReview(
                review.held_on,
                tuple(
                    ObjectiveProgress(p.objective_ref, Progress.ON_TRACK, MID_YEAR[1])
                    for p in review.progress
                ),
                MID_YEAR[0],
            ),
        )
    return changed, moment


def present(stage: Stage) -> set[str]:
    """The sentinels the appraisal holds at this stage."""
    found = {*PREVIOUS, *SELF_EVALUATION, *EVIDENCE}
    if stage not in BEFORE_MEETING:
        found |= set(RECORD)
    if stage not in BEFORE_MEETING | {S.MEETING_HELD}:
        found |= set(CHANGES)
    if stage is S.COMPLETE:
        found |= set(MID_YEAR)
    return found


def allowed(person: str, stage: Stage) -> set[str]:
    """What the procedure lets each person see of Brookside at this stage."""
    if person in ("colin", "grace", "olly"):  # admin, another school's governor, replaced
        return set()
    seen = {*PREVIOUS, *SELF_EVALUATION, *EVIDENCE}  # what the meeting is prepared from
    if person in ("hannah", "rhona", "dana"):
        if stage not in BEFORE_MEETING:
            seen |= set(RECORD)  # the draft, then the final record
        if stage in (S.DRAFT_WITH_HEADTEACHER, S.CHANGES_REQUESTED):
            seen |= set(CHANGES)  # until the headteacher approves
        if stage is S.COMPLETE:
            seen |= set(MID_YEAR)
    elif person in ("gareth", "ada") and stage in SHARED_ON:
        # The appointed governor and the external adviser: once the headteacher shares it.
        seen |= set(RECORD) | set(MID_YEAR)
    return seen & present(stage)


async def _seed(product, stage: Stage, moment: datetime) -> None:
    opened = at(2026, 9, 1)
    await product.roster.import_entries(
        parse_roster(roster(_row("100001", "governor", OLD_GOVERNOR))), opened
    )
    await product.cycles.start(2026, opened)
    # The roster replaces Olly by Gareth: Olly must then see nothing of Brookside.
    await product.roster.import_entries(parse_roster(roster(None)), opened)
    template, _ = planted(stage)
    async with product.ctx.uow() as tx:
        stored = next(a for a in await tx.appraisals.list(2026) if a.school_urn == "100001")
        ada = await tx.people.by_email(ADVISER.email)
        assert ada is not None and stored.adviser_id == ada.id
        filled = replace(
            template,
            id=stored.id,
            version=stored.version,
            headteacher_id=stored.headteacher_id,
            reviewer_id=stored.reviewer_id,
            governor_ids=stored.governor_ids,
            adviser_id=stored.adviser_id,
            led_by_rel=stored.led_by_rel,
            availability=(),
        )
        await tx.appraisals.update(filled, stored.version, product.ctx.schedule(filled, moment))
        await tx.commit()


async def _everything_sent_to(world: World, member: Member, appraisal_id: int) -> str:
    """Every card and text this person gets by asking for all that Teams lets them ask for."""
    url = world.service_url
    bodies = []
    before = len(world.connector.sent)
    for words in ("status", "next", "help"):
        status, _ = await world.send(message(member, words, url))
        assert status == 200
    asks = [("show_appraisal", {"appraisal_id": appraisal_id})]
    asks += [("show_form", {"appraisal_id": appraisal_id, "form": s}) for s in sorted(STEPS)]
    asks += [("show_evidence", {"appraisal_id": appraisal_id})]
    for verb, data in asks:
        status, body = await world.send(invoke(member, verb, data, url))
        assert status == 200, (verb, body)
        bodies.append(json.dumps(body))
    bodies += [json.dumps(a) for a in world.connector.sent[before:]]
    return "\n".join(bodies)


PEOPLE = ("hannah", "rhona", "dana", "gareth", "ada", "colin", "grace", "olly")


@pytest.mark.parametrize("stage", list(Stage), ids=lambda s: s.value)
async def test_each_person_is_sent_exactly_what_the_procedure_lets_them_see(
    tmp_path, openid, stage
):
    _, moment = planted(stage)

    async def seed(product):
        await _seed(product, stage, moment)

    async with running_bot(tmp_path, openid, seed, [moment]) as world:
        for extra in (ADVISER, OLD_GOVERNOR):
            world.connector.members[extra.id] = extra
        members = {**world.members, "ada": ADVISER, "olly": OLD_GOVERNOR}
        async with world.product.ctx.uow() as tx:
            brookside = next(a for a in await tx.appraisals.list(2026) if a.school_urn == "100001")
        assert brookside.stage is stage
        wrong = {}
        for person in PEOPLE:
            sent = await _everything_sent_to(world, members[person], brookside.id)
            shown = {s for s in EVERY if s in sent}
            if shown != allowed(person, stage):
                wrong[person] = {
                    "missing": sorted(allowed(person, stage) - shown),
                    "leaked": sorted(shown - allowed(person, stage)),
                }
            if person in ("grace", "olly"):
                assert "Brookside" not in sent, person
        assert wrong == {}


def test_the_sentinels_are_all_different_and_none_contains_another():
    assert len(set(EVERY)) == len(EVERY)
    assert not [a for a in EVERY for b in EVERY if a != b and a in b]


def test_every_stage_plants_what_it_should():
    # The fixture itself: records exist after the meeting, a mid-year review only at the end.
    for stage in Stage:
        appraisal, _ = planted(stage)
        assert (appraisal.meeting_record is not None) == (stage not in BEFORE_MEETING)
        assert (appraisal.mid_year_review is not None) == (stage is S.COMPLETE)
    assert NOW.date() > date(2026, 11, 1)
